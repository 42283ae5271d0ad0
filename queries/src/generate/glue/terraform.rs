//! Terraform: one `aws_glue_job` (and the `aws_s3_object` uploading its
//! script) per job, shared variables and provider, and a Glue workflow per
//! sequence.
//!
//! Resource names come from the job's file stem, which the build makes
//! unique (same-named jobs get a hash suffix), so no two resources of the
//! `terraform/` folder share an address.

use std::collections::BTreeSet;

use super::{Gen, io, is_io, py_ident, script_params};
use crate::generate::templates::Templates;
use crate::ir::Job;

pub use crate::escape::hcl_str;
use crate::escape::{file_stem, line_comment};

/// A Terraform resource name from any text (lowercase identifier).
pub fn resource_name(name: &str) -> String {
    let s = py_ident(name).to_ascii_lowercase();
    if s.starts_with('_') {
        format!("job{s}")
    } else {
        s
    }
}

/// The resource name of a job or sequence from its file stem (unique
/// ignoring case among the stems of a build): the lowercase stem when it
/// is already an identifier, else the identifier plus a hash of the stem,
/// so two stems never share a name.
pub fn stem_resource(stem: &str) -> String {
    let lower = stem.to_ascii_lowercase();
    let clean = lower
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && lower.starts_with(|c: char| c.is_ascii_lowercase());
    if clean {
        return lower;
    }
    let base: String = lower
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let hash = blake3::hash(lower.as_bytes()).to_hex();
    format!("job_{base}_{}", &hash[..8])
}

/// The name a job has in AWS Glue (unique per account and region): the
/// DataStage name, or the stem when the build had to make it unique.
fn glue_job_name(name: &str, stem: &str) -> String {
    if stem == file_stem(name) {
        name.to_string()
    } else {
        stem.to_string()
    }
}

/// A job of the build, as a sequence's workflow refers to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRef {
    pub name: String,
    pub stem: String,
    pub sequence: bool,
}

/// `--job-bookmark-option` and why.
fn bookmarks(g: &Gen) -> (&'static str, String) {
    let mut sources = 0;
    let mut capable = 0;
    for ps in &g.plan.stages {
        if !is_io(&ps.stage.stage_type) || !ps.inputs.is_empty() {
            continue;
        }
        for l in &ps.outputs {
            sources += 1;
            capable += usize::from(io::bookmark_capable(ps.stage, l));
        }
    }
    let replaces = g.plan.stages.iter().any(|ps| {
        is_io(&ps.stage.stage_type) && ps.inputs.iter().any(|l| io::replaces_target(ps.stage, l))
    });
    const ON: &str = "job-bookmark-enable";
    const OFF: &str = "job-bookmark-disable";
    if sources == 0 {
        return (OFF, "off, the job reads no source".into());
    }
    match g.ctx.config.bookmarks.trim() {
        "on" => (ON, "on ([glue] bookmarks = on)".into()),
        "off" => (OFF, "off ([glue] bookmarks = off)".into()),
        _ if capable < sources => (
            OFF,
            format!(
                "off, {} of {sources} sources cannot be bookmarked ([glue] bookmarks = auto)",
                sources - capable
            ),
        ),
        _ if replaces => (
            OFF,
            "off, the job replaces a target: a full refresh ([glue] bookmarks = auto)".into(),
        ),
        _ => (
            ON,
            "on, every source can be bookmarked and every target is appended to ([glue] bookmarks = auto)"
                .into(),
        ),
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
            conns.insert(io::connection_name(g, ps.stage));
        }
    }
    let params = script_params(job);
    // (argument, HCL value): the job's parameters with their defaults,
    // then the connections of servers without a [glue.connections] entry
    // (the job argument the script reads, from the glue_connections map).
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .map(|(_, arg, _, default)| (hcl_str(&format!("--{arg}")), hcl_str(default)))
        .collect();
    for c in &conns {
        if let Some((arg, _)) = &c.argument {
            pairs.push((hcl_str(&format!("--{arg}")), c.hcl.clone()));
        }
    }
    let width = pairs
        .iter()
        .map(|(k, _)| k.len())
        .max()
        .unwrap_or(0)
        .max(36);
    let args: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("    {k:<width$} = {v}"))
        .collect();
    let (bookmarks, bookmarks_why) = bookmarks(g);
    let stem = g.ctx.stem_of(job);
    let data = serde_json::json!({
        "job_name": job.name,
        "category": g.ctx.category,
        "resource": stem_resource(&stem),
        "glue_name": hcl_str(&glue_job_name(&job.name, &stem)),
        "description": hcl_str(&format!("DataStage job {} ({})", job.name, job.folder)),
        "glue_version": g.ctx.config.glue_version,
        "worker_type": g.ctx.config.worker_type,
        "workers": g.ctx.config.number_of_workers,
        "timeout": g.ctx.config.timeout_minutes,
        "max_retries": g.ctx.config.max_retries,
        "connections": conns.iter().map(|c| c.hcl.clone()).collect::<Vec<_>>().join(", "),
        "script": format!("{stem}.py"),
        "bookmarks": bookmarks,
        "bookmarks_why": bookmarks_why,
        "args": args.join("\n"),
    });
    templates.render("job.tf", &data)
}

