//! `docs/<job>.md`: purpose, lineage, column mapping, category, parameters,
//! TODOs.

use super::{Gen, is_io, script_params};
use crate::generate::templates::Templates;

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

pub fn job_md(g: &Gen, templates: &Templates) -> String {
    let job = g.job;
    let purpose = if !job.description.trim().is_empty() || !job.annotations.is_empty() {
        let mut v = Vec::new();
        if !job.description.trim().is_empty() {
            v.push(job.description.trim().to_string());
        }
        for a in &job.annotations {
            v.push(format!("> {}", a.trim().replace('\n', "\n> ")));
        }
        v.join("\n\n")
    } else {
        "(no description or annotation in the export)".into()
    };
    let sources: Vec<String> = g
        .plan
        .stages
        .iter()
        .filter(|ps| is_io(&ps.stage.stage_type) && ps.inputs.is_empty())
        .map(|ps| format!("{} ({})", ps.stage.name, ps.stage.stage_type))
        .collect();
    let middle: Vec<String> = g
        .plan
        .stages
        .iter()
        .filter(|ps| !is_io(&ps.stage.stage_type))
        .map(|ps| ps.stage.name.clone())
        .collect();
    let targets: Vec<String> = g
        .plan
        .stages
        .iter()
        .filter(|ps| is_io(&ps.stage.stage_type) && !ps.inputs.is_empty())
        .map(|ps| format!("{} ({})", ps.stage.name, ps.stage.stage_type))
        .collect();
    let mut lineage = format!(
        "Sources: {}\n\nStages (in order): {}\n\nTargets: {}\n\nLinks:\n",
        if sources.is_empty() {
            "none".into()
        } else {
            sources.join(", ")
        },
        if middle.is_empty() {
            "none".into()
        } else {
            middle.join(" → ")
        },
        if targets.is_empty() {
            "none".into()
        } else {
            targets.join(", ")
        },
    );
    for l in &job.links {
        let from = job
            .stage(&l.from_stage)
            .map_or(l.from_stage.as_str(), |s| s.name.as_str());
        let to = l
            .to_stage
            .as_deref()
            .map(|t| job.stage(t).map_or(t, |s| s.name.as_str()))
            .unwrap_or("(nowhere)");
        lineage.push_str(&format!(
            "- `{}`: {from} → {to} ({}, {} columns)\n",
            l.name,
            l.kind.as_str(),
            l.columns.len()
        ));
    }
    let stages: Vec<String> = g
        .coverage
        .iter()
        .map(|(n, t, c)| format!("| {} | {} | {} |", cell(n), t, c.as_str()))
        .collect();
    let mappings: Vec<String> = g
        .mappings
        .iter()
        .map(|m| {
            format!(
                "| {} | {} | `{}` | `{}` |",
                cell(&m.link),
                cell(&m.column),
                cell(&m.derivation),
                cell(&m.code)
            )
        })
        .collect();
    let params: Vec<String> = script_params(job)
        .iter()
        .map(|(ds, arg, ty, default)| {
            format!("- `{ds}` (Glue argument `--{arg}`, {ty}), default `{default}`")
        })
        .collect();
    let todos: Vec<String> = g
        .todos
        .iter()
        .map(|t| format!("- **{}**: {}", t.location, t.what))
        .collect();
    let warnings: Vec<String> = g.warnings.iter().map(|w| format!("- {w}")).collect();
    let data = serde_json::json!({
        "job_name": job.name,
        "kind": job.kind.as_str(),
        "folder": job.folder,
        "purpose": purpose,
        "category": g.ctx.category,
        "strategy": g.ctx.strategy,
        "reasons": if g.ctx.reasons.is_empty() { String::new() } else { g.ctx.reasons.iter().map(|r| format!("- {r}")).collect::<Vec<_>>().join("\n") },
        "lineage": lineage,
        "stages": stages.join("\n"),
        "mappings": if mappings.is_empty() { "| | | | |".to_string() } else { mappings.join("\n") },
        "params": if params.is_empty() { "None.".to_string() } else { params.join("\n") },
        "todos": if todos.is_empty() { "None.".to_string() } else { todos.join("\n") },
        "warnings": if warnings.is_empty() { "None.".to_string() } else { warnings.join("\n") },
        "stem": g.ctx.stem_of(job),
    });
    templates.render("job.md", &data)
}
