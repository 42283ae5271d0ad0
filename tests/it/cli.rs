//! The command line as a user meets it: a mistyped PATH, a narrow
//! terminal, the names of export formats in JSON.

use std::path::Path;
use std::process::Command;

use crate::common::{dsmig, examples};

/// Every name under `dir`, recursively (what a command left behind).
fn listing(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = walkdir::WalkDir::new(dir)
        .min_depth(1)
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| {
            e.path()
                .strip_prefix(dir)
                .unwrap_or(e.path())
                .display()
                .to_string()
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_missing_path_is_an_error_naming_it_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    for args in [
        vec!["analyze", "no_such_exports/"],
        vec!["analyze", "no_such_exports/", "-f", "json"],
        vec!["build", "no_such_exports/"],
        vec!["plan", "no_such_exports/"],
        vec!["plan", "no_such_exports/", "--detailed-exitcode"],
        vec!["report", "no_such_exports/", "-o", "r.html"],
        vec!["explain", "J1", "no_such_exports/"],
    ] {
        let out = dsmig(dir.path(), &args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("no_such_exports/: no such file or folder"),
            "{args:?}: {stderr}"
        );
        assert!(
            out.stdout.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert_eq!(
            listing(dir.path()),
            Vec::<String>::new(),
            "{args:?} left files"
        );
    }
    // One missing path among good ones is still an error, and names only it.
    let ex = examples();
    let out = dsmig(
        dir.path(),
        &["analyze", ex.to_str().expect("utf-8"), "typo.dsx"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("typo.dsx: no such file or folder"),
        "{stderr}"
    );
    assert!(!stderr.contains("examples"), "{stderr}");
}

#[test]
fn analyze_fits_80_columns_and_every_job_stays_recognisable() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Long names that differ only at their end, as generated names do.
    let mut text = String::from(
        "BEGIN HEADER\n   CharacterSet \"CP1252\"\n   ServerVersion \"9.1\"\nEND HEADER\n",
    );
    let long = [
        "LOAD_CUSTOMER_DIMENSION_FROM_STAGING_AREA_DAILY_0001",
        "LOAD_CUSTOMER_DIMENSION_FROM_STAGING_AREA_DAILY_0002",
        "X",
    ];
    for name in long {
        text.push_str(&format!(
            "BEGIN DSJOB\n   Identifier \"{name}\"\n   BEGIN DSRECORD\n      Identifier \"ROOT\"\n      OLEType \"CJobDefn\"\n      Name \"{name}\"\n      JobType \"3\"\n   END DSRECORD\n   BEGIN DSRECORD\n      Identifier \"V0S1\"\n      OLEType \"CCustomStage\"\n      Name \"peek\"\n      StageType \"PxPeek\"\n   END DSRECORD\nEND DSJOB\n"
        ));
    }
    let deep = dir
        .path()
        .join("a_rather_deep/folder_structure/of_exports_from_production");
    std::fs::create_dir_all(&deep).expect("mkdir");
    std::fs::write(deep.join("long_names_export_file.dsx"), text).expect("write");

    let ex = examples();
    let out = Command::new(env!("CARGO_BIN_EXE_dsmig"))
        .current_dir(dir.path())
        .env("COLUMNS", "80")
        .args(["analyze", ex.to_str().expect("utf-8"), "a_rather_deep"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for line in stdout.lines() {
        assert!(
            line.chars().count() <= 80,
            "{} characters: {line}\n{stdout}",
            line.chars().count()
        );
    }
    let json = dsmig(
        dir.path(),
        &[
            "analyze",
            ex.to_str().expect("utf-8"),
            "a_rather_deep",
            "-f",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    let names: Vec<&str> = v["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .filter_map(|j| j["name"].as_str())
        .collect();
    assert_eq!(names.len(), 67);
    let rows: Vec<&str> = stdout.lines().skip(1).take(names.len()).collect();
    for (name, row) in names.iter().zip(&rows) {
        let cell = row.split("  ").next().unwrap_or("");
        // Whole, or cut in the middle keeping at least 10 characters of
        // each end: the start says what it is, the end tells it apart.
        let ok = cell == *name
            || cell.split_once('…').is_some_and(|(head, tail)| {
                name.starts_with(head)
                    && name.ends_with(tail)
                    && head.chars().count() >= 10
                    && tail.chars().count() >= 10
            });
        assert!(ok, "{name:?} shown as {cell:?}\n{stdout}");
    }
    assert!(
        rows.iter().any(|r| r.contains("DAILY_0001"))
            && rows.iter().any(|r| r.contains("DAILY_0002")),
        "the two long names stay apart:\n{stdout}"
    );
    // The table still says where each job is and what it is.
    let header = stdout.lines().next().unwrap_or("");
    for col in ["JOB", "CATEGORY", "FILE"] {
        assert!(header.contains(col), "{header}");
    }
}

#[test]
fn format_names_are_dsx_xml_isx_in_every_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ex = examples();
    let mut args = vec![
        "analyze".to_string(),
        ex.display().to_string(),
        "-f".into(),
        "json".into(),
    ];
    // An ISX archive of the real corpus, when it is there.
    let isx = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/real/studentbwl19__MettleCI-DevOps/mci_test_revised.isx");
    if isx.exists() {
        args.push(isx.display().to_string());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = dsmig(dir.path(), &args);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let mut seen = std::collections::BTreeSet::new();
    for f in v["files"].as_array().expect("files") {
        seen.insert(f["format"].as_str().expect("format").to_string());
    }
    for j in v["jobs"].as_array().expect("jobs") {
        seen.insert(j["format"].as_str().expect("format").to_string());
    }
    for k in v["summary"]["jobs_by_format"]
        .as_object()
        .expect("jobs_by_format")
        .keys()
    {
        seen.insert(k.clone());
    }
    let allowed = ["dsx", "xml", "isx"];
    assert!(
        seen.iter().all(|s| allowed.contains(&s.as_str())),
        "{seen:?}"
    );
    assert!(seen.contains("dsx") && seen.contains("xml"), "{seen:?}");
    if isx.exists() {
        assert!(seen.contains("isx"), "{seen:?}");
    }
    // The report's data block names them the same way.
    let out = dsmig(
        dir.path(),
        &["report", ex.to_str().expect("utf-8"), "-o", "r.html"],
    );
    assert_eq!(out.status.code(), Some(0));
    let html = std::fs::read_to_string(dir.path().join("r.html")).expect("report");
    for bad in [
        "\"Dsx\"", "\"Xml\"", "\"Isx\"", "\"DSX\"", "\"XML\"", "\"ISX\"",
    ] {
        assert!(!html.contains(bad), "report holds {bad}");
    }
}
