//! The PostgreSQL flavour of the SQL target, executed for real: for every
//! AUTO job of the project's generated corpus, the test creates the DDL,
//! loads the sample rows of the Glue tests into the staging tables, runs
//! the job's script, and compares the target rows with the rows the Rust
//! reference evaluator predicts (the same simulation as the Glue tests);
//! then the validation queries run and must hold. One transaction per
//! job, rolled back. The pass rate (target >= 95%) and the failures are
//! printed (--nocapture).

use crate::sql;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use queries::expr::eval::Value;
use queries::expr::translate::Dialect;
use queries::generate::GlueContext;
use queries::generate::glue::fixture;
use queries::generate::glue::{Expected, Gen};
use queries::generate::sql::{Role, SqlContext, SqlGen, ddl, sql_job_files};
use queries::ir::{Job, JobKind};
use serde_json::{Value as Json, json};

/// [kind, text] as the harness normalises database values.
fn normalise(v: &Value) -> (String, String) {
    let kind = match v {
        Value::Null => "null",
        Value::Str(_) => "str",
        Value::Int(_) | Value::Dec(_) | Value::Float(_) => "num",
        Value::Date(_) => "date",
        Value::Time(_) => "time",
        Value::Timestamp(_) => "ts",
    };
    (kind.to_string(), v.to_text().unwrap_or_default())
}

fn same(want: &(String, String), got: &(String, String)) -> bool {
    if want.0 == "num" && got.0 == "num" {
        return match (want.1.parse::<f64>(), got.1.parse::<f64>()) {
            (Ok(x), Ok(y)) => (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0),
            _ => want.1 == got.1,
        };
    }
    // A time of day is text in Spark and TIME in PostgreSQL.
    (want.0 == got.0 || (want.0 == "str" && got.0 == "time")) && want.1 == got.1
}

/// The job's file of one kind, from its generated files.
fn file<'a>(files: &'a [(String, Vec<u8>)], path: &str) -> &'a str {
    files
        .iter()
        .find(|(p, _)| p == path)
        .map(|(_, b)| std::str::from_utf8(b).unwrap_or(""))
        .unwrap_or("")
}

type Row = Vec<Option<(String, String)>>;

/// How a target's rows are written.
#[derive(Clone, PartialEq)]
enum Mode {
    Insert,
    /// Update only: an empty table stays empty.
    Update,
    /// Upsert on these column positions: one row per key.
    Upsert(Vec<usize>),
}

struct Target {
    rows: Vec<Row>,
    mode: Mode,
    /// Columns declared NOT NULL.
    not_null: Vec<bool>,
}

struct Case {
    name: String,
    /// table → expected rows (`None` cell = any value)
    expected: BTreeMap<String, Target>,
    /// Rows unknown at generation time: only the run is checked.
    unknown: bool,
}

