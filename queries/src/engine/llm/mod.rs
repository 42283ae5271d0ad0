//! The LLM phases of a build, after `artifacts` (whose files are the
//! rule-based draft): `strategy` (per job, from its category and group;
//! see [`crate::llm::strategy`]) → `prompt` → `llm` → the job's code file
//! replaced by the checked answer.
//!
//! Target-agnostic: a job's input is its generated files and TODO list,
//! and the run's [`Target`] says which file is the job's script (else the
//! first `.py` / `.sql` file outside `tests/`) and how prompts name it. Python
//! answers hold only the functions they change and are spliced into the
//! draft, other languages answer with the whole file.
//!
//! Memoised like every phase: `prompt` is keyed by what the prompt is made
//! of (IR, prediction, draft, TODOs, templates, target; for followers the
//! leader's answer), `llm` by the prompt key plus provider, model and
//! parameters, and holds the job's outcome (so a re-run renders, sends
//! and checks nothing). The `llm(prompt, provider, model, params)` answers
//! themselves live forever in the store's `llm` table, each committed as
//! it arrives ([`crate::llm::cache`]): a killed run loses no paid answer.
//!
//! Calls run in rounds (full calls, light calls, then the light calls of
//! duplicates whose substitution could not be checked); each round's
//! answers are checked together ([`crate::llm::validate`]) and the ones
//! that fail get one repair call carrying the error. An answer that still
//! fails is stored and reported, and the job keeps its rule-based draft.
//!
//! Files: this one (the phase's jobs and their completed files),
//! `prompts` (keys and prompts), `batching` (light calls), `rounds` (a
//! build's calls, checks and repairs), `estimate` (`dsmig plan`).

use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::analysis::groups::{SlotDiff, slot_diffs};
use crate::config::LlmConfig;
use crate::engine::analysis::{self as eanalysis, EstateResult};
use crate::engine::artifacts::{ArtifactSet, JobKey, regenerate};
use crate::engine::db::Database;
use crate::engine::job_ir::load_ir;
use crate::engine::query::{self, Query, key_of};
use crate::engine::run::Found;
use crate::engine::summary::LlmCounts;
use crate::engine::{Ctx, Phase};
use crate::generate::target::{Category, Strategy, Target, category_str};
use crate::ir::{EntityHash, JobKind};
use crate::llm::budget::{Budget, estimate_tokens};
use crate::llm::plan::{GroupCost, LlmEstimate, PlannedCall};
use crate::llm::prompt::{FullPrompt, LightMember, LightPrompt, Prompts, sections};
use crate::llm::strategy::{Batches, Candidate, LightLimits, Mode, Source, batch, light_batches};
use crate::llm::validate::{self, Item, Lang, Verdict};
use crate::llm::{ChatResponse, Llm, LlmCall, Outcome, SystemEnv, cache, pycode, redact};
use crate::store::{Hash, encode};

mod batching;
mod estimate;
mod prompts;
mod rounds;

pub use batching::{light_limits, light_tokens};

/// The `prompt` phase: a call's (system, prompt), keyed by everything the
/// text is made of ([`LlmPhase::prompt_key`], [`LlmPhase::light_keys`]).
struct PromptOf<'a> {
    key: Hash,
    make: std::cell::Cell<Option<MakePrompt<'a>>>,
}

/// Renders a prompt (system, user) when it is not stored.
type MakePrompt<'a> = Box<dyn FnOnce() -> Option<(String, String)> + 'a>;

impl Query for PromptOf<'_> {
    const PHASE: Phase = Phase::Prompt;
    /// Bump when prompts change.
    const VERSION: u32 = 1;
    type Value = (String, String);

    fn key(&self, _ctx: &Ctx) -> Hash {
        self.key
    }

    fn compute(&self, _ctx: &Ctx) -> Option<(String, String)> {
        self.make.take()?()
    }
}

/// The `llm` phase: a job's outcome, keyed by its prompt's key plus the
/// provider, model and parameters ([`LlmPhase::llm_key`], `dup_key`,
/// `light_keys`). Computed by rounds of calls for many jobs at once (see
/// `LlmPhase::build`), so read and written through the pieces of
/// [`query::fetch`]; only settled results are kept.
struct LlmOf;

