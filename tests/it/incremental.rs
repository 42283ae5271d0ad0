//! The build is incremental: assertions on the per-phase counts of
//! `dsmig build --summary-json`, never on wall time.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::project;
use project::{Project, export};

/// This module's readings of `build` and `plan` (a trait: one test binary
/// cannot hold two inherent impls with the same method names).
trait Commands {
    fn build(&self, extra: &[&str]) -> Value;
    fn plan(&self) -> (i32, Value);
}

impl Commands for Project {
    /// `dsmig build in` and its summary.
    fn build(&self, extra: &[&str]) -> Value {
        let mut args = vec!["build", "in", "--summary-json", "summary.json"];
        args.extend_from_slice(extra);
        let out = self.cmd(&args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let text = std::fs::read_to_string(self.root.join("summary.json")).expect("summary");
        serde_json::from_str(&text).expect("json")
    }

    fn plan(&self) -> (i32, Value) {
        let out = self.cmd(&["plan", "in", "--json", "--detailed-exitcode"]);
        let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
            panic!(
                "plan json: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code().unwrap_or(-1), v)
    }
}

fn counts(s: &Value, phase: &str) -> (u64, u64) {
    let p = &s["phases"][phase];
    (
        p["computed"].as_u64().unwrap_or(99),
        p["reused"].as_u64().unwrap_or(99),
    )
}

fn files(s: &Value) -> (u64, u64, u64) {
    let f = &s["files"];
    (
        f["written"].as_u64().unwrap_or(99),
        f["unchanged"].as_u64().unwrap_or(99),
        f["deleted"].as_u64().unwrap_or(99),
    )
}

fn written_paths(s: &Value) -> Vec<String> {
    s["files"]["written_paths"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn five_jobs() -> Vec<(&'static str, &'static str)> {
    vec![
        ("J1", "Trim(in_J1.A)"),
        ("J2", "Upcase(in_J2.A)"),
        ("J3", "in_J3.A : 'x'"),
        ("J4", "Len(in_J4.A)"),
        ("J5", "Downcase(in_J5.A)"),
    ]
}

#[test]
fn second_build_computes_nothing_and_writes_nothing() {
    let p = Project::new();
    p.write("multi.dsx", &export(&five_jobs()));
    p.write("single.dsx", &export(&[("S1", "in_S1.A")]));
    let first = p.build(&[]);
    assert_eq!(first["jobs"]["new"], 6);
    assert_eq!(counts(&first, "split"), (2, 0));
    assert_eq!(counts(&first, "job_ir"), (6, 0));
    assert_eq!(counts(&first, "artifacts"), (6, 0));
    let (written, unchanged, deleted) = files(&first);
    assert!(
        written >= 6 * 5,
        "a job card, a Glue script, a test, Terraform and docs per job: {written}"
    );
    assert_eq!((unchanged, deleted), (0, 0));
    let mtime = std::fs::metadata(p.root.join("generated/jobs/J1.json"))
        .and_then(|m| m.modified())
        .expect("mtime");

    let second = p.build(&[]);
    assert_eq!(second["jobs"]["unchanged"], 6);
    for phase in ["split", "job_ir", "artifacts"] {
        assert_eq!(
            counts(&second, phase).0,
            0,
            "{phase} computed on a no-op build"
        );
    }
    assert_eq!(files(&second), (0, written, 0));
    let again = std::fs::metadata(p.root.join("generated/jobs/J1.json"))
        .and_then(|m| m.modified())
        .expect("mtime");
    assert_eq!(mtime, again, "no file rewritten");
}

/// Every file under `dir`, relative path → bytes.
fn tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).expect("under dir");
            let bytes = std::fs::read(e.path()).expect("read");
            (rel.to_string_lossy().into_owned(), bytes)
        })
        .collect()
}

