//! The reader against the generator's ground truth: every planted job is
//! read with its stage, link and column counts; re-exports of the same job
//! (another DSX file, or XML) hash the same; planted passwords never reach
//! the IR.

use std::collections::BTreeMap;

use corpus_gen::{GenOptions, generate};
use queries::inventory;
use queries::parse::Limits;
use queries::parse::input::read_paths;

#[test]
fn every_planted_job_is_read_as_the_ground_truth_says() {
    let dir = tempfile::tempdir().expect("tempdir");
    let truth = generate(&GenOptions::small(300, 5), dir.path()).expect("generate");
    let read = read_paths(&[dir.path().to_path_buf()], &Limits::default());
    let inv = inventory::build(&read, &Default::default());
    assert_eq!(inv.summary.errors, 0, "{:?}", inv.diagnostics);
    assert_eq!(inv.summary.warnings, 0, "{:?}", inv.diagnostics);

    let found: BTreeMap<(String, String), &inventory::JobRow> = inv
        .jobs
        .iter()
        .map(|j| {
            let rel = j
                .file
                .strip_prefix(&format!("{}/", dir.path().display()))
                .unwrap_or(&j.file)
                .to_string();
            ((rel, j.name.clone()), j)
        })
        .collect();
    for t in &truth.jobs {
        let key = (t.file.clone(), t.name.clone());
        let row = found
            .get(&key)
            .unwrap_or_else(|| panic!("{key:?} not read"));
        assert_eq!(
            (row.stages, row.links, row.columns, row.kind.as_str()),
            (
                t.stage_count,
                t.link_count,
                t.column_count,
                format!("{:?}", t.kind).to_lowercase().as_str()
            ),
            "{key:?}"
        );
        for copy in &t.copies {
            let c = inv
                .jobs
                .iter()
                .find(|j| j.file.ends_with(copy.file.as_str()) && j.name == t.name);
            let c = c.unwrap_or_else(|| panic!("copy {} of {} not read", copy.file, t.name));
            assert_eq!(
                c.hash, row.hash,
                "{} in {} and {}: the same design hashes the same",
                t.name, t.file, copy.file
            );
        }
    }
    assert!(
        truth
            .jobs
            .iter()
            .any(|t| t.copies.iter().any(|c| c.file.ends_with(".xml"))),
        "a DSX job re-exported as XML is planted"
    );
}

#[test]
fn planted_passwords_never_reach_the_ir() {
    let dir = tempfile::tempdir().expect("tempdir");
    let truth = generate(&GenOptions::small(200, 9), dir.path()).expect("generate");
    assert!(!truth.password_markers.is_empty());
    let read = read_paths(&[dir.path().to_path_buf()], &Limits::default());
    let dump = serde_json::to_string(&read.entities).expect("json");
    for m in &truth.password_markers {
        assert!(
            !dump.contains(&m.marker),
            "password marker {} leaked into the IR",
            m.marker
        );
    }
    assert!(dump.contains(queries::ir::REDACTED));
}
