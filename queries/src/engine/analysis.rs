//! The analysis phases as memoised queries: per job `features`,
//! `complexity` and `lineage` (what the job reads, writes and runs), keyed
//! by the IR hash; over all jobs `groups`, keyed by every job's features;
//! per job `prediction`, keyed by the job, its group membership and the
//! `[prediction]` settings. The functions themselves live in `analysis/`.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::analysis::complexity::Complexity;
use crate::analysis::estate::waves_by_job;
use crate::analysis::features::Features;
use crate::analysis::groups::{Grouping, Membership};
use crate::analysis::lineage::{JobIo, Lineage, lineage_from_io};
use crate::analysis::predict::Prediction;
use crate::config::PredictionConfig;
use crate::engine::artifacts::JobKey;
use crate::engine::db::{Db, lock};
use crate::engine::job_ir::load_ir;
use crate::engine::{Ctx, Phase};
use crate::ir::{EntityHash, Job};
use crate::store::{Hash, decode, encode};

/// The per-job analyses, computed together when the IR is at hand.
pub fn prefill(ctx: &Ctx, ir: &EntityHash, job: &Job) {
    prefill_one(ctx, Phase::Features, ir, || {
        crate::analysis::features::features(job)
    });
    prefill_one(ctx, Phase::Complexity, ir, || {
        crate::analysis::complexity::complexity(job)
    });
    prefill_one(ctx, Phase::Lineage, ir, || {
        crate::analysis::lineage::job_io(job)
    });
}

fn prefill_one<T: Serialize>(
    ctx: &Ctx,
    phase: Phase,
    ir: &EntityHash,
    compute: impl FnOnce() -> T,
) {
    let key = ctx.memo_key(phase, &[&ir.0]);
    if lock(&ctx.fresh).contains_key(&key) || matches!(ctx.store.memo(&key), Ok(Some(_))) {
        return;
    }
    let bytes = encode(&compute());
    if !ctx.dry_run {
        let _ = ctx.store.put_memo(&key, bytes.clone());
    }
    ctx.counters.computed(phase);
    lock(&ctx.fresh).insert(key, bytes);
}

/// Fresh result, stored result, or computed from the IR (loaded from the
/// store). `None` only when the IR itself is missing.
fn per_job<T: Serialize + DeserializeOwned>(
    ctx: &Ctx,
    phase: Phase,
    ir: &EntityHash,
    compute: impl FnOnce(&Job) -> T,
) -> Option<T> {
    let key = ctx.memo_key(phase, &[&ir.0]);
    // Decoded outside the lock: every worker reads this map at once.
    let fresh = lock(&ctx.fresh).get(&key).cloned();
    if let Some(v) = fresh.and_then(|b| decode(&b)) {
        return Some(v);
    }
    if let Ok(Some(bytes)) = ctx.store.memo(&key)
        && let Some(v) = decode(&bytes)
    {
        ctx.counters.reused(phase);
        return Some(v);
    }
    let entity = load_ir(ctx, ir)?;
    let job = entity.as_job()?;
    let v = compute(job);
    if !ctx.dry_run {
        let _ = ctx.store.put_memo(&key, encode(&v));
    }
    ctx.counters.computed(phase);
    Some(v)
}

#[salsa::tracked(returns(ref))]
pub fn features<'db>(db: &'db dyn Db, job: JobKey<'db>) -> Option<Features> {
    per_job(
        db.ctx(),
        Phase::Features,
        &job.ir(db),
        crate::analysis::features::features,
    )
}

#[salsa::tracked(returns(ref))]
pub fn complexity<'db>(db: &'db dyn Db, job: JobKey<'db>) -> Option<Complexity> {
    per_job(
        db.ctx(),
        Phase::Complexity,
        &job.ir(db),
        crate::analysis::complexity::complexity,
    )
}

#[salsa::tracked(returns(ref))]
pub fn lineage<'db>(db: &'db dyn Db, job: JobKey<'db>) -> Option<JobIo> {
    per_job(
        db.ctx(),
        Phase::Lineage,
        &job.ir(db),
        crate::analysis::lineage::job_io,
    )
}

