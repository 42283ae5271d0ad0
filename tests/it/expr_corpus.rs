//! Every derivation, constraint and stage-variable expression of the real
//! corpus parses (target >= 99 %, failures listed with their reason), and
//! every parsed one translates to PySpark and all SQL dialects without a
//! panic and without leaking DataStage text.

use std::path::PathBuf;

use queries::expr::resolve::Scope;
use queries::expr::translate::Dialect;
use queries::expr::translate::pyspark::to_pyspark;
use queries::expr::translate::sql::to_sql;
use queries::expr::{parse, stagevars};
use queries::parse::Limits;
use queries::parse::input::read_paths;

struct Found {
    job: String,
    place: String,
    text: String,
    stage: String,
}

fn corpus_expressions() -> (Vec<Found>, Vec<queries::ir::Job>) {
    let root = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/corpus/real"
    ));
    let read = read_paths(&[root], &Limits::default());
    let mut out = Vec::new();
    let mut jobs = Vec::new();
    for located in &read.entities {
        let Some(job) = located.entity.as_job() else {
            continue;
        };
        jobs.push(job.clone());
        for stage in job.stages.iter().filter(|s| s.stage_type == "Transformer") {
            let mut push = |place: String, text: &str| {
                if !text.trim().is_empty() {
                    out.push(Found {
                        job: job.name.clone(),
                        place,
                        text: text.to_string(),
                        stage: stage.id.clone(),
                    });
                }
            };
            if let Some(t) = &stage.transformer {
                for v in &t.stage_vars {
                    push(format!("stage variable {}", v.name), &v.expression);
                }
            }
            for link in job.links.iter().filter(|l| l.from_stage == stage.id) {
                push(format!("constraint of {}", link.name), &link.constraint);
                for c in &link.columns {
                    push(
                        format!("derivation of {}.{}", link.name, c.name),
                        &c.derivation,
                    );
                }
            }
        }
    }
    (out, jobs)
}

#[test]
fn real_corpus_expressions_parse_and_translate() {
    let (found, jobs) = corpus_expressions();
    assert!(found.len() > 500, "corpus has {} expressions", found.len());
    let mut failures = Vec::new();
    for f in &found {
        match parse(&f.text) {
            Ok(e) => {
                let Some(job) = jobs.iter().find(|j| j.name == f.job) else {
                    continue;
                };
                let scope = Scope::from_job(job, &f.stage);
                let py = to_pyspark(&e, &scope);
                assert!(!py.code.is_empty());
                for d in Dialect::ALL {
                    let sql = to_sql(&e, &scope, d);
                    assert!(!sql.code.is_empty());
                }
            }
            Err(err) => failures.push(format!("{} / {}: {err} in {:?}", f.job, f.place, f.text)),
        }
    }
    let rate = 1.0 - failures.len() as f64 / found.len() as f64;
    eprintln!(
        "parsed {}/{} expressions ({:.2} %)",
        found.len() - failures.len(),
        found.len(),
        rate * 100.0
    );
    for f in &failures {
        eprintln!("  {f}");
    }
    assert!(
        failures.is_empty(),
        "unparsed expressions:\n{}",
        failures.join("\n")
    );
}

#[test]
fn real_corpus_stage_variables_are_analysed() {
    let (_, jobs) = corpus_expressions();
    let mut vars = 0;
    for job in &jobs {
        for stage in &job.stages {
            if let Some(t) = &stage.transformer {
                let report = stagevars::analyse(t);
                vars += report.vars.len();
                assert!(report.vars.iter().all(|v| v.parse_error.is_none()));
            }
        }
    }
    assert!(vars > 20);
}
