//! `dsmig explain JOB`: everything dsmig knows about one job, from a dry
//! run over the inputs (every result comes from the store when a build
//! was run) and the last two run records.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::analysis::complexity::Factor;
use crate::analysis::features::jaccard;
use crate::analysis::groups::{Group, SlotDiff};
use crate::analysis::lineage::{DataRef, Edge, EdgeKind, Node};
use crate::analysis::predict::{BlockingItem, Category};
use crate::engine::run::{Found, Outcome};
use crate::engine::summary::{JobRecord, RunRecord};
use crate::ir::{EntityHash, Job};
use crate::store::{Store, decode};

pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Explanation {
    pub format_version: u32,
    pub job: String,
    pub source: Source,
    pub ir: IrSummary,
    pub groups: Groups,
    pub complexity: ComplexityView,
    pub prediction: PredictionView,
    pub lineage: LineageView,
    pub generation: Generation,
    /// Set once a build has been recorded in the store.
    pub history: Option<History>,
    /// The last `dsmig reconcile` verdict (`reconcile::Verdict::line`).
    #[serde(default)]
    pub reconciled: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Source {
    pub file: String,
    pub line: Option<u64>,
    pub member: Option<String>,
    pub format: String,
    pub ir_hash: String,
}

impl Source {
    /// `file!member`, `file:line` or the file alone.
    pub fn place(&self) -> String {
        match (&self.member, self.line) {
            (Some(m), _) => format!("{}!{}", self.file, m),
            (None, Some(l)) => format!("{}:{}", self.file, l),
            (None, None) => self.file.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IrSummary {
    pub kind: String,
    pub folder: String,
    pub description: String,
    pub stages: BTreeMap<String, usize>,
    pub links: usize,
    pub columns: usize,
    pub parameters: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupView {
    pub id: String,
    pub size: usize,
    pub template: String,
    pub is_template: bool,
    /// Slots in which this job differs from the template.
    pub differs_from_template: Vec<SlotDiff>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Groups {
    pub duplicate: Option<GroupView>,
    pub similarity: Option<GroupView>,
    pub family: Option<GroupView>,
    /// The most similar other jobs (estimated Jaccard of their signatures).
    pub nearest: Vec<(String, f64)>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ComplexityView {
    pub score: u32,
    pub factors: Vec<Factor>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PredictionView {
    pub category: String,
    pub confidence: f64,
    pub effort_hours: f64,
    pub rule: String,
    pub blocking: Vec<BlockingItem>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LineageView {
    pub reads: Vec<DataRef>,
    pub writes: Vec<DataRef>,
    pub runs: Vec<String>,
    /// Jobs that write what this job reads.
    pub upstream: Vec<String>,
    /// Jobs that read what this job writes, or that run it.
    pub downstream: Vec<String>,
    pub wave: Option<usize>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Generation {
    /// `rule-based`, `variation of <template>`, `llm`, or `rule-based draft`.
    pub strategy: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct History {
    pub last_run: u64,
    /// How the job stood in the last build compared to the one before it.
    pub since_previous_run: String,
    /// The job's output files, and which of them the last build rewrote.
    pub outputs: Vec<String>,
    pub rewritten_in_last_run: Vec<String>,
    /// Whether the inputs changed since the last build (a dry run now).
    pub pending: String,
}

/// Jobs of the outcome called `name` (or `name#k`).
pub fn find<'a>(outcome: &'a Outcome, name: &str) -> Vec<&'a Found> {
    let jobs: Vec<&Found> = outcome
        .found
        .iter()
        .filter(|f| f.entity.kind == "job")
        .collect();
    if let Some((base, k)) = name.rsplit_once('#')
        && let Ok(k) = k.parse::<usize>()
    {
        let same: Vec<&Found> = jobs
            .iter()
            .copied()
            .filter(|f| f.entity.name == base)
            .collect();
        return same.get(k.saturating_sub(1)).copied().into_iter().collect();
    }
    jobs.into_iter().filter(|f| f.entity.name == name).collect()
}

/// Names close to `name`, for an unknown job.
pub fn suggestions(outcome: &Outcome, name: &str) -> Vec<String> {
    let lower = name.to_lowercase();
    let mut scored: Vec<(usize, String)> = outcome
        .found
        .iter()
        .filter(|f| f.entity.kind == "job")
        .map(|f| {
            let n = f.entity.name.to_lowercase();
            let d = if n.contains(&lower) || lower.contains(&n) {
                0
            } else {
                edit_distance(&n, &lower)
            };
            (d, f.entity.name.clone())
        })
        .filter(|(d, _)| *d <= 3.max(name.len() / 3))
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(5).map(|(_, n)| n).collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

pub fn explain(
    outcome: &Outcome,
    found: &Found,
    job: &Job,
    store: &Store,
    llm_configured: bool,
) -> Explanation {
    let ir = found.entity.ir;
    let key = ir.hex();
    let name_of = |k: &str| -> String {
        EntityHash::from_hex(k)
            .and_then(|h| outcome.found.iter().find(|f| f.entity.ir == h))
            .map(|f| f.entity.name.clone())
            .unwrap_or_else(|| k[..k.len().min(12)].to_string())
    };
    let e = &outcome.estate;
    let membership = e.grouping.as_ref().and_then(|g| g.membership.get(&key));
    let view = |groups: Option<&Vec<Group>>, id: Option<&String>| -> Option<GroupView> {
        let g = groups?.iter().find(|g| Some(&g.id) == id)?;
        Some(GroupView {
            id: g.id.clone(),
            size: g.members.len(),
            template: name_of(&g.template),
            is_template: g.template == key,
            differs_from_template: g.diffs.get(&key).cloned().unwrap_or_default(),
        })
    };
    let grouping = e.grouping.as_ref();
    let groups = Groups {
        duplicate: view(
            grouping.map(|g| &g.duplicates),
            membership.and_then(|m| m.dup.as_ref()),
        ),
        similarity: view(
            grouping.map(|g| &g.clusters),
            membership.and_then(|m| m.sim.as_ref()),
        ),
        family: view(
            grouping.map(|g| &g.families),
            membership.and_then(|m| m.fam.as_ref()),
        ),
        nearest: nearest(outcome, &ir),
    };
    let complexity = e.complexity.get(&ir);
    let prediction = e.predictions.get(&ir);
    let io = e.io.get(&ir).cloned().unwrap_or_default();
    let (upstream, downstream) = neighbours(&e.lineage.edges, &key, &name_of);
    let mut stages = BTreeMap::new();
    for s in &job.stages {
        *stages.entry(s.stage_type.clone()).or_insert(0) += 1;
    }
    let generation = strategy(
        prediction.map(|p| p.category),
        groups.similarity.as_ref().or(groups.duplicate.as_ref()),
        llm_configured,
    );
    Explanation {
        format_version: FORMAT_VERSION,
        job: job.name.clone(),
        source: Source {
            file: found.location.file.clone(),
            line: found.location.line,
            member: found.location.member.clone(),
            format: found.entity.format.as_str().to_string(),
            ir_hash: key.clone(),
        },
        ir: IrSummary {
            kind: job.kind.as_str().to_string(),
            folder: job.folder.clone(),
            description: job.description.clone(),
            stages,
            links: job.links.len(),
            columns: job.column_count(),
            parameters: job.parameters.iter().map(|p| p.name.clone()).collect(),
        },
        groups,
        complexity: ComplexityView {
            score: complexity.map_or(0, |c| c.score),
            factors: complexity.map(|c| c.factors.clone()).unwrap_or_default(),
        },
        prediction: PredictionView {
            category: prediction
                .map_or("unknown", |p| p.category.as_str())
                .to_string(),
            confidence: prediction.map_or(0.0, |p| p.confidence),
            effort_hours: prediction.map_or(0.0, |p| p.effort_hours),
            rule: prediction.map(|p| p.rule.clone()).unwrap_or_default(),
            blocking: prediction.map(|p| p.blocking.clone()).unwrap_or_default(),
        },
        lineage: LineageView {
            reads: io.reads,
            writes: io.writes,
            runs: io.runs,
            upstream,
            downstream,
            wave: e.wave_of.get(&key).copied(),
        },
        generation,
        history: history(store, &job.name, &ir, outcome),
        reconciled: crate::reconcile::stored(store)
            .ok()
            .and_then(|v| v.get(&job.name).map(|v| v.line(&key))),
    }
}

fn nearest(outcome: &Outcome, ir: &EntityHash) -> Vec<(String, f64)> {
    let features = &outcome.estate.features;
    let Some(mine) = features.get(ir) else {
        return Vec::new();
    };
    let mut names: BTreeMap<EntityHash, &str> = BTreeMap::new();
    for f in &outcome.found {
        names.entry(f.entity.ir).or_insert(&f.entity.name);
    }
    let mut scored: Vec<(String, f64)> = features
        .iter()
        .filter(|(k, _)| *k != ir)
        .map(|(k, f)| {
            (
                names.get(k).copied().unwrap_or("?").to_string(),
                jaccard(&mine.minhash, &f.minhash),
            )
        })
        .filter(|(_, s)| *s > 0.3)
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    scored.truncate(5);
    scored
}

fn neighbours(
    edges: &[Edge],
    key: &str,
    name_of: &dyn Fn(&str) -> String,
) -> (Vec<String>, Vec<String>) {
    let me = Node::Job(key.to_string());
    let reads: Vec<&Node> = edges
        .iter()
        .filter(|e| e.to == me && e.kind == EdgeKind::Reads)
        .map(|e| &e.from)
        .collect();
    let writes: Vec<&Node> = edges
        .iter()
        .filter(|e| e.from == me && e.kind == EdgeKind::Writes)
        .map(|e| &e.to)
        .collect();
    let job_name = |n: &Node| match n {
        Node::Job(k) if k != key => Some(name_of(k)),
        _ => None,
    };
    let mut up: Vec<String> = edges
        .iter()
        .filter(|e| e.kind == EdgeKind::Writes && reads.contains(&&e.to))
        .filter_map(|e| job_name(&e.from))
        .collect();
    let mut down: Vec<String> = edges
        .iter()
        .filter(|e| {
            (e.kind == EdgeKind::Reads && writes.contains(&&e.from))
                || (e.kind == EdgeKind::Runs && e.to == me)
        })
        .filter_map(|e| {
            job_name(if e.kind == EdgeKind::Runs {
                &e.from
            } else {
                &e.to
            })
        })
        .collect();
    up.sort();
    up.dedup();
    down.sort();
    down.dedup();
    (up, down)
}

fn strategy(category: Option<Category>, group: Option<&GroupView>, llm: bool) -> Generation {
    if let Some(g) = group
        && !g.is_template
    {
        return Generation {
            strategy: format!("variation of {}", g.template),
            reason: format!(
                "member of {} ({} jobs): generated from the template's translation with this job's {} differing slot(s) substituted",
                g.id,
                g.size,
                g.differs_from_template.len()
            ),
        };
    }
    match category {
        Some(Category::Auto) | None => Generation {
            strategy: "rule-based".into(),
            reason: "every stage and expression has a translation rule".into(),
        },
        Some(c) if llm => Generation {
            strategy: "llm".into(),
            reason: format!(
                "{}: the rule-based draft goes to the configured LLM to fill its placeholders",
                c.as_str()
            ),
        },
        Some(c) => Generation {
            strategy: "rule-based draft".into(),
            reason: format!(
                "{}: no LLM configured, so the rule-based draft keeps named placeholders for what rules cannot translate",
                c.as_str()
            ),
        },
    }
}

fn history(store: &Store, name: &str, ir: &EntityHash, outcome: &Outcome) -> Option<History> {
    let runs = store.runs(2).ok()?;
    let mut records = runs
        .iter()
        .filter_map(|(n, b)| decode::<RunRecord>(b).map(|r| (*n, r)));
    let (last_n, last) = records.next()?;
    let previous = records.next().map(|(_, r)| r);
    let find =
        |r: &RunRecord| -> Option<JobRecord> { r.jobs.iter().find(|j| j.id == name).cloned() };
    let now = find(&last);
    let before = previous.as_ref().and_then(find);
    let since_previous_run = match (&before, &now) {
        (_, None) => "not in the last build".to_string(),
        (None, Some(_)) if previous.is_none() => "first build".to_string(),
        (None, Some(_)) => "new in the last build".to_string(),
        (Some(b), Some(n)) if b.ir == n.ir => "unchanged in the last build".to_string(),
        (Some(b), Some(n)) if b.file_content != n.file_content => {
            format!("changed in the last build: its input {} changed", n.file)
        }
        (Some(b), Some(n)) => format!(
            "changed in the last build (now read from {}, was {})",
            n.file, b.file
        ),
    };
    let outputs = now.as_ref().map(|n| n.outputs.clone()).unwrap_or_default();
    let rewritten = outputs
        .iter()
        .filter(|o| last.summary.files.written_paths.contains(o))
        .cloned()
        .collect();
    let pending = match &now {
        Some(n) if n.ir == *ir => "no change in the inputs since the last build".to_string(),
        Some(_) => "changed since the last build: the next build redoes it".to_string(),
        None => "not built yet".to_string(),
    };
    let _ = outcome;
    Some(History {
        last_run: last_n,
        since_previous_run,
        outputs,
        rewritten_in_last_run: rewritten,
        pending,
    })
}

/// The explanation as text for a terminal.
pub fn render(x: &Explanation) -> String {
    let mut o = String::new();
    let s = &x.source;
    let place = s.place();
    o.push_str(&format!(
        "{}  ({} job, {} export)\n",
        x.job, x.ir.kind, s.format
    ));
    o.push_str(&format!(
        "  source     {place}\n  IR hash    {}\n",
        s.ir_hash
    ));
    if !x.ir.folder.is_empty() {
        o.push_str(&format!("  folder     {}\n", x.ir.folder));
    }
    let stages: Vec<String> =
        x.ir.stages
            .iter()
            .map(|(t, n)| format!("{t}×{n}"))
            .collect();
    o.push_str(&format!(
        "  shape      {} stages ({}), {} links, {} columns, {} parameters\n",
        x.ir.stages.values().sum::<usize>(),
        stages.join(" "),
        x.ir.links,
        x.ir.columns,
        x.ir.parameters.len()
    ));
    o.push_str(&format!(
        "\nCategory: {} (confidence {:.2}, effort {:.1} h)\n  rule: {}\n",
        x.prediction.category,
        x.prediction.confidence,
        x.prediction.effort_hours,
        x.prediction.rule
    ));
    for b in &x.prediction.blocking {
        o.push_str(&format!(
            "  blocking: {} at {}: {}\n",
            b.what,
            b.location.as_deref().unwrap_or("job"),
            b.reason
        ));
    }
    o.push_str(&format!("\nComplexity: {} points\n", x.complexity.score));
    use crate::analysis::complexity::FactorKind;
    let unread: Vec<&Factor> = x
        .complexity
        .factors
        .iter()
        .filter(|f| {
            matches!(
                f.kind,
                FactorKind::NotInterpreted | FactorKind::NotInterpretedInfo
            )
        })
        .collect();
    for f in x
        .complexity
        .factors
        .iter()
        .filter(|f| f.kind != FactorKind::NotInterpretedInfo)
    {
        o.push_str(&format!(
            "  {:>3}  {}{}: {}\n",
            f.points,
            f.name,
            f.location
                .as_ref()
                .map(|l| format!(" ({l})"))
                .unwrap_or_default(),
            f.reason
        ));
    }
    if !unread.is_empty() {
        o.push_str(&format!(
            "\nNot interpreted ({} properties no translation reads; on a row-transforming stage they keep the job out of AUTO):\n",
            unread.len()
        ));
        for f in &unread {
            o.push_str(&format!(
                "  {}{}: {}\n",
                f.location.as_deref().unwrap_or("job"),
                if f.kind == FactorKind::NotInterpreted {
                    " [blocking]"
                } else {
                    ""
                },
                f.reason
            ));
        }
    }
    o.push_str("\nGroups:\n");
    for (label, g) in [
        ("duplicate group ", &x.groups.duplicate),
        ("similarity cluster", &x.groups.similarity),
        ("pattern family  ", &x.groups.family),
    ] {
        match g {
            Some(g) => {
                o.push_str(&format!(
                    "  {label} {} ({} jobs), template {}{}\n",
                    g.id,
                    g.size,
                    g.template,
                    if g.is_template { " (this job)" } else { "" }
                ));
                for d in g.differs_from_template.iter().take(10) {
                    o.push_str(&format!(
                        "      differs at {} ({:?}): {} → {}\n",
                        d.path,
                        d.kind,
                        d.template.as_deref().unwrap_or("(none)"),
                        d.member.as_deref().unwrap_or("(none)")
                    ));
                }
                if g.differs_from_template.len() > 10 {
                    o.push_str(&format!(
                        "      … {} more differing slots (--json lists all)\n",
                        g.differs_from_template.len() - 10
                    ));
                }
            }
            None => o.push_str(&format!("  {label} none\n")),
        }
    }
    if !x.groups.nearest.is_empty() {
        let near: Vec<String> = x
            .groups
            .nearest
            .iter()
            .map(|(n, s)| format!("{n} {s:.2}"))
            .collect();
        o.push_str(&format!("  nearest jobs: {}\n", near.join(", ")));
    }
    let l = &x.lineage;
    o.push_str(&format!(
        "\nLineage (wave {}):\n",
        l.wave.map(|w| w.to_string()).unwrap_or_else(|| "-".into())
    ));
    let refs = |v: &[DataRef]| {
        v.iter()
            .map(|r| format!("{:?} {}", r.kind, r.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    o.push_str(&format!(
        "  reads      {}\n",
        if l.reads.is_empty() {
            "-".into()
        } else {
            refs(&l.reads)
        }
    ));
    o.push_str(&format!(
        "  writes     {}\n",
        if l.writes.is_empty() {
            "-".into()
        } else {
            refs(&l.writes)
        }
    ));
    if !l.runs.is_empty() {
        o.push_str(&format!("  runs       {}\n", l.runs.join(", ")));
    }
    o.push_str(&format!(
        "  upstream   {}\n",
        if l.upstream.is_empty() {
            "-".into()
        } else {
            l.upstream.join(", ")
        }
    ));
    o.push_str(&format!(
        "  downstream {}\n",
        if l.downstream.is_empty() {
            "-".into()
        } else {
            l.downstream.join(", ")
        }
    ));
    o.push_str(&format!(
        "\nGeneration: {}\n  {}\n",
        x.generation.strategy, x.generation.reason
    ));
    match &x.history {
        Some(h) => {
            o.push_str(&format!(
                "\nLast build (run #{}): {}\n",
                h.last_run, h.since_previous_run
            ));
            o.push_str(&format!("  now: {}\n", h.pending));
            for f in &h.outputs {
                let mark = if h.rewritten_in_last_run.contains(f) {
                    "rewritten"
                } else {
                    "unchanged"
                };
                o.push_str(&format!("  {f} ({mark} in the last build)\n"));
            }
        }
        None => o.push_str("\nNo build recorded in the store yet.\n"),
    }
    o.push_str(&format!(
        "\nReconciliation: {}\n",
        x.reconciled
            .as_deref()
            .unwrap_or("never compared (dsmig reconcile)")
    ));
    o
}

// ---------------------------------------------------------------------------
// Routines
// ---------------------------------------------------------------------------

/// `dsmig explain ROUTINE`: what the routine is, what keeps it from being
/// translated by rules (line by line), and the jobs that call it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoutineExplanation {
    pub format_version: u32,
    pub routine: String,
    pub source: Source,
    /// `server transform function`, `before/after subroutine`, `parallel
    /// external routine`.
    pub kind: String,
    pub folder: String,
    pub description: String,
    pub arguments: Vec<String>,
    pub source_lines: usize,
    /// How the rules translate it: `inline expression`, or `blocked`.
    pub translation: String,
    /// (line, reason); line 0 = the routine as a whole.
    pub blocking: Vec<(u32, String)>,
    /// Other routines it calls.
    pub calls: Vec<String>,
    /// Jobs that call it (derivation, routine activity, before/after
    /// subroutine), by name.
    pub callers: Vec<String>,
}

/// The routine called `name` (a `DSU.` prefix and case are ignored).
pub fn find_routine<'a>(outcome: &'a Outcome, name: &str) -> Option<&'a Found> {
    let bare = name.strip_prefix("DSU.").unwrap_or(name);
    outcome
        .found
        .iter()
        .find(|f| f.entity.kind == "routine" && f.entity.name.eq_ignore_ascii_case(bare))
}

pub fn explain_routine(
    outcome: &Outcome,
    found: &Found,
    routine: &crate::ir::Routine,
) -> RoutineExplanation {
    let a = crate::basic::analyse(routine);
    let mut callers: Vec<String> = outcome
        .estate
        .io
        .iter()
        .filter(|(_, io)| {
            io.routines.iter().any(|r| {
                r.strip_prefix("DSU.")
                    .unwrap_or(r)
                    .eq_ignore_ascii_case(&routine.name)
            })
        })
        .filter_map(|(h, _)| outcome.found.iter().find(|f| f.entity.ir == *h))
        .map(|f| f.entity.name.clone())
        .collect();
    callers.sort();
    callers.dedup();
    let translation = if !a.blockers.is_empty() {
        "blocked: a blocking item in every calling job".to_string()
    } else if a.kind == crate::basic::RoutineKind::TransformFunction
        && crate::basic::inline(
            routine,
            &routine
                .arguments
                .iter()
                .map(|n| crate::expr::ast::Expr {
                    kind: crate::expr::ast::ExprKind::Name(n.clone()),
                    pos: Default::default(),
                })
                .collect::<Vec<_>>(),
        )
        .is_some()
    {
        "inline expression: every statement supported, one expression of its arguments".to_string()
    } else {
        "every statement supported by the reference interpreter; no rule-based code generation yet (stays a blocking item in callers)".to_string()
    };
    RoutineExplanation {
        format_version: FORMAT_VERSION,
        routine: routine.name.clone(),
        source: Source {
            file: found.location.file.clone(),
            line: found.location.line,
            member: found.location.member.clone(),
            format: found.entity.format.as_str().to_string(),
            ir_hash: found.entity.ir.hex(),
        },
        kind: a.kind.label().to_string(),
        folder: routine.folder.clone(),
        description: routine.description.clone(),
        arguments: routine.arguments.clone(),
        source_lines: routine.source.lines().count(),
        translation,
        blocking: a
            .blockers
            .iter()
            .map(|b| (b.line, b.what.clone()))
            .collect(),
        calls: a.calls,
        callers,
    }
}

pub fn render_routine(x: &RoutineExplanation) -> String {
    let mut o = String::new();
    let s = &x.source;
    let place = s.place();
    o.push_str(&format!(
        "{}  (routine: {}, {} export)\n",
        x.routine, x.kind, s.format
    ));
    o.push_str(&format!(
        "  source     {place}\n  IR hash    {}\n",
        s.ir_hash
    ));
    if !x.folder.is_empty() {
        o.push_str(&format!("  folder     {}\n", x.folder));
    }
    o.push_str(&format!(
        "  arguments  {}\n  BASIC      {} line(s)\n",
        if x.arguments.is_empty() {
            "(none)".to_string()
        } else {
            x.arguments.join(", ")
        },
        x.source_lines
    ));
    o.push_str(&format!("\nTranslation: {}\n", x.translation));
    for (line, what) in &x.blocking {
        if *line == 0 {
            o.push_str(&format!("  blocking: {what}\n"));
        } else {
            o.push_str(&format!("  blocking: line {line}: {what}\n"));
        }
    }
    if !x.calls.is_empty() {
        o.push_str(&format!("  calls      {}\n", x.calls.join(", ")));
    }
    o.push_str(&format!("\nCalled by {} job(s)\n", x.callers.len()));
    for c in &x.callers {
        o.push_str(&format!("  {c}\n"));
    }
    o
}