/// Estate-wide results of one run.
#[derive(Debug, Clone, Default)]
pub struct EstateResult {
    pub grouping: Option<Grouping>,
    pub lineage: Lineage,
    pub wave_of: BTreeMap<String, usize>,
    pub predictions: HashMap<EntityHash, Prediction>,
    pub features: HashMap<EntityHash, Features>,
    pub complexity: HashMap<EntityHash, Complexity>,
    pub io: HashMap<EntityHash, JobIo>,
    pub memo_keys: Vec<Hash>,
    /// Blobs the results point at (the grouping), for `store gc`.
    pub blobs: Vec<Hash>,
}

/// `groups`: keyed by the set of jobs (their IR hashes), the features'
/// version and the threshold — features are a function of those, so an
/// unchanged estate reuses its grouping without loading a single signature.
/// `load` gives the features when the grouping must be recomputed (one
/// changed job regroups: the grouping is linear, and ids are derived from
/// content, so other groups keep their ids).
pub fn groups(
    ctx: &Ctx,
    jobs: &[EntityHash],
    threshold: f64,
    load: impl FnOnce() -> Vec<(EntityHash, Features)>,
) -> (Grouping, Hash, Hash) {
    let mut sorted: Vec<&EntityHash> = jobs.iter().collect();
    sorted.sort();
    sorted.dedup();
    let mut h = blake3::Hasher::new();
    h.update(&threshold.to_le_bytes());
    h.update(&ctx.version(Phase::Features).to_le_bytes());
    for ir in &sorted {
        h.update(&ir.0);
    }
    let key = ctx.memo_key(Phase::Groups, &[h.finalize().as_bytes()]);
    if let Ok(Some(blob)) = ctx.store.memo(&key)
        && let Ok(blob) = <[u8; 32]>::try_from(blob.as_slice())
        && let Ok(Some(bytes)) = ctx.store.blob(&blob)
        && let Some(g) = decode::<Grouping>(&bytes)
    {
        ctx.counters.reused(Phase::Groups);
        return (g, key, blob);
    }
    let features = load();
    let items: Vec<(String, &Features)> = features.iter().map(|(ir, f)| (ir.hex(), f)).collect();
    let g = crate::analysis::groups::group(&items, threshold);
    let bytes = encode(&g);
    let blob = *blake3::hash(&bytes).as_bytes();
    if !ctx.dry_run && ctx.store.put_blob(&bytes).is_ok() {
        let _ = ctx.store.put_memo(&key, blob.to_vec());
    }
    ctx.counters.computed(Phase::Groups);
    (g, key, blob)
}

/// `prediction` of one job: keyed by the job, the complexity version, its
/// group membership and the `[prediction]` settings; `complexity` is only
/// asked for when the prediction must be computed.
pub fn prediction(
    ctx: &Ctx,
    ir: &EntityHash,
    membership: Option<&Membership>,
    cfg: &PredictionConfig,
    complexity: impl FnOnce() -> Option<Complexity>,
) -> (Option<Prediction>, Hash) {
    let key = ctx.memo_key(
        Phase::Prediction,
        &[
            &ir.0,
            &ctx.version(Phase::Complexity).to_le_bytes(),
            &encode(&membership),
            &encode(&(
                cfg.auto_max_score,
                cfg.manual_min_score,
                cfg.hours_per_point.to_bits(),
            )),
        ],
    );
    if let Ok(Some(bytes)) = ctx.store.memo(&key)
        && let Some(p) = decode::<Prediction>(&bytes)
    {
        ctx.counters.reused(Phase::Prediction);
        return (Some(p), key);
    }
    let Some(c) = complexity() else {
        return (None, key);
    };
    let p = crate::analysis::predict::predict(&c, cfg, membership);
    if !ctx.dry_run {
        let _ = ctx.store.put_memo(&key, encode(&p));
    }
    ctx.counters.computed(Phase::Prediction);
    (Some(p), key)
}

/// Lineage over all jobs (cheap: recomputed each run from memoised
/// per-job results), and each job's wave.
pub fn estate_lineage(ios: &[(EntityHash, String, JobIo)]) -> (Lineage, BTreeMap<String, usize>) {
    let keyed: Vec<(String, String, JobIo)> = ios
        .iter()
        .map(|(h, n, io)| (h.hex(), n.clone(), io.clone()))
        .collect();
    let lineage = lineage_from_io(&keyed);
    let waves = waves_by_job(&lineage);
    (lineage, waves)
}
