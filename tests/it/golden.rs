//! Golden tests that dsmig does not grade itself: every case under
//! `tests/golden/<case>/` holds a hand-written DataStage export, the files
//! the job reads and the files DataStage writes, worked out by hand from
//! IBM's documentation (see the case's README.md). The test builds every
//! case with the real binary for both targets, runs the generated Glue job
//! (its `main()`, on local Spark through the awsglue stand-in's readers and
//! the job's writers) and the generated PostgreSQL files (DDL, the load
//! step's `\copy`, the script, the unload step) on the real server, then
//! compares the written files with the expected ones after the
//! normalisations of tests/golden/README.md.
//!
//! Cases that dsmig still gets wrong are listed in
//! tests/golden/EXPECTED_FAILURES.md (case, target, diagnosis): the test
//! fails on a failure that is not listed (a regression) and on a listed
//! failure that now passes (keep the list true). Run with --nocapture for
//! the table. Skips a target whose tools (DSMIG_PYTHON with pyspark,
//! DSMIG_PG with psql) are missing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value as Json;

const TARGETS: [&str; 2] = ["glue", "postgres"];

struct Case {
    name: String,
    dir: PathBuf,
    job: String,
    unordered: BTreeSet<String>,
    params: BTreeMap<String, String>,
}

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(golden_dir())
        .expect("tests/golden exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("case.json").is_file())
        .collect();
    dirs.sort();
    for dir in dirs {
        let text = std::fs::read_to_string(dir.join("case.json")).expect("read case.json");
        let j: Json = serde_json::from_str(&text).expect("case.json is JSON");
        let strings = |v: &Json| -> Vec<String> {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        };
        let params = j["params"]
            .as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                    .collect()
            })
            .unwrap_or_default();
        out.push(Case {
            name: dir
                .file_name()
                .expect("case dir name")
                .to_string_lossy()
                .into_owned(),
            job: j["job"].as_str().expect("case.json job").to_string(),
            unordered: strings(&j["unordered"]).into_iter().collect(),
            params,
            dir,
        });
    }
    out
}

/// (case, target) → diagnosis, from the table of EXPECTED_FAILURES.md.
fn expected_failures() -> BTreeMap<(String, String), String> {
    let text = std::fs::read_to_string(golden_dir().join("EXPECTED_FAILURES.md"))
        .expect("tests/golden/EXPECTED_FAILURES.md");
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // | case | target | diagnosis |
        if cells.len() >= 4 && TARGETS.contains(&cells[2]) {
            out.insert(
                (cells[1].trim_matches('`').to_string(), cells[2].to_string()),
                cells[3].to_string(),
            );
        }
    }
    out
}

fn tool_ok(cmd: &mut Command) -> bool {
    cmd.output().map(|o| o.status.success()).unwrap_or(false)
}

fn pg_env(cmd: &mut Command, conn: &str) {
    for part in conn.split_whitespace() {
        if let Some((k, v)) = part.split_once('=') {
            let var = match k {
                "host" => "PGHOST",
                "port" => "PGPORT",
                "user" => "PGUSER",
                "dbname" => "PGDATABASE",
                "password" => "PGPASSWORD",
                _ => continue,
            };
            cmd.env(var, v);
        }
    }
}

fn build(cases: &[Case], out: &Path, extra: &[&str]) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dsmig"));
    cmd.current_dir(out.parent().expect("out has a parent"))
        .arg("build")
        .args(cases.iter().map(|c| c.dir.join("export")))
        .arg("--output-dir")
        .arg(out)
        .arg("--store")
        .arg(out.with_extension("store"))
        .arg("--no-llm")
        .args(extra);
    let o = cmd.output().expect("dsmig runs");
    assert!(
        o.status.success(),
        "dsmig build {extra:?} failed:\n{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The case's input files copied into a fresh run folder (the job's #DIR#).
fn run_dir(root: &Path, case: &Case) -> PathBuf {
    let d = root.join(&case.name);
    std::fs::create_dir_all(&d).expect("mkdir run dir");
    if let Ok(rd) = std::fs::read_dir(case.dir.join("input")) {
        for e in rd.flatten() {
            std::fs::copy(e.path(), d.join(e.file_name())).expect("copy input");
        }
    }
    d
}

/// Run a harness script; its last stdout line is a JSON object per case.
fn harness(python: &str, script: &str, jobs: &Json, work: &Path, pg: Option<&str>) -> Json {
    let spec = work.join(format!("{script}.json"));
    // (one file per harness: the two targets run at the same time)
    std::fs::write(&spec, jobs.to_string()).expect("write harness input");
    let mut cmd = Command::new(python);
    cmd.arg(golden_dir().join(script)).arg(&spec);
    if let Some(conn) = pg {
        cmd.env("DSMIG_PG", conn);
    }
    let o = cmd.output().expect("run harness");
    let stdout = String::from_utf8_lossy(&o.stdout);
    let last = stdout.lines().rev().find(|l| l.starts_with('{'));
    match last.and_then(|l| serde_json::from_str(l).ok()) {
        Some(j) => j,
        None => panic!(
            "{script} gave no result:\n{stdout}\n{}",
            String::from_utf8_lossy(&o.stderr)
        ),
    }
}

/// A written file: a plain file, or Spark's folder of part files
/// concatenated in part order.
fn written(path: &Path) -> Option<String> {
    if path.is_file() {
        return std::fs::read_to_string(path).ok();
    }
    let mut parts: Vec<PathBuf> = std::fs::read_dir(path)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("part-"))
        })
        .collect();
    parts.sort();
    let mut s = String::new();
    for p in parts {
        s.push_str(&std::fs::read_to_string(p).ok()?);
    }
    Some(s)
}

