//! The Glue target on the real corpus and the bundled examples: every
//! generated `.py` compiles, every `.tf` parses, every generated test runs
//! under pytest; all tests of AUTO jobs pass. Pass counts per category are
//! printed (run with --nocapture to see them).

use crate::glue;

use std::collections::BTreeMap;
use std::path::PathBuf;

fn check(paths: &[PathBuf], label: &str) {
    let jobs = glue::read_jobs(paths);
    assert!(!jobs.is_empty(), "{label}: no jobs read");
    let dir = glue::out_dir(label);
    let generated = glue::generate(&jobs, dir.path());
    glue::py_compile_all(dir.path());
    let tf = glue::hcl_parse_all(dir.path());
    let (per, text) = glue::pytest(dir.path());
    let mut by_cat: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    // Jobs whose test expects transform to raise (a placeholder, a lookup
    // failure): they pass by failing loudly, counted apart.
    let mut raising: BTreeMap<String, usize> = BTreeMap::new();
    let mut auto_failures = Vec::new();
    let mut auto_placeholders = Vec::new();
    for (stem, (name, cat, kind)) in &generated.jobs {
        if *kind == queries::ir::JobKind::Sequence {
            continue;
        }
        let (p, f) = per.get(stem).copied().unwrap_or((0, 0));
        assert!(
            p + f > 0,
            "{label}: the test of {name} did not run:\n{text}"
        );
        let e = by_cat.entry(cat.clone()).or_default();
        e.0 += 1;
        if f == 0 {
            e.1 += 1;
            let test = std::fs::read_to_string(dir.path().join(format!("tests/test_{stem}.py")))
                .unwrap_or_default();
            if test.contains("pytest.raises(") {
                *raising.entry(cat.clone()).or_default() += 1;
            }
        }
        e.2 += p;
        if cat == "AUTO" && f > 0 {
            // The analysis runs the translators, so an AUTO job never gets
            // a placeholder: any failure is a real one.
            if generated.with_todos.contains(stem) {
                auto_placeholders.push(name.clone());
            }
            auto_failures.push(name.clone());
        }
    }
    eprintln!(
        "{label}: {} jobs, {} .tf files, {} TODOs",
        generated.jobs.len(),
        tf,
        generated.todos
    );
    for (cat, (jobs, passing, tests)) in &by_cat {
        eprintln!(
            "{label}: {cat}: {passing}/{jobs} jobs with all generated tests passing ({tests} tests passed; {} of these jobs pass by raising as expected)",
            raising.get(cat).copied().unwrap_or(0)
        );
    }
    if !auto_placeholders.is_empty() {
        eprintln!(
            "{label}: AUTO jobs failing on a generator placeholder (analysis/generator disagreement): {auto_placeholders:?}"
        );
    }
    assert!(
        auto_failures.is_empty(),
        "{label}: AUTO jobs with failing generated tests: {auto_failures:?}\n{text}"
    );
}

#[test]
fn real_corpus_generated_glue_code_runs() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/real");
    check(&[root], "real corpus");
}

#[test]
fn bundled_examples_generated_glue_code_runs() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/exports");
    check(&[root], "examples");
}
