//! Migration category, confidence, effort and blocking items of one job,
//! from its complexity, the `[prediction]` settings and its group
//! membership. The rules are [`RULES_MARKDOWN`] (also in the README).

use serde::{Deserialize, Serialize};

use super::complexity::{Complexity, FactorKind};
use super::groups::Membership;
use crate::config::PredictionConfig;

/// Version of the prediction rules (memo key).
pub const PREDICT_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Category {
    Auto,
    SemiAuto,
    Manual,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Auto => "AUTO",
            Category::SemiAuto => "SEMI-AUTO",
            Category::Manual => "MANUAL",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockingItem {
    /// `stage:JavaStage`, `function:MyUdf`...
    pub what: String,
    /// Stage, link or `stage.variable`.
    pub location: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    pub category: Category,
    /// 0..1: how sure the rule is (see the rules).
    pub confidence: f64,
    pub effort_hours: f64,
    pub blocking: Vec<BlockingItem>,
    /// The rule that decided, human-readable.
    pub rule: String,
}

/// The rules, as a README section.
pub const RULES_MARKDOWN: &str = r#"### Migration categories

`dsmig` puts every job in one of three categories. The first rule that
matches decides; the thresholds come from `[prediction]` in `dsmig.toml`.

| # | rule | category |
|---|---|---|
| M1 | the job has a stage without translation rules (catalogue difficulty 5: custom / plugin / unknown stage types, BuildOp, Java, wrapped, external source/target/filter, generic OSH, web service) or hand-written BASIC job control | MANUAL |
| M2 | complexity score ≥ `manual_min_score` (default 60) | MANUAL |
| S1 | a call to a function that is not a known DataStage built-in (a user routine or typo), a `DSU.*` routine call or before/after subroutine, a stage variable read before it is assigned in a form that is not a window on both targets (previous-row semantics, `expr/stagevars.rs`), a system variable or macro whose value a target cannot give exactly, a transformer loop, a CDC / SCD stage (change capture, change apply, slowly changing dimension) or another difficulty-4 stage (MQ, routine activity), or something a translation would have to guess (a Lookup or Join without keys, an option value dsmig does not know, a database read with neither table nor query: `stages/guess.rs`), or a property of a row-transforming stage that no translation reads (`stages/audit.rs`) | SEMI-AUTO |
| S2 | complexity score > `auto_max_score` (default 20) | SEMI-AUTO |
| A1 | otherwise: only supported stages and known functions, score ≤ `auto_max_score` | AUTO |

Blocking items are the factors that triggered M1 or S1 (with their stage,
link or variable), or for M2 / S2 the three factors with the most points.

**Confidence**: M1 0.95; S1 0.85; A1 0.95 at score 0 falling linearly to
0.6 at `auto_max_score`; M2 and S2 0.6 plus up to 0.3 for the distance to
the nearest threshold. A job that is a non-template member of a duplicate
group gets +0.05 (its template shows what works), capped at 0.99.

**Effort** (hours) = base (AUTO 0.5, SEMI-AUTO 2, MANUAL 8) + score ×
`hours_per_point` (default 0.25). A non-template member of a duplicate
group costs 20 % of that (the template is migrated once, the copy only
changes its names); a non-template member of a similarity cluster 60 %.

**Complexity points** (one factor per item, each with its reason): stage
by catalogue difficulty 1/2/3/4/5 → 0/1/3/6/25 points (a server-job
transformer counts as difficulty 3); unknown function, routine call,
previous-row stage variable, transformer loop, guess: 5 each; property of a row-transforming stage not interpreted: 2 (of another stage: listed, 0); hand-written job
control: 30; long or nested expression (> 300 chars or > 4 nested calls): 1
each, at most 10; reject link: 1; server job: 3; size: 1 per 5 stages above
10 and 1 per 100 columns; parameters: 1 per 5 above 10; custom sequence
trigger condition: 1.
"#;

/// Predict the category of a job.
pub fn predict(c: &Complexity, cfg: &PredictionConfig, group: Option<&Membership>) -> Prediction {
    let score = c.score;
    let auto_max = cfg.auto_max_score;
    let manual_min = cfg.manual_min_score.max(auto_max + 1);
    let item = |f: &super::complexity::Factor| BlockingItem {
        what: f.name.clone(),
        location: f.location.clone(),
        reason: f.reason.clone(),
    };
    let top3 = || {
        let mut v: Vec<&super::complexity::Factor> = c.factors.iter().collect();
        v.sort_by(|a, b| b.points.cmp(&a.points).then(a.name.cmp(&b.name)));
        v.into_iter().take(3).map(item).collect::<Vec<_>>()
    };
    let manual: Vec<BlockingItem> = c
        .factors
        .iter()
        .filter(|f| {
            matches!(
                f.kind,
                FactorKind::UnsupportedStage | FactorKind::CustomCode
            )
        })
        .map(item)
        .collect();
    let semi: Vec<BlockingItem> = c
        .factors
        .iter()
        .filter(|f| {
            matches!(
                f.kind,
                FactorKind::UnknownFunction
                    | FactorKind::RoutineCall
                    | FactorKind::PreviousRowVariable
                    | FactorKind::TransformerLoop
                    | FactorKind::CdcScd
                    | FactorKind::HardStage
                    | FactorKind::Guess
                    | FactorKind::NotInterpreted
            )
        })
        .map(item)
        .collect();
    let band = (manual_min - auto_max) as f64 / 2.0;
    let margin = |d: f64| (d / band).clamp(0.0, 1.0);
    let (category, mut confidence, blocking, rule) = if !manual.is_empty() {
        let rule = format!(
            "M1: {} item(s) without translation rules ({})",
            manual.len(),
            manual
                .iter()
                .map(|b| b.what.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        (Category::Manual, 0.95, manual, rule)
    } else if score >= manual_min {
        let conf = 0.6 + 0.3 * margin((score - manual_min) as f64);
        (
            Category::Manual,
            conf,
            top3(),
            format!("M2: score {score} ≥ manual_min_score {manual_min}"),
        )
    } else if !semi.is_empty() {
        let rule = format!(
            "S1: {} item(s) need review ({})",
            semi.len(),
            semi.iter()
                .map(|b| b.what.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        (Category::SemiAuto, 0.85, semi, rule)
    } else if score > auto_max {
        let d = (score - auto_max).min(manual_min - score) as f64;
        (
            Category::SemiAuto,
            0.6 + 0.3 * margin(d),
            top3(),
            format!("S2: score {score} > auto_max_score {auto_max}"),
        )
    } else {
        let conf = if auto_max == 0 {
            0.95
        } else {
            0.95 - 0.35 * (score as f64 / auto_max as f64)
        };
        (
            Category::Auto,
            conf,
            Vec::new(),
            format!("A1: supported stages and functions only, score {score} ≤ {auto_max}"),
        )
    };
    let base = match category {
        Category::Auto => 0.5,
        Category::SemiAuto => 2.0,
        Category::Manual => 8.0,
    };
    let mut effort = base + score as f64 * cfg.hours_per_point;
    if let Some(m) = group
        && !m.is_template
    {
        if m.dup.is_some() {
            effort *= 0.2;
            confidence = (confidence + 0.05).min(0.99);
        } else if m.sim.is_some() {
            effort *= 0.6;
        }
    }
    Prediction {
        category,
        confidence: (confidence * 1000.0).round() / 1000.0,
        effort_hours: (effort * 100.0).round() / 100.0,
        blocking,
        rule,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::complexity::{Factor, complexity};
    use crate::analysis::features::tests::{sample_job, stage};

    fn cfg() -> PredictionConfig {
        PredictionConfig::default()
    }

    #[test]
    fn supported_job_is_auto() {
        let c = complexity(&sample_job("A", "T", "D", "l"));
        let p = predict(&c, &cfg(), None);
        assert_eq!(p.category, Category::Auto, "{p:?}");
        assert!(p.blocking.is_empty());
        assert!(p.confidence > 0.8);
    }

    #[test]
    fn custom_stage_is_manual_with_location() {
        let mut j = sample_job("A", "T", "D", "l");
        j.stages
            .push(stage("V0S9", "wtx", "Custom:WTXStage", vec![]));
        let p = predict(&complexity(&j), &cfg(), None);
        assert_eq!(p.category, Category::Manual);
        assert_eq!(p.blocking[0].location.as_deref(), Some("wtx"));
        assert!(p.rule.starts_with("M1"));
    }

    #[test]
    fn thresholds_come_from_config() {
        let c = Complexity {
            score: 30,
            factors: vec![Factor {
                kind: FactorKind::Stage,
                name: "stage:Lookup".into(),
                points: 30,
                reason: "r".into(),
                location: None,
            }],
        };
        assert_eq!(predict(&c, &cfg(), None).category, Category::SemiAuto);
        let loose = PredictionConfig {
            auto_max_score: 40,
            ..cfg()
        };
        assert_eq!(predict(&c, &loose, None).category, Category::Auto);
        let strict = PredictionConfig {
            manual_min_score: 25,
            ..cfg()
        };
        assert_eq!(predict(&c, &strict, None).category, Category::Manual);
    }

    #[test]
    fn readme_carries_the_rules() {
        let readme = include_str!("README.md");
        for line in RULES_MARKDOWN.lines().filter(|l| l.starts_with("| ")) {
            assert!(readme.contains(line), "README.md lacks: {line}");
        }
    }

    #[test]
    fn duplicates_cost_less() {
        let c = complexity(&sample_job("A", "T", "D", "l"));
        let alone = predict(&c, &cfg(), None);
        let m = Membership {
            dup: Some("DUP_x".into()),
            ..Default::default()
        };
        let copy = predict(&c, &cfg(), Some(&m));
        assert!(copy.effort_hours < alone.effort_hours);
    }
}
