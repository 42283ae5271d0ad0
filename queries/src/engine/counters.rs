//! Per-phase counts of computed and reused results.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

/// The phases, in graph order. Each has a version: bump it when the
/// phase's logic changes and its stored results become stale.
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

    /// The version that is part of every key of the phase.
    pub fn version(self) -> u32 {
        match self {
            Phase::Split => 1,
            // The IR's shape is versioned too: a new IR means new results.
            Phase::JobIr => 1 + 1000 * crate::ir::IR_VERSION,
            Phase::Features => crate::analysis::features::FEATURES_VERSION,
            Phase::Complexity => crate::analysis::complexity::COMPLEXITY_VERSION,
            Phase::Lineage => 1,
            Phase::Groups => 1,
            Phase::Prediction => crate::analysis::predict::PREDICT_VERSION,
            Phase::Artifacts => 1,
            Phase::Prompt => crate::engine::llm::PROMPT_VERSION,
            Phase::Llm => crate::engine::llm::LLM_VERSION,
        }
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
