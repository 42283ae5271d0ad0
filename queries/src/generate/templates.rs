//! Handlebars templates of the generated files: embedded from
//! `templates/glue/*.hbs`, each overridable by a file of the same relative
//! name in the folder `generation.templates_dir` names.

use std::path::Path;

use handlebars::Handlebars;

/// (name, embedded text). Names are the paths under `templates/glue/`
/// without `.hbs`.
pub const EMBEDDED: &[(&str, &str)] = &[
    ("job.py", include_str!("../../../templates/glue/job.py.hbs")),
    (
        "test_job.py",
        include_str!("../../../templates/glue/test_job.py.hbs"),
    ),
    (
        "conftest.py",
        include_str!("../../../templates/glue/conftest.py.hbs"),
    ),
    (
        "dsmig_testing.py",
        include_str!("../../../templates/glue/dsmig_testing.py.hbs"),
    ),
    (
        "awsglue/__init__.py",
        include_str!("../../../templates/glue/awsglue/__init__.py.hbs"),
    ),
    (
        "awsglue/context.py",
        include_str!("../../../templates/glue/awsglue/context.py.hbs"),
    ),
    (
        "awsglue/dynamicframe.py",
        include_str!("../../../templates/glue/awsglue/dynamicframe.py.hbs"),
    ),
    (
        "awsglue/job.py",
        include_str!("../../../templates/glue/awsglue/job.py.hbs"),
    ),
    (
        "awsglue/utils.py",
        include_str!("../../../templates/glue/awsglue/utils.py.hbs"),
    ),
    ("job.tf", include_str!("../../../templates/glue/job.tf.hbs")),
    (
        "variables.tf",
        include_str!("../../../templates/glue/variables.tf.hbs"),
    ),
    (
        "providers.tf",
        include_str!("../../../templates/glue/providers.tf.hbs"),
    ),
    (
        "workflow.tf",
        include_str!("../../../templates/glue/workflow.tf.hbs"),
    ),
    ("job.md", include_str!("../../../templates/glue/job.md.hbs")),
    (
        "reconcile.py",
        include_str!("../../../templates/glue/reconcile.py.hbs"),
    ),
    (
        "reconcile.tf",
        include_str!("../../../templates/glue/reconcile.tf.hbs"),
    ),
];

pub struct Templates {
    registry: Handlebars<'static>,
    /// blake3 of every template's source: part of the generated files' keys,
    /// so editing an override template regenerates what it renders.
    pub fingerprint: [u8; 32],
}

impl Templates {
    /// The embedded templates, overridden by `override_dir/glue/<name>.hbs`
    /// (or `override_dir/<name>.hbs`) where such a file exists.
    pub fn load(override_dir: Option<&Path>) -> Result<Templates, String> {
        let mut sources = Vec::new();
        for (name, text) in EMBEDDED {
            let mut source = text.to_string();
            if let Some(dir) = override_dir {
                for candidate in [
                    dir.join("glue").join(format!("{name}.hbs")),
                    dir.join(format!("{name}.hbs")),
                ] {
                    if candidate.is_file() {
                        source = std::fs::read_to_string(&candidate)
                            .map_err(|e| format!("{}: {e}", candidate.display()))?;
                        break;
                    }
                }
            }
            sources.push((*name, source));
        }
        let (registry, fingerprint) = compile(&sources)?;
        Ok(Templates {
            registry,
            fingerprint,
        })
    }

    /// The embedded templates only.
    pub fn embedded() -> &'static Templates {
        static T: std::sync::OnceLock<Templates> = std::sync::OnceLock::new();
        T.get_or_init(|| Templates::load(None).expect("embedded templates compile"))
    }

    pub fn render(&self, name: &str, data: &serde_json::Value) -> String {
        self.registry
            .render(name, data)
            .unwrap_or_else(|e| format!("# dsmig: template {name} failed: {e}\n"))
    }
}

/// A template helper that prints its one argument through the escaper of
/// one output context (`{{py_doc job_name}}`, `{{hcl_str folder}}`...).
struct Escape(fn(&str) -> String);

impl handlebars::HelperDef for Escape {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &handlebars::Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc handlebars::Context,
        _: &mut handlebars::RenderContext<'reg, 'rc>,
        out: &mut dyn handlebars::Output,
    ) -> handlebars::HelperResult {
        let text = match h.param(0).map(|p| p.value()) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Null) | None => String::new(),
            Some(v) => v.to_string(),
        };
        out.write(&(self.0)(&text))?;
        Ok(())
    }
}

