//! The one integration-test binary (issue 16): every test module below is
//! linked once against `queries` instead of once per file, which was ~40
//! links of the whole engine after each change to it.
//!
//! Run one module with `cargo test --test it <module>::` (for example
//! `cargo test --test it cli::`), one test with
//! `cargo test --test it <module>::<test>`, several modules with
//! `cargo test --test it -- cli:: docs::` (cargo takes one filter before
//! `--`, the test harness any number after it).
//!
//! Adding a test module: put the file at `tests/it/<name>.rs` and add
//! `mod <name>;` to the list below (alphabetical). Inside it, reach the
//! shared helpers as `crate::common` (paths of the manifest, the real
//! corpus and the examples, the `dsmig` binary, `DSMIG_PYTHON`),
//! `crate::glue` / `crate::sql` (generate and check Glue / SQL files),
//! `crate::project` (a temporary dsmig project) and `crate::expr_cases`
//! (the differential expression table) with `use crate::x;` — never with
//! `mod x;` or `#[path]`, which would compile a second copy. Paths are
//! relative to `CARGO_MANIFEST_DIR` (the repository root), not to this
//! folder; `include_str!` is relative to the file (`../../README.md`).
//! insta names a snapshot after the module path: `assert_snapshot!` in
//! `tests/it/<name>.rs` reads `tests/it/snapshots/it__<name>__<snap>.snap`.
//! A test file written for the old layout (`tests/<name>.rs` with
//! `mod glue;`) moves here by `git mv` plus replacing each `mod glue;` /
//! `mod sql;` / `mod project;` with `use crate::glue;` and so on.

// Shared helpers (no tests of their own).
mod common;
mod expr_cases;
mod glue;
mod project;
mod sql;

// Test modules: one per former `tests/<name>.rs` binary.
mod analysis_generated;
mod analysis_real_corpus;
mod analysis_synthetic;
mod audit;
mod bad_input;
mod canonical;
mod cli;
mod determinism;
mod doc_paths;
mod docs;
mod explain;
mod expr_corpus;
mod expr_coverage;
mod expr_differential;
mod expr_parse;
mod expr_sqlglot;
mod expr_traps;
mod fallback_sweep;
mod file_semantics;
mod generated_corpus;
mod glue_generated_corpus;
mod glue_real_corpus;
mod glue_snapshots;
mod golden;
mod hand_edits;
mod incremental;
mod injection;
mod ir_snapshots;
mod isx_members;
mod layering;
mod layouts;
mod llm_build;
mod llm_providers;
mod real_corpus;
mod reconcile;
mod report_browser;
mod secrets;
mod sequences;
mod sql_dialects;
mod sql_injection;
mod sql_postgres;
mod stage_coverage;
mod terraform_check;
