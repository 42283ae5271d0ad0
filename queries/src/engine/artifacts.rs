//! `artifacts(job)`: the files generated for one job, listed by the blake3
//! of their bytes with path templates (`{stem}` is the job's file name,
//! chosen by materialize so that names stay distinct on case-insensitive
//! disks). The bytes themselves go straight to the output folder; the store
//! keeps the list, not the bytes ([`regenerate`] makes them again).
//!
//! Every job gets a job card (`jobs/{stem}.json`): what dsmig understood of
//! the job (kind, parameters, stages, links and their columns), for review
//! and for other tools; the full IR is one `dsmig dump-ir` away. The
//! generators of the Glue and SQL targets add their files.

use serde::{Deserialize, Serialize};

use crate::engine::db::Db;
use crate::engine::job_ir::load_ir;
use crate::engine::materialize::write_early;
use crate::engine::query::{Query, fetch, key_of};
use crate::engine::{Ctx, Phase};
use crate::generate::target::{Category, Strategy, category_str};
use crate::ir::EntityHash;
use crate::store::Hash;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Artifact {
    /// Path under the output folder, with `{stem}` for the job's file name.
    pub path: String,
    /// blake3 of the bytes. In the store only when they were not made by
    /// rules (an LLM's code); rule-made files are regenerated when needed.
    pub blob: Hash,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct ArtifactSet {
    pub files: Vec<Artifact>,
    /// Why nothing could be generated (IR missing from the store...).
    pub problem: Option<String>,
    /// What the generated code leaves to a person: (location, what).
    pub todos: Vec<(String, String)>,
    pub warnings: Vec<String>,
}

/// What a job's files depend on besides its IR: its category and the
/// strategy chosen for it (they show in the generated docs and decide
/// what is generated).
#[salsa::interned]
pub struct ArtifactKey<'db> {
    #[returns(copy)]
    pub ir: EntityHash,
    #[returns(copy)]
    pub category: Option<Category>,
    #[returns(copy)]
    pub strategy: Strategy,
    /// The job's file name (unique across the output folder).
    #[returns(ref)]
    pub stem: String,
}

/// A job, by the hash of its IR: the key of every per-job phase after `job_ir`.
#[salsa::interned]
pub struct JobKey<'db> {
    #[returns(copy)]
    pub ir: EntityHash,
}

/// `artifacts` as a query: a job's files, keyed by its IR, category,
/// strategy and file name, the target and that target's settings and
/// templates. The generators' code is in the key through the code digest.
pub struct Artifacts<'a> {
    pub ir: EntityHash,
    pub category: Option<Category>,
    pub strategy: Strategy,
    pub stem: &'a str,
}

impl Query for Artifacts<'_> {
    const PHASE: Phase = Phase::Artifacts;
    const VERSION: u32 = 1;
    type Value = ArtifactSet;

    fn key(&self, ctx: &Ctx) -> Hash {
        let target = ctx.target();
        let name = ctx.target.map_or("", |t| t.as_str());
        let [settings, templates] = target.map(|t| t.fingerprint()).unwrap_or_default();
        key_of::<Self>(
            ctx,
            &[
                &self.ir.0,
                name.as_bytes(),
                category_str(self.category).as_bytes(),
                self.strategy.as_str().as_bytes(),
                self.stem.as_bytes(),
                &settings,
                &templates,
            ],
        )
    }

    fn compute(&self, ctx: &Ctx) -> Option<ArtifactSet> {
        // A plan generates too (in memory: the output folder is not set, the
        // store is not written): how it knows which files a build would write.
        Some(match load_ir(ctx, &self.ir) {
            Some(entity) => {
                let generated = generate(ctx, &entity, self.category, self.strategy, self.stem);
                listed(ctx, generated, self.stem)
            }
            None => ArtifactSet {
                problem: Some(format!("IR {} is missing from the store", self.ir.short())),
                ..ArtifactSet::default()
            },
        })
    }

    /// A set that could not be generated is tried again next run.
    fn keep(set: &ArtifactSet) -> bool {
        set.problem.is_none()
    }
}

/// The store key of a job's artifacts.
pub fn memo_key(
    ctx: &Ctx,
    ir: &EntityHash,
    category: Option<Category>,
    strategy: Strategy,
    stem: &str,
) -> Hash {
    Artifacts {
        ir: *ir,
        category,
        strategy,
        stem,
    }
    .key(ctx)
}

/// How a job is generated, from its category and group: a non-template
/// member of a group is a variation of its template's translation.
pub fn strategy(
    category: Option<Category>,
    membership: Option<&crate::analysis::groups::Membership>,
    llm_configured: bool,
) -> Strategy {
    let grouped =
        membership.is_some_and(|m| (m.dup.is_some() || m.sim.is_some()) && !m.is_template);
    match category {
        _ if grouped => Strategy::TemplateVariation,
        Some(Category::Auto) | None => Strategy::RuleBased,
        Some(_) if llm_configured => Strategy::Llm,
        Some(_) => Strategy::RuleBasedDraft,
    }
}

