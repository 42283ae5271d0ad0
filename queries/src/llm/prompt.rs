//! The `prompt` query's text: handlebars templates embedded from
//! `templates/llm/` (each overridable by `<templates_dir>/llm/<name>.hbs`),
//! filled from the job's IR, its category and the rule-based draft. Every
//! prompt is scrubbed ([`super::redact::scrub`]) before it is hashed,
//! stored or sent; the IR itself never held a password (parse-time
//! redaction), this is the second line of defence.

use std::path::Path;

use handlebars::Handlebars;
use serde::Serialize;
use serde_json::{Value, json};

use super::pycode::Placeholder;
use super::redact::scrub;
use crate::analysis::groups::SlotDiff;
use crate::ir::{Job, PropValue, Stage};

pub const EMBEDDED: &[(&str, &str)] = &[
    ("system", include_str!("../../../templates/llm/system.hbs")),
    ("fill", include_str!("../../../templates/llm/fill.hbs")),
    (
        "scaffold",
        include_str!("../../../templates/llm/scaffold.hbs"),
    ),
    ("light", include_str!("../../../templates/llm/light.hbs")),
    ("repair", include_str!("../../../templates/llm/repair.hbs")),
];

/// Longest property value, derivation or job-control text quoted.
const MAX_VALUE_CHARS: usize = 1500;
/// Slot differences listed in a light prompt.
const MAX_DIFFS: usize = 200;

pub struct Prompts {
    registry: Handlebars<'static>,
    /// blake3 of every template's source: part of the LLM phase's keys.
    pub fingerprint: [u8; 32],
}

impl Prompts {
    pub fn load(override_dir: Option<&Path>) -> Result<Prompts, String> {
        let mut sources = Vec::new();
        for (name, text) in EMBEDDED {
            let p = override_dir.map(|d| d.join("llm").join(format!("{name}.hbs")));
            let source = match p.filter(|p| p.is_file()) {
                Some(p) => {
                    std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?
                }
                None => text.to_string(),
            };
            sources.push((*name, source));
        }
        let (registry, fingerprint) =
            crate::generate::templates::compile_with(&sources, handlebars::no_escape)
                .map_err(|e| format!("prompt {e}"))?;
        Ok(Prompts {
            registry,
            fingerprint,
        })
    }

    fn render(&self, name: &str, data: &Value) -> Result<String, String> {
        self.registry
            .render(name, data)
            .map(|t| scrub(&t))
            .map_err(|e| format!("prompt template {name}: {e}"))
    }

    pub fn system(&self, target: &str, language: &str, splice: bool) -> Result<String, String> {
        self.render(
            "system",
            &json!({"target": target, "language": language, "splice": splice}),
        )
    }

    /// The full prompt of a SEMI-AUTO (`fill`) or MANUAL (`scaffold`) job.
    pub fn full(&self, mode: super::strategy::Mode, p: &FullPrompt<'_>) -> Result<String, String> {
        let name = match mode {
            super::strategy::Mode::Fill => "fill",
            super::strategy::Mode::Scaffold => "scaffold",
        };
        let relevant = relevant_stages(p.job, p.todos, p.blocking, p.placeholders);
        let stages = serde_json::to_string_pretty(&stages_json(p.job, &relevant))
            .unwrap_or_else(|_| "[]".into());
        let job_control = p
            .job
            .properties
            .iter()
            .find(|x| x.name == "JobControlCode")
            .and_then(|x| x.value.as_text())
            .filter(|t| !t.contains("Graphical Sequencer generated code"))
            .map(|t| cut(t, 4 * MAX_VALUE_CHARS));
        let data = json!({
            "job": p.job.name,
            "kind": p.job.kind.as_str(),
            "folder": p.job.folder,
            "category": p.category,
            "rule": p.rule,
            "blocking": p.blocking,
            "path": p.path,
            "placeholders": p.placeholders,
            "todos": p.todos.iter().map(|(l, w)| json!({"location": l, "what": w})).collect::<Vec<_>>(),
            "stages": stages,
            "job_control": job_control,
            "language": p.language,
            "draft": p.draft.trim_end(),
        });
        self.render(name, &data)
    }

    /// The light prompt of near duplicates of one template, answered in
    /// one call.
    pub fn light(&self, p: &LightPrompt<'_>) -> Result<String, String> {
        let members: Vec<Value> = p
            .members
            .iter()
            .map(|m| {
                let shown: Vec<Value> = m
                    .diffs
                    .iter()
                    .take(MAX_DIFFS)
                    .map(|d| {
                        json!({
                            "path": d.path,
                            "kind": format!("{:?}", d.kind),
                            "template": d.template.as_deref().map_or("(none)".to_string(), |v| cut(v, 300)),
                            "member": d.member.as_deref().map_or("(none)".to_string(), |v| cut(v, 300)),
                        })
                    })
                    .collect();
                json!({
                    "job": m.job,
                    "diffs": shown,
                    "more_diffs": m.diffs.len().saturating_sub(MAX_DIFFS),
                    "path": m.path,
                    "code": m.code.trim_end(),
                })
            })
            .collect();
        let names: Vec<&str> = p.members.iter().map(|m| m.job).collect();
        let data = json!({
            "several": p.members.len() > 1,
            "names": names.join(", "),
            "template": p.template,
            "template_answer": p.template_answer.trim_end(),
            "members": members,
            "splice": p.splice,
            "language": p.language,
        });
        self.render("light", &data)
    }

