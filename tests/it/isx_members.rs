//! Every member of an ISX archive is accounted for (issue 18 item 3), jobs
//! whose names differ only by case are both kept and told apart through
//! analyze, build and explain, and repository-object XML is named, not
//! skipped as "not a DataStage export" (item 4).

use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use queries::parse::Limits;
use queries::parse::input::read_paths;

const MANIFEST: &str = "META-INF/IS-MANIFEST.MF";
const REAL: &str = "vinhduong2412__mettleci-demo/t1.isx";
const REAL_JOB: &str = "IIS-DATASTAGE/test1/Jobs/t1.pjb";
const REPOSITORY_OBJECT_XML: &str = "DataStage repository object XML: not readable yet; export the job as .dsx, .xml (DSExport) or .isx";

fn corpus() -> PathBuf {
    let rel = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/real");
    if rel.is_dir() {
        return rel;
    }
    PathBuf::from("/work/shared/corpus/real")
}

/// A member of the real archive (written by istool) as the template.
fn real_member(name: &str) -> Vec<u8> {
    let bytes = std::fs::read(corpus().join(REAL)).expect("real archive");
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("zip");
    let mut member = archive.by_name(name).expect("member");
    let mut out = Vec::new();
    member.read_to_end(&mut out).expect("inflate");
    out
}

/// The real job renamed: the XMI root's `name` attribute.
fn job_named(name: &str) -> Vec<u8> {
    let text = String::from_utf8(real_member(REAL_JOB)).expect("utf-8");
    assert!(text.contains(" name=\"t1\""));
    text.replacen(" name=\"t1\"", &format!(" name=\"{name}\""), 1)
        .into_bytes()
}

fn zip_of(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in members {
        w.start_file(*name, opts).expect("start member");
        w.write_all(data).expect("write member");
    }
    w.finish().expect("finish zip").into_inner()
}

/// An archive as istool writes two jobs `X` and `x`: the second one's
/// members get a number after the extension. Plus a member of no known kind.
fn case_colliding_archive() -> Vec<u8> {
    let png = real_member(&format!("{REAL_JOB}.png"));
    zip_of(&[
        (MANIFEST, real_member(MANIFEST)),
        ("P/Jobs/X.pjb", job_named("X")),
        ("P/Jobs/X.pjb.png", png.clone()),
        ("P/Jobs/x.pjb1", job_named("x")),
        ("P/Jobs/x.pjb1.png", png),
        ("notes/odd.bin", b"\x00\x01odd".to_vec()),
    ])
}

fn dsmig(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dsmig"))
        .current_dir(dir)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("dsmig runs")
}

