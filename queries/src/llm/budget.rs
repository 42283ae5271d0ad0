//! Spending limits: `llm.budget.max_tokens_per_job` (input + output of all
//! of a job's calls) and `llm.budget.max_cost_per_run` (dollars, from the
//! `[llm.pricing]` table; `--budget USD` overrides it).
//!
//! Before a call is sent its cost is bounded from above: the estimated
//! input (chars / 4) plus the whole `max_tokens` of output. A call whose
//! bound does not fit in what is left is not sent, and from then on no
//! call is sent (the remaining jobs are skipped, each with a line saying
//! why); a call already sent is never cut short. When an answer arrives
//! its reported usage replaces the bound.

use std::collections::HashMap;

use crate::config::{LlmConfig, ModelPrice};

use super::LlmError;
use super::provider::{ChatRequest, Usage};

/// Tokens for planning: one per four characters, rounded up.
pub fn estimate_tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4)
}

pub fn request_input_tokens(req: &ChatRequest) -> u64 {
    estimate_tokens(&req.system) + estimate_tokens(&req.prompt)
}

/// Completions shorter than this are not worth asking for.
pub const MIN_OUTPUT_TOKENS: u64 = 256;

/// Dollars for `usage` at `price`.
pub fn cost(price: &ModelPrice, input_tokens: u64, output_tokens: u64) -> f64 {
    (input_tokens as f64 * price.input_per_mtok + output_tokens as f64 * price.output_per_mtok)
        / 1_000_000.0
}

/// Why a job was not sent.
#[derive(Debug, Clone, PartialEq)]
pub enum SkipReason {
    /// Its prompt leaves too little of `max_tokens_per_job` for an answer.
    JobTokens {
        job: String,
        input_estimate: u64,
        used: u64,
        limit: u64,
    },
    /// This call could cost more than what is left of the run's budget.
    RunCost {
        job: String,
        bound: f64,
        spent: f64,
        limit: f64,
    },
    /// An earlier call already hit the run's budget.
    AfterStop { job: String, limit: f64 },
}

impl SkipReason {
    pub fn job(&self) -> &str {
        match self {
            SkipReason::JobTokens { job, .. }
            | SkipReason::RunCost { job, .. }
            | SkipReason::AfterStop { job, .. } => job,
        }
    }
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipReason::JobTokens {
                job,
                input_estimate,
                used,
                limit,
            } => write!(
                f,
                "job {job}: skipped (LLM): its prompt (~{input_estimate} tokens) and earlier calls ({used}) \
                 leave less than {MIN_OUTPUT_TOKENS} of llm.budget.max_tokens_per_job = {limit}; \
                 the rule-based draft is kept"
            ),
            SkipReason::RunCost {
                job,
                bound,
                spent,
                limit,
            } => write!(
                f,
                "job {job}: skipped (LLM budget): this call could cost up to ${bound:.4}, and ${spent:.4} \
                 of the run's ${limit} is spent or committed; no more calls this run"
            ),
            SkipReason::AfterStop { job, limit } => write!(
                f,
                "job {job}: skipped (LLM budget): the run's ${limit} budget was reached"
            ),
        }
    }
}

/// A call admitted against the run budget; give it back with
/// [`Budget::settle`].
#[derive(Debug, Clone, PartialEq)]
pub struct Reservation {
    bound: f64,
}

#[derive(Debug, Clone)]
pub struct Budget {
    max_tokens_per_job: u64,
    max_cost: f64,
    price: Option<ModelPrice>,
    spent: f64,
    reserved: f64,
    tokens: Usage,
    per_job: HashMap<String, u64>,
    stopped: bool,
}

impl Budget {
    /// The budget of a run. `cli_budget` (`--budget USD`) overrides
    /// `max_cost_per_run`. A dollar limit needs a price for the model.
    pub fn new(cfg: &LlmConfig, cli_budget: Option<f64>) -> Result<Budget, LlmError> {
        let max_cost = cli_budget.unwrap_or(cfg.budget.max_cost_per_run);
        if max_cost < 0.0 || !max_cost.is_finite() {
            return Err(LlmError::Config(format!(
                "the budget must be a positive number of dollars, not {max_cost}"
            )));
        }
        let price = cfg.pricing.get(&cfg.model).copied();
        if max_cost > 0.0 && price.is_none() {
            return Err(LlmError::Config(format!(
                "a dollar budget (${max_cost}) needs the price of model \"{}\": add \
                 [llm.pricing.\"{}\"] with input_per_mtok and output_per_mtok to dsmig.toml",
                cfg.model, cfg.model
            )));
        }
        Ok(Budget {
            max_tokens_per_job: cfg.budget.max_tokens_per_job,
            max_cost,
            price,
            spent: 0.0,
            reserved: 0.0,
            tokens: Usage::default(),
            per_job: HashMap::new(),
            stopped: false,
        })
    }

    /// No limits (tests, tools).
    pub fn unlimited() -> Budget {
        Budget {
            max_tokens_per_job: 0,
            max_cost: 0.0,
            price: None,
            spent: 0.0,
            reserved: 0.0,
            tokens: Usage::default(),
            per_job: HashMap::new(),
            stopped: false,
        }
    }

