//! Export layouts (issue 17.3): DataStage 7.5 to 11.7 put the same facts
//! in different places. Each job under `tests/fixtures/layouts/` (small,
//! written by hand, one layout variant each) must read into the same IR
//! — lookup keys in `Column::key_expression` of the reference link, the
//! reject link as `LinkKind::Reject`, sort directions, the user SQL of a
//! database read — and be AUTO, or, where the export does not say enough
//! to be exact, carry a named guess (never a silent default).

use std::path::{Path, PathBuf};
use std::process::Command;

use queries::analysis::complexity;
use queries::analysis::predict::{self, Category};
use queries::config::PredictionConfig;
use queries::ir::{Entity, Job, Link, LinkKind, Stage};
use queries::parse::Limits;
use queries::parse::input::read_paths;
use queries::stages::props::{ReadMode, db_read_mode, db_table};
use queries::stages::{guesses, sort};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/layouts")
}

fn job(file: &str) -> Job {
    let read = read_paths(&[fixtures().join(file)], &Limits::default());
    assert!(
        read.diagnostics.is_empty(),
        "{file}: {:?}",
        read.diagnostics
    );
    let mut jobs: Vec<Job> = read
        .entities
        .into_iter()
        .filter_map(|l| match l.entity {
            Entity::Job(j) => Some(j),
            _ => None,
        })
        .collect();
    assert_eq!(jobs.len(), 1, "{file}: one job");
    jobs.remove(0)
}

fn link<'a>(j: &'a Job, name: &str) -> &'a Link {
    j.links
        .iter()
        .find(|l| l.name == name)
        .unwrap_or_else(|| panic!("{}: no link {name}", j.name))
}

fn stage<'a>(j: &'a Job, name: &str) -> &'a Stage {
    j.stages
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("{}: no stage {name}", j.name))
}

fn category(j: &Job) -> Category {
    let cx = complexity::complexity(j);
    predict::predict(&cx, &PredictionConfig::default(), None).category
}

/// The job is AUTO and nothing in it is a guess.
fn assert_auto(j: &Job) {
    assert_eq!(guesses(j), vec![], "{}", j.name);
    let cx = complexity::complexity(j);
    let p = predict::predict(&cx, &PredictionConfig::default(), None);
    assert_eq!(p.category, Category::Auto, "{}: {}", j.name, p.rule);
}

/// The job has a guess on `stage` whose property mentions `property`, and
/// so is not AUTO.
fn assert_guess(j: &Job, stage: &str, property: &str) {
    let g = guesses(j);
    assert!(
        g.iter()
            .any(|g| g.stage == stage && g.property.contains(property)),
        "{}: expected a guess on {stage} ({property}), got {g:?}",
        j.name
    );
    assert_ne!(category(j), Category::Auto, "{}", j.name);
}

fn keys(l: &Link) -> Vec<(&str, &str)> {
    l.columns
        .iter()
        .filter(|c| !c.key_expression.is_empty())
        .map(|c| (c.name.as_str(), c.key_expression.as_str()))
        .collect()
}

// ---------------------------------------------------------------------------
// Lookup keys

#[test]
fn lookup_keys_read_the_same_from_every_layout() {
    for file in [
        // 8.x+: KeyExpression on the reference link's source pin.
        "lookup_keyexpression.dsx",
        // Older: the Derivation of the Lookup's reference input pin.
        "lookup_input_pin_derivation.dsx",
        // The same older layout as a DataStage XML export.
        "lookup_input_pin_derivation.xml",
    ] {
        let j = job(file);
        let r = link(&j, "ref");
        assert_eq!(r.kind, LinkKind::Reference, "{file}");
        assert_eq!(keys(r), vec![("CUST_ID", "main.CUST_ID")], "{file}");
        assert_eq!(link(&j, "main").kind, LinkKind::Stream, "{file}");
        assert_auto(&j);
    }
}

