//! Terraform: one `aws_glue_job` (and the `aws_s3_object` uploading its
//! script) per job, shared variables and provider (a sequence's state
//! machine: `orchestration.rs`).
//!
//! Resource names come from the job's file stem, which the build makes
//! unique (same-named jobs get a hash suffix), so no two resources of the
//! `terraform/` folder share an address.

use std::collections::BTreeSet;

use super::{Gen, io, is_io, py_ident, script_params};
use crate::generate::templates::Templates;

use crate::escape::file_stem;
pub use crate::escape::hcl_str;

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
pub(crate) fn glue_job_name(name: &str, stem: &str) -> String {
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
    let (bookmarks, bookmarks_why) = bookmarks(g);
    // Glue's own arguments first, then the job's; one column of `=` for
    // all (as `terraform fmt` aligns them).
    let mut pairs: Vec<(String, String)> = vec![
        (hcl_str("--job-language"), hcl_str("python")),
        (hcl_str("--job-bookmark-option"), hcl_str(bookmarks)),
        (hcl_str("--enable-metrics"), hcl_str("true")),
        (
            hcl_str("--enable-continuous-cloudwatch-log"),
            hcl_str("true"),
        ),
        (hcl_str("--TempDir"), "local.temp_dir".into()),
        (hcl_str("--DSMIG_DATA_ROOT"), "var.data_root".into()),
    ];
    pairs.extend(
        params
            .iter()
            .map(|(_, arg, _, default)| (hcl_str(&format!("--{arg}")), hcl_str(default))),
    );
    for c in &conns {
        if let Some((arg, _)) = &c.argument {
            pairs.push((hcl_str(&format!("--{arg}")), c.hcl.clone()));
        }
    }
    let width = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let args: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("    {k:<width$} = {v}"))
        .collect();
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