    /// Fit `req.max_tokens` to what is left of the job's token allowance.
    /// Depends only on the job's earlier usage, so the same inputs give the
    /// same request (and the same stored-response key).
    pub fn fit(&self, job: &str, req: &mut ChatRequest) -> Result<(), SkipReason> {
        if self.max_tokens_per_job == 0 {
            return Ok(());
        }
        let used = self.per_job.get(job).copied().unwrap_or(0);
        let input = request_input_tokens(req);
        let left = self.max_tokens_per_job.saturating_sub(used + input);
        if left < MIN_OUTPUT_TOKENS.min(req.max_tokens) {
            return Err(SkipReason::JobTokens {
                job: job.to_string(),
                input_estimate: input,
                used,
                limit: self.max_tokens_per_job,
            });
        }
        req.max_tokens = req.max_tokens.min(left);
        Ok(())
    }

    /// Upper bound of what `req` can cost, in dollars (0 without a price).
    pub fn bound(&self, req: &ChatRequest) -> f64 {
        self.price
            .map(|p| cost(&p, request_input_tokens(req), req.max_tokens))
            .unwrap_or(0.0)
    }

    /// Admit a call against the run's dollar budget.
    pub fn admit(&mut self, job: &str, req: &ChatRequest) -> Result<Reservation, SkipReason> {
        if self.stopped {
            return Err(SkipReason::AfterStop {
                job: job.to_string(),
                limit: self.max_cost,
            });
        }
        let bound = self.bound(req);
        if self.max_cost > 0.0 && self.spent + self.reserved + bound > self.max_cost {
            self.stopped = true;
            return Err(SkipReason::RunCost {
                job: job.to_string(),
                bound,
                spent: self.spent + self.reserved,
                limit: self.max_cost,
            });
        }
        self.reserved += bound;
        Ok(Reservation { bound })
    }

    /// A call came back: `usage` is what it reported (`None`: it failed
    /// and, as far as we know, was not billed).
    pub fn settle(&mut self, job: &str, r: Reservation, usage: Option<Usage>) {
        self.reserved = (self.reserved - r.bound).max(0.0);
        if let Some(u) = usage {
            self.record(job, u);
            if let Some(p) = self.price {
                self.spent += cost(&p, u.input_tokens, u.output_tokens);
            }
        }
    }

    /// Count a job's tokens (also for answers served from the store, which
    /// cost nothing now but count against the job's allowance).
    pub fn record(&mut self, job: &str, u: Usage) {
        *self.per_job.entry(job.to_string()).or_default() += u.total();
        self.tokens.input_tokens += u.input_tokens;
        self.tokens.output_tokens += u.output_tokens;
    }

    /// Dollars spent by calls sent this run.
    pub fn spent(&self) -> f64 {
        self.spent
    }

    pub fn limit(&self) -> f64 {
        self.max_cost
    }

    pub fn stopped(&self) -> bool {
        self.stopped
    }

    pub fn job_tokens(&self, job: &str) -> u64 {
        self.per_job.get(job).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(max_cost: f64, per_job: u64) -> LlmConfig {
        let mut c = LlmConfig {
            model: "m".into(),
            ..LlmConfig::default()
        };
        c.budget.max_cost_per_run = max_cost;
        c.budget.max_tokens_per_job = per_job;
        c.pricing.insert(
            "m".into(),
            ModelPrice {
                input_per_mtok: 3.0,
                output_per_mtok: 15.0,
            },
        );
        c
    }

    #[test]
    fn cost_needs_a_price() {
        let mut c = cfg(1.0, 0);
        c.pricing.clear();
        let e = Budget::new(&c, None).unwrap_err().to_string();
        assert!(e.contains("[llm.pricing.\"m\"]"), "{e}");
        assert!(Budget::new(&c, Some(0.0)).is_ok());
    }

    #[test]
    fn stops_before_going_over_and_stays_stopped() {
        // Each call: 400 chars = 100 tokens in, 1000 out → 0.0003 + 0.015.
        let mut b = Budget::new(&cfg(0.04, 0), None).unwrap();
        let mut req = ChatRequest::new("", "x".repeat(400));
        req.max_tokens = 1000;
        let r1 = b.admit("a", &req).unwrap();
        let r2 = b.admit("b", &req).unwrap();
        let e = b.admit("c", &req).unwrap_err();
        assert!(matches!(e, SkipReason::RunCost { .. }), "{e}");
        b.settle(
            "a",
            r1,
            Some(Usage {
                input_tokens: 100,
                output_tokens: 10,
            }),
        );
        b.settle("b", r2, None);
        // Room again, but the run has stopped: later jobs are skipped too.
        assert!(matches!(
            b.admit("d", &req),
            Err(SkipReason::AfterStop { .. })
        ));
        assert!((b.spent() - 0.00045).abs() < 1e-12);
        // CLI override.
        let b = Budget::new(&cfg(0.04, 0), Some(5.0)).unwrap();
        assert_eq!(b.limit(), 5.0);
    }

    #[test]
    fn fits_max_tokens_to_the_job_allowance() {
        let mut b = Budget::new(&cfg(0.0, 1000), None).unwrap();
        let mut req = ChatRequest::new("", "x".repeat(2000)); // 500 tokens
        b.fit("j", &mut req).unwrap();
        assert_eq!(req.max_tokens, 500);
        b.record(
            "j",
            Usage {
                input_tokens: 500,
                output_tokens: 300,
            },
        );
        let mut repair = ChatRequest::new("", "x".repeat(400));
        let e = b.fit("j", &mut repair).unwrap_err();
        assert!(e.to_string().contains("max_tokens_per_job = 1000"), "{e}");
        assert_eq!(estimate_tokens("abcde"), 2);
    }
}
