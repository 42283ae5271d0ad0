//! Reconciliation (issue 20): differences planted between DataStage's
//! outputs and the migrated job's are each detected and named, row order
//! never matters, identical outputs match; on local Spark (the generated
//! `reconcile/<job>.py`) and on PostgreSQL (`reconcile/<job>.sql` through
//! `dsmig reconcile --target sql`). Also: `dsmig reconcile` on Spark, its
//! exit codes, and the verdict in `dsmig explain`.
//!
//! The job is `tests/fixtures/reconcile/r_reconcile.dsx` (three targets: a
//! keyed text file, the same without a key, a data set); the cases are in
//! `tests/harness/reconcile_cases.py`. Prints the table
//! `difference | detected | reported as` per engine
//! (`cargo test --test it reconcile:: -- --nocapture`). Skips without
//! DSMIG_PYTHON; the PostgreSQL half without DSMIG_PG or a server.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn dsmig() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dsmig"))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn build(out: &Path, store: &Path, target: &str) {
    let o = dsmig()
        .arg("build")
        .arg(root().join("tests/fixtures/reconcile/r_reconcile.dsx"))
        .args(["--no-llm", "--target", target, "--output-dir"])
        .arg(out)
        .arg("--store")
        .arg(store)
        .output()
        .expect("dsmig build");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// (case, target link, the difference expected: `None` = the job matches).
const EXPECTED: &[(&str, &str, Option<&str>)] = &[
    ("identical", "", None),
    ("row order", "", None),
    ("missing row", "lnk_keyed", Some("missing row")),
    ("extra row", "lnk_keyed", Some("extra row")),
    ("changed value", "lnk_keyed", Some("changed value NAME")),
    ("float within tolerance", "", None),
    (
        "float beyond tolerance",
        "lnk_keyed",
        Some("changed value AMT"),
    ),
    ("empty vs NULL", "lnk_keyed", Some("changed value NAME")),
    ("empty vs NULL, equal by setting", "", None),
    (
        "duplicate key",
        "lnk_keyed",
        Some("duplicate key (migrated)"),
    ),
    ("type drift", "lnk_ds", Some("type drift ID")),
    ("missing column", "lnk_ds", Some("missing column NAME")),
];

/// The differences of one target of a Spark result, named as
/// `kind[ column][ (side)]`.
fn spark_differences(result: &Value, link: &str) -> Vec<String> {
    result["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| link.is_empty() || t["link"] == link)
        .flat_map(|t| t["differences"].as_array().cloned().unwrap_or_default())
        .map(|d| {
            let mut s = d["kind"].as_str().unwrap_or("").to_string();
            if let Some(c) = d["column"].as_str() {
                s.push_str(&format!(" {c}"));
            }
            if let Some(side) = d["side"].as_str() {
                s.push_str(&format!(" ({side})"));
            }
            s
        })
        .collect()
}

fn print_table(engine: &str, rows: &[(String, String, String)]) {
    println!("\n{engine}\n| difference | detected | reported as |\n|---|---|---|");
    for (d, ok, how) in rows {
        println!("| {d} | {ok} | {how} |");
    }
}

#[test]
fn planted_differences_are_detected_and_named() {
    let Ok(python) = std::env::var("DSMIG_PYTHON") else {
        eprintln!("DSMIG_PYTHON not set: skipped (source scripts/test-env.sh)");
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let glue = tmp.path().join("glue");
    let store = tmp.path().join("store");
    build(&glue, &store, "glue");
    let work = tmp.path().join("work");
    let o = Command::new(&python)
        .arg(root().join("tests/harness/reconcile_cases.py"))
        .arg(&glue)
        .arg(&work)
        .output()
        .expect("python");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    let cases: Value =
        serde_json::from_str(stdout.lines().last().unwrap_or("")).expect("harness JSON");

    let mut rows = Vec::new();
    let mut failures = Vec::new();
    for (case, link, want) in EXPECTED {
        let result = &cases[*case]["result"];
        let found = spark_differences(result, link);
        let verdict = result["verdict"].as_str().unwrap_or("");
        let ok = match want {
            None => verdict == "match",
            Some(w) => verdict == "mismatch" && found.iter().any(|f| f == w),
        };
        if !ok {
            failures.push(format!("{case}: verdict {verdict}, found {found:?}"));
        }
        rows.push((
            case.to_string(),
            if ok { "yes" } else { "NO" }.to_string(),
            if found.is_empty() {
                verdict.to_string()
            } else {
                format!("{verdict}: {}", found.join(", "))
            },
        ));
    }
    print_table("local Spark (reconcile/r_reconcile.py)", &rows);
    // Without a key the comparison is a multiset, and says so.
    let nokey = cases["missing row"]["result"]["targets"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["link"] == "lnk_nokey"))
        .map(|t| t["comparison"].as_str().unwrap_or("").to_string())
        .unwrap_or_default();
    assert!(nokey.starts_with("row multiset (no key"), "{nokey}");
    assert!(failures.is_empty(), "{failures:#?}");

    cli_and_explain(&cases, &glue, &store);
    postgres(&cases, tmp.path());
}

/// `dsmig reconcile` on Spark: exit codes, the table, the stored verdict
/// shown by `dsmig explain`.
fn cli_and_explain(cases: &Value, glue: &Path, store: &Path) {
    let run = |case: &str| {
        let dirs = &cases[case]["dirs"];
        dsmig()
            .args([
                "reconcile",
                "r_reconcile",
                "--legacy",
                "/",
                "--migrated",
                "/",
            ])
            .arg("--legacy-param")
            .arg(format!("DIR={}", dirs["legacy"].as_str().unwrap_or("")))
            .arg("--migrated-param")
            .arg(format!("DIR={}", dirs["migrated"].as_str().unwrap_or("")))
            .arg("--output-dir")
            .arg(glue)
            .arg("--store")
            .arg(store)
            .arg("--detailed-exitcode")
            .env("COLUMNS", "80")
            .output()
            .expect("dsmig reconcile")
    };
    let same = run("identical");
    let text = String::from_utf8_lossy(&same.stdout);
    println!("\n$ dsmig reconcile (identical)\n{text}");
    assert_eq!(
        same.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&same.stderr)
    );
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
    let differ = run("missing row");
    let text = String::from_utf8_lossy(&differ.stdout);
    println!("$ dsmig reconcile (missing row)\n{text}");
    assert_eq!(
        differ.status.code(),
        Some(2),
        "{text}{}",
        String::from_utf8_lossy(&differ.stderr)
    );
    assert!(
        text.contains("mismatch") && text.contains("missing row"),
        "{text}"
    );
    let explained = dsmig()
        .args(["explain", "r_reconcile"])
        .arg(root().join("tests/fixtures/reconcile/r_reconcile.dsx"))
        .arg("--store")
        .arg(store)
        .output()
        .expect("dsmig explain");
    let text = String::from_utf8_lossy(&explained.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("Reconciliation:"))
        .unwrap_or("")
        .to_string();
    println!("$ dsmig explain r_reconcile\n{line}");
    assert!(
        line.contains("reconciled on")
            && line.contains("mismatch (11 rows")
            && !line.contains("stale"),
        "{text}{}",
        String::from_utf8_lossy(&explained.stderr)
    );
}

