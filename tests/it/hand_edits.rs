//! Regeneration that respects people (issue 19 item 5): a generated file
//! edited by hand is never overwritten silently, and two targets, or two
//! output folders, keep their own record of the files they wrote.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::project;
use project::{Project, export};

/// This module's readings of `build` and `plan` (a trait: one test binary
/// cannot hold two inherent impls with the same method names).
trait Commands {
    fn build(&self, extra: &[&str]) -> (String, Value);
    fn plan(&self, extra: &[&str]) -> (String, Value);
}

impl Commands for Project {
    /// `dsmig build in EXTRA…`: its console text and its summary.
    fn build(&self, extra: &[&str]) -> (String, Value) {
        let mut args = vec!["build", "in", "--summary-json", "summary.json"];
        args.extend_from_slice(extra);
        let out = self.cmd(&args);
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json = std::fs::read_to_string(self.root.join("summary.json")).expect("summary");
        (text, serde_json::from_str(&json).expect("json"))
    }

    /// `dsmig plan in EXTRA…`: its console text and its JSON.
    fn plan(&self, extra: &[&str]) -> (String, Value) {
        let mut args = vec!["plan", "in"];
        args.extend_from_slice(extra);
        let text = self.cmd(&args);
        let mut json_args = args.clone();
        json_args.push("--json");
        let json = self.cmd(&json_args);
        let v = serde_json::from_slice(&json.stdout).unwrap_or_else(|_| {
            panic!(
                "plan json: {}{}",
                String::from_utf8_lossy(&json.stdout),
                String::from_utf8_lossy(&json.stderr)
            )
        });
        (String::from_utf8_lossy(&text.stdout).to_string(), v)
    }
}

fn list(v: &Value, field: &str) -> Vec<String> {
    v["files"][field]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn n(v: &Value, field: &str) -> u64 {
    v["files"][field].as_u64().unwrap_or(99)
}

/// Every file under `dir`: relative path → bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(dir).into_iter().flatten() {
        if e.file_type().is_file() {
            let rel = e.path().strip_prefix(dir).expect("under").to_string_lossy();
            out.insert(
                rel.replace('\\', "/"),
                std::fs::read(e.path()).expect("read"),
            );
        }
    }
    out
}

/// Every file's modification time under `dir`.
fn mtimes(dir: &Path) -> BTreeMap<String, std::time::SystemTime> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(dir).into_iter().flatten() {
        if e.file_type().is_file() {
            let rel = e.path().strip_prefix(dir).expect("under").to_string_lossy();
            let m = e.metadata().expect("meta").modified().expect("mtime");
            out.insert(rel.to_string(), m);
        }
    }
    out
}