#[test]
fn deleted_generated_files_are_made_again_without_recomputing_a_phase() {
    // The store keeps what rule-made files hash to, not their bytes: a
    // file missing from the output folder is generated again from its
    // job's stored IR, byte for byte.
    let p = Project::new();
    p.write("multi.dsx", &export(&five_jobs()));
    p.build(&[]);
    let out = p.root.join("generated");
    let before = tree(&out);
    std::fs::remove_dir_all(out.join("glue_jobs")).expect("rm");
    std::fs::remove_file(out.join("jobs/J2.json")).expect("rm");
    let removed = before.len() - tree(&out).len();
    assert!(removed >= 6, "five scripts and a job card: {removed}");

    let again = p.build(&[]);
    for phase in ["split", "job_ir", "features", "artifacts"] {
        assert_eq!(counts(&again, phase).0, 0, "{phase} computed");
    }
    assert_eq!(
        files(&again),
        (removed as u64, (before.len() - removed) as u64, 0)
    );
    assert_eq!(tree(&out), before, "the same bytes as the first build");
}

#[test]
fn editing_one_job_in_a_multi_job_export_recomputes_that_job_alone() {
    let p = Project::new();
    p.write("multi.dsx", &export(&five_jobs()));
    p.build(&[]);
    let mut jobs = five_jobs();
    jobs[2].1 = "in_J3.A : 'y'";
    p.write("multi.dsx", &export(&jobs));
    let s = p.build(&[]);
    assert_eq!(counts(&s, "split"), (1, 0), "the file is re-split");
    assert_eq!(counts(&s, "job_ir"), (1, 4), "only J3's slice is rebuilt");
    assert_eq!(counts(&s, "artifacts"), (1, 4));
    // Only J3's files (its script, test and docs show the derivation; its
    // job card does not) and the generation report are rewritten.
    let written = written_paths(&s);
    assert!(!written.is_empty());
    for w in &written {
        assert!(
            w.contains("J3") || w == "generation_report.json",
            "rewritten: {w}"
        );
    }
    assert_eq!(files(&s).2, 0);
    assert_eq!(s["jobs"]["changed"], 1);
    assert_eq!(s["changes"][0]["job"], "J3");
}

#[test]
fn touching_renaming_and_moving_recompute_no_job_ir() {
    let p = Project::new();
    let jobs = five_jobs();
    p.write("a.dsx", &export(&jobs[..3]));
    p.write("b.dsx", &export(&jobs[3..]));
    p.build(&[]);

    // Touch: same bytes, new mtime.
    std::thread::sleep(std::time::Duration::from_millis(20));
    p.write("a.dsx", &export(&jobs[..3]));
    let s = p.build(&[]);
    assert_eq!(counts(&s, "job_ir").0, 0);
    assert_eq!(counts(&s, "split").0, 0, "same content hash, split reused");

    // Rename.
    std::fs::rename(p.root.join("in/a.dsx"), p.root.join("in/renamed.dsx")).expect("rename");
    let s = p.build(&[]);
    assert_eq!(counts(&s, "job_ir").0, 0);
    assert_eq!(counts(&s, "split").0, 0);
    assert_eq!(s["jobs"]["unchanged"], 5);

    // Move J3 from renamed.dsx to b.dsx (CRLF there, for good measure).
    p.write("renamed.dsx", &export(&jobs[..2]));
    p.write(
        "b.dsx",
        &export(&[jobs[3], jobs[4], jobs[2]]).replace('\n', "\r\n"),
    );
    let s = p.build(&[]);
    assert_eq!(counts(&s, "split"), (2, 0));
    assert_eq!(counts(&s, "job_ir").0, 0, "every slice was seen before");
    assert_eq!(counts(&s, "artifacts").0, 0);
    assert_eq!(s["jobs"]["unchanged"], 5);
    assert_eq!(files(&s).0, 0);
}

#[test]
fn bumping_a_phase_version_recomputes_it_and_nothing_upstream() {
    let p = Project::new();
    p.write("multi.dsx", &export(&five_jobs()));
    p.build(&[]);
    let s = p.build(&["--bump-query-version", "artifacts"]);
    assert_eq!(counts(&s, "split").0, 0);
    assert_eq!(counts(&s, "job_ir").0, 0);
    assert_eq!(counts(&s, "artifacts"), (5, 0));
    // Same generator output: the files' bytes are unchanged.
    assert_eq!(files(&s).0, 0);
    assert_eq!(files(&s).2, 0);

    // job_ir: recomputed; its outputs (IR hashes) are the same, so the
    // artifacts downstream are reused (early cutoff).
    let s = p.build(&["--bump-query-version", "job_ir"]);
    assert_eq!(counts(&s, "split").0, 0);
    assert_eq!(counts(&s, "job_ir"), (5, 0));
    assert_eq!(counts(&s, "artifacts"), (0, 5));
}

