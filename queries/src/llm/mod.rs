//! LLM providers: one wire format per file, a blocking client that runs
//! calls concurrently (retries, timeouts, a concurrency limit), the stored
//! responses (a call whose answer is stored is never sent again), the
//! budget, prompt scrubbing, code extraction and plan estimates.
//!
//! The layers, bottom up:
//! - [`provider`]: the [`Provider`] trait. A provider turns a
//!   [`ChatRequest`] into an [`HttpRequest`] (method, URL, headers, body)
//!   and an HTTP answer into a [`ChatResponse`] (text, token usage, model),
//!   without doing any I/O, so every request shape is unit-tested.
//! - [`anthropic`], [`openai`] (Azure OpenAI, OpenRouter, local
//!   OpenAI-compatible servers), [`foundry`], [`bedrock`] (+ [`sigv4`]),
//!   [`vertex`]: the wire formats. [`keys`] reads their keys and endpoints
//!   from the environment, and nowhere else.
//! - [`client`]: `Llm::call_many`, blocking, on a private tokio runtime.
//! - [`cache`]: stored responses in the store's `llm` table, keyed by the
//!   hash of provider, model, parameters and (scrubbed) prompt; each is
//!   committed as it arrives.
//! - [`budget`]: per-job token limit and per-run dollar limit.
//! - [`redact`], [`extract`], [`plan`]: pure helpers.
//! - [`strategy`] (per job: rules, fill, scaffold; batching per cluster),
//!   [`prompt`] (templates), [`pycode`] (placeholders and splicing of
//!   Python answers), [`substitute`] (duplicates' answers by slot
//!   substitution), [`validate`] (compile / parse answers): what the build's
//!   LLM phase (`engine/llm/`) is made of.

pub mod anthropic;
pub mod bedrock;
pub mod budget;
pub mod cache;
pub mod client;
pub mod extract;
pub mod foundry;
pub mod keys;
pub mod openai;
pub mod plan;
pub mod prompt;
pub mod provider;
pub mod pycode;
pub mod redact;
pub mod sigv4;
pub mod strategy;
pub mod substitute;
pub mod validate;
pub mod vertex;

pub use budget::{Budget, SkipReason};
pub use client::{ClientOptions, Llm, LlmCall, Outcome, RunReport};
pub use keys::{Env, MapEnv, SystemEnv};
pub use provider::{ChatRequest, ChatResponse, HttpRequest, Provider, Usage};

use crate::config::LlmConfig;

/// Every way a call can fail. Each renders as one line that never holds a
/// key or a prompt.
#[derive(Debug, Clone, PartialEq)]
pub enum LlmError {
    /// A required environment variable is missing.
    MissingEnv { var: String, why: String },
    /// The settings cannot work (unknown provider, no model, ...).
    Config(String),
    /// The server answered with an error status (after any retries).
    Status { status: u16, message: String },
    /// The connection failed.
    Transport(String),
    /// No complete answer within the configured time.
    Timeout { seconds: f64 },
    /// A 2xx answer that is not what the wire format promises.
    Malformed(String),
    /// The store could not be read or written.
    Store(String),
}

impl std::fmt::Display for LlmError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LlmError::MissingEnv { var, why } => write!(f, "{var} is not set: {why}"),
            LlmError::Config(m) => write!(f, "LLM settings: {m}"),
            LlmError::Status { status, message } => {
                write!(f, "LLM server answered HTTP {status}: {message}")
            }
            LlmError::Transport(m) => write!(f, "LLM request failed: {m}"),
            LlmError::Timeout { seconds } => {
                write!(
                    f,
                    "LLM request timed out after {seconds} s (llm.timeout_seconds)"
                )
            }
            LlmError::Malformed(m) => write!(f, "LLM response not understood: {m}"),
            LlmError::Store(m) => write!(f, "LLM store: {m}"),
        }
    }
}

impl std::error::Error for LlmError {}

impl LlmError {
    /// Worth another attempt: rate limits, server errors, network trouble.
    pub fn is_retryable(&self) -> bool {
        match self {
            LlmError::Status { status, .. } => is_retryable_status(*status),
            LlmError::Transport(_) | LlmError::Timeout { .. } => true,
            _ => false,
        }
    }
}

/// 408, 409 (Anthropic's and Azure's transient conflicts), 429, 5xx
/// (529 is Anthropic's "overloaded").
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 409 | 429) || (500..600).contains(&status)
}

/// The provider named by `cfg.provider`, with its keys and endpoint read
/// from `env`. `Ok(None)` for `provider = "none"`.
pub fn provider_from_config(
    cfg: &LlmConfig,
    env: &dyn Env,
) -> Result<Option<Box<dyn Provider>>, LlmError> {
    let need_model = || {
        if cfg.model.trim().is_empty() {
            Err(LlmError::Config(format!(
                "llm.model is empty; set the model for provider \"{}\" in dsmig.toml",
                cfg.provider
            )))
        } else {
            Ok(cfg.model.clone())
        }
    };
    let base = (!cfg.base_url.trim().is_empty()).then(|| cfg.base_url.trim().to_string());
    let p: Box<dyn Provider> = match cfg.provider.as_str() {
        "none" | "" => return Ok(None),
        "anthropic" => Box::new(anthropic::Anthropic::from_env(need_model()?, base, env)?),
        "azure_openai" => Box::new(openai::OpenAi::azure_from_env(need_model()?, base, env)?),
        "openrouter" => Box::new(openai::OpenAi::openrouter_from_env(
            need_model()?,
            base,
            env,
        )?),
        "openai_compatible" => Box::new(openai::OpenAi::compatible_from_env(
            need_model()?,
            base,
            env,
        )?),
        "azure_foundry" => Box::new(foundry::Foundry::from_env(need_model()?, base, env)?),
        "bedrock" => Box::new(bedrock::Bedrock::from_env(need_model()?, base, env)?),
        "vertex" => Box::new(vertex::Vertex::from_env(need_model()?, base, env)?),
        other => {
            return Err(LlmError::Config(format!(
                "unknown llm.provider \"{other}\"; expected none, anthropic, azure_openai, \
                 azure_foundry, bedrock, vertex, openrouter or openai_compatible"
            )));
        }
    };
    Ok(Some(p))
}