#[test]
fn a_file_edited_by_hand_is_kept_and_its_new_version_written_beside_it() {
    let p = Project::new();
    p.write(
        "a.dsx",
        &export(&[("J1", "Trim(in_J1.A)"), ("J2", "Upcase(in_J2.A)")]),
    );
    p.build(&[]);
    let script = p.root.join("generated/glue_jobs/J1.py");
    let side = p.root.join("generated/glue_jobs/J1.py.dsmig-new");
    let original = std::fs::read(&script).expect("script");
    let mut edited = original.clone();
    edited.extend_from_slice(b"# reviewed by hand\n");
    std::fs::write(&script, &edited).expect("edit");

    // The plan names it, on the console and in its JSON.
    let (text, plan) = p.plan(&[]);
    assert_eq!(list(&plan, "edited"), ["glue_jobs/J1.py"], "{plan}");
    assert!(
        text.contains("edited by hand: glue_jobs/J1.py"),
        "the plan names the edited file: {text}"
    );

    // The job changes: the build leaves the edit alone, writes the new
    // version beside it and says so.
    p.write(
        "a.dsx",
        &export(&[("J1", "Upcase(in_J1.A)"), ("J2", "Upcase(in_J2.A)")]),
    );
    let (_, plan) = p.plan(&[]);
    assert_eq!(list(&plan, "edited"), ["glue_jobs/J1.py"]);
    assert!(list(&plan, "written_paths").contains(&"glue_jobs/J1.py.dsmig-new".to_string()));
    let (text, build) = p.build(&[]);
    assert_eq!(
        std::fs::read(&script).expect("script"),
        edited,
        "the edit is kept"
    );
    let new = std::fs::read(&side).expect("the new version is beside it");
    assert_ne!(new, edited);
    assert_ne!(new, original, "the new derivation");
    assert_eq!(list(&build, "edited"), ["glue_jobs/J1.py"], "{build}");
    assert!(list(&build, "written_paths").contains(&"glue_jobs/J1.py.dsmig-new".to_string()));
    assert!(!list(&build, "written_paths").contains(&"glue_jobs/J1.py".to_string()));
    assert!(
        text.contains("edited by hand: glue_jobs/J1.py (new version: glue_jobs/J1.py.dsmig-new)"),
        "{text}"
    );

    // Again: nothing written, the edit still reported.
    let (_, again) = p.build(&[]);
    assert_eq!(n(&again, "written"), 0, "{again}");
    assert_eq!(list(&again, "edited"), ["glue_jobs/J1.py"]);
    assert!(side.exists());

    // --force overwrites it with the new version and removes the .dsmig-new.
    let (text, forced) = p.build(&["--force"]);
    assert_eq!(std::fs::read(&script).expect("script"), new);
    assert!(!side.exists(), "the .dsmig-new is removed");
    assert_eq!(
        list(&forced, "overwritten"),
        ["glue_jobs/J1.py"],
        "{forced}"
    );
    assert!(list(&forced, "edited").is_empty());
    assert!(text.contains("overwritten: glue_jobs/J1.py"), "{text}");

    // And then a plain build writes nothing.
    let (_, last) = p.build(&[]);
    assert_eq!((n(&last, "written"), n(&last, "deleted")), (0, 0), "{last}");
    assert!(list(&last, "edited").is_empty());
}

#[test]
fn an_edit_undone_removes_the_new_version_and_a_stale_edited_file_is_named() {
    let p = Project::new();
    p.write(
        "a.dsx",
        &export(&[("J1", "Trim(in_J1.A)"), ("J2", "Upcase(in_J2.A)")]),
    );
    p.build(&[]);
    let script = p.root.join("generated/glue_jobs/J1.py");
    let side = p.root.join("generated/glue_jobs/J1.py.dsmig-new");
    let original = std::fs::read(&script).expect("script");
    std::fs::write(&script, b"# mine\n").expect("edit");
    p.build(&[]);
    assert!(
        side.exists(),
        "an edit of an unchanged job: the new version beside it"
    );
    // The edit is undone: the .dsmig-new goes.
    std::fs::write(&script, &original).expect("undo");
    let (_, b) = p.build(&[]);
    assert!(!side.exists(), "{b}");
    assert!(list(&b, "edited").is_empty());

    // A job removed whose file was edited: kept, and named.
    let other = p.root.join("generated/glue_jobs/J2.py");
    std::fs::write(&other, b"# mine too\n").expect("edit");
    p.write("a.dsx", &export(&[("J1", "Trim(in_J1.A)")]));
    let (_, plan) = p.plan(&[]);
    assert_eq!(
        list(&plan, "kept_edited_paths"),
        ["glue_jobs/J2.py"],
        "{plan}"
    );
    let (text, b) = p.build(&[]);
    assert!(other.exists());
    assert_eq!(list(&b, "kept_edited_paths"), ["glue_jobs/J2.py"], "{b}");
    assert!(
        text.contains("kept, edited by hand: glue_jobs/J2.py"),
        "{text}"
    );
}