#[test]
fn jobs_that_leave_the_inputs_lose_their_files() {
    let p = Project::new();
    p.write("multi.dsx", &export(&five_jobs()));
    p.build(&[]);
    p.write("multi.dsx", &export(&five_jobs()[..4]));
    let s = p.build(&[]);
    assert_eq!(s["jobs"]["removed"], 1);
    let (_, _, deleted) = files(&s);
    assert!(deleted >= 5, "J5's files are deleted: {deleted}");
    assert!(
        written_paths(&s)
            .iter()
            .all(|w| w == "generation_report.json")
    );
    assert!(!p.root.join("generated/jobs/J5.json").exists());
    // A file the user put there is never touched.
    std::fs::write(p.root.join("generated/jobs/mine.txt"), "keep").expect("write");
    p.write("multi.dsx", &export(&five_jobs()[..3]));
    p.build(&[]);
    assert!(p.root.join("generated/jobs/mine.txt").exists());
}

#[test]
fn plan_says_new_then_nothing_then_names_the_edited_job() {
    let p = Project::new();
    p.write("multi.dsx", &export(&five_jobs()));
    let (code, plan) = p.plan();
    assert_eq!(code, 2);
    assert_eq!(plan["jobs"]["new"], 5);
    assert!(!p.root.join("generated").exists(), "plan writes nothing");

    p.build(&[]);
    let (code, plan) = p.plan();
    assert_eq!(code, 0, "{plan}");
    assert_eq!(plan["jobs"]["unchanged"], 5);

    let mut jobs = five_jobs();
    jobs[1].1 = "Upcase(Trim(in_J2.A))";
    p.write("multi.dsx", &export(&jobs));
    let (code, plan) = p.plan();
    assert_eq!(code, 2);
    assert_eq!(plan["jobs"]["changed"], 1);
    let change = &plan["changes"][0];
    assert_eq!(change["job"], "J2");
    assert!(
        change["reason"]
            .as_str()
            .is_some_and(|r| r.contains("multi.dsx") && r.contains("changed")),
        "{change}"
    );
    // It says what changed in the job, not only that its design differs.
    assert!(
        change["reason"]
            .as_str()
            .is_some_and(|r| r.contains("stage xf: derivation of out.B changed")
                && !r.contains("design differs")),
        "{change}"
    );
    assert_eq!(counts(&plan, "job_ir").0, 1);

    // The plan wrote nothing: the next build still has the work to do.
    let s = p.build(&[]);
    assert_eq!(counts(&s, "job_ir").0, 1);
}

#[test]
fn a_second_process_gets_a_clear_error_and_the_store_survives() {
    let p = Project::new();
    p.write("multi.dsx", &export(&five_jobs()));
    p.build(&[]);
    let held = queries::store::Store::open(&p.root.join(".dsmig-store"), false).expect("open");
    let out = p.cmd(&["build", "in"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("store in use (pid {})", std::process::id())),
        "{err}"
    );
    drop(held);
    let s = p.build(&[]);
    assert_eq!(s["jobs"]["unchanged"], 5);
}