impl Query for LlmOf {
    const PHASE: Phase = Phase::Llm;
    /// Bump when the handling of answers changes.
    const VERSION: u32 = 1;
    type Value = JobResult;

    fn key(&self, _ctx: &Ctx) -> Hash {
        Hash::default()
    }

    fn compute(&self, _ctx: &Ctx) -> Option<JobResult> {
        None
    }

    fn keep(r: &JobResult) -> bool {
        r.settled
    }
}

/// A log line sink (stderr in the CLI). Lines never hold a prompt or key.
pub type Log = Arc<dyn Fn(&str) + Send + Sync>;

/// The LLM settings of a run.
#[derive(Clone, Default)]
pub struct LlmOptions {
    /// `[llm]`, with `--llm-provider` applied.
    pub config: LlmConfig,
    /// A provider is configured and `--no-llm` was not given.
    pub enabled: bool,
    /// `--no-llm` was given.
    pub off_by_flag: bool,
    /// A dry run (`dsmig plan`) estimates the calls, even without a provider.
    pub estimate: bool,
    /// `--budget USD`.
    pub cli_budget: Option<f64>,
    /// `generation.templates_dir` (prompt overrides in its `llm/`).
    pub templates_dir: Option<PathBuf>,
    pub log: Option<Log>,
}

impl LlmOptions {
    fn log(&self, line: &str) {
        if let Some(l) = &self.log {
            // Errors quote answers: scrubbed like prompts.
            l(&redact::scrub(line));
        }
    }
}

/// How a job came out of the phase; the `llm` phase's stored value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct JobResult {
    /// The new code file (header + body), when the job got one.
    code: Option<Hash>,
    /// Filled from another job's answer by slot substitution (its name).
    substituted_from: Option<String>,
    /// The extracted answer (what light calls of followers quote).
    answer: String,
    /// Why the draft was kept, or a caveat on the code.
    note: String,
    /// Answers (from the `llm` table) this result rests on.
    calls: u32,
    repairs: u32,
    /// False for results that a later run must redo (skipped or failed
    /// calls, unchecked answers): those are not stored.
    settled: bool,
}

impl JobResult {
    fn kept(note: String, calls: u32, repairs: u32, settled: bool) -> JobResult {
        JobResult {
            code: None,
            substituted_from: None,
            answer: String::new(),
            note,
            calls,
            repairs,
            settled,
        }
    }
}

/// A job of the phase.
struct Work {
    ir: EntityHash,
    key: String,
    name: String,
    category: Option<Category>,
    mode: Mode,
    source: Source,
    /// Index of the code file in the job's artifact set, its path (with
    /// the stem) and language; `None` when the draft is not generated.
    code: Option<(usize, String, Lang)>,
    draft_blob: Option<Hash>,
    /// How its files were generated and their file name: what makes the
    /// draft again (rule-made files are not kept in the store).
    strategy: Strategy,
    stem: String,
    todos: Vec<(String, String)>,
    stages: usize,
    columns: usize,
    /// Estimated answer tokens of a light call (from the job's shape).
    light_tokens: u64,
    result: Option<JobResult>,
    /// Where its result is stored.
    llm_key: Option<Hash>,
    /// A duplicate whose substitution failed: its light call's result is
    /// stored here too, so the next run does not try again.
    dup_key: Option<Hash>,
}

/// The code file of a job's files: `.py` or `.sql`, not a test; the
/// target's job script first.
fn code_file<'s>(set: &'s ArtifactSet, target: &dyn Target) -> Option<(usize, &'s str, Lang)> {
    let main = set.files.iter().enumerate().find_map(|(i, a)| {
        let lang = Lang::of_path(&a.path)?;
        target
            .is_job_script(&a.path)
            .then_some((i, a.path.as_str(), lang))
    });
    if main.is_some() {
        return main;
    }
    set.files.iter().enumerate().find_map(|(i, a)| {
        let lang = Lang::of_path(&a.path)?;
        (!a.path.starts_with("tests/") && !a.path.contains("/tests/")).then_some((
            i,
            a.path.as_str(),
            lang,
        ))
    })
}

