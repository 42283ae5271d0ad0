//! One run of the graph: `dsmig build` (compute, store, write) and
//! `dsmig plan` (the same walk with writes off).

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use crate::analysis::complexity::Complexity;
use crate::analysis::features::Features;
use crate::analysis::lineage::JobIo;
use crate::analysis::predict::Prediction;
use crate::engine::analysis::{self, EstateResult};
use crate::engine::artifacts::{
    ArtifactKey, JobKey, artifacts, memo_key as artifact_memo_key, regenerate, strategy,
};
use crate::engine::db::{Ctx, Database, lock};
use crate::engine::job_ir::{EntityRef, JobIr, Slice, job_ir};
use crate::engine::materialize::{self, FileCounts};
use crate::engine::query::Query;
use crate::engine::source::{SourceFile, content_hash};
use crate::engine::split::{Split, split};
use crate::engine::summary::{JobChange, JobCounts, JobRecord, RunRecord, RunSummary};
use crate::engine::{Phase, summary};
use crate::generate::target::{Category, Strategy, TargetKind, category_str};
use crate::ir::{EntityHash, Location};
use crate::parse::Limits;
use crate::parse::diag::{Diagnostic, Severity};
use crate::parse::input::collect_files;
use crate::store::{Hash, Store, decode, encode};

pub struct Request {
    pub paths: Vec<PathBuf>,
    pub output_dir: PathBuf,
    pub limits: Limits,
    pub dry_run: bool,
    pub target: String,
    pub bumps: BTreeMap<Phase, u32>,
    pub prediction: crate::config::PredictionConfig,
    /// Keep every job's features and complexity in the outcome (explain,
    /// report) even where the stored estate-wide results make them unneeded.
    pub load_all: bool,
    /// `[glue]` settings.
    pub glue: crate::config::GlueConfig,
    /// `[sql]` settings, the dialect resolved (`--dialect`).
    pub sql: crate::config::SqlConfig,
    /// Whether an LLM provider is configured (changes non-AUTO strategies).
    pub llm_configured: bool,
    /// `generation.templates_dir`: templates overriding the embedded ones.
    pub templates_dir: Option<PathBuf>,
    /// `build --force`: overwrite generated files edited by hand (else the
    /// new version goes beside them as `<file>.dsmig-new`).
    pub force: bool,
    /// `--only`: generate only these jobs (by name); the others keep their files.
    pub only: Option<Vec<String>>,
    /// LLM settings (provider, budget, `--no-llm`); the default uses none.
    pub llm: crate::engine::llm::LlmOptions,
}

/// An entity of this run, located in its file.
#[derive(Debug, Clone)]
pub struct Found {
    pub entity: EntityRef,
    pub location: Location,
    pub file_content: Hash,
}

/// What one file gave: its entities, its problems, its slices' keys.
struct FileResult {
    file: SourceFile,
    found: Vec<Found>,
    diags: Vec<Diagnostic>,
    slices: Vec<Hash>,
}

pub struct Outcome {
    pub summary: RunSummary,
    pub found: Vec<Found>,
    pub estate: EstateResult,
}

/// Progress callbacks: bytes of input done (of a known total).
pub trait Progress: Sync {
    fn total(&self, _bytes: u64) {}
    fn advance(&self, _bytes: u64) {}
}

pub struct NoProgress;
impl Progress for NoProgress {}

/// `DSMIG_TIMINGS=1`: wall time of each stage of a run on stderr (for
/// profiling; the summary stays the same).
struct Timings(Option<std::time::Instant>);

impl Timings {
    fn new() -> Timings {
        Timings(std::env::var_os("DSMIG_TIMINGS").map(|_| std::time::Instant::now()))
    }
    fn mark(&mut self, what: &str) {
        if let Some(t) = self.0 {
            let hwm = peak_rss_kb().map_or(String::new(), |kb| format!("{kb} kB"));
            eprintln!(
                "dsmig-timing: {what:<14} {:>8.2} s  (peak RSS so far {hwm})",
                t.elapsed().as_secs_f64()
            );
            self.0 = Some(std::time::Instant::now());
        }
    }
}

/// The process's peak resident set size so far (VmHWM, Linux only).
pub fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches(" kB")
        .parse()
        .ok()
}