#[test]
fn the_older_layout_is_the_same_design_in_dsx_and_xml() {
    use queries::analysis::features::features;
    let (d, x) = (
        job("lookup_input_pin_derivation.dsx"),
        job("lookup_input_pin_derivation.xml"),
    );
    // Only the job name differs (a slot, not structure).
    assert_eq!(d.stages, x.stages);
    assert_eq!(d.links, x.links);
    assert_eq!(features(&d).structural_hash, features(&x).structural_hash);
    // And the newer layout of the same lookup is the same design too.
    let n = job("lookup_keyexpression.dsx");
    assert_eq!(features(&d).structural_hash, features(&n).structural_hash);
}

#[test]
fn server_hashed_file_lookup_keys_come_from_the_transformer_input_pin() {
    let j = job("server_hashed_lookup_derivation.dsx");
    let r = link(&j, "ref");
    assert_eq!(r.kind, LinkKind::Reference);
    assert_eq!(keys(r), vec![("CUST_ID", "main.CUST_ID")]);
    // No cross join is guessed for the reference link.
    assert!(
        !guesses(&j).iter().any(|g| g.property == "link ref"),
        "{:?}",
        guesses(&j)
    );
}

// ---------------------------------------------------------------------------
// Reject links

#[test]
fn reject_links_read_the_same_from_every_marker() {
    for (file, reject) in [
        // LinkType 3 on the output pin only (no view, no input-pin type).
        ("reject_output_pin_type.dsx", "rejects"),
        // Link types only in the container view's LinkTypes.
        ("reject_view_only.dsx", "rejects"),
        // A Transformer output flagged ErrorPin "1".
        ("reject_transformer_errorpin.dsx", "bad"),
    ] {
        let j = job(file);
        assert_eq!(link(&j, reject).kind, LinkKind::Reject, "{file}");
        for l in &j.links {
            if l.name != reject && l.name != "ref" {
                assert_eq!(l.kind, LinkKind::Stream, "{file}: {}", l.name);
            }
        }
        if file == "reject_view_only.dsx" {
            assert_eq!(link(&j, "ref").kind, LinkKind::Reference);
            assert_eq!(keys(link(&j, "ref")), vec![("CUST_ID", "main.CUST_ID")]);
        }
        assert_auto(&j);
    }
}

#[test]
fn a_reject_option_with_no_marked_link_is_a_guess() {
    let j = job("reject_unmarked.dsx");
    // Both outputs read as streams: nothing says which one is the reject.
    assert_eq!(link(&j, "rejects").kind, LinkKind::Stream);
    assert_guess(&j, "lkp", "LookupFail of link ref");
}

// ---------------------------------------------------------------------------
// Sort directions

#[test]
fn sort_directions_read_the_same_from_every_spelling() {
    for file in [
        "sort_asc_desc.dsx",            // asc\desc = desc / asc
        "sort_asc_underscore_desc.dsx", // asc_desc = Descending / Ascending
        "sort_letters.dsx",             // asc\desc = d / a
        "sort_sibling_direction.dsx",   // direction beside its key; B default
    ] {
        let j = job(file);
        let k = sort::keys(&stage(&j, "srt").properties);
        assert_eq!(
            k.iter()
                .map(|k| (k.name.as_str(), k.desc))
                .collect::<Vec<_>>(),
            vec![("A", true), ("B", false)],
            "{file}"
        );
        assert!(k.iter().all(|k| k.unknown_direction.is_none()), "{file}");
        assert_auto(&j);
    }
}

#[test]
fn an_unknown_sort_direction_is_a_guess_not_ascending() {
    let j = job("sort_unknown_direction.dsx");
    let k = sort::keys(&stage(&j, "srt").properties);
    assert_eq!(k[0].unknown_direction.as_deref(), Some("downwards"));
    assert_guess(&j, "srt", "key A");
}

// ---------------------------------------------------------------------------
// Legacy database reads

const SQL: &str = "SELECT ID, NAME FROM SALES.CUSTOMER WHERE ACTIVE = 1";

