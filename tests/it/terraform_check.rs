//! The generated `terraform/` folder applies: built by the real binary from
//! the shared real corpus and the bundled examples, every `.tf` parses
//! (python-hcl2), no address is declared twice, every `aws_*.X`, `var.X`
//! and `local.X` an expression uses is declared, and `terraform fmt
//! -check` is clean when the `terraform` binary is installed (skipped with
//! a printed reason otherwise; `terraform validate` needs the AWS provider
//! schema, which a test cannot download). The counts are printed (run
//! with --nocapture to see them).
//!
//! Needs `DSMIG_PYTHON` (with python-hcl2): run through `scripts/test`.

use std::path::Path;
use std::process::Command;

use crate::common::{manifest, python};

fn build(input: &Path, out: &Path) {
    let store = out.with_extension("store");
    let o = Command::new(env!("CARGO_BIN_EXE_dsmig"))
        .arg("build")
        .arg(input)
        .arg("--output-dir")
        .arg(out)
        .arg("--store")
        .arg(&store)
        .env("NO_COLOR", "1")
        .output()
        .expect("runs dsmig");
    assert!(
        o.status.success(),
        "dsmig build {} failed:\n{}{}",
        input.display(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// `terraform fmt -check -recursive`: the files it would rewrite, or
/// `None` when no `terraform` binary is on the PATH.
fn fmt_check(dir: &Path) -> Option<Vec<String>> {
    let o = Command::new("terraform")
        .args(["fmt", "-check", "-recursive", "-no-color"])
        .current_dir(dir)
        .output()
        .ok()?;
    let files: Vec<String> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    if !o.status.success() && files.is_empty() {
        panic!(
            "terraform fmt failed:\n{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    Some(files)
}

fn check(input: &Path, label: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    build(input, &out);
    let tf = out.join("terraform");
    let o = Command::new(python())
        .arg(manifest().join("tests/harness/check_terraform.py"))
        .arg(&tf)
        .output()
        .expect("runs python");
    assert!(
        o.status.success(),
        "check_terraform.py failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON report");
    let list = |k: &str| -> Vec<String> {
        r[k].as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    let (errors, duplicates, dangling) =
        (list("parse_errors"), list("duplicates"), list("dangling"));
    let fmt = fmt_check(&tf);
    eprintln!(
        "{label}: {} .tf files, {} resources, {} variables, {} references; {} parse errors, {} duplicate addresses, {} dangling references; terraform fmt: {}",
        r["files"],
        r["resources"],
        r["variables"],
        r["references"],
        errors.len(),
        duplicates.len(),
        dangling.len(),
        match &fmt {
            None => "skipped (no terraform binary on the PATH)".to_string(),
            Some(f) => format!("{} files to reformat", f.len()),
        }
    );
    assert!(
        r["files"].as_u64().unwrap() > 2,
        "{label}: no job .tf written"
    );
    assert!(
        errors.is_empty(),
        "{label}: parse errors:\n{}",
        errors.join("\n")
    );
    assert!(
        duplicates.is_empty(),
        "{label}: duplicate addresses:\n{}",
        duplicates.join("\n")
    );
    assert!(
        dangling.is_empty(),
        "{label}: dangling references:\n{}",
        dangling.join("\n")
    );
    if let Some(f) = fmt {
        assert!(
            f.is_empty(),
            "{label}: terraform fmt -check:\n{}",
            f.join("\n")
        );
    }
    // Required variables, not placeholders.
    let vars = std::fs::read_to_string(tf.join("variables.tf")).unwrap();
    assert!(
        !vars.contains("CHANGE-ME"),
        "{label}: a CHANGE-ME default:\n{vars}"
    );
}

#[test]
fn real_corpus_terraform_applies() {
    let dir = manifest().join("../shared/corpus/real");
    if !dir.is_dir() {
        eprintln!("skipped: no shared real corpus at {}", dir.display());
        return;
    }
    check(&dir, "real corpus");
}

#[test]
fn examples_terraform_applies() {
    check(&manifest().join("examples/exports"), "examples");
}
