//! Every kind of bad input gives a clear row (file, job when known, line,
//! what was expected, what was found), and the other files of the same run
//! are still read. Nothing panics.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use queries::parse::input::{ReadResult, read_paths};
use queries::parse::{Diagnostic, Limits, Severity};

const GOOD: &str = "BEGIN HEADER\n   CharacterSet \"CP1252\"\nEND HEADER\nBEGIN DSJOB\n   Identifier \"GoodJob\"\n   BEGIN DSRECORD\n      Identifier \"ROOT\"\n      OLEType \"CJobDefn\"\n      Name \"GoodJob\"\n      JobType \"3\"\n   END DSRECORD\n   BEGIN DSRECORD\n      Identifier \"V0S1\"\n      OLEType \"CCustomStage\"\n      Name \"src\"\n      StageType \"PxSequentialFile\"\n      OutputPins \"V0S1P1\"\n   END DSRECORD\n   BEGIN DSRECORD\n      Identifier \"V0S1P1\"\n      OLEType \"CCustomOutput\"\n      Name \"lnk\"\n      Partner \"V0S2|V0S2P1\"\n      Columns \"COutputColumn\"\n      BEGIN DSSUBRECORD\n         Name \"A\"\n         SqlType \"12\"\n         Precision \"10\"\n      END DSSUBRECORD\n   END DSRECORD\n   BEGIN DSRECORD\n      Identifier \"V0S2\"\n      OLEType \"CCustomStage\"\n      Name \"dst\"\n      StageType \"PxPeek\"\n      InputPins \"V0S2P1\"\n   END DSRECORD\n   BEGIN DSRECORD\n      Identifier \"V0S2P1\"\n      OLEType \"CCustomInput\"\n      Name \"lnk\"\n      Partner \"V0S1|V0S1P1\"\n      LinkType \"1\"\n   END DSRECORD\nEND DSJOB\n";

fn job_named(name: &str) -> String {
    GOOD.replace("\"GoodJob\"", &format!("\"{name}\""))
}

struct Run {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Run {
    fn new() -> Run {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().to_path_buf();
        std::fs::write(root.join("good.dsx"), GOOD).expect("write");
        Run { _dir: dir, root }
    }

    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.root.join(name);
        std::fs::write(&p, bytes).expect("write");
        p
    }

    fn read(&self, limits: &Limits) -> ReadResult {
        read_paths(std::slice::from_ref(&self.root), limits)
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).expect("gzip");
    enc.finish().expect("gzip")
}

/// The good file is still read, and the bad one has exactly the diagnostics
/// returned (of the given severity).
fn check(read: &ReadResult, bad: &Path, severity: Severity) -> Vec<Diagnostic> {
    let good: Vec<_> = read
        .entities
        .iter()
        .filter(|e| e.entity.name() == "GoodJob")
        .collect();
    assert_eq!(
        good.len(),
        1,
        "the good file is still read: {:?}",
        read.diagnostics
    );
    let name = bad.display().to_string();
    let rows: Vec<Diagnostic> = read
        .diagnostics
        .iter()
        .filter(|d| d.location.file == name && d.severity == severity)
        .cloned()
        .collect();
    assert!(
        !rows.is_empty(),
        "a {severity:?} row for {name}: {:?}",
        read.diagnostics
    );
    for d in &rows {
        assert!(!d.expected.is_empty() && !d.found.is_empty(), "{d}");
    }
    rows
}

#[test]
fn empty_file() {
    let run = Run::new();
    let bad = run.file("empty.dsx", b"");
    let rows = check(&run.read(&Limits::default()), &bad, Severity::Error);
    assert!(rows[0].found.contains("empty"), "{}", rows[0]);
}

#[test]
fn truncated_mid_record() {
    let run = Run::new();
    let cut = &GOOD[..GOOD.find("StageType \"PxPeek\"").expect("marker")];
    let bad = run.file("cut.dsx", &job_named("Cut").as_bytes()[..cut.len()]);
    let rows = check(&run.read(&Limits::default()), &bad, Severity::Error);
    assert_eq!(rows[0].job.as_deref(), Some("Cut"));
    assert_eq!(
        rows[0].location.line,
        Some(4),
        "points at BEGIN DSJOB: {}",
        rows[0]
    );
    assert!(rows[0].expected.contains("END DSJOB"));
}