fn case(job: &Job) -> Option<(Json, Case)> {
    let gctx = GlueContext::default();
    let gl = Gen::new(job, &gctx);
    let fx = fixture::build(&gl);
    let Expected::Outputs(outputs) = &fx.expected else {
        return None; // the job is expected to stop; covered by the Glue tests
    };
    let ctx = SqlContext {
        stem: Some(queries::escape::file_stem(&job.name)),
        ..SqlContext::new(Dialect::Postgres)
    };
    let files = sql_job_files(job, &ctx).files;
    let mut g = SqlGen::new(job, &ctx);
    let sources = g.sources();
    let targets = g.targets();
    let link_of_key: BTreeMap<&str, &str> = gl
        .keys
        .iter()
        .map(|(id, k)| (k.as_str(), id.as_str()))
        .collect();
    let mut src_json = Vec::new();
    for (key, _, rows) in &fx.inputs {
        let Some(id) = link_of_key.get(key.as_str()) else {
            continue;
        };
        let Some(s) = sources.iter().find(|s| s.link.id == *id) else {
            continue;
        };
        let columns: Vec<Json> = s
            .link
            .columns
            .iter()
            .map(|c| json!([c.name, g.sql_type(c)]))
            .collect();
        let rows: Vec<Json> = rows
            .iter()
            .map(|r| {
                Json::Array(
                    r.iter()
                        .map(|v| match v.to_text() {
                            Some(t) => Json::String(t),
                            None => Json::Null,
                        })
                        .collect(),
                )
            })
            .collect();
        src_json.push(json!({"table": s.table, "columns": columns, "rows": rows}));
    }
    let mut expected = BTreeMap::new();
    let mut unknown = false;
    let mut tgt_json = Vec::new();
    for t in &targets {
        let key = gl.key(t.link).to_string();
        let cols: Vec<String> = t.link.columns.iter().map(|c| c.name.clone()).collect();
        tgt_json.push(json!({"table": t.table, "columns": cols}));
        let Some(table) = outputs.get(&key) else {
            continue;
        };
        let Some(rows) = &table.rows else {
            if std::env::var("DSMIG_SQL_VERBOSE").is_ok() {
                eprintln!("  unknown {}: {:?}", job.name, table.unknown_because);
            }
            unknown = true;
            continue;
        };
        let rows: Vec<Vec<Option<(String, String)>>> = rows
            .iter()
            .map(|r| {
                r.iter()
                    .zip(&t.link.columns)
                    .map(|(cell, c)| {
                        cell.as_ref().map(|v| {
                            let (k, mut text) = normalise(v);
                            // VARCHAR(n) keeps n characters, as DataStage does.
                            if k == "str" && c.length > 0 && matches!(c.sql_type, 1 | 12 | -8 | -9)
                            {
                                text = text.chars().take(c.length as usize).collect();
                            }
                            (k, text)
                        })
                    })
                    .collect()
            })
            .collect();
        let code = queries::generate::glue::props::connector(t.stage, "Usage/WriteMode")
            .unwrap_or("0")
            .trim()
            .to_string();
        let keys: Vec<usize> = t
            .link
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.key_position > 0)
            .map(|(i, _)| i)
            .collect();
        let mode = match code.as_str() {
            _ if t.role != Role::DbTarget || keys.is_empty() => Mode::Insert,
            "1" => Mode::Update,
            "3" | "4" | "9" => Mode::Upsert(keys),
            _ => Mode::Insert,
        };
        expected
            .entry(t.table.clone())
            .or_insert_with(|| Target {
                rows: Vec::new(),
                mode,
                not_null: t.link.columns.iter().map(|c| !c.nullable).collect(),
            })
            .rows
            .extend(rows);
    }
    let mut schemas: Vec<String> = targets
        .iter()
        .filter(|t| t.role == Role::DbTarget)
        .filter_map(|t| t.table.split_once('.').map(|(s, _)| s.to_string()))
        .collect();
    schemas.sort();
    schemas.dedup();
    let params: Vec<Json> = fx
        .params
        .iter()
        .filter_map(|(k, v)| v.to_text().map(|t| json!([k.replace('.', "_"), t])))
        .collect();
    let input = json!({
        "id": job.name,
        "job_name": job.name,
        "schemas": schemas,
        "control": ddl::control_table(&ctx),
        "ddl": file(&files, "ddl/{stem}.sql"),
        "sources": src_json,
        "params": params,
        "script": file(&files, "sql/{stem}.sql"),
        "targets": tgt_json,
        "checks": file(&files, "tests/test_{stem}.sql"),
    });
    Some((
        input,
        Case {
            name: job.name.clone(),
            expected,
            unknown,
        },
    ))
}

fn row_matches(w: &Row, g: &[(String, String)]) -> bool {
    g.len() == w.len()
        && w.iter()
            .zip(g)
            .all(|(wc, gc)| wc.as_ref().is_none_or(|x| same(x, gc)))
}

/// Compare as the write mode says: multisets for inserts (`None` cells
/// match anything), one row per key (any of the candidates) for upserts.
fn target_matches(t: &Target, got: &[Vec<(String, String)>]) -> Result<(), String> {
    match &t.mode {
        Mode::Insert => rows_match(&t.rows, got),
        Mode::Update => Ok(()),
        Mode::Upsert(keys) => {
            let mut by_key: BTreeMap<Row, Vec<&Row>> = BTreeMap::new();
            for r in &t.rows {
                by_key
                    .entry(keys.iter().map(|&k| r[k].clone()).collect())
                    .or_default()
                    .push(r);
            }
            if by_key.len() != got.len() {
                return Err(format!(
                    "{} rows, expected {} keys",
                    got.len(),
                    by_key.len()
                ));
            }
            for g in got {
                if !by_key
                    .values()
                    .any(|cands| cands.iter().any(|w| row_matches(w, g)))
                {
                    return Err(format!("row {g:?} matches no expected row of its key"));
                }
            }
            Ok(())
        }
    }
}

/// Whether DataStage would reject a row: NULL in a NOT NULL column.
fn rejects_null(t: &Target) -> bool {
    t.rows.iter().any(|r| {
        r.iter()
            .zip(&t.not_null)
            .any(|(c, nn)| *nn && c.as_ref().is_some_and(|(k, _)| k == "null"))
    })
}

