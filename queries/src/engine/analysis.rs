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
use crate::engine::db::Db;
use crate::engine::job_ir::load_ir;
use crate::engine::query::{self, Query, fetch, key_of};
use crate::engine::{Ctx, Phase};
use crate::ir::{EntityHash, Job};
use crate::store::{Hash, encode};

/// A per-job analysis as a query: keyed by the IR hash; computed from the
/// IR (loaded from the store), or ahead of time by [`prefill`].
pub struct PerJob<A> {
    pub ir: EntityHash,
    analysis: std::marker::PhantomData<A>,
}

impl<A> PerJob<A> {
    pub fn new(ir: EntityHash) -> PerJob<A> {
        PerJob {
            ir,
            analysis: std::marker::PhantomData,
        }
    }
}

/// One analysis of a job: its phase, version and function.
pub trait JobAnalysis {
    const PHASE: Phase;
    const VERSION: u32;
    type Value: Serialize + DeserializeOwned;
    fn analyse(job: &Job) -> Self::Value;
}

impl<A: JobAnalysis> Query for PerJob<A> {
    const PHASE: Phase = A::PHASE;
    const VERSION: u32 = A::VERSION;
    type Value = A::Value;

    fn key(&self, ctx: &Ctx) -> Hash {
        key_of::<Self>(ctx, &[&self.ir.0])
    }

    fn compute(&self, ctx: &Ctx) -> Option<A::Value> {
        let entity = load_ir(ctx, &self.ir)?;
        Some(A::analyse(entity.as_job()?))
    }
}

pub struct FeaturesOf;
pub struct ComplexityOf;
pub struct LineageOf;

impl JobAnalysis for FeaturesOf {
    const PHASE: Phase = Phase::Features;
    const VERSION: u32 = crate::analysis::features::FEATURES_VERSION;
    type Value = Features;
    fn analyse(job: &Job) -> Features {
        crate::analysis::features::features(job)
    }
}

impl JobAnalysis for ComplexityOf {
    const PHASE: Phase = Phase::Complexity;
    const VERSION: u32 = crate::analysis::complexity::COMPLEXITY_VERSION;
    type Value = Complexity;
    fn analyse(job: &Job) -> Complexity {
        crate::analysis::complexity::complexity(job)
    }
}

impl JobAnalysis for LineageOf {
    const PHASE: Phase = Phase::Lineage;
    const VERSION: u32 = 1;
    type Value = JobIo;
    fn analyse(job: &Job) -> JobIo {
        crate::analysis::lineage::job_io(job)
    }
}

/// The per-job analyses, computed together when the IR is at hand.
pub fn prefill(ctx: &Ctx, ir: &EntityHash, job: &Job) {
    prefill_one::<FeaturesOf>(ctx, ir, job);
    prefill_one::<ComplexityOf>(ctx, ir, job);
    prefill_one::<LineageOf>(ctx, ir, job);
}

fn prefill_one<A: JobAnalysis>(ctx: &Ctx, ir: &EntityHash, job: &Job) {
    let key = PerJob::<A>::new(*ir).key(ctx);
    if !query::known::<PerJob<A>>(ctx, &key) {
        query::prefill::<PerJob<A>>(ctx, &key, &A::analyse(job));
    }
}

/// The keys of a job's per-job analyses (for the run record).
pub fn per_job_keys(ctx: &Ctx, ir: &EntityHash) -> [Hash; 3] {
    [
        PerJob::<FeaturesOf>::new(*ir).key(ctx),
        PerJob::<ComplexityOf>::new(*ir).key(ctx),
        PerJob::<LineageOf>::new(*ir).key(ctx),
    ]
}

#[salsa::tracked(returns(ref))]
pub fn features<'db>(db: &'db dyn Db, job: JobKey<'db>) -> Option<Features> {
    fetch(db.ctx(), &PerJob::<FeaturesOf>::new(job.ir(db))).value
}

#[salsa::tracked(returns(ref))]
pub fn complexity<'db>(db: &'db dyn Db, job: JobKey<'db>) -> Option<Complexity> {
    fetch(db.ctx(), &PerJob::<ComplexityOf>::new(job.ir(db))).value
}

#[salsa::tracked(returns(ref))]
pub fn lineage<'db>(db: &'db dyn Db, job: JobKey<'db>) -> Option<JobIo> {
    fetch(db.ctx(), &PerJob::<LineageOf>::new(job.ir(db))).value
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

