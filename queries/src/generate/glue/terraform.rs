//! Terraform: one `aws_glue_job` per job, shared variables and provider,
//! and a Glue workflow per sequence.

use std::collections::BTreeSet;

use super::{Gen, io, is_io, py_ident, script_params};
use crate::generate::templates::Templates;
use crate::ir::Job;

pub use crate::escape::hcl_str;
use crate::escape::line_comment;

/// A Terraform resource name.
pub fn resource_name(name: &str) -> String {
    let s = py_ident(name).to_ascii_lowercase();
    if s.starts_with('_') {
        format!("job{s}")
    } else {
        s
    }
}

pub fn job_tf(g: &mut Gen, templates: &Templates) -> String {
    let job = g.job;
    let mut conns = BTreeSet::new();
    let stages = g.plan.stages.clone();
    for ps in &stages {
        let t = ps.stage.stage_type.as_str();
        if is_io(t)
            && !matches!(
                t,
                "SequentialFile" | "DataSet" | "FileSet" | "LookupFileSet" | "HashedFile"
            )
        {
            let todos = g.todos.len();
            conns.insert(io::connection_name(g, ps.stage));
            g.todos.truncate(todos); // already reported by the script
        }
    }
    let params = script_params(job);
    let width = params
        .iter()
        .map(|(_, a, _, _)| a.len() + 4)
        .max()
        .unwrap_or(0)
        .max(36);
    let args: Vec<String> = params
        .iter()
        .map(|(_, arg, _, default)| {
            format!(
                "    {:<width$} = {}",
                hcl_str(&format!("--{arg}")),
                hcl_str(default)
            )
        })
        .collect();
    let bookmarks = if g.source_links().is_empty() {
        "job-bookmark-disable"
    } else {
        "job-bookmark-enable"
    };
    let data = serde_json::json!({
        "job_name": job.name,
        "category": g.ctx.category,
        "resource": resource_name(&job.name),
        "glue_name": hcl_str(&job.name),
        "description": hcl_str(&format!("DataStage job {} ({})", job.name, job.folder)),
        "glue_version": g.ctx.config.glue_version,
        "worker_type": g.ctx.config.worker_type,
        "workers": g.ctx.config.number_of_workers,
        "connections": conns.iter().map(|c| hcl_str(c)).collect::<Vec<_>>().join(", "),
        "script": format!("{}.py", g.ctx.stem_of(job)),
        "bookmarks": bookmarks,
        "args": args.join("\n"),
    });
    templates.render("job.tf", &data)
}

/// Glue workflow of a sequence: triggers for the job activities.
pub fn workflow_tf(
    job: &Job,
    stems: &[(String, String)],
    templates: &Templates,
) -> (String, Vec<String>) {
    let mut todos = Vec::new();
    let wf = resource_name(&job.name);
    let by_id = |id: &str| job.stage(id);
    // Activity → Glue job reference.
    let job_ref = |stage_id: &str| -> Option<String> {
        let s = by_id(stage_id)?;
        let a = s.activity.as_ref()?;
        if a.job_name.is_empty() {
            return None;
        }
        Some(if stems.iter().any(|(n, _)| *n == a.job_name) {
            format!("aws_glue_job.{}.name", resource_name(&a.job_name))
        } else {
            hcl_str(&a.job_name)
        })
    };
    let mut triggers = Vec::new();
    let incoming: BTreeSet<String> = job
        .stages
        .iter()
        .filter_map(|s| s.activity.as_ref())
        .flat_map(|a| a.triggers.iter().filter_map(|t| t.to_stage.clone()))
        .collect();
    // Start: every job activity nothing triggers.
    let starts: Vec<String> = job
        .stages
        .iter()
        .filter(|s| !incoming.contains(&s.id))
        .filter_map(|s| job_ref(&s.id))
        .collect();
    if !starts.is_empty() {
        let actions: Vec<String> = starts
            .iter()
            .map(|j| format!("  actions {{\n    job_name = {j}\n  }}"))
            .collect();
        triggers.push(format!(
            "\nresource \"aws_glue_trigger\" \"{wf}_start\" {{\n  name          = {}\n  type          = \"ON_DEMAND\"\n  workflow_name = aws_glue_workflow.{wf}.name\n{}\n}}",
            hcl_str(&format!("{}-start", job.name)),
            actions.join("\n")
        ));
    }
    for s in &job.stages {
        let Some(a) = &s.activity else { continue };
        for (ti, t) in a.triggers.iter().enumerate() {
            let Some(to) = t.to_stage.as_deref() else {
                continue;
            };
            // Through a sequencer: its own outgoing triggers carry on.
            let targets: Vec<(String, bool)> = match by_id(to) {
                Some(d) if d.stage_type == "Sequencer" => d
                    .activity
                    .iter()
                    .flat_map(|da| da.triggers.iter())
                    .filter_map(|dt| dt.to_stage.as_deref().and_then(job_ref))
                    .map(|r| (r, d.activity.as_ref().is_some_and(|x| x.mode.trim() == "0")))
                    .collect(),
                _ => job_ref(to).into_iter().map(|r| (r, false)).collect(),
            };
            let Some(from) = job_ref(&s.id) else {
                if !targets.is_empty() && s.stage_type != "Sequencer" {
                    todos.push(format!(
                        "{}: activity {} ({}) is not a Glue job; its triggers need a Step Functions state or a Python shell job",
                        job.name, s.name, s.stage_type
                    ));
                }
                continue;
            };
            let states: Vec<&str> = match t.condition_type.trim() {
                "2" => vec!["SUCCEEDED"],
                "4" | "3" => vec!["FAILED"],
                "0" | "" => vec!["SUCCEEDED", "FAILED"],
                other => {
                    todos.push(format!(
                        "{}: trigger {} of {} has condition type {other} ({}): translated as OK",
                        job.name, t.name, s.name, t.expression
                    ));
                    vec!["SUCCEEDED"]
                }
            };
            for (k, (target, _all)) in targets.iter().enumerate() {
                let conds: Vec<String> = states
                    .iter()
                    .map(|st| format!("    conditions {{\n      job_name = {from}\n      state    = \"{st}\"\n    }}"))
                    .collect();
                triggers.push(format!(
                    "\n# {} -> {} ({})\nresource \"aws_glue_trigger\" \"{wf}_{}_{ti}_{k}\" {{\n  name          = {}\n  type          = \"CONDITIONAL\"\n  workflow_name = aws_glue_workflow.{wf}.name\n  predicate {{\n    logical = \"ANY\"\n{}\n  }}\n  actions {{\n    job_name = {target}\n  }}\n}}",
                    line_comment(&s.name),
                    line_comment(by_id(to).map_or(to, |d| d.name.as_str())),
                    if t.expression.is_empty() {
                        states.join(" or ").to_ascii_lowercase()
                    } else {
                        line_comment(&t.expression)
                    },
                    resource_name(&s.name),
                    hcl_str(&format!("{}-{}-{ti}-{k}", job.name, s.name)),
                    conds.join("\n")
                ));
            }
        }
    }
    let data = serde_json::json!({
        "job_name": job.name,
        "resource": wf,
        "glue_name": hcl_str(&job.name),
        "description": hcl_str(&format!("DataStage sequence {} ({})", job.name, job.folder)),
        "triggers": triggers.join("\n"),
    });
    (templates.render("workflow.tf", &data), todos)
}
