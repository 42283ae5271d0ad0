//! Complexity of one job: points per factor, each with its reason and
//! location. The points table is documented in `analysis/README.md`;
//! [`POINTS`] holds every constant in one place.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::catalogue::{StageClass, lookup};
use super::scan::{FnClass, called_functions, classify_function};
use crate::ir::{Job, JobKind, LinkKind, PropValue};

/// Version of the complexity rules (memo key).
pub const COMPLEXITY_VERSION: u32 = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum FactorKind {
    /// A supported stage, points by catalogue difficulty.
    Stage,
    /// A stage of difficulty 4 (CDC apply, SCD, messaging, routine activity).
    HardStage,
    /// Change capture / apply, slowly changing dimension.
    CdcScd,
    /// Difficulty 5: custom, BuildOp, Java, external, generic, unknown type.
    UnsupportedStage,
    /// Hand-written BASIC job control.
    CustomCode,
    /// A call to a function that is not a known built-in.
    UnknownFunction,
    /// `DSU.*` routine call, routine activity, before/after subroutine.
    RoutineCall,
    /// Stage variable read before it is assigned in the row.
    PreviousRowVariable,
    /// Transformer loop.
    TransformerLoop,
    /// Long or deeply nested expression.
    Expression,
    /// Reject link: runtime failures approximated by checks.
    RejectLink,
    /// Server job: BASIC semantics.
    ServerJob,
    JobSize,
    Parameters,
    /// Sequence triggers with custom conditions.
    SequenceFlow,
    /// Something a translation would have to guess (`stages::guess`):
    /// a missing key, an option value dsmig does not know.
    Guess,
    /// A property of a row-transforming stage that no translation reads
    /// (`stages::audit`): it may change the rows.
    NotInterpreted,
    /// A property of another stage (I/O) that no translation reads:
    /// listed, not blocking.
    NotInterpretedInfo,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Factor {
    pub kind: FactorKind,
    /// Short name: `stage:Lookup`, `function:MyUdf`...
    pub name: String,
    pub points: u32,
    pub reason: String,
    /// Stage or link name (`stage` / `link.column`).
    pub location: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Complexity {
    pub score: u32,
    pub factors: Vec<Factor>,
}

/// Every constant of the scoring, in one place.
pub struct Points {
    /// Points of one stage by catalogue difficulty 1..=5.
    pub by_difficulty: [u32; 5],
    pub unknown_function: u32,
    pub routine_call: u32,
    pub previous_row_variable: u32,
    pub transformer_loop: u32,
    pub custom_code: u32,
    pub long_expression: u32,
    pub long_expression_cap: u32,
    /// An expression is long above this many characters or nested calls.
    pub long_expression_chars: usize,
    pub long_expression_depth: usize,
    pub reject_link: u32,
    pub server_job: u32,
    /// One point per this many stages above `size_free_stages`.
    pub size_free_stages: usize,
    pub size_stages_per_point: usize,
    pub size_columns_per_point: usize,
    pub params_free: usize,
    pub params_per_point: usize,
    pub custom_trigger: u32,
    pub guess: u32,
    pub not_interpreted: u32,
}

pub const POINTS: Points = Points {
    by_difficulty: [0, 1, 3, 6, 25],
    unknown_function: 5,
    routine_call: 5,
    previous_row_variable: 5,
    transformer_loop: 5,
    custom_code: 30,
    long_expression: 1,
    long_expression_cap: 10,
    long_expression_chars: 300,
    long_expression_depth: 4,
    reject_link: 1,
    server_job: 3,
    size_free_stages: 10,
    size_stages_per_point: 5,
    size_columns_per_point: 100,
    params_free: 10,
    params_per_point: 5,
    custom_trigger: 1,
    guess: 5,
    not_interpreted: 2,
};

/// Score a job. Pure and deterministic.
pub fn complexity(job: &Job) -> Complexity {
    let p = &POINTS;
    let mut f: Vec<Factor> = Vec::new();
    let mut push = |kind, name: String, points: u32, reason: String, location: Option<String>| {
        f.push(Factor {
            kind,
            name,
            points,
            reason,
            location,
        })
    };

    // Stages.
    for s in &job.stages {
        let info = lookup(&s.stage_type);
        let d = info.difficulty.clamp(1, 5);
        let mut pts = p.by_difficulty[(d - 1) as usize];
        // Server transformers are BASIC: one step harder.
        if s.stage_type == "Transformer" && job.kind == JobKind::Server {
            pts = p.by_difficulty[2];
        }
        let kind = if d >= 5 {
            FactorKind::UnsupportedStage
        } else if info.class == StageClass::CdcScd {
            FactorKind::CdcScd
        } else if d == 4 {
            FactorKind::HardStage
        } else {
            FactorKind::Stage
        };
        if pts == 0 && kind == FactorKind::Stage {
            continue;
        }
        let reason = if d >= 5 {
            format!(
                "{} stage: no translation rules ({})",
                s.stage_type, info.note
            )
        } else {
            format!("{} stage, difficulty {d}: {}", s.stage_type, info.note)
        };
        push(
            kind,
            format!("stage:{}", s.stage_type),
            pts,
            reason,
            Some(s.name.clone()),
        );
    }

    // What a translation would have to guess: never AUTO (predict S1).
    for g in crate::stages::guesses(job) {
        push(
            FactorKind::Guess,
            g.name(),
            p.guess,
            g.what.clone(),
            Some(g.stage.clone()),
        );
    }

    // Properties no translation reads (the property audit).
    for n in crate::stages::audit::audit(job) {
        let (kind, pts) = if n.transforms_rows {
            (FactorKind::NotInterpreted, p.not_interpreted)
        } else {
            (FactorKind::NotInterpretedInfo, 0)
        };
        push(
            kind,
            format!("property:{}.{}", n.stage_type, n.property),
            pts,
            // Names only: property values never enter the report.
            format!(
                "{} property {} is set (not to its default) and not interpreted by dsmig",
                n.stage_type, n.property
            ),
            Some(n.stage.clone()),
        );
    }

    // Expressions: functions, routines, long expressions.
    let mut unknown: BTreeMap<String, String> = BTreeMap::new();
    let mut routines: BTreeMap<String, String> = BTreeMap::new();
    let mut untranslatable: BTreeMap<String, String> = BTreeMap::new();
    let mut long_pts = 0u32;
    let mut long_first: Option<String> = None;
    for (loc, text) in expressions(job) {
        if text.trim().is_empty() {
            continue;
        }
        for name in called_functions(text) {
            match classify_function(&name) {
                FnClass::Known => {}
                FnClass::Routine => {
                    routines.entry(name).or_insert_with(|| loc.clone());
                }
                // An SDK routine IBM ships is a routine call, not an unknown
                // function: the reason names it and its strategy.
                FnClass::Unknown if crate::basic::sdk::lookup(&name).is_some() => {
                    routines.entry(name).or_insert_with(|| loc.clone());
                }
                FnClass::Unknown => {
                    unknown.entry(name).or_insert_with(|| loc.clone());
                }
                FnClass::Untranslatable => {
                    untranslatable.entry(name).or_insert_with(|| loc.clone());
                }
            }
        }
        if text.len() > p.long_expression_chars || depth(text) > p.long_expression_depth {
            long_pts += p.long_expression;
            long_first.get_or_insert(loc.clone());
        }
    }
    for (name, loc) in unknown.clone() {
        push(
            FactorKind::UnknownFunction,
            format!("function:{name}"),
            p.unknown_function,
            format!("{name}() is not a known DataStage function (user routine?): needs a UDF"),
            Some(loc),
        );
    }
    // What the translator itself cannot do (some uses of a function are
    // supported and others not, e.g. a date format with weekday names).
    for (name, loc) in translation_gaps(job) {
        if !unknown.contains_key(&name) && !routines.contains_key(&name) {
            untranslatable.entry(name).or_insert(loc);
        }
    }
    for (name, loc) in untranslatable {
        let is_function = crate::expr::functions::lookup(&name).is_some();
        push(
            FactorKind::UnknownFunction,
            format!("function:{name}"),
            p.unknown_function,
            if is_function {
                format!(
                    "{name}() is a DataStage function without a translation rule: the generated code gets a named placeholder"
                )
            } else {
                format!(
                    "{name}: a variable, macro or parameter the target cannot give exactly DataStage's value (see docs/expression-coverage.md): a placeholder or a reported approximation"
                )
            },
            Some(loc),
        );
    }
    // ISX: routines the export lists as called by the job
    // (`DSFunctionCallSDO`) that no derivation names, e.g. a before-job
    // routine whose `beforeSubr` attribute is absent.
    for prop in &job.properties {
        if prop.name == "RoutineCalls"
            && let PropValue::Text(v) = &prop.value
        {
            for n in v.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                let bare = n.strip_prefix("DSU.").unwrap_or(n);
                let named = routines.keys().any(|k| {
                    k.strip_prefix("DSU.")
                        .unwrap_or(k)
                        .eq_ignore_ascii_case(bare)
                });
                if !named {
                    routines.insert(n.to_string(), "job".to_string());
                }
            }
        }
    }
    for (name, loc) in routines {
        let reason = match crate::basic::sdk::lookup(&name) {
            Some(sdk) => format!(
                "{name}() is the SDK routine {}\\{}: {}",
                sdk.category, sdk.name, sdk.note
            ),
            None => format!("{name}() calls a server routine (BASIC)"),
        };
        push(
            FactorKind::RoutineCall,
            format!("routine:{name}"),
            p.routine_call,
            reason,
            Some(loc),
        );
    }
    if long_pts > 0 {
        let pts = long_pts.min(p.long_expression_cap);
        push(
            FactorKind::Expression,
            "expressions".into(),
            pts,
            format!(
                "{long_pts} long or deeply nested expression(s) (> {} chars or > {} nested calls)",
                p.long_expression_chars, p.long_expression_depth
            ),
            long_first,
        );
    }

    // Transformer stage variables and loops.
    for s in &job.stages {
        let Some(t) = &s.transformer else { continue };
        // Counters, running totals, carried values and previous-key reads
        // translate to windows over the row order (`expr::stagevars`);
        // only the irregular rest needs a row loop by hand.
        let input_sorted = job
            .links
            .iter()
            .filter(|l| l.to_stage.as_deref() == Some(s.id.as_str()))
            .find(|l| l.kind == crate::ir::LinkKind::Stream)
            .and_then(|l| job.stage(&l.from_stage))
            .is_some_and(|u| u.stage_type == "Sort");
        for (v, why) in crate::expr::stagevars::analyse(t).blocking(input_sorted) {
            push(
                FactorKind::PreviousRowVariable,
                format!("stagevar:{v}"),
                p.previous_row_variable,
                format!(
                    "stage variable {v} {why} (previous-row semantics: depends on sort and partitioning)"
                ),
                Some(format!("{}.{v}", s.name)),
            );
        }
        if !t.loop_condition.trim().is_empty() {
            push(
                FactorKind::TransformerLoop,
                "loop".into(),
                p.transformer_loop,
                "transformer loop: several output rows per input row".into(),
                Some(s.name.clone()),
            );
        }
    }

    // Links.
    for l in &job.links {
        if l.kind == LinkKind::Reject {
            push(
                FactorKind::RejectLink,
                "reject".into(),
                p.reject_link,
                "reject link: runtime failures must be approximated by explicit checks".into(),
                Some(l.name.clone()),
            );
        }
    }

    // Job level.
    for prop in &job.properties {
        if let PropValue::Text(v) = &prop.value {
            let v = v.trim();
            if v.is_empty() || v.chars().all(|c| c.is_ascii_digit()) {
                continue;
            }
            match prop.name.as_str() {
                "JobControlCode" if !v.contains("Graphical Sequencer generated code") => push(
                    FactorKind::CustomCode,
                    "job-control".into(),
                    p.custom_code,
                    "hand-written BASIC job control code".into(),
                    Some("job".into()),
                ),
                "BeforeSubr" | "AfterSubr" | "ControlAfterSubr" => push(
                    FactorKind::RoutineCall,
                    format!("subroutine:{}", prop.name),
                    p.routine_call,
                    {
                        let routine = v.split('\\').next().unwrap_or(v);
                        match crate::basic::sdk::lookup(routine.trim()) {
                            Some(sdk) => format!(
                                "{} runs {routine} ({}): {}",
                                prop.name, sdk.category, sdk.note
                            ),
                            None => format!("{} runs routine {routine}", prop.name),
                        }
                    },
                    Some("job".into()),
                ),
                _ => {}
            }
        }
    }
    if job.kind == JobKind::Server && !job.stages.is_empty() {
        push(
            FactorKind::ServerJob,
            "server".into(),
            p.server_job,
            "server job: BASIC semantics (Trim collapses blanks, lookups by hashed files)".into(),
            None,
        );
    }
    let n = job.stages.len();
    let size_pts = (n.saturating_sub(p.size_free_stages) / p.size_stages_per_point
        + job.column_count() / p.size_columns_per_point) as u32;
    if size_pts > 0 {
        push(
            FactorKind::JobSize,
            "size".into(),
            size_pts,
            format!(
                "{n} stages, {} columns (1 point per {} stages above {}, per {} columns)",
                job.column_count(),
                p.size_stages_per_point,
                p.size_free_stages,
                p.size_columns_per_point
            ),
            None,
        );
    }
    let np = job.parameters.len();
    let par_pts = (np.saturating_sub(p.params_free) / p.params_per_point) as u32;
    if par_pts > 0 {
        push(
            FactorKind::Parameters,
            "parameters".into(),
            par_pts,
            format!(
                "{np} parameters (1 point per {} above {})",
                p.params_per_point, p.params_free
            ),
            None,
        );
    }
    for s in &job.stages {
        if let Some(a) = &s.activity {
            let custom = a
                .triggers
                .iter()
                .filter(|t| !t.expression.trim().is_empty())
                .count() as u32;
            if custom > 0 {
                push(
                    FactorKind::SequenceFlow,
                    "triggers".into(),
                    custom * p.custom_trigger,
                    format!("{custom} custom trigger condition(s)"),
                    Some(s.name.clone()),
                );
            }
        }
    }

    let score = f.iter().map(|x| x.points).sum();
    Complexity { score, factors: f }
}

/// Maximum nesting of parentheses.
fn depth(text: &str) -> usize {
    let mut d = 0usize;
    let mut max = 0;
    for c in text.chars() {
        match c {
            '(' => {
                d += 1;
                max = max.max(d);
            }
            ')' => d = d.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// (location, text) of every expression of a job.
/// Functions whose use in a Transformer the PySpark translator replaces by
/// a named placeholder, with where they are first used.
fn translation_gaps(job: &Job) -> BTreeMap<String, String> {
    use crate::expr::translate::IssueKind;
    let mut out = BTreeMap::new();
    for s in job.stages.iter().filter(|s| s.transformer.is_some()) {
        let scope = crate::expr::resolve::Scope::from_job(job, &s.id);
        let mut texts: Vec<(String, &str)> = Vec::new();
        if let Some(t) = &s.transformer {
            for v in &t.stage_vars {
                texts.push((format!("{}.{}", s.name, v.name), v.expression.as_str()));
            }
        }
        for l in job.links.iter().filter(|l| l.from_stage == s.id) {
            texts.push((l.name.clone(), l.constraint.as_str()));
            for c in &l.columns {
                texts.push((format!("{}.{}", l.name, c.name), c.derivation.as_str()));
            }
        }
        for (loc, text) in texts {
            if text.trim().is_empty() {
                continue;
            }
            let Ok(e) = crate::expr::parse(text) else {
                continue;
            };
            for issue in crate::expr::translate::pyspark::to_pyspark(&e, &scope).issues {
                // A system variable or macro whose value may differ from
                // DataStage's (registry: Approximate) blocks like a gap.
                let approx_variable = issue.kind == IssueKind::Approximate
                    && crate::expr::functions::VARIABLES
                        .iter()
                        .any(|v| v.name.eq_ignore_ascii_case(&issue.function));
                if (issue.kind == IssueKind::Unsupported || approx_variable)
                    && !issue.function.to_ascii_uppercase().starts_with("DSU.")
                {
                    out.entry(issue.function).or_insert_with(|| loc.clone());
                }
            }
        }
    }
    out
}

fn expressions(job: &Job) -> Vec<(String, &str)> {
    let mut out = Vec::new();
    for s in &job.stages {
        if let Some(t) = &s.transformer {
            for v in t.stage_vars.iter().chain(&t.loop_vars) {
                out.push((format!("{}.{}", s.name, v.name), v.expression.as_str()));
                out.push((format!("{}.{}", s.name, v.name), v.initial_value.as_str()));
            }
            out.push((s.name.clone(), t.loop_condition.as_str()));
        }
        if let Some(a) = &s.activity {
            for (n, e) in &a.parameter_values {
                out.push((format!("{}.{n}", s.name), e.as_str()));
            }
            for t in &a.triggers {
                out.push((format!("{}.{}", s.name, t.name), t.expression.as_str()));
            }
        }
    }
    // Column derivations on the outputs of other stages (Aggregator's
    // `RecCount()`, the surrogate key generator's `GenerateKey(ID)`...)
    // are generated mappings, not user expressions.
    let user_stage = |id: &str| {
        job.stage(id)
            .is_some_and(|s| s.transformer.is_some() || s.stage_type == "Transformer")
    };
    for l in job.links.iter().filter(|l| user_stage(&l.from_stage)) {
        out.push((l.name.clone(), l.constraint.as_str()));
        for c in &l.columns {
            out.push((format!("{}.{}", l.name, c.name), c.derivation.as_str()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::features::tests::{sample_job, stage};
    use crate::ir::StageVar;

    #[test]
    fn supported_job_scores_low() {
        let j = sample_job("A", "T", "D", "l");
        let c = complexity(&j);
        assert!(c.score <= 5, "{c:?}");
        assert!(
            c.factors.iter().all(|f| f.kind == FactorKind::Stage),
            "{c:?}"
        );
        assert_eq!(c.score, c.factors.iter().map(|f| f.points).sum::<u32>());
    }

    #[test]
    fn detects_unknown_functions_routines_and_previous_row() {
        let mut j = sample_job("A", "T", "D", "l");
        j.links[1].columns[0].derivation = "MyUdf(l.ID) : DSU.Fmt2(l.ID)".into();
        if let Some(t) = j.stages[1].transformer.as_mut() {
            t.stage_vars.push(StageVar {
                name: "svPrev".into(),
                // Concatenating onto itself: no window form (irregular).
                expression: "svCurr : svPrev".into(),
                initial_value: String::new(),
                sql_type: 12,
                length: 1,
                scale: 0,
            });
            t.stage_vars.push(StageVar {
                name: "svCurr".into(),
                expression: "l.ID".into(),
                initial_value: String::new(),
                sql_type: 12,
                length: 1,
                scale: 0,
            });
        }
        j.stages.push(stage("V0S9", "java", "JavaStage", vec![]));
        let c = complexity(&j);
        let kinds: Vec<FactorKind> = c.factors.iter().map(|f| f.kind).collect();
        assert!(kinds.contains(&FactorKind::UnknownFunction), "{c:#?}");
        assert!(kinds.contains(&FactorKind::RoutineCall));
        assert!(kinds.contains(&FactorKind::PreviousRowVariable));
        assert!(kinds.contains(&FactorKind::UnsupportedStage));
        let prev = c
            .factors
            .iter()
            .find(|f| f.kind == FactorKind::PreviousRowVariable)
            .expect("prev");
        assert_eq!(prev.location.as_deref(), Some("xf.svPrev"));
        assert_eq!(
            c.factors
                .iter()
                .filter(|f| f.kind == FactorKind::PreviousRowVariable)
                .count(),
            1
        );
        // A previous-key read and a counter reset on it translate to
        // windows in PySpark; SQL lacks the segmented form, so the
        // factor stays (the reason says which target lacks it), and
        // a plain counter after a Sort holds nothing back.
        if let Some(t) = j.stages[1].transformer.as_mut() {
            for v in t.stage_vars.iter_mut().filter(|v| v.name == "svPrev") {
                v.expression = "If svCurr <> l.ID Then 1 Else svPrev + 1".into();
            }
        }
        let c = complexity(&j);
        let prev: Vec<_> = c
            .factors
            .iter()
            .filter(|f| f.kind == FactorKind::PreviousRowVariable)
            .collect();
        assert_eq!(prev.len(), 1, "{c:#?}");
        assert!(prev[0].reason.contains("not generated for SQL"), "{prev:?}");
        let report =
            crate::expr::stagevars::analyse(j.stages[1].transformer.as_ref().expect("transformer"));
        assert_eq!(report.blocking(true).len(), 1, "the reset scan, for SQL");
        if let Some(t) = j.stages[1].transformer.as_mut() {
            for v in t.stage_vars.iter_mut().filter(|v| v.name == "svPrev") {
                v.expression = "svPrev + 1".into();
            }
        }
        let report =
            crate::expr::stagevars::analyse(j.stages[1].transformer.as_ref().expect("transformer"));
        assert!(report.blocking(true).is_empty(), "a counter after a Sort");
        assert_eq!(report.blocking(false).len(), 1, "a counter without order");
    }
}
