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

/// A handlebars registry of `(name, source)` templates (no HTML escaping:
/// the output is code) and the blake3 of all their sources.
pub fn compile(sources: &[(&str, String)]) -> Result<(Handlebars<'static>, [u8; 32]), String> {
    let mut registry = Handlebars::new();
    registry.register_escape_fn(handlebars::no_escape);
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
