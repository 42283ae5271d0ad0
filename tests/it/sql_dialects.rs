//! The SQL target in all five dialects, on ../shared/corpus/real and the
//! bundled examples: every generated SQL file parses with sqlglot in its
//! dialect, and the BTEQ scripts have their control lines (logon from a
//! file, error checks after every statement, quit codes).

use crate::sql;

use std::path::{Path, PathBuf};

use queries::expr::translate::Dialect;

fn corpora() -> Vec<(&'static str, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    vec![
        ("real", root.join("../shared/corpus/real")),
        ("examples", root.join("examples/exports")),
    ]
}

#[test]
fn every_generated_sql_file_parses_in_its_dialect() {
    let dir = sql::out_dir("sql dialects");
    let mut total = 0;
    for (label, path) in corpora() {
        if !path.exists() {
            panic!("{} is missing", path.display());
        }
        let jobs = sql::read_jobs(&[path]);
        assert!(!jobs.is_empty(), "no job read from the {label} corpus");
        for d in Dialect::ALL {
            let g = sql::generate(&jobs, d, &dir.path().join(d.as_str()).join(label));
            total += g.files;
        }
    }
    let r = sql::parse_all(dir.path());
    eprintln!(
        "sqlglot: {} SQL files, {} statements, {} failures (of {total} generated files)",
        r.files,
        r.statements,
        r.failures.len()
    );
    assert!(r.files > 500, "too few SQL files ({})", r.files);
    assert!(
        r.failures.is_empty(),
        "{} files do not parse:\n{}",
        r.failures.len(),
        r.failures
            .iter()
            .take(40)
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// A BTEQ script logs on from a file, sets ERROROUT, checks ERRORCODE
/// after every SQL statement, logs off and quits; it holds no password.
fn check_bteq(path: &Path, text: &str) -> Result<(), String> {
    let lines: Vec<&str> = text.lines().collect();
    let first_dot = lines
        .iter()
        .position(|l| l.starts_with('.'))
        .ok_or("no BTEQ control line")?;
    if !lines[first_dot].starts_with(".RUN FILE = ") {
        return Err(format!(
            "first control line is {:?}, not the logon file",
            lines[first_dot]
        ));
    }
    if lines
        .iter()
        .any(|l| l.trim_start().to_ascii_uppercase().starts_with(".LOGON"))
    {
        return Err("inline .LOGON (credentials belong in the logon file)".into());
    }
    if !text.contains(".SET ERROROUT STDOUT;") {
        return Err("no .SET ERROROUT".into());
    }
    if !text.trim_end().ends_with(".LOGOFF;\n.QUIT 0;".trim_end())
        && !text.trim_end().ends_with(".QUIT 0;")
    {
        return Err("does not end with .LOGOFF / .QUIT 0".into());
    }
    // Every statement (a line ending in ';' outside control lines and
    // comments) is followed by an ERRORCODE check.
    let mut pending: Option<usize> = None;
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim();
        if t.starts_with(".IF ERRORCODE <> 0 THEN .QUIT ") {
            pending = None;
            continue;
        }
        if let Some(p) = pending
            && !t.is_empty()
            && !t.starts_with("--")
        {
            return Err(format!(
                "{}: statement ending on line {} is not followed by .IF ERRORCODE",
                path.display(),
                p + 1
            ));
        }
        if !t.starts_with('.') && !t.starts_with("--") && t.ends_with(';') {
            pending = Some(i);
        }
    }
    if let Some(p) = pending {
        return Err(format!("statement ending on line {} is not checked", p + 1));
    }
    Ok(())
}

#[test]
fn bteq_scripts_have_their_control_lines() {
    let dir = sql::out_dir("sql bteq");
    let mut checked = 0;
    let mut bad = Vec::new();
    for (label, path) in corpora() {
        let jobs = sql::read_jobs(&[path]);
        let out = dir.path().join(label);
        sql::generate(&jobs, Dialect::Teradata, &out);
        for sub in ["sql", "extract"] {
            let Ok(entries) = std::fs::read_dir(out.join(sub)) else {
                continue;
            };
            for e in entries.flatten() {
                let text = std::fs::read_to_string(e.path()).unwrap();
                checked += 1;
                if let Err(why) = check_bteq(&e.path(), &text) {
                    bad.push(format!("{}: {why}", e.path().display()));
                }
            }
        }
    }
    eprintln!("BTEQ scripts checked: {checked}");
    assert!(checked > 100, "too few BTEQ scripts ({checked})");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn the_bteq_check_catches_a_missing_error_check() {
    let ok = ".RUN FILE = dsmig_logon.btq;\n.SET ERROROUT STDOUT;\nDELETE FROM t ALL;\n.IF ERRORCODE <> 0 THEN .QUIT 1;\n.LOGOFF;\n.QUIT 0;\n";
    assert!(check_bteq(Path::new("x"), ok).is_ok());
    let missing = ok.replace(".IF ERRORCODE <> 0 THEN .QUIT 1;\n", "");
    assert!(check_bteq(Path::new("x"), &missing).is_err());
    let inline = ok.replace(".RUN FILE = dsmig_logon.btq;", ".LOGON tdp/user,secret;");
    assert!(check_bteq(Path::new("x"), &inline).is_err());
}

#[test]
fn no_generated_sql_file_holds_a_credential() {
    use corpus_gen::{GenOptions, generate};
    let input = tempfile::tempdir().expect("tempdir");
    let truth = generate(&GenOptions::small(80, 9), input.path()).expect("generate");
    assert!(!truth.password_markers.is_empty(), "passwords are planted");
    let work = tempfile::tempdir().expect("tempdir");
    for d in Dialect::ALL {
        let out = work.path().join(d.as_str());
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_dsmig"))
            .current_dir(work.path())
            .args([
                "build",
                "--target",
                "sql",
                "--dialect",
                d.as_str(),
                "--store",
            ])
            .arg(work.path().join("store"))
            .arg("--output-dir")
            .arg(&out)
            .arg(input.path())
            .output()
            .expect("dsmig runs");
        assert!(
            status.status.success(),
            "{}",
            String::from_utf8_lossy(&status.stderr)
        );
        let mut n = 0;
        let mut stack = vec![out.clone()];
        let mut paths = Vec::new();
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).expect("read_dir").flatten() {
                if e.path().is_dir() {
                    stack.push(e.path());
                } else {
                    paths.push(e);
                }
            }
        }
        for e in paths {
            n += 1;
            let text = String::from_utf8_lossy(&std::fs::read(e.path()).expect("read")).to_string();
            for m in &truth.password_markers {
                assert!(
                    !text.contains(&m.marker),
                    "{}: planted password {} copied",
                    e.path().display(),
                    m.marker
                );
            }
            // Job cards say a value was redacted; SQL files never carry one.
            let card = e.path().parent().is_some_and(|p| p.ends_with("jobs"));
            assert!(
                card || !text.contains(queries::ir::REDACTED),
                "{}: the redaction marker reached a generated file",
                e.path().display()
            );
        }
        assert!(n > 100, "{d:?}: only {n} files");
    }
}
