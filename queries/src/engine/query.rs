//! Queries as types: each phase of the query graph is a type that knows
//! its name, its version, its key (from explicit inputs only), the type of
//! its value and how to compute it; [`fetch`] is the one "reuse from the
//! store or compute and store" path every phase goes through.
//!
//! A query's version constant lives beside its code (`VERSION` in the
//! phase's module); the code digest of `engine/code_digest.rs` is added to
//! every key of the phases it lists, and `--bump-query-version` adds to the
//! version ([`Ctx::bumps`]). Salsa memoises some phases within a process
//! (see ARCHITECTURE.md, "The query graph"); this path memoises all of them
//! across processes.
//!
//! Phases that compute many results at once (a DSX file streamed past, a
//! round of LLM calls) use the pieces of [`fetch`] directly: [`lookup`],
//! [`reused`], [`put`]; so a stored value is read, counted and written the
//! same way whichever phase made it.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::engine::db::lock;
use crate::engine::{Ctx, Phase};
use crate::store::{Hash, decode, encode};

/// A phase of the query graph.
pub trait Query {
    /// The phase: its name (in keys and counts) and code digest.
    const PHASE: Phase;
    /// Bump when the phase's logic changes and its stored results become
    /// stale (the code digest covers the phases it lists).
    const VERSION: u32;
    /// Where the stored value lives: in the memo table itself, or (large
    /// values shared by reference) in a blob whose hash the memo holds.
    const IN_BLOB: bool = false;
    type Value: Serialize + DeserializeOwned;

    /// The store key: [`key_of`] over the inputs the value depends on.
    /// Never a path, a time or a run id.
    fn key(&self, ctx: &Ctx) -> Hash;

    /// The value, or `None` when it cannot be computed here (an input
    /// missing from the store): nothing is stored or counted then.
    fn compute(&self, ctx: &Ctx) -> Option<Self::Value>;

    /// Whether a computed value may be stored (a value that records a
    /// passing problem is recomputed next run).
    fn keep(_value: &Self::Value) -> bool {
        true
    }
}

/// The key of query `Q` over `parts`: the phase's name, its version (with
/// the run's bump) and its code digest come first.
pub fn key_of<Q: Query>(ctx: &Ctx, parts: &[&[u8]]) -> Hash {
    // The upgrade test computes keys as a dsmig built from an edited tree would.
    #[cfg(test)]
    if let Some(d) = tests::EDITED.with(|e| e.borrow().get(&Q::PHASE).cloned()) {
        return key_with_digest::<Q>(ctx, &d, parts);
    }
    key_with_digest::<Q>(ctx, code_digest(Q::PHASE), parts)
}

fn key_with_digest<Q: Query>(ctx: &Ctx, digest: &[u8], parts: &[&[u8]]) -> Hash {
    let mut all: Vec<&[u8]> = Vec::with_capacity(parts.len() + 1);
    all.push(digest);
    all.extend_from_slice(parts);
    crate::store::memo_key(Q::PHASE.name(), version::<Q>(ctx), &all)
}

// `CODE_DIGESTS`: (phase name, digest of its code), made by `build.rs`.
include!(concat!(env!("OUT_DIR"), "/code_digests.rs"));

/// The digest of the code that computes a phase (empty for phases whose
/// code is versioned by hand only): part of every key of the phase, so a
/// new dsmig whose generator writes other bytes does not serve the old ones.
pub fn code_digest(phase: Phase) -> &'static [u8] {
    CODE_DIGESTS
        .iter()
        .find(|(name, _)| *name == phase.name())
        .map_or(&[], |(_, d)| d.as_slice())
}

/// The version of `Q` in this run (its constant plus `--bump-query-version`).
pub fn version<Q: Query>(ctx: &Ctx) -> u32 {
    Q::VERSION + ctx.bumps.get(&Q::PHASE).copied().unwrap_or(0)
}

/// What [`fetch`] found or made.
pub struct Fetched<V> {
    pub value: Option<V>,
    pub key: Hash,
    /// For an `IN_BLOB` query, the blob holding the value.
    pub blob: Option<Hash>,
}

