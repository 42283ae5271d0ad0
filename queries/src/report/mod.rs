//! The HTML migration report: one self-contained file (inline CSS, inline
//! SVG charts drawn here, a small vanilla JS app, the data as one JSON
//! block) that opens from a file share with the network off.
//!
//! [`ReportData`] is what the report shows, built from the analysis
//! ([`ReportData::from_analysis`]); [`render`] turns it into the page.
//! Both are pure and deterministic: the same analysis gives the same
//! bytes, whatever the order the jobs were read in (no time, no random
//! id, sorted maps). Job names and every other text are escaped; no
//! property value of a job enters the report (slot diffs name the slot,
//! not its values).

mod html;
mod svg;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::analysis::complexity::{Complexity, Factor};
use crate::analysis::estate::{Estate, JobAnalysis};
use crate::analysis::features::SlotKind;
use crate::analysis::groups::Group;
use crate::analysis::lineage::{DataKind, EdgeKind, JobIo, Node};
use crate::analysis::predict::BlockingItem;
use crate::inventory::{Inventory, Item, JobRow, Summary, job_analyses};
use crate::parse::diag::Diagnostic;

pub use html::{recommendations, render};

/// Version of the report's embedded data (`<script id="dsmig-data">`).
pub const FORMAT_VERSION: u32 = 1;

/// Most names listed per job for upstream / downstream neighbours and
/// differing slots (the counts are always complete).
const LIST_CAP: usize = 12;

/// Everything the report shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportData {
    pub format_version: u32,
    /// The inventory's summary, unchanged: the report's figures are
    /// `dsmig analyze -f json`'s.
    pub summary: Summary,
    pub settings: Settings,
    /// One row per job (the inventory's rows).
    pub jobs: Vec<JobRow>,
    /// Per distinct job design (IR hash): what `dsmig explain` shows.
    pub details: BTreeMap<String, JobDetail>,
    /// Duplicate groups, similarity clusters and pattern families.
    pub groups: Vec<GroupView>,
    pub waves: Vec<WaveView>,
    /// Lineage cycles: jobs that read each other's outputs (names).
    pub cycles: Vec<Vec<String>>,
    pub diagnostics: Vec<Diagnostic>,
    /// Set when an LLM estimate or LLM run figures exist (the build).
    pub llm: Option<LlmFigures>,
    /// Set after a build: what generation wrote.
    pub generation: Option<GenerationFigures>,
    /// `dsmig reconcile` verdicts from the store, by job name (empty: none
    /// stored, or no store).
    #[serde(default)]
    pub reconciled: BTreeMap<String, crate::reconcile::Verdict>,
}

/// The settings the figures depend on, shown in the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub auto_max_score: u32,
    pub manual_min_score: u32,
    pub hours_per_point: f64,
    /// Rows per page of the job table.
    pub page_size: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobDetail {
    pub stage_types: BTreeMap<String, usize>,
    /// Parameter names (never their values).
    pub parameters: Vec<String>,
    pub score: u32,
    pub factors: Vec<Factor>,
    pub rule: String,
    pub blocking: Vec<BlockingItem>,
    pub groups: Vec<Membership>,
    pub reads: Vec<String>,
    pub writes: Vec<String>,
    pub runs: Vec<String>,
    /// Jobs that write what this job reads (at most [`LIST_CAP`] names).
    pub upstream: Vec<String>,
    pub upstream_total: usize,
    /// Jobs that read what this job writes, or that run it.
    pub downstream: Vec<String>,
    pub downstream_total: usize,
    /// `rule-based`, `variation of <template>`, `llm`, `rule-based draft`.
    pub strategy: String,
    pub strategy_reason: String,
}

