//! Helpers that several test modules had each copied: where the repository,
//! the real corpus and the examples are, the `dsmig` binary run in a
//! folder, and the Python of the test environment.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root (the `dsmig` package's manifest folder).
pub fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shared real corpus (`../shared/corpus/real`), every export of
/// which must parse.
pub fn real_corpus() -> PathBuf {
    manifest().join("../shared/corpus/real")
}

/// The bundled example exports.
pub fn examples() -> PathBuf {
    manifest().join("examples/exports")
}

/// The built `dsmig` binary run in `dir` with `args`.
pub fn dsmig(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dsmig"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("dsmig runs")
}

/// `DSMIG_PYTHON`, the interpreter of the test environment.
pub fn python() -> String {
    std::env::var("DSMIG_PYTHON").unwrap_or_else(|_| {
        panic!("DSMIG_PYTHON is not set: run the tests with scripts/test (it prepares the Python venv with pyspark, pytest, python-hcl2 and moto)")
    })
}
