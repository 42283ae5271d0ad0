//! Grouping against the generator's planted ground truth: exact-duplicate
//! pairs with precision and recall 1.0, near-duplicate pairs ≥ 0.9 each.
//! (The 9000-job figures come from `cargo bench --bench scale`.)

use std::collections::{BTreeMap, BTreeSet};

use queries::corpus_gen::{GenOptions, GroundTruth, generate};
use queries::inventory::{self, Inventory};
use queries::parse::Limits;
use queries::parse::input::read_paths_map;

pub type Pair = (String, String);

fn pair(a: &str, b: &str) -> Pair {
    if a < b {
        (a.into(), b.into())
    } else {
        (b.into(), a.into())
    }
}

fn pairs_within(groups: impl Iterator<Item = Vec<String>>) -> BTreeSet<Pair> {
    let mut out = BTreeSet::new();
    for g in groups {
        for (i, a) in g.iter().enumerate() {
            for b in &g[i + 1..] {
                if a != b {
                    out.insert(pair(a, b));
                }
            }
        }
    }
    out
}

fn precision_recall(found: &BTreeSet<Pair>, truth: &BTreeSet<Pair>) -> (f64, f64) {
    let hit = found.intersection(truth).count() as f64;
    let p = if found.is_empty() {
        1.0
    } else {
        hit / found.len() as f64
    };
    let r = if truth.is_empty() {
        1.0
    } else {
        hit / truth.len() as f64
    };
    (p, r)
}

/// (exact precision, exact recall, near precision, near recall).
///
/// Truth: pairs within a planted exact-duplicate group, and pairs within a
/// planted near-duplicate cluster. Two members of one near cluster may end
/// up with the same design (the same edit applied to both, or an edit and
/// its undo), so a `DUP_` pair inside a near cluster is not counted against
/// exact precision, and counts as found for the near cluster.
pub fn score(inv: &Inventory, truth: &GroundTruth) -> (f64, f64, f64, f64) {
    let by = |f: fn(&inventory::JobRow) -> Option<String>| {
        let mut groups: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for j in &inv.jobs {
            if let Some(g) = f(j) {
                groups.entry(g).or_default().insert(j.name.clone());
            }
        }
        pairs_within(groups.into_values().map(|g| g.into_iter().collect()))
    };
    let found_dup = by(|j| j.dup.clone());
    let found_sim = by(|j| j.sim.clone());
    let truth_exact = pairs_within(truth.exact_dup_groups.iter().map(|g| g.members.clone()));
    let truth_near = pairs_within(truth.near_dup_clusters.iter().map(|c| {
        let mut m = c.members.clone();
        m.push(c.template.clone());
        m
    }));
    let exact_claims: BTreeSet<Pair> = found_dup.difference(&truth_near).cloned().collect();
    let near_claims: BTreeSet<Pair> = found_sim
        .union(&found_dup)
        .filter(|p| !truth_exact.contains(*p))
        .cloned()
        .collect();
    let hit = |f: &BTreeSet<Pair>, t: &BTreeSet<Pair>| f.intersection(t).count() as f64;
    let ep = if exact_claims.is_empty() {
        1.0
    } else {
        hit(&exact_claims, &truth_exact) / exact_claims.len() as f64
    };
    let er = if truth_exact.is_empty() {
        1.0
    } else {
        hit(&found_dup, &truth_exact) / truth_exact.len() as f64
    };
    let (np, nr) = precision_recall(&near_claims, &truth_near);
    (ep, er, np, nr)
}

#[test]
fn planted_duplicates_are_found_at_1500_jobs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let truth = generate(&GenOptions::small(1500, 21), dir.path()).expect("generate");
    let read = read_paths_map(
        &[dir.path().to_path_buf()],
        &Limits::default(),
        &|_| {},
        &inventory::item,
    );
    let inv = inventory::build_items(&read, &Default::default());
    let (ep, er, np, nr) = score(&inv, &truth);
    eprintln!(
        "1500 jobs: exact precision {ep:.3} recall {er:.3}; near precision {np:.3} recall {nr:.3}"
    );
    assert_eq!((ep, er), (1.0, 1.0), "exact duplicates");
    assert!(
        np >= 0.9 && nr >= 0.9,
        "near duplicates: precision {np:.3}, recall {nr:.3}"
    );
}
