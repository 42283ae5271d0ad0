//! `dsmig analyze -f json` is a pure function of the input bytes: the same
//! across runs and across thread counts.

use std::process::Command;

fn analyze(threads: &str) -> Vec<u8> {
    let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus/real");
    let out = Command::new(env!("CARGO_BIN_EXE_dsmig"))
        .args(["-j", threads, "analyze", corpus, "-f", "json"])
        .output()
        .expect("dsmig runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn analyze_json_is_byte_identical_across_runs_and_thread_counts() {
    let one = analyze("1");
    let two = analyze("2");
    let again = analyze("2");
    assert!(one.len() > 10_000);
    assert!(one == two, "-j 1 and -j 2 differ");
    assert!(two == again, "two runs differ");
}
