//! The LLM phases of a build, after `artifacts` (whose files are the
//! rule-based draft): `strategy` (per job, from its category and group;
//! see [`crate::llm::strategy`]) → `prompt` → `llm` → the job's code file
//! replaced by the checked answer.
//!
//! Target-agnostic: a job's input is its generated files and TODO list.
//! The code file is the first `.py` / `.sql` file outside `tests/`; Python
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
use crate::engine::run::Found;
use crate::engine::summary::LlmCounts;
use crate::engine::{Ctx, Phase};
use crate::ir::{EntityHash, JobKind};
use crate::llm::budget::{Budget, estimate_tokens};
use crate::llm::plan::{GroupCost, LlmEstimate, PlannedCall};
use crate::llm::prompt::{FullPrompt, LightMember, LightPrompt, Prompts, sections};
use crate::llm::strategy::{Batches, Candidate, LightLimits, Mode, Source, batch, light_batches};
use crate::llm::validate::{self, Item, Lang, Verdict};
use crate::llm::{ChatResponse, Llm, LlmCall, Outcome, SystemEnv, cache, pycode, redact};
use crate::store::{Hash, decode, encode};

/// Versions of the two memoised phases: bump when prompts or the handling
/// of answers change.
pub const PROMPT_VERSION: u32 = 1;
pub const LLM_VERSION: u32 = 1;

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
    category: String,
    mode: Mode,
    source: Source,
    /// Index of the code file in the job's artifact set, its path (with
    /// the stem) and language; `None` when the draft is not generated.
    code: Option<(usize, String, Lang)>,
    draft_blob: Option<Hash>,
    /// How its files were generated and their file name: what makes the
    /// draft again (rule-made files are not kept in the store).
    strategy: String,
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

