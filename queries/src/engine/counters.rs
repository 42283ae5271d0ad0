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

// `CODE_DIGESTS`: (phase name, digest of its code), made by `build.rs`.
include!(concat!(env!("OUT_DIR"), "/code_digests.rs"));

impl Phase {
    /// The digest of the code that computes the phase (empty for phases
    /// whose code is versioned by hand only): part of every key of the
    /// phase, so a new dsmig whose generator writes other bytes does not
    /// serve the old ones.
    pub fn code_digest(self) -> &'static [u8] {
        CODE_DIGESTS
            .iter()
            .find(|(name, _)| *name == self.name())
            .map_or(&[], |(_, d)| d.as_slice())
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

#[cfg(test)]
mod digest_tests {
    use super::*;
    use crate::engine::code_digest::{PHASE_SOURCES, collect_files, digest_files};

    fn crate_dir() -> std::path::PathBuf {
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    fn digest(phase: &str, edit: Option<(&str, &str)>) -> [u8; 16] {
        let (_, paths) = PHASE_SOURCES
            .iter()
            .find(|(p, _)| *p == phase)
            .expect("phase listed");
        let mut files = collect_files(&crate_dir(), paths);
        if let Some((path, line)) = edit {
            for (p, bytes) in files.iter_mut() {
                if p == path {
                    bytes.extend_from_slice(line.as_bytes());
                }
            }
        }
        digest_files(&mut files)
    }

    /// The digests compiled in are those of the tree (build.rs reran), and
    /// one changed line of a generator changes the artifacts key only.
    #[test]
    fn a_generator_edit_changes_the_artifacts_key_and_nothing_upstream() {
        for (phase, _) in PHASE_SOURCES {
            let p = Phase::from_name(phase).expect("a phase");
            assert_eq!(p.code_digest(), digest(phase, None), "{phase}");
        }
        let edit = Some(("src/generate/glue/stages.rs", "\n// one more line\n"));
        assert_ne!(digest("artifacts", edit), digest("artifacts", None));
        for upstream in ["split", "job_ir", "complexity", "prediction"] {
            assert_eq!(digest(upstream, edit), digest(upstream, None), "{upstream}");
        }
        let dir = std::env::temp_dir().join(format!("dsmig-digest-{}", std::process::id()));
        let store = crate::store::Store::open(&dir, false).expect("store");
        let ctx = crate::engine::db::Ctx::new(
            std::sync::Arc::new(store),
            crate::parse::Limits::default(),
            true,
        );
        let before = ctx.memo_key(Phase::Artifacts, &[b"job"]);
        let mut other = [0u8; 16];
        other.copy_from_slice(&digest("artifacts", edit));
        let after = crate::store::memo_key(
            Phase::Artifacts.name(),
            ctx.version(Phase::Artifacts),
            &[&other, b"job"],
        );
        assert_ne!(before, after, "the artifacts key follows the code");
        drop(ctx);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
