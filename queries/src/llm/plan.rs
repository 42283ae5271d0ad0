//! Estimates for `dsmig plan`: the LLM calls a build would make, with and
//! without batching per cluster, which are already answered in the store,
//! and their tokens and dollars for the configured model and every priced
//! one. Pure functions; tokens are estimated as characters / 4.

use serde::{Deserialize, Serialize};

use crate::config::{LlmConfig, ModelPrice};

use super::budget::cost;

/// One call a build would make.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedCall {
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Already answered in the store: costs nothing.
    pub stored: bool,
}

/// Dollars for a set of calls at one model's price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelCost {
    pub provider: String,
    pub model: String,
    /// Calls still to make, with batching; `None` without a price.
    pub cost_usd: Option<f64>,
    /// The same jobs at one full call each.
    pub cost_one_per_job_usd: Option<f64>,
}

/// One cluster or duplicate group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupCost {
    pub id: String,
    pub template: String,
    /// Jobs of the group that need the LLM.
    pub members: u64,
    pub calls: u64,
    pub savings: u64,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct LlmEstimate {
    /// Whether a provider is configured (else: what one would need).
    pub configured: bool,
    pub provider: String,
    pub model: String,
    /// Jobs whose code goes to the LLM (distinct designs).
    pub jobs: u64,
    /// Calls with batching; `stored` of them already answered.
    pub calls: u64,
    pub stored: u64,
    pub to_make: u64,
    /// Jobs whose answer comes from a duplicate's by slot substitution.
    pub substituted: u64,
    /// Calls at one full call per job.
    pub one_per_job: u64,
    /// Calls saved by batching, in % of `one_per_job`.
    pub savings_pct: f64,
    /// Tokens of the calls still to make, with batching.
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Tokens at one full call per job (nothing stored).
    pub one_per_job_input_tokens: u64,
    pub one_per_job_output_tokens: u64,
    pub models: Vec<ModelCost>,
    pub groups: Vec<GroupCost>,
    /// The run's dollar budget (`--budget`, else `max_cost_per_run`), if any.
    pub budget_usd: Option<f64>,
}

/// Sum of tokens of the calls not stored.
pub fn tokens(calls: &[PlannedCall]) -> (u64, u64) {
    calls
        .iter()
        .filter(|c| !c.stored)
        .fold((0, 0), |(i, o), c| {
            (i + c.input_tokens, o + c.output_tokens)
        })
}

/// The estimate's dollars for the configured model and every model of
/// `[llm.pricing]`.
pub fn model_costs(cfg: &LlmConfig, batched: (u64, u64), one: (u64, u64)) -> Vec<ModelCost> {
    let row = |provider: &str, model: &str, price: Option<&ModelPrice>| ModelCost {
        provider: provider.to_string(),
        model: model.to_string(),
        cost_usd: price.map(|p| cost(p, batched.0, batched.1)),
        cost_one_per_job_usd: price.map(|p| cost(p, one.0, one.1)),
    };
    let mut out = Vec::new();
    if cfg.provider != "none" && !cfg.model.is_empty() {
        out.push(row(&cfg.provider, &cfg.model, cfg.pricing.get(&cfg.model)));
    }
    for (model, price) in &cfg.pricing {
        if cfg.provider != "none" && *model == cfg.model {
            continue;
        }
        out.push(row("", model, Some(price)));
    }
    out
}

/// Characters of a job's rule-based draft, from its shape (fitted on the
/// Glue scripts of `examples/`: within a few % there). Used when the
/// draft is not generated yet.
pub fn draft_chars(stages: usize, columns: usize) -> u64 {
    9_800 + 330 * stages as u64 + 90 * columns as u64
}

fn tokens_short(n: u64) -> String {
    match n {
        n if n >= 10_000_000 => format!("{:.0}M", n as f64 / 1e6),
        n if n >= 1_000_000 => format!("{:.1}M", n as f64 / 1e6),
        n if n >= 10_000 => format!("{:.0}k", n as f64 / 1e3),
        n => n.to_string(),
    }
}

fn dollars(c: Option<f64>) -> String {
    c.map_or_else(|| "no price".to_string(), |c| format!("${c:.2}"))
}

/// Groups shown on a terminal (`--json` has them all).
const GROUP_ROWS: usize = 15;

