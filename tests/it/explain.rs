//! `dsmig explain` over the real corpus, for one job of each category, as
//! text and as JSON: every item the analysis issue asks for is there.

use std::path::PathBuf;

use serde_json::Value;

use crate::common::dsmig;

fn corpus() -> String {
    crate::common::real_corpus().display().to_string()
}

#[test]
fn explain_covers_every_item_for_each_category() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let build = dsmig(root, &["build", &corpus()]);
    assert!(
        build.status.success(),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );

    for (job, category) in [
        ("CaseStudy_Q2_Update", "AUTO"),
        ("DimPassenger", "SEMI-AUTO"),
        ("WTXHipaaClaims", "MANUAL"),
    ] {
        let out = dsmig(root, &["explain", job, "--json"]);
        assert!(
            out.status.success(),
            "{job}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let x: Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(x["prediction"]["category"], category, "{job}");
        assert!(
            x["source"]["file"]
                .as_str()
                .is_some_and(|f| f.ends_with(".dsx")),
            "{job}: source"
        );
        assert!(x["source"]["line"].as_u64().is_some(), "{job}: line");
        assert!(
            x["ir"]["links"].as_u64().is_some_and(|n| n > 0),
            "{job}: IR summary"
        );
        assert!(
            x["groups"]["nearest"]
                .as_array()
                .is_some_and(|n| !n.is_empty()),
            "{job}: nearest jobs"
        );
        assert!(x["groups"].get("family").is_some(), "{job}: groups");
        assert!(
            x["complexity"]["factors"]
                .as_array()
                .is_some_and(|f| !f.is_empty()),
            "{job}: factors"
        );
        assert!(
            x["prediction"]["rule"]
                .as_str()
                .is_some_and(|r| !r.is_empty()),
            "{job}: rule"
        );
        assert!(x["lineage"]["wave"].as_u64().is_some(), "{job}: wave");
        assert!(
            x["generation"]["strategy"]
                .as_str()
                .is_some_and(|s| !s.is_empty()),
            "{job}: strategy"
        );
        assert!(
            x["history"]["outputs"]
                .as_array()
                .is_some_and(|o| !o.is_empty()),
            "{job}: files"
        );
        if category != "AUTO" {
            assert!(
                x["prediction"]["blocking"]
                    .as_array()
                    .is_some_and(|b| !b.is_empty()),
                "{job}: blocking items"
            );
        }

        let text = dsmig(root, &["explain", job]);
        let text = String::from_utf8_lossy(&text.stdout);
        for heading in [
            "source",
            "Category:",
            "rule:",
            "Complexity:",
            "Groups:",
            "nearest jobs",
            "Lineage (wave",
            "Generation:",
            "Last build",
        ] {
            assert!(
                text.contains(heading),
                "{job}: text lacks {heading:?}:\n{text}"
            );
        }
    }

    // A job in a duplicate group shows the slots in which it differs.
    let out = dsmig(root, &["explain", "mci_test_base", "--json"]);
    let x: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(
        x["groups"]["duplicate"]["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("DUP_"))
    );

    let unknown = dsmig(root, &["explain", "DimPasenger"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("did you mean: DimPassenger"));
}

#[test]
fn explain_names_what_changed_in_the_last_build() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let src = root.join("in");
    std::fs::create_dir_all(&src).expect("mkdir");
    let file = PathBuf::from(corpus()).join("entechlog__datastage-examples/FindJobsByKeyWord.dsx");
    let text = std::fs::read_to_string(&file).expect("read");
    std::fs::write(src.join("f.dsx"), &text).expect("write");
    assert!(dsmig(root, &["build", "in"]).status.success());
    // Edit one job: the first derivation of FindJobsByKeyWord020ext.
    let start = text
        .find("Identifier \"FindJobsByKeyWord020ext\"")
        .expect("job");
    let at =
        start + text[start..].find("Derivation \"").expect("derivation") + "Derivation \"".len();
    let edited = format!("{}Trim({}", &text[..at], &text[at..]).replacen("Trim(", "Trim(", 1);
    let close = at + 5 + edited[at + 5..].find('"').expect("end");
    let edited = format!("{}){}", &edited[..close], &edited[close..]);
    std::fs::write(src.join("f.dsx"), edited).expect("write");
    assert!(dsmig(root, &["build", "in"]).status.success());
    let out = dsmig(root, &["explain", "FindJobsByKeyWord020ext", "--json"]);
    let x: Value = serde_json::from_slice(&out.stdout).expect("json");
    let h = &x["history"];
    assert!(
        h["since_previous_run"]
            .as_str()
            .is_some_and(|s| s.contains("changed") && s.contains("f.dsx")),
        "{h}"
    );
    let other = dsmig(root, &["explain", "FindJobsByKeyWord030load", "--json"]);
    let y: Value = serde_json::from_slice(&other.stdout).expect("json");
    assert_eq!(
        y["history"]["since_previous_run"],
        "unchanged in the last build"
    );
    assert_eq!(
        y["history"]["rewritten_in_last_run"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );
}

#[test]
fn build_report_is_the_same_file_as_dsmig_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let b = dsmig(root, &["build", &corpus(), "--report", "built.html"]);
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    let r = dsmig(root, &["report", &corpus(), "-o", "reported.html"]);
    assert!(r.status.success());
    let built = std::fs::read(root.join("built.html")).expect("built");
    assert_eq!(
        built,
        std::fs::read(root.join("reported.html")).expect("reported")
    );
    let mtime = std::fs::metadata(root.join("built.html"))
        .and_then(|m| m.modified())
        .expect("mtime");
    let again = dsmig(root, &["build", &corpus(), "--report", "built.html"]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("unchanged"));
    let mtime2 = std::fs::metadata(root.join("built.html"))
        .and_then(|m| m.modified())
        .expect("mtime");
    assert_eq!(
        mtime, mtime2,
        "an unchanged analysis leaves the report untouched"
    );
}

/// `dsmig explain ROUTINE`: the real corpus's one routine (an ISX
/// before-job subroutine doing job control), its kind, what blocks it
/// line by line, and the job that calls it.
#[test]
fn explain_a_routine_shows_kind_blockers_and_callers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let isx = format!("{}/NSIT-BIM__datastage-isxer/test.isx", corpus());
    let out = dsmig(dir.path(), &["explain", "DSU.RtTnrGetKeys", &isx]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for want in [
        "RtTnrGetKeys  (routine: before/after subroutine, isx export)",
        "arguments  InputArg, ErrorCode",
        "Translation: blocked",
        "line 25: job control: DSAttachJob()",
        "line 50: runs an engine command: PERFORM",
        "Called by 1 job(s)",
        "  Jx_NR_Lvl2",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
    let out = dsmig(dir.path(), &["explain", "RtTnrGetKeys", &isx, "--json"]);
    let x: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(x["kind"], "before/after subroutine");
    assert_eq!(x["callers"][0], "Jx_NR_Lvl2");
}

/// A DSX `DSROUTINES` block is read as a routine entity (name, category,
/// type, arguments, source); a job whose derivation calls it as
/// `DSU.Name(...)` is its caller; a one-expression transform function is
/// shown as inlinable. The routine is written from IBM's BASIC reference
/// (Trim, UpCase functions).
#[test]
fn dsx_routine_entity_and_its_caller() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/exports/LND_PRD/Jx_HouseholdEnrich.dsx"
    ))
    .expect("example");
    // The transformer's first output derivation, both spellings.
    let job = src
        .replacen(
            "Derivation \"CaseXfm.PARTY_ID * 80.07\"",
            "Derivation \"DSU.CleanName(CaseXfm.PARTY_ID * 80.07)\"",
            1,
        )
        .replacen(
            "ParsedDerivation \"CaseXfm.PARTY_ID * 80.07\"",
            "ParsedDerivation \"DSU.CleanName(CaseXfm.PARTY_ID * 80.07)\"",
            1,
        );
    let routine = "BEGIN DSROUTINES\n   BEGIN DSRECORD\n      Identifier \"CleanName\"\n      OLEType \"CRoutine\"\n      Name \"CleanName\"\n      Category \"\\\\Routines\\\\Strings\"\n      ShortDesc \"upper-case, blanks trimmed\"\n      RoutineType \"0\"\n      Arguments \"CArgument\"\n      BEGIN DSSUBRECORD\n         Name \"Arg1\"\n      END DSSUBRECORD\n      Source =+=+=+=\n* trims and upper-cases a name\nAns = UpCase(Trim(Arg1))\n=+=+=+=\n   END DSRECORD\nEND DSROUTINES\n";
    let path = dir.path().join("with_routine.dsx");
    std::fs::write(&path, format!("{job}{routine}")).expect("write");
    let p = path.display().to_string();

    let out = dsmig(dir.path(), &["explain", "CleanName", &p, "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let x: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(x["kind"], "server transform function");
    assert_eq!(x["folder"], "\\Routines\\Strings");
    assert_eq!(x["arguments"][0], "Arg1");
    assert_eq!(x["source_lines"], 2);
    assert!(
        x["translation"]
            .as_str()
            .is_some_and(|t| t.starts_with("inline expression")),
        "{x}"
    );
    assert_eq!(x["blocking"].as_array().map(Vec::len), Some(0));
    assert_eq!(x["callers"][0], "Jx_HouseholdEnrich");

    // The caller keeps its routine call as a blocking item (no generator
    // rule yet), naming the routine.
    let out = dsmig(dir.path(), &["explain", "Jx_HouseholdEnrich", &p, "--json"]);
    let j: Value = serde_json::from_slice(&out.stdout).expect("json");
    let blocking = j["prediction"]["blocking"].to_string();
    assert!(blocking.contains("DSU.CleanName"), "{blocking}");
}
