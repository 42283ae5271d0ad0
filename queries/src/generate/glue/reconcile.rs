//! Reconciliation artifacts of a Glue job (issue 20): `reconcile/{stem}.py`,
//! a PySpark job comparing each target DataStage wrote with what the
//! migrated job wrote, and `terraform/{stem}+reconcile.tf`, its
//! `aws_glue_job`. The `+` cannot occur in a file stem (`escape::file_stem`)
//! and `-` cannot occur in a resource name (`terraform::stem_resource`), so
//! neither the file nor the resources can collide with another job's.
//!
//! Everything comes from the IR: the target links, their columns and Spark
//! types, their key columns and write mode. The script imports the migrated
//! job's module for its readers (`read_fields`, `SCHEMAS`, `LAYOUTS`,
//! `resolve_params`), so both sides are read exactly as the job writes
//! them. A target link without key columns is compared as a multiset of
//! rows, and the result says so: no key is guessed. Tolerances are
//! run-time settings (`[reconcile]` of `dsmig.toml`, passed as the
//! `DSMIG_RECONCILE_SETTINGS` argument), never baked in.

use super::io::{self, param_text};
use super::terraform::{glue_job_name, hcl_str, stem_resource};
use super::{Gen, is_io, values};
use crate::escape::{py_comment, py_str};
use crate::generate::templates::Templates;
use crate::ir::{Link, Stage};

/// The two files: (`reconcile/{stem}.py`, `terraform/{stem}+reconcile.tf`).
pub fn files(g: &mut Gen, templates: &Templates) -> Vec<(String, Vec<u8>)> {
    let job = g.job;
    let stem = g.ctx.stem_of(job);
    let targets = targets(g);
    let data = serde_json::json!({
        "job_name": job.name,
        "script": format!("{stem}.py"),
        "job_literal": py_str(&job.name),
        "script_literal": py_str(&format!("{stem}.py")),
        "reconcile_targets": targets,
    });
    let py = templates.render("reconcile.py", &data);
    let resource = format!("{}-reconcile", stem_resource(&stem));
    let tf = serde_json::json!({
        "job_name": job.name,
        "resource": resource,
        "job_resource": stem_resource(&stem),
        "glue_name": hcl_str(&format!("{} (dsmig reconcile)", glue_job_name(&job.name, &stem))),
        "description": hcl_str(&format!("Reconciliation of DataStage job {} with its migration", job.name)),
        "glue_version": g.ctx.config.glue_version,
        "worker_type": g.ctx.config.worker_type,
        "workers": g.ctx.config.number_of_workers,
        "timeout": g.ctx.config.timeout_minutes,
        "script": format!("{stem}.py"),
    });
    let tf = templates.render("reconcile.tf", &tf);
    vec![
        ("reconcile/{stem}.py".into(), py.into_bytes()),
        ("terraform/{stem}+reconcile.tf".into(), tf.into_bytes()),
    ]
}

/// The `TARGETS` entries: one per link the job writes (the links `main()`
/// writes, and links that go nowhere, which are not comparable).
fn targets(g: &mut Gen) -> String {
    let layouts: Vec<String> = io::field_layouts(g)
        .iter()
        .filter(|(_, reading, _)| !reading)
        .map(|(l, _, _)| l.id.clone())
        .collect();
    let mut out = Vec::new();
    let stages = g.plan.stages.clone();
    for ps in &stages {
        let st = ps.stage;
        if is_io(&st.stage_type) {
            for l in &ps.inputs {
                let (storage, location) = storage(g, st, l, &layouts);
                out.push(entry(g, l, st, storage, location));
            }
        } else {
            for l in &ps.outputs {
                if l.to_stage.is_none() {
                    out.push(entry(
                        g,
                        l,
                        st,
                        Storage::None(
                            "the link goes to no stage in the export: nothing is written",
                        ),
                        String::new(),
                    ));
                }
            }
        }
    }
    out.join("\n")
}

