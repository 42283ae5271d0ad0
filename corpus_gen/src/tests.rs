use super::*;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::PathBuf;

fn tmp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "dsmig_corpus_gen_{}_{}_{}",
        tag,
        std::process::id(),
        line!()
    ));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn read_all(p: &Path) -> Vec<u8> {
    let raw = std::fs::read(p).unwrap();
    if p.extension().is_some_and(|e| e == "gz") {
        let mut s = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut s)
            .unwrap();
        s
    } else {
        raw
    }
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                v.push(p);
            }
        }
    }
    v.sort();
    v
}

#[test]
fn deterministic_bytes() {
    let a = tmp("det_a");
    let b = tmp("det_b");
    let o = GenOptions::small(40, 1234);
    generate(&o, &a).unwrap();
    generate(&o, &b).unwrap();
    let fa = files_in(&a);
    let fb = files_in(&b);
    assert_eq!(fa.len(), fb.len());
    for (x, y) in fa.iter().zip(&fb) {
        assert_eq!(x.strip_prefix(&a).unwrap(), y.strip_prefix(&b).unwrap());
        assert!(
            std::fs::read(x).unwrap() == std::fs::read(y).unwrap(),
            "{} differs",
            x.display()
        );
    }
    // a different seed gives a different corpus
    let c = tmp("det_c");
    generate(&GenOptions::small(40, 1235), &c).unwrap();
    assert_ne!(
        std::fs::read(a.join("ground_truth.json")).unwrap(),
        std::fs::read(c.join("ground_truth.json")).unwrap()
    );
    for d in [a, b, c] {
        let _ = std::fs::remove_dir_all(d);
    }
}

fn count_jobs(text: &str, xml: bool) -> usize {
    if xml {
        text.matches("<Job ").count()
    } else {
        text.lines()
            .filter(|l| l.trim_end_matches('\r') == "BEGIN DSJOB")
            .count()
    }
}

/// BEGIN/END balance outside `=+=+=+=` blocks; returns the DSJOB block sizes.
fn check_balanced(text: &str) -> Vec<usize> {
    let mut stack: Vec<&str> = Vec::new();
    let mut in_block = false;
    let mut sizes = Vec::new();
    let mut job_start = 0;
    let mut off = 0;
    for raw in text.split_inclusive('\n') {
        let line = raw.trim_end_matches(['\n', '\r']);
        let at = off;
        off += raw.len();
        if in_block {
            if line == "=+=+=+=" {
                in_block = false;
            }
            continue;
        }
        if line.ends_with(" =+=+=+=") {
            in_block = true;
            continue;
        }
        let t = line.trim_start();
        if let Some(tag) = t.strip_prefix("BEGIN ") {
            if tag == "DSJOB" && line == t {
                job_start = at;
            }
            stack.push(tag);
        } else if let Some(tag) = t.strip_prefix("END ") {
            assert_eq!(stack.pop(), Some(tag), "unbalanced END {tag}");
            if tag == "DSJOB" {
                sizes.push(off - job_start);
            }
        } else {
            // every other line is `Key "value"` or `Key =+=+=+=`
            let (k, v) = t
                .split_once(' ')
                .unwrap_or_else(|| panic!("bad line {line:?}"));
            assert!(
                !k.is_empty() && v.starts_with('"') && v.ends_with('"'),
                "bad line {line:?}"
            );
        }
    }
    assert!(!in_block, "unterminated =+=+=+= block");
    assert!(stack.is_empty(), "unclosed {stack:?}");
    sizes
}

