//! The HTML report in a real browser: `dsmig report` over the real corpus
//! (../shared/corpus/real), opened from `file://` in headless Chromium
//! with background networking off. The page's self test (`#selftest`)
//! searches, sorts and opens a detail panel, then writes what it saw into
//! `<pre id="selftest">`, which `--dump-dom` hands back here. The summary
//! numbers read from the DOM must equal `dsmig analyze -f json`'s, and the
//! page must log no error and attempt no request.
//!
//! Also writes a screenshot for people: target/report-screenshot.png.
//!
//! Chromium: Debian's `chromium` package (`scripts/test-env.sh` installs
//! it and exports DSMIG_CHROMIUM). Missing Chromium fails the test.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::real_corpus as corpus;

fn chromium() -> PathBuf {
    let path = std::env::var_os("DSMIG_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if !path.exists() {
        let hint = if std::env::var_os("CI").is_some() {
            "CI must install it: .ci/run runs scripts/test, whose scripts/test-env.sh installs Debian's `chromium`"
        } else {
            "run the tests with scripts/test (it installs Debian's `chromium`), or `apt-get install chromium`, or set DSMIG_CHROMIUM"
        };
        panic!(
            "headless Chromium not found at {}: the report's browser test needs it; {hint}",
            path.display()
        );
    }
    path
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/target")))
}

fn dsmig(cwd: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_dsmig"))
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("dsmig runs");
    assert!(
        out.status.success(),
        "dsmig {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Run headless Chromium on `url` with `extra` flags; its stdout.
/// Output goes to files (a full pipe would block Chromium).
fn run_chromium(profile: &Path, url: &str, extra: &[&str]) -> String {
    std::fs::create_dir_all(profile).expect("profile dir");
    let out_path = profile.with_extension("stdout");
    let err_path = profile.with_extension("stderr");
    let mut cmd = Command::new(chromium());
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-default-apps",
        "--disable-extensions",
        "--hide-scrollbars",
        // Any request that slipped through would go nowhere.
        "--proxy-server=127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--virtual-time-budget=5000",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(extra)
    .arg(url)
    .stdin(Stdio::null())
    .stdout(std::fs::File::create(&out_path).expect("stdout file"))
    .stderr(std::fs::File::create(&err_path).expect("stderr file"));
    let mut child = cmd.spawn().expect("chromium starts");
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 120 s on {url}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        status.success(),
        "chromium failed on {url}: {}",
        std::fs::read_to_string(&err_path).unwrap_or_default()
    );
    std::fs::read_to_string(&out_path).expect("chromium stdout")
}

/// The JSON the page's self test wrote into `<pre id="selftest">`.
fn selftest(dom: &str) -> Value {
    let start = dom.find("<pre id=\"selftest\">").unwrap_or_else(|| {
        panic!(
            "no selftest block in the DOM: {}",
            &dom[..dom.len().min(2000)]
        )
    }) + "<pre id=\"selftest\">".len();
    let end = start + dom[start..].find("</pre>").expect("end of selftest");
    let text = dom[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("selftest JSON: {e}: {text}"))
}

fn file_url(path: &Path) -> String {
    format!(
        "file://{}",
        path.canonicalize().expect("absolute").display()
    )
}

#[test]
fn report_works_in_headless_chromium() {
    chromium();
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let corpus = corpus().display().to_string();
    dsmig(dir, &["report", &corpus, "-o", "report.html"]);
    dsmig(
        dir,
        &["analyze", &corpus, "-f", "json", "-o", "analyze.json"],
    );
    let analyze: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("analyze.json")).unwrap()).unwrap();
    let s = &analyze["summary"];
    let report = dir.join("report.html");
    let html = std::fs::read_to_string(&report).unwrap();

    let dom = run_chromium(
        &dir.join("profile"),
        &format!("{}#selftest", file_url(&report)),
        &["--dump-dom"],
    );
    let t = selftest(&dom);
    eprintln!("selftest: {t:#}");

    // No console error, no request of any kind.
    assert_eq!(t["errors"], Value::Array(vec![]), "console errors");
    assert_eq!(
        t["requests"],
        Value::Array(vec![]),
        "the page made requests"
    );

    // Summary numbers, read from the DOM, equal analyze's.
    let jobs = s["jobs"].as_u64().unwrap();
    let cat = |c: &str| s["categories"][c].as_u64().unwrap_or(0);
    let expect: Vec<(&str, f64)> = vec![
        ("jobs", jobs as f64),
        ("auto", cat("AUTO") as f64),
        ("semi_auto", cat("SEMI-AUTO") as f64),
        ("manual", cat("MANUAL") as f64),
        ("effort_hours", s["effort_hours"].as_f64().unwrap()),
        ("errors", s["errors"].as_f64().unwrap()),
        ("duplicate_groups", s["duplicate_groups"].as_f64().unwrap()),
        (
            "similarity_clusters",
            s["similarity_clusters"].as_f64().unwrap(),
        ),
        ("families", s["families"].as_f64().unwrap()),
        ("waves", s["waves"].as_f64().unwrap()),
    ];
    for (k, want) in expect {
        let cell = &t["summary"][k];
        let v: f64 = cell["v"]
            .as_str()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("summary {k} missing from the DOM: {cell}"));
        assert_eq!(v, want, "summary {k}: DOM {v}, analyze {want}");
        let shown: f64 = cell["text"]
            .as_str()
            .unwrap()
            .trim_end_matches(" h")
            .replace(',', "")
            .parse()
            .unwrap_or_else(|_| panic!("summary {k} text: {cell}"));
        assert!(
            (shown - want).abs() < 0.051,
            "summary {k} shows {shown}, analyze says {want}"
        );
    }

    // The table holds every job, a page at a time.
    assert_eq!(t["jobs"].as_u64(), Some(jobs));
    assert_eq!(t["total"].as_u64(), Some(jobs));
    assert!(t["shown"].as_u64().unwrap() > 0);
    assert!(t["shown"].as_u64().unwrap() <= 100);

    // Search narrows the table to matching rows; clearing it restores all.
    let search = &t["search"];
    let found = search["count"].as_u64().unwrap();
    assert!(found > 0 && found < jobs, "search did not narrow: {search}");
    assert_eq!(search["allMatch"], Value::Bool(true), "{search}");
    assert_eq!(t["cleared"].as_u64(), Some(jobs));

    // Sorting by score reorders the rows, both ways.
    let sort = &t["sort"];
    assert_ne!(
        sort["before"], sort["after"],
        "sorting changed nothing: {sort}"
    );
    for k in ["ascOk", "descOk", "shownDescOk"] {
        assert_eq!(sort[k], Value::Bool(true), "{k}: {sort}");
    }
    assert_eq!(sort["ascState"], "ascending");
    assert_eq!(sort["descState"], "descending");

    // The first row's link opens its detail panel, with explain's sections.
    let detail = &t["detail"];
    assert_eq!(detail["open"], Value::Bool(true), "{detail}");
    assert_eq!(detail["title"], detail["expected"], "{detail}");
    let sections = detail["sections"].to_string();
    for want in ["Category", "Complexity", "Groups", "Lineage", "Generation"] {
        assert!(sections.contains(want), "detail lacks {want}: {detail}");
    }

    // The category filter matches the summary.
    assert_eq!(t["filterAuto"].as_u64(), Some(cat("AUTO")));

    // Self-contained: nothing is loaded from anywhere.
    assert!(!html.contains(" src="));
    assert!(html.len() < 10_000_000);

    // A screenshot for people (git-ignored).
    let shot = target_dir().join("report-screenshot.png");
    let _ = std::fs::remove_file(&shot);
    run_chromium(
        &dir.join("profile"),
        &file_url(&report),
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1400,2000",
        ],
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "screenshot too small"
    );
    eprintln!("screenshot: {}", shot.display());
}