struct LlmPhase<'a> {
    ctx: &'a Ctx,
    /// The target whose files the phase completes (its label is part of
    /// the prompt keys and of the prompts).
    target: &'a dyn Target,
    db: &'a Database,
    opts: &'a LlmOptions,
    prompts: Prompts,
    works: Vec<Work>,
    index: HashMap<String, usize>,
    predictions: &'a EstateResult,
    memo_keys: Vec<Hash>,
    client: Option<Llm>,
    counts: LlmCounts,
    limits: LightLimits,
}

/// Run the phase: replace the code files of the jobs the LLM completes in
/// `sets`, and say what was done (a build) or would be done (a plan).
#[allow(clippy::too_many_arguments)]
pub fn run(
    db: &Database,
    ctx: &Ctx,
    target: &dyn Target,
    opts: &LlmOptions,
    plan: &[(EntityHash, Option<Category>, Strategy)],
    jobs: &[&Found],
    stem_for: &dyn Fn(&EntityHash) -> String,
    estate: &EstateResult,
    sets: &mut HashMap<EntityHash, ArtifactSet>,
    memo_keys: &mut Vec<Hash>,
) -> Result<LlmCounts, String> {
    let mut counts = LlmCounts::default();
    if opts.off_by_flag {
        counts.model = "off (--no-llm)".into();
        return Ok(counts);
    }
    if (ctx.dry_run && !opts.estimate) || (!ctx.dry_run && !opts.enabled) {
        return Ok(counts);
    }
    let mut by_ir: HashMap<EntityHash, &Found> = HashMap::new();
    for j in jobs {
        by_ir.entry(j.entity.ir).or_insert(j);
    }
    let mut candidates = Vec::new();
    let mut works = Vec::new();
    for (ir, category, strategy) in plan {
        let Some(found) = by_ir.get(ir) else { continue };
        let is_seq = found.entity.job_kind == Some(JobKind::Sequence);
        let Some(mode) = crate::llm::strategy::mode(category_str(*category), is_seq) else {
            continue;
        };
        let set = sets.get(ir);
        let code = set.and_then(|s| code_file(s, target));
        if set.is_some_and(|s| !s.files.is_empty()) && code.is_none() {
            // Generated, but nothing an LLM could complete.
            continue;
        }
        let stem = stem_for(ir);
        let stats = found.entity.stats.as_ref();
        let (stages, columns) = stats.map_or((0, 0), |s| (s.stages, s.columns));
        let light_tokens = light_tokens(stages, columns);
        candidates.push(Candidate {
            key: ir.hex(),
            mode,
            light_tokens,
        });
        works.push(Work {
            ir: *ir,
            key: ir.hex(),
            name: found.entity.name.clone(),
            category: *category,
            mode,
            source: Source::Full,
            code: code.map(|(i, p, l)| (i, p.replace("{stem}", &stem), l)),
            draft_blob: code.and_then(|(i, _, _)| set.map(|s| s.files[i].blob)),
            strategy: *strategy,
            stem: stem.clone(),
            todos: set.map(|s| s.todos.clone()).unwrap_or_default(),
            stages,
            columns,
            light_tokens,
            result: None,
            llm_key: None,
            dup_key: None,
        });
    }
    if works.is_empty() {
        return Ok(counts);
    }
    let limits = light_limits(&opts.config);
    let batches = batch(&candidates, estate.grouping.as_ref(), limits);
    for w in &mut works {
        if let Some(s) = batches.source.get(&w.key) {
            w.source = s.clone();
        }
    }
    let index = works
        .iter()
        .enumerate()
        .map(|(i, w)| (w.key.clone(), i))
        .collect();
    let mut p = LlmPhase {
        ctx,
        target,
        db,
        opts,
        prompts: Prompts::load(opts.templates_dir.as_deref())?,
        works,
        index,
        predictions: estate,
        memo_keys: Vec::new(),
        client: None,
        counts,
        limits,
    };
    p.counts.jobs = p.works.len() as u64;
    p.counts.model = format!("{} {}", opts.config.provider, opts.config.model);
    if ctx.dry_run {
        let e = p.estimate(&batches);
        p.counts.estimate = Some(e);
    } else {
        p.build(&batches)?;
    }
    // The new code files (a plan: those whose result is stored).
    for w in &p.works {
        let Some(r) = &w.result else { continue };
        let Some(set) = sets.get_mut(&w.ir) else {
            continue;
        };
        let Some((i, path, lang)) = &w.code else {
            continue;
        };
        let model = &p.counts.model;
        match r.code {
            Some(blob) => {
                set.files[*i].blob = blob;
                let how = match &r.substituted_from {
                    Some(of) => format!("by slot substitution from {of}'s answer"),
                    None => "by an LLM".to_string(),
                };
                set.warnings.push(format!(
                    "{path}: completed {how} ({model}), checked with {}",
                    lang.checker()
                ));
                set.todos.push((
                    path.clone(),
                    format!("code written {how} ({model}): review it before use"),
                ));
                // Other files (a generated test) may still expect the
                // placeholders' errors.
                // The job's files made again at most once for all of them.
                let made = OnceCell::new();
                let draft = w.draft_blob.and_then(|b| job_text(ctx, w, &b, &made));
                let messages: Vec<String> = match (*lang, draft) {
                    (Lang::Python, Some(d)) => pycode::placeholders(&d)
                        .into_iter()
                        .map(|x| x.message)
                        .filter(|m| m.len() > 8)
                        .collect(),
                    _ => Vec::new(),
                };
                for (k, f) in set.files.iter().enumerate() {
                    if k == *i || messages.is_empty() {
                        continue;
                    }
                    let text = job_text(ctx, w, &f.blob, &made).unwrap_or_default();
                    if messages.iter().any(|m| text.contains(m.as_str())) {
                        let stem_path = f.path.replace("{stem}", &stem_for(&w.ir));
                        set.todos.push((
                            stem_path,
                            format!("still expects the error of a placeholder that {path} now fills: update it to the completed code"),
                        ));
                    }
                }
                if !r.note.is_empty() {
                    set.warnings
                        .push(redact::scrub(&format!("{path}: {}", r.note)));
                }
            }
            None => set.warnings.push(redact::scrub(&format!(
                "{path}: rule-based draft kept: {}",
                r.note
            ))),
        }
    }
    memo_keys.extend(p.memo_keys);
    Ok(p.counts)
}

