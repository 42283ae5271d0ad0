//! `artifacts(job)`: the files generated for one job, as content-addressed
//! blobs with path templates (`{stem}` is the job's file name, chosen by
//! materialize so that names stay distinct on case-insensitive disks).
//!
//! Today a job's artifact is its canonical IR as JSON (`ir/{stem}.json`):
//! what dsmig understood of the job, for review and for other tools. The
//! generators of the Glue and SQL targets add their files here.

use serde::{Deserialize, Serialize};

use crate::engine::Phase;
use crate::engine::db::Db;
use crate::engine::job_ir::load_ir;
use crate::ir::EntityHash;
use crate::store::{Hash, decode, encode};

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Artifact {
    /// Path under the output folder, with `{stem}` for the job's file name.
    pub path: String,
    pub blob: Hash,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct ArtifactSet {
    pub files: Vec<Artifact>,
    /// Why nothing could be generated (IR missing from the store...).
    pub problem: Option<String>,
}

/// A job, by the hash of its IR: the key of every per-job phase after `job_ir`.
#[salsa::interned]
pub struct JobKey<'db> {
    #[returns(copy)]
    pub ir: EntityHash,
}

#[salsa::tracked(returns(ref))]
pub fn artifacts<'db>(db: &'db dyn Db, job: JobKey<'db>) -> ArtifactSet {
    let ctx = db.ctx();
    let ir = job.ir(db);
    let key = ctx.memo_key(Phase::Artifacts, &[&ir.0, ctx.target.as_bytes()]);
    if let Ok(Some(bytes)) = ctx.store.memo(&key)
        && let Some(r) = decode::<ArtifactSet>(&bytes)
    {
        ctx.counters.reused(Phase::Artifacts);
        return r;
    }
    ctx.counters.computed(Phase::Artifacts);
    if ctx.dry_run {
        // A plan only counts what would be generated.
        return ArtifactSet::default();
    }
    let result = match load_ir(ctx, &ir) {
        Some(entity) => generate(ctx, &entity),
        None => ArtifactSet {
            files: Vec::new(),
            problem: Some(format!("IR {} is missing from the store", ir.short())),
        },
    };
    if result.problem.is_none() {
        let _ = ctx.store.put_memo(&key, encode(&result));
    }
    result
}

fn generate(ctx: &crate::engine::Ctx, entity: &crate::ir::Entity) -> ArtifactSet {
    let mut files = Vec::new();
    let mut problem = None;
    match serde_json::to_vec_pretty(entity) {
        Ok(mut json) => {
            json.push(b'\n');
            match ctx.store.put_blob(&json) {
                Ok(blob) => files.push(Artifact {
                    path: "ir/{stem}.json".to_string(),
                    blob,
                }),
                Err(e) => problem = Some(e.to_string()),
            }
        }
        Err(e) => problem = Some(e.to_string()),
    }
    ArtifactSet { files, problem }
}