/// A text line of the fixture as SQL values (`NULL` is the NULL marker).
fn sql_values(line: &str) -> String {
    let f: Vec<&str> = line.split(',').collect();
    let text = |s: &str| {
        if s == "NULL" {
            "NULL".to_string()
        } else {
            format!("'{}'", s.replace('\'', "''"))
        }
    };
    let parts: Vec<String> = f
        .iter()
        .enumerate()
        .map(|(i, v)| match i {
            _ if *v == "NULL" => "NULL".into(),
            1 => text(v),
            3 => format!("DATE {}", text(v)),
            _ => v.to_string(),
        })
        .collect();
    format!("({})", parts.join(", "))
}

fn postgres(cases: &Value, tmp: &Path) {
    let Ok(conn) = std::env::var("DSMIG_PG") else {
        eprintln!("DSMIG_PG not set: PostgreSQL half skipped");
        return;
    };
    let psql = |sql: &str, schema: &str| {
        let o = Command::new("psql")
            .arg(&conn)
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .env("PGOPTIONS", format!("-c search_path={schema}"))
            .output();
        match o {
            Ok(o) if o.status.success() => Ok(()),
            Ok(o) => Err(String::from_utf8_lossy(&o.stderr).to_string()),
            Err(e) => Err(e.to_string()),
        }
    };
    if psql("SELECT 1", "public").is_err() {
        eprintln!("no PostgreSQL server answers: PostgreSQL half skipped");
        return;
    }
    let sql_out = tmp.join("sql");
    let store = tmp.join("store_sql");
    build(&sql_out, &store, "sql");
    let ddl = std::fs::read_to_string(sql_out.join("ddl/r_reconcile.sql")).expect("ddl");
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    for (i, (case, _, want)) in EXPECTED.iter().enumerate() {
        let data = &cases[*case]["data"];
        let mut schemas = Vec::new();
        for side in ["legacy", "migrated"] {
            let schema = format!("dsmig_recon_{i}_{side}");
            let d = &data[side];
            let lines = |k: &str| -> Vec<String> {
                d[k].as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|l| l.as_str().map(sql_values))
                    .collect()
            };
            let keyed = lines("keyed");
            let nokey = lines("nokey");
            let ds: Vec<String> = d["ds"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| {
                    let name = r[1].as_str().map_or("NULL".into(), |s| format!("'{s}'"));
                    format!("({}, {name})", r[0])
                })
                .collect();
            let mut sql = format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}; SET search_path = {schema};\n{ddl}\n"
            );
            let schema_change = data["ds_schema"].as_str().filter(|_| side == "migrated");
            // The missing column: the migrated keyed table lacks DT too.
            let keyed_cols = if *case == "missing column" && side == "migrated" {
                sql.push_str("ALTER TABLE OUT_R_RECONCILE_LNK_KEYED DROP COLUMN \"DT\";\n");
                "\"ID\", \"NAME\", \"AMT\""
            } else {
                "\"ID\", \"NAME\", \"AMT\", \"DT\""
            };
            if !keyed.is_empty() {
                sql.push_str(&format!(
                    "INSERT INTO OUT_R_RECONCILE_LNK_KEYED ({keyed_cols}) VALUES {};\n",
                    keyed.join(", ")
                ));
            }
            sql.push_str(&format!(
                "INSERT INTO OUT_R_RECONCILE_LNK_NOKEY VALUES {};\n",
                nokey.join(", ")
            ));
            match schema_change {
                Some("ID string, NAME string") => sql.push_str(
                    "ALTER TABLE OUT_R_RECONCILE_LNK_DS ALTER COLUMN \"ID\" TYPE TEXT;\n",
                ),
                Some("ID int") => {
                    sql.push_str("ALTER TABLE OUT_R_RECONCILE_LNK_DS DROP COLUMN \"NAME\";\n");
                }
                _ => {}
            }
            let ds_rows: Vec<String> = if schema_change == Some("ID int") {
                d["ds"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|r| format!("({})", r[0]))
                    .collect()
            } else {
                ds
            };
            sql.push_str(&format!(
                "INSERT INTO OUT_R_RECONCILE_LNK_DS VALUES {};\n",
                ds_rows.join(", ")
            ));
            if side == "legacy" {
                for t in ["KEYED", "NOKEY", "DS"] {
                    sql.push_str(&format!(
                        "ALTER TABLE OUT_R_RECONCILE_LNK_{t} RENAME TO LEG_R_RECONCILE_LNK_{t};\n"
                    ));
                }
            }
            let file = tmp.join(format!("pg_{i}_{side}.sql"));
            std::fs::write(&file, &sql).expect("write sql");
            let o = Command::new("psql")
                .arg(&conn)
                .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-f"])
                .arg(&file)
                .output()
                .expect("psql");
            assert!(
                o.status.success(),
                "{case} {side}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            schemas.push(schema);
        }
        let o = dsmig()
            .args(["reconcile", "--target", "sql", "--json", "--legacy"])
            .arg(&schemas[0])
            .arg("--migrated")
            .arg(&schemas[1])
            .arg("--output-dir")
            .arg(&sql_out)
            .arg("--store")
            .arg(&store)
            .arg("--pg")
            .arg(&conn)
            .output()
            .expect("dsmig reconcile --target sql");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let json: Value = serde_json::from_slice(&o.stdout).expect("json");
        let job = &json["jobs"][0];
        let verdict = job["verdict"].as_str().unwrap_or("").to_string();
        let found: Vec<String> = job["differences"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| format!("{} {}", d[0].as_str().unwrap_or(""), d[1]))
            .collect();
        let why = job["why"].as_str().unwrap_or("").to_string();
        // SQL compares exactly, as a multiset: what it must report.
        let (ok, expect_note) = match (*case, want) {
            ("float within tolerance", _) => {
                (verdict == "mismatch", " (exact: no tolerance in SQL)")
            }
            ("empty vs NULL, equal by setting", _) => {
                (verdict == "mismatch", " (exact: the setting is Spark's)")
            }
            ("type drift", _) => (verdict != "match", ""),
            ("missing column", _) => (verdict == "not comparable" && why.contains("DT"), ""),
            (_, None) => (verdict == "match", ""),
            ("duplicate key", _) => (found.iter().any(|f| f.starts_with("duplicate key")), ""),
            ("missing row", _) => (found.iter().any(|f| f.starts_with("missing row")), ""),
            ("extra row", _) => (found.iter().any(|f| f.starts_with("extra row")), ""),
            _ => (
                found.iter().any(|f| f.starts_with("missing row"))
                    && found.iter().any(|f| f.starts_with("extra row")),
                "",
            ),
        };
        if !ok {
            failures.push(format!("{case}: {verdict} {found:?} {why}"));
        }
        let detected = if ok { "yes" } else { "NO" };
        rows.push((
            format!("{case}{expect_note}"),
            detected.to_string(),
            if why.is_empty() {
                format!("{verdict}: {}", found.join(", "))
            } else {
                format!("{verdict}: {why}")
            },
        ));
        for s in &schemas {
            let _ = psql(&format!("DROP SCHEMA IF EXISTS {s} CASCADE"), "public");
        }
    }
    print_table("PostgreSQL (reconcile/r_reconcile.sql)", &rows);
    assert!(failures.is_empty(), "{failures:#?}");
}