#[test]
fn unbalanced_begin_end() {
    let run = Run::new();
    let text = job_named("Unbalanced").replacen("   END DSRECORD\n", "   END DSSUBRECORD\n", 1);
    let bad = run.file("unbalanced.dsx", text.as_bytes());
    let rows = check(&run.read(&Limits::default()), &bad, Severity::Error);
    assert_eq!(rows[0].job.as_deref(), Some("Unbalanced"));
    assert_eq!(rows[0].location.line, Some(11));
    assert!(rows[0].expected.contains("END DSRECORD"), "{}", rows[0]);
}

#[test]
fn bad_gzip() {
    let run = Run::new();
    let mut bytes = gzip(job_named("Gz").as_bytes());
    let n = bytes.len();
    bytes.truncate(n / 2);
    bytes.extend_from_slice(b"garbage");
    let bad = run.file("bad.dsx.gz", &bytes);
    let rows = check(&run.read(&Limits::default()), &bad, Severity::Error);
    assert!(rows.iter().any(|d| d.location.file.ends_with("bad.dsx.gz")));
}

#[test]
fn good_gzip_is_read() {
    let run = Run::new();
    run.file("ok.dsx.gz", &gzip(job_named("Zipped").as_bytes()));
    let read = run.read(&Limits::default());
    assert!(read.entities.iter().any(|e| e.entity.name() == "Zipped"));
    assert!(read.files.iter().any(|f| f.gzip && f.jobs == 1));
}

#[test]
fn zip_that_is_not_isx() {
    let run = Run::new();
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        z.start_file("readme.txt", zip::write::SimpleFileOptions::default())
            .expect("zip");
        z.write_all(b"hello").expect("zip");
        z.finish().expect("zip");
    }
    let bad = run.file("archive.isx", buf.get_ref());
    let rows = check(&run.read(&Limits::default()), &bad, Severity::Skipped);
    assert!(rows[0].found.contains("IS-MANIFEST"), "{}", rows[0]);
}

#[test]
fn binary_file_named_dsx() {
    let run = Run::new();
    let bytes: Vec<u8> = (0..4096u32).map(|i| (i * 7 % 256) as u8).collect();
    let bad = run.file("binary.dsx", &bytes);
    let rows = check(&run.read(&Limits::default()), &bad, Severity::Skipped);
    assert!(rows[0].found.contains("binary"), "{}", rows[0]);
}

#[test]
fn xml_with_doctype_entities_is_not_expanded() {
    let run = Run::new();
    let bomb = "<?xml version=\"1.0\"?>\n<!DOCTYPE DSExport [\n <!ENTITY a \"aaaaaaaaaa\">\n <!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n <!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">\n <!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">\n]>\n<DSExport>\n<Job Identifier=\"Bomb\">\n<Record Identifier=\"ROOT\" Type=\"JobDefn\"><Property Name=\"Name\">Bomb</Property><Property Name=\"Description\">&d;</Property><Property Name=\"JobType\">3</Property></Record>\n</Job>\n</DSExport>\n";
    let bad = run.file("bomb.xml", bomb.as_bytes());
    let read = run.read(&Limits::default());
    let rows = check(&read, &bad, Severity::Warning);
    assert!(
        rows.iter().any(|d| d.found.to_lowercase().contains("entit")
            || d.expected.to_lowercase().contains("entit"))
    );
    let job = read
        .entities
        .iter()
        .find(|e| e.entity.name() == "Bomb")
        .expect("job still read");
    let desc = &job.entity.as_job().expect("job").description;
    assert!(!desc.contains("aaaa"), "entity expanded: {desc}");
}

#[test]
fn file_over_the_size_limit() {
    let run = Run::new();
    let big = "x".repeat(3 * 1024 * 1024);
    let bad = run.file("big.dsx", format!("{GOOD}{big}").as_bytes());
    let limits = Limits {
        max_file_size: 2 * 1024 * 1024,
    };
    let rows = check(&run.read(&limits), &bad, Severity::Error);
    assert!(rows[0].expected.contains("max_file_size_mb"), "{}", rows[0]);
}