/// A trigger's resource name within workflow `wf`: `{wf}__{tail}`, the
/// tail without `__` and not starting with `_`, so names of different
/// workflows never meet; unique within the workflow through `seen`.
fn trigger_name(wf: &str, stage: &str, ti: usize, k: usize, seen: &mut BTreeSet<String>) -> String {
    let mut st = String::new();
    for c in resource_name(stage).chars() {
        if !(c == '_' && (st.is_empty() || st.ends_with('_'))) {
            st.push(c);
        }
    }
    let st = st.trim_end_matches('_');
    let mut tail = if st.is_empty() {
        format!("s_{ti}_{k}")
    } else {
        format!("{st}_{ti}_{k}")
    };
    while !seen.insert(tail.clone()) {
        tail.push_str("_x");
    }
    format!("{wf}__{tail}")
}

/// Glue workflow of a sequence (file stem `stem`): triggers for the job
/// activities. `jobs`: every job and sequence of the build. A trigger
/// names a job through its `aws_glue_job` resource when the build made
/// it; otherwise (another export, a nested sequence: a Glue trigger
/// cannot start a workflow) as a string, with a TODO.
pub fn workflow_tf(
    job: &Job,
    stem: &str,
    jobs: &[JobRef],
    templates: &Templates,
) -> (String, Vec<String>) {
    let mut todos = Vec::new();
    let mut ref_todos: BTreeSet<String> = BTreeSet::new();
    let wf = stem_resource(stem);
    let glue_name = glue_job_name(&job.name, stem);
    let by_id = |id: &str| job.stage(id);
    // Activity → (Glue job reference, TODO comment).
    let job_ref = |stage_id: &str| -> Option<(String, Option<String>)> {
        let s = by_id(stage_id)?;
        let a = s.activity.as_ref()?;
        if a.job_name.is_empty() {
            return None;
        }
        let mut found: Vec<&JobRef> = jobs.iter().filter(|j| j.name == a.job_name).collect();
        found.sort_by(|x, y| (x.sequence, &x.stem).cmp(&(y.sequence, &y.stem)));
        Some(match found.first() {
            Some(j) if !j.sequence => {
                let others = found.iter().filter(|o| !o.sequence).count() - 1;
                let todo = (others > 0).then(|| {
                    format!(
                        "job {} is exported {} times: the trigger starts {} (file {}); check it is the one meant",
                        a.job_name,
                        others + 1,
                        glue_job_name(&j.name, &j.stem),
                        j.stem
                    )
                });
                (
                    format!("aws_glue_job.{}.name", stem_resource(&j.stem)),
                    todo,
                )
            }
            Some(j) => (
                hcl_str(&a.job_name),
                Some(format!(
                    "{} runs the sequence {}: a Glue trigger cannot start a workflow (aws_glue_workflow.{}); run it from Step Functions or an EventBridge rule, or inline its jobs",
                    s.name,
                    a.job_name,
                    stem_resource(&j.stem)
                )),
            ),
            None => (
                hcl_str(&a.job_name),
                Some(format!(
                    "{} runs the job {}, which is not in this build (another export?): the trigger names it as a string; deploy that Glue job first",
                    s.name, a.job_name
                )),
            ),
        })
    };
    // (TODO comment line before the block, job reference).
    let mut use_ref = |r: (String, Option<String>), indent: &str| -> (String, String) {
        match r.1 {
            Some(t) => {
                let line = format!("{indent}# TODO(dsmig): {}\n", line_comment(&t));
                ref_todos.insert(t);
                (line, r.0)
            }
            None => (String::new(), r.0),
        }
    };
    let mut triggers = Vec::new();
    let mut seen = BTreeSet::new();
    let incoming: BTreeSet<String> = job
        .stages
        .iter()
        .filter_map(|s| s.activity.as_ref())
        .flat_map(|a| a.triggers.iter().filter_map(|t| t.to_stage.clone()))
        .collect();
    // Start: every job activity nothing triggers.
    let starts: Vec<(String, Option<String>)> = job
        .stages
        .iter()
        .filter(|s| !incoming.contains(&s.id))
        .filter_map(|s| job_ref(&s.id))
        .collect();
    if !starts.is_empty() {
        let actions: Vec<String> = starts
            .into_iter()
            .map(|j| {
                let (todo, r) = use_ref(j, "  ");
                format!("{todo}  actions {{\n    job_name = {r}\n  }}")
            })
            .collect();
        triggers.push(format!(
            "\nresource \"aws_glue_trigger\" \"{wf}__start\" {{\n  name          = {}\n  type          = \"ON_DEMAND\"\n  workflow_name = aws_glue_workflow.{wf}.name\n{}\n}}",
            hcl_str(&format!("{glue_name}-start")),
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
            let targets: Vec<(String, Option<String>)> = match by_id(to) {
                Some(d) if d.stage_type == "Sequencer" => d
                    .activity
                    .iter()
                    .flat_map(|da| da.triggers.iter())
                    .filter_map(|dt| dt.to_stage.as_deref().and_then(job_ref))
                    .collect(),
                _ => job_ref(to).into_iter().collect(),
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
            for (k, target) in targets.into_iter().enumerate() {
                let conds: Vec<String> = states
                    .iter()
                    .map(|st| {
                        let (todo, r) = use_ref(from.clone(), "    ");
                        format!(
                            "{todo}    conditions {{\n      job_name = {r}\n      state    = \"{st}\"\n    }}"
                        )
                    })
                    .collect();
                let name = trigger_name(&wf, &s.name, ti, k, &mut seen);
                let (target_todo, target) = use_ref(target, "  ");
                triggers.push(format!(
                    "\n# {} -> {} ({})\nresource \"aws_glue_trigger\" \"{name}\" {{\n  name          = {}\n  type          = \"CONDITIONAL\"\n  workflow_name = aws_glue_workflow.{wf}.name\n  predicate {{\n    logical = \"ANY\"\n{}\n  }}\n{target_todo}  actions {{\n    job_name = {target}\n  }}\n}}",
                    line_comment(&s.name),
                    line_comment(by_id(to).map_or(to, |d| d.name.as_str())),
                    if t.expression.is_empty() {
                        states.join(" or ").to_ascii_lowercase()
                    } else {
                        line_comment(&t.expression)
                    },
                    hcl_str(&format!("{glue_name}-{}-{ti}-{k}", s.name)),
                    conds.join("\n"),
                ));
            }
        }
    }
    todos.extend(ref_todos.into_iter().map(|t| format!("{}: {t}", job.name)));
    let data = serde_json::json!({
        "job_name": job.name,
        "resource": wf,
        "glue_name": hcl_str(&glue_name),
        "description": hcl_str(&format!("DataStage sequence {} ({})", job.name, job.folder)),
        "triggers": triggers.join("\n"),
    });
    (templates.render("workflow.tf", &data), todos)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Activity, JobKind, Stage, Trigger};

    fn activity(id: &str, name: &str, job: &str, to: Option<&str>) -> Stage {
        Stage {
            id: id.into(),
            name: name.into(),
            stage_type: "JobActivity".into(),
            raw_type: "JSJobActivity".into(),
            properties: Vec::new(),
            transformer: None,
            activity: Some(Activity {
                job_name: job.into(),
                triggers: to
                    .map(|t| Trigger {
                        name: "ok".into(),
                        to_stage: Some(t.into()),
                        condition_type: "2".into(),
                        expression: String::new(),
                    })
                    .into_iter()
                    .collect(),
                ..Default::default()
            }),
            container: None,
            input_pins: Vec::new(),
            output_pins: Vec::new(),
        }
    }

    fn sequence(name: &str, stages: Vec<Stage>) -> Job {
        Job {
            name: name.into(),
            folder: "\\Seq".into(),
            kind: JobKind::Sequence,
            description: String::new(),
            parameters: Vec::new(),
            stages,
            links: Vec::new(),
            annotations: Vec::new(),
            properties: Vec::new(),
            shared_containers: Vec::new(),
        }
    }

    fn r(name: &str, stem: &str, sequence: bool) -> JobRef {
        JobRef {
            name: name.into(),
            stem: stem.into(),
            sequence,
        }
    }

    #[test]
    fn resource_names_from_stems_are_distinct_and_stable() {
        assert_eq!(stem_resource("LoadCustomers"), "loadcustomers");
        assert_eq!(stem_resource("Dim__24ce3e3d77"), "dim__24ce3e3d77");
        let a = stem_resource("a-b");
        let b = stem_resource("a_b");
        let c = stem_resource("a.b");
        assert!(a != b && b != c && a != c, "{a} {b} {c}");
        assert_eq!(a, stem_resource("a-b"));
        assert!(stem_resource("1job").starts_with("job_"));
        assert_eq!(glue_job_name("Load A", "Load_A"), "Load A");
        assert_eq!(glue_job_name("Dim", "Dim__24ce3e3d77"), "Dim__24ce3e3d77");
    }

    #[test]
    fn trigger_names_never_meet_across_workflows() {
        let mut seen = BTreeSet::new();
        let a = trigger_name("a", "b__c", 0, 0, &mut seen);
        let mut seen2 = BTreeSet::new();
        let b = trigger_name("a__b", "c", 0, 0, &mut seen2);
        assert_ne!(a, b);
        let again = trigger_name("a", "b_c", 0, 0, &mut seen);
        assert_ne!(a, again);
    }

    /// A job outside the build, a nested sequence and a job exported twice:
    /// no reference to a resource that does not exist, and a TODO each.
    #[test]
    fn workflow_references_only_resources_that_exist() {
        let seq = sequence(
            "SEQ",
            vec![
                activity("V0S1", "Run_A", "A", Some("V0S2")),
                activity("V0S2", "Run_Child", "CHILD_SEQ", Some("V0S3")),
                activity("V0S3", "Run_Other", "ELSEWHERE", Some("V0S4")),
                activity("V0S4", "Run_Dup", "DUP", None),
            ],
        );
        let jobs = [
            r("A", "A", false),
            r("CHILD_SEQ", "CHILD_SEQ", true),
            r("DUP", "DUP__1111111111", false),
            r("DUP", "DUP__2222222222", false),
            r("SEQ", "SEQ", true),
        ];
        let (tf, todos) = workflow_tf(&seq, "SEQ", &jobs, Templates::embedded());
        assert!(tf.contains("job_name = aws_glue_job.a.name"), "{tf}");
        assert!(
            tf.contains("job_name = aws_glue_job.dup__1111111111.name"),
            "{tf}"
        );
        assert!(!tf.contains("aws_glue_job.child_seq"), "{tf}");
        assert!(!tf.contains("aws_glue_job.elsewhere"), "{tf}");
        assert!(tf.contains("job_name = \"CHILD_SEQ\""), "{tf}");
        assert!(tf.contains("job_name = \"ELSEWHERE\""), "{tf}");
        assert!(
            tf.contains("# TODO(dsmig): Run_Child runs the sequence CHILD_SEQ"),
            "{tf}"
        );
        assert_eq!(todos.len(), 3, "{todos:?}");
        assert!(todos.iter().any(|t| t.contains("DUP is exported 2 times")));
        assert!(todos.iter().any(|t| t.contains("cannot start a workflow")));
        assert!(todos.iter().any(|t| t.contains("not in this build")));
    }
}
