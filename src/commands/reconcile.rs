//! `dsmig reconcile [JOB…] --legacy LOCATION --migrated LOCATION`: runs
//! the generated comparisons (`reconcile/<job>.py` on local Spark,
//! `reconcile/<job>.sql` on PostgreSQL), prints a verdict per job and
//! stores it (`queries::reconcile::Verdict`) for `explain` and the report.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use queries::config::Config;
use queries::reconcile::{MATCH, MISMATCH, NOT_COMPARABLE, Verdict};
use queries::store::Store;
use serde_json::Value;

use crate::cli::ReconcileArgs;
use crate::console_table::{Align, Col, render, terminal_width};

/// One job of the last build that has a comparison.
struct JobEntry {
    name: String,
    ir: String,
    /// `reconcile/<stem>.py` or `.sql`, relative to the output folder.
    script: String,
    stem: String,
}

pub fn run(config: &Config, args: &ReconcileArgs) -> Result<i32, String> {
    let settings = serde_json::to_string(&config.reconcile).map_err(|e| e.to_string())?;
    if args.print_settings {
        println!("{settings}");
        return Ok(0);
    }
    let (Some(legacy), Some(migrated)) = (&args.legacy, &args.migrated) else {
        return Err("--legacy and --migrated are both needed".into());
    };
    let target = args
        .target
        .clone()
        .unwrap_or_else(|| config.generation.target.clone());
    let sql = match target.split(':').next().unwrap_or("") {
        "glue" => false,
        "sql" => true,
        other => return Err(format!("--target {other}: glue or sql")),
    };
    let out = args
        .output_dir
        .clone()
        .unwrap_or_else(|| config.generation.output_dir.clone());
    let jobs = jobs_of(&out, sql, &args.jobs)?;
    let mut verdicts: Vec<(Verdict, Value)> = if sql {
        run_sql(&out, &jobs, legacy, migrated, args.pg.as_deref())?
    } else {
        run_glue(&out, &jobs, legacy, migrated, &settings, args)?
    };
    verdicts.sort_by(|a, b| a.0.job.cmp(&b.0.job));
    let store_dir = args
        .store
        .clone()
        .unwrap_or_else(|| config.store.path.clone());
    let store = Store::open(&store_dir, args.wait).map_err(|e| e.to_string())?;
    for (v, _) in &verdicts {
        store
            .put_reconciliation(&v.job, &v.encode())
            .map_err(|e| e.to_string())?;
    }
    if args.json {
        let list: Vec<Value> = verdicts
            .iter()
            .map(|(v, detail)| {
                serde_json::json!({"job": v.job, "target": v.target, "verdict": v.verdict, "rows": v.rows,
                    "differences": v.differences, "why": v.why, "ir": v.ir, "data": v.data, "detail": detail})
            })
            .collect();
        let text =
            serde_json::to_string_pretty(&serde_json::json!({"format_version": 1, "jobs": list}))
                .map_err(|e| e.to_string())?;
        super::emit(None, &(text + "\n"))?;
    } else {
        super::emit(None, &table(&verdicts))?;
    }
    let any = |s: &str| verdicts.iter().any(|(v, _)| v.verdict == s);
    Ok(if !args.detailed_exitcode {
        0
    } else if any(MISMATCH) {
        2
    } else if any(NOT_COMPARABLE) {
        3
    } else {
        0
    })
}