/// `groups` as a query: keyed by the set of jobs (their IR hashes), the
/// features' version and the threshold — features are a function of
/// those, so an unchanged estate reuses its grouping without loading a
/// single signature. `load` gives the features when the grouping must be
/// recomputed (one changed job regroups: the grouping is linear, and ids
/// are derived from content, so other groups keep their ids). The grouping
/// is stored as a blob.
pub struct Groups<'a, F> {
    pub jobs: &'a [EntityHash],
    pub threshold: f64,
    pub load: std::cell::Cell<Option<F>>,
}

impl<F: FnOnce() -> Vec<(EntityHash, Features)>> Query for Groups<'_, F> {
    const PHASE: Phase = Phase::Groups;
    const VERSION: u32 = 1;
    const IN_BLOB: bool = true;
    type Value = Grouping;

    fn key(&self, ctx: &Ctx) -> Hash {
        let mut sorted: Vec<&EntityHash> = self.jobs.iter().collect();
        sorted.sort();
        sorted.dedup();
        let mut h = blake3::Hasher::new();
        h.update(&self.threshold.to_le_bytes());
        h.update(&query::version::<PerJob<FeaturesOf>>(ctx).to_le_bytes());
        for ir in &sorted {
            h.update(&ir.0);
        }
        key_of::<Self>(ctx, &[h.finalize().as_bytes()])
    }

    fn compute(&self, _ctx: &Ctx) -> Option<Grouping> {
        let features = self.load.take().map(|load| load()).unwrap_or_default();
        let items: Vec<(String, &Features)> =
            features.iter().map(|(ir, f)| (ir.hex(), f)).collect();
        Some(crate::analysis::groups::group(&items, self.threshold))
    }
}

/// The grouping of `jobs`, its key and its blob (see [`Groups`]).
pub fn groups(
    ctx: &Ctx,
    jobs: &[EntityHash],
    threshold: f64,
    load: impl FnOnce() -> Vec<(EntityHash, Features)>,
) -> (Grouping, Hash, Hash) {
    let q = Groups {
        jobs,
        threshold,
        load: std::cell::Cell::new(Some(load)),
    };
    let f = fetch(ctx, &q);
    // `compute` always gives a grouping: the fallback is never taken.
    let grouping = f
        .value
        .unwrap_or_else(|| crate::analysis::groups::group(&[], threshold));
    (grouping, f.key, f.blob.unwrap_or_default())
}

/// `prediction` of one job as a query: keyed by the job, the complexity
/// version, its group membership and the `[prediction]` settings;
/// `complexity` is only asked for when the prediction must be computed.
pub struct PredictionOf<'a, F> {
    pub ir: &'a EntityHash,
    pub membership: Option<&'a Membership>,
    pub cfg: &'a PredictionConfig,
    pub complexity: std::cell::Cell<Option<F>>,
}

impl<F: FnOnce() -> Option<Complexity>> Query for PredictionOf<'_, F> {
    const PHASE: Phase = Phase::Prediction;
    const VERSION: u32 = crate::analysis::predict::PREDICT_VERSION;
    type Value = Prediction;

    fn key(&self, ctx: &Ctx) -> Hash {
        let cfg = self.cfg;
        key_of::<Self>(
            ctx,
            &[
                &self.ir.0,
                &query::version::<PerJob<ComplexityOf>>(ctx).to_le_bytes(),
                &encode(&self.membership),
                &encode(&(
                    cfg.auto_max_score,
                    cfg.manual_min_score,
                    cfg.hours_per_point.to_bits(),
                )),
            ],
        )
    }

    fn compute(&self, _ctx: &Ctx) -> Option<Prediction> {
        let c = self.complexity.take()?()?;
        Some(crate::analysis::predict::predict(
            &c,
            self.cfg,
            self.membership,
        ))
    }
}

/// The prediction of one job and its key (see [`PredictionOf`]).
pub fn prediction(
    ctx: &Ctx,
    ir: &EntityHash,
    membership: Option<&Membership>,
    cfg: &PredictionConfig,
    complexity: impl FnOnce() -> Option<Complexity>,
) -> (Option<Prediction>, Hash) {
    let q = PredictionOf {
        ir,
        membership,
        cfg,
        complexity: std::cell::Cell::new(Some(complexity)),
    };
    let f = fetch(ctx, &q);
    (f.value, f.key)
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
