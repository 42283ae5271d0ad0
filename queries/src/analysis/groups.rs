//! Grouping of all jobs' features, in time linear in the number of jobs.
//!
//! - **Duplicate groups** (`DUP_…`): jobs with the same structural hash
//!   (identical up to names and literals). Id: `DUP_` + the first 10 hex
//!   digits of the structural hash. Template: the smallest key.
//! - **Similarity clusters** (`SIM_…`): connected components of the graph
//!   "estimated Jaccard ≥ threshold", found with LSH banding: the MinHash
//!   signature is cut into `b` bands of `r` rows (chosen from the threshold
//!   so that a pair at the threshold becomes a candidate with probability
//!   ≥ 0.995); jobs sharing a band bucket are candidates; each candidate is
//!   verified by its estimated Jaccard against at most [`LEADERS`] bucket
//!   leaders and joined with union-find. Work is O(n · b · LEADERS): no
//!   all-pairs loop. A component is a cluster if it has ≥ 2 jobs and ≥ 2
//!   distinct structural hashes (a component of exact copies only is just
//!   a duplicate group).
//!   Template: the member whose signature agrees with the cluster's
//!   per-position majority signature at the most positions (ties: smallest
//!   key). Id: among the (position, value) pairs of the signatures held by
//!   more than half of the members, the one with the smallest (value,
//!   position), hashed: `SIM_` + 10 hex digits. One member joining,
//!   leaving or changing moves a count by one, so the id survives unless
//!   the chosen pair was held by barely more than half. Components with no
//!   majority pair fall back to the template's structural hash.
//! - **Families** (`FAM_…`): jobs with the same stage-type shape (stage
//!   types and graph, nothing else). Id: `FAM_` + 10 hex digits of the
//!   shape. Template: the member with the most exact duplicates, ties by
//!   smallest key.
//!
//! Ids never depend on input order or on unrelated jobs. Two groups whose
//! ids collide (10 hex digits) get `-2`, `-3`… in order of smallest member.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use serde::{Deserialize, Serialize};

/// A fast, fixed (unseeded) hasher for the grouping's maps: keys are
/// already hashes or signature slices, so SipHash's DoS resistance buys
/// nothing here, and it was 21 % of grouping time at 90 000 jobs.
#[derive(Default)]
struct Fx(u64);

impl Hasher for Fx {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(w));
        }
    }
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
}

impl Fx {
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<Fx>>;

use super::features::{Features, SlotKind, h64, jaccard};

/// Opaque stable id of a job: the hex IR hash.
pub type JobKey = String;
pub type GroupId = String;

/// Bucket leaders each candidate is verified against.
pub const LEADERS: usize = 4;
/// Default similarity threshold (also `[prediction] similarity_threshold`).
pub const DEFAULT_THRESHOLD: f64 = 0.8;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grouping {
    pub duplicates: Vec<Group>,
    pub clusters: Vec<Group>,
    pub families: Vec<Group>,
    /// Every job given, grouped or not.
    pub membership: BTreeMap<JobKey, Membership>,
    pub stats: GroupingStats,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Membership {
    pub dup: Option<GroupId>,
    pub sim: Option<GroupId>,
    pub fam: Option<GroupId>,
    /// Whether this job is the template of its duplicate group, else of its
    /// similarity cluster.
    pub is_template: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub id: GroupId,
    /// Sorted.
    pub members: Vec<JobKey>,
    pub template: JobKey,
    /// Per non-template member: the slots that differ from the template's
    /// (duplicate groups and clusters; empty for families).
    pub diffs: BTreeMap<JobKey, Vec<SlotDiff>>,
    /// Estimated Jaccard similarity of each member to the template.
    pub similarity: BTreeMap<JobKey, f64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotDiff {
    pub path: String,
    pub kind: SlotKind,
    /// `None`: the slot does not exist on that side.
    pub template: Option<String>,
    pub member: Option<String>,
}

/// Counters that show the work done (tests assert linear growth on them).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GroupingStats {
    pub jobs: u64,
    pub distinct_signatures: u64,
    pub bands: u32,
    pub rows: u32,
    /// Signature-vs-leader Jaccard estimations performed.
    pub comparisons: u64,
    /// Comparisons at or above the threshold.
    pub similar_pairs: u64,
}

/// Bands and rows for a signature length and threshold: the largest `r`
/// such that a pair at the threshold is a candidate with probability
/// ≥ 0.995 using `b = len / r` bands.
pub fn banding(len: usize, threshold: f64) -> (usize, usize) {
    let t = threshold.clamp(0.05, 1.0);
    let mut best = (len.max(1), 1);
    for r in 1..=len.max(1) {
        let b = len / r;
        if b == 0 {
            break;
        }
        let p = 1.0 - (1.0 - t.powi(r as i32)).powi(b as i32);
        if p >= 0.995 {
            best = (b, r);
        }
    }
    best
}

struct UnionFind(Vec<usize>);

impl UnionFind {
    fn find(&mut self, mut x: usize) -> usize {
        while self.0[x] != x {
            self.0[x] = self.0[self.0[x]];
            x = self.0[x];
        }
        x
    }
    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            // Smaller index becomes the root: deterministic.
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.0[hi] = lo;
        }
    }
}