/// Compare as multisets; `None` cells match anything.
fn rows_match(want: &[Row], got: &[Vec<(String, String)>]) -> Result<(), String> {
    if want.len() != got.len() {
        return Err(format!("{} rows, expected {}", got.len(), want.len()));
    }
    let mut used = vec![false; got.len()];
    for w in want {
        let hit = got.iter().enumerate().position(|(i, g)| {
            !used[i]
                && g.len() == w.len()
                && w.iter()
                    .zip(g)
                    .all(|(wc, gc)| wc.as_ref().is_none_or(|x| same(x, gc)))
        });
        match hit {
            Some(i) => used[i] = true,
            None => {
                return Err(format!("no row matches expected {:?}; got {:?}", w, got));
            }
        }
    }
    Ok(())
}

#[test]
fn postgres_runs_the_auto_jobs_of_the_generated_corpus() {
    let pg = std::env::var("DSMIG_PG").unwrap_or_else(|_| {
        panic!("DSMIG_PG is not set: run the tests with scripts/test (it starts PostgreSQL)")
    });
    assert!(!pg.is_empty());
    let input = tempfile::tempdir().unwrap();
    corpus_gen::generate(&corpus_gen::GenOptions::small(120, 11), input.path())
        .expect("generate corpus");
    let jobs = sql::read_jobs(&[input.path().to_path_buf()]);
    let mut cases = Vec::new();
    let mut inputs = Vec::new();
    let mut raising = 0;
    for (job, cat, _) in &jobs {
        if cat != "AUTO" || job.kind == JobKind::Sequence {
            continue;
        }
        match case(job) {
            Some((i, c)) => {
                inputs.push(i);
                cases.push(c);
            }
            None => raising += 1,
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("jobs.json");
    std::fs::write(&spec, serde_json::to_vec(&inputs).unwrap()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/harness/run_sql_jobs.py");
    let out = Command::new(sql::python())
        .arg(script)
        .arg(&spec)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "harness failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Json = serde_json::from_slice(&out.stdout).expect("harness JSON");
    let mut failures = Vec::new();
    let mut checked_rows = 0;
    let mut rejected = 0;
    let mut update_only = 0;
    for c in &cases {
        let r = &results[&c.name];
        if let Some(e) = r.get("error") {
            let e = e.as_str().unwrap_or("");
            if e.starts_with("NotNullViolation") && c.expected.values().any(rejects_null) {
                // The evaluator writes NULL into a NOT NULL column: DataStage
                // rejects that row too; the database stops on it.
                rejected += 1;
                continue;
            }
            failures.push(format!("{}: {e}", c.name));
            continue;
        }
        let mut problems = Vec::new();
        for (table, want) in &c.expected {
            if want.mode == Mode::Update {
                update_only += 1;
            }
            let got: Vec<Vec<(String, String)>> = r["targets"][table]
                .as_array()
                .map(|rows| {
                    rows.iter()
                        .map(|row| {
                            row.as_array()
                                .map(|cells| {
                                    cells
                                        .iter()
                                        .map(|x| {
                                            (
                                                x[0].as_str().unwrap_or("").to_string(),
                                                x[1].as_str().unwrap_or("").to_string(),
                                            )
                                        })
                                        .collect()
                                })
                                .unwrap_or_default()
                        })
                        .collect()
                })
                .unwrap_or_default();
            checked_rows += got.len();
            if let Err(e) = target_matches(want, &got) {
                problems.push(format!("{table}: {e}"));
            }
        }
        // Validation queries: NOT NULL checks return 0.
        for chk in r["checks"].as_array().into_iter().flatten() {
            let stmt = chk[0].as_str().unwrap_or("");
            if stmt.contains("AS violations") && chk[1][0][0][1].as_str() != Some("0") {
                problems.push(format!("validation {stmt}: {}", chk[1]));
            }
        }
        if !problems.is_empty() {
            failures.push(format!("{}: {}", c.name, problems.join("; ")));
        }
    }
    let n = cases.len();
    let passed = n - failures.len();
    let rate = passed as f64 / n.max(1) as f64;
    eprintln!(
        "postgres: AUTO jobs {passed}/{n} = {:.1}% pass ({checked_rows} target rows compared; {rejected} stop on a NULL in a NOT NULL column as DataStage rejects it; {update_only} update-only targets checked by running; {raising} AUTO jobs expected to stop are left to the Glue tests; {} with rows unknown at generation time)",
        rate * 100.0,
        cases.iter().filter(|c| c.unknown).count()
    );
    for f in &failures {
        eprintln!("  FAIL {}", f.chars().take(1500).collect::<String>());
    }
    assert!(n >= 50, "too few AUTO jobs ({n})");
    assert!(rate >= 0.95, "pass rate {:.1}% < 95%", rate * 100.0);
}