    pub fn repair(
        &self,
        prompt: &str,
        language: &str,
        answer: &str,
        error: &str,
    ) -> Result<String, String> {
        self.render(
            "repair",
            &json!({"prompt": prompt, "language": language, "answer": answer.trim_end(), "error": error}),
        )
    }
}

pub struct FullPrompt<'a> {
    pub job: &'a Job,
    pub category: &'a str,
    pub rule: &'a str,
    pub blocking: &'a [String],
    pub path: &'a str,
    pub language: &'a str,
    pub draft: &'a str,
    pub placeholders: &'a [Placeholder],
    pub todos: &'a [(String, String)],
}

pub struct LightPrompt<'a> {
    pub template: &'a str,
    pub template_answer: &'a str,
    pub splice: bool,
    pub language: &'a str,
    pub members: &'a [LightMember<'a>],
}

pub struct LightMember<'a> {
    pub job: &'a str,
    pub diffs: &'a [SlotDiff],
    pub path: &'a str,
    /// The member's placeholder functions (splice), else its whole draft.
    pub code: &'a str,
}

/// The sections of an answer to a prompt for several jobs (`### JOB`
/// headings), in `jobs` order; an answer for one job may skip the heading.
pub fn sections(text: &str, jobs: &[&str]) -> Vec<Option<String>> {
    // (job, where its heading line starts, where its content starts), in
    // the order the answer gives them; the first heading of a job counts.
    let mut heads: Vec<(usize, usize, usize)> = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some(name) = line.trim().strip_prefix("###") {
            let name = name.trim().trim_matches('`').trim();
            if let Some(j) = jobs.iter().position(|x| *x == name)
                && !heads.iter().any(|h| h.0 == j)
            {
                heads.push((j, offset, offset + line.len()));
            }
        }
        offset += line.len();
    }
    let mut out = vec![None; jobs.len()];
    for (k, &(j, _, from)) in heads.iter().enumerate() {
        let to = heads.get(k + 1).map_or(text.len(), |h| h.1);
        out[j] = Some(text[from..to].to_string());
    }
    if jobs.len() == 1 && out[0].is_none() {
        out[0] = Some(text.to_string());
    }
    out
}

fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max).collect();
    t.push_str(" …(cut)");
    t
}

/// Stages named by a TODO, a blocking item or a placeholder message; all
/// stages when none is.
fn relevant_stages<'a>(
    job: &'a Job,
    todos: &[(String, String)],
    blocking: &[String],
    placeholders: &[Placeholder],
) -> Vec<&'a Stage> {
    let texts: Vec<&str> = todos
        .iter()
        .flat_map(|(l, w)| [l.as_str(), w.as_str()])
        .chain(blocking.iter().map(String::as_str))
        .chain(placeholders.iter().map(|p| p.message.as_str()))
        .collect();
    let named = |s: &Stage| {
        texts.iter().any(|t| {
            t.match_indices(s.name.as_str()).any(|(i, _)| {
                let before = t[..i].chars().next_back();
                let after = t[i + s.name.len()..].chars().next();
                let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
                !word(before) && !word(after)
            })
        })
    };
    let v: Vec<&Stage> = job.stages.iter().filter(|s| named(s)).collect();
    if v.is_empty() {
        job.stages.iter().collect()
    } else {
        v
    }
}

#[derive(Serialize)]
struct LinkView {
    link: String,
    kind: &'static str,
    stage: String,
    columns: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    constraint: String,
}

fn prop_json(v: &PropValue) -> Value {
    match v {
        PropValue::Text(t) => Value::String(cut(t, MAX_VALUE_CHARS)),
        PropValue::Tree(nodes) => Value::Array(
            nodes
                .iter()
                .map(|n| json!({"name": n.name, "value": cut(&n.value, MAX_VALUE_CHARS), "children": n.children.len()}))
                .collect(),
        ),
        PropValue::Connector(pairs) => Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(cut(v, MAX_VALUE_CHARS))))
                .collect(),
        ),
    }
}

