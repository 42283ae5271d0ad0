//! Snapshots of the canonical IR: one job per format (DSX, XML, ISX) and
//! per job kind (parallel, server, sequence, fragment). A change here is a
//! change of every downstream key: review it, and bump `IR_VERSION` when the
//! shape changes.

use std::path::PathBuf;

use queries::ir::Located;
use queries::parse::Limits;
use queries::parse::input::read_paths;

fn real(rel: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/corpus/real"
    ))
    .join(rel)
}

fn job(rel: &str, name: &str) -> Located {
    let read = read_paths(&[real(rel)], &Limits::default());
    let mut found = read
        .entities
        .into_iter()
        .find(|e| e.entity.name() == name && e.entity.as_job().is_some())
        .unwrap_or_else(|| panic!("{name} in {rel}"));
    // Paths depend on where the repository is checked out.
    found.location.file = rel.to_string();
    found
}

#[test]
fn dsx_server_job() {
    insta::assert_json_snapshot!(job(
        "entechlog__datastage-examples/ClearDS_RTLogRTStatus.dsx",
        "ClearDS_RTLogRTStatus"
    ));
}

#[test]
fn dsx_parallel_job() {
    insta::assert_json_snapshot!(job(
        "entechlog__datastage-examples/FindJobsByKeyWord.dsx",
        "FindJobsByKeyWord020ext"
    ));
}

#[test]
fn xml_fragment_job() {
    insta::assert_json_snapshot!(job(
        "astronomer__orbiter-community-translations/demo.xml",
        "DataStage_Job"
    ));
}

#[test]
fn isx_parallel_job() {
    insta::assert_json_snapshot!(job(
        "studentbwl19__MettleCI-DevOps/mci_test_revised.isx",
        "mci_test_revised"
    ));
}

#[test]
fn isx_sequence_job() {
    let read = read_paths(
        &[real(
            "umapornj__datastage-tutorial-main/Sequencer_isadmin_20211013101357.isx",
        )],
        &Limits::default(),
    );
    let mut seq: Vec<Located> = read
        .entities
        .into_iter()
        .filter(|e| {
            e.entity
                .as_job()
                .is_some_and(|j| j.kind == queries::ir::JobKind::Sequence)
        })
        .collect();
    seq.sort_by_key(|e| e.entity.as_job().map(|j| j.stages.len()).unwrap_or(0));
    let mut smallest = seq.into_iter().next().expect("a sequence");
    smallest.location.file = "Sequencer_isadmin_20211013101357.isx".into();
    insta::assert_json_snapshot!(smallest);
}