#[test]
fn gzip_bomb_over_the_size_limit() {
    let run = Run::new();
    let mut text = "BEGIN HEADER\nEND HEADER\n".to_string();
    text.push_str(&"COMMENT padding padding padding padding\n".repeat(200_000));
    text.push_str(&job_named("AfterPadding"));
    let gz = gzip(text.as_bytes());
    assert!(gz.len() < 1024 * 1024);
    let bad = run.file("bomb.dsx.gz", &gz);
    let limits = Limits {
        max_file_size: 2 * 1024 * 1024,
    };
    let rows = check(&run.read(&limits), &bad, Severity::Error);
    assert!(
        rows.iter().any(
            |d| d.expected.contains("max_file_size_mb") || d.found.contains("max_file_size_mb")
        ),
        "{rows:?}"
    );
}

#[test]
fn zip_bomb_over_the_size_limit() {
    let run = Run::new();
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        z.start_file("META-INF/IS-MANIFEST.MF", opts).expect("zip");
        z.write_all(b"<manifest/>").expect("zip");
        z.start_file("P/Jobs/Big.pjb", opts).expect("zip");
        let block = vec![b' '; 1024 * 1024];
        for _ in 0..4 {
            z.write_all(&block).expect("zip");
        }
        z.finish().expect("zip");
    }
    let bad = run.file("bomb.isx", buf.get_ref());
    let limits = Limits {
        max_file_size: 2 * 1024 * 1024,
    };
    check(&run.read(&limits), &bad, Severity::Error);
}

#[test]
fn unreadable_file() {
    let run = Run::new();
    let bad = run.root.join("dangling.dsx");
    std::os::unix::fs::symlink(run.root.join("does-not-exist"), &bad).expect("symlink");
    let rows = check(&run.read(&Limits::default()), &bad, Severity::Error);
    assert!(rows[0].found.contains("cannot open"), "{}", rows[0]);
}

#[test]
fn hostile_job_names_are_kept_verbatim() {
    let run = Run::new();
    let long = "L".repeat(300);
    let names = ["a/b/../../etc", "..", "nul\\(0)byte", long.as_str()];
    let mut text = String::new();
    for n in names {
        text.push_str(&job_named(n)[GOOD.find("BEGIN DSJOB").unwrap_or(0)..]);
    }
    run.file("names.dsx", text.as_bytes());
    let read = run.read(&Limits::default());
    let got: Vec<&str> = read
        .entities
        .iter()
        .map(|e| e.entity.name())
        .filter(|n| *n != "GoodJob")
        .collect();
    assert_eq!(
        got,
        vec!["a/b/../../etc", "..", "nul\u{0}byte", long.as_str()]
    );
}

#[test]
fn two_jobs_of_the_same_name_are_both_kept_and_told_apart() {
    let run = Run::new();
    let a = job_named("Twin");
    let b = job_named("Twin").replace("\"A\"", "\"B\"");
    let body_b = &b[b.find("BEGIN DSJOB").unwrap_or(0)..];
    run.file("twins.dsx", format!("{a}{body_b}").as_bytes());
    let read = run.read(&Limits::default());
    let twins: Vec<_> = read
        .entities
        .iter()
        .filter(|e| e.entity.name() == "Twin")
        .collect();
    assert_eq!(twins.len(), 2);
    assert_ne!(twins[0].location.line, twins[1].location.line);
    assert_ne!(twins[0].hash, twins[1].hash);
}