/// The plan's LLM lines for a terminal.
pub fn render(e: &LlmEstimate) -> String {
    let mut out = String::new();
    let who = if e.configured {
        format!("{} {}", e.provider, e.model)
    } else {
        "none configured; --llm-provider or [llm] provider to use one".to_string()
    };
    out.push_str(&format!(
        "  LLM ({who}): {} jobs need it; {} calls with batching ({} stored, {} to make) vs {} at one call per job: {} calls saved ({:.1}%)\n",
        e.jobs,
        e.calls,
        e.stored,
        e.to_make,
        e.one_per_job,
        e.one_per_job.saturating_sub(e.calls),
        e.savings_pct
    ));
    out.push_str(&format!(
        "    tokens to send ~{} in, ~{} out (one call per job: ~{} in, ~{} out); {} jobs by slot substitution (0 calls); plus at most one repair call per answer that fails its check\n",
        tokens_short(e.input_tokens),
        tokens_short(e.output_tokens),
        tokens_short(e.one_per_job_input_tokens),
        tokens_short(e.one_per_job_output_tokens),
        e.substituted
    ));
    if !e.models.is_empty() {
        out.push_str(&format!(
            "    {:<44} {:>12} {:>14}\n",
            "provider / model", "batched", "one per job"
        ));
        for m in &e.models {
            let name = if m.provider.is_empty() {
                m.model.clone()
            } else {
                format!("{} {}", m.provider, m.model)
            };
            out.push_str(&format!(
                "    {:<44} {:>12} {:>14}\n",
                name,
                dollars(m.cost_usd),
                dollars(m.cost_one_per_job_usd)
            ));
        }
    }
    if let Some(b) = e.budget_usd {
        let cost = e
            .models
            .first()
            .filter(|m| !m.provider.is_empty())
            .and_then(|m| m.cost_usd);
        out.push_str(&match cost {
            Some(c) if c <= b => format!("    within the ${b} budget (~${c:.2})\n"),
            Some(c) => format!(
                "    over the ${b} budget (~${c:.2}): the build would stop calling and skip the remaining jobs\n"
            ),
            None => format!("    budget ${b}: no price for the model to compare with\n"),
        });
    }
    if !e.groups.is_empty() {
        out.push_str(&format!(
            "    {:<16} {:<36} {:>8} {:>6} {:>6}\n",
            "cluster", "template", "members", "calls", "saved"
        ));
        for g in e.groups.iter().take(GROUP_ROWS) {
            out.push_str(&format!(
                "    {:<16} {:<36} {:>8} {:>6} {:>6}\n",
                g.id, g.template, g.members, g.calls, g.savings
            ));
        }
        if e.groups.len() > GROUP_ROWS {
            out.push_str(&format!(
                "    … and {} more groups (--json lists all)\n",
                e.groups.len() - GROUP_ROWS
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_per_model() {
        let mut cfg = LlmConfig {
            provider: "anthropic".into(),
            model: "m1".into(),
            ..LlmConfig::default()
        };
        cfg.pricing.insert(
            "m1".into(),
            ModelPrice {
                input_per_mtok: 3.0,
                output_per_mtok: 15.0,
            },
        );
        cfg.pricing.insert(
            "m2".into(),
            ModelPrice {
                input_per_mtok: 1.0,
                output_per_mtok: 5.0,
            },
        );
        let calls = vec![
            PlannedCall {
                input_tokens: 1_000_000,
                output_tokens: 100_000,
                stored: false,
            },
            PlannedCall {
                input_tokens: 5,
                output_tokens: 5,
                stored: true,
            },
        ];
        let t = tokens(&calls);
        assert_eq!(t, (1_000_000, 100_000));
        let m = model_costs(&cfg, t, (2_000_000, 200_000));
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].provider, "anthropic");
        assert!((m[0].cost_usd.unwrap() - 4.5).abs() < 1e-9);
        assert!((m[0].cost_one_per_job_usd.unwrap() - 9.0).abs() < 1e-9);
        assert_eq!(m[1].model, "m2");
        cfg.pricing.clear();
        assert_eq!(model_costs(&cfg, t, t)[0].cost_usd, None);
        assert_eq!(draft_chars(0, 0), 9_800);
    }
}