/// A job's place in one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Membership {
    /// `duplicate`, `cluster` or `family`.
    pub kind: String,
    pub id: String,
    pub size: usize,
    pub template: String,
    pub is_template: bool,
    pub similarity: Option<f64>,
    /// Slots in which the job differs from the template (paths only).
    pub differing_slots: usize,
    pub slot_paths: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupView {
    /// `duplicate`, `cluster` or `family`.
    pub kind: String,
    pub id: String,
    /// Job rows in the group (re-exports of one design count each).
    pub jobs: usize,
    /// Distinct designs in the group.
    pub designs: usize,
    pub template: String,
    pub template_category: String,
    pub effort_hours: f64,
    /// Hours saved by migrating the template once and deriving the others.
    pub savings_hours: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaveView {
    pub index: usize,
    pub jobs: usize,
    pub categories: BTreeMap<String, usize>,
    pub effort_hours: f64,
}

/// LLM figures: an estimate before a build, or what a build spent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct LlmFigures {
    /// Jobs whose generation goes to an LLM.
    pub jobs: usize,
    /// Calls needed once templates are batched with their variations.
    pub calls: usize,
    /// Calls saved by batching (variations share their template's call).
    pub calls_saved: usize,
    /// Dollars, when a price is known.
    pub estimated_cost: Option<f64>,
    pub cost_saved: Option<f64>,
    /// After a build: calls made and served from the store.
    pub calls_made: Option<u64>,
    pub served_from_store: Option<u64>,
}

/// After a build: what generation wrote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct GenerationFigures {
    pub target: String,
    pub output_dir: String,
    pub files_written: u64,
    pub files_unchanged: u64,
    pub files_deleted: u64,
}

/// Per-job facts of the analysis that the inventory does not keep.
#[derive(Debug, Clone, Copy)]
pub struct JobFacts<'a> {
    pub complexity: &'a Complexity,
    pub io: &'a JobIo,
    /// Parameter names.
    pub parameters: &'a [String],
}

/// Options of the report not in the analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportOptions {
    pub settings: Settings,
    /// Whether an LLM provider is configured (changes the strategy of
    /// non-AUTO jobs).
    pub llm_configured: bool,
    /// How near duplicates share light calls (`[llm]`), so that the
    /// report's call estimate is `dsmig plan`'s.
    pub light_limits: crate::llm::strategy::LightLimits,
}

impl Default for ReportOptions {
    fn default() -> Self {
        let p = crate::config::PredictionConfig::default();
        ReportOptions {
            settings: Settings {
                auto_max_score: p.auto_max_score,
                manual_min_score: p.manual_min_score,
                hours_per_point: p.hours_per_point,
                page_size: crate::config::ReportConfig::default().page_size,
            },
            llm_configured: false,
            light_limits: crate::engine::llm::light_limits(&crate::config::LlmConfig::default()),
        }
    }
}

