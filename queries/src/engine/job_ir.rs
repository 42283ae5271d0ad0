//! `job_ir(slice)`: the entities of one slice of an export (a DSX
//! top-level block; for XML and ISX, the whole file). Keyed by the slice's
//! bytes, so a job edited in a 500-job file recomputes alone, and a job
//! moved to another file, or a file renamed or touched, recomputes nothing.
//!
//! The IR itself goes to the store's blobs under its hash; the query's
//! result is the small [`EntityRef`] list, enough for plans, summaries and
//! keys downstream without loading the IR.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::engine::db::{Db, lock};
use crate::engine::query::{Query, fetch, key_of, put};
use crate::engine::source::SourceFile;
use crate::engine::split::stream_file;
use crate::engine::{Ctx, Phase};
use crate::ir::{Entity, EntityHash, JobKind, SourceFormat, canonical_bytes};
use crate::parse::diag::Diagnostic;
use crate::store::{Hash, decode};

/// Shape figures of a job, for tables without loading the IR.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct JobStats {
    pub folder: String,
    pub stages: usize,
    pub links: usize,
    pub columns: usize,
    pub parameters: usize,
    pub stage_types: BTreeMap<String, usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EntityRef {
    pub name: String,
    /// `job`, `shared_container`, `routine`, `parameter_set`, `table_def`, `other`.
    pub kind: String,
    pub job_kind: Option<JobKind>,
    pub ir: EntityHash,
    pub format: SourceFormat,
    /// Line relative to the slice's base line (see `SliceInfo::base`).
    pub line: Option<u64>,
    pub member: Option<String>,
    pub stats: Option<JobStats>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct JobIrResult {
    pub entities: Vec<EntityRef>,
    /// Lines relative to the slice's base line; file name left empty (the
    /// same slice can sit in several files).
    pub diagnostics: Vec<Diagnostic>,
}

/// A slice of a file: the key of `job_ir`.
#[salsa::interned]
pub struct Slice<'db> {
    #[returns(copy)]
    pub hash: Hash,
    pub file: SourceFile,
}

/// `job_ir` as a query, keyed by the slice's bytes. Computing it means
/// reading the slice's file again ([`stream_file`]), which records every
/// missing slice of the file through [`record`]; so `compute` stores
/// nothing itself and the value is then this run's fresh result.
pub struct JobIr {
    pub slice: Hash,
}

impl Query for JobIr {
    const PHASE: Phase = Phase::JobIr;
    // The IR's shape is versioned too: a new IR means new results.
    const VERSION: u32 = 1 + 1000 * crate::ir::IR_VERSION;
    type Value = JobIrResult;

    fn key(&self, ctx: &Ctx) -> Hash {
        key_of::<Self>(ctx, &[&self.slice])
    }

    fn compute(&self, _ctx: &Ctx) -> Option<JobIrResult> {
        None
    }
}

#[salsa::tracked(returns(ref))]
pub fn job_ir<'db>(db: &'db dyn Db, slice: Slice<'db>) -> JobIrResult {
    let ctx = db.ctx();
    let hash = slice.hash(db);
    if let Some(r) = lock(&ctx.fresh_ir).get(&hash) {
        return r.clone();
    }
    if let Some(r) = fetch(ctx, &JobIr { slice: hash }).value {
        return r;
    }
    // Not stored (new version, or a store that lost it): read the file again
    // and compute every missing slice of it in one pass.
    let file = slice.file(db);
    let path = file.path(db).clone();
    let first = lock(&ctx.restreamed).insert(path.clone());
    if first {
        stream_file(ctx, &path, file.content(db));
    }
    if let Some(r) = lock(&ctx.fresh_ir).get(&hash) {
        return r.clone();
    }
    JobIrResult {
        entities: Vec::new(),
        diagnostics: vec![Diagnostic::error(
            crate::ir::Location {
                file: String::new(),
                line: None,
                member: None,
            },
            "the file unchanged while dsmig reads it",
            "a part of it changed during the run; run again",
        )],
    }
}

/// Is this slice's result already known (in this run or in the store)?
pub fn known(ctx: &Ctx, slice: &Hash) -> bool {
    if lock(&ctx.fresh_ir).contains_key(slice) {
        return true;
    }
    let key = JobIr { slice: *slice }.key(ctx);
    matches!(ctx.store.memo(&key), Ok(Some(_)))
}

/// Turn built entities into a result: IR blobs stored, refs returned.
pub fn record(
    ctx: &Ctx,
    slice: Hash,
    entities: Vec<(Entity, Option<u64>, Option<String>, SourceFormat)>,
    diagnostics: Vec<Diagnostic>,
) {
    let refs: Vec<EntityRef> = entities
        .into_par_iter()
        .map(|(entity, line, member, format)| {
            let bytes = canonical_bytes(&entity);
            // The blob's hash is the IR hash: both hash the canonical bytes.
            let ir = EntityHash(*blake3::hash(&bytes).as_bytes());
            if !ctx.dry_run {
                let _ = ctx.store.put_blob_hashed(ir.0, &bytes);
            } else {
                let packed = crate::store::pack(&bytes);
                lock(&ctx.dry_blobs).insert(ir.0, packed);
            }
            // The IR is at hand: analyse it now rather than reload it later.
            if let Some(job) = entity.as_job() {
                crate::engine::analysis::prefill(ctx, &ir, job);
            }
            EntityRef {
                name: entity.name().to_string(),
                kind: entity.kind_str().to_string(),
                job_kind: entity.as_job().map(|j| j.kind),
                ir,
                format,
                line,
                member,
                stats: entity.as_job().map(stats),
            }
        })
        .collect();
    let result = JobIrResult {
        entities: refs,
        diagnostics,
    };
    let q = JobIr { slice };
    put::<JobIr>(ctx, &q.key(ctx), &result);
    lock(&ctx.fresh_ir).insert(slice, result);
}

fn stats(job: &crate::ir::Job) -> JobStats {
    let mut stage_types = BTreeMap::new();
    for s in &job.stages {
        *stage_types.entry(s.stage_type.clone()).or_insert(0) += 1;
    }
    JobStats {
        folder: job.folder.clone(),
        stages: job.stages.len(),
        links: job.links.len(),
        columns: job.column_count(),
        parameters: job.parameters.len(),
        stage_types,
    }
}

/// Load an entity's IR from the store (in a plan, also from the IR read
/// in this run: [`Ctx::dry_blobs`]).
pub fn load_ir(ctx: &Ctx, ir: &EntityHash) -> Option<Entity> {
    let stored = ctx.store.blob(&ir.0).ok().flatten();
    let bytes = match stored {
        Some(b) => b,
        None if ctx.dry_run => {
            let packed = lock(&ctx.dry_blobs).get(&ir.0).cloned()?;
            crate::store::unpack(&packed)?
        }
        None => return None,
    };
    // The blob is the canonical bytes, whose blake3 is the IR hash: a blob
    // that does not hash to its key is not the IR asked for.
    if blake3::hash(&bytes).as_bytes() != &ir.0 {
        return None;
    }
    decode(bytes.get(4..)?)
}
