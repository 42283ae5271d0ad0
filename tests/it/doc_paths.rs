//! The documentation names files that exist (issue 16 item 6): every
//! repository path in backticks or in a Markdown link of README.md,
//! ARCHITECTURE.md, docs/, the READMEs under queries/src, benches,
//! examples and tests/golden must resolve.
//!
//! A span counts as a repository path when it ends in `.rs` or starts with
//! a source folder (`src/`, `queries/`, `tests/it/`, `scripts/`, …); the
//! rest (paths inside a generated project such as `glue_jobs/x.py` or
//! `tests/conftest.py`, `dsmig.toml`, URLs) is not checked. A path resolves
//! against the repository root, the document's folder, `queries/` or
//! `queries/src/`; a path that does not start with a top-level folder may
//! also be a tail of one (ARCHITECTURE.md's table names `sql/dialect.rs`
//! inside the row of `queries/src/expr/`).

use std::path::{Path, PathBuf};

use crate::common::manifest;

/// Folders at the repository root whose paths are checked.
const SOURCE_PREFIXES: &[&str] = &[
    "src/",
    "queries/",
    "scripts/",
    "benches/",
    "examples/",
    ".ci/",
    "tests/it/",
    "tests/harness/",
    "tests/golden/",
    "tests/fixtures/",
    "../shared/",
];

fn documents(root: &Path) -> Vec<PathBuf> {
    let mut docs: Vec<PathBuf> = [
        "README.md",
        "ARCHITECTURE.md",
        "benches/README.md",
        "examples/README.md",
        "tests/golden/README.md",
        "tests/golden/EXPECTED_FAILURES.md",
    ]
    .iter()
    .map(|d| root.join(d))
    .filter(|p| p.is_file())
    .collect();
    for dir in ["docs", "queries/src"] {
        for e in walkdir::WalkDir::new(root.join(dir))
            .into_iter()
            .filter_map(Result::ok)
        {
            let name = e.file_name().to_string_lossy();
            let wanted = if dir == "docs" {
                name.ends_with(".md")
            } else {
                name == "README.md"
            };
            if e.file_type().is_file() && wanted {
                docs.push(e.into_path());
            }
        }
    }
    docs.sort();
    docs
}

/// Backtick spans and Markdown link targets of `text`.
fn spans(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut parts = line.split('`');
        parts.next();
        // Odd pieces are inside backticks (a span never crosses a line here).
        while let (Some(inside), Some(_)) = (parts.next(), parts.next()) {
            out.push(inside.to_string());
        }
        let mut rest = line;
        while let Some(i) = rest.find("](") {
            rest = &rest[i + 2..];
            let end = rest.find(')').unwrap_or(rest.len());
            out.push(rest[..end].to_string());
            rest = &rest[end..];
        }
    }
    out
}

/// The repository path a span names, if it names one.
fn repo_path(span: &str) -> Option<&str> {
    let s = span.split('#').next()?.trim_end_matches([':', ',', '.']);
    let inert = |c: char| c.is_whitespace() || "{}*<>$|=()\"'".contains(c);
    if s.is_empty() || s.contains(inert) || s.contains("::") || s.contains("://") {
        return None;
    }
    // The repository's `docs/` holds Markdown; a generated project's
    // `docs/sql/` folder is not a repository path.
    let source = SOURCE_PREFIXES.iter().any(|p| s.starts_with(p))
        || (s.starts_with("docs/") && s.ends_with(".md"));
    (source || s.ends_with(".rs")).then_some(s)
}

fn resolves(root: &Path, doc_dir: &Path, all: &[String], path: &str) -> bool {
    let bases = [
        root.to_path_buf(),
        doc_dir.to_path_buf(),
        root.join("queries"),
        root.join("queries/src"),
    ];
    if bases.iter().any(|b| b.join(path).exists()) {
        return true;
    }
    let top_level =
        SOURCE_PREFIXES.iter().any(|p| path.starts_with(p)) || path.starts_with("tests/");
    let tail = format!("/{}", path.trim_end_matches('/'));
    !top_level && all.iter().any(|f| f.ends_with(&tail))
}

#[test]
fn documentation_names_existing_files() {
    let root = manifest();
    // Every file and folder of the repository, as `/relative/path`.
    let all: Vec<String> = walkdir::WalkDir::new(&root)
        .into_iter()
        .filter_entry(|e| {
            let n = e.file_name().to_string_lossy();
            !(e.depth() == 1 && (n == "target" || n.starts_with('.')))
        })
        .filter_map(Result::ok)
        .map(|e| {
            format!(
                "/{}",
                e.path().strip_prefix(&root).unwrap_or(e.path()).display()
            )
        })
        .collect();
    let mut missing = Vec::new();
    let mut checked = 0;
    for doc in documents(&root) {
        let text = std::fs::read_to_string(&doc).expect("read document");
        let dir = doc.parent().unwrap_or(&root);
        let rel = doc
            .strip_prefix(&root)
            .unwrap_or(&doc)
            .display()
            .to_string();
        for span in spans(&text) {
            if let Some(path) = repo_path(&span) {
                checked += 1;
                if !resolves(&root, dir, &all, path) {
                    missing.push(format!("{rel}: `{path}`"));
                }
            }
        }
    }
    missing.sort();
    missing.dedup();
    println!("{checked} file references checked");
    assert!(
        checked > 50,
        "too few references found ({checked}): is the scan broken?"
    );
    assert!(
        missing.is_empty(),
        "documents name files that do not exist:\n{}",
        missing.join("\n")
    );
}

#[test]
fn spans_and_paths() {
    let s = spans("see `tests/it/cli.rs` and [the map](ARCHITECTURE.md#tests), `x = 1`");
    assert_eq!(s, ["tests/it/cli.rs", "x = 1", "ARCHITECTURE.md#tests"]);
    // A generated project has a `docs/` folder too: only `.md` files count.
    assert_eq!(repo_path("docs/sql/"), None);
    assert_eq!(
        repo_path("docs/expression-coverage.md"),
        Some("docs/expression-coverage.md")
    );
    assert_eq!(repo_path("queries/src/lib.rs:"), Some("queries/src/lib.rs"));
    assert_eq!(repo_path("glue_jobs/x.py"), None);
    assert_eq!(repo_path("x = 1"), None);
    assert_eq!(repo_path("stages.rs"), Some("stages.rs"));
}
