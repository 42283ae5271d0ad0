//! Every generated SQL expression, for all five dialects, parses with
//! sqlglot in that dialect (one Python process): the differential cases,
//! extra expressions exercising each dialect's special paths, and every
//! expression of the real corpus. `exp.Command` counts as a failure.

use crate::expr_cases;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use queries::expr::parse;
use queries::expr::resolve::Scope;
use queries::expr::translate::Dialect;
use queries::expr::translate::sql::{to_sql, to_sql_condition};
use queries::parse::Limits;
use queries::parse::input::read_paths;
use serde_json::json;

/// Expressions that reach translations the differential cases do not
/// (time types, unsupported placeholders, routines, parameters).
const EXTRA: &[&str] = &[
    "Oconv(in.S1, \"D4\")",
    "DSU.MyRoutine(in.S1, 1)",
    "MyRoutine(in.S1)",
    "#JobParam# : in.S1",
    "@INROWNUM + 1",
    "@DATE",
    "@ITERATION",
    "@FM : in.S1",
    "TimeToString(StringToTime(\"10:11:12\"))",
    "HoursFromTime(StringToTime(\"10:11:12\"))",
    "TimestampToTime(in.TS)",
    "TimestampFromDateTime(in.DT, StringToTime(\"10:11:12\"))",
    "CurrentTime()",
    "CurrentDate()",
    "CurrentTimestamp()",
    "Index(in.S1, in.S2, 2)",
    "Field(in.S2, in.S3, 2)",
    "StringToDate(in.S1, \"%eee %mmm %d %yyyy\")",
    "StringToTimestamp(in.S1, \"%mmm %dd %hh:%nn:%ss %yyyy\")",
    "Fmt(in.N1, \"R2\")",
    "Trim(in.S1, in.S2, \"A\")",
];

fn corpus_expressions() -> Vec<(Scope, String)> {
    let root = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/corpus/real"
    ));
    let read = read_paths(&[root], &Limits::default());
    let mut out = Vec::new();
    for job in read.entities.iter().filter_map(|l| l.entity.as_job()) {
        for stage in job.stages.iter().filter(|s| s.stage_type == "Transformer") {
            let scope = Scope::from_job(job, &stage.id);
            let mut texts: Vec<String> = stage
                .transformer
                .iter()
                .flat_map(|t| t.stage_vars.iter().map(|v| v.expression.clone()))
                .collect();
            for link in job.links.iter().filter(|l| l.from_stage == stage.id) {
                texts.push(link.constraint.clone());
                texts.extend(link.columns.iter().map(|c| c.derivation.clone()));
            }
            for t in texts.into_iter().filter(|t| !t.trim().is_empty()) {
                out.push((scope.clone(), t));
            }
        }
    }
    out
}

#[test]
fn generated_sql_parses_with_sqlglot_in_every_dialect() {
    let python = std::env::var("DSMIG_PYTHON").unwrap_or_else(|_| {
        panic!("DSMIG_PYTHON is not set: run the tests with scripts/test (it prepares Python)")
    });
    let case_scope = expr_cases::scope();
    let mut sources: Vec<(Scope, String)> = expr_cases::EXPRESSIONS
        .iter()
        .map(|(e, _)| *e)
        .chain(EXTRA.iter().copied())
        .map(|e| (case_scope.clone(), e.to_string()))
        .collect();
    sources.extend(corpus_expressions());

    let mut items = Vec::new();
    let mut described = BTreeMap::new();
    for (i, (scope, src)) in sources.iter().enumerate() {
        let e = parse(src).unwrap_or_else(|err| panic!("{src}: {err}"));
        for d in Dialect::ALL {
            for (kind, t) in [
                ("value", to_sql(&e, scope, d)),
                ("condition", to_sql_condition(&e, scope, d)),
            ] {
                let id = format!("{i}-{}-{kind}", d.as_str());
                let sql = if kind == "value" {
                    format!("SELECT {} AS x FROM t", t.code)
                } else {
                    format!("SELECT 1 AS x FROM t WHERE {}", t.code)
                };
                described.insert(id.clone(), format!("{src}  [{}]\n    {sql}", d.as_str()));
                items.push(json!({"id": id, "dialect": d.sqlglot(), "sql": sql}));
            }
        }
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("sql.json");
    std::fs::write(&input, serde_json::to_vec(&items).expect("json")).expect("write");
    let harness = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/harness");
    let out = Command::new(&python)
        .arg(harness.join("check_sqlglot.py"))
        .arg(&input)
        .current_dir(&harness)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
    assert!(
        out.status.success(),
        "check_sqlglot.py failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let failures: BTreeMap<String, String> =
        serde_json::from_slice(&out.stdout).expect("harness output is JSON");
    let report: Vec<String> = failures
        .iter()
        .map(|(id, why)| format!("{}\n    -> {why}", described[id]))
        .collect();
    eprintln!(
        "{} statements checked, {} failures",
        items.len(),
        failures.len()
    );
    assert!(
        report.is_empty(),
        "{} statements sqlglot rejects:\n{}",
        report.len(),
        report.join("\n")
    );
}
