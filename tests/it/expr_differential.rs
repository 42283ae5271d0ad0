//! Differential tests: every case of `expr_cases.rs` is evaluated by the
//! Rust reference evaluator, by its PySpark translation on a local
//! SparkSession (one Python process), and by its PostgreSQL translation on
//! a real server (one Python/psycopg process). All three must agree, or
//! the expression is listed in `coverage::KNOWN_DIFFERENCES` (also printed
//! in docs/expression-coverage.md).
//!
//! Needs `DSMIG_PYTHON` and `DSMIG_PG`: run through `scripts/test`, which
//! sets them up. Without them the test fails rather than skipping.

use crate::expr_cases;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use queries::expr::coverage::KNOWN_DIFFERENCES;
use queries::expr::eval::{Value, eval};
use queries::expr::parse;
use queries::expr::translate::Dialect;
use queries::expr::translate::pyspark::to_pyspark;
use queries::expr::translate::sql::to_sql;
use serde_json::{Value as Json, json};

fn env_var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: run the tests with scripts/test (it prepares Python and PostgreSQL)"
        )
    })
}

/// [kind, text] as the harnesses produce.
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

fn same(a: &(String, String), b: &(String, String)) -> bool {
    if a.0 != b.0 {
        return false;
    }
    if a.0 == "num" {
        return match (a.1.parse::<f64>(), b.1.parse::<f64>()) {
            (Ok(x), Ok(y)) => (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0),
            _ => a.1 == b.1,
        };
    }
    a.1 == b.1
}

fn run(python: &str, script: &str, input: &Path) -> BTreeMap<String, (String, String)> {
    let harness = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/harness");
    let out = Command::new(python)
        .arg(harness.join(script))
        .arg(input)
        .current_dir(&harness)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python} {script}: {e}"));
    assert!(
        out.status.success(),
        "{script} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let parsed: BTreeMap<String, Json> =
        serde_json::from_slice(&out.stdout).expect("harness output is JSON");
    parsed
        .into_iter()
        .map(|(k, v)| {
            let kind = v[0].as_str().unwrap_or("?").to_string();
            let text = v[1].as_str().unwrap_or("").to_string();
            (k, (kind, text))
        })
        .collect()
}

#[test]
fn reference_evaluator_pyspark_and_postgres_agree() {
    let python = env_var("DSMIG_PYTHON");
    let _pg = env_var("DSMIG_PG");
    let scope = expr_cases::scope();
    let cases = expr_cases::cases();
    assert!(cases.len() >= 300, "only {} cases", cases.len());

    let mut expected = BTreeMap::new();
    let mut json_cases = Vec::new();
    for (i, (src, row)) in cases.iter().enumerate() {
        let id = format!("c{i:04}");
        let e = parse(src).unwrap_or_else(|err| panic!("{src}: {err}"));
        let value = eval(&e, &expr_cases::env(*row))
            .unwrap_or_else(|err| panic!("{src} on row {row}: {err}"));
        let py = to_pyspark(&e, &scope);
        let pg = to_sql(&e, &scope, Dialect::Postgres);
        assert!(
            !py.has_unsupported() && !pg.has_unsupported(),
            "{src}: a differential case must be translatable: {:?} {:?}",
            py.issues,
            pg.issues
        );
        expected.insert(id.clone(), normalise(&value));
        json_cases.push(json!({"id": id, "row": row.to_string(), "pyspark": py.code, "sql": pg.code, "src": src}));
    }
    let rows: serde_json::Map<String, Json> = expr_cases::ROWS
        .iter()
        .map(|(k, cells)| (k.to_string(), json!(cells.to_vec())))
        .collect();
    let spec = json!({
        "columns": expr_cases::COLUMNS.iter().map(|(n, s, p)| json!([n, s, p])).collect::<Vec<_>>(),
        "rows": rows,
        "cases": json_cases,
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("cases.json");
    std::fs::write(&input, serde_json::to_vec(&spec).expect("json")).expect("write cases");

    let spark = run(&python, "run_pyspark.py", &input);
    let postgres = run(&python, "run_postgres.py", &input);

    let mut failures = Vec::new();
    let mut known = 0;
    for (i, (src, row)) in cases.iter().enumerate() {
        let id = format!("c{i:04}");
        let want = &expected[&id];
        let missing = ("missing".to_string(), String::new());
        let s = spark.get(&id).unwrap_or(&missing);
        let p = postgres.get(&id).unwrap_or(&missing);
        if same(want, s) && same(want, p) {
            continue;
        }
        if KNOWN_DIFFERENCES.iter().any(|(e, _)| e == src) {
            known += 1;
            continue;
        }
        failures.push(format!(
            "{src} [row {row}]\n    evaluator {want:?}\n    pyspark   {s:?}  {}\n    postgres  {p:?}  {}",
            json_cases_code(&spec, i, "pyspark"),
            json_cases_code(&spec, i, "sql")
        ));
    }
    eprintln!(
        "{} cases, {} agree, {} documented known differences, {} failures",
        cases.len(),
        cases.len() - known - failures.len(),
        known,
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn json_cases_code(spec: &Json, i: usize, key: &str) -> String {
    spec["cases"][i][key].as_str().unwrap_or("").to_string()
}