/// Hash of one band of a signature (the band number mixed in).
fn band_hash(band: usize, rows: &[u32]) -> u64 {
    let mut h = Fx(band as u64);
    for &v in rows {
        h.add(u64::from(v));
    }
    h.finish()
}

fn hex10(bytes: &[u8]) -> String {
    bytes.iter().take(5).map(|b| format!("{b:02x}")).collect()
}

/// Group all jobs. `threshold` is the Jaccard similarity for clusters
/// (default [`DEFAULT_THRESHOLD`]). Deterministic whatever the input order;
/// a key given twice is taken once.
pub fn group(items: &[(JobKey, &Features)], threshold: f64) -> Grouping {
    let mut items: Vec<(&JobKey, &Features)> = items.iter().map(|(k, f)| (k, *f)).collect();
    items.sort_by(|a, b| a.0.cmp(b.0));
    items.dedup_by(|a, b| a.0 == b.0);
    let n = items.len();
    let mut stats = GroupingStats {
        jobs: n as u64,
        ..Default::default()
    };

    // --- duplicates
    let mut by_struct: FxMap<[u8; 32], Vec<usize>> = FxMap::default();
    for (i, (_, f)) in items.iter().enumerate() {
        by_struct.entry(f.structural_hash).or_default().push(i);
    }
    let mut duplicates = Vec::new();
    for (h, idx) in &by_struct {
        if idx.len() < 2 {
            continue;
        }
        let template = idx[0]; // items sorted by key
        duplicates.push(make_group(
            format!("DUP_{}", hex10(h)),
            idx,
            template,
            &items,
            true,
        ));
    }

    // --- families
    let mut by_shape: FxMap<[u8; 32], Vec<usize>> = FxMap::default();
    for (i, (_, f)) in items.iter().enumerate() {
        by_shape.entry(f.shape).or_default().push(i);
    }
    let mut families = Vec::new();
    for (h, idx) in &by_shape {
        if idx.len() < 2 {
            continue;
        }
        let template = *idx
            .iter()
            .max_by_key(|&&i| {
                (
                    by_struct[&items[i].1.structural_hash].len(),
                    std::cmp::Reverse(i),
                )
            })
            .unwrap_or(&idx[0]);
        families.push(make_group(
            format!("FAM_{}", hex10(h)),
            idx,
            template,
            &items,
            false,
        ));
    }

    // --- similarity clusters (LSH over distinct signatures)
    let mut sig_rep: FxMap<&[u32], usize> = FxMap::default();
    let mut reps: Vec<usize> = Vec::new(); // rep number -> item index
    let mut rep_of: Vec<usize> = Vec::with_capacity(n); // item -> rep number
    for (i, (_, f)) in items.iter().enumerate() {
        let r = *sig_rep.entry(f.minhash.as_slice()).or_insert_with(|| {
            reps.push(i);
            reps.len() - 1
        });
        rep_of.push(r);
    }
    stats.distinct_signatures = reps.len() as u64;
    let len = items.first().map_or(0, |(_, f)| f.minhash.len());
    let (bands, rows) = banding(len, threshold);
    stats.bands = bands as u32;
    stats.rows = rows as u32;
    let mut uf = UnionFind((0..reps.len()).collect());
    if len > 0 {
        // Per band, (hash of the band's rows, rep) sorted: equal hashes
        // are the band's buckets. Sorting small fixed-size pairs stays in
        // cache where a map keyed by signature slices (memcmp, growing
        // vectors) did not; a 64-bit collision only adds a candidate,
        // which the Jaccard check then rejects.
        // Every band hash in one pass over the signatures (each read
        // once, in order), band-major so each band's pass is sequential.
        let nr = reps.len();
        let mut hashes: Vec<Option<u64>> = vec![None; bands * nr];
        for (r, &i) in reps.iter().enumerate() {
            let sig = &items[i].1.minhash;
            if sig.len() != len {
                continue;
            }
            for b in 0..bands {
                hashes[b * nr + r] = Some(band_hash(b, &sig[b * rows..(b + 1) * rows]));
            }
        }
        let mut pairs: Vec<(u64, u32)> = Vec::with_capacity(nr);
        let mut runs: Vec<(usize, usize)> = Vec::new();
        for b in 0..bands {
            pairs.clear();
            pairs.extend(
                hashes[b * nr..(b + 1) * nr]
                    .iter()
                    .enumerate()
                    .filter_map(|(r, h)| h.map(|h| (h, r as u32))),
            );
            pairs.sort_unstable();
            // Buckets in the order of their first member, as before.
            runs.clear();
            let mut start = 0;
            while start < pairs.len() {
                let mut end = start + 1;
                while end < pairs.len() && pairs[end].0 == pairs[start].0 {
                    end += 1;
                }
                if end - start > 1 {
                    runs.push((start, end));
                }
                start = end;
            }
            runs.sort_unstable_by_key(|&(s, _)| pairs[s].1);
            for &(s, e) in &runs {
                let mut leaders: Vec<usize> = Vec::with_capacity(LEADERS);
                for &(_, r) in &pairs[s..e] {
                    let r = r as usize;
                    let mut joined = false;
                    for &l in &leaders {
                        if uf.find(l) == uf.find(r) {
                            joined = true;
                            continue;
                        }
                        stats.comparisons += 1;
                        let j = jaccard(&items[reps[l]].1.minhash, &items[reps[r]].1.minhash);
                        if j >= threshold {
                            stats.similar_pairs += 1;
                            uf.union(l, r);
                            joined = true;
                        }
                    }
                    if !joined && leaders.len() < LEADERS {
                        leaders.push(r);
                    }
                }
            }
        }
    }
    let mut comps: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, &r) in rep_of.iter().enumerate() {
        let root = uf.find(r);
        comps.entry(root).or_default().push(i);
    }
    let mut clusters = Vec::new();
    for idx in comps.values() {
        if idx.len() < 2 {
            continue;
        }
        let first = items[idx[0]].1.structural_hash;
        if idx.iter().all(|&i| items[i].1.structural_hash == first) {
            continue;
        }
        let (template, id) = cluster_template_and_id(idx, &items);
        clusters.push(make_group(id, idx, template, &items, true));
    }

    for groups in [&mut duplicates, &mut clusters, &mut families] {
        disambiguate(groups);
    }

    let mut membership: BTreeMap<JobKey, Membership> = items
        .iter()
        .map(|(k, _)| ((*k).clone(), Membership::default()))
        .collect();
    for g in &families {
        for m in &g.members {
            if let Some(x) = membership.get_mut(m) {
                x.fam = Some(g.id.clone());
            }
        }
    }
    for g in &clusters {
        for m in &g.members {
            if let Some(x) = membership.get_mut(m) {
                x.sim = Some(g.id.clone());
                x.is_template = *m == g.template;
            }
        }
    }
    for g in &duplicates {
        for m in &g.members {
            if let Some(x) = membership.get_mut(m) {
                x.dup = Some(g.id.clone());
                x.is_template = *m == g.template;
            }
        }
    }

    Grouping {
        duplicates,
        clusters,
        families,
        membership,
        stats,
    }
}

