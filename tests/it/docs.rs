//! The README documents what the code does: the category rules are the
//! code's own text, and every command is listed.

#[test]
fn readme_carries_the_category_rules_of_the_code() {
    let readme = include_str!("../../README.md");
    assert!(
        readme.contains(queries::analysis::predict::RULES_MARKDOWN.trim()),
        "README.md must contain analysis::predict::RULES_MARKDOWN verbatim"
    );
}

#[test]
fn readme_lists_every_command() {
    let readme = include_str!("../../README.md");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dsmig"))
        .arg("--help")
        .output()
        .expect("runs");
    let help = String::from_utf8_lossy(&out.stdout);
    for cmd in ["analyze", "build", "plan", "explain", "store"] {
        assert!(help.contains(cmd), "--help lists {cmd}");
        assert!(
            readme.contains(&format!("dsmig {cmd}")),
            "README documents dsmig {cmd}"
        );
    }
}

#[test]
fn readme_example_job_count_is_what_analyze_counts() {
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/exports");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dsmig"))
        .args(["analyze", examples, "-f", "json"])
        .output()
        .expect("runs");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let jobs = v["summary"]["jobs"].as_u64().expect("jobs");
    let distinct = v["summary"]["distinct_jobs"].as_u64().expect("distinct");
    let readme = include_str!("../../README.md");
    assert!(
        readme.contains(&format!("reads the {jobs} example jobs")),
        "README.md must say the examples hold {jobs} jobs"
    );
    assert!(
        readme.contains(&format!("{distinct} designs")),
        "README.md must say the examples hold {distinct} designs"
    );
    let examples_readme = include_str!("../../examples/README.md");
    assert!(
        examples_readme.contains(&format!("holds {jobs} synthetic DataStage jobs"))
            && examples_readme.contains(&format!("{jobs} jobs, {distinct} distinct")),
        "examples/README.md must say {jobs} jobs, {distinct} distinct"
    );
}
