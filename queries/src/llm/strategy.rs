//! The `strategy` query: how each job's code is obtained, and how the LLM
//! calls of a run are batched per cluster.
//!
//! Per job, from its category: AUTO → rules only; SEMI-AUTO → the
//! rule-based draft plus one call to fill its named placeholders; MANUAL →
//! an LLM scaffold built on the draft. Sequences have no code file for an
//! LLM (they become workflows) and stay rule-based.
//!
//! Batching, over the jobs that need an LLM:
//! - exact duplicates (a `DUP_` group) share one answer: the group's
//!   representative (its smallest key among those jobs) is answered, the
//!   others get that answer by slot substitution, with 0 calls;
//! - representatives in one similarity cluster (`SIM_`): the cluster's
//!   template (or the member closest to it) gets the full call, the others
//!   light calls carrying the template's answer and their slot
//!   differences, several members per call (as many as `light_batch_size`
//!   and the completion's token limit allow, from each job's size);
//! - everything else: one full call.
//!
//! A follower never depends on another follower, so the calls run in
//! three rounds: full, light, substitutions.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::analysis::groups::{Grouping, JobKey};

/// What the LLM is asked to do with a job's draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Mode {
    /// SEMI-AUTO: fill the draft's named placeholders.
    Fill,
    /// MANUAL: write a scaffold where rules had none.
    Scaffold,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Fill => "fill placeholders",
            Mode::Scaffold => "scaffold",
        }
    }
}

/// Where a job's answer comes from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Source {
    /// Its own full call.
    Full,
    /// A light call with `leader`'s answer and the slot differences.
    Light { leader: JobKey },
    /// `of`'s answer with the slots substituted: no call.
    Duplicate { of: JobKey },
}

/// The strategy of one job: rules only, or an LLM mode and source.
pub fn mode(category: &str, is_sequence: bool) -> Option<Mode> {
    if is_sequence {
        return None;
    }
    match category {
        "SEMI-AUTO" => Some(Mode::Fill),
        "MANUAL" => Some(Mode::Scaffold),
        _ => None,
    }
}

/// A job that needs the LLM.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub key: JobKey,
    pub mode: Mode,
    /// Estimated answer tokens of a light call for this job (from its
    /// shape, so a plan and a build batch alike).
    pub light_tokens: u64,
}

/// How many near duplicates share a light call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LightLimits {
    /// At most this many members per call (1: no sharing).
    pub max_members: usize,
    /// Their estimated answers together stay within this many tokens.
    pub max_tokens: u64,
}

impl Default for LightLimits {
    fn default() -> Self {
        LightLimits {
            max_members: 1,
            max_tokens: u64::MAX,
        }
    }
}

/// One light call: near duplicates of one leader, answered together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LightBatch {
    pub leader: JobKey,
    /// Sorted.
    pub members: Vec<JobKey>,
}

/// Cut each leader's followers (sorted by key) into batches: a member
/// joins the current batch while the count and token limits allow; a
/// batch always takes at least one member.
pub fn light_batches(
    followers: &BTreeMap<JobKey, Vec<JobKey>>,
    tokens: &dyn Fn(&JobKey) -> u64,
    limits: LightLimits,
) -> Vec<LightBatch> {
    let mut out = Vec::new();
    for (leader, members) in followers {
        let mut members = members.clone();
        members.sort();
        let mut cur: Vec<JobKey> = Vec::new();
        let mut used = 0u64;
        for m in members {
            let t = tokens(&m);
            if !cur.is_empty()
                && (cur.len() >= limits.max_members.max(1) || used + t > limits.max_tokens)
            {
                out.push(LightBatch {
                    leader: leader.clone(),
                    members: std::mem::take(&mut cur),
                });
                used = 0;
            }
            used += t;
            cur.push(m);
        }
        if !cur.is_empty() {
            out.push(LightBatch {
                leader: leader.clone(),
                members: cur,
            });
        }
    }
    out
}

/// One cluster or duplicate group, as the plan shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchGroup {
    /// `SIM_…` or `DUP_…`.
    pub id: String,
    /// The job whose full call the others build on.
    pub template: JobKey,
    /// Every job of the group that needs the LLM (template included).
    pub members: Vec<JobKey>,
    /// Calls with batching: 1 full + the light calls of the others.
    pub calls: u64,
}