/// The code file of a job's files: `.py` or `.sql`, not a test.
fn code_file(set: &ArtifactSet) -> Option<(usize, &str, Lang)> {
    // The job's script first (`sql/` before `ddl/`, `extract/`...).
    let main = set.files.iter().enumerate().find_map(|(i, a)| {
        let lang = Lang::of_path(&a.path)?;
        (a.path.starts_with("glue_jobs/") || a.path.starts_with("sql/")).then_some((
            i,
            a.path.as_str(),
            lang,
        ))
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

/// The target with its dialect (`glue`, `sql:teradata`...): part of the
/// prompt keys and of the prompts.
fn target_label(ctx: &Ctx) -> String {
    if ctx.target == "sql" {
        format!(
            "sql:{}",
            crate::generate::sql::parse_dialect(&ctx.sql.dialect)
                .unwrap_or_default()
                .as_str()
        )
    } else {
        ctx.target.clone()
    }
}

/// How a target is named in prompts.
fn target_name(target: &str) -> String {
    match target.split_once([':', '/']) {
        None if target == "glue" => "AWS Glue (PySpark 3.5, Glue 5.0)".into(),
        Some(("sql", d)) => format!("SQL ({d})"),
        _ if target.starts_with("sql") => "SQL".into(),
        _ => target.to_string(),
    }
}

struct LlmPhase<'a> {
    ctx: &'a Ctx,
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
    opts: &LlmOptions,
    plan: &[(EntityHash, String, String)],
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
        let Some(mode) = crate::llm::strategy::mode(category, is_seq) else {
            continue;
        };
        let set = sets.get(ir);
        let code = set.and_then(code_file);
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
            category: category.clone(),
            mode,
            source: Source::Full,
            code: code.map(|(i, p, l)| (i, p.replace("{stem}", &stem), l)),
            draft_blob: code.and_then(|(i, _, _)| set.map(|s| s.files[i].blob)),
            strategy: strategy.clone(),
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

/// How many near duplicates share a light call, from `[llm]`.
pub fn light_limits(cfg: &crate::config::LlmConfig) -> LightLimits {
    LightLimits {
        max_members: cfg.light_batch_size.max(1),
        // Room for the headings and some slack in the estimate.
        max_tokens: cfg.max_output_tokens.max(1) * 4 / 5,
    }
}

/// Answer tokens of a light call for a job of this shape: the share of
/// its draft that placeholder functions typically take. From the shape,
/// not the draft, so that a plan (drafts not generated yet) and a build
/// cut the same batches.
pub fn light_tokens(stages: usize, columns: usize) -> u64 {
    crate::llm::plan::draft_chars(stages, columns).div_ceil(4 * 8)
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

/// A call to make in a round: one job (full call) or several near
/// duplicates of one leader (light call).
struct Ask {
    works: Vec<usize>,
    system: String,
    prompt: String,
    /// Per work, its draft.
    drafts: Vec<String>,
    /// Light calls: the leader and its answer (repairs re-ask one member).
    leader: Option<(usize, String)>,
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
        .get_or_init(|| regenerate(ctx, &w.ir, &w.category, &w.strategy, &w.stem))
        .as_ref()?;
    let (_, bytes) = made.iter().find(|(h, _)| h == blob)?;
    String::from_utf8(bytes.clone()).ok()
}

enum Checked {
    Good { body: String, answer: String },
    Bad { answer: String, error: String },
}

impl LlmPhase<'_> {
    fn store_text(&self, blob: &Hash) -> Option<String> {
        let bytes = self.ctx.store.blob(blob).ok()??;
        String::from_utf8(bytes).ok()
    }

    /// The rule-based draft of a job's code.
    fn draft(&self, w: &Work) -> Option<String> {
        job_text(self.ctx, w, &w.draft_blob?, &OnceCell::new())
    }

    fn settings_bytes(&self) -> Vec<u8> {
        let c = &self.opts.config;
        encode(&(
            &c.provider,
            &c.model,
            c.temperature.to_bits(),
            c.max_output_tokens,
            c.budget.max_tokens_per_job,
        ))
    }

    fn prediction_bytes(&self, w: &Work) -> Vec<u8> {
        self.predictions
            .predictions
            .get(&w.ir)
            .map(|p| encode(&(&p.rule, &p.blocking)))
            .unwrap_or_default()
    }

    /// The key of a job's prompt: everything the text is made of.
    fn prompt_key(&self, w: &Work, extra: &[u8]) -> Hash {
        let (path, lang) = w
            .code
            .as_ref()
            .map(|(_, p, l)| (p.clone(), encode(l)))
            .unwrap_or_default();
        self.ctx.memo_key(
            Phase::Prompt,
            &[
                &w.ir.0,
                &w.draft_blob.unwrap_or_default(),
                path.as_bytes(),
                &lang,
                &encode(&(w.mode, &w.category, &w.todos)),
                &self.prediction_bytes(w),
                target_label(self.ctx).as_bytes(),
                &self.prompts.fingerprint,
                extra,
            ],
        )
    }

    fn llm_key(&self, prompt_key: &Hash) -> Hash {
        self.ctx
            .memo_key(Phase::Llm, &[prompt_key, &self.settings_bytes()])
    }

    /// A stored result, if its code is still in the store.
    fn stored_result(&self, key: &Hash) -> Option<JobResult> {
        let r: JobResult = decode(&self.ctx.store.memo(key).ok()??)?;
        if let Some(c) = &r.code
            && !matches!(self.ctx.store.blob(c), Ok(Some(_)))
        {
            return None;
        }
        Some(r)
    }

    fn system(&self, lang: Lang) -> Result<String, String> {
        self.prompts.system(
            &target_name(&target_label(self.ctx)),
            lang.fence(),
            lang.splices(),
        )
    }

    /// The prompt of a full call (memoised).
    fn full_prompt(&self, w: &Work, pkey: &Hash) -> Option<(String, String)> {
        if let Some(v) = self
            .ctx
            .store
            .memo(pkey)
            .ok()
            .flatten()
            .and_then(|b| decode::<(String, String)>(&b))
        {
            self.ctx.counters.reused(Phase::Prompt);
            return Some(v);
        }
        let (_, path, lang) = w.code.as_ref()?;
        let draft = self.draft(w)?;
        let entity = load_ir(self.ctx, &w.ir)?;
        let job = entity.as_job()?;
        let pred = self.predictions.predictions.get(&w.ir);
        let blocking: Vec<String> = pred
            .map(|p| {
                p.blocking
                    .iter()
                    .map(|b| match &b.location {
                        Some(l) => format!("{} at {l}: {}", b.what, b.reason),
                        None => format!("{}: {}", b.what, b.reason),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let placeholders = if *lang == Lang::Python {
            pycode::placeholders(&draft)
        } else {
            Vec::new()
        };
        let prompt = self
            .prompts
            .full(
                w.mode,
                &FullPrompt {
                    job,
                    category: &w.category,
                    rule: pred.map_or("", |p| p.rule.as_str()),
                    blocking: &blocking,
                    path,
                    language: lang.fence(),
                    draft: &draft,
                    placeholders: &placeholders,
                    todos: &w.todos,
                },
            )
            .ok()?;
        let v = (self.system(*lang).ok()?, prompt);
        self.ctx.counters.computed(Phase::Prompt);
        if !self.ctx.dry_run {
            let _ = self.ctx.store.put_memo(pkey, encode(&v));
        }
        Some(v)
    }

    fn diffs(&self, from: &Work, to: &Work) -> Vec<SlotDiff> {
        let f = |ir: EntityHash| eanalysis::features(self.db, JobKey::new(self.db, ir)).clone();
        match (f(from.ir), f(to.ir)) {
            (Some(a), Some(b)) => slot_diffs(&a, &b),
            _ => Vec::new(),
        }
    }

    /// The prompt of a light call for `members` on `leader`'s answer
    /// (memoised under `pkey` when given).
    fn light_prompt(
        &self,
        members: &[usize],
        leader: usize,
        answer: &str,
        pkey: Option<&Hash>,
    ) -> Option<(String, String)> {
        if let Some(v) = pkey
            .and_then(|k| self.ctx.store.memo(k).ok().flatten())
            .and_then(|b| decode::<(String, String)>(&b))
        {
            self.ctx.counters.reused(Phase::Prompt);
            return Some(v);
        }
        let l = &self.works[leader];
        let mut parts = Vec::new();
        for &m in members {
            let w = &self.works[m];
            let (_, path, lang) = w.code.as_ref()?;
            let draft = self.draft(w)?;
            let code = if lang.splices() {
                pycode::placeholder_functions(&draft)
            } else {
                draft
            };
            parts.push((w.name.as_str(), self.diffs(l, w), path.as_str(), code));
        }
        let lang = self.lang_of(leader);
        let view: Vec<LightMember<'_>> = parts
            .iter()
            .map(|(job, diffs, path, code)| LightMember {
                job,
                diffs,
                path,
                code,
            })
            .collect();
        let prompt = self
            .prompts
            .light(&LightPrompt {
                template: &l.name,
                template_answer: answer,
                splice: lang.splices(),
                language: lang.fence(),
                members: &view,
            })
            .ok()?;
        let v = (self.system(lang).ok()?, prompt);
        self.ctx.counters.computed(Phase::Prompt);
        if let Some(k) = pkey
            && !self.ctx.dry_run
        {
            let _ = self.ctx.store.put_memo(k, encode(&v));
        }
        Some(v)
    }

    /// The keys of a light call: its prompt's, and per member its result's.
    fn light_keys(&self, members: &[usize], leader: usize, answer: &str) -> (Hash, Vec<Hash>) {
        // The slot differences quoted are the leader's to each member's.
        let mut parts: Vec<u8> = Self::light_extra(answer);
        parts.extend_from_slice(&self.works[leader].ir.0);
        for &m in members {
            parts.extend_from_slice(&self.prompt_key(&self.works[m], b"light"));
        }
        let pkey = self.ctx.memo_key(Phase::Prompt, &[&parts]);
        let lkey = self.llm_key(&pkey);
        let per = members
            .iter()
            .map(|&m| self.ctx.memo_key(Phase::Llm, &[&lkey, &self.works[m].ir.0]))
            .collect();
        (pkey, per)
    }

    /// Light-call key material: the leader's answer.
    fn light_extra(answer: &str) -> Vec<u8> {
        let mut v = b"light".to_vec();
        v.extend_from_slice(blake3::hash(answer.as_bytes()).as_bytes());
        v
    }

    fn client(&mut self) -> Result<&Llm, String> {
        if self.client.is_none() {
            let llm = Llm::from_config(&self.opts.config, &SystemEnv, self.opts.cli_budget)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| "no LLM provider is configured".to_string())?;
            self.client = Some(llm);
        }
        self.client
            .as_ref()
            .ok_or_else(|| "no LLM provider".to_string())
    }

    /// Turn an answer into the job's new code body.
    fn prepare(draft: &str, lang: Lang, r: &ChatResponse) -> Checked {
        let code = crate::llm::extract::extract_code(&r.text, lang.fence());
        let answer = code.clone().unwrap_or_else(|| r.text.clone());
        if r.truncated() {
            return Checked::Bad {
                answer,
                error:
                    "the answer was cut off at the token limit (max_tokens); answer with less code"
                        .into(),
            };
        }
        let Some(code) = code else {
            return Checked::Bad {
                answer,
                error: format!("the answer has no ```{} code block", lang.fence()),
            };
        };
        if !lang.splices() {
            return Checked::Good {
                body: code.clone(),
                answer: code,
            };
        }
        match pycode::splice(draft, &code) {
            Ok(body) => Checked::Good { body, answer: code },
            Err(error) => Checked::Bad { answer, error },
        }
    }

    fn check(&self, items: &[(usize, String)]) -> Vec<Verdict> {
        let dialect = validate::sqlglot_dialect(&target_label(self.ctx));
        let items: Vec<Item> = items
            .iter()
            .map(|(wi, code)| {
                let (lang, name) = self.works[*wi]
                    .code
                    .as_ref()
                    .map_or((Lang::Python, String::new()), |(_, p, l)| (*l, p.clone()));
                Item {
                    lang,
                    dialect: dialect.clone(),
                    name,
                    code: code.clone(),
                }
            })
            .collect();
        validate::check(&items)
    }

    /// Send `asks`, check the answers, repair once; the result per work.
    fn round(&mut self, asks: Vec<Ask>, what: &str) -> Result<Vec<(usize, JobResult)>, String> {
        if asks.is_empty() {
            return Ok(Vec::new());
        }
        let outcomes = self.send(&asks, what)?;
        let mut results: Vec<(usize, JobResult)> = Vec::new();
        // (ask, member index in the ask, body, answer)
        let mut to_check: Vec<(usize, usize, String, String)> = Vec::new();
        // (ask, member index, answer, error)
        let mut to_repair: Vec<(usize, usize, String, String)> = Vec::new();
        for (a, o) in outcomes.iter().enumerate() {
            let ask = &asks[a];
            let lang = self.lang_of(ask.works[0]);
            match o {
                Outcome::Stored(r) | Outcome::Called { response: r, .. } => {
                    let names: Vec<&str> = ask
                        .works
                        .iter()
                        .map(|&w| self.works[w].name.as_str())
                        .collect();
                    let parts = if ask.leader.is_some() {
                        sections(&r.text, &names)
                    } else {
                        vec![Some(r.text.clone())]
                    };
                    for (k, part) in parts.into_iter().enumerate() {
                        let Some(text) = part else {
                            to_repair.push((
                                a,
                                k,
                                String::new(),
                                format!("the answer has no `### {}` section", names[k]),
                            ));
                            continue;
                        };
                        let section = ChatResponse { text, ..r.clone() };
                        match Self::prepare(&ask.drafts[k], lang, &section) {
                            Checked::Good { body, answer } => to_check.push((a, k, body, answer)),
                            Checked::Bad { answer, error } => to_repair.push((a, k, answer, error)),
                        }
                    }
                }
                Outcome::Skipped(s) => {
                    for &w in &ask.works {
                        results.push((w, JobResult::kept(skip_note(s), 0, 0, false)));
                    }
                }
                Outcome::Failed { error, .. } => {
                    for &w in &ask.works {
                        results.push((
                            w,
                            JobResult::kept(format!("the LLM call failed: {error}"), 0, 0, false),
                        ));
                    }
                }
            }
        }
        // The call is counted once, on the first member it served.
        let first_call = |a: usize, k: usize| u32::from(k == 0 || asks[a].works.len() == 1);
        let verdicts = self.check(
            &to_check
                .iter()
                .map(|(a, k, b, _)| (asks[*a].works[*k], b.clone()))
                .collect::<Vec<_>>(),
        );
        for ((a, k, body, answer), v) in to_check.into_iter().zip(verdicts) {
            let w = asks[a].works[k];
            match self.accept(w, body, answer, first_call(a, k), 0, v) {
                Ok(r) => results.push((w, r)),
                Err((answer, error)) => to_repair.push((a, k, answer, error)),
            }
        }
        // One repair call per failed answer, with the error; a member of a
        // light call is re-asked alone.
        to_repair.sort_by_key(|r| (r.0, r.1));
        let mut repairs = Vec::new();
        let mut repaired: Vec<(usize, u32)> = Vec::new(); // (work, calls before)
        for (a, k, answer, error) in &to_repair {
            let ask = &asks[*a];
            let w = ask.works[*k];
            let lang = self.lang_of(w);
            let base = match &ask.leader {
                Some((l, ans)) if ask.works.len() > 1 => self
                    .light_prompt(&[w], *l, ans, None)
                    .map(|(_, p)| p)
                    .unwrap_or_else(|| ask.prompt.clone()),
                _ => ask.prompt.clone(),
            };
            let prompt = self
                .prompts
                .repair(&base, lang.fence(), answer, &redact::scrub(error))?;
            self.opts.log(&format!(
                "LLM: answer for {} failed its check ({}); one repair call",
                self.works[w].name,
                one_line(error)
            ));
            repairs.push(Ask {
                works: vec![w],
                system: ask.system.clone(),
                prompt,
                drafts: vec![ask.drafts[*k].clone()],
                leader: None,
            });
            repaired.push((w, first_call(*a, *k)));
        }
        if !repairs.is_empty() {
            let outcomes = self.send(&repairs, &format!("repair ({what})"))?;
            let mut checks: Vec<(usize, String, String)> = Vec::new();
            for (k, o) in outcomes.iter().enumerate() {
                let (w, before) = repaired[k];
                let lang = self.lang_of(w);
                match o {
                    Outcome::Stored(r) | Outcome::Called { response: r, .. } => {
                        match Self::prepare(&repairs[k].drafts[0], lang, r) {
                            Checked::Good { body, answer } => checks.push((k, body, answer)),
                            Checked::Bad { error, .. } => {
                                results.push((w, self.failed_twice(w, &error, before + 1)));
                            }
                        }
                    }
                    Outcome::Skipped(s) => {
                        results.push((w, JobResult::kept(skip_note(s), before, 0, false)));
                    }
                    Outcome::Failed { error, .. } => results.push((
                        w,
                        JobResult::kept(
                            format!("the repair call failed: {error}"),
                            before,
                            0,
                            false,
                        ),
                    )),
                }
            }
            let verdicts = self.check(
                &checks
                    .iter()
                    .map(|(k, b, _)| (repairs[*k].works[0], b.clone()))
                    .collect::<Vec<_>>(),
            );
            for ((k, body, answer), v) in checks.into_iter().zip(verdicts) {
                let (w, before) = repaired[k];
                let r = match self.accept(w, body, answer, before + 1, 1, v) {
                    Ok(r) => r,
                    Err((_, error)) => self.failed_twice(w, &error, before + 1),
                };
                results.push((w, r));
            }
        }
        results.sort_by_key(|r| r.0);
        Ok(results)
    }

    fn failed_twice(&self, work: usize, error: &str, calls: u32) -> JobResult {
        let name = &self.works[work].name;
        self.opts.log(&format!(
            "LLM: the repaired answer for {name} failed its check too; the draft is kept"
        ));
        JobResult::kept(
            format!(
                "the LLM's answer failed its check twice (last: {}); the answers are stored",
                one_line(error)
            ),
            calls,
            1,
            true,
        )
    }

    fn lang_of(&self, work: usize) -> Lang {
        self.works[work]
            .code
            .as_ref()
            .map_or(Lang::Python, |(_, _, l)| *l)
    }

    /// A checked answer becomes the job's file.
    fn accept(
        &self,
        work: usize,
        body: String,
        answer: String,
        calls: u32,
        repairs: u32,
        v: Verdict,
    ) -> Result<JobResult, (String, String)> {
        let lang = self.lang_of(work);
        let (note, settled) = match v {
            Verdict::Ok => (String::new(), true),
            Verdict::OkWith(n) => (n, true),
            Verdict::Unchecked(why) => (format!("not checked: {why}"), false),
            Verdict::Failed(e) => return Err((answer, e)),
        };
        let text = header(lang, "by an LLM", &self.counts.model) + &body;
        let code = self
            .ctx
            .store
            .put_blob(text.as_bytes())
            .map_err(|e| (answer.clone(), e.to_string()))?;
        Ok(JobResult {
            code: Some(code),
            substituted_from: None,
            answer,
            note,
            calls,
            repairs,
            settled,
        })
    }

    /// Send calls; each answer is committed to the store as it arrives.
    fn send(&mut self, asks: &[Ask], what: &str) -> Result<Vec<Outcome>, String> {
        let names: Vec<String> = asks
            .iter()
            .map(|a| {
                let names: Vec<&str> = a
                    .works
                    .iter()
                    .map(|&w| self.works[w].name.as_str())
                    .collect();
                names.join(", ")
            })
            .collect();
        let log = self.opts.log.clone();
        let store = self.ctx.store.clone();
        let llm = self.client()?;
        let calls: Vec<LlmCall> = asks
            .iter()
            .zip(&names)
            .map(|(a, name)| LlmCall {
                job: name.clone(),
                request: llm.request(&a.system, &a.prompt),
            })
            .collect();
        let n = calls.len();
        let mut done = 0;
        let outcomes = llm.call_many_with(Some(&store), calls, &mut |i, o| {
            done += 1;
            let Some(log) = &log else { return };
            let name = names.get(i).map(String::as_str).unwrap_or("");
            let state = match o {
                Outcome::Stored(_) => "served from the store".to_string(),
                Outcome::Called { attempts, .. } => {
                    format!("answered and stored ({attempts} HTTP attempt(s))")
                }
                Outcome::Skipped(_) => "skipped (budget)".to_string(),
                Outcome::Failed { error, .. } => {
                    format!("failed: {}", one_line(&error.to_string()))
                }
            };
            log(&format!("LLM {what} call {done}/{n} for {name}: {state}"));
        });
        Ok(outcomes)
    }

    /// The build: rounds of calls, then substitutions.
    fn build(&mut self, batches: &Batches) -> Result<(), String> {
        // Round 1: full calls.
        let mut asks = Vec::new();
        for i in 0..self.works.len() {
            if self.works[i].source != Source::Full {
                continue;
            }
            let w = &self.works[i];
            let pkey = self.prompt_key(w, b"full");
            let lkey = self.llm_key(&pkey);
            self.memo_keys.extend([pkey, lkey]);
            self.works[i].llm_key = Some(lkey);
            if let Some(r) = self.stored_result(&lkey) {
                self.reuse(i, r);
                continue;
            }
            let w = &self.works[i];
            let Some(draft) = self.draft(w) else {
                self.set(
                    i,
                    JobResult::kept("its draft is not in the store".into(), 0, 0, false),
                );
                continue;
            };
            let Some((system, prompt)) = self.full_prompt(w, &pkey) else {
                self.set(
                    i,
                    JobResult::kept(
                        "its prompt could not be built (IR missing from the store)".into(),
                        0,
                        0,
                        false,
                    ),
                );
                continue;
            };
            asks.push(Ask {
                works: vec![i],
                system,
                prompt,
                drafts: vec![draft],
                leader: None,
            });
        }
        for (i, r) in self.round(asks, "full")? {
            self.set(i, r);
        }

        // Round 2: light calls on the leaders' answers.
        let light: Vec<(String, Vec<String>)> = batches
            .light
            .iter()
            .map(|b| (b.leader.clone(), b.members.clone()))
            .collect();
        let asks = self.light_asks(light);
        for (i, r) in self.round(asks, "light")? {
            self.set(i, r);
        }

        // Round 3: duplicates by substitution; a doubtful one gets a light call.
        let mut fallback: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut subs: Vec<(usize, String, String)> = Vec::new(); // work, body, rep name
        for i in 0..self.works.len() {
            let Source::Duplicate { of } = self.works[i].source.clone() else {
                continue;
            };
            let Some(&r) = self.index.get(&of) else {
                continue;
            };
            let Some(code) = self.works[r].result.as_ref().and_then(|x| x.code) else {
                // Not stored: cheap to decide again next run.
                let why = self.follower_note(r);
                self.set(i, JobResult::kept(why, 0, 0, false));
                continue;
            };
            let key = self.dup_key(i, r, &code);
            self.memo_keys.push(key);
            self.works[i].llm_key = Some(key);
            if let Some(x) = self.stored_result(&key) {
                self.reuse(i, x);
                continue;
            }
            let lang = self.lang_of(i);
            let (w, t) = (&self.works[i], &self.works[r]);
            let texts = (self.draft(t), self.store_text(&code), self.draft(w));
            let (Some(t_draft), Some(t_code), Some(m_draft)) = texts else {
                self.set(
                    i,
                    JobResult::kept("a draft is missing from the store".into(), 0, 0, false),
                );
                continue;
            };
            let diffs = self.diffs(t, w);
            match crate::llm::substitute::substitute(
                &t_draft,
                strip_header(&t_code, lang),
                &m_draft,
                &diffs,
            ) {
                Ok(body) => subs.push((i, body, t.name.clone())),
                Err(why) => {
                    self.opts.log(&format!(
                        "LLM: {}'s code cannot be taken from {} by slot substitution ({}); a light call instead",
                        w.name,
                        t.name,
                        one_line(&why)
                    ));
                    self.works[i].dup_key = Some(key);
                    fallback
                        .entry(of)
                        .or_default()
                        .push(self.works[i].key.clone());
                }
            }
        }
        let verdicts = self.check(
            &subs
                .iter()
                .map(|(i, b, _)| (*i, b.clone()))
                .collect::<Vec<_>>(),
        );
        for ((i, body, of), v) in subs.into_iter().zip(verdicts) {
            let lang = self.lang_of(i);
            let (note, settled) = match v {
                Verdict::Ok => (String::new(), true),
                Verdict::OkWith(n) => (n, true),
                Verdict::Unchecked(why) => (format!("not checked: {why}"), false),
                Verdict::Failed(e) => {
                    self.opts.log(&format!(
                        "LLM: the substituted code of {} fails its check ({}); a light call instead",
                        self.works[i].name,
                        one_line(&e)
                    ));
                    self.works[i].dup_key = self.works[i].llm_key;
                    if let Source::Duplicate { of } = &self.works[i].source {
                        fallback
                            .entry(of.clone())
                            .or_default()
                            .push(self.works[i].key.clone());
                    }
                    continue;
                }
            };
            let how = format!("by slot substitution from {of}'s answer");
            let text = header(lang, &how, &self.counts.model) + &body;
            let code = self
                .ctx
                .store
                .put_blob(text.as_bytes())
                .map_err(|e| e.to_string())?;
            self.set(
                i,
                JobResult {
                    code: Some(code),
                    substituted_from: Some(of),
                    answer: String::new(),
                    note,
                    calls: 0,
                    repairs: 0,
                    settled,
                },
            );
        }
        // Round 4: light calls for duplicates that could not be substituted.
        let tokens: HashMap<String, u64> = self
            .works
            .iter()
            .map(|w| (w.key.clone(), w.light_tokens))
            .collect();
        let light: Vec<(String, Vec<String>)> = light_batches(
            &fallback,
            &|k| tokens.get(k).copied().unwrap_or(0),
            self.limits,
        )
        .into_iter()
        .map(|b| (b.leader, b.members))
        .collect();
        let asks = self.light_asks(light);
        for (i, r) in self.round(asks, "light")? {
            self.set(i, r);
        }
        for w in &self.works {
            if let (Some(k), Some(r)) = (w.dup_key, &w.result)
                && r.settled
            {
                let _ = self.ctx.store.put_memo(&k, encode(r));
            }
        }

        // Totals from the client.
        if let Some(llm) = &self.client {
            let rep = llm.report();
            self.counts.calls_made += rep.calls_made;
            self.counts.served_from_store += rep.served_from_store;
            self.counts.skipped_for_budget += rep.skipped_for_budget;
            self.counts.input_tokens += rep.usage.input_tokens;
            self.counts.output_tokens += rep.usage.output_tokens;
            self.counts.cost_usd += rep.cost_usd;
        }
        if self.counts.skipped_for_budget > 0 {
            let stopped = self
                .client
                .as_ref()
                .map(|c| c.budget())
                .filter(|b| b.stopped());
            let skipped: Vec<&str> = self
                .works
                .iter()
                .filter(|w| {
                    w.result
                        .as_ref()
                        .is_some_and(|r| r.note.contains("skipped (LLM"))
                })
                .map(|w| w.name.as_str())
                .collect();
            self.counts.lines.push(match stopped {
                Some(b) => format!(
                    "LLM budget reached (${} for this run): calls stopped; {} job(s) skipped, keeping the rule-based draft: {}",
                    b.limit(),
                    skipped.len(),
                    skipped.join(", ")
                ),
                None => format!(
                    "LLM: {} job(s) skipped by llm.budget.max_tokens_per_job, keeping the rule-based draft: {}",
                    skipped.len(),
                    skipped.join(", ")
                ),
            });
        }
        for w in &self.works {
            let Some(r) = &w.result else { continue };
            if r.code.is_some() {
                self.counts.filled += 1;
                if r.substituted_from.is_some() {
                    self.counts.substituted += 1;
                }
            } else {
                self.counts.kept_draft += 1;
                // Notes quote checkers' errors, which quote answers.
                self.counts.lines.push(redact::scrub(&format!(
                    "job {}: rule-based draft kept: {}",
                    w.name, r.note
                )));
            }
            self.counts.repairs += u64::from(r.repairs);
        }
        Ok(())
    }

    fn dup_key(&self, work: usize, rep: usize, rep_code: &Hash) -> Hash {
        let (w, t) = (&self.works[work], &self.works[rep]);
        self.ctx.memo_key(
            Phase::Llm,
            &[
                b"dup",
                &w.ir.0,
                &w.draft_blob.unwrap_or_default(),
                &t.draft_blob.unwrap_or_default(),
                rep_code,
                &self.settings_bytes(),
            ],
        )
    }

    /// The light calls of `(leader, members)` batches; members whose
    /// result is stored, or whose leader has no answer, are settled here.
    fn light_asks(&mut self, batches: Vec<(String, Vec<String>)>) -> Vec<Ask> {
        let mut asks = Vec::new();
        for (leader, members) in batches {
            let Some(&l) = self.index.get(&leader) else {
                continue;
            };
            let members: Vec<usize> = members
                .iter()
                .filter_map(|m| self.index.get(m).copied())
                .collect();
            // Leaders are answered by a call, never by substitution, so
            // their answer is at hand.
            let answer = match &self.works[l].result {
                Some(r) if r.code.is_some() => r.answer.clone(),
                _ => String::new(),
            };
            if answer.is_empty() {
                for &m in &members {
                    let k = JobResult::kept(self.follower_note(l), 0, 0, false);
                    self.works[m].llm_key = None;
                    self.set(m, k);
                }
                continue;
            }
            let (pkey, keys) = self.light_keys(&members, l, &answer);
            self.memo_keys.push(pkey);
            self.memo_keys.extend(keys.iter().copied());
            let mut open = Vec::new();
            for (&m, key) in members.iter().zip(&keys) {
                self.works[m].llm_key = Some(*key);
                match self.stored_result(key) {
                    Some(r) => self.reuse(m, r),
                    None => open.push(m),
                }
            }
            if open.is_empty() {
                continue;
            }
            // Some members stored, some not (a killed run): ask again for
            // the whole batch, so the prompt (and its stored answer) stay the same.
            let drafts: Option<Vec<String>> = members
                .iter()
                .map(|&m| self.draft(&self.works[m]))
                .collect();
            let prompt = self.light_prompt(&members, l, &answer, Some(&pkey));
            let (Some(drafts), Some((system, prompt))) = (drafts, prompt) else {
                for m in open {
                    self.set(
                        m,
                        JobResult::kept(
                            "its light prompt could not be built (draft missing from the store)"
                                .into(),
                            0,
                            0,
                            false,
                        ),
                    );
                }
                continue;
            };
            asks.push(Ask {
                works: members,
                system,
                prompt,
                drafts,
                leader: Some((l, answer)),
            });
        }
        asks
    }

    fn follower_note(&self, leader: usize) -> String {
        let l = &self.works[leader];
        match &l.result {
            Some(r) if r.code.is_none() => {
                format!("its template {} has no LLM answer ({})", l.name, r.note)
            }
            _ => format!("its template {} has no LLM answer", l.name),
        }
    }

    fn reuse(&mut self, i: usize, r: JobResult) {
        self.ctx.counters.reused(Phase::Llm);
        // Whatever a reused result rests on was served by the store.
        self.counts.served_from_store += u64::from(r.calls);
        self.works[i].result = Some(r);
    }

    /// A result computed this run; stored when settled.
    fn set(&mut self, i: usize, r: JobResult) {
        // A batch member already settled from the store keeps its result.
        if self.works[i].result.is_some() {
            return;
        }
        self.ctx.counters.computed(Phase::Llm);
        if r.settled
            && let Some(k) = self.works[i].llm_key
        {
            let _ = self.ctx.store.put_memo(&k, encode(&r));
        }
        self.works[i].result = Some(r);
    }

    /// `dsmig plan`: the calls a build would make, which are stored, and
    /// their tokens — with batching and at one call per job. Nothing is
    /// written; a job whose draft is not generated yet is estimated from
    /// its shape.
    fn estimate(&mut self, batches: &Batches) -> LlmEstimate {
        let cfg = self.opts.config.clone();
        let max_out = cfg.max_output_tokens.max(1);
        let system_tokens = estimate_tokens(&self.system(Lang::Python).unwrap_or_default());
        let n = self.works.len();
        // Per job: (input, output) tokens of a full call, from its draft.
        let mut full: Vec<(u64, u64)> = Vec::with_capacity(n);
        // Drafts are generated again: on every core.
        let drafts: Vec<Option<String>> = {
            use rayon::prelude::*;
            let ctx = self.ctx;
            let draft = |w: &Work| job_text(ctx, w, &w.draft_blob?, &OnceCell::new());
            self.works.par_iter().map(draft).collect()
        };
        for (w, draft) in self.works.iter().zip(&drafts) {
            let (prompt, answer) = match draft {
                Some(d) => {
                    let splice = w.code.as_ref().is_some_and(|(_, _, l)| l.splices());
                    let out = if splice {
                        estimate_tokens(&pycode::placeholder_functions(d))
                    } else {
                        estimate_tokens(d)
                    };
                    // The IR excerpt and instructions around the draft.
                    (estimate_tokens(d) * 3 / 2, out)
                }
                None => {
                    let chars = crate::llm::plan::draft_chars(w.stages, w.columns);
                    ((chars * 3 / 2).div_ceil(4), (chars / 4).div_ceil(4))
                }
            };
            full.push((system_tokens + prompt, answer.min(max_out)));
        }
        let mut results: Vec<Option<JobResult>> = vec![None; n];
        let mut planned: Vec<Option<PlannedCall>> = vec![None; n];
        let mut substituted_results: Vec<(usize, JobResult)> = Vec::new();
        // Full calls, then light calls (they need the leaders' answers),
        // then duplicates (they need their representative's code).
        for i in 0..n {
            if self.works[i].source != Source::Full {
                continue;
            }
            let mut call = PlannedCall {
                input_tokens: full[i].0,
                output_tokens: full[i].1,
                stored: false,
            };
            // Without a provider nothing can be stored or sent: the plan
            // only estimates, and counts no phase work.
            if drafts[i].is_some() && self.opts.enabled {
                let w = &self.works[i];
                let pkey = self.prompt_key(w, b"full");
                let lkey = self.llm_key(&pkey);
                if let Some(r) = self.stored_result(&lkey) {
                    call.stored = true;
                    results[i] = Some(r);
                } else if let Some((s, p)) = self.full_prompt(w, &pkey) {
                    call.input_tokens = estimate_tokens(&s) + estimate_tokens(&p);
                    call.stored = self.answer_stored(&w.name, &s, &p);
                }
            }
            self.count(call.stored);
            planned[i] = Some(call);
        }
        let light_calls = self.estimate_light(batches, &mut results, &full, system_tokens);
        for i in 0..n {
            let Source::Duplicate { of } = &self.works[i].source else {
                continue;
            };
            let rep = self.index.get(of).copied();
            let stored = rep
                .and_then(|r| results[r].as_ref().and_then(|x| x.code).map(|c| (r, c)))
                .and_then(|(r, code)| self.stored_result(&self.dup_key(i, r, &code)));
            self.count(stored.is_some());
            if let Some(r) = stored {
                substituted_results.push((i, r));
            }
        }
        let substituted = self
            .works
            .iter()
            .filter(|w| matches!(w.source, Source::Duplicate { .. }))
            .count() as u64;
        // What is stored shows in the files the plan compares.
        for (i, r) in substituted_results {
            results[i] = Some(r);
        }
        for (w, r) in self.works.iter_mut().zip(results) {
            w.result = r;
        }
        let mut calls: Vec<PlannedCall> = planned.into_iter().flatten().collect();
        calls.extend(light_calls);
        let (input_tokens, output_tokens) = crate::llm::plan::tokens(&calls);
        let one = full.iter().fold((0, 0), |(a, b), (i, o)| (a + i, b + o));
        let stored = calls.iter().filter(|c| c.stored).count() as u64;
        let n_calls = calls.len() as u64;
        let jobs = n as u64;
        let name_of = |k: &String| {
            self.index
                .get(k)
                .map_or_else(|| k.clone(), |&i| self.works[i].name.clone())
        };
        LlmEstimate {
            configured: self.opts.enabled,
            provider: cfg.provider.clone(),
            model: cfg.model.clone(),
            jobs,
            calls: n_calls,
            stored,
            to_make: n_calls - stored,
            substituted,
            one_per_job: jobs,
            savings_pct: if jobs == 0 {
                0.0
            } else {
                100.0 * (jobs - n_calls) as f64 / jobs as f64
            },
            input_tokens,
            output_tokens,
            one_per_job_input_tokens: one.0,
            one_per_job_output_tokens: one.1,
            models: crate::llm::plan::model_costs(&cfg, (input_tokens, output_tokens), one),
            budget_usd: self
                .opts
                .cli_budget
                .or(Some(cfg.budget.max_cost_per_run))
                .filter(|b| *b > 0.0),
            groups: batches
                .groups
                .iter()
                .map(|g| GroupCost {
                    id: g.id.clone(),
                    template: name_of(&g.template),
                    members: g.members.len() as u64,
                    calls: g.calls,
                    savings: g.savings(),
                })
                .collect(),
        }
    }

    /// The light calls of a plan: tokens, and whether each is answered.
    fn estimate_light(
        &mut self,
        batches: &Batches,
        results: &mut [Option<JobResult>],
        full: &[(u64, u64)],
        system_tokens: u64,
    ) -> Vec<PlannedCall> {
        let mut out = Vec::new();
        for b in &batches.light {
            let Some(&l) = self.index.get(&b.leader) else {
                continue;
            };
            let members: Vec<usize> = b
                .members
                .iter()
                .filter_map(|m| self.index.get(m).copied())
                .collect();
            let answer_tokens: u64 = members.iter().map(|&m| full[m].1).sum();
            // The leader's answer, each member's placeholders and slot
            // differences, the answers.
            let mut call = PlannedCall {
                input_tokens: system_tokens
                    + full[l].1
                    + answer_tokens
                    + 300 * members.len() as u64,
                output_tokens: answer_tokens,
                stored: false,
            };
            let answer = results[l]
                .as_ref()
                .filter(|r| r.code.is_some())
                .map(|r| r.answer.clone())
                .unwrap_or_default();
            if !answer.is_empty() && self.opts.enabled {
                let (pkey, keys) = self.light_keys(&members, l, &answer);
                let stored: Vec<Option<JobResult>> =
                    keys.iter().map(|k| self.stored_result(k)).collect();
                if stored.iter().all(Option::is_some) {
                    call.stored = true;
                    for (&m, r) in members.iter().zip(stored) {
                        results[m] = r;
                    }
                } else if let Some((s, p)) = self.light_prompt(&members, l, &answer, Some(&pkey)) {
                    call.input_tokens = estimate_tokens(&s) + estimate_tokens(&p);
                    let label: Vec<&str> = members
                        .iter()
                        .map(|&m| self.works[m].name.as_str())
                        .collect();
                    call.stored = self.answer_stored(&label.join(", "), &s, &p);
                }
            }
            for _ in &members {
                self.count(call.stored);
            }
            out.push(call);
        }
        out
    }

    /// A plan's count: the job's result is stored, or would be computed
    /// (nothing without a provider: a build would not run the phase).
    fn count(&self, stored: bool) {
        if !self.opts.enabled {
            return;
        }
        if stored {
            self.ctx.counters.reused(Phase::Llm);
        } else {
            self.ctx.counters.computed(Phase::Llm);
        }
    }

    /// Whether the `llm` table holds the answer to this prompt (the key
    /// the client would use, budget fitting included).
    fn answer_stored(&self, job: &str, system: &str, prompt: &str) -> bool {
        let cfg = &self.opts.config;
        if !self.opts.enabled {
            return false;
        }
        let Ok(budget) = Budget::new(cfg, None) else {
            return false;
        };
        let mut req = redact::scrub_request(&crate::llm::ChatRequest {
            system: system.to_string(),
            prompt: prompt.to_string(),
            max_tokens: cfg.max_output_tokens.max(1),
            temperature: cfg.temperature,
        });
        if budget.fit(job, &mut req).is_err() {
            return false;
        }
        let key = cache::request_key(&cfg.provider, &cfg.model, &req);
        matches!(cache::get(&self.ctx.store, &key), Ok(Some(_)))
    }
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
