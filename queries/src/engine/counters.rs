//! Per-phase counts of computed and reused results.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

/// The phases, in graph order: names for keys, counts and
/// `--bump-query-version`. Each phase's version and key are declared by
/// its query type, beside its code (see `engine::query`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Split,
    JobIr,
    Features,
    Complexity,
    Lineage,
    Groups,
    Prediction,
    Artifacts,
    Prompt,
    Llm,
}

impl Phase {
    pub const ALL: [Phase; 10] = [
        Phase::Split,
        Phase::JobIr,
        Phase::Features,
        Phase::Complexity,
        Phase::Lineage,
        Phase::Groups,
        Phase::Prediction,
        Phase::Artifacts,
        Phase::Prompt,
        Phase::Llm,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Phase::Split => "split",
            Phase::JobIr => "job_ir",
            Phase::Features => "features",
            Phase::Complexity => "complexity",
            Phase::Lineage => "lineage",
            Phase::Groups => "groups",
            Phase::Prediction => "prediction",
            Phase::Artifacts => "artifacts",
            Phase::Prompt => "prompt",
            Phase::Llm => "llm",
        }
    }

    pub fn from_name(name: &str) -> Option<Phase> {
        Phase::ALL.into_iter().find(|p| p.name() == name)
    }
}

#[derive(Default)]
struct Count {
    computed: AtomicU64,
    reused: AtomicU64,
}

/// Counts for one run.
#[derive(Default)]
pub struct Counters {
    counts: [Count; 10],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PhaseCount {
    pub computed: u64,
    pub reused: u64,
}

impl Counters {
    fn slot(&self, p: Phase) -> &Count {
        &self.counts[p as usize]
    }

    pub fn computed(&self, p: Phase) {
        self.slot(p).computed.fetch_add(1, Ordering::Relaxed);
    }

    pub fn reused(&self, p: Phase) {
        self.slot(p).reused.fetch_add(1, Ordering::Relaxed);
    }

    pub fn get(&self, p: Phase) -> PhaseCount {
        PhaseCount {
            computed: self.slot(p).computed.load(Ordering::Relaxed),
            reused: self.slot(p).reused.load(Ordering::Relaxed),
        }
    }
}
