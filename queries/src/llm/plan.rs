//! Estimates for `dsmig plan`: calls, tokens and dollars for a set of
//! prompts, sent one job per call or in batches that share the system
//! prompt. Pure functions; tokens are estimated as characters / 4.

use crate::config::ModelPrice;

use super::budget::{cost, estimate_tokens};

/// One job's prompt, as the plan sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedPrompt {
    pub job: String,
    /// The job-specific part of the prompt (its draft, IR excerpt, ...).
    pub prompt: String,
    /// Answer expected back, in tokens (e.g. the draft's size).
    pub expected_output_tokens: u64,
    /// Already answered in the store: costs nothing.
    pub stored: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Estimate {
    pub calls: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// `None` without a price for the model.
    pub cost_usd: Option<f64>,
    /// Jobs answered from the store.
    pub stored: u64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlanComparison {
    pub one_per_call: Estimate,
    pub batched: Estimate,
    pub batch_size: usize,
}

/// Per-call overhead of instructions that wrap each job in a batch.
const BATCH_SEPARATOR_TOKENS: u64 = 20;

/// Estimate with `batch_size` jobs per call (1 = no batching): each call
/// carries the system prompt once.
pub fn estimate(
    system: &str,
    prompts: &[PlannedPrompt],
    batch_size: usize,
    price: Option<&ModelPrice>,
) -> Estimate {
    let batch = batch_size.max(1);
    let system_tokens = estimate_tokens(system);
    let todo: Vec<&PlannedPrompt> = prompts.iter().filter(|p| !p.stored).collect();
    let calls = todo.len().div_ceil(batch) as u64;
    let per_job_in: u64 = todo.iter().map(|p| estimate_tokens(&p.prompt)).sum();
    let separators = if batch > 1 {
        todo.len() as u64 * BATCH_SEPARATOR_TOKENS
    } else {
        0
    };
    let input_tokens = calls * system_tokens + per_job_in + separators;
    let output_tokens: u64 = todo.iter().map(|p| p.expected_output_tokens).sum();
    Estimate {
        calls,
        input_tokens,
        output_tokens,
        cost_usd: price.map(|p| cost(p, input_tokens, output_tokens)),
        stored: (prompts.len() - todo.len()) as u64,
    }
}

/// One job per call against `batch_size` jobs per call.
pub fn compare(
    system: &str,
    prompts: &[PlannedPrompt],
    batch_size: usize,
    price: Option<&ModelPrice>,
) -> PlanComparison {
    PlanComparison {
        one_per_call: estimate(system, prompts, 1, price),
        batched: estimate(system, prompts, batch_size, price),
        batch_size: batch_size.max(1),
    }
}

impl std::fmt::Display for Estimate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} calls, ~{} tokens in, ~{} out",
            self.calls, self.input_tokens, self.output_tokens
        )?;
        match self.cost_usd {
            Some(c) => write!(f, ", ~${c:.2}")?,
            None => write!(f, ", cost unknown (no [llm.pricing] for the model)")?,
        }
        if self.stored > 0 {
            write!(f, "; {} jobs answered from the store", self.stored)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(job: &str, chars: usize, stored: bool) -> PlannedPrompt {
        PlannedPrompt {
            job: job.into(),
            prompt: "x".repeat(chars),
            expected_output_tokens: 100,
            stored,
        }
    }

    #[test]
    fn batching_saves_the_system_prompt() {
        let price = ModelPrice {
            input_per_mtok: 3.0,
            output_per_mtok: 15.0,
        };
        let system = "s".repeat(4000); // 1000 tokens
        let prompts: Vec<_> = (0..10).map(|i| p(&format!("j{i}"), 400, i == 9)).collect();
        let c = compare(&system, &prompts, 4, Some(&price));
        assert_eq!(c.one_per_call.calls, 9);
        assert_eq!(c.one_per_call.input_tokens, 9 * 1000 + 9 * 100);
        assert_eq!(c.one_per_call.output_tokens, 900);
        assert_eq!(c.one_per_call.stored, 1);
        assert_eq!(c.batched.calls, 3);
        assert_eq!(c.batched.input_tokens, 3 * 1000 + 9 * 100 + 9 * 20);
        let one = c.one_per_call.cost_usd.unwrap();
        assert!((one - (9900.0 * 3.0 + 900.0 * 15.0) / 1e6).abs() < 1e-12);
        assert!(c.batched.cost_usd.unwrap() < one);
        assert!(
            estimate("", &prompts, 1, None)
                .to_string()
                .contains("cost unknown")
        );
    }
}
