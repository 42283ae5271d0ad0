//! What a run did (or, for a plan, would do): the record saved in the
//! store and printed by `dsmig build` / `dsmig plan`. The JSON shape is
//! documented in the README; `format_version` changes when it breaks.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::engine::PhaseCount;
use crate::engine::materialize::FileCounts;
use crate::ir::EntityHash;
use crate::parse::diag::Diagnostic;
use crate::store::Hash;

pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputCounts {
    pub files: u64,
    pub bytes: u64,
    pub skipped: u64,
    pub with_errors: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobCounts {
    pub total: u64,
    pub new: u64,
    pub changed: u64,
    pub unchanged: u64,
    pub removed: u64,
}

/// What the LLM phase did (a build) or would do (a plan: `estimate`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LlmCounts {
    /// Calls sent (each once, however many HTTP attempts).
    pub calls_made: u64,
    /// Answers taken from the store instead of being asked again.
    pub served_from_store: u64,
    /// Calls not sent because of the budget.
    pub skipped_for_budget: u64,
    /// `provider model`, or empty when no LLM is used.
    pub model: String,
    /// Jobs whose code goes to the LLM (distinct designs).
    pub jobs: u64,
    /// Jobs whose code file now holds checked LLM code…
    pub filled: u64,
    /// …of which by slot substitution from a duplicate's answer (0 calls).
    pub substituted: u64,
    /// Jobs that keep the rule-based draft (answer failed its check, call
    /// failed or skipped, or their template's did).
    pub kept_draft: u64,
    /// Repair calls among `calls_made` and `served_from_store`.
    pub repairs: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Dollars of the calls made (0 without a price).
    pub cost_usd: f64,
    /// One line per skipped job, failed call or answer that failed its check.
    pub lines: Vec<String>,
    /// `dsmig plan`: the calls a build would make and what they cost.
    pub estimate: Option<crate::llm::plan::LlmEstimate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobChange {
    pub job: String,
    /// `new`, `changed` or `removed`.
    pub status: String,
    /// Which input changed, in words.
    pub reason: String,
    pub file: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub format_version: u32,
    /// `build` or `plan`.
    pub kind: String,
    pub inputs: InputCounts,
    pub jobs: JobCounts,
    /// Phase name → computed / reused (for a plan: would compute / reusable).
    pub phases: BTreeMap<String, PhaseCount>,
    pub llm: LlmCounts,
    pub files: FileCounts,
    pub output_dir: String,
    pub changes: Vec<JobChange>,
    /// Jobs per category (`AUTO`, `SEMI-AUTO`, `MANUAL`).
    pub categories: BTreeMap<String, u64>,
    pub duplicate_groups: u64,
    pub similarity_clusters: u64,
    pub families: u64,
    pub waves: u64,
    pub errors: u64,
    pub warnings: u64,
    pub diagnostics: Vec<Diagnostic>,
}

impl RunSummary {
    /// Whether a build would do anything.
    pub fn has_changes(&self) -> bool {
        self.jobs.new + self.jobs.changed + self.jobs.removed > 0
            || self.phases.values().any(|p| p.computed > 0)
            || self.files.written + self.files.deleted > 0
            || !self.files.overwritten.is_empty()
            || self
                .llm
                .estimate
                .as_ref()
                .is_some_and(|e| e.configured && e.to_make > 0)
    }
}

/// One job as a run saw it: how the next run tells new, changed and
/// removed jobs apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRecord {
    /// The job's name, with `#2`, `#3`… for further jobs of the same name.
    pub id: String,
    pub ir: EntityHash,
    pub file: String,
    pub file_content: Hash,
    pub line: Option<u64>,
    /// Output paths of this job (under the output folder).
    pub outputs: Vec<String>,
}

/// What the store keeps per run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub summary: RunSummary,
    /// The paths the run was given (for `dsmig explain` without paths).
    pub inputs: Vec<String>,
    pub jobs: Vec<JobRecord>,
    /// Memo keys and blobs the run used: what `store gc` keeps.
    pub memo_keys: Vec<Hash>,
    pub blobs: Vec<Hash>,
}

fn render_llm(out: &mut String, s: &RunSummary) {
    let l = &s.llm;
    if s.kind == "plan" {
        match &l.estimate {
            Some(e) => out.push_str(&crate::llm::plan::render(e)),
            None if !l.model.is_empty() => out.push_str(&format!("  LLM: {}\n", l.model)),
            None => out.push_str("  LLM calls: none needed\n"),
        }
        return;
    }
    out.push_str(&format!(
        "  LLM calls: {} made, {} served from the store{}\n",
        l.calls_made,
        l.served_from_store,
        if l.skipped_for_budget > 0 {
            format!(", {} skipped (budget)", l.skipped_for_budget)
        } else {
            String::new()
        }
    ));
    if l.jobs > 0 {
        out.push_str(&format!(
            "  LLM ({}): {} jobs: {} filled ({} by slot substitution, 0 calls), {} keep the rule-based draft; {} repair call(s); {} tokens in, {} out, ${:.4}\n",
            l.model,
            l.jobs,
            l.filled,
            l.substituted,
            l.kept_draft,
            l.repairs,
            l.input_tokens,
            l.output_tokens,
            l.cost_usd
        ));
    }
    const SHOWN: usize = 30;
    for line in l.lines.iter().take(SHOWN) {
        out.push_str(&format!("    {line}\n"));
    }
    if l.lines.len() > SHOWN {
        out.push_str(&format!(
            "    … and {} more (--summary-json lists all)\n",
            l.lines.len() - SHOWN
        ));
    }
}