/// Sort groups by id and suffix colliding ids (`-2`, `-3`...) in order of
/// smallest member.
fn disambiguate(groups: &mut [Group]) {
    groups.sort_by(|a, b| (&a.id, &a.members[0]).cmp(&(&b.id, &b.members[0])));
    let mut i = 0;
    while i < groups.len() {
        let mut j = i + 1;
        while j < groups.len() && groups[j].id == groups[i].id {
            j += 1;
        }
        for (k, g) in groups[i + 1..j].iter_mut().enumerate() {
            g.id = format!("{}-{}", g.id, k + 2);
        }
        i = j;
    }
}

type Items<'a> = [(&'a JobKey, &'a Features)];

fn cluster_template_and_id(idx: &[usize], items: &Items<'_>) -> (usize, GroupId) {
    let m = idx.len();
    let len = items[idx[0]].1.minhash.len();
    let mut majority: Vec<u32> = Vec::with_capacity(len);
    let mut best_pair: Option<(u32, usize)> = None;
    // Positions as columns, each member's signature read once in order
    // (reading position by position across thousands of members missed
    // the cache once per member and position).
    let mut columns: Vec<Vec<u32>> = vec![Vec::with_capacity(m); len];
    for &i in idx {
        for (p, &v) in items[i].1.minhash.iter().take(len).enumerate() {
            columns[p].push(v);
        }
    }
    for (p, col) in columns.iter_mut().enumerate() {
        // The most frequent value, the smallest on a tie.
        col.sort_unstable();
        let (mut mode, mut c) = (u32::MAX, 0);
        let mut k = 0;
        while k < col.len() {
            let mut e = k + 1;
            while e < col.len() && col[e] == col[k] {
                e += 1;
            }
            if e - k > c {
                (mode, c) = (col[k], e - k);
            }
            k = e;
        }
        majority.push(mode);
        if 2 * c > m && best_pair.is_none_or(|(bv, bp)| (mode, p) < (bv, bp)) {
            best_pair = Some((mode, p));
        }
    }
    let template = *idx
        .iter()
        .max_by_key(|&&i| {
            let agree = items[i]
                .1
                .minhash
                .iter()
                .zip(&majority)
                .filter(|(a, b)| a == b)
                .count();
            (agree, std::cmp::Reverse(i))
        })
        .unwrap_or(&idx[0]);
    let id = match best_pair {
        Some((v, p)) => {
            let h = h64(&["sim", &p.to_string(), &v.to_string()]);
            format!("SIM_{}", hex10(&h.to_be_bytes()))
        }
        None => format!("SIM_{}", hex10(&items[template].1.structural_hash)),
    };
    (template, id)
}