#[test]
fn two_targets_share_an_output_folder() {
    let p = Project::new();
    p.write(
        "a.dsx",
        &export(&[("J1", "Trim(in_J1.A)"), ("J2", "Upcase(in_J2.A)")]),
    );
    p.build(&[]);
    let glue = tree(&p.root.join("generated"));
    assert!(glue.contains_key("glue_jobs/J1.py"));

    let (_, plan) = p.plan(&["--target", "sql", "--dialect", "postgres"]);
    assert_eq!(n(&plan, "deleted"), 0, "{plan}");
    assert!(list(&plan, "edited").is_empty(), "{plan}");
    let (_, sql) = p.build(&["--target", "sql", "--dialect", "postgres"]);
    assert_eq!(n(&sql, "deleted"), 0, "{sql}");
    assert!(list(&sql, "edited").is_empty(), "{sql}");
    let both = tree(&p.root.join("generated"));
    for (rel, bytes) in &glue {
        assert_eq!(
            both.get(rel),
            Some(bytes),
            "{rel}: the Glue file is untouched"
        );
    }
    assert!(both.contains_key("sql/J1.sql"), "{:?}", both.keys());

    // Glue again: nothing deleted, nothing rewritten, nothing edited.
    let before = mtimes(&p.root.join("generated"));
    let (_, plan) = p.plan(&[]);
    assert_eq!((n(&plan, "written"), n(&plan, "deleted")), (0, 0), "{plan}");
    let (_, again) = p.build(&[]);
    assert_eq!(
        (n(&again, "written"), n(&again, "deleted")),
        (0, 0),
        "{again}"
    );
    assert!(list(&again, "edited").is_empty(), "{again}");
    assert_eq!(tree(&p.root.join("generated")), both);
    assert_eq!(mtimes(&p.root.join("generated")), before);
    // And SQL again, after Glue: the same.
    let (_, sql) = p.build(&["--target", "sql", "--dialect", "postgres"]);
    assert_eq!((n(&sql, "written"), n(&sql, "deleted")), (0, 0), "{sql}");

    // A job removed: each target deletes its own files, a file both made
    // (the job card) goes with the last target that made it.
    p.write("a.dsx", &export(&[("J1", "Trim(in_J1.A)")]));
    let (_, b) = p.build(&[]);
    assert!(list(&b, "kept_edited_paths").is_empty(), "{b}");
    let now = tree(&p.root.join("generated"));
    assert!(!now.contains_key("glue_jobs/J2.py"));
    assert!(
        now.contains_key("sql/J2.sql"),
        "the SQL target's files stay"
    );
    let (_, s) = p.build(&["--target", "sql", "--dialect", "postgres"]);
    assert!(list(&s, "kept_edited_paths").is_empty(), "{s}");
    let now = tree(&p.root.join("generated"));
    assert!(!now.keys().any(|k| k.contains("J2")), "{:?}", now.keys());
}

#[test]
fn another_output_folder_leaves_the_first_alone() {
    let p = Project::new();
    p.write("a.dsx", &export(&[("J1", "Trim(in_J1.A)")]));
    p.build(&[]);
    let first = tree(&p.root.join("generated"));
    let before = mtimes(&p.root.join("generated"));

    let (_, plan) = p.plan(&["--output-dir", "other"]);
    assert_eq!(n(&plan, "deleted"), 0, "{plan}");
    let (_, b) = p.build(&["--output-dir", "other"]);
    assert_eq!(n(&b, "deleted"), 0, "{b}");
    assert_eq!(tree(&p.root.join("other")), first, "the same files there");
    assert_eq!(tree(&p.root.join("generated")), first);
    assert_eq!(mtimes(&p.root.join("generated")), before);

    // The first folder is still up to date, and the second.
    let (_, b) = p.build(&[]);
    assert_eq!((n(&b, "written"), n(&b, "deleted")), (0, 0), "{b}");
    let (_, b) = p.build(&["--output-dir", "other"]);
    assert_eq!((n(&b, "written"), n(&b, "deleted")), (0, 0), "{b}");
}

#[test]
fn only_after_another_target_keeps_the_other_jobs_files() {
    let p = Project::new();
    p.write(
        "a.dsx",
        &export(&[("J1", "Trim(in_J1.A)"), ("J2", "Upcase(in_J2.A)")]),
    );
    p.build(&[]);
    p.build(&["--target", "sql", "--dialect", "postgres"]);
    // The last run was the SQL target's: a Glue build of J1 alone keeps J2's files.
    p.write(
        "a.dsx",
        &export(&[("J1", "Upcase(in_J1.A)"), ("J2", "Upcase(in_J2.A)")]),
    );
    let (_, b) = p.build(&["--only", "J1"]);
    assert_eq!(n(&b, "deleted"), 0, "{b}");
    assert!(p.root.join("generated/glue_jobs/J2.py").exists());
    assert!(p.root.join("generated/sql/J2.sql").exists());
}