/// The detectors are not vacuous: a page that requests an image and logs
/// an error is caught.
#[test]
fn the_self_test_catches_requests_and_console_errors() {
    chromium();
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let corpus = corpus().display().to_string();
    dsmig(dir, &["report", &corpus, "-o", "report.html"]);
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let bad = html.replacen(
        "<main>",
        "<main><img src=\"http://example.invalid/pixel.png\" alt=\"\"><script>console.error('control error')</script>",
        1,
    );
    std::fs::write(dir.join("bad.html"), bad).unwrap();
    let dom = run_chromium(
        &dir.join("profile"),
        &format!("{}#selftest", file_url(&dir.join("bad.html"))),
        &["--dump-dom"],
    );
    let t = selftest(&dom);
    let requests = t["requests"].to_string();
    assert!(
        requests.contains("example.invalid"),
        "request not caught: {t}"
    );
    assert!(
        t["errors"].to_string().contains("control error"),
        "error not caught: {t}"
    );
}

/// The report is an artifact: the same analysis gives the same bytes, a
/// re-run leaves the file alone, and `analyze --report` writes the same.
#[test]
fn report_bytes_are_stable_and_shared_with_analyze() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let corpus = corpus().display().to_string();
    dsmig(dir, &["report", &corpus, "-o", "a.html"]);
    let first = std::fs::read(dir.join("a.html")).unwrap();
    let mtime = std::fs::metadata(dir.join("a.html"))
        .unwrap()
        .modified()
        .unwrap();
    std::thread::sleep(Duration::from_millis(20));
    let err = dsmig(dir, &["-j", "1", "report", &corpus, "-o", "a.html"]);
    assert!(err.contains("unchanged"), "{err}");
    assert_eq!(std::fs::read(dir.join("a.html")).unwrap(), first);
    assert_eq!(
        std::fs::metadata(dir.join("a.html"))
            .unwrap()
            .modified()
            .unwrap(),
        mtime,
        "an unchanged report was rewritten"
    );
    dsmig(
        dir,
        &[
            "analyze", &corpus, "-f", "csv", "-o", "jobs.csv", "--report", "b.html",
        ],
    );
    assert_eq!(std::fs::read(dir.join("b.html")).unwrap(), first);
    // No property value of a job leaks: no redacted password marker, and
    // none of the corpus's SQL (`SELECT * FROM ROUTES`...).
    let text = String::from_utf8(first).unwrap();
    assert!(!text.contains("redacted"));
    assert!(!text.contains(" FROM "));
}