#[test]
fn a_corrupt_store_gives_a_clear_error() {
    let p = Project::new();
    p.write("multi.dsx", &export(&five_jobs()));
    std::fs::create_dir_all(p.root.join(".dsmig-store")).expect("mkdir");
    std::fs::write(p.root.join(".dsmig-store/store.redb"), vec![0xAB; 8192]).expect("write");
    let out = p.cmd(&["build", "in"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the store is damaged: move it aside (")
            && err.contains("pays again for LLM calls"),
        "{err}"
    );
}

fn generated_corpus(dir: &Path, jobs: usize) {
    let opts = corpus_gen::GenOptions::small(jobs, 11);
    corpus_gen::generate(&opts, dir).expect("corpus");
}

/// `dsmig build in` on one worker, committing every 50 ms, silent: a
/// build for a test to kill.
fn spawn_build_to_kill(p: &Project) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_dsmig"))
        .current_dir(&p.root)
        .args(["-j", "1", "build", "in"])
        .env("DSMIG_FLUSH_MS", "50")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn")
}

#[test]
fn a_build_killed_mid_way_is_followed_by_one_that_reuses_what_was_committed() {
    let p = Project::new();
    generated_corpus(&p.root.join("in"), 600);
    let mut child = spawn_build_to_kill(&p);
    // Kill once the store has grown past its empty size: results committed.
    let db = p.root.join(".dsmig-store/store.redb");
    let start = std::time::Instant::now();
    loop {
        let size = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
        if size > 2 * 1024 * 1024 || start.elapsed().as_secs() > 120 {
            break;
        }
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let finished_early = matches!(child.try_wait(), Ok(Some(_)));
    // SIGKILL: no destructor, no flush.
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        !finished_early,
        "the build finished before it could be killed; grow the corpus"
    );

    let s = p.build(&[]);
    let (computed, reused) = counts(&s, "job_ir");
    assert!(
        reused > 0,
        "results committed before the kill are reused: {computed} computed, {reused} reused"
    );
    assert!(computed > 0, "the kill came before the end");
    assert_eq!(s["errors"], 0);
    let again = p.build(&[]);
    assert_eq!(counts(&again, "job_ir").0, 0);
}

#[test]
fn changing_one_job_of_a_cluster_of_twenty_touches_only_that_job() {
    let p = Project::new();
    let names: Vec<String> = (0..20).map(|i| format!("J{i:02}")).collect();
    let derivations: Vec<String> = names
        .iter()
        .map(|n| format!("Trim(in_{n}.A) : 'x'"))
        .collect();
    let jobs: Vec<(&str, &str)> = names
        .iter()
        .zip(&derivations)
        .map(|(n, d)| (n.as_str(), d.as_str()))
        .collect();
    p.write("cluster.dsx", &export(&jobs));
    let first = p.build(&[]);
    assert_eq!(counts(&first, "features"), (20, 0));
    let groups_before = analyze_groups(&p);
    let dup = groups_before["J00"].clone();
    assert!(
        names.iter().all(|n| groups_before[n] == dup),
        "20 copies form one duplicate group: {groups_before:?}"
    );

    let mut edited = derivations.clone();
    edited[7] = "Upcase(Trim(in_J07.A)) : 'x'".to_string();
    let jobs: Vec<(&str, &str)> = names
        .iter()
        .zip(&edited)
        .map(|(n, d)| (n.as_str(), d.as_str()))
        .collect();
    p.write("cluster.dsx", &export(&jobs));
    let s = p.build(&[]);
    for phase in ["job_ir", "features", "lineage"] {
        assert_eq!(counts(&s, phase), (1, 19), "{phase}");
    }
    // The others' complexity is not even loaded: their stored predictions
    // (same job, same membership) answer.
    assert_eq!(counts(&s, "complexity"), (1, 0));
    assert_eq!(counts(&s, "groups"), (1, 0), "the grouping is redone");
    assert_eq!(
        counts(&s, "prediction").1,
        19,
        "the other predictions are reused"
    );
    let groups_after = analyze_groups(&p);
    for n in names.iter().filter(|n| n.as_str() != "J07") {
        assert_eq!(groups_after[n], dup, "{n} keeps its group id");
    }
    assert_ne!(
        groups_after["J07"], dup,
        "the edited job left the duplicate group"
    );
}

/// Job name → duplicate group id, from `dsmig analyze -f json`.
fn analyze_groups(p: &Project) -> std::collections::BTreeMap<String, String> {
    let out = p.cmd(&["analyze", "in", "-f", "json"]);
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    v["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .map(|j| {
            (
                j["name"].as_str().unwrap_or("").to_string(),
                j["dup"].as_str().unwrap_or("-").to_string(),
            )
        })
        .collect()
}

