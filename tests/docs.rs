//! The README documents what the code does: the category rules are the
//! code's own text, and every command is listed.

#[test]
fn readme_carries_the_category_rules_of_the_code() {
    let readme = include_str!("../README.md");
    assert!(
        readme.contains(queries::analysis::predict::RULES_MARKDOWN.trim()),
        "README.md must contain analysis::predict::RULES_MARKDOWN verbatim"
    );
}

#[test]
fn readme_lists_every_command() {
    let readme = include_str!("../README.md");
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