#[test]
fn strict_exit_code_and_error_rows_from_the_cli() {
    let run = Run::new();
    run.file("empty.dsx", b"");
    let bin = env!("CARGO_BIN_EXE_dsmig");
    let ok = Command::new(bin)
        .args(["analyze", "-f", "json"])
        .arg(&run.root)
        .output()
        .expect("runs");
    assert_eq!(ok.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&ok.stdout).expect("json");
    assert_eq!(json["summary"]["jobs"], 1);
    assert_eq!(json["summary"]["errors"], 1);
    assert!(
        json["diagnostics"][0]["location"]["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("empty.dsx"))
    );
    let strict = Command::new(bin)
        .args(["analyze", "--strict"])
        .arg(&run.root)
        .output()
        .expect("runs");
    assert_eq!(strict.status.code(), Some(1));
    let text = String::from_utf8_lossy(&strict.stdout);
    assert!(
        text.contains("empty.dsx: expected a DataStage export, found an empty file"),
        "{text}"
    );
}

#[test]
fn writing_the_output_to_a_device_leaves_the_device_alone() {
    use std::os::unix::fs::FileTypeExt;
    let run = Run::new();
    let out = Command::new(env!("CARGO_BIN_EXE_dsmig"))
        .args(["analyze", "-f", "json", "-o", "/dev/null"])
        .arg(&run.root)
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let kind = std::fs::metadata("/dev/null").expect("stat").file_type();
    assert!(
        kind.is_char_device(),
        "/dev/null must stay a character device"
    );
}

// ---- Deep nesting: an error row for that job, the rest is read ----------

/// `BEGIN DSSUBRECORD` nested `depth` deep, each under a collection heading
/// (so a lexer without a limit builds a tree that deep).
fn deep_dsx(name: &str, depth: usize) -> String {
    let mut s = format!(
        "BEGIN HEADER\n   CharacterSet \"CP1252\"\nEND HEADER\nBEGIN DSJOB\n   Identifier \"{name}\"\n   BEGIN DSRECORD\n      Identifier \"ROOT\"\n      OLEType \"CJobDefn\"\n      Name \"{name}\"\n"
    );
    for _ in 0..depth {
        s.push_str("Sub \"CX\"\nBEGIN DSSUBRECORD\nName \"x\"\n");
    }
    s.push_str(&"END DSSUBRECORD\n".repeat(depth));
    s.push_str("   END DSRECORD\nEND DSJOB\n");
    s
}

#[test]
fn dsx_subrecords_nested_100000_deep() {
    let run = Run::new();
    let bad = run.file("deep.dsx", deep_dsx("Deep", 100_000).as_bytes());
    let rows = check(&run.read(&Limits::default()), &bad, Severity::Error);
    assert_eq!(rows[0].job.as_deref(), Some("Deep"), "{}", rows[0]);
    assert!(rows[0].location.line.is_some(), "{}", rows[0]);
    assert!(rows[0].expected.contains("nested at most"), "{}", rows[0]);
    build_reports_and_goes_on(&run, "deep.dsx");
}

/// `dsmig build` over the run's folder: no crash, the good job generated,
/// an error row for `bad`.
fn build_reports_and_goes_on(run: &Run, bad: &str) {
    let ran = dsmig_in(&run.root, &["build", ".", "--output-dir", "out"]);
    ran.assert_no_crash();
    assert_eq!(ran.code, Some(0), "{}", ran.text());
    assert!(run.root.join("out/glue_jobs/GoodJob.py").is_file());
    assert!(
        ran.text()
            .lines()
            .any(|l| l.starts_with("error:") && l.contains(bad) && l.contains("nested at most")),
        "{}",
        ran.text()
    );
}

#[test]
fn xml_subrecords_nested_100000_deep() {
    let run = Run::new();
    let depth = 100_000;
    let mut xml = String::from(
        "<?xml version=\"1.0\"?>\n<DSExport>\n<Job Identifier=\"DeepXml\">\n<Record Identifier=\"ROOT\" Type=\"JobDefn\"><Property Name=\"Name\">DeepXml</Property>\n",
    );
    for _ in 0..depth {
        xml.push_str("<Collection Name=\"C\" Type=\"X\"><SubRecord>");
    }
    for _ in 0..depth {
        xml.push_str("</SubRecord></Collection>");
    }
    xml.push_str("\n</Record>\n</Job>\n<Job Identifier=\"AfterDeep\">\n<Record Identifier=\"ROOT\" Type=\"JobDefn\"><Property Name=\"Name\">AfterDeep</Property><Property Name=\"JobType\">3</Property></Record>\n</Job>\n</DSExport>\n");
    let bad = run.file("deep.xml", xml.as_bytes());
    let read = run.read(&Limits::default());
    let rows = check(&read, &bad, Severity::Error);
    assert_eq!(rows[0].job.as_deref(), Some("DeepXml"), "{}", rows[0]);
    assert_eq!(rows[0].location.line, Some(5), "{}", rows[0]);
    assert!(
        read.entities.iter().any(|e| e.entity.name() == "AfterDeep"),
        "the next block of the same file is read"
    );
    assert!(!read.entities.iter().any(|e| e.entity.name() == "DeepXml"));
    build_reports_and_goes_on(&run, "deep.xml");
}

// ---- Long derivations, through the whole `dsmig build` ------------------

/// A job whose Transformer derives `out.B` as `derivation`.
fn transformer_job(name: &str, derivation: &str) -> String {
    format!(
        "BEGIN HEADER\n   CharacterSet \"CP1252\"\nEND HEADER\nBEGIN DSJOB\n   Identifier \"{name}\"\n   BEGIN DSRECORD\n      Identifier \"ROOT\"\n      OLEType \"CJobDefn\"\n      Name \"{name}\"\n      JobType \"3\"\n   END DSRECORD\n   BEGIN DSRECORD\n      Identifier \"V0S1\"\n      OLEType \"CCustomStage\"\n      Name \"src\"\n      StageType \"PxSequentialFile\"\n      OutputPins \"V0S1P1\"\n   END DSRECORD\n   BEGIN DSRECORD\n      Identifier \"V0S1P1\"\n      OLEType \"CCustomOutput\"\n      Name \"lnk\"\n      Partner \"V0S2|V0S2P1\"\n      Columns \"COutputColumn\"\n      BEGIN DSSUBRECORD\n         Name \"A\"\n         SqlType \"4\"\n      END DSSUBRECORD\n   END DSRECORD\n   BEGIN DSRECORD\n      Identifier \"V0S2\"\n      OLEType \"CTransformerStage\"\n      Name \"xf\"\n      InputPins \"V0S2P1\"\n      OutputPins \"V0S2P2\"\n   END DSRECORD\n   BEGIN DSRECORD\n      Identifier \"V0S2P1\"\n      OLEType \"CTrxInput\"\n      Name \"lnk\"\n      Partner \"V0S1|V0S1P1\"\n      LinkType \"1\"\n   END DSRECORD\n   BEGIN DSRECORD\n      Identifier \"V0S2P2\"\n      OLEType \"CTrxOutput\"\n      Name \"out\"\n      Partner \"V0S3|V0S3P1\"\n      Columns \"COutputColumn\"\n      BEGIN DSSUBRECORD\n         Name \"B\"\n         SqlType \"4\"\n         Derivation \"{derivation}\"\n      END DSSUBRECORD\n   END DSRECORD\n   BEGIN DSRECORD\n      Identifier \"V0S3\"\n      OLEType \"CCustomStage\"\n      Name \"dst\"\n      StageType \"PxPeek\"\n      InputPins \"V0S3P1\"\n   END DSRECORD\n   BEGIN DSRECORD\n      Identifier \"V0S3P1\"\n      OLEType \"CCustomInput\"\n      Name \"out\"\n      Partner \"V0S2|V0S2P2\"\n      LinkType \"1\"\n   END DSRECORD\nEND DSJOB\n"
    )
}

/// What `dsmig` printed and how it ended.
struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Ran {
    fn text(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// Ended with an exit code (no signal, no abort), without a panic.
    fn assert_no_crash(&self) {
        assert!(self.code.is_some(), "killed by a signal: {}", self.text());
        assert_ne!(self.code, Some(101), "panicked: {}", self.text());
        for bad in ["panicked", "overflow", "RUST_BACKTRACE", "stack backtrace"] {
            assert!(!self.text().contains(bad), "{bad}: {}", self.text());
        }
    }
}

/// Run the binary in `dir` with a deadline: a hang fails the test rather
/// than the whole suite.
fn dsmig_in(dir: &Path, args: &[&str]) -> Ran {
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_dsmig"))
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("dsmig runs");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("dsmig {args:?} did not finish within 60 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    Ran {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `dsmig build` of a folder holding the good job and a Transformer job
/// deriving `derivation`: no crash, the good job's files are written, the
/// bad derivation is a blocking item of its job naming the limit.
fn build_with_derivation(derivation: &str, reason: &str) {
    let run = Run::new();
    run.file("bad.dsx", transformer_job("Deep", derivation).as_bytes());
    let started = std::time::Instant::now();
    let ran = dsmig_in(&run.root, &["build", ".", "--output-dir", "out"]);
    ran.assert_no_crash();
    assert_eq!(ran.code, Some(0), "{}", ran.text());
    assert!(
        run.root.join("out/glue_jobs/GoodJob.py").is_file(),
        "{}",
        ran.text()
    );
    let report =
        std::fs::read_to_string(run.root.join("out/generation_report.json")).expect("report");
    let report: serde_json::Value = serde_json::from_str(&report).expect("json");
    let jobs = report["jobs"].as_array().expect("jobs");
    let deep = jobs
        .iter()
        .find(|j| j["job"] == "Deep" || j["name"] == "Deep")
        .unwrap_or_else(|| panic!("the bad job is reported: {report}"));
    assert!(deep.to_string().contains(reason), "{deep}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn derivation_of_100000_chained_plus() {
    let d = vec!["lnk.A"; 100_001].join(" + ");
    build_with_derivation(&d, "expression too deep");
}

#[test]
fn derivation_of_100000_nested_parentheses() {
    let d = format!("{}lnk.A{}", "(".repeat(100_000), ")".repeat(100_000));
    build_with_derivation(&d, "nested too deeply");
}

#[test]
fn derivation_of_100000_nested_calls() {
    let d = format!("{}lnk.A{}", "Abs(".repeat(100_000), ")".repeat(100_000));
    build_with_derivation(&d, "nested too deeply");
}

// ---- Files that are not regular files ------------------------------------

#[test]
fn fifo_in_a_folder_is_skipped_not_waited_on() {
    let run = Run::new();
    let fifo = run.root.join("pipe.dsx");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    // Found while walking the folder, and named directly.
    let read = read_paths(&[run.root.clone(), fifo.clone()], &Limits::default());
    let rows = check(&read, &fifo, Severity::Skipped);
    assert!(rows[0].found.contains("FIFO"), "{}", rows[0]);
    // The build does not hang on it either.
    let ran = dsmig_in(&run.root, &["build", ".", "--output-dir", "out"]);
    ran.assert_no_crash();
    assert!(run.root.join("out/glue_jobs/GoodJob.py").is_file());
}

#[test]
fn device_named_as_an_input_is_skipped() {
    let run = Run::new();
    let zero = PathBuf::from("/dev/zero");
    let read = read_paths(&[run.root.clone(), zero.clone()], &Limits::default());
    let rows = check(&read, &zero, Severity::Skipped);
    assert!(rows[0].found.contains("character device"), "{}", rows[0]);
    let ran = dsmig_in(
        &run.root,
        &["build", ".", "/dev/zero", "--output-dir", "out"],
    );
    ran.assert_no_crash();
    assert!(run.root.join("out/glue_jobs/GoodJob.py").is_file());
    assert!(ran.text().contains("1 skipped"), "{}", ran.text());
    assert!(ran.text().contains("character device"), "{}", ran.text());
}

#[test]
fn symlink_leaving_the_input_folder_is_reported_not_followed() {
    let run = Run::new();
    let outside = tempfile::tempdir().expect("tempdir");
    let target = outside.path().join("outside.dsx");
    std::fs::write(&target, job_named("Outside")).expect("write");
    let link = run.root.join("link.dsx");
    std::os::unix::fs::symlink(&target, &link).expect("symlink");
    std::fs::write(run.root.join("inner.txt.dsx"), job_named("Inner")).expect("write");
    std::os::unix::fs::symlink(run.root.join("inner.txt.dsx"), run.root.join("inner.dsx"))
        .expect("symlink");
    let read = run.read(&Limits::default());
    let rows = check(&read, &link, Severity::Warning);
    assert!(rows[0].found.contains("not followed"), "{}", rows[0]);
    assert!(!read.entities.iter().any(|e| e.entity.name() == "Outside"));
    // A link that stays inside is read.
    assert_eq!(
        read.entities
            .iter()
            .filter(|e| e.entity.name() == "Inner")
            .count(),
        2
    );
}

#[test]
fn derivation_just_under_the_height_limit_is_translated() {
    // 255 chained operators: a tree 256 high, the most the parser builds.
    // Every pass over it (typing, PySpark and SQL translation, the row
    // simulation) must fit the workers' stacks.
    let run = Run::new();
    let d = vec!["lnk.A"; 256].join(" + ");
    run.file("tall.dsx", transformer_job("Tall", &d).as_bytes());
    for target in ["glue", "sql"] {
        let ran = dsmig_in(
            &run.root,
            &["build", ".", "--target", target, "--output-dir", target],
        );
        ran.assert_no_crash();
        assert_eq!(ran.code, Some(0), "{}", ran.text());
        let name = match target {
            "sql" => "generation_report.sql.json",
            _ => "generation_report.json",
        };
        let report = std::fs::read_to_string(run.root.join(target).join(name)).expect("report");
        assert!(!report.contains("too deep"), "{report}");
    }
    assert!(run.root.join("glue/glue_jobs/Tall.py").is_file());
}

// ---- The store: damaged or on a full disk, a clear error, never a panic --

/// Build the good job once into `st`, damage `st/store.redb` with `damage`,
/// build again: a non-zero exit with the remedy, no panic text.
fn damaged_store(damage: impl FnOnce(&mut Vec<u8>)) {
    let run = Run::new();
    let first = dsmig_in(
        &run.root,
        &["build", ".", "--output-dir", "out", "--store", "st"],
    );
    assert_eq!(first.code, Some(0), "{}", first.text());
    let file = run.root.join("st/store.redb");
    let mut bytes = std::fs::read(&file).expect("store file");
    damage(&mut bytes);
    std::fs::write(&file, &bytes).expect("write");
    for args in [
        &["build", ".", "--output-dir", "out", "--store", "st"][..],
        &["store", "stats", "--store", "st"][..],
    ] {
        let ran = dsmig_in(&run.root, args);
        ran.assert_no_crash();
        assert_eq!(ran.code, Some(1), "{args:?}: {}", ran.text());
        assert!(
            ran.stderr.contains(
                "the store is damaged: move it aside (st/store.redb), the next build \
                 recomputes everything and pays again for LLM calls"
            ),
            "{args:?}: {}",
            ran.text()
        );
    }
}

/// Deterministic noise (no rand dependency).
fn noise(n: usize, mut seed: u64) -> Vec<u8> {
    (0..n)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect()
}

#[test]
fn damaged_store_truncated() {
    damaged_store(|b| b.truncate(b.len() / 2));
}

#[test]
fn damaged_store_random_bytes_in_the_middle() {
    damaged_store(|b| {
        let (from, to) = (b.len() / 3, 2 * b.len() / 3);
        b[from..to].copy_from_slice(&noise(to - from, 0x9E37_79B9_7F4A_7C15));
    });
}

#[test]
fn damaged_store_zeroed_header() {
    damaged_store(|b| b[..4096].fill(0));
}

/// A 2 MB tmpfs, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: PathBuf) -> Result<Tmpfs, String> {
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=2m", "tmpfs"])
            .arg(&dir)
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
        }
        Ok(Tmpfs(dir))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn store_on_a_full_disk_says_so() {
    let run = Run::new();
    let disk = match Tmpfs::mount(run.root.join("disk")) {
        Ok(d) => d,
        Err(why) => {
            println!("skipped: cannot mount a 2 MB tmpfs here ({why})");
            return;
        }
    };
    // 60 more jobs: about 400 KB of store; leave about 200 KB free.
    let mut many = String::new();
    for i in 0..60 {
        let job = job_named(&format!("Many{i}"));
        many.push_str(&job[job.find("BEGIN DSJOB").unwrap_or(0)..]);
    }
    run.file(
        "many.dsx",
        format!("{}{many}", &GOOD[..GOOD.find("BEGIN DSJOB").unwrap_or(0)]).as_bytes(),
    );
    let filler = disk.0.join("filler");
    std::fs::write(&filler, vec![0u8; 1850 * 1024]).expect("filler");
    let store = disk.0.join("st");
    let store_arg = store.display().to_string();
    let args = [
        "build",
        ".",
        "--output-dir",
        "out",
        "--store",
        store_arg.as_str(),
    ];
    let ran = dsmig_in(&run.root, &args);
    ran.assert_no_crash();
    assert_eq!(ran.code, Some(1), "{}", ran.text());
    let expected = format!(
        "no space left on the device of the store {}",
        store.join("store.redb").display()
    );
    assert!(ran.stderr.contains(&expected), "{}", ran.text());
    assert!(ran.stderr.contains("MB"), "how much: {}", ran.text());
    assert!(!ran.text().contains("Previous I/O error"), "{}", ran.text());
    // Space freed, the same store works: nothing was damaged.
    std::fs::remove_file(&filler).expect("rm");
    let again = dsmig_in(&run.root, &args);
    assert_eq!(again.code, Some(0), "{}", again.text());
    assert!(run.root.join("out/glue_jobs/Many59.py").is_file());
}

#[test]
fn store_commands_accept_wait() {
    let run = Run::new();
    let build = dsmig_in(&run.root, &["build", ".", "--store", "st", "--wait"]);
    assert_eq!(build.code, Some(0), "{}", build.text());
    for args in [
        &["store", "stats", "--store", "st", "--wait"][..],
        &["store", "gc", "--store", "st", "--wait"][..],
        &["explain", "GoodJob", "--store", "st", "--wait"][..],
    ] {
        let ran = dsmig_in(&run.root, args);
        assert_eq!(ran.code, Some(0), "{args:?}: {}", ran.text());
    }
}