#[test]
fn store_gc_keeps_what_the_last_runs_used_and_stats_report_it() {
    let p = Project::new();
    p.write("multi.dsx", &export(&five_jobs()));
    p.build(&[]);
    let mut jobs = five_jobs();
    jobs[0].1 = "Trim(Trim(in_J1.A))";
    p.write("multi.dsx", &export(&jobs));
    p.build(&[]);
    let gc = p.cmd(&["store", "gc", "--keep-runs", "1"]);
    assert!(
        gc.status.success(),
        "{}",
        String::from_utf8_lossy(&gc.stderr)
    );
    let said = String::from_utf8_lossy(&gc.stdout);
    assert!(
        said.contains("dropped") && !said.contains("dropped 0 memo"),
        "the old J1 results go: {said}"
    );
    // Everything the last run used is still there.
    let s = p.build(&[]);
    for phase in [
        "split",
        "job_ir",
        "features",
        "groups",
        "prediction",
        "artifacts",
    ] {
        assert_eq!(counts(&s, phase).0, 0, "{phase} recomputed after gc");
    }
    let stats = p.cmd(&["store", "stats"]);
    let text = String::from_utf8_lossy(&stats.stdout);
    assert!(
        text.contains("memo") && text.contains("hit rate 100%"),
        "{text}"
    );
}

#[test]
fn an_override_template_folder_regenerates_what_it_renders() {
    let p = Project::new();
    p.write("multi.dsx", &export(&five_jobs()));
    p.build(&[]);
    std::fs::create_dir_all(p.root.join("my-templates/glue")).expect("mkdir");
    std::fs::write(p.root.join("my-templates/glue/job.md.hbs"), "CUSTOM DOC\n").expect("write");
    std::fs::write(
        p.root.join("dsmig.toml"),
        "[generation]\ntemplates_dir = \"my-templates\"\n",
    )
    .expect("write");
    let s = p.build(&[]);
    assert_eq!(
        counts(&s, "artifacts"),
        (5, 0),
        "the templates are part of the key"
    );
    let written = written_paths(&s);
    assert!(
        written.iter().any(|w| w.starts_with("docs/")),
        "{written:?}"
    );
    assert!(
        written
            .iter()
            .all(|w| w.starts_with("docs/") || w == "generation_report.json"),
        "{written:?}"
    );
    let doc = std::fs::read_to_string(p.root.join("generated/docs/J1.md")).expect("doc");
    assert_eq!(doc, "CUSTOM DOC\n");
    let again = p.build(&[]);
    assert_eq!(counts(&again, "artifacts").0, 0);
}

