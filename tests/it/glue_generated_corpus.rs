//! The Glue target on the project's generated corpus: at least 95% of the
//! jobs the analysis calls AUTO have passing generated tests. The figure
//! and the failures are printed (--nocapture).

use crate::glue;

#[test]
fn generated_corpus_auto_jobs_pass_their_generated_tests() {
    let input = tempfile::tempdir().unwrap();
    corpus_gen::generate(&corpus_gen::GenOptions::small(60, 11), input.path())
        .expect("generate corpus");
    let jobs = glue::read_jobs(&[input.path().to_path_buf()]);
    let dir = glue::out_dir("generated corpus");
    let generated = glue::generate(&jobs, dir.path());
    glue::py_compile_all(dir.path());
    glue::hcl_parse_all(dir.path());
    let (per, text) = glue::pytest(dir.path());
    let mut auto = 0;
    let mut auto_pass = 0;
    let mut failures = Vec::new();
    let mut by_cat: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    for (stem, (name, cat, kind)) in &generated.jobs {
        if *kind == queries::ir::JobKind::Sequence {
            continue;
        }
        let (p, f) = per.get(stem).copied().unwrap_or((0, 0));
        let ok = p > 0 && f == 0;
        let e = by_cat.entry(cat.clone()).or_default();
        e.0 += 1;
        if ok {
            e.1 += 1;
        }
        if cat == "AUTO" {
            auto += 1;
            if ok {
                auto_pass += 1;
            } else {
                failures.push(name.clone());
            }
        }
    }
    for (cat, (n, ok)) in &by_cat {
        eprintln!("generated corpus: {cat}: {ok}/{n} jobs with all generated tests passing");
    }
    let rate = auto_pass as f64 / auto.max(1) as f64;
    eprintln!(
        "generated corpus: AUTO pass rate {auto_pass}/{auto} = {:.1}%; failures: {failures:?}",
        rate * 100.0
    );
    assert!(
        auto >= 10,
        "too few AUTO jobs ({auto}) for a meaningful rate"
    );
    assert!(
        rate >= 0.95,
        "AUTO pass rate {:.1}% < 95%; failures {failures:?}\n{text}",
        rate * 100.0
    );
}