fn stages_json(job: &Job, stages: &[&Stage]) -> Value {
    let name_of = |id: &str| job.stage(id).map_or(id.to_string(), |s| s.name.clone());
    let columns = |l: &crate::ir::Link| -> Vec<String> {
        l.columns
            .iter()
            .map(|c| {
                let mut s = format!("{} (sql type {}", c.name, c.sql_type);
                if c.length > 0 {
                    s.push_str(&format!(", length {}", c.length));
                }
                if c.scale > 0 {
                    s.push_str(&format!(", scale {}", c.scale));
                }
                s.push_str(if c.nullable { ", nullable)" } else { ")" });
                if !c.derivation.is_empty() {
                    s.push_str(&format!(" = {}", cut(&c.derivation, MAX_VALUE_CHARS)));
                }
                s
            })
            .collect()
    };
    Value::Array(
        stages
            .iter()
            .map(|s| {
                let inputs: Vec<LinkView> = job
                    .links
                    .iter()
                    .filter(|l| l.to_stage.as_deref() == Some(s.id.as_str()))
                    .map(|l| LinkView {
                        link: l.name.clone(),
                        kind: l.kind.as_str(),
                        stage: name_of(&l.from_stage),
                        columns: columns(l),
                        constraint: String::new(),
                    })
                    .collect();
                let outputs: Vec<LinkView> = job
                    .links
                    .iter()
                    .filter(|l| l.from_stage == s.id)
                    .map(|l| LinkView {
                        link: l.name.clone(),
                        kind: l.kind.as_str(),
                        stage: l.to_stage.as_deref().map(name_of).unwrap_or_default(),
                        columns: columns(l),
                        constraint: cut(&l.constraint, MAX_VALUE_CHARS),
                    })
                    .collect();
                let props: serde_json::Map<String, Value> = s
                    .properties
                    .iter()
                    .map(|p| (p.name.clone(), prop_json(&p.value)))
                    .collect();
                let mut v = json!({
                    "stage": s.name,
                    "type": s.stage_type,
                    "raw_type": s.raw_type,
                    "properties": props,
                    "inputs": inputs,
                    "outputs": outputs,
                });
                if let Some(t) = &s.transformer {
                    v["stage_variables"] = Value::Array(
                        t.stage_vars
                            .iter()
                            .map(|sv| {
                                Value::String(format!(
                                    "{} = {}",
                                    sv.name,
                                    cut(&sv.expression, MAX_VALUE_CHARS)
                                ))
                            })
                            .collect(),
                    );
                    if !t.loop_condition.is_empty() {
                        v["loop_condition"] = Value::String(t.loop_condition.clone());
                    }
                }
                v
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::features::tests::sample_job;

    #[test]
    fn prompts_render_and_are_scrubbed() {
        let p = Prompts::load(None).unwrap();
        let system = p.system("AWS Glue (PySpark)", "python", true).unwrap();
        assert!(system.contains("```python"));
        assert!(system.contains("only the top-level functions"));
        assert!(!system.contains("Give the whole file"));
        assert!(!system.contains("\n\n\n"), "{system}");
        let mut job = sample_job("J", "T1", "D1", "l");
        job.properties.push(crate::ir::Property {
            name: "JobControlCode".into(),
            value: PropValue::Text("Call DSAttachJob(\"X\")".into()),
        });
        let todos = vec![(
            "src (connection)".to_string(),
            "Password=hunter2x".to_string(),
        )];
        let ph = vec![Placeholder {
            function: "stage_src".into(),
            message: "x (dsmig)".into(),
        }];
        let text = p
            .full(
                super::super::strategy::Mode::Scaffold,
                &FullPrompt {
                    job: &job,
                    category: "MANUAL",
                    rule: "M1",
                    blocking: &["job-control at job".to_string()],
                    path: "glue_jobs/J.py",
                    language: "python",
                    draft: "def stage_src():\n    raise NotImplementedError('x (dsmig)')\n",
                    placeholders: &ph,
                    todos: &todos,
                },
            )
            .unwrap();
        assert!(text.contains("Job J ("), "{text}");
        assert!(text.contains("`stage_src`: x (dsmig)"), "{text}");
        assert!(text.contains("DSAttachJob"), "{text}");
        assert!(text.contains("```python\ndef stage_src"), "{text}");
        assert!(!text.contains("hunter2x"), "{text}");
        assert!(!text.contains("\n\n\n"), "{text}");
        let r = p.repair(&text, "python", "def x(:", "SyntaxError").unwrap();
        assert!(r.starts_with(&text) && r.contains("SyntaxError"));
        let light = p
            .light(&LightPrompt {
                template: "T",
                template_answer: "def f():\n    return 1\n",
                splice: true,
                language: "python",
                members: &[
                    LightMember {
                        job: "A",
                        diffs: &[],
                        path: "glue_jobs/A.py",
                        code: "def f():\n    raise NotImplementedError('a')\n",
                    },
                    LightMember {
                        job: "B",
                        diffs: &[],
                        path: "glue_jobs/B.py",
                        code: "def f():\n    raise NotImplementedError('b')\n",
                    },
                ],
            })
            .unwrap();
        assert!(
            light.starts_with("Jobs A, B are near copies of job T"),
            "{light}"
        );
        assert!(
            light.contains("\n### A\n") && light.contains("\n### B\n"),
            "{light}"
        );
        assert!(!light.contains("\n\n\n"), "{light}");
        let answer = "### A\n```python\nx = 1\n```\n### B\n```python\ny = 2\n```\n";
        let s = sections(answer, &["A", "B", "C"]);
        assert_eq!(s[0].as_deref(), Some("```python\nx = 1\n```\n"));
        assert_eq!(s[1].as_deref(), Some("```python\ny = 2\n```\n"));
        assert_eq!(s[2], None);
        assert_eq!(sections("x", &["A"])[0].as_deref(), Some("x"));
    }
}