#[test]
fn only_regenerates_the_named_jobs_and_keeps_the_others_files() {
    let p = Project::new();
    p.write("multi.dsx", &export(&five_jobs()));
    p.build(&[]);
    let mut jobs = five_jobs();
    jobs[0].1 = "Trim(Trim(in_J1.A))";
    jobs[1].1 = "Upcase(Trim(in_J2.A))";
    p.write("multi.dsx", &export(&jobs));
    let s = p.build(&["--only", "J1"]);
    assert_eq!(counts(&s, "artifacts").0, 1, "only J1 is generated");
    assert_eq!(files(&s).2, 0, "no file of the other jobs is deleted");
    let written = written_paths(&s);
    assert!(
        written
            .iter()
            .all(|w| w.contains("J1") || w == "generation_report.json"),
        "{written:?}"
    );
    assert!(p.root.join("generated/glue_jobs/J2.py").exists());
    let full = p.build(&[]);
    assert_eq!(counts(&full, "artifacts").0, 1, "J2 now");
    let bad = p.cmd(&["build", "in", "--target", "cobol"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown target"));
    let bad = p.cmd(&["build", "in", "--dialect", "oracle"]);
    assert_eq!(bad.status.code(), Some(1), "--dialect without --target sql");
    let bad = p.cmd(&["build", "in", "--target", "sql", "--dialect", "db3"]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown SQL dialect"));
    // A deleted file of a job left out by --only: its bytes are not
    // stored, so the run says how to get it back, and a full build does.
    let j3 = p.root.join("generated/glue_jobs/J3.py");
    let bytes = std::fs::read(&j3).expect("J3.py");
    std::fs::remove_file(&j3).expect("rm");
    let only = p.cmd(&["build", "in", "--only", "J1"]);
    let err = String::from_utf8_lossy(&only.stderr);
    assert_eq!(only.status.code(), Some(1), "{err}");
    assert!(
        err.contains("glue_jobs/J3.py") && err.contains("without --only"),
        "{err}"
    );
    let full = p.build(&[]);
    assert_eq!(counts(&full, "artifacts").0, 0);
    assert_eq!(std::fs::read(&j3).expect("J3.py again"), bytes);
}

#[test]
fn sql_target_second_build_writes_nothing_and_a_dialect_change_redoes_only_the_sql_files() {
    let p = Project::new();
    p.write("multi.dsx", &export(&five_jobs()));
    let first = p.build(&["--target", "sql", "--dialect", "postgres"]);
    assert_eq!(counts(&first, "artifacts"), (5, 0));
    assert!(p.root.join("generated/sql/J1.sql").exists());
    assert!(p.root.join("generated/ddl/dsmig_job_params.sql").exists());
    let (written, _, _) = files(&first);

    let second = p.build(&["--target", "sql", "--dialect", "postgres"]);
    for phase in [
        "split",
        "job_ir",
        "features",
        "complexity",
        "prediction",
        "artifacts",
    ] {
        assert_eq!(
            counts(&second, phase).0,
            0,
            "{phase} computed on a no-op build"
        );
    }
    assert_eq!(files(&second), (0, written, 0));

    // `--sql-dialect` is the seed's spelling of the same flag.
    let td = p.build(&["--target", "sql", "--sql-dialect", "teradata"]);
    for phase in [
        "split",
        "job_ir",
        "features",
        "complexity",
        "lineage",
        "groups",
        "prediction",
    ] {
        assert_eq!(
            counts(&td, phase).0,
            0,
            "{phase} recomputed for a dialect change"
        );
    }
    assert_eq!(
        counts(&td, "artifacts"),
        (5, 0),
        "every job's SQL files are regenerated"
    );
    let script = std::fs::read_to_string(p.root.join("generated/sql/J1.sql")).expect("script");
    assert!(
        script.contains(".RUN FILE = dsmig_logon.btq;") && script.contains(".QUIT 0;"),
        "a BTEQ script: {script}"
    );
    let rewritten = written_paths(&td);
    assert!(
        rewritten.iter().all(|f| !f.starts_with("jobs/")),
        "job cards do not depend on the dialect: {rewritten:?}"
    );

    // Back to PostgreSQL: the stored artifacts are reused, nothing recomputed.
    let back = p.build(&["--target", "sql", "--dialect", "postgres"]);
    assert_eq!(counts(&back, "artifacts"), (0, 5));
}

/// Issue 15: a build killed after it wrote some generated files (but before
/// it recorded its outputs) is followed by one that keeps those files
/// rather than writing them again.
#[test]
fn files_a_killed_build_wrote_are_not_written_again() {
    use std::os::unix::fs::MetadataExt;
    let p = Project::new();
    generated_corpus(&p.root.join("in"), 600);
    let mut child = spawn_build_to_kill(&p);
    let scripts = p.root.join("generated/glue_jobs");
    let count = || std::fs::read_dir(&scripts).map(|d| d.count()).unwrap_or(0);
    let start = std::time::Instant::now();
    while count() < 100 && start.elapsed().as_secs() < 120 {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // Let a commit of the stat cache (every 50 ms here) pass, then SIGKILL.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let finished_early = matches!(child.try_wait(), Ok(Some(_)));
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        !finished_early,
        "the build finished before it could be killed"
    );
    let stamp = |path: &Path| {
        std::fs::metadata(path)
            .map(|m| (m.ino(), m.mtime(), m.mtime_nsec()))
            .ok()
    };
    let before: Vec<(PathBuf, _)> = std::fs::read_dir(&scripts)
        .expect("scripts")
        .flatten()
        .map(|e| (e.path(), stamp(&e.path())))
        .collect();
    assert!(
        before.len() >= 100,
        "{} scripts before the kill",
        before.len()
    );
    let s = p.build(&[]);
    assert_eq!(s["errors"], 0);
    let kept = before
        .iter()
        .filter(|(path, st)| stamp(path) == *st)
        .count();
    // The last files written before the kill may lack a committed stat
    // entry: those are written again; everything else is kept.
    assert!(
        kept * 10 >= before.len() * 9,
        "{kept} of {} files the killed build wrote were kept",
        before.len()
    );
    let again = p.build(&[]);
    assert_eq!(again["files"]["written"], 0, "{again}");
}

/// Every file and folder under `dir`, with its bytes (folders: empty).
fn everything(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .min_depth(1)
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(dir)
                .unwrap_or(e.path())
                .display()
                .to_string();
            (rel, std::fs::read(e.path()).unwrap_or_default())
        })
        .collect()
}

fn written_set(s: &Value) -> std::collections::BTreeSet<String> {
    written_paths(s).into_iter().collect()
}

#[test]
fn plan_counts_the_files_the_build_then_writes() {
    let p = Project::new();
    p.write("multi.dsx", &export(&five_jobs()));
    p.write("single.dsx", &export(&[("S1", "in_S1.A")]));
    // Before the first build.
    let (code, plan) = p.plan();
    assert_eq!(code, 2);
    let built = p.build(&[]);
    assert_eq!(
        files(&plan).0,
        files(&built).0,
        "plan and first build disagree on the files written"
    );
    assert_eq!(written_set(&plan), written_set(&built));
    assert!(files(&built).0 >= 6 * 5, "{}", files(&built).0);

    // One job edited: the plan names the same files as the build.
    let mut jobs = five_jobs();
    jobs[3].1 = "Len(Trim(in_J4.A))";
    p.write("multi.dsx", &export(&jobs));
    let (code, plan) = p.plan();
    assert_eq!(code, 2);
    let built = p.build(&[]);
    assert_eq!(files(&plan), files(&built));
    assert_eq!(written_set(&plan), written_set(&built));
    assert!(files(&built).0 >= 1);

    // One job gone: the plan deletes what the build deletes.
    p.write("multi.dsx", &export(&jobs[..4]));
    let (_, plan) = p.plan();
    let built = p.build(&[]);
    assert_eq!(files(&plan), files(&built));
    assert!(files(&built).2 >= 5, "{}", files(&built).2);
}

#[test]
fn plan_creates_nothing_where_there_is_no_store() {
    let p = Project::new();
    p.write("multi.dsx", &export(&five_jobs()));
    let before = everything(&p.root);
    let (code, plan) = p.plan();
    assert_eq!(code, 2, "{plan}");
    assert_eq!(plan["jobs"]["new"], 5);
    let out = p.cmd(&["plan", "in"]);
    assert_eq!(out.status.code(), Some(0));
    let out = p.cmd(&[
        "plan",
        "in",
        "--store",
        "elsewhere/store",
        "--output-dir",
        "elsewhere/out",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        everything(&p.root).keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>(),
        "a plan left files or folders behind (store, lock, output)"
    );
    assert_eq!(everything(&p.root), before);
}

#[test]
fn plan_names_the_stages_links_and_columns_that_changed() {
    let p = Project::new();
    p.write("multi.dsx", &export(&five_jobs()));
    p.build(&[]);
    // J3: a new output column, and its derivation changes.
    let edited = export(&five_jobs()).replacen(
        "         Name \"B\"\n         SqlType \"12\"\n         Derivation \"in_J3.A : 'x'\"\n      END DSSUBRECORD\n",
        "         Name \"B\"\n         SqlType \"12\"\n         Derivation \"in_J3.A : 'y'\"\n      END DSSUBRECORD\n      BEGIN DSSUBRECORD\n         Name \"C\"\n         SqlType \"4\"\n         Derivation \"1\"\n      END DSSUBRECORD\n",
        1,
    );
    assert_ne!(edited, export(&five_jobs()));
    p.write("multi.dsx", &edited);
    let (_, plan) = p.plan();
    let change = plan["changes"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["job"] == "J3"))
        .unwrap_or_else(|| panic!("J3 changed: {plan}"));
    let reason = change["reason"].as_str().unwrap_or("");
    assert!(
        reason.contains("stage xf: derivation of out.B changed"),
        "{reason}"
    );
    assert!(reason.contains("link out: column added: C"), "{reason}");
    // The console says it on lines of their own.
    let out = p.cmd(&["plan", "in"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines()
            .any(|l| l.trim() == "link out: column added: C"),
        "{text}"
    );
}
