//! Shared by the `glue_*` tests: generate the Glue files of a set of jobs
//! into a folder, then check them with ONE Python process per check
//! (py_compile, python-hcl2, pytest).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use queries::generate::{GlueContext, glue_job_files, glue_shared_files, sequence_files};
use queries::ir::{Entity, Job, JobKind};

pub use crate::common::python;

/// Jobs of the exports under `paths` with their categories.
pub fn read_jobs(paths: &[PathBuf]) -> Vec<(Job, String, String)> {
    let read = queries::parse::input::read_paths(paths, &queries::parse::Limits::default());
    let inv = queries::inventory::build(&read, &Default::default());
    let mut cats: BTreeMap<String, String> = BTreeMap::new();
    for r in &inv.jobs {
        cats.insert(r.hash.clone(), r.category.clone());
    }
    let mut seen = std::collections::BTreeSet::new();
    read.entities
        .iter()
        .filter_map(|l| match &l.entity {
            Entity::Job(j) if seen.insert(l.hash.hex()) => Some((
                j.clone(),
                cats.get(&l.hash.hex()).cloned().unwrap_or_default(),
                l.hash.hex(),
            )),
            _ => None,
        })
        .collect()
}

/// A fresh temporary folder, or `$DSMIG_GLUE_KEEP/<label>` (kept for
/// inspection) when that variable is set.
pub enum OutDir {
    Temp(tempfile::TempDir),
    Kept(PathBuf),
}

impl OutDir {
    pub fn path(&self) -> &Path {
        match self {
            OutDir::Temp(t) => t.path(),
            OutDir::Kept(p) => p,
        }
    }
}

pub fn out_dir(label: &str) -> OutDir {
    match std::env::var("DSMIG_GLUE_KEEP") {
        Ok(root) => {
            let p = PathBuf::from(root).join(label.replace(' ', "_"));
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir_all(&p).unwrap();
            OutDir::Kept(p)
        }
        Err(_) => OutDir::Temp(tempfile::tempdir().unwrap()),
    }
}

pub struct Generated {
    /// stem → (job name, category, kind)
    pub jobs: BTreeMap<String, (String, String, JobKind)>,
    pub todos: usize,
    /// Stems of jobs whose generation left TODOs (placeholders, scaffolds).
    pub with_todos: std::collections::BTreeSet<String>,
}

/// Write every job's files under `dir` (stems as materialize chooses them).
pub fn generate(jobs: &[(Job, String, String)], dir: &Path) -> Generated {
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
        todos: 0,
        with_todos: Default::default(),
    };
    let write = |rel: &str, stem: &str, bytes: &[u8]| {
        let p = dir.join(rel.replace("{stem}", stem));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    };
    for (rel, bytes) in glue_shared_files(&Default::default()) {
        write(&rel, "", &bytes);
    }
    for ((job, cat, _), stem) in jobs.iter().zip(&stems) {
        let ctx = GlueContext {
            category: cat.clone(),
            strategy: "rule-based".into(),
            ..Default::default()
        };
        let g = if job.kind == JobKind::Sequence {
            sequence_files(job, &all)
        } else {
            glue_job_files(job, &ctx)
        };
        out.todos += g.todos.len();
        if !g.todos.is_empty() {
            out.with_todos.insert(stem.clone());
        }
        for (rel, bytes) in &g.files {
            write(rel, stem, bytes);
        }
        out.jobs
            .insert(stem.clone(), (job.name.clone(), cat.clone(), job.kind));
    }
    out
}

fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().expect("run python");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

pub fn py_compile_all(dir: &Path) {
    let script = r#"
import py_compile, sys, pathlib
bad = []
for p in sorted(pathlib.Path(sys.argv[1]).rglob("*.py")):
    try:
        py_compile.compile(str(p), doraise=True)
    except py_compile.PyCompileError as e:
        bad.append(str(e))
print("\n".join(bad))
sys.exit(1 if bad else 0)
"#;
    let (ok, text) = run(Command::new(python()).arg("-c").arg(script).arg(dir));
    assert!(ok, "generated Python does not compile:\n{text}");
}

pub fn hcl_parse_all(dir: &Path) -> usize {
    let script = r#"
import hcl2, sys, pathlib
bad = []
n = 0
for p in sorted(pathlib.Path(sys.argv[1]).rglob("*.tf")):
    n += 1
    try:
        with open(p) as f:
            hcl2.load(f)
    except Exception as e:
        bad.append("%s: %s" % (p, e))
print(n)
print("\n".join(bad))
sys.exit(1 if bad else 0)
"#;
    let (ok, text) = run(Command::new(python()).arg("-c").arg(script).arg(dir));
    assert!(ok, "generated Terraform does not parse:\n{text}");
    text.lines()
        .next()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0)
}

/// Run pytest once over `dir/tests`; per stem: (passed, failed) tests, and
/// the failure output.
pub fn pytest(dir: &Path) -> (BTreeMap<String, (usize, usize)>, String) {
    let report = dir.join("junit.xml");
    let (_, text) = run(Command::new(python())
        .args([
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--tb=line",
            "-rf",
        ])
        .arg(format!("--junitxml={}", report.display()))
        .arg(dir.join("tests"))
        .current_dir(dir));
    let xml =
        std::fs::read_to_string(&report).unwrap_or_else(|_| panic!("pytest did not run:\n{text}"));
    let mut per: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    // <testcase classname="test_STEM" name="test_x" ...> followed by <failure or <error, or />
    for chunk in xml.split("<testcase ").skip(1) {
        let classname = chunk
            .split("classname=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or("");
        let classname = classname.strip_prefix("tests.").unwrap_or(classname);
        let stem = classname
            .strip_prefix("test_")
            .unwrap_or(classname)
            .to_string();
        let head_end = chunk.find('>').unwrap_or(0);
        let self_closing = chunk[..head_end].ends_with('/');
        let failed = !self_closing && {
            let body = &chunk[head_end..];
            let body = body.split("</testcase>").next().unwrap_or("");
            body.contains("<failure") || body.contains("<error")
        };
        let e = per.entry(stem).or_default();
        if failed { e.1 += 1 } else { e.0 += 1 }
    }
    (per, text)
}
