//! Shared by the `sql_*` tests: generate the SQL files of a set of jobs in
//! one dialect into a folder, and parse every file with sqlglot (one Python
//! process for all).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use queries::expr::translate::Dialect;
use queries::generate::sql::{SqlContext, sequence, sql_job_files, sql_shared_files};
use queries::ir::{Job, JobKind};

#[allow(unused_imports)]
pub use crate::glue::{out_dir, python, read_jobs};

pub struct Generated {
    /// stem → (job name, category, kind)
    pub jobs: BTreeMap<String, (String, String, JobKind)>,
    pub files: usize,
}

/// Every job's files in `dialect` under `dir`.
pub fn generate(jobs: &[(Job, String, String)], dialect: Dialect, dir: &Path) -> Generated {
    let pairs: Vec<(String, String)> = jobs
        .iter()
        .map(|(j, _, h)| (j.name.clone(), h.clone()))
        .collect();
    let stems = queries::engine::materialize::stems(&pairs);
    let all: Vec<(String, String)> = jobs
        .iter()
        .zip(&stems)
        .map(|((j, _, _), s)| (j.name.clone(), s.clone()))
        .collect();
    let mut out = Generated {
        jobs: BTreeMap::new(),
        files: 0,
    };
    let mut write = |rel: &str, stem: &str, bytes: &[u8]| {
        let p = dir.join(rel.replace("{stem}", stem));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
        out.files += 1;
    };
    let base = SqlContext::new(dialect);
    for (rel, bytes) in sql_shared_files(&base) {
        write(&rel, "", &bytes);
    }
    for ((job, cat, _), stem) in jobs.iter().zip(&stems) {
        let ctx = SqlContext {
            category: cat.clone(),
            strategy: "rule-based".into(),
            stem: Some(stem.clone()),
            ..base.clone()
        };
        let g = if job.kind == JobKind::Sequence {
            sequence::files(job, &all, dialect)
        } else {
            sql_job_files(job, &ctx)
        };
        for (rel, bytes) in &g.files {
            write(rel, stem, bytes);
        }
    }
    for ((job, cat, _), stem) in jobs.iter().zip(&stems) {
        out.jobs
            .insert(stem.clone(), (job.name.clone(), cat.clone(), job.kind));
    }
    out
}

pub struct ParseResult {
    pub files: u64,
    pub statements: u64,
    pub failures: BTreeMap<String, String>,
}

/// Parse every `.sql` under `root/<dialect>/` with sqlglot.
pub fn parse_all(root: &Path) -> ParseResult {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/harness/check_sql_files.py");
    let out = Command::new(python())
        .arg(script)
        .arg(root)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "sqlglot harness failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("harness JSON");
    ParseResult {
        files: v["files"].as_u64().unwrap_or(0),
        statements: v["statements"].as_u64().unwrap_or(0),
        failures: v["failures"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                    .collect()
            })
            .unwrap_or_default(),
    }
}