/// Helper names, each an escaper of `crate::escape` (the one table of
/// contexts is `escape::by_helper`).
pub const ESCAPE_HELPERS: &[&str] = &[
    "py_str",
    "py_doc",
    "py_inner",
    "py_comment",
    "hcl_str",
    "hcl_comment",
    "sh_single",
    "md",
    "md_code",
];

/// A handlebars registry of `(name, source)` templates and the blake3 of
/// all their sources. Export text reaches the output only through a context
/// helper (`ESCAPE_HELPERS`); pre-rendered code, which the generators
/// assemble from escaped parts, through `{{{code}}}`. A bare `{{value}}`
/// prints only characters inert in every context (`escape::inert`), so a
/// template that forgets the helper cannot emit an injection.
pub fn compile(sources: &[(&str, String)]) -> Result<(Handlebars<'static>, [u8; 32]), String> {
    compile_with(sources, crate::escape::inert)
}

/// `compile` with another escape function for bare `{{value}}`: the LLM
/// prompts print values verbatim (`handlebars::no_escape`; a prompt is read
/// by a model, never run, and is scrubbed of secrets before use).
pub fn compile_with(
    sources: &[(&str, String)],
    escape: fn(&str) -> String,
) -> Result<(Handlebars<'static>, [u8; 32]), String> {
    let mut registry = Handlebars::new();
    registry.register_escape_fn(escape);
    for name in ESCAPE_HELPERS {
        if let Some(f) = crate::escape::by_helper(name) {
            registry.register_helper(name, Box::new(Escape(f)));
        }
    }
    registry.set_strict_mode(false);
    let mut hasher = blake3::Hasher::new();
    for (name, source) in sources {
        hasher.update(name.as_bytes());
        hasher.update(&(source.len() as u64).to_le_bytes());
        hasher.update(source.as_bytes());
        registry
            .register_template_string(name, source)
            .map_err(|e| format!("template {name}: {e}"))?;
    }
    Ok((registry, *hasher.finalize().as_bytes()))
}

/// Template slots that hold code the generators assembled from escaped
/// parts (`{{{slot}}}`, printed as is). Anything else a template prints
/// goes through a context helper or the inert escaper.
pub const CODE_SLOTS: &[&str] = &[
    // job.py
    "params",
    "schemas",
    "layouts",
    "stubs",
    "functions",
    "body",
    "targets",
    "readers",
    "writers",
    // test_job.py
    "inputs",
    "raises",
    "checks",
    "args",
    "roundtrips",
    // job.tf, workflow.tf: HCL made from literals by `escape::hcl_str`
    "glue_name",
    "description",
    "connections",
    "definition",
    "depends_on",
    // job.md: Markdown made by `generate::glue::docs` from escaped cells
    "purpose",
    "reasons",
    "lineage",
    "stages",
    "mappings",
    "todos",
    "warnings",
    // reconcile.py: Python literals made by `generate::glue::reconcile`
    "job_literal",
    "script_literal",
    "reconcile_targets",
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The embedded templates print export text only through a context
    /// helper, and raw (`{{{ }}}`) only the declared code slots.
    #[test]
    fn templates_print_nothing_unescaped() {
        for (name, text) in EMBEDDED {
            let mut rest = *text;
            while let Some(i) = rest.find("{{") {
                rest = &rest[i..];
                let raw = rest.starts_with("{{{");
                let open = if raw { 3 } else { 2 };
                let close = if raw { "}}}" } else { "}}" };
                let end = rest.find(close).expect("closed tag");
                let inner = rest[open..end].trim().trim_start_matches('~').trim();
                rest = &rest[end + close.len()..];
                if raw {
                    assert!(
                        CODE_SLOTS.contains(&inner),
                        "{name}: raw slot {{{{{{{inner}}}}}}}"
                    );
                    continue;
                }
                if inner.starts_with(['#', '/', '!']) || inner == "else" {
                    continue;
                }
                let mut words = inner.split_whitespace();
                let first = words.next().unwrap_or("");
                if words.next().is_some() {
                    assert!(ESCAPE_HELPERS.contains(&first), "{name}: helper {first}");
                }
            }
        }
    }

    #[test]
    fn a_bare_value_is_inert_and_a_helper_escapes() {
        let (reg, _) =
            compile(&[("t", "{{v}}|{{py_doc v}}|{{{v}}}".to_string())]).expect("compiles");
        let out = reg
            .render("t", &serde_json::json!({"v": "a\"\"\"\n$b"}))
            .expect("renders");
        assert_eq!(out, "a_____b|a\\\"\\\"\\\"\\x0a$b|a\"\"\"\n$b");
    }
}