/// The verdict table: one line per job, at most 80 columns wide.
fn table(verdicts: &[(Verdict, Value)]) -> String {
    let cols = [
        Col::new("JOB", Align::LeftKeepEnds).shrink(2, 12),
        Col::new("VERDICT", Align::Left),
        Col::new("ROWS", Align::Right),
        Col::new("DIFFERENCES", Align::Left).shrink(1, 20),
    ];
    let rows: Vec<Vec<String>> = verdicts
        .iter()
        .map(|(v, _)| {
            let diffs = if let Some(why) = &v.why {
                why.clone()
            } else {
                v.differences
                    .iter()
                    .map(|(k, n)| format!("{k}: {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            vec![v.job.clone(), v.verdict.clone(), v.rows.to_string(), diffs]
        })
        .collect();
    let count = |s: &str| verdicts.iter().filter(|(v, _)| v.verdict == s).count();
    format!(
        "{}\n{} job(s): {} match, {} mismatch, {} not comparable\n",
        render(&cols, &rows, terminal_width().min(80)).trim_end(),
        verdicts.len(),
        count(MATCH),
        count(MISMATCH),
        count(NOT_COMPARABLE)
    )
}

/// The jobs of the last build into `out` that have a comparison file,
/// from its generation report; `wanted` (names) narrows them.
fn jobs_of(out: &Path, sql: bool, wanted: &[String]) -> Result<Vec<JobEntry>, String> {
    let report = out.join(if sql {
        "generation_report.sql.json"
    } else {
        "generation_report.json"
    });
    let text = std::fs::read_to_string(&report).map_err(|e| {
        format!(
            "{}: {e} (run `dsmig build{}` into {} first)",
            report.display(),
            if sql { " --target sql" } else { "" },
            out.display()
        )
    })?;
    let json: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", report.display()))?;
    let ext = if sql { ".sql" } else { ".py" };
    let mut jobs = Vec::new();
    for j in json["jobs"].as_array().into_iter().flatten() {
        let name = j["job"].as_str().unwrap_or("").to_string();
        let script = j["files"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f["path"].as_str())
            .find(|p| p.starts_with("reconcile/") && p.ends_with(ext));
        if let Some(script) = script {
            let stem = script["reconcile/".len()..script.len() - ext.len()].to_string();
            jobs.push(JobEntry {
                name,
                ir: j["ir"].as_str().unwrap_or("").to_string(),
                script: script.to_string(),
                stem,
            });
        }
    }
    if wanted.is_empty() {
        return Ok(jobs);
    }
    let unknown: Vec<&String> = wanted
        .iter()
        .filter(|w| !jobs.iter().any(|j| &j.name == *w))
        .collect();
    if !unknown.is_empty() {
        return Err(format!(
            "no comparison for {} in {} (jobs that write something get reconcile/<job>{ext} from `dsmig build`)",
            unknown
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            out.display()
        ));
    }
    jobs.retain(|j| wanted.contains(&j.name));
    Ok(jobs)
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `NAME=VALUE` pairs as the Glue job's arguments (`--ARG VALUE`; the
/// argument name as the generated job derives it from the parameter name).
fn param_args(pairs: &[String], prefix: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for p in pairs {
        let Some((name, value)) = p.split_once('=') else {
            return Err(format!("{p}: NAME=VALUE expected"));
        };
        let mut arg = queries::generate::glue::py_ident(&name.trim().replace('.', "_"));
        if arg == "JOB_NAME" {
            arg = "DS_JOB_NAME".into();
        }
        out.push(format!("--{prefix}{arg}"));
        out.push(value.to_string());
    }
    Ok(out)
}

/// Runs every job's comparison in one Python process (one Spark session).
const DRIVER: &str = r#"
import importlib.util, json, sys
runs = json.load(open(sys.argv[1], encoding="utf-8"))
results = []
for i, r in enumerate(runs):
    try:
        spec = importlib.util.spec_from_file_location("dsmig_reconcile_%d" % i, r["script"])
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        results.append(module.main(r["argv"]))
    except Exception as e:
        results.append({"job": r["job"], "verdict": "not comparable", "rows": 0, "targets": [],
                        "error": "%s: %s" % (type(e).__name__, str(e).splitlines()[0] if str(e) else "")})
with open(sys.argv[2], "w", encoding="utf-8") as f:
    json.dump(results, f, default=str)
"#;

fn run_glue(
    out: &Path,
    jobs: &[JobEntry],
    legacy: &str,
    migrated: &str,
    settings: &str,
    args: &ReconcileArgs,
) -> Result<Vec<(Verdict, Value)>, String> {
    if jobs.is_empty() {
        return Ok(Vec::new());
    }
    let mut common = param_args(&args.param, "")?;
    common.extend(param_args(&args.legacy_param, "LEGACY_")?);
    common.extend(param_args(&args.migrated_param, "MIGRATED_")?);
    let tmp = tempdir()?;
    let runs: Vec<Value> = jobs
        .iter()
        .map(|j| {
            let mut argv: Vec<String> = [
                "--DSMIG_LOCAL",
                "1",
                "--LEGACY_DSMIG_DATA_ROOT",
                &legacy.replace("{job}", &j.stem),
                "--MIGRATED_DSMIG_DATA_ROOT",
                &migrated.replace("{job}", &j.stem),
                "--DSMIG_RECONCILE_SETTINGS",
                settings,
            ]
            .iter()
            .map(|s| s.to_string())
            .collect();
            argv.push("--DSMIG_JOB_SCRIPT".into());
            argv.push(
                out.join("glue_jobs")
                    .join(format!("{}.py", j.stem))
                    .to_string_lossy()
                    .into_owned(),
            );
            argv.extend(common.iter().cloned());
            serde_json::json!({"job": j.name, "script": out.join(&j.script), "argv": argv})
        })
        .collect();
    let runs_file = tmp.join("runs.json");
    let results_file = tmp.join("results.json");
    std::fs::write(
        &runs_file,
        serde_json::to_vec(&runs).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let python = std::env::var("DSMIG_PYTHON").unwrap_or_else(|_| "python3".into());
    let output = Command::new(&python)
        .arg("-c")
        .arg(DRIVER)
        .arg(&runs_file)
        .arg(&results_file)
        .env("PYSPARK_PYTHON", &python)
        .output()
        .map_err(|e| format!("{python}: {e} (set DSMIG_PYTHON to a Python with pyspark)"))?;
    let text = std::fs::read_to_string(&results_file);
    let _ = std::fs::remove_dir_all(&tmp);
    let text = text.map_err(|_| {
        let err = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = err.lines().rev().take(15).collect();
        format!(
            "the comparison did not finish ({}):\n{}",
            output.status,
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        )
    })?;
    let results: Vec<Value> = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let at = now();
    Ok(jobs
        .iter()
        .zip(results)
        .map(|(j, r)| (glue_verdict(j, &r, at), r))
        .collect())
}

/// A Glue result (the JSON `reconcile/<job>.py` writes) as a verdict.
fn glue_verdict(j: &JobEntry, r: &Value, at: u64) -> Verdict {
    let mut differences: BTreeMap<String, u64> = BTreeMap::new();
    let mut whys = Vec::new();
    let mut data = Vec::new();
    for t in r["targets"].as_array().into_iter().flatten() {
        let link = t["link"].as_str().unwrap_or("");
        if let Some(why) = t["why"].as_str() {
            whys.push(format!("{link}: {why}"));
        }
        for d in t["differences"].as_array().into_iter().flatten() {
            let mut kind = d["kind"].as_str().unwrap_or("difference").to_string();
            if let Some(c) = d["column"].as_str() {
                kind.push(' ');
                kind.push_str(c);
            }
            if let Some(s) = d["side"].as_str() {
                kind.push_str(&format!(" ({s})"));
            }
            *differences.entry(kind).or_default() += d["count"].as_u64().unwrap_or(1);
        }
        for side in ["legacy", "migrated"] {
            if let Some(h) = t["data"][side]["sha256"].as_str() {
                data.push((format!("{link}/{side}"), h.to_string()));
            }
        }
    }
    if let Some(e) = r["error"].as_str() {
        whys.push(e.to_string());
    }
    let verdict = r["verdict"].as_str().unwrap_or(NOT_COMPARABLE).to_string();
    Verdict {
        job: j.name.clone(),
        target: "glue".into(),
        why: (verdict == NOT_COMPARABLE && !whys.is_empty()).then(|| whys.join("; ")),
        verdict,
        rows: r["rows"].as_u64().unwrap_or(0),
        differences: differences.into_iter().collect(),
        ir: j.ir.clone(),
        data,
        at,
    }
}

fn tempdir() -> Result<PathBuf, String> {
    let dir =
        std::env::temp_dir().join(format!("dsmig-reconcile-{}-{}", std::process::id(), now()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}

/// A schema name as it goes into `search_path`: plain identifiers only.
fn schema(name: &str) -> Result<&str, String> {
    if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        Ok(name)
    } else {
        Err(format!(
            "{name}: a PostgreSQL schema name ([A-Za-z0-9_]) expected for --target sql"
        ))
    }
}

fn run_sql(
    out: &Path,
    jobs: &[JobEntry],
    legacy: &str,
    migrated: &str,
    pg: Option<&str>,
) -> Result<Vec<(Verdict, Value)>, String> {
    let path = format!("{},{}", schema(migrated)?, schema(legacy)?);
    let conn = pg
        .map(str::to_string)
        .or_else(|| std::env::var("DSMIG_PG").ok())
        .unwrap_or_default();
    let at = now();
    let mut v = Vec::new();
    for j in jobs {
        let mut cmd = Command::new("psql");
        if !conn.is_empty() {
            cmd.arg(&conn);
        }
        let output = cmd
            .args([
                "-X",
                "-q",
                "-A",
                "-t",
                "-F",
                "\u{1f}",
                "-v",
                "ON_ERROR_STOP=1",
                "-f",
            ])
            .arg(out.join(&j.script))
            .env("PGOPTIONS", format!("-c search_path={path}"))
            .output()
            .map_err(|e| format!("psql: {e}"))?;
        let mut verdict = Verdict {
            job: j.name.clone(),
            target: "sql:postgres".into(),
            verdict: MATCH.into(),
            rows: 0,
            differences: Vec::new(),
            why: None,
            ir: j.ir.clone(),
            data: Vec::new(),
            at,
        };
        let mut checks = Vec::new();
        if !output.status.success() {
            verdict.verdict = NOT_COMPARABLE.into();
            let err = String::from_utf8_lossy(&output.stderr);
            verdict.why = Some(
                err.lines()
                    .find(|l| l.contains("ERROR"))
                    .unwrap_or("psql failed")
                    .trim()
                    .to_string(),
            );
        } else {
            let text = String::from_utf8_lossy(&output.stdout);
            let mut diffs: BTreeMap<String, u64> = BTreeMap::new();
            // Hashes of the data compared: one per target and side, of its
            // check values (row counts, EXCEPT ALL counts, aggregates).
            let mut hashes: BTreeMap<String, blake3::Hasher> = BTreeMap::new();
            for line in text.lines() {
                let f: Vec<&str> = line.split('\u{1f}').collect();
                if f.len() != 6 {
                    continue;
                }
                let (link, check, column, lv, mv, differs) = (f[0], f[1], f[2], f[3], f[4], f[5]);
                for (side, val) in [("legacy", lv), ("migrated", mv)] {
                    let h = hashes.entry(format!("{link}/{side}")).or_default();
                    h.update(check.as_bytes());
                    h.update(column.as_bytes());
                    h.update(val.as_bytes());
                    h.update(b"\n");
                }
                if check == "rows" {
                    verdict.rows += lv.parse::<u64>().unwrap_or(0);
                }
                checks.push(
                    serde_json::json!({"target_link": link, "check": check, "column": column,
                    "legacy": lv, "migrated": mv, "differs": differs == "1"}),
                );
                if differs != "1" {
                    continue;
                }
                let num = |s: &str| s.parse::<i64>().ok();
                let (kind, n) = match check {
                    "rows only in legacy" => ("missing row".to_string(), num(lv).unwrap_or(1)),
                    "rows only in migrated" => ("extra row".to_string(), num(mv).unwrap_or(1)),
                    "keys with several rows" => (
                        "duplicate key".to_string(),
                        (num(lv).unwrap_or(0) - num(mv).unwrap_or(0)).abs(),
                    ),
                    "rows" => (
                        "row count".to_string(),
                        (num(lv).unwrap_or(0) - num(mv).unwrap_or(0)).abs(),
                    ),
                    _ => (format!("{check} {column}"), 1),
                };
                *diffs.entry(kind).or_default() += n.unsigned_abs();
            }
            verdict.data = hashes
                .into_iter()
                .map(|(k, h)| (k, h.finalize().to_hex().to_string()))
                .collect();
            if !diffs.is_empty() {
                verdict.verdict = MISMATCH.into();
                verdict.differences = diffs.into_iter().collect();
            }
        }
        v.push((verdict, Value::Array(checks)));
    }
    Ok(v)
}
