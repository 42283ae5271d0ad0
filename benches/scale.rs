//! Scale benchmark: reading speed and incremental builds over a generated
//! corpus of realistic size (9000 jobs, ~1.1 GB by default), plus reading
//! the real corpus. Runs the release `dsmig` binary as a user would and
//! prints a markdown table (also written to target/bench-scale.md).
//!
//!   cargo bench --bench scale                      # 9000 jobs
//!   DSMIG_BENCH_JOBS=1500 cargo bench --bench scale
//!
//! Each scenario runs once (they take seconds, and the no-op and edit
//! scenarios depend on the state the previous one left): wall time, peak
//! RSS (reported by dsmig itself with DSMIG_REPORT_RSS) and the per-phase
//! counts from --summary-json.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

struct Row {
    scenario: String,
    seconds: f64,
    rss_mb: f64,
    detail: String,
    cpu: f64,
}

thread_local! {
    /// CPU seconds of the last dsmig run (it reports them itself).
    static LAST_CPU: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) };
}

fn dsmig(cwd: &Path, args: &[&str]) -> (f64, f64, String) {
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_dsmig"))
        .current_dir(cwd)
        .args(args)
        .env("DSMIG_REPORT_RSS", "1")
        .output()
        .expect("dsmig runs");
    let secs = start.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "dsmig {args:?} failed: {stderr}");
    let rss = stderr
        .lines()
        .find_map(|l| l.strip_prefix("dsmig-peak-rss-kb: "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0;
    let cpu = stderr
        .lines()
        .find_map(|l| l.strip_prefix("dsmig-cpu-seconds: "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    LAST_CPU.with(|c| c.set(cpu));
    (secs, rss, String::from_utf8_lossy(&out.stdout).into_owned())
}

fn phases(cwd: &Path) -> String {
    let text = std::fs::read_to_string(cwd.join("summary.json")).unwrap_or_default();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let mut parts = Vec::new();
    for p in [
        "split",
        "job_ir",
        "features",
        "groups",
        "prediction",
        "artifacts",
    ] {
        let c = &v["phases"][p];
        parts.push(format!("{p} {}/{}", c["computed"], c["reused"]));
    }
    let f = &v["files"];
    parts.push(format!(
        "files w{} u{} d{}",
        f["written"], f["unchanged"], f["deleted"]
    ));
    parts.join(", ")
}

fn dir_bytes(dir: &Path) -> u64 {
    walk(dir)
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// Open the report in headless Chromium with its self test: time until the
/// table is drawn (the page's own `performance.now()`), and the process's
/// wall time (start, load, self test, exit).
fn chromium_load(report: &Path) -> String {
    let chromium = std::env::var("DSMIG_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() {
        return "not measured (no chromium)".into();
    }
    let profile = report.with_extension("chromium-profile");
    let start = Instant::now();
    let out = Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-default-apps",
            "--virtual-time-budget=5000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("file://{}#selftest", report.display()))
        .stderr(std::process::Stdio::null())
        .output();
    let wall = start.elapsed().as_secs_f64();
    let dom = out
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let ms = |key: &str| {
        dom.split(&format!("\"{key}\":"))
            .nth(1)
            .and_then(|r| r.split([',', '}']).next())
            .and_then(|v| v.parse::<f64>().ok())
    };
    match (ms("loadMs"), ms("searchMs"), ms("sortMs")) {
        (Some(load), Some(search), Some(sort)) => format!(
            "table ready {load:.0} ms after navigation, search {search:.0} ms, sort {sort:.0} ms; chromium run {wall:.1} s"
        ),
        _ => format!("self test did not report (chromium run {wall:.1} s)"),
    }
}

/// Edit one job inside a multi-job DSX file: change one derivation's text.
fn edit_one_job(corpus: &Path) -> Option<PathBuf> {
    for f in walk(corpus) {
        if f.extension().and_then(|e| e.to_str()) != Some("dsx") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        if text.matches("\nBEGIN DSJOB").count() < 5 {
            continue;
        }
        for (pos, _) in text.match_indices("Derivation \"") {
            let start = pos + "Derivation \"".len();
            let Some(len) = text[start..].find('"') else {
                continue;
            };
            let value = &text[start..start + len];
            if value.is_empty() || value.contains('\\') {
                continue;
            }
            let edited = format!("{}Trim({value}){}", &text[..start], &text[start + len..]);
            std::fs::write(&f, edited).ok()?;
            return Some(f);
        }
    }
    None
}

fn main() {
    let jobs: usize = std::env::var("DSMIG_BENCH_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(9000);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("bench");
    let corpus = root.join(format!("corpus-{jobs}"));
    if !corpus.join("ground_truth.json").exists() {
        let start = Instant::now();
        let opts = corpus_gen::GenOptions::realistic(jobs, 7);
        corpus_gen::generate(&opts, &corpus).expect("corpus");
        eprintln!(
            "generated {jobs} jobs in {:.1}s",
            start.elapsed().as_secs_f64()
        );
    }
    let work = root.join(format!("work-{jobs}"));
    // The last run's folder is deleted at the end, not now: ext4 spends
    // minutes skipping recently freed inodes, and the cold build would pay
    // for deleting tens of thousands of files it never wrote.
    let old_work = root.join(format!("work-{jobs}-old"));
    let _ = std::fs::remove_dir_all(&old_work);
    let _ = std::fs::rename(&work, &old_work);
    std::fs::create_dir_all(&work).expect("work dir");
    let corpus_arg = corpus.display().to_string();
    let bytes = dir_bytes(&corpus) as f64;
    let mut rows = Vec::new();

    // Reading alone: the real corpus and the generated one.
    let real = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/real");
    if real.exists() {
        let real_arg = real.display().to_string();
        let real_bytes = dir_bytes(&real) as f64;
        let (s, rss, _) = dsmig(
            &work,
            &["analyze", &real_arg, "-f", "json", "-o", "real.json"],
        );
        rows.push(Row {
            cpu: LAST_CPU.with(|c| c.get()),
            scenario: "analyze real corpus (115 jobs, 13 MB)".into(),
            seconds: s,
            rss_mb: rss,
            detail: format!("{:.0} MB/s, {:.0} jobs/s", real_bytes / 1e6 / s, 115.0 / s),
        });
    }
    let (s, rss, _) = dsmig(
        &work,
        &["analyze", &corpus_arg, "-f", "json", "-o", "gen.json"],
    );
    rows.push(Row {
        cpu: LAST_CPU.with(|c| c.get()),
        scenario: format!("analyze generated ({jobs} jobs, {:.2} GB)", bytes / 1e9),
        seconds: s,
        rss_mb: rss,
        detail: format!("{:.0} MB/s, {:.0} jobs/s", bytes / 1e6 / s, jobs as f64 / s),
    });

    // The HTML report of the same corpus: size, time to write it, and the
    // time until its table is ready in headless Chromium.
    let (s, rss, _) = dsmig(&work, &["report", &corpus_arg, "-o", "report.html"]);
    let report_bytes = std::fs::metadata(work.join("report.html"))
        .map(|m| m.len())
        .unwrap_or(0);
    rows.push(Row {
        cpu: LAST_CPU.with(|c| c.get()),
        scenario: format!("report {jobs} jobs: dsmig report"),
        seconds: s,
        rss_mb: rss,
        detail: format!(
            "{:.1} MB HTML; in Chromium: {}",
            report_bytes as f64 / 1e6,
            chromium_load(&work.join("report.html"))
        ),
    });

    // One big export: memory must follow the largest job, not the file.
    let big = root.join("one-big-file");
    if !big.exists() {
        let mut opts = corpus_gen::GenOptions::realistic(4500, 9);
        opts.jobs_per_file = (4500, 4500);
        opts.xml_fraction = 0.0;
        opts.gzip_fraction = 0.0;
        opts.reexports = (0, 0);
        corpus_gen::generate(&opts, &big).expect("big file");
        let _ = std::fs::remove_file(big.join("ground_truth.json"));
    }
    let big_bytes = dir_bytes(&big) as f64;
    let big_arg = big.display().to_string();
    let (s, rss, _) = dsmig(
        &work,
        &["analyze", &big_arg, "-f", "json", "-o", "big.json"],
    );
    rows.push(Row {
        cpu: LAST_CPU.with(|c| c.get()),
        scenario: format!("analyze one {:.0} MB DSX file (4500 jobs)", big_bytes / 1e6),
        seconds: s,
        rss_mb: rss,
        detail: format!("{:.0} MB/s", big_bytes / 1e6 / s),
    });

    let build = ["build", &corpus_arg, "--summary-json", "summary.json"];
    let (s, rss, _) = dsmig(&work, &build);
    rows.push(Row {
        cpu: LAST_CPU.with(|c| c.get()),
        scenario: "build, cold (empty store)".into(),
        seconds: s,
        rss_mb: rss,
        detail: phases(&work),
    });
    let (s, rss, _) = dsmig(&work, &build);
    rows.push(Row {
        cpu: LAST_CPU.with(|c| c.get()),
        scenario: "build, no-op re-run".into(),
        seconds: s,
        rss_mb: rss,
        detail: phases(&work),
    });

    if let Some(f) = edit_one_job(&corpus) {
        let (s, rss, _) = dsmig(&work, &build);
        rows.push(Row {
            cpu: LAST_CPU.with(|c| c.get()),
            scenario: "build, one job edited in a multi-job file".into(),
            seconds: s,
            rss_mb: rss,
            detail: phases(&work),
        });
        // Touch: same bytes, new mtime.
        let text = std::fs::read(&f).expect("read");
        std::thread::sleep(std::time::Duration::from_millis(10));
        std::fs::write(&f, text).expect("write");
        let (s, rss, _) = dsmig(&work, &build);
        rows.push(Row {
            cpu: LAST_CPU.with(|c| c.get()),
            scenario: "build, one file touched (same bytes)".into(),
            seconds: s,
            rss_mb: rss,
            detail: phases(&work),
        });
        // Leave the corpus as generated for the next bench run.
        let _ = std::fs::remove_dir_all(&corpus);
    }

    let mut table = String::from(
        "| scenario | wall s | CPU s | peak RSS MB | detail (computed/reused) |\n|---|---:|---:|---:|---|\n",
    );
    for r in &rows {
        table.push_str(&format!(
            "| {} | {:.2} | {:.2} | {:.0} | {} |\n",
            r.scenario, r.seconds, r.cpu, r.rss_mb, r.detail
        ));
    }
    println!("{table}");
    let _ = std::fs::write(root.join("../bench-scale.md"), &table);
    let _ = std::fs::remove_dir_all(&old_work);
}