/// The normalisations of tests/golden/README.md.
fn normalise(text: &str, unordered: bool) -> String {
    let text = text.replace("\r\n", "\n");
    if !unordered {
        return text;
    }
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort_unstable();
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// Job name → dsmig's category (AUTO, SEMI-AUTO, MANUAL), from the
/// build's generation_report.json.
fn categories(report: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(report).unwrap_or_default();
    let j: Json = serde_json::from_str(&text).unwrap_or(Json::Null);
    j["jobs"]
        .as_array()
        .map(|jobs| {
            jobs.iter()
                .filter_map(|x| {
                    Some((
                        x["job"].as_str()?.to_string(),
                        x["category"].as_str()?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

type Outcomes = BTreeMap<(String, String), Option<String>>;

/// Build the Glue target, run every job's main() on local Spark, compare.
/// Also returns the categories of the build's generation report.
fn run_glue(cases: &[Case], work: &Path, python: &str) -> (Outcomes, BTreeMap<String, String>) {
    let mut results = Outcomes::new();
    let glue_out = work.join("glue");
    build(cases, &glue_out, &[]);
    let mut jobs = Vec::new();
    for c in cases {
        let script = glue_out.join(format!("glue_jobs/{}.py", c.job));
        if !script.is_file() {
            results.insert(
                (c.name.clone(), "glue".into()),
                Some("no glue_jobs script generated".into()),
            );
            continue;
        }
        let dir = run_dir(&work.join("run_glue"), c);
        jobs.push(serde_json::json!({
            "case": c.name, "script": script, "job": c.job, "dir": dir,
            "params": c.params, "glue_root": glue_out.join("tests"),
        }));
    }
    let categories = categories(&glue_out.join("generation_report.json"));
    let res = harness(python, "run_glue.py", &Json::Array(jobs), work, None);
    for c in cases {
        let key = (c.name.clone(), "glue".to_string());
        if results.contains_key(&key) {
            continue;
        }
        let outcome = match res[&c.name]["error"].as_str() {
            Some(e) => Some(format!("run: {e}")),
            None => compare(c, &work.join("run_glue").join(&c.name)),
        };
        results.insert(key, outcome);
    }
    (results, categories)
}

/// Build the PostgreSQL target, run DDL, loads, script and unloads with
/// psql on the server of `conn`, compare.
fn run_postgres(cases: &[Case], work: &Path, python: &str, conn: &str) -> Outcomes {
    let mut results = Outcomes::new();
    let sql_out = work.join("sql");
    build(
        cases,
        &sql_out,
        &["--target", "sql", "--dialect", "postgres"],
    );
    let mut jobs = Vec::new();
    for c in cases {
        if !sql_out.join(format!("sql/{}.sql", c.job)).is_file() {
            results.insert(
                (c.name.clone(), "postgres".into()),
                Some("no sql script generated".into()),
            );
            continue;
        }
        let dir = run_dir(&work.join("run_pg"), c);
        jobs.push(serde_json::json!({
            "case": c.name, "stem": c.job, "job": c.job, "dir": dir,
            "out": sql_out, "params": c.params,
        }));
    }
    let res = harness(python, "run_pg.py", &Json::Array(jobs), work, Some(conn));
    for c in cases {
        let key = (c.name.clone(), "postgres".to_string());
        if results.contains_key(&key) {
            continue;
        }
        let outcome = match res[&c.name]["error"].as_str() {
            Some(e) => Some(format!("run: {e}")),
            None => compare(c, &work.join("run_pg").join(&c.name)),
        };
        results.insert(key, outcome);
    }
    results
}

/// None = pass, Some(reason) = fail.
fn compare(case: &Case, dir: &Path) -> Option<String> {
    let mut expected: Vec<PathBuf> = std::fs::read_dir(case.dir.join("expected"))
        .expect("expected folder")
        .flatten()
        .map(|e| e.path())
        .collect();
    expected.sort();
    for e in expected {
        let name = e
            .file_name()
            .expect("file name")
            .to_string_lossy()
            .into_owned();
        let want = std::fs::read_to_string(&e).expect("read expected");
        let Some(got) = written(&dir.join(&name)) else {
            return Some(format!("{name} not written"));
        };
        let unordered = case.unordered.contains(&name);
        let (w, g) = (normalise(&want, unordered), normalise(&got, unordered));
        if w != g {
            return Some(format!("{name}: expected {w:?}, got {g:?}"));
        }
    }
    None
}

#[test]
fn golden_cases() {
    let started = std::time::Instant::now();
    let cases = cases();
    assert!(cases.len() >= 30, "only {} golden cases", cases.len());
    let python = std::env::var("DSMIG_PYTHON")
        .ok()
        .filter(|p| tool_ok(Command::new(p).args(["-c", "import pyspark"])));
    let pg = std::env::var("DSMIG_PG").ok().filter(|c| {
        let mut cmd = Command::new("psql");
        cmd.args(["-X", "-q", "-c", "SELECT 1"]);
        pg_env(&mut cmd, c);
        tool_ok(&mut cmd)
    });
    let Some(python) = python else {
        eprintln!("golden: skipped (DSMIG_PYTHON with pyspark not available; run scripts/test)");
        return;
    };
    // $DSMIG_GOLDEN_KEEP: run in that folder and keep it (generated code,
    // run folders with the written files) for inspection.
    let tmp = tempfile::tempdir().expect("tempdir");
    let kept = std::env::var("DSMIG_GOLDEN_KEEP").ok().map(PathBuf::from);
    if let Some(k) = &kept {
        let _ = std::fs::remove_dir_all(k);
        std::fs::create_dir_all(k).expect("create DSMIG_GOLDEN_KEEP");
    }
    let work = kept.as_deref().unwrap_or(tmp.path());

    // The two targets side by side: each builds and runs on its own.
    let (glue, postgres) = std::thread::scope(|scope| {
        let g = scope.spawn(|| run_glue(&cases, work, &python));
        let p = scope.spawn(|| {
            pg.as_deref()
                .map(|conn| run_postgres(&cases, work, &python, conn))
        });
        (
            g.join().expect("glue thread"),
            p.join().expect("postgres thread"),
        )
    });
    let (glue_results, categories) = glue;
    let mut results = glue_results;
    match postgres {
        Some(r) => results.extend(r),
        None => {
            eprintln!("golden: PostgreSQL skipped (DSMIG_PG not set or the server does not answer)")
        }
    }

    // Table and verdict
    let listed = expected_failures();
    let mut regressions = Vec::new();
    let mut fixed = Vec::new();
    let mut passes: BTreeMap<&str, usize> = BTreeMap::new();
    eprintln!("\n| case | category | glue | postgres |\n|---|---|---|---|");
    for c in &cases {
        let category = categories.get(&c.job).map_or("?", String::as_str);
        let mut row = format!("| {} | {category} |", c.name);
        for t in TARGETS {
            let key = (c.name.clone(), t.to_string());
            let cell = match results.get(&key) {
                None => "skipped".to_string(),
                Some(None) => {
                    *passes.entry(t).or_default() += 1;
                    if listed.contains_key(&key) {
                        fixed.push(format!("{} × {t}", c.name));
                        "PASS (listed as failing!)".to_string()
                    } else {
                        "pass".to_string()
                    }
                }
                Some(Some(why)) => {
                    if !listed.contains_key(&key) {
                        regressions.push(format!("{} × {t}: {why}", c.name));
                        "FAIL (not listed)".to_string()
                    } else {
                        "fail (listed)".to_string()
                    }
                }
            };
            row.push_str(&format!(" {cell} |"));
        }
        eprintln!("{row}");
    }
    for t in TARGETS {
        eprintln!(
            "golden: {t}: {}/{} cases pass",
            passes.get(t).copied().unwrap_or(0),
            cases.len()
        );
    }
    for ((case, t), why) in &results {
        if let Some(why) = why {
            eprintln!("golden: {case} × {t}: {why}");
        }
    }
    eprintln!("golden: {:.0?}", started.elapsed());
    assert!(
        regressions.is_empty() && fixed.is_empty(),
        "golden: failures not in tests/golden/EXPECTED_FAILURES.md:\n  {}\nlisted failures that now pass (remove them from the list):\n  {}",
        regressions.join("\n  "),
        fixed.join("\n  ")
    );
}
