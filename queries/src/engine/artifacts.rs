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

use crate::engine::Phase;
use crate::engine::db::Db;
use crate::engine::job_ir::load_ir;
use crate::engine::materialize::write_early;
use crate::ir::EntityHash;
use crate::store::{Hash, decode, encode};

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
    #[returns(ref)]
    pub category: String,
    #[returns(ref)]
    pub strategy: String,
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

/// The store key of a job's artifacts.
pub fn memo_key(
    ctx: &crate::engine::Ctx,
    ir: &EntityHash,
    category: &str,
    strategy: &str,
    stem: &str,
) -> Hash {
    // Each target's key holds its own settings only: changing the SQL
    // dialect does not touch Glue artifacts' keys, nor the reverse.
    let settings = if ctx.target == "sql" {
        encode(&ctx.sql)
    } else {
        encode(&ctx.glue)
    };
    let templates: &[u8] = if ctx.target == "sql" {
        &[]
    } else {
        &ctx.templates().fingerprint
    };
    ctx.memo_key(
        Phase::Artifacts,
        &[
            &ir.0,
            ctx.target.as_bytes(),
            category.as_bytes(),
            strategy.as_bytes(),
            stem.as_bytes(),
            &settings,
            templates,
        ],
    )
}

/// The SQL generator's settings of this run.
pub fn sql_context(ctx: &crate::engine::Ctx) -> crate::generate::sql::SqlContext {
    crate::generate::sql::SqlContext {
        config: ctx.sql.clone(),
        dialect: crate::generate::sql::parse_dialect(&ctx.sql.dialect).unwrap_or_default(),
        category: String::new(),
        strategy: String::new(),
        stem: None,
    }
}

/// How a job is generated, from its category and group: a non-template
/// member of a group is a variation of its template's translation.
pub fn strategy(
    category: Option<crate::analysis::predict::Category>,
    membership: Option<&crate::analysis::groups::Membership>,
    llm_configured: bool,
) -> String {
    use crate::analysis::predict::Category;
    let grouped =
        membership.is_some_and(|m| (m.dup.is_some() || m.sim.is_some()) && !m.is_template);
    match category {
        _ if grouped => "template variation".into(),
        Some(Category::Auto) | None => "rule-based".into(),
        Some(_) if llm_configured => "LLM".into(),
        Some(_) => "rule-based draft".into(),
    }
}

#[salsa::tracked(returns(ref))]
pub fn artifacts<'db>(db: &'db dyn Db, job: ArtifactKey<'db>) -> ArtifactSet {
    let ctx = db.ctx();
    let ir = job.ir(db);
    let category = job.category(db).clone();
    let strategy = job.strategy(db).clone();
    let stem = job.stem(db).clone();
    let key = memo_key(ctx, &ir, &category, &strategy, &stem);
    if let Ok(Some(bytes)) = ctx.store.memo(&key)
        && let Some(r) = decode::<ArtifactSet>(&bytes)
    {
        ctx.counters.reused(Phase::Artifacts);
        return r;
    }
    ctx.counters.computed(Phase::Artifacts);
    // A plan generates too (in memory: the output folder is not set, the
    // store is not written): how it knows which files a build would write.
    let result = match load_ir(ctx, &ir) {
        Some(entity) => {
            let generated = generate(ctx, &entity, &category, &strategy, &stem);
            listed(ctx, generated, &stem)
        }
        None => ArtifactSet {
            problem: Some(format!("IR {} is missing from the store", ir.short())),
            ..ArtifactSet::default()
        },
    };
    if result.problem.is_none() && !ctx.dry_run {
        let _ = ctx.store.put_memo(&key, encode(&result));
    }
    result
}

/// The files of one job, made again: their bytes are not kept in the store
/// (the IR, the settings and the code are; generation is deterministic and
/// costs less than storing 40 000 files' bytes on every cold build). For
/// files missing from the output folder of a reused job, and for the LLM's
/// drafts. Returns (blob hash, bytes) per file.
pub fn regenerate(
    ctx: &crate::engine::Ctx,
    ir: &EntityHash,
    category: &str,
    strategy: &str,
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
    category: &str,
    strategy: &str,
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
    let made = match ctx.target.as_str() {
        "glue" => crate::generate::glue_job_files_with(
            job,
            &crate::generate::GlueContext {
                config: ctx.glue.clone(),
                category: category.to_string(),
                strategy: strategy.to_string(),
                reasons: Vec::new(),
                stem: Some(stem.to_string()),
            },
            ctx.templates(),
        ),
        "sql" => crate::generate::sql::sql_job_files(
            job,
            &crate::generate::sql::SqlContext {
                category: category.to_string(),
                strategy: strategy.to_string(),
                stem: Some(stem.to_string()),
                ..sql_context(ctx)
            },
        ),
        _ => return out,
    };
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