#[salsa::tracked(returns(ref))]
pub fn artifacts<'db>(db: &'db dyn Db, job: ArtifactKey<'db>) -> ArtifactSet {
    let q = Artifacts {
        ir: job.ir(db),
        category: job.category(db),
        strategy: job.strategy(db),
        stem: job.stem(db),
    };
    fetch(db.ctx(), &q).value.unwrap_or_default()
}

/// The files of one job, made again: their bytes are not kept in the store
/// (the IR, the settings and the code are; generation is deterministic and
/// costs less than storing 40 000 files' bytes on every cold build). For
/// files missing from the output folder of a reused job, and for the LLM's
/// drafts. Returns (blob hash, bytes) per file.
pub fn regenerate(
    ctx: &crate::engine::Ctx,
    ir: &EntityHash,
    category: Option<Category>,
    strategy: Strategy,
    stem: &str,
) -> Option<Vec<(Hash, Vec<u8>)>> {
    let entity = load_ir(ctx, ir)?;
    let generated = generate(ctx, &entity, category, strategy, stem);
    if generated.problem.is_some() {
        return None;
    }
    Some(
        generated
            .files
            .into_iter()
            .map(|(_, bytes)| (*blake3::hash(&bytes).as_bytes(), bytes))
            .collect(),
    )
}

/// What a generator made for one job: files (path template, bytes) and notes.
#[derive(Default)]
struct Generated {
    files: Vec<(String, Vec<u8>)>,
    problem: Option<String>,
    todos: Vec<(String, String)>,
    warnings: Vec<String>,
}

/// A job's generated files listed by hash, and each written to the output
/// folder at once (see `materialize::write_early`) while its bytes are here.
fn listed(ctx: &crate::engine::Ctx, generated: Generated, stem: &str) -> ArtifactSet {
    let files = generated
        .files
        .into_iter()
        .map(|(path, bytes)| {
            let blob = *blake3::hash(&bytes).as_bytes();
            write_early(ctx, &path.replace("{stem}", stem), &blob, &bytes);
            Artifact { path, blob }
        })
        .collect();
    ArtifactSet {
        files,
        problem: generated.problem,
        todos: generated.todos,
        warnings: generated.warnings,
    }
}

fn generate(
    ctx: &crate::engine::Ctx,
    entity: &crate::ir::Entity,
    category: Option<Category>,
    strategy: Strategy,
    stem: &str,
) -> Generated {
    let Some(job) = entity.as_job() else {
        return Generated::default();
    };
    let mut out = Generated::default();
    match serde_json::to_vec_pretty(&JobCard::of(job)) {
        Ok(mut json) => {
            json.push(b'\n');
            out.files.push(("jobs/{stem}.json".to_string(), json));
        }
        Err(e) => {
            out.problem = Some(e.to_string());
            return out;
        }
    }
    let Some(target) = ctx.target() else {
        return out;
    };
    let made = target.job_files(
        job,
        &crate::generate::target::JobSpec {
            category,
            strategy,
            stem,
        },
    );
    out.files.extend(made.files);
    out.todos = made
        .todos
        .into_iter()
        .map(|t| (t.location, t.what))
        .collect();
    out.warnings = made.warnings;
    out
}

/// A job at a glance: the shape of the job card file.
#[derive(Serialize)]
struct JobCard<'a> {
    name: &'a str,
    folder: &'a str,
    kind: &'a str,
    description: &'a str,
    parameters: Vec<CardParam<'a>>,
    stages: Vec<CardStage<'a>>,
    links: Vec<CardLink<'a>>,
    annotations: &'a [String],
}

#[derive(Serialize)]
struct CardParam<'a> {
    name: &'a str,
    param_type: String,
    default: &'a str,
}

#[derive(Serialize)]
struct CardStage<'a> {
    id: &'a str,
    name: &'a str,
    stage_type: &'a str,
}

#[derive(Serialize)]
struct CardLink<'a> {
    name: &'a str,
    from: &'a str,
    to: Option<&'a str>,
    kind: &'a str,
    columns: Vec<&'a str>,
}

impl<'a> JobCard<'a> {
    fn of(job: &'a crate::ir::Job) -> JobCard<'a> {
        let stage_name = |id: &str| job.stage(id).map(|s| s.name.as_str());
        JobCard {
            name: &job.name,
            folder: &job.folder,
            kind: job.kind.as_str(),
            description: &job.description,
            parameters: job
                .parameters
                .iter()
                .map(|p| CardParam {
                    name: &p.name,
                    param_type: format!("{:?}", p.param_type),
                    default: &p.default,
                })
                .collect(),
            stages: job
                .stages
                .iter()
                .map(|s| CardStage {
                    id: &s.id,
                    name: &s.name,
                    stage_type: &s.stage_type,
                })
                .collect(),
            links: job
                .links
                .iter()
                .map(|l| CardLink {
                    name: &l.name,
                    from: stage_name(&l.from_stage).unwrap_or(&l.from_stage),
                    to: l.to_stage.as_deref().map(|t| stage_name(t).unwrap_or(t)),
                    kind: l.kind.as_str(),
                    columns: l.columns.iter().map(|c| c.name.as_str()).collect(),
                })
                .collect(),
            annotations: &job.annotations,
        }
    }
}
