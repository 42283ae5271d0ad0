//! `docs/<job>.md`: purpose, lineage, column mapping, category, parameters,
//! TODOs.

use super::{Gen, is_io, script_params};
use crate::escape::{md_code, md_lines, md_text};
use crate::generate::templates::Templates;

pub fn job_md(g: &Gen, templates: &Templates) -> String {
    let job = g.job;
    let purpose = if !job.description.trim().is_empty() || !job.annotations.is_empty() {
        let mut v = Vec::new();
        if !job.description.trim().is_empty() {
            v.push(md_lines(job.description.trim(), ""));
        }
        for a in &job.annotations {
            v.push(md_lines(a.trim(), "> "));
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
        .map(|ps| format!("{} ({})", md_text(&ps.stage.name), ps.stage.stage_type))
        .collect();
    let middle: Vec<String> = g
        .plan
        .stages
        .iter()
        .filter(|ps| !is_io(&ps.stage.stage_type))
        .map(|ps| md_text(&ps.stage.name))
        .collect();
    let targets: Vec<String> = g
        .plan
        .stages
        .iter()
        .filter(|ps| is_io(&ps.stage.stage_type) && !ps.inputs.is_empty())
        .map(|ps| format!("{} ({})", md_text(&ps.stage.name), ps.stage.stage_type))
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
            "- {}: {} → {} ({}, {} columns)\n",
            md_code(&l.name),
            md_text(from),
            md_text(to),
            l.kind.as_str(),
            l.columns.len()
        ));
    }
    let stages: Vec<String> = g
        .coverage
        .iter()
        .map(|(n, t, c)| format!("| {} | {} | {} |", md_text(n), md_text(t), c.as_str()))
        .collect();
    let mappings: Vec<String> = g
        .mappings
        .iter()
        .map(|m| {
            format!(
                "| {} | {} | {} | {} |",
                md_text(&m.link),
                md_text(&m.column),
                md_code(&m.derivation),
                md_code(&m.code)
            )
        })
        .collect();
    let params: Vec<String> = script_params(job)
        .iter()
        .map(|(ds, arg, ty, default)| {
            format!(
                "- {} (Glue argument {}, {ty}), default {}",
                md_code(ds),
                md_code(&format!("--{arg}")),
                md_code(default)
            )
        })
        .collect();
    let todos: Vec<String> = g
        .todos
        .iter()
        .map(|t| format!("- **{}**: {}", md_text(&t.location), md_text(&t.what)))
        .collect();
    let warnings: Vec<String> = g
        .warnings
        .iter()
        .map(|w| format!("- {}", md_text(w)))
        .collect();
    let data = serde_json::json!({
        "job_name": job.name,
        "kind": job.kind.as_str(),
        "folder": job.folder,
        "purpose": purpose,
        "category": g.ctx.category,
        "strategy": g.ctx.strategy,
        "reasons": if g.ctx.reasons.is_empty() { String::new() } else { g.ctx.reasons.iter().map(|r| format!("- {}", md_text(r))).collect::<Vec<_>>().join("\n") },
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