#[test]
fn files_match_truth_and_are_balanced() {
    let d = tmp("counts");
    let t = generate(&GenOptions::small(60, 99), &d).unwrap();
    let mut seen_formats = BTreeSet::new();
    let mut listed = 0;
    for f in &t.files {
        let bytes = read_all(&d.join(&f.path));
        let text = String::from_utf8(bytes.clone()).expect("ASCII/UTF-8 output");
        let xml = f.format == Format::Xml;
        seen_formats.insert((xml, f.gzip, f.crlf));
        assert_eq!(count_jobs(&text, xml), f.jobs, "{}", f.path);
        assert_eq!(f.jobs, f.job_names.len());
        listed += f.jobs;
        if f.crlf {
            assert!(
                !text.replace("\r\n", "").contains('\n'),
                "{} mixes line endings",
                f.path
            );
        } else {
            assert!(!text.contains('\r'));
        }
        if !xml {
            assert!(text.starts_with("BEGIN HEADER"));
            let sizes = check_balanced(&text);
            assert_eq!(sizes.len(), f.jobs);
            assert_eq!(
                text.lines()
                    .filter(|l| l.trim_end() == "BEGIN DSEXECJOB")
                    .count(),
                f.exec_blocks
            );
        } else {
            assert!(text.contains("<DSExport>") && text.trim_end().ends_with("</DSExport>"));
            assert_eq!(
                text.matches("<Job ").count(),
                text.matches("</Job>").count()
            );
            assert_eq!(
                text.matches("<Record ").count(),
                text.matches("</Record>").count()
            );
        }
    }
    let copies: usize = t.jobs.iter().map(|j| j.copies.len()).sum();
    assert_eq!(listed, t.job_count + copies);
    assert!(copies >= 2, "re-exports planted");
    assert!(
        seen_formats.iter().any(|f| f.0) && seen_formats.iter().any(|f| !f.0),
        "both formats"
    );
    assert!(t.files.iter().any(|f| f.gzip));
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn ground_truth_is_consistent() {
    let d = tmp("truth");
    let t = generate(&GenOptions::small(120, 5), &d).unwrap();
    // round trip
    let back: GroundTruth =
        serde_json::from_slice(&std::fs::read(d.join("ground_truth.json")).unwrap()).unwrap();
    assert_eq!(back, t);
    // unique names
    let names: BTreeSet<&str> = t.jobs.iter().map(|j| j.name.as_str()).collect();
    assert_eq!(names.len(), t.jobs.len());
    let by_name: BTreeMap<&str, &JobTruth> = t.jobs.iter().map(|j| (j.name.as_str(), j)).collect();
    assert!(!t.exact_dup_groups.is_empty() && !t.near_dup_clusters.is_empty());
    for g in &t.exact_dup_groups {
        assert!((2..=20).contains(&g.members.len()));
        let first = by_name[g.members[0].as_str()];
        for m in &g.members {
            let j = by_name[m.as_str()];
            assert_eq!(j.role, Role::ExactDup { group: g.id });
            assert_eq!(j.pattern_id, g.pattern_id);
            assert_eq!(
                (j.stage_count, j.link_count, j.column_count),
                (first.stage_count, first.link_count, first.column_count)
            );
            assert_eq!(j.category, first.category);
        }
    }
    for c in &t.near_dup_clusters {
        assert!(c.members.len() >= 2 && c.members.contains(&c.template));
        for m in &c.members {
            let j = by_name[m.as_str()];
            match &j.role {
                Role::NearDup {
                    cluster,
                    template,
                    edits,
                } => {
                    assert_eq!(*cluster, c.id);
                    assert_eq!(*template, *m == c.template);
                    assert_eq!(edits.is_empty(), *template, "{m}: {edits:?}");
                    assert!(edits.len() <= 3);
                }
                r => panic!("{m} has role {r:?}"),
            }
        }
    }
    let singles = t.jobs.iter().filter(|j| j.role == Role::Singleton).count();
    assert!(singles > 0);
    let pats: BTreeSet<usize> = t
        .jobs
        .iter()
        .filter(|j| j.role == Role::Singleton)
        .map(|j| j.pattern_id)
        .collect();
    assert_eq!(pats.len(), singles, "singletons have their own patterns");
    // kinds and hints
    assert!(t.jobs.iter().any(|j| j.kind == spec::Kind::Sequence));
    for j in t.jobs.iter().filter(|j| j.kind == spec::Kind::Sequence) {
        assert!(!j.runs_jobs.is_empty());
        for r in &j.runs_jobs {
            assert!(by_name.contains_key(r.as_str()));
        }
    }
    let cats: BTreeSet<&str> = t
        .jobs
        .iter()
        .map(|j| j.category.expected.as_str())
        .collect();
    assert!(cats.contains("AUTO") && cats.contains("SEMI"), "{cats:?}");
    // password markers appear exactly where listed
    assert!(!t.password_markers.is_empty());
    for pm in &t.password_markers {
        let mut hits = BTreeSet::new();
        for f in &t.files {
            let text = String::from_utf8(read_all(&d.join(&f.path))).unwrap();
            if text.contains(&pm.marker) {
                hits.insert(f.path.clone());
            }
        }
        let want: BTreeSet<String> = pm.files.iter().cloned().collect();
        assert_eq!(hits, want, "marker {}", pm.marker);
    }
    // byte-identical re-exports really are identical
    for j in &t.jobs {
        for c in j.copies.iter().filter(|c| c.byte_identical) {
            let a = String::from_utf8(read_all(&d.join(&j.file))).unwrap();
            let b = String::from_utf8(read_all(&d.join(&c.file))).unwrap();
            let block = |s: &str| {
                let start = s
                    .find(&format!("BEGIN DSJOB\n   Identifier \"{}\"\n", j.name))
                    .expect("job present");
                let end = start + s[start..].find("\nEND DSJOB\n").unwrap();
                s[start..end].to_string()
            };
            assert_eq!(block(&a), block(&b));
        }
    }
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn realistic_median_job_size() {
    let d = tmp("median");
    let mut o = GenOptions::realistic(50, 77);
    o.xml_fraction = 0.0;
    o.gzip_fraction = 0.0;
    let t = generate(&o, &d).unwrap();
    let mut sizes: Vec<usize> = t
        .jobs
        .iter()
        .filter(|j| j.format == Format::Dsx)
        .map(|j| j.bytes)
        .collect();
    sizes.sort();
    let median = sizes[sizes.len() / 2];
    assert!(
        (60_000..=200_000).contains(&median),
        "median DSX job {median} bytes"
    );
    for j in t.jobs.iter().filter(|j| j.kind == spec::Kind::Parallel) {
        assert!(
            (5..=40).contains(&j.stage_count),
            "{} has {} stages",
            j.name,
            j.stage_count
        );
    }
    // sizes measured from the files agree with the truth
    let mut measured = Vec::new();
    for f in t.files.iter().filter(|f| f.format == Format::Dsx) {
        let text = String::from_utf8(read_all(&d.join(&f.path))).unwrap();
        measured.extend(check_balanced(&text));
    }
    measured.sort();
    assert!((60_000..=200_000).contains(&measured[measured.len() / 2]));
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn dsx_escapes() {
    let mut s = String::new();
    dsx_writer::escape_into(&mut s, "a\"b\\c\nd\u{1}\u{FC}");
    assert_eq!(s, "a\\\"b\\\\c\\(A)d\\(1)\\(FC)");
    assert_eq!(
        model::tree(&[(1, "key", "A"), (2, "asc\\desc", "asc")]),
        "\u{2}\u{2}0\u{1}\u{3}key\u{2}A\u{2}0\u{1}\u{3}\u{3}asc\\desc\u{2}asc\u{2}0"
    );
}

/// Manual driver: `DSMIG_GEN_DIR=/tmp/c DSMIG_GEN_JOBS=9000 cargo test --release
/// -p corpus_gen tests::generate_to_dir -- --ignored --nocapture`
/// (`DSMIG_GEN_SMALL=1` for small jobs, `DSMIG_GEN_SEED` for the seed).
#[test]
#[ignore]
fn generate_to_dir() {
    let dir = std::env::var("DSMIG_GEN_DIR").expect("DSMIG_GEN_DIR");
    let jobs: usize = std::env::var("DSMIG_GEN_JOBS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100);
    let seed: u64 = std::env::var("DSMIG_GEN_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let o = if std::env::var("DSMIG_GEN_SMALL").is_ok() {
        GenOptions::small(jobs, seed)
    } else {
        GenOptions::realistic(jobs, seed)
    };
    let t0 = std::time::Instant::now();
    let t = generate(&o, Path::new(&dir)).unwrap();
    let el = t0.elapsed();
    let mut sizes: Vec<usize> = t
        .jobs
        .iter()
        .filter(|j| j.format == Format::Dsx)
        .map(|j| j.bytes)
        .collect();
    sizes.sort();
    let cats = t.jobs.iter().fold(BTreeMap::new(), |mut m, j| {
        *m.entry(j.category.expected.clone()).or_insert(0usize) += 1;
        m
    });
    println!(
        "jobs {} files {} bytes-on-disk {} in {:.2?}; DSX job bytes p10 {} median {} p90 {} max {}; groups {} clusters {} markers {}; categories {:?}",
        t.job_count,
        t.files.len(),
        t.total_bytes,
        el,
        sizes[sizes.len() / 10],
        sizes[sizes.len() / 2],
        sizes[sizes.len() * 9 / 10],
        sizes[sizes.len() - 1],
        t.exact_dup_groups.len(),
        t.near_dup_clusters.len(),
        t.password_markers.len(),
        cats
    );
}