pub fn run(store: Arc<Store>, req: &Request, progress: &dyn Progress) -> Result<Outcome, String> {
    let mut timings = Timings::new();
    let mut ctx = Ctx::new(store.clone(), req.limits, req.dry_run);
    ctx.target = TargetKind::from_name(&req.target);
    ctx.bumps = req.bumps.clone();
    ctx.prediction = req.prediction.clone();
    ctx.glue = req.glue.clone();
    ctx.sql = req.sql.clone();
    ctx.outputs_scope = crate::store::outputs_scope(&req.output_dir, &req.target);
    ctx.force = req.force;
    if !req.dry_run {
        ctx.output_dir = Some(req.output_dir.clone());
    }
    if let Some(dir) = &req.templates_dir {
        ctx.templates = Some(Arc::new(crate::generate::templates::Templates::load(
            Some(dir),
        )?));
    }
    let ctx = Arc::new(ctx);
    let db = Database::new(ctx.clone());

    let (files, mut diagnostics) = collect_files(&req.paths);
    let sizes: Vec<u64> = files
        .iter()
        .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
        .collect();
    progress.total(sizes.iter().sum());

    // Content hashes (stat cache first), then the salsa inputs.
    let hashed: Vec<(String, Result<Hash, String>)> = files
        .par_iter()
        .map(|f| {
            let name = f.display().to_string();
            let h = content_hash(f, &name, &store, req.dry_run);
            (name, h)
        })
        .collect();
    let mut sources = Vec::new();
    for (name, h) in hashed {
        match h {
            Ok(content) => sources.push(SourceFile::new(&db, name, content)),
            Err(why) => diagnostics.push(Diagnostic::error(
                Location {
                    file: name,
                    line: None,
                    member: None,
                },
                "a readable file",
                why,
            )),
        }
    }
    let size_of: HashMap<String, u64> = files
        .iter()
        .zip(&sizes)
        .map(|(f, s)| (f.display().to_string(), *s))
        .collect();

    // split, then job_ir per slice: files in parallel, each worker with
    // its own database handle.
    let per_file: Vec<FileResult> = sources
        .par_iter()
        .map_with(db.clone(), |db, &file| {
            let path = file.path(db).clone();
            let content = file.content(db);
            let split = split(db, file).clone();
            let mut found = Vec::new();
            let mut diags: Vec<Diagnostic> = split
                .diagnostics
                .iter()
                .cloned()
                .map(|d| relocate(d, &path, 0))
                .collect();
            let mut slice_keys = Vec::new();
            for s in &split.slices {
                let slice = Slice::new(db, s.slice, file);
                let r = job_ir(db, slice);
                slice_keys.push(s.slice);
                for d in &r.diagnostics {
                    diags.push(relocate(d.clone(), &path, s.base));
                }
                for e in &r.entities {
                    found.push(Found {
                        entity: e.clone(),
                        location: Location {
                            file: path.clone(),
                            line: e.line.map(|l| l + s.base),
                            member: e.member.clone(),
                        },
                        file_content: content,
                    });
                }
            }
            progress.advance(size_of.get(&path).copied().unwrap_or(0));
            FileResult {
                file,
                found,
                diags,
                slices: slice_keys,
            }
        })
        .collect();

    let mut found: Vec<Found> = Vec::new();
    // Paths left out while listing (a FIFO, a device) count as skipped files.
    let mut skipped = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Skipped)
        .count() as u64;
    let mut with_errors = 0;
    let mut memo_keys: Vec<Hash> = Vec::new();
    for FileResult {
        file,
        found: f,
        diags: d,
        slices,
    } in per_file
    {
        if d.iter().any(|x| x.severity == Severity::Skipped) {
            skipped += 1;
        }
        if d.iter().any(|x| x.severity == Severity::Error) {
            with_errors += 1;
        }
        let content = file.content(&db);
        memo_keys.push(Split { content, path: "" }.key(&ctx));
        memo_keys.extend(slices.iter().map(|s| JobIr { slice: *s }.key(&ctx)));
        found.extend(f);
        diagnostics.extend(d);
    }
    found.sort_by(|a, b| {
        a.location
            .cmp(&b.location)
            .then_with(|| a.entity.name.cmp(&b.entity.name))
    });
    diagnostics.sort();

    timings.mark("read");
    // Jobs, their identities and what changed since the last run.
    let jobs: Vec<&Found> = found.iter().filter(|f| f.entity.kind == "job").collect();
    let mut records = job_records(&jobs);
    let previous = previous_jobs(&store);
    let (counts, mut changes) = compare(&records, &previous);
    describe_changes(&ctx, &records, &previous, &mut changes);

    let mut distinct: Vec<EntityHash> = jobs.iter().map(|j| j.entity.ir).collect();
    distinct.sort();
    distinct.dedup();

    // Analysis: per job, then over all jobs.
    // Slices' results are all read: free them before the analyses.
    lock(&ctx.fresh_ir).clear();
    let estate = analyse(&db, &ctx, &jobs, &distinct, &mut memo_keys, req.load_all);
    lock(&ctx.fresh).clear();

    timings.mark("analysis");
    // File names: one per distinct (name, IR), unique ignoring case.
    let mut named: Vec<(String, String)> = jobs
        .iter()
        .map(|j| (j.entity.name.clone(), j.entity.ir.hex()))
        .collect();
    named.sort();
    named.dedup();
    let stems = materialize::stems(&named);
    let stem_of_ir: HashMap<String, &String> = named
        .iter()
        .zip(&stems)
        .map(|((_, h), s)| (h.clone(), s))
        .collect();

    // artifacts per distinct job IR, with its category, strategy and file name.
    // `--only`: generate the named jobs; the others keep the files they have.
    let selected: Option<std::collections::HashSet<EntityHash>> = req.only.as_ref().map(|names| {
        jobs.iter()
            .filter(|j| names.contains(&j.entity.name))
            .map(|j| j.entity.ir)
            .collect()
    });
    let plan: Vec<(EntityHash, Option<Category>, Strategy)> = distinct
        .iter()
        .filter(|ir| selected.as_ref().is_none_or(|s| s.contains(ir)))
        .map(|ir| {
            let p = estate.predictions.get(ir);
            let m = estate
                .grouping
                .as_ref()
                .and_then(|g| g.membership.get(&ir.hex()));
            let category = p.map(|p| p.category);
            (*ir, category, strategy(category, m, req.llm_configured))
        })
        .collect();
    let stem_for = |ir: &EntityHash| {
        stem_of_ir
            .get(&ir.hex())
            .map(|s| s.to_string())
            .unwrap_or_default()
    };
    let mut sets: HashMap<EntityHash, crate::engine::artifacts::ArtifactSet> = plan
        .par_iter()
        .map_with(db.clone(), |db, (ir, category, strategy)| {
            let key = ArtifactKey::new(db, *ir, *category, *strategy, stem_for(ir));
            (*ir, artifacts(db, key).clone())
        })
        .collect();
    memo_keys.extend(
        plan.iter()
            .map(|(ir, c, s)| artifact_memo_key(&ctx, ir, *c, *s, &stem_for(ir))),
    );
    for (ir, set) in &sets {
        if let Some(p) = &set.problem {
            diagnostics.push(Diagnostic::error(
                Location::default(),
                "generated files for every job",
                format!("job IR {}: {p}", ir.short()),
            ));
        }
    }

    // The LLM completes what rules left open (a plan: estimates its calls).
    // (A target name no target has makes job cards only: nothing to complete.)
    let target = ctx.target();
    let llm = match &target {
        None => Default::default(),
        Some(target) => crate::engine::llm::run(
            &db,
            &ctx,
            target.as_ref(),
            &req.llm,
            &plan,
            &jobs,
            &stem_for,
            &estate,
            &mut sets,
            &mut memo_keys,
        )?,
    };
    drop(target);

    timings.mark("artifacts+llm");
    // Outputs: one file set per distinct (name, IR).
    let mut wanted: BTreeMap<String, Hash> = BTreeMap::new();
    let mut outputs_of: HashMap<(String, EntityHash), Vec<String>> = HashMap::new();
    for ((name, hex), stem) in named.iter().zip(&stems) {
        let Some(ir) = EntityHash::from_hex(hex) else {
            continue;
        };
        if let Some(set) = sets.get(&ir) {
            for a in &set.files {
                let path = a.path.replace("{stem}", stem);
                wanted.insert(path.clone(), a.blob);
                outputs_of.entry((name.clone(), ir)).or_default().push(path);
            }
        }
    }
    if let Some(sel) = &selected {
        // The other jobs keep the files this folder and target recorded,
        // but for those the last run attributed to a selected job (made
        // again above) or to a job that left the inputs. The last run may
        // have been another target's or folder's: then nothing of this
        // scope is attributed and everything is kept.
        let previous_outputs = ctx.previous_outputs()?;
        let mut dropped: std::collections::HashSet<&String> = Default::default();
        for r in previous.as_deref().unwrap_or_default() {
            if sel.contains(&r.ir) || !records.iter().any(|n| n.id == r.id) {
                dropped.extend(&r.outputs);
            }
        }
        for (path, h) in previous_outputs {
            if !dropped.contains(path) && !path.ends_with(materialize::NEW_SUFFIX) {
                wanted.entry(path.clone()).or_insert(*h);
            }
        }
    }
    if ctx.target.is_some() {
        target_files(
            &ctx,
            &jobs,
            &named,
            &stems,
            &sets,
            &plan,
            &mut wanted,
            &mut outputs_of,
        );
    }
    for (r, j) in records.iter_mut().zip(&jobs) {
        r.outputs = outputs_of
            .get(&(j.entity.name.clone(), j.entity.ir))
            .cloned()
            .unwrap_or_default();
    }
    timings.mark("target");
    let files = if req.dry_run {
        plan_files(
            &store,
            &req.output_dir,
            &wanted,
            ctx.previous_outputs()?,
            ctx.sibling_outputs(),
        )
    } else {
        store.flush().map_err(|e| e.to_string())?;
        let mut job_of = HashMap::new();
        for (i, (ir, _, _)) in plan.iter().enumerate() {
            for a in sets.get(ir).map_or(&[][..], |s| &s.files) {
                job_of.insert(a.blob, i);
            }
        }
        let files_of = |i: usize| {
            let (ir, category, strategy) = plan.get(i)?;
            regenerate(&ctx, ir, *category, *strategy, &stem_for(ir))
        };
        let regenerate = materialize::Regenerate {
            job_of,
            files_of: &files_of,
        };
        let early = lock(&ctx.written_early);
        materialize::materialize(
            &store,
            &ctx.outputs_scope,
            req.force,
            &req.output_dir,
            &wanted,
            ctx.previous_outputs()?,
            ctx.sibling_outputs(),
            &early,
            &regenerate,
            &ctx.writer,
        )?
    };

    timings.mark("materialize");
    let mut blobs: Vec<Hash> = found.iter().map(|f| f.entity.ir.0).collect();
    blobs.extend(estate.blobs.iter().copied());
    blobs.extend(wanted.values().copied());
    blobs.sort();
    blobs.dedup();
    memo_keys.sort();
    memo_keys.dedup();

    let summary = RunSummary {
        format_version: summary::FORMAT_VERSION,
        kind: if req.dry_run { "plan" } else { "build" }.to_string(),
        inputs: summary::InputCounts {
            files: files_count(&req.paths),
            bytes: sizes.iter().sum(),
            skipped,
            with_errors,
        },
        jobs: counts,
        phases: Phase::ALL
            .iter()
            .map(|p| (p.name().to_string(), ctx.counters.get(*p)))
            .collect(),
        llm,
        files,
        output_dir: req.output_dir.display().to_string(),
        changes,
        categories: category_counts(&estate, &jobs),
        duplicate_groups: estate
            .grouping
            .as_ref()
            .map_or(0, |g| g.duplicates.len() as u64),
        similarity_clusters: estate
            .grouping
            .as_ref()
            .map_or(0, |g| g.clusters.len() as u64),
        families: estate
            .grouping
            .as_ref()
            .map_or(0, |g| g.families.len() as u64),
        waves: estate.lineage.waves.len() as u64,
        errors: diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count() as u64,
        warnings: diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count() as u64,
        diagnostics,
    };
    if !req.dry_run {
        let record = RunRecord {
            summary: summary.clone(),
            inputs: req.paths.iter().map(|p| p.display().to_string()).collect(),
            jobs: records,
            memo_keys,
            blobs,
        };
        store.add_run(&encode(&record)).map_err(|e| e.to_string())?;
    }
    // Results computed in this run are no longer needed in memory.
    lock(&ctx.fresh_ir).clear();
    Ok(Outcome {
        summary,
        found,
        estate,
    })
}