fn make_group(
    id: GroupId,
    idx: &[usize],
    template: usize,
    items: &Items<'_>,
    with_diffs: bool,
) -> Group {
    let t = items[template].1;
    let mut diffs = BTreeMap::new();
    let mut similarity = BTreeMap::new();
    for &i in idx {
        let (k, f) = items[i];
        similarity.insert(k.clone(), jaccard(&t.minhash, &f.minhash));
        if with_diffs && i != template {
            diffs.insert(k.clone(), slot_diffs(t, f));
        }
    }
    let mut members: Vec<JobKey> = idx.iter().map(|&i| items[i].0.clone()).collect();
    members.sort();
    Group {
        id,
        members,
        template: items[template].0.clone(),
        diffs,
        similarity,
    }
}

/// Slots that differ between a template and a member, by path, and the
/// parts of the design that differ (kind `Structure`: a stage, link, job
/// property or parameter type whose name-free rendering is on one side
/// only). The parts are compared as multisets of their hashes, exactly
/// as the structural hash sees them: there is a `Structure` difference
/// if and only if the two structural hashes differ.
pub fn slot_diffs(template: &Features, member: &Features) -> Vec<SlotDiff> {
    let mut out = value_diffs(template, member);
    out.extend(structure_diffs(template, member));
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// The design parts on one side only (multiset difference of the part
/// hashes), paired by path; the values shown are the parts' hashes.
pub fn structure_diffs(template: &Features, member: &Features) -> Vec<SlotDiff> {
    let mut left: HashMap<u64, usize> = HashMap::new();
    for p in &template.design {
        *left.entry(p.hash).or_insert(0) += 1;
    }
    let mut member_only = Vec::new();
    for p in &member.design {
        match left.get_mut(&p.hash) {
            Some(n) if *n > 0 => *n -= 1,
            _ => member_only.push(p),
        }
    }
    let mut by_path: BTreeMap<&str, (Option<u64>, Option<u64>)> = BTreeMap::new();
    for p in &template.design {
        if let Some(n) = left.get_mut(&p.hash)
            && *n > 0
        {
            *n -= 1;
            by_path.entry(p.path.as_str()).or_default().0 = Some(p.hash);
        }
    }
    for p in member_only {
        by_path.entry(p.path.as_str()).or_default().1 = Some(p.hash);
    }
    let show = |h: Option<u64>| h.map(|h| format!("design {h:016x}"));
    by_path
        .into_iter()
        .map(|(path, (t, m))| SlotDiff {
            path: path.to_string(),
            kind: SlotKind::Structure,
            template: show(t),
            member: show(m),
        })
        .collect()
}

fn value_diffs(template: &Features, member: &Features) -> Vec<SlotDiff> {
    let t: BTreeMap<&str, (&SlotKind, &str)> = template
        .slots
        .iter()
        .map(|s| (s.path.as_str(), (&s.kind, s.value.as_str())))
        .collect();
    let m: BTreeMap<&str, (&SlotKind, &str)> = member
        .slots
        .iter()
        .map(|s| (s.path.as_str(), (&s.kind, s.value.as_str())))
        .collect();
    let mut out = Vec::new();
    for (p, (k, v)) in &t {
        match m.get(p) {
            Some((_, mv)) if mv == v => {}
            Some((_, mv)) => out.push(SlotDiff {
                path: p.to_string(),
                kind: **k,
                template: Some(v.to_string()),
                member: Some(mv.to_string()),
            }),
            None => out.push(SlotDiff {
                path: p.to_string(),
                kind: **k,
                template: Some(v.to_string()),
                member: None,
            }),
        }
    }
    for (p, (k, v)) in &m {
        if !t.contains_key(p) {
            out.push(SlotDiff {
                path: p.to_string(),
                kind: **k,
                template: None,
                member: Some(v.to_string()),
            });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::features::{MINHASH_LEN, features, tests::sample_job};

    fn key(i: usize) -> JobKey {
        format!("{i:064x}")
    }

    #[test]
    fn banding_for_default_threshold() {
        let (b, r) = banding(MINHASH_LEN, 0.8);
        assert!(b * r <= MINHASH_LEN);
        let p = |j: f64| 1.0 - (1.0 - j.powi(r as i32)).powi(b as i32);
        assert!(p(0.8) >= 0.995);
        assert!(p(0.3) < 0.1, "b={b} r={r}");
    }

    #[test]
    fn duplicates_clusters_and_families() {
        let a = sample_job("A", "T1", "D1", "l");
        let b = sample_job("B", "T2", "D2", "m"); // renamed copy
        let mut c = a.clone();
        c.name = "C".into();
        c.links[1].columns[1].derivation = "Upcase(Trim(l.NAME)) : \"x\"".into();
        let mut d = a.clone();
        d.name = "D".into();
        d.stages[1].stage_type = "Copy".into(); // other family
        d.stages[1].transformer = None;
        let fs: Vec<Features> = [&a, &b, &c, &d].iter().map(|j| features(j)).collect();
        let items: Vec<(JobKey, &Features)> =
            fs.iter().enumerate().map(|(i, f)| (key(i), f)).collect();
        let g = group(&items, 0.6);
        assert_eq!(g.duplicates.len(), 1);
        assert_eq!(g.duplicates[0].members, vec![key(0), key(1)]);
        assert_eq!(g.duplicates[0].template, key(0));
        assert!(!g.duplicates[0].diffs[&key(1)].is_empty());
        assert_eq!(g.clusters.len(), 1, "{:?}", g.clusters);
        assert_eq!(g.clusters[0].members, vec![key(0), key(1), key(2)]);
        assert_eq!(g.families.len(), 1);
        assert_eq!(g.families[0].members.len(), 3);
        assert!(g.membership[&key(3)].fam.is_none());
        // Input order does not matter.
        let mut rev = items.clone();
        rev.reverse();
        assert_eq!(group(&rev, 0.6), g);
    }
}