/// Files edited by hand, a line each (the first 50; the JSON lists all):
/// kept with the new version beside them, overwritten (`--force`), or
/// stale but kept.
fn render_edits(out: &mut String, plan: bool, f: &crate::engine::materialize::FileCounts) {
    const SHOWN: usize = 50;
    let more = |out: &mut String, n: usize| {
        if n > SHOWN {
            let flag = if plan { "--json" } else { "--summary-json" };
            out.push_str(&format!(
                "    … and {} more ({flag} lists all)\n",
                n - SHOWN
            ));
        }
    };
    if !f.edited.is_empty() {
        out.push_str(&if plan {
            format!(
                "  {} file(s) edited by hand since dsmig wrote them: a build leaves them as they are and \
                 writes the new version beside each as FILE{suffix} (build --force overwrites them)\n",
                f.edited.len(),
                suffix = crate::engine::materialize::NEW_SUFFIX
            )
        } else {
            format!(
                "  {} file(s) edited by hand since dsmig wrote them, left as they are; the new version \
                 is beside each as FILE{suffix} (build --force overwrites them)\n",
                f.edited.len(),
                suffix = crate::engine::materialize::NEW_SUFFIX
            )
        });
        for rel in f.edited.iter().take(SHOWN) {
            if plan {
                out.push_str(&format!("    edited by hand: {rel}\n"));
            } else {
                out.push_str(&format!(
                    "    edited by hand: {rel} (new version: {})\n",
                    crate::engine::materialize::beside(rel)
                ));
            }
        }
        more(out, f.edited.len());
    }
    if !f.overwritten.is_empty() {
        out.push_str(&format!(
            "  {} file(s) edited by hand overwritten (--force)\n",
            f.overwritten.len()
        ));
        for rel in f.overwritten.iter().take(SHOWN) {
            out.push_str(&format!("    overwritten: {rel}\n"));
        }
        more(out, f.overwritten.len());
    }
    if f.kept_edited > 0 {
        out.push_str(&format!(
            "  {} stale file(s) kept because they were edited after dsmig wrote them (delete them yourself if unneeded)\n",
            f.kept_edited
        ));
        for rel in f.kept_edited_paths.iter().take(SHOWN) {
            out.push_str(&format!("    kept, edited by hand: {rel}\n"));
        }
        more(out, f.kept_edited_paths.len());
    }
}

/// The summary as a few lines for a terminal, Terraform-style.
pub fn render(s: &RunSummary) -> String {
    let mut out = String::new();
    let verb = if s.kind == "plan" { "Plan" } else { "Build" };
    let j = &s.jobs;
    out.push_str(&format!(
        "{verb}: {} jobs: {} new, {} changed, {} unchanged, {} removed\n",
        j.total, j.new, j.changed, j.unchanged, j.removed
    ));
    let (c, r) = if s.kind == "plan" {
        ("to compute", "stored")
    } else {
        ("computed", "reused")
    };
    out.push_str(&format!("  {:<12} {:>10} {:>10}\n", "phase", c, r));
    let order = |n: &str| {
        crate::engine::Phase::from_name(n)
            .map(|p| p as usize)
            .unwrap_or(usize::MAX)
    };
    let mut phases: Vec<_> = s.phases.iter().collect();
    phases.sort_by_key(|(n, _)| order(n));
    for (name, p) in phases {
        out.push_str(&format!(
            "  {:<12} {:>10} {:>10}\n",
            name, p.computed, p.reused
        ));
    }
    render_llm(&mut out, s);
    if !s.categories.is_empty() {
        let cat = |c: &str| s.categories.get(c).copied().unwrap_or(0);
        out.push_str(&format!(
            "  categories: {} AUTO, {} SEMI-AUTO, {} MANUAL; {} duplicate groups, {} similarity clusters, {} families, {} waves\n",
            cat("AUTO"),
            cat("SEMI-AUTO"),
            cat("MANUAL"),
            s.duplicate_groups,
            s.similarity_clusters,
            s.families,
            s.waves
        ));
    }
    let f = &s.files;
    if s.kind == "plan" {
        out.push_str(&format!(
            "  files: {} to write, {} to delete (in {})\n",
            f.written, f.deleted, s.output_dir
        ));
    } else {
        out.push_str(&format!(
            "  files: {} written, {} unchanged, {} deleted (in {})\n",
            f.written, f.unchanged, f.deleted, s.output_dir
        ));
    }
    render_edits(&mut out, s.kind == "plan", f);
    out.push_str(&format!(
        "  inputs: {} files, {:.1} MB, {} skipped, {} with errors; {} error(s), {} warning(s)\n",
        s.inputs.files,
        s.inputs.bytes as f64 / 1e6,
        s.inputs.skipped,
        s.inputs.with_errors,
        s.errors,
        s.warnings
    ));
    out
}