enum Storage {
    Text,
    Parquet,
    Table,
    None(&'static str),
}

/// How a target is stored and the Python expression of its location (a
/// DataStage file path or a table name, with the job's parameters).
fn storage(g: &Gen, st: &Stage, l: &Link, layouts: &[String]) -> (Storage, String) {
    if crate::stages::audit::is_database(&st.stage_type)
        && !crate::stages::stage_guesses(g.job, st).is_empty()
    {
        return (
            Storage::None("the write would guess (see the job's TODOs)"),
            String::new(),
        );
    }
    match st.stage_type.as_str() {
        "SequentialFile" if layouts.contains(&l.id) => {
            (Storage::Text, param_text(&io::file_path(st, l, false)))
        }
        "SequentialFile" => (
            Storage::None("the file layout is not translated (see the job's TODOs)"),
            String::new(),
        ),
        "DataSet" | "FileSet" | "LookupFileSet" | "HashedFile" => {
            (Storage::Parquet, param_text(&io::file_path(st, l, false)))
        }
        _ => match crate::stages::props::db_table(st, l, false).0 {
            Some(t) => (Storage::Table, param_text(&t)),
            None => (
                Storage::None("no table name in the export (see the job's TODOs)"),
                String::new(),
            ),
        },
    }
}

fn entry(g: &Gen, l: &Link, st: &Stage, storage: Storage, location: String) -> String {
    let (kind, why) = match storage {
        Storage::Text => ("text", None),
        Storage::Parquet => ("parquet", None),
        Storage::Table => ("table", None),
        Storage::None(why) => ("none", Some(why)),
    };
    let mut keyed: Vec<&crate::ir::Column> =
        l.columns.iter().filter(|c| c.key_position > 0).collect();
    keyed.sort_by_key(|c| c.key_position);
    let keys: Vec<String> = keyed.iter().map(|c| py_str(&c.name)).collect();
    let columns: Vec<String> = l
        .columns
        .iter()
        .map(|c| {
            format!(
                "({}, {}, {})",
                py_str(&c.name),
                py_str(&values::spark_type(c)),
                if c.nullable { "True" } else { "False" }
            )
        })
        .collect();
    let write_mode = write_mode(st, l);
    let location = if location.is_empty() {
        "None".to_string()
    } else {
        location
    };
    format!(
        "    # Link {} -> {} {}\n    {}: {{\n        \"stage\": {},\n        \"storage\": {},\n        \"why\": {},\n        \"location\": lambda params: {location},\n        \"keys\": [{}],\n        \"columns\": [\n{}        ],\n        \"write_mode\": {},\n    }},",
        py_comment(&l.name),
        py_comment(&st.stage_type),
        py_comment(&st.name),
        py_str(g.key(l)),
        py_str(&st.name),
        py_str(kind),
        why.map_or("None".into(), py_str),
        keys.join(", "),
        columns
            .iter()
            .map(|c| format!("            {c},\n"))
            .collect::<String>(),
        py_str(&write_mode),
    )
}

/// The write mode as DataStage names it: what a reader of the result needs
/// to judge an `append` target (the legacy side holds earlier rows too).
fn write_mode(st: &Stage, l: &Link) -> String {
    use crate::stages::props;
    if super::super::sql::is_file(&st.stage_type) {
        let append = props::text(&l.target_properties, "append\\overwrite")
            .is_some_and(|v| v.trim() == "append")
            || props::text(&l.target_properties, "Append").is_some_and(|v| v.trim() == "1");
        return if append { "append" } else { "overwrite" }.into();
    }
    if !is_io(&st.stage_type) {
        return "not written".into();
    }
    let w = props::DbWrite::of(st);
    format!(
        "WriteMode {}{}",
        w.write_mode,
        if w.truncates() {
            ", truncated first"
        } else {
            ""
        }
    )
}