/// The line that opens an LLM-completed file.
fn header(lang: Lang, how: &str, model: &str) -> String {
    format!(
        "{} dsmig: completed {how} ({model}), checked with {}; review before use.\n",
        lang.comment(),
        lang.checker()
    )
}

fn strip_header(code: &str, lang: Lang) -> &str {
    let marker = format!("{} dsmig: completed ", lang.comment());
    match code.strip_prefix(marker.as_str()) {
        Some(rest) => rest.split_once('\n').map_or("", |(_, body)| body),
        None => code,
    }
}

/// The job's files generated again, once per cell (see `job_text`).
type Made = OnceCell<Option<Vec<(Hash, Vec<u8>)>>>;

/// One of a job's rule-made files, by its hash: from the store (older
/// stores kept them), or generated again (see `artifacts::regenerate`) —
/// at most once per `made`.
fn job_text(ctx: &Ctx, w: &Work, blob: &Hash, made: &Made) -> Option<String> {
    if let Ok(Some(bytes)) = ctx.store.blob(blob) {
        return String::from_utf8(bytes).ok();
    }
    let made = made
        .get_or_init(|| regenerate(ctx, &w.ir, w.category, w.strategy, &w.stem))
        .as_ref()?;
    let (_, bytes) = made.iter().find(|(h, _)| h == blob)?;
    String::from_utf8(bytes.clone()).ok()
}

/// Why a call was not sent, without the job label the budget put first.
fn skip_note(s: &crate::llm::SkipReason) -> String {
    let text = s.to_string();
    let label = format!("job {}: ", s.job());
    text.strip_prefix(&label).unwrap_or(&text).to_string()
}

fn one_line(s: &str) -> String {
    let t: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(300)
        .collect();
    t.trim().to_string()
}