/// Parameter names of a job, from its features (names, not values).
pub fn parameter_names(a: &JobAnalysis) -> Vec<String> {
    a.features
        .slots
        .iter()
        .filter(|s| s.kind == SlotKind::ParamName)
        .map(|s| s.value.clone())
        .collect()
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn base_hours(category: &str) -> f64 {
    match category {
        "AUTO" => 0.5,
        "SEMI-AUTO" => 2.0,
        "MANUAL" => 8.0,
        _ => 0.0,
    }
}

impl ReportData {
    /// The report of `dsmig analyze`'s inventory: `items` are the items
    /// the inventory was built from ([`crate::inventory::build_items_with_estate`]).
    pub fn from_items(
        inv: &Inventory,
        estate: &Estate,
        items: &[Item],
        opts: &ReportOptions,
    ) -> ReportData {
        let analyses = job_analyses(items);
        let params: BTreeMap<&str, Vec<String>> = analyses
            .iter()
            .map(|(k, a)| (*k, parameter_names(a)))
            .collect();
        let facts: BTreeMap<String, JobFacts<'_>> = analyses
            .iter()
            .map(|(k, a)| {
                (
                    k.to_string(),
                    JobFacts {
                        complexity: &a.complexity,
                        io: &a.io,
                        parameters: params.get(k).map_or(&[][..], Vec::as_slice),
                    },
                )
            })
            .collect();
        Self::from_analysis(inv, estate, &facts, opts)
    }

    /// The report of an analysis: the inventory (rows, summary,
    /// diagnostics), the estate it was computed from, and per-job facts
    /// keyed by IR hash.
    pub fn from_analysis(
        inv: &Inventory,
        estate: &Estate,
        facts: &BTreeMap<String, JobFacts<'_>>,
        opts: &ReportOptions,
    ) -> ReportData {
        let mut jobs = inv.jobs.clone();
        sort_jobs(&mut jobs);
        // The name shown for a design: its first row in sorted order.
        let mut name_of: BTreeMap<&str, &str> = BTreeMap::new();
        for j in &jobs {
            name_of.entry(j.hash.as_str()).or_insert(j.name.as_str());
        }
        let name = |k: &str| -> String {
            name_of
                .get(k)
                .map(|n| n.to_string())
                .unwrap_or_else(|| k[..k.len().min(12)].to_string())
        };
        let g = &estate.grouping;
        let all_groups: Vec<(&str, &Group)> = g
            .duplicates
            .iter()
            .map(|x| ("duplicate", x))
            .chain(g.clusters.iter().map(|x| ("cluster", x)))
            .chain(g.families.iter().map(|x| ("family", x)))
            .collect();
        let by_id: BTreeMap<&str, (&str, &Group)> = all_groups
            .iter()
            .map(|(k, x)| (x.id.as_str(), (*k, *x)))
            .collect();
        let (up, down) = neighbours(estate);
        let mut details = BTreeMap::new();
        for j in &jobs {
            if details.contains_key(&j.hash) {
                continue;
            }
            let f = facts.get(&j.hash);
            let p = estate.predictions.get(&j.hash);
            let mut groups = Vec::new();
            for id in [&j.dup, &j.sim, &j.fam].into_iter().flatten() {
                let Some((kind, grp)) = by_id.get(id.as_str()) else {
                    continue;
                };
                let diffs = grp.diffs.get(&j.hash);
                groups.push(Membership {
                    kind: kind.to_string(),
                    id: id.clone(),
                    size: grp.members.len(),
                    template: name(&grp.template),
                    is_template: grp.template == j.hash,
                    similarity: grp.similarity.get(&j.hash).map(|s| round2(*s)),
                    differing_slots: diffs.map_or(0, Vec::len),
                    slot_paths: diffs
                        .map(|d| d.iter().take(LIST_CAP).map(|s| s.path.clone()).collect())
                        .unwrap_or_default(),
                });
            }
            let refs = |v: &[crate::analysis::lineage::DataRef]| -> Vec<String> {
                let mut out: Vec<String> = v
                    .iter()
                    .map(|r| {
                        let k = match r.kind {
                            DataKind::Table => "table",
                            DataKind::File => "file",
                        };
                        format!("{k} {}", r.name)
                    })
                    .collect();
                out.sort();
                out.dedup();
                out
            };
            let names = |keys: Option<&BTreeSet<String>>| -> (Vec<String>, usize) {
                let mut v: Vec<String> = keys
                    .into_iter()
                    .flatten()
                    .filter(|k| **k != j.hash)
                    .map(|k| name(k))
                    .collect();
                v.sort();
                v.dedup();
                let n = v.len();
                v.truncate(LIST_CAP);
                (v, n)
            };
            let (upstream, upstream_total) = names(up.get(&j.hash));
            let (downstream, downstream_total) = names(down.get(&j.hash));
            let template_of = groups
                .iter()
                .find(|x| x.kind == "cluster")
                .or_else(|| groups.iter().find(|x| x.kind == "duplicate"));
            let (strategy, strategy_reason) =
                strategy(&j.category, template_of, opts.llm_configured);
            details.insert(
                j.hash.clone(),
                JobDetail {
                    stage_types: j.stage_types.clone(),
                    parameters: f.map(|f| f.parameters.to_vec()).unwrap_or_default(),
                    score: j.score,
                    factors: f.map(|f| f.complexity.factors.clone()).unwrap_or_default(),
                    rule: p.map(|p| p.rule.clone()).unwrap_or_default(),
                    blocking: p.map(|p| p.blocking.clone()).unwrap_or_default(),
                    groups,
                    reads: f.map(|f| refs(&f.io.reads)).unwrap_or_default(),
                    writes: f.map(|f| refs(&f.io.writes)).unwrap_or_default(),
                    runs: f.map(|f| f.io.runs.clone()).unwrap_or_default(),
                    upstream,
                    upstream_total,
                    downstream,
                    downstream_total,
                    strategy,
                    strategy_reason,
                },
            );
        }
        // Groups: rows per group and the hours their templates save.
        let hpp = opts.settings.hours_per_point;
        let mut rows_in: BTreeMap<&str, (usize, f64, f64)> = BTreeMap::new();
        for j in &jobs {
            let standalone = round2(base_hours(&j.category) + j.score as f64 * hpp);
            let saved = (standalone - j.effort_hours).max(0.0);
            let m = g.membership.get(&j.hash);
            let saver = match m {
                Some(m) if !m.is_template && m.dup.is_some() => m.dup.as_deref(),
                Some(m) if !m.is_template => m.sim.as_deref(),
                _ => None,
            };
            for id in [&j.dup, &j.sim, &j.fam].into_iter().flatten() {
                let e = rows_in.entry(id.as_str()).or_insert((0, 0.0, 0.0));
                e.0 += 1;
                e.1 += j.effort_hours;
                if saver == Some(id.as_str()) {
                    e.2 += saved;
                }
            }
        }
        let category_of: BTreeMap<&str, &str> = jobs
            .iter()
            .map(|j| (j.hash.as_str(), j.category.as_str()))
            .collect();
        let groups = all_groups
            .iter()
            .map(|(kind, grp)| {
                let (rows, effort, saved) =
                    rows_in.get(grp.id.as_str()).copied().unwrap_or_default();
                GroupView {
                    kind: kind.to_string(),
                    id: grp.id.clone(),
                    jobs: rows,
                    designs: grp.members.len(),
                    template: name(&grp.template),
                    template_category: category_of
                        .get(grp.template.as_str())
                        .map(|c| c.to_string())
                        .unwrap_or_default(),
                    effort_hours: round2(effort),
                    savings_hours: round2(saved),
                }
            })
            .collect();
        let mut waves: Vec<WaveView> = (0..estate.lineage.waves.len())
            .map(|index| WaveView {
                index,
                jobs: 0,
                categories: BTreeMap::new(),
                effort_hours: 0.0,
            })
            .collect();
        for j in &jobs {
            if let Some(w) = j.wave.and_then(|w| waves.get_mut(w)) {
                w.jobs += 1;
                *w.categories.entry(j.category.clone()).or_insert(0) += 1;
                w.effort_hours += j.effort_hours;
            }
        }
        for w in &mut waves {
            w.effort_hours = round2(w.effort_hours);
        }
        let cycles = estate
            .lineage
            .cycles
            .iter()
            .map(|c| {
                let mut v: Vec<String> = c.iter().map(|k| name(k)).collect();
                v.sort();
                v
            })
            .collect();
        let llm = llm_estimate(&jobs, &estate.grouping, opts);
        let mut data = ReportData {
            format_version: FORMAT_VERSION,
            summary: inv.summary.clone(),
            settings: opts.settings.clone(),
            jobs,
            details,
            groups,
            waves,
            cycles,
            diagnostics: inv.diagnostics.clone(),
            llm,
            generation: None,
            reconciled: BTreeMap::new(),
        };
        data.normalise();
        data
    }

    /// Put every list in its canonical order (render does this too, so
    /// data assembled elsewhere renders the same).
    pub fn normalise(&mut self) {
        sort_jobs(&mut self.jobs);
        self.groups.sort_by(|a, b| {
            kind_rank(&a.kind)
                .cmp(&kind_rank(&b.kind))
                .then(b.jobs.cmp(&a.jobs))
                .then(a.id.cmp(&b.id))
        });
        self.waves.sort_by_key(|w| w.index);
        self.cycles.sort();
        self.diagnostics.sort();
    }
}

fn kind_rank(kind: &str) -> u8 {
    match kind {
        "duplicate" => 0,
        "cluster" => 1,
        _ => 2,
    }
}

fn sort_jobs(jobs: &mut [JobRow]) {
    jobs.sort_by(|a, b| {
        a.name
            .cmp(&b.name)
            .then_with(|| a.file.cmp(&b.file))
            .then_with(|| a.line.cmp(&b.line))
            .then_with(|| a.member.cmp(&b.member))
            .then_with(|| a.hash.cmp(&b.hash))
    });
}

/// Upstream and downstream jobs of every job, from the lineage edges
/// (indexed once: linear in the edges).
type Neighbours = BTreeMap<String, BTreeSet<String>>;

fn neighbours(estate: &Estate) -> (Neighbours, Neighbours) {
    let mut writers: BTreeMap<&Node, Vec<&str>> = BTreeMap::new();
    let mut readers: BTreeMap<&Node, Vec<&str>> = BTreeMap::new();
    for e in &estate.lineage.edges {
        match (e.kind, &e.from, &e.to) {
            (EdgeKind::Writes, Node::Job(j), data) => writers.entry(data).or_default().push(j),
            (EdgeKind::Reads, data, Node::Job(j)) => readers.entry(data).or_default().push(j),
            _ => {}
        }
    }
    let mut up: Neighbours = BTreeMap::new();
    let mut down: Neighbours = BTreeMap::new();
    for (data, rs) in &readers {
        for w in writers.get(data).into_iter().flatten() {
            for r in rs {
                up.entry(r.to_string()).or_default().insert(w.to_string());
                down.entry(w.to_string()).or_default().insert(r.to_string());
            }
        }
    }
    for e in &estate.lineage.edges {
        if let (EdgeKind::Runs, Node::Job(seq), Node::Job(job)) = (e.kind, &e.from, &e.to) {
            down.entry(job.clone()).or_default().insert(seq.clone());
        }
    }
    (up, down)
}

/// How a job will be generated (the same rule as `dsmig explain`).
fn strategy(category: &str, group: Option<&Membership>, llm: bool) -> (String, String) {
    if let Some(g) = group
        && !g.is_template
    {
        return (
            format!("variation of {}", g.template),
            format!(
                "member of {} ({} jobs): generated from the template's translation with this job's {} differing slot(s) substituted",
                g.id, g.size, g.differing_slots
            ),
        );
    }
    match category {
        "SEMI-AUTO" | "MANUAL" if llm => (
            "llm".into(),
            format!(
                "{category}: the rule-based draft goes to the configured LLM to fill its placeholders"
            ),
        ),
        "SEMI-AUTO" | "MANUAL" => (
            "rule-based draft".into(),
            format!(
                "{category}: no LLM configured, so the rule-based draft keeps named placeholders for what rules cannot translate"
            ),
        ),
        _ => (
            "rule-based".into(),
            "every stage and expression has a translation rule".into(),
        ),
    }
}

/// The LLM calls the non-AUTO jobs need, batched per cluster as the build
/// batches them (the same function as `dsmig plan`): exact duplicates ride
/// on one answer, near duplicates share light calls.
fn llm_estimate(
    jobs: &[JobRow],
    grouping: &crate::analysis::groups::Grouping,
    opts: &ReportOptions,
) -> Option<LlmFigures> {
    use crate::llm::strategy::{Candidate, batch, mode};
    let candidates: Vec<Candidate> = jobs
        .iter()
        .filter_map(|j| {
            Some(Candidate {
                key: j.hash.clone(),
                mode: mode(&j.category, j.kind == "sequence")?,
                light_tokens: crate::engine::llm::light_tokens(j.stages, j.columns),
            })
        })
        .collect();
    if candidates.is_empty() && !opts.llm_configured {
        return None;
    }
    let b = batch(&candidates, Some(grouping), opts.light_limits);
    let needing = b.jobs() as usize;
    let calls = b.calls() as usize;
    Some(LlmFigures {
        jobs: needing,
        calls,
        calls_saved: needing.saturating_sub(calls),
        ..LlmFigures::default()
    })
}

#[cfg(test)]
mod tests;
