//! Issue 15, the injection property test: hostile strings (quotes of every
//! kind, `"""`, newlines, CR, backslashes, `\U0001`, `${}`, `$(…)`,
//! backticks, `*/`, `--`, `;`, `#`, `}}`, NUL, right-to-left marks, BTEQ
//! control lines, 10 000 characters) planted in every text field of real
//! and example exports, in DSX, DataStage XML and ISX. dsmig builds every
//! variant for each target and dialect; `tests/harness/injection.py` checks
//! that every generated file parses in its language and that no planted
//! payload became code (see its docstring for the checks per file kind).

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(targets: &str) {
    let python = std::env::var("DSMIG_PYTHON").unwrap_or_else(|_| {
        panic!("DSMIG_PYTHON is not set: run the tests with scripts/test (it prepares Python)")
    });
    let work = tempfile::tempdir().expect("tempdir");
    let ex = root().join("examples/exports/LND_PRD");
    let out = Command::new(python)
        .arg(root().join("tests/harness/injection.py"))
        .arg(env!("CARGO_BIN_EXE_dsmig"))
        .arg(work.path().join("w"))
        .arg(targets)
        // A parallel job (DSX), a parallel job and a sequence (XML), a real
        // job exported by istool (ISX).
        .arg(ex.join("Jb_ShipmentSplit.dsx"))
        .arg(ex.join("Jb_LND_Risk_Archive.xml.gz"))
        .arg(ex.join("Seq_carrier_snapshot_534.xml.gz"))
        .arg(
            root().join("../shared/corpus/real/studentbwl19__MettleCI-DevOps/mci_test_revised.isx"),
        )
        .output()
        .expect("run the injection harness");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "injections or parse failures:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn no_export_text_becomes_glue_code() {
    run("glue");
}

#[test]
fn no_export_text_becomes_sql_or_shell_code() {
    run("teradata,postgres,oracle,sqlserver,ansi");
}