/// Reuse from this run's fresh results or the store, or compute and store.
pub fn fetch<Q: Query>(ctx: &Ctx, q: &Q) -> Fetched<Q::Value> {
    let key = q.key(ctx);
    // Results computed earlier in this run while their input was at hand
    // (already counted). Decoded outside the lock: every worker reads it.
    let fresh = lock(&ctx.fresh).get(&key).cloned();
    if let Some(value) = fresh.and_then(|b| decode(&b)) {
        return Fetched {
            value: Some(value),
            key,
            blob: None,
        };
    }
    if let Some((value, blob)) = lookup_with_blob::<Q>(ctx, &key) {
        reused::<Q>(ctx);
        return Fetched {
            value: Some(value),
            key,
            blob,
        };
    }
    let value = q.compute(ctx);
    let blob = value.as_ref().and_then(|v| put::<Q>(ctx, &key, v));
    Fetched { value, key, blob }
}

/// The stored value under `key`, not counted.
pub fn lookup<Q: Query>(ctx: &Ctx, key: &Hash) -> Option<Q::Value> {
    lookup_with_blob::<Q>(ctx, key).map(|(v, _)| v)
}

fn lookup_with_blob<Q: Query>(ctx: &Ctx, key: &Hash) -> Option<(Q::Value, Option<Hash>)> {
    let bytes = ctx.store.memo(key).ok()??;
    if !Q::IN_BLOB {
        return Some((decode(&bytes)?, None));
    }
    let blob = <[u8; 32]>::try_from(bytes.as_slice()).ok()?;
    let value = decode(&ctx.store.blob(&blob).ok()??)?;
    Some((value, Some(blob)))
}

/// Whether a value is stored under `key` (or was computed in this run).
pub fn known<Q: Query>(ctx: &Ctx, key: &Hash) -> bool {
    lock(&ctx.fresh).contains_key(key) || matches!(ctx.store.memo(key), Ok(Some(_)))
}

/// Count a reuse of `Q`.
pub fn reused<Q: Query>(ctx: &Ctx) {
    ctx.counters.reused(Q::PHASE);
}

/// Count a computed value of `Q` that is not stored (no key).
pub fn computed<Q: Query>(ctx: &Ctx) {
    ctx.counters.computed(Q::PHASE);
}

/// Store a value of `Q` already counted (unless a plan, or `keep` refuses it).
pub fn write<Q: Query>(ctx: &Ctx, key: &Hash, value: &Q::Value) {
    if !ctx.dry_run && Q::keep(value) && !Q::IN_BLOB {
        let _ = ctx.store.put_memo(key, encode(value));
    }
}

/// Count a computed value of `Q` and store it (unless a plan, or `keep`
/// refuses it). Returns the blob of an `IN_BLOB` value.
pub fn put<Q: Query>(ctx: &Ctx, key: &Hash, value: &Q::Value) -> Option<Hash> {
    put_encoded::<Q>(ctx, key, value, encode(value))
}

fn put_encoded<Q: Query>(ctx: &Ctx, key: &Hash, value: &Q::Value, bytes: Vec<u8>) -> Option<Hash> {
    ctx.counters.computed(Q::PHASE);
    let store = !ctx.dry_run && Q::keep(value);
    if !Q::IN_BLOB {
        if store {
            let _ = ctx.store.put_memo(key, bytes);
        }
        return None;
    }
    let blob = *blake3::hash(&bytes).as_bytes();
    if store && ctx.store.put_blob(&bytes).is_ok() {
        let _ = ctx.store.put_memo(key, blob.to_vec());
    }
    Some(blob)
}