fn text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn case_colliding_jobs_are_both_read_and_every_member_is_accounted_for() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("estate.isx");
    std::fs::write(&path, case_colliding_archive()).expect("write");

    // The library: both jobs with their own names and members.
    let read = read_paths(std::slice::from_ref(&path), &Limits::default());
    let jobs: Vec<(&str, Option<&str>)> = read
        .entities
        .iter()
        .map(|e| (e.entity.name(), e.location.member.as_deref()))
        .collect();
    assert_eq!(
        jobs,
        [("X", Some("P/Jobs/X.pjb")), ("x", Some("P/Jobs/x.pjb1"))]
    );
    assert_ne!(read.entities[0].hash, read.entities[1].hash);
    let members = read.files[0].isx_members.as_ref().expect("ISX counts");
    assert_eq!(members.read, 2);
    assert_eq!(members.unknown, 1);
    assert_eq!(members.ignored.get("manifest"), Some(&1));
    assert_eq!(members.ignored.get("canvas image"), Some(&2));
    assert_eq!(members.ignored_total(), 3);
    let warnings: Vec<_> = read
        .diagnostics
        .iter()
        .filter(|d| d.severity == queries::parse::Severity::Warning)
        .collect();
    assert_eq!(warnings.len(), 1, "{:?}", read.diagnostics);
    assert_eq!(
        warnings[0].location.member.as_deref(),
        Some("notes/odd.bin")
    );
    assert!(
        warnings[0].found.contains("notes/odd.bin"),
        "{}",
        warnings[0]
    );
    assert!(
        read.diagnostics
            .iter()
            .all(|d| d.severity == queries::parse::Severity::Warning),
        "{:?}",
        read.diagnostics
    );

    // `dsmig analyze`: two rows, the summary's member counts, the row.
    let out = dsmig(dir.path(), &["analyze", "estate.isx", "-f", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let rows: Vec<(&str, &str)> = json["jobs"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|j| {
            (
                j["name"].as_str().unwrap_or(""),
                j["member"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(rows, [("X", "P/Jobs/X.pjb"), ("x", "P/Jobs/x.pjb1")]);
    let s = &json["summary"];
    assert_eq!(s["jobs"], 2);
    assert_eq!(s["distinct_jobs"], 2);
    assert_eq!(s["repeated_names"], 0);
    assert_eq!(s["warnings"], 1);
    assert_eq!(s["isx_members"]["read"], 2);
    assert_eq!(s["isx_members"]["unknown"], 1);
    assert_eq!(s["isx_members"]["ignored"]["manifest"], 1);
    assert_eq!(s["isx_members"]["ignored"]["canvas image"], 2);
    let out = dsmig(dir.path(), &["analyze", "estate.isx", "-v"]);
    let console = text(&out);
    assert!(
        console.contains(
            "ISX members: 2 read, 3 ignored (2 canvas image, 1 manifest), 1 unknown (warning rows name them)"
        ),
        "{console}"
    );
    assert!(
        console
            .lines()
            .any(|l| l.starts_with("warning:") && l.contains("estate.isx!notes/odd.bin")),
        "{console}"
    );

    // `dsmig build`: one file set each, never merged (the stems differ
    // only by case, so both get a hash suffix).
    let out = dsmig(dir.path(), &["build", "estate.isx", "--output-dir", "out"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let mut scripts: Vec<String> = std::fs::read_dir(dir.path().join("out/glue_jobs"))
        .expect("glue_jobs")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".py"))
        .collect();
    scripts.sort();
    assert_eq!(scripts.len(), 2, "{scripts:?}");
    assert!(scripts[0].starts_with("X__"), "{scripts:?}");
    assert!(scripts[1].starts_with("x__"), "{scripts:?}");

    // `dsmig explain`: each name finds its own job.
    for (name, member) in [("X", "P/Jobs/X.pjb"), ("x", "P/Jobs/x.pjb1")] {
        let out = dsmig(dir.path(), &["explain", name, "estate.isx", "--json"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let dump = json.to_string();
        assert!(dump.contains(member), "{name}: {dump}");
        let other = if name == "X" {
            "P/Jobs/x.pjb1"
        } else {
            "P/Jobs/X.pjb\""
        };
        assert!(!dump.contains(other), "{name}: {dump}");
    }
}

#[test]
fn repository_object_xml_says_how_to_export_instead() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("repo.xml"),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<objects>\n  <object t=\"JobDefn\">\n    <attr k=\"1\" t=\"s\" v=\"LoadCustomers\"/>\n  </object>\n</objects>\n",
    )
    .expect("write");
    let out = dsmig(dir.path(), &["analyze", "repo.xml"]);
    let console = text(&out);
    assert_eq!(out.status.code(), Some(0), "{console}");
    // Problem lines wrap at the terminal's width: compare the words.
    let flat = console.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains(REPOSITORY_OBJECT_XML), "{console}");
    assert!(!console.contains("not a DataStage export"), "{console}");
    assert!(console.contains("repo.xml:3"), "{console}");

    let out = dsmig(dir.path(), &["analyze", "repo.xml", "-f", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["summary"]["errors"], 1);
    assert_eq!(json["summary"]["files_read"], 0);
    assert_eq!(json["summary"]["files_skipped"], 0);
    assert_eq!(json["diagnostics"][0]["severity"], "error");
    assert_eq!(
        json["diagnostics"][0]["found"],
        format!("{REPOSITORY_OBJECT_XML} (first object: <object t=\"JobDefn\">)")
    );
    let strict = dsmig(dir.path(), &["analyze", "repo.xml", "--strict"]);
    assert_eq!(strict.status.code(), Some(1), "the jobs in it are not read");
}