fn analyse(
    db: &Database,
    ctx: &Ctx,
    jobs: &[&Found],
    distinct: &[EntityHash],
    memo_keys: &mut Vec<Hash>,
    load_all: bool,
) -> EstateResult {
    for ir in distinct {
        memo_keys.extend(analysis::per_job_keys(ctx, ir));
    }
    let mut out = EstateResult::default();
    // What each job reads and writes: small, needed for the lineage of all.
    let ios: Vec<(EntityHash, Option<JobIo>)> = distinct
        .par_iter()
        .map_with(db.clone(), |db, ir| {
            (*ir, analysis::lineage(db, JobKey::new(db, *ir)).clone())
        })
        .collect();
    out.io = ios
        .into_iter()
        .filter_map(|(ir, io)| io.map(|io| (ir, io)))
        .collect();

    let load_features = || -> Vec<(EntityHash, Features)> {
        distinct
            .par_iter()
            .map_with(db.clone(), |db, ir| {
                (*ir, analysis::features(db, JobKey::new(db, *ir)).clone())
            })
            .filter_map(|(ir, f)| f.map(|f| (ir, f)))
            .collect()
    };
    let (grouping, key, blob) =
        analysis::groups(ctx, distinct, ctx.prediction.similarity_threshold, || {
            let f = load_features();
            if load_all {
                out.features = f.iter().cloned().collect();
            }
            f
        });
    memo_keys.push(key);
    out.blobs.push(blob);
    if load_all && out.features.is_empty() {
        out.features = load_features().into_iter().collect();
    }
    let predictions: Vec<(EntityHash, Option<Prediction>, Hash)> = distinct
        .par_iter()
        .map_with(db.clone(), |db, ir| {
            let (p, key) = analysis::prediction(
                ctx,
                ir,
                grouping.membership.get(&ir.hex()),
                &ctx.prediction,
                || analysis::complexity(db, JobKey::new(db, *ir)).clone(),
            );
            (*ir, p, key)
        })
        .collect();
    for (ir, p, key) in predictions {
        memo_keys.push(key);
        if let Some(p) = p {
            out.predictions.insert(ir, p);
        }
    }
    if load_all {
        let all: Vec<(EntityHash, Option<Complexity>)> = distinct
            .par_iter()
            .map_with(db.clone(), |db, ir| {
                (*ir, analysis::complexity(db, JobKey::new(db, *ir)).clone())
            })
            .collect();
        out.complexity = all
            .into_iter()
            .filter_map(|(ir, c)| c.map(|c| (ir, c)))
            .collect();
    }
    out.grouping = Some(grouping);
    let mut names: HashMap<EntityHash, &str> = HashMap::new();
    for j in jobs {
        names.entry(j.entity.ir).or_insert(j.entity.name.as_str());
    }
    let ios: Vec<(EntityHash, String, JobIo)> = out
        .io
        .iter()
        .map(|(ir, io)| {
            (
                *ir,
                names.get(ir).copied().unwrap_or("").to_string(),
                io.clone(),
            )
        })
        .collect();
    let (lineage, wave_of) = analysis::estate_lineage(&ios);
    out.lineage = lineage;
    out.wave_of = wave_of;
    out
}

