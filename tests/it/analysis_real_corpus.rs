//! Analysis of the real corpus (../shared/corpus/real): the duplicate
//! groups, similarity clusters and families found, snapshotted as a
//! readable listing (checked by hand, see the issue note), the category
//! counts, and LSH recall against a brute-force comparison of all pairs.

use std::collections::BTreeMap;
use std::fmt::Write;

use queries::analysis::features::{Features, features, jaccard};
use queries::analysis::groups::{DEFAULT_THRESHOLD, Group, group};
use queries::analysis::{complexity, lineage, predict};
use queries::config::PredictionConfig;
use queries::ir::{Entity, Job};
use queries::parse::Limits;
use queries::parse::input::read_paths;

use crate::common::real_corpus as corpus;

struct Corpus {
    /// (key, job, file) in read order; one key may appear at several files.
    jobs: Vec<(String, Job, String)>,
}

fn load() -> Corpus {
    let read = read_paths(&[corpus()], &Limits::default());
    let mut jobs = Vec::new();
    for l in read.entities {
        if let Entity::Job(j) = l.entity {
            let file = l
                .location
                .file
                .split("corpus/real/")
                .nth(1)
                .unwrap_or(&l.location.file)
                .to_string();
            jobs.push((l.hash.hex(), j, file));
        }
    }
    Corpus { jobs }
}

fn listing(title: &str, groups: &[Group], who: &BTreeMap<&str, Vec<String>>) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "## {title}: {}", groups.len());
    for g in groups {
        let _ = writeln!(s, "{}  template: {}", g.id, who[g.template.as_str()][0]);
        for m in &g.members {
            let mark = if *m == g.template { "*" } else { " " };
            let diffs = g.diffs.get(m).map_or(0, Vec::len);
            let _ = writeln!(
                s,
                "  {mark} {:.2} diffs {:>3}  {}",
                g.similarity[m],
                diffs,
                who[m.as_str()].join(" = ")
            );
        }
    }
    s
}

#[test]
fn real_corpus_groups_categories_and_recall() {
    let c = load();
    assert!(c.jobs.len() >= 100, "{}", c.jobs.len());
    let feats: Vec<Features> = c.jobs.iter().map(|(_, j, _)| features(j)).collect();
    let items: Vec<(String, &Features)> = c
        .jobs
        .iter()
        .zip(&feats)
        .map(|((k, _, _), f)| (k.clone(), f))
        .collect();
    let g = group(&items, DEFAULT_THRESHOLD);

    // name (file) of every key; byte-identical jobs share a key.
    let mut who: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (k, j, f) in &c.jobs {
        who.entry(k.as_str())
            .or_default()
            .push(format!("{} ({f})", j.name));
    }
    let mut text = String::new();
    let _ = writeln!(
        text,
        "jobs read: {}, distinct IR: {}, threshold {DEFAULT_THRESHOLD}",
        c.jobs.len(),
        who.len()
    );
    let _ = writeln!(text, "## same IR at several places (byte-identical jobs)");
    for names in who.values().filter(|v| v.len() > 1) {
        let _ = writeln!(text, "  {}", names.join(" = "));
    }
    text.push_str(&listing("duplicate groups", &g.duplicates, &who));
    text.push_str(&listing("similarity clusters", &g.clusters, &who));
    text.push_str(&listing("families", &g.families, &who));

    // Categories.
    let cfg = PredictionConfig::default();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut lines = Vec::new();
    for (k, j, f) in &c.jobs {
        let cx = complexity::complexity(j);
        let p = predict::predict(&cx, &cfg, g.membership.get(k));
        *counts.entry(p.category.as_str()).or_default() += 1;
        if p.category != predict::Category::Auto {
            lines.push(format!(
                "  {:<9} {:>3}  {} ({f}): {}",
                p.category.as_str(),
                cx.score,
                j.name,
                p.rule
            ));
        }
    }
    lines.sort();
    let _ = writeln!(
        text,
        "## categories (all {} jobs read): {counts:?}",
        c.jobs.len()
    );
    for l in lines {
        let _ = writeln!(text, "{l}");
    }

    // Lineage summary.
    let unique: Vec<(String, &Job)> = {
        let mut seen = std::collections::BTreeSet::new();
        c.jobs
            .iter()
            .filter(|(k, _, _)| seen.insert(k.clone()))
            .map(|(k, j, _)| (k.clone(), j))
            .collect()
    };
    let lin = lineage::lineage(&unique);
    let _ = writeln!(
        text,
        "## lineage: {} edges, {} waves (sizes {:?}), {} cycles",
        lin.edges.len(),
        lin.waves.len(),
        lin.waves.iter().map(Vec::len).collect::<Vec<_>>(),
        lin.cycles.len()
    );
    for cyc in &lin.cycles {
        let names: Vec<String> = cyc.iter().map(|k| who[k.as_str()][0].clone()).collect();
        let _ = writeln!(text, "  cycle: {}", names.join(" <-> "));
    }
    insta::assert_snapshot!(text);

    // Honesty: jobs with only supported stages and known functions are
    // AUTO; the old tool's "95 % MANUAL" is not what this corpus is.
    assert!(counts.get("AUTO").copied().unwrap_or(0) * 2 > c.jobs.len());

    // LSH recall on this corpus: every pair at or above the threshold
    // (brute force) is in one cluster or one duplicate group.
    for i in 0..items.len() {
        for k in i + 1..items.len() {
            let (a, b) = (&items[i], &items[k]);
            if a.0 == b.0 || jaccard(&a.1.minhash, &b.1.minhash) < DEFAULT_THRESHOLD {
                continue;
            }
            let (ma, mb) = (&g.membership[&a.0], &g.membership[&b.0]);
            let together =
                (ma.sim.is_some() && ma.sim == mb.sim) || (ma.dup.is_some() && ma.dup == mb.dup);
            assert!(
                together,
                "{} ~ {} not grouped",
                who[a.0.as_str()][0],
                who[b.0.as_str()][0]
            );
        }
    }
}