#[test]
fn legacy_database_reads_find_the_user_sql_of_every_layout() {
    for (file, ty, mode) in [
        (
            "oracle_enterprise_query.dsx",
            "OracleLegacy",
            ReadMode::Query,
        ),
        ("db2_api_selectstatement.dsx", "DB2Legacy", ReadMode::Query),
        (
            "teradata_api_usersql.dsx",
            "TeradataLegacy",
            ReadMode::Query,
        ),
        ("odbc_enterprise_query.dsx", "ODBC", ReadMode::Query),
    ] {
        let j = job(file);
        let s = stage(&j, "db_src");
        assert_eq!(s.stage_type, ty, "{file}");
        let l = link(&j, "rows");
        assert_eq!(db_read_mode(s, l), mode, "{file}");
        // A query read: the SQL, never a table read of a guessed table.
        assert_eq!(db_table(s, l, true).1.as_deref(), Some(SQL), "{file}");
        assert!(
            !guesses(&j).iter().any(|g| g.stage == "db_src"),
            "{file}: {:?}",
            guesses(&j)
        );
    }
}

#[test]
fn a_table_read_mode_reads_the_table_even_beside_a_query() {
    let j = job("oracle_enterprise_table.dsx");
    let s = stage(&j, "db_src");
    let l = link(&j, "rows");
    assert_eq!(db_read_mode(s, l), ReadMode::Table);
    assert_eq!(
        db_table(s, l, true),
        (Some("SALES.CUSTOMER".to_string()), None)
    );
}

#[test]
fn a_query_mode_without_sql_and_an_unknown_mode_are_guesses() {
    let j = job("query_mode_without_sql.dsx");
    let (s, l) = (stage(&j, "db_src"), link(&j, "rows"));
    assert_eq!(db_read_mode(s, l), ReadMode::Query);
    // The table named beside it is not read instead.
    assert_eq!(db_table(s, l, true), (None, None));
    assert_guess(&j, "db_src", "read mode of link rows");

    let j = job("unknown_read_mode.dsx");
    let (s, l) = (stage(&j, "db_src"), link(&j, "rows"));
    assert_eq!(
        db_read_mode(s, l),
        ReadMode::Unknown("sparse-ish".to_string())
    );
    assert_eq!(db_table(s, l, true), (None, None));
    assert_guess(&j, "db_src", "read mode of link rows");
}

// ---------------------------------------------------------------------------
// What the generators make of them

fn build(out: &Path, target: &str) {
    let o = Command::new(env!("CARGO_BIN_EXE_dsmig"))
        .args(["build", "--no-llm", "--target", target, "--output-dir"])
        .arg(out)
        .arg("--store")
        .arg(out.join(".store"))
        .arg(fixtures())
        .output()
        .expect("dsmig runs");
    assert!(
        o.status.success(),
        "{target}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The generated files of job `name` under `dir` (`glue_jobs/`, `sql/`...),
/// concatenated.
fn generated(dir: &Path, sub: &str, name: &str) -> String {
    let mut text = String::new();
    for e in walkdir::WalkDir::new(dir.join(sub))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
    {
        let f = e.file_name().to_string_lossy().to_string();
        if f.starts_with(name) || f.contains(&format!("_{name}")) {
            text.push_str(&std::fs::read_to_string(e.path()).unwrap_or_default());
        }
    }
    assert!(!text.is_empty(), "no file for {name} under {sub}");
    text
}

#[test]
fn the_generators_read_what_the_layouts_say() {
    let dir = tempfile::tempdir().expect("tempdir");
    let glue = dir.path().join("glue");
    build(&glue, "glue");
    // A query read mode is a JDBC query read, not a read of the table
    // named beside it.
    let py = generated(&glue, "glue_jobs", "LayoutOracleEnterpriseQuery");
    assert!(py.contains("query="), "{py}");
    assert!(!py.contains("GUESSED_TABLE"), "{py}");
    // A keyed lookup from the older layout joins on its key.
    let py = generated(&glue, "glue_jobs", "LayoutLookupInputPinDerivation");
    assert!(py.contains("CUST_ID"), "{py}");
    assert!(!py.contains("crossJoin"), "{py}");
    // An unknown sort direction is a placeholder naming the stage.
    let py = generated(&glue, "glue_jobs", "LayoutSortUnknown");
    assert!(py.contains("downwards") && py.contains("srt"), "{py}");
    assert!(py.contains("dsmig does not guess"), "{py}");

    let sql = dir.path().join("sql");
    build(&sql, "sql");
    let script = generated(&sql, "sql", "LayoutSortAscUnderscoreDesc");
    assert!(script.contains("DESC"), "{script}");
}