fn category_counts(estate: &EstateResult, jobs: &[&Found]) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for j in jobs {
        if let Some(p) = estate.predictions.get(&j.entity.ir) {
            *out.entry(p.category.as_str().to_string()).or_insert(0) += 1;
        }
    }
    out
}

fn files_count(paths: &[PathBuf]) -> u64 {
    collect_files(paths).0.len() as u64
}

/// Files of the target that are not one job's: the shared Glue files
/// (test fixtures, awsglue stand-in, Terraform variables and provider),
/// the state machines of sequences (they need every job's file name), and
/// `generation_report.json`. Cheap and deterministic: made every run,
/// written only when their bytes change.
#[allow(clippy::too_many_arguments)]
fn target_files(
    ctx: &Ctx,
    jobs: &[&Found],
    named: &[(String, String)],
    stems: &[String],
    sets: &HashMap<EntityHash, crate::engine::artifacts::ArtifactSet>,
    plan: &[(EntityHash, Option<Category>, Strategy)],
    wanted: &mut BTreeMap<String, Hash>,
    outputs_of: &mut HashMap<(String, EntityHash), Vec<String>>,
) {
    // A plan only needs the hashes: it writes nothing, not even to the store.
    let put = |path: String, bytes: &[u8], wanted: &mut BTreeMap<String, Hash>| {
        if ctx.dry_run {
            wanted.insert(path, *blake3::hash(bytes).as_bytes());
        } else if let Ok(h) = ctx.store.put_blob(bytes) {
            wanted.insert(path, h);
        }
    };
    let Some(target) = ctx.target() else {
        return;
    };
    for (path, bytes) in target.shared_files() {
        put(path, &bytes, wanted);
    }
    let stem_of: HashMap<(&str, &str), &str> = named
        .iter()
        .zip(stems)
        .map(|((n, h), s)| ((n.as_str(), h.as_str()), s.as_str()))
        .collect();
    let sequence_irs: std::collections::HashSet<String> = jobs
        .iter()
        .filter(|j| j.entity.job_kind == Some(crate::ir::JobKind::Sequence))
        .map(|j| j.entity.ir.hex())
        .collect();
    let job_refs: Vec<crate::generate::target::JobRef> = named
        .iter()
        .zip(stems)
        .map(|((n, h), s)| crate::generate::target::JobRef {
            name: n.clone(),
            stem: s.clone(),
            sequence: sequence_irs.contains(h),
        })
        .collect();
    // Sequences' workflows, made on every core (each loads its IR).
    type Files = Vec<(String, Vec<u8>)>;
    let sequences: Vec<(&Found, &str, Files)> = jobs
        .par_iter()
        .filter(|j| j.entity.job_kind == Some(crate::ir::JobKind::Sequence))
        .filter_map(|j| {
            let hex = j.entity.ir.hex();
            let stem = *stem_of.get(&(j.entity.name.as_str(), hex.as_str()))?;
            let entity = crate::engine::job_ir::load_ir(ctx, &j.entity.ir)?;
            let job = entity.as_job()?;
            let files = target.sequence_files(job, stem, &job_refs);
            Some((*j, stem, files))
        })
        .collect();
    for (j, stem, files) in sequences {
        for (path, bytes) in files {
            let path = path.replace("{stem}", stem);
            outputs_of
                .entry((j.entity.name.clone(), j.entity.ir))
                .or_default()
                .push(path.clone());
            put(path, &bytes, wanted);
        }
    }
    // generation_report.json: per job and in total. Serialised from
    // borrowed rows (a JSON value tree of 9000 jobs' TODOs and files was the
    // build's peak of memory). Fields in alphabetical order, as before.
    #[derive(serde::Serialize)]
    struct FileRow {
        blake3: String,
        path: String,
    }
    #[derive(serde::Serialize)]
    struct TodoRow<'a> {
        location: &'a str,
        what: &'a str,
    }
    #[derive(serde::Serialize)]
    struct JobRow<'a> {
        category: &'a str,
        files: Vec<FileRow>,
        /// The job's category is AUTO but this target left TODOs (a rule
        /// the target lacks): reported as SEMI-AUTO here, never as AUTO.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        target_gaps: bool,
        ir: &'a str,
        job: &'a str,
        strategy: &'a str,
        todos: Vec<TodoRow<'a>>,
        warnings: &'a [String],
    }
    #[derive(serde::Serialize)]
    struct Report<'a> {
        format_version: u32,
        jobs: Vec<JobRow<'a>>,
        target: String,
        totals: BTreeMap<String, u64>,
    }
    let by_ir: HashMap<&EntityHash, (Option<Category>, Strategy)> =
        plan.iter().map(|(ir, c, s)| (ir, (*c, *s))).collect();
    let mut rows = Vec::new();
    let mut totals: BTreeMap<String, u64> = BTreeMap::new();
    for ((name, hex), stem) in named.iter().zip(stems) {
        let Some(ir) = EntityHash::from_hex(hex) else {
            continue;
        };
        let (category, strategy) = by_ir.get(&ir).map_or(("unknown", "rule-based"), |(c, s)| {
            (category_str(*c), s.as_str())
        });
        let set = sets.get(&ir);
        let files: Vec<FileRow> = set
            .map(|s| {
                s.files
                    .iter()
                    .map(|a| FileRow {
                        path: a.path.replace("{stem}", stem),
                        blake3: hex_of(&a.blob),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let todos: Vec<TodoRow> = set
            .map(|s| {
                s.todos
                    .iter()
                    .map(|(l, w)| TodoRow {
                        location: l,
                        what: w,
                    })
                    .collect()
            })
            .unwrap_or_default();
        // AUTO is a promise per target: a target that could not translate
        // everything (its TODOs) does not call the job AUTO.
        let target_gaps = category == "AUTO" && !todos.is_empty();
        let category = if target_gaps { "SEMI-AUTO" } else { category };
        *totals.entry(category.to_string()).or_insert(0) += 1;
        *totals.entry("files".into()).or_insert(0) += files.len() as u64;
        *totals.entry("todos".into()).or_insert(0) += todos.len() as u64;
        rows.push(JobRow {
            job: name,
            ir: hex,
            category,
            strategy,
            files,
            target_gaps,
            todos,
            warnings: set.map_or(&[][..], |s| s.warnings.as_slice()),
        });
    }
    totals.insert("jobs".into(), rows.len() as u64);
    let _ = jobs;
    let report = Report {
        format_version: 1,
        target: target.label(),
        totals,
        jobs: rows,
    };
    if let Ok(mut text) = serde_json::to_vec_pretty(&report) {
        text.push(b'\n');
        put(target.report_file().into(), &text, wanted);
    }
}

fn hex_of(h: &Hash) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}

/// Put a stored diagnostic back in its file, at its absolute line.
fn relocate(mut d: Diagnostic, path: &str, base: u64) -> Diagnostic {
    d.location.file = path.to_string();
    d.location.line = d.location.line.map(|l| l + base);
    d
}

fn job_records(jobs: &[&Found]) -> Vec<JobRecord> {
    let mut seen: HashMap<&str, u32> = HashMap::new();
    jobs.iter()
        .map(|j| {
            let n = seen.entry(j.entity.name.as_str()).or_insert(0);
            *n += 1;
            let id = if *n == 1 {
                j.entity.name.clone()
            } else {
                format!("{}#{}", j.entity.name, n)
            };
            JobRecord {
                id,
                ir: j.entity.ir,
                file: j.location.file.clone(),
                file_content: j.file_content,
                line: j.location.line,
                outputs: Vec::new(),
            }
        })
        .collect()
}

fn previous_jobs(store: &Store) -> Option<Vec<JobRecord>> {
    let (_, bytes) = store.last_run().ok()??;
    decode::<RunRecord>(&bytes).map(|r| r.jobs)
}

fn compare(now: &[JobRecord], previous: &Option<Vec<JobRecord>>) -> (JobCounts, Vec<JobChange>) {
    let empty = Vec::new();
    let prev: HashMap<&str, &JobRecord> = previous
        .as_ref()
        .unwrap_or(&empty)
        .iter()
        .map(|r| (r.id.as_str(), r))
        .collect();
    let mut counts = JobCounts {
        total: now.len() as u64,
        ..JobCounts::default()
    };
    let mut changes = Vec::new();
    for r in now {
        match prev.get(r.id.as_str()) {
            None => {
                counts.new += 1;
                changes.push(JobChange {
                    job: r.id.clone(),
                    status: "new".into(),
                    reason: if previous.is_none() {
                        "no previous build in this store".into()
                    } else {
                        "not in the previous build".into()
                    },
                    file: r.file.clone(),
                });
            }
            Some(p) if p.ir == r.ir => counts.unchanged += 1,
            Some(p) => {
                counts.changed += 1;
                let reason = if p.file != r.file {
                    format!(
                        "now read from {} (was {}); its design differs",
                        r.file, p.file
                    )
                } else if p.file_content != r.file_content {
                    format!(
                        "input {} changed (content {} → {}); this job's design differs",
                        r.file,
                        short(&p.file_content),
                        short(&r.file_content)
                    )
                } else {
                    "its IR differs (dsmig's reading of the same bytes changed)".into()
                };
                changes.push(JobChange {
                    job: r.id.clone(),
                    status: "changed".into(),
                    reason,
                    file: r.file.clone(),
                });
            }
        }
    }
    let ids: std::collections::HashSet<&str> = now.iter().map(|r| r.id.as_str()).collect();
    for p in previous.as_ref().unwrap_or(&empty) {
        if !ids.contains(p.id.as_str()) {
            counts.removed += 1;
            changes.push(JobChange {
                job: p.id.clone(),
                status: "removed".into(),
                reason: format!("no longer in the inputs (was in {})", p.file),
                file: p.file.clone(),
            });
        }
    }
    (counts, changes)
}

fn short(h: &Hash) -> String {
    h.iter().take(4).map(|b| format!("{b:02x}")).collect()
}

/// For a plan: files that would be written (changed or not yet generated),
/// edited by hand (their new version would go beside them), and deleted,
/// without touching anything; counted as `materialize` counts what it does.
fn plan_files(
    store: &Store,
    output_dir: &std::path::Path,
    wanted: &BTreeMap<String, Hash>,
    previous: &HashMap<String, Hash>,
    siblings: &HashMap<String, Vec<Hash>>,
) -> FileCounts {
    use crate::engine::source::has_content;
    let mut counts = FileCounts::default();
    let mut beside = std::collections::HashSet::new();
    for (rel, blob) in wanted {
        let target = output_dir.join(rel);
        let recorded = previous.get(rel);
        let on_disk = has_content(&target, blob, store, false);
        if recorded == Some(blob) && on_disk {
            counts.unchanged += 1;
        } else if materialize::edited_by_hand(
            &target,
            recorded,
            blob,
            siblings.get(rel),
            store,
            false,
        ) {
            counts.edited.push(rel.clone());
            let side = materialize::beside(rel);
            if previous.get(&side) == Some(blob)
                && has_content(&output_dir.join(&side), blob, store, false)
            {
                counts.unchanged += 1;
            } else {
                counts.written += 1;
                counts.written_paths.push(side.clone());
            }
            beside.insert(side);
        } else {
            counts.written += 1;
            counts.written_paths.push(rel.clone());
        }
    }
    let mut stale: Vec<(&String, &Hash)> = previous
        .iter()
        .filter(|(rel, _)| !wanted.contains_key(*rel) && !beside.contains(*rel))
        .collect();
    stale.sort();
    for (rel, blob) in stale {
        let target = output_dir.join(rel);
        if !target.exists() || siblings.get(rel).is_some_and(|o| o.contains(blob)) {
            continue;
        }
        if has_content(&target, blob, store, false) {
            counts.deleted += 1;
        } else {
            counts.kept_edited += 1;
            counts.kept_edited_paths.push(rel.clone());
        }
    }
    counts
}

/// Say what changed in each changed job: the differences between its IR
/// in the previous build (in the store) and now (in the store after a
/// build's read; in memory for a plan), a few lines at most.
fn describe_changes(
    ctx: &Ctx,
    now: &[JobRecord],
    previous: &Option<Vec<JobRecord>>,
    changes: &mut [JobChange],
) {
    const LIMIT: usize = 5;
    let Some(previous) = previous else { return };
    let before: HashMap<&str, &JobRecord> = previous.iter().map(|r| (r.id.as_str(), r)).collect();
    let after: HashMap<&str, &JobRecord> = now.iter().map(|r| (r.id.as_str(), r)).collect();
    let load = |ir: &EntityHash| {
        crate::engine::job_ir::load_ir(ctx, ir).and_then(|e| match e {
            crate::ir::Entity::Job(j) => Some(j),
            _ => None,
        })
    };
    changes.par_iter_mut().for_each(|c| {
        if c.status != "changed" {
            return;
        }
        let (Some(p), Some(n)) = (before.get(c.job.as_str()), after.get(c.job.as_str())) else {
            return;
        };
        let (Some(old), Some(new)) = (load(&p.ir), load(&n.ir)) else {
            return;
        };
        let details = crate::ir::diff::job_changes(&old, &new, LIMIT);
        let what = if details.is_empty() {
            "the same stages, links and properties in another order or under other identifiers"
                .to_string()
        } else {
            details.join("; ")
        };
        // The reason says which input changed; then what changed in the job.
        let base = c
            .reason
            .trim_end_matches("; this job's design differs")
            .trim_end_matches("; its design differs");
        c.reason = format!("{base}; {what}");
    });
}