impl BatchGroup {
    /// Calls saved against one call per job.
    pub fn savings(&self) -> u64 {
        (self.members.len() as u64).saturating_sub(self.calls)
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batches {
    pub source: BTreeMap<JobKey, Source>,
    pub mode: BTreeMap<JobKey, Mode>,
    /// The light calls, each for one or more `Source::Light` jobs.
    pub light: Vec<LightBatch>,
    pub groups: Vec<BatchGroup>,
}

impl Batches {
    pub fn calls(&self) -> u64 {
        let full = self
            .source
            .values()
            .filter(|s| matches!(s, Source::Full))
            .count();
        (full + self.light.len()) as u64
    }

    pub fn jobs(&self) -> u64 {
        self.source.len() as u64
    }
}

/// Batch `jobs` by the grouping. Deterministic: depends on the keys, the
/// token estimates and the grouping only, never on input order.
pub fn batch(jobs: &[Candidate], grouping: Option<&Grouping>, limits: LightLimits) -> Batches {
    let wanted: BTreeMap<&JobKey, Mode> = jobs.iter().map(|c| (&c.key, c.mode)).collect();
    let mut out = Batches {
        mode: jobs.iter().map(|c| (c.key.clone(), c.mode)).collect(),
        ..Batches::default()
    };
    let Some(g) = grouping else {
        for k in wanted.keys() {
            out.source.insert((*k).clone(), Source::Full);
        }
        return out;
    };
    let dup_of = |k: &JobKey| g.membership.get(k).and_then(|m| m.dup.as_ref());
    let sim_of = |k: &JobKey| g.membership.get(k).and_then(|m| m.sim.as_ref());

    // Representatives: per duplicate group, the smallest key needing the
    // LLM in the same mode (a group's members share a design, so a
    // different mode would mean a different prompt).
    let mut rep: BTreeMap<&JobKey, &JobKey> = BTreeMap::new();
    let mut by_dup: BTreeMap<(&String, Mode), Vec<&JobKey>> = BTreeMap::new();
    for (k, m) in &wanted {
        match dup_of(k) {
            Some(d) => by_dup.entry((d, *m)).or_default().push(k),
            None => {
                rep.insert(k, k);
            }
        }
    }
    for members in by_dup.values() {
        let first = members[0];
        for m in members {
            rep.insert(m, first);
        }
    }
    let reps: BTreeSet<&JobKey> = rep.values().copied().collect();

    // Representatives per cluster, and each cluster's leader.
    let mut by_sim: BTreeMap<&String, Vec<&JobKey>> = BTreeMap::new();
    for r in &reps {
        if let Some(s) = sim_of(r) {
            by_sim.entry(s).or_default().push(r);
        }
    }
    let clusters: BTreeMap<&String, &crate::analysis::groups::Group> =
        g.clusters.iter().map(|c| (&c.id, c)).collect();
    let mut leader_of: BTreeMap<&JobKey, &JobKey> = BTreeMap::new();
    for (sim, members) in &by_sim {
        if members.len() < 2 {
            continue;
        }
        let cluster = clusters.get(sim);
        let template = cluster.map(|c| &c.template);
        let leader = members
            .iter()
            .copied()
            .find(|m| Some(*m) == template)
            .or_else(|| {
                template
                    .and_then(|t| rep.get(t).copied())
                    .filter(|r| members.contains(r))
            })
            .unwrap_or_else(|| {
                // The member most similar to the template; ties: smallest key.
                let sim = |k: &JobKey| {
                    cluster
                        .and_then(|c| c.similarity.get(k).copied())
                        .unwrap_or(0.0)
                };
                members.iter().copied().fold(
                    members[0],
                    |best, m| if sim(m) > sim(best) { m } else { best },
                )
            });
        for m in members {
            leader_of.insert(m, leader);
        }
    }

    for k in wanted.keys() {
        let r = rep.get(k).copied().unwrap_or(k);
        let source = if r != *k {
            Source::Duplicate { of: r.clone() }
        } else {
            match leader_of.get(k) {
                Some(l) if *l != *k => Source::Light {
                    leader: (*l).clone(),
                },
                _ => Source::Full,
            }
        };
        out.source.insert((*k).clone(), source);
    }

    let mut followers: BTreeMap<JobKey, Vec<JobKey>> = BTreeMap::new();
    for (k, s) in &out.source {
        if let Source::Light { leader } = s {
            followers.entry(leader.clone()).or_default().push(k.clone());
        }
    }
    let tokens: BTreeMap<&JobKey, u64> = jobs.iter().map(|c| (&c.key, c.light_tokens)).collect();
    out.light = light_batches(&followers, &|k| tokens.get(k).copied().unwrap_or(0), limits);
    let light_calls = |leader: &JobKey| out.light.iter().filter(|b| &b.leader == leader).count();

    // Groups for the plan: clusters with a leader, then duplicate groups
    // outside them.
    let mut in_cluster: BTreeSet<&JobKey> = BTreeSet::new();
    for (sim, members) in &by_sim {
        let Some(leader) = members.first().and_then(|m| leader_of.get(m)) else {
            continue;
        };
        let jobs: Vec<JobKey> = wanted
            .keys()
            .filter(|k| rep.get(*k).and_then(|r| leader_of.get(r)) == Some(leader))
            .map(|k| (*k).clone())
            .collect();
        in_cluster.extend(members.iter().copied());
        let calls = 1 + light_calls(leader) as u64;
        out.groups.push(BatchGroup {
            id: (*sim).clone(),
            template: (*leader).clone(),
            calls,
            members: jobs,
        });
    }
    for ((dup, _), members) in &by_dup {
        if members.len() < 2 || in_cluster.contains(members[0]) {
            continue;
        }
        out.groups.push(BatchGroup {
            id: (*dup).clone(),
            template: members[0].clone(),
            members: members.iter().map(|m| (*m).clone()).collect(),
            calls: 1,
        });
    }
    out.groups
        .sort_by(|a, b| b.savings().cmp(&a.savings()).then_with(|| a.id.cmp(&b.id)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::groups::{Group, GroupingStats, Membership};

    fn group(id: &str, members: &[&str], template: &str) -> Group {
        Group {
            id: id.into(),
            members: members.iter().map(|m| m.to_string()).collect(),
            template: template.into(),
            diffs: BTreeMap::new(),
            similarity: members.iter().map(|m| (m.to_string(), 0.9)).collect(),
        }
    }

    #[test]
    fn duplicates_ride_free_and_near_duplicates_get_light_calls() {
        // d1..d3 exact copies, all in cluster S with near copies n1, n2;
        // x alone; a is AUTO (not a candidate) but the cluster's template.
        let dup = group("DUP_1", &["d1", "d2", "d3"], "d1");
        let sim = group("SIM_1", &["a", "d1", "d2", "d3", "n1", "n2"], "a");
        let mut membership = BTreeMap::new();
        for k in ["a", "d1", "d2", "d3", "n1", "n2", "x"] {
            membership.insert(
                k.to_string(),
                Membership {
                    dup: k.starts_with('d').then(|| "DUP_1".to_string()),
                    sim: (k != "x").then(|| "SIM_1".to_string()),
                    fam: None,
                    is_template: false,
                },
            );
        }
        let g = Grouping {
            duplicates: vec![dup],
            clusters: vec![sim],
            families: vec![],
            membership,
            stats: GroupingStats::default(),
        };
        let jobs: Vec<Candidate> = ["d1", "d2", "d3", "n1", "n2", "x"]
            .iter()
            .map(|k| Candidate {
                key: k.to_string(),
                mode: Mode::Fill,
                light_tokens: 100,
            })
            .collect();
        let b = batch(&jobs, Some(&g), LightLimits::default());
        // The AUTO template needs nothing: the first representative leads.
        assert_eq!(b.source["d1"], Source::Full);
        assert_eq!(b.source["d2"], Source::Duplicate { of: "d1".into() });
        assert_eq!(
            b.source["n1"],
            Source::Light {
                leader: "d1".into()
            }
        );
        assert_eq!(b.source["x"], Source::Full);
        assert_eq!(b.calls(), 4);
        assert_eq!(b.jobs(), 6);
        assert_eq!(b.groups.len(), 1);
        assert_eq!(b.groups[0].members.len(), 5);
        assert_eq!(b.groups[0].calls, 3);
        assert_eq!(b.groups[0].savings(), 2);
        // Input order does not matter.
        let mut rev = jobs.clone();
        rev.reverse();
        assert_eq!(batch(&rev, Some(&g), LightLimits::default()), b);
        assert_eq!(batch(&jobs, None, LightLimits::default()).calls(), 6);
        // Both near duplicates in one light call.
        let shared = LightLimits {
            max_members: 4,
            max_tokens: 1000,
        };
        let b2 = batch(&jobs, Some(&g), shared);
        assert_eq!(b2.light.len(), 1);
        assert_eq!(
            b2.light[0].members,
            vec!["n1".to_string(), "n2".to_string()]
        );
        assert_eq!(b2.calls(), 3);
        assert_eq!(b2.groups[0].calls, 2);
        // The token limit splits them again.
        let tight = LightLimits {
            max_members: 4,
            max_tokens: 150,
        };
        assert_eq!(batch(&jobs, Some(&g), tight).light.len(), 2);
        assert_eq!(mode("MANUAL", true), None);
        assert_eq!(mode("AUTO", false), None);
    }
}