/// [`put`], and keep the value for [`fetch`] in this run: for results
/// computed ahead of being asked for, while their input is at hand.
pub fn prefill<Q: Query>(ctx: &Ctx, key: &Hash, value: &Q::Value) {
    let bytes = encode(value);
    put_encoded::<Q>(ctx, key, value, bytes.clone());
    lock(&ctx.fresh).insert(*key, bytes);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::analysis::{ComplexityOf, FeaturesOf, LineageOf, PerJob, PredictionOf};
    use crate::engine::artifacts::Artifacts;
    use crate::engine::code_digest::{PHASE_SOURCES, collect_files, digest_files};
    use crate::engine::job_ir::JobIr;
    use crate::engine::split::Split;
    use crate::ir::EntityHash;

    fn crate_dir() -> std::path::PathBuf {
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    /// The digest of a phase's code as in the tree, with `line` appended
    /// to the file at `path` when `edit` is given.
    fn digest(phase: Phase, edit: Option<(&str, &str)>) -> Vec<u8> {
        let Some((_, paths)) = PHASE_SOURCES.iter().find(|(p, _)| *p == phase.name()) else {
            return Vec::new();
        };
        let mut files = collect_files(&crate_dir(), paths);
        if let Some((path, line)) = edit {
            for (p, bytes) in files.iter_mut() {
                if p == path {
                    bytes.extend_from_slice(line.as_bytes());
                }
            }
        }
        digest_files(&mut files).to_vec()
    }

    thread_local! {
        /// Code digests replacing the compiled-in ones in [`key_of`].
        pub(super) static EDITED: std::cell::RefCell<std::collections::BTreeMap<Phase, Vec<u8>>> =
            Default::default();
    }

    /// Every phase's key (one input each), computed by the queries' own
    /// `key` with the code digests of the tree as edited by `edit`: the
    /// keys a dsmig built from that tree would use.
    fn keys(ctx: &Ctx, edit: Option<(&str, &str)>) -> Vec<(Phase, Hash)> {
        EDITED.with(|e| {
            *e.borrow_mut() = Phase::ALL
                .into_iter()
                .map(|p| (p, digest(p, edit)))
                .collect();
        });
        fn with<Q: Query>(ctx: &Ctx, q: &Q) -> (Phase, Hash) {
            (Q::PHASE, q.key(ctx))
        }
        let ir = EntityHash([7; 32]);
        let cfg = crate::config::PredictionConfig::default();
        let none = || -> Option<crate::analysis::complexity::Complexity> { None };
        let load = Vec::new;
        let out = vec![
            with(
                ctx,
                &Split {
                    content: [1; 32],
                    path: "x.dsx",
                },
            ),
            with(ctx, &JobIr { slice: [2; 32] }),
            with(ctx, &PerJob::<FeaturesOf>::new(ir)),
            with(ctx, &PerJob::<ComplexityOf>::new(ir)),
            with(ctx, &PerJob::<LineageOf>::new(ir)),
            with(
                ctx,
                &crate::engine::analysis::Groups {
                    jobs: &[ir],
                    threshold: 0.8,
                    load: std::cell::Cell::new(Some(load)),
                },
            ),
            with(
                ctx,
                &PredictionOf {
                    ir: &ir,
                    membership: None,
                    cfg: &cfg,
                    complexity: std::cell::Cell::new(Some(none)),
                },
            ),
            with(
                ctx,
                &Artifacts {
                    ir,
                    category: Some(crate::generate::target::Category::Auto),
                    strategy: crate::generate::target::Strategy::RuleBased,
                    stem: "job",
                },
            ),
        ];
        EDITED.with(|e| e.borrow_mut().clear());
        out
    }

    fn ctx() -> (Ctx, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!(
            "dsmig-query-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let store = crate::store::Store::open(&dir, false).expect("store");
        let ctx = Ctx::new(
            std::sync::Arc::new(store),
            crate::parse::Limits::default(),
            true,
        );
        (ctx, dir)
    }

    /// The digests compiled in are those of the tree (build.rs reran), and
    /// one changed line of a generator changes the artifacts key and no
    /// upstream phase's key.
    #[test]
    fn a_generator_edit_changes_the_artifacts_key_and_nothing_upstream() {
        for (phase, _) in PHASE_SOURCES {
            let p = Phase::from_name(phase).expect("a phase");
            assert_eq!(code_digest(p), digest(p, None).as_slice(), "{phase}");
        }
        let (ctx, dir) = ctx();
        let edit = Some(("src/generate/glue/stages.rs", "\n// one more line\n"));
        let before = keys(&ctx, None);
        let after = keys(&ctx, edit);
        for ((p, b), (_, a)) in before.iter().zip(&after) {
            if *p == Phase::Artifacts {
                assert_ne!(a, b, "the artifacts key follows the generator's code");
            } else {
                assert_eq!(a, b, "{} does not run the generator", p.name());
            }
        }
        // Unedited, the keys are those of the compiled-in digests.
        let q = Artifacts {
            ir: EntityHash([7; 32]),
            category: Some(crate::generate::target::Category::Auto),
            strategy: crate::generate::target::Strategy::RuleBased,
            stem: "job",
        };
        assert_eq!(before.last().map(|k| k.1), Some(q.key(&ctx)));
        drop(ctx);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A version bump of one phase changes that phase's keys only.
    #[test]
    fn a_bump_changes_one_phase_key() {
        let (mut ctx, dir) = ctx();
        let before = keys(&ctx, None);
        ctx.bumps.insert(Phase::Lineage, 1);
        let after = keys(&ctx, None);
        for ((p, b), (_, a)) in before.iter().zip(&after) {
            assert_eq!(a != b, *p == Phase::Lineage, "{}", p.name());
        }
        drop(ctx);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
