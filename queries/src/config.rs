//! Settings: `dsmig.toml`. Every field has a default, documented in the
//! `dsmig.toml` at the repository root (the two are checked against each
//! other by a test). Unknown keys are errors, so a typo never passes
//! silently.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub parser: ParserConfig,
    pub store: StoreConfig,
    pub prediction: PredictionConfig,
    pub llm: LlmConfig,
    pub glue: GlueConfig,
    pub sql: SqlConfig,
    pub generation: GenerationConfig,
    pub report: ReportConfig,
    pub reconcile: ReconcileConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ParserConfig {
    /// Largest input file, and largest decompressed gzip / zip content, in MB.
    pub max_file_size_mb: u64,
    /// Worker threads; 0 = one per core.
    pub threads: usize,
}

impl Default for ParserConfig {
    fn default() -> Self {
        ParserConfig {
            max_file_size_mb: 1024,
            threads: 0,
        }
    }
}

impl ParserConfig {
    pub fn limits(&self) -> crate::parse::Limits {
        crate::parse::Limits {
            max_file_size: self.max_file_size_mb.saturating_mul(1024 * 1024),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    /// Folder of the incremental store, relative to the working directory.
    pub path: PathBuf,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            path: PathBuf::from(".dsmig-store"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PredictionConfig {
    /// Highest complexity score a job may have and still be AUTO.
    pub auto_max_score: u32,
    /// Lowest complexity score that makes a job MANUAL.
    pub manual_min_score: u32,
    /// Jaccard similarity above which two jobs share a similarity cluster.
    pub similarity_threshold: f64,
    /// Hours of effort per complexity point, for estimates.
    pub hours_per_point: f64,
}

impl Default for PredictionConfig {
    fn default() -> Self {
        PredictionConfig {
            auto_max_score: 20,
            manual_min_score: 60,
            similarity_threshold: 0.8,
            hours_per_point: 0.25,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlmConfig {
    /// `none` (rule-based only), `anthropic`, `azure_openai`, `azure_foundry`,
    /// `bedrock`, `vertex`, `openrouter` or `openai_compatible`.
    pub provider: String,
    /// Model id (Azure OpenAI: the deployment name; Azure AI Foundry: the
    /// deployment name sent as `model`; Bedrock: model or inference-profile id).
    pub model: String,
    /// Base URL: required for `openai_compatible` (e.g. a local Ollama or
    /// vLLM server); for the other providers it overrides the endpoint
    /// (a proxy, or a test server).
    pub base_url: String,
    pub temperature: f64,
    /// Largest completion asked for in one call (`max_tokens`).
    pub max_output_tokens: u64,
    pub max_concurrency: usize,
    /// Seconds one HTTP attempt may take before it is abandoned.
    pub timeout_seconds: u64,
    /// Attempts per call (first try included) on 429, 5xx and network errors.
    pub max_attempts: u32,
    /// Near duplicates of one template answered by one light call, at most.
    pub light_batch_size: usize,
    pub budget: LlmBudgetConfig,
    /// Dollars per million tokens, per model name.
    pub pricing: std::collections::BTreeMap<String, ModelPrice>,
}

impl Default for LlmConfig {
    fn default() -> Self {
        LlmConfig {
            provider: "none".into(),
            model: String::new(),
            base_url: String::new(),
            temperature: 0.0,
            max_output_tokens: 4096,
            max_concurrency: 4,
            timeout_seconds: 120,
            max_attempts: 4,
            light_batch_size: 6,
            budget: LlmBudgetConfig::default(),
            pricing: Default::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlmBudgetConfig {
    /// Tokens (input + output, repair call included) one job may use; 0 = no limit.
    pub max_tokens_per_job: u64,
    /// Stop calling once a run would spend more than this many dollars
    /// (0 = no limit). `--budget USD` overrides it.
    pub max_cost_per_run: f64,
}

impl Default for LlmBudgetConfig {
    fn default() -> Self {
        LlmBudgetConfig {
            max_tokens_per_job: 60_000,
            max_cost_per_run: 0.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelPrice {
    pub input_per_mtok: f64,
    pub output_per_mtok: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GlueConfig {
    pub glue_version: String,
    pub worker_type: String,
    pub number_of_workers: u32,
    /// Where Terraform uploads the scripts: `s3://bucket/prefix` (or just
    /// the bucket). Empty: `var.script_bucket` is required at apply time.
    pub script_bucket: String,
    /// Job bookmarks: `auto` (on only for jobs whose every source can be
    /// bookmarked and no target is replaced), `on`, `off`.
    pub bookmarks: String,
    /// `aws_glue_job.timeout`, in minutes (the export keeps no job timeout).
    pub timeout_minutes: u32,
    /// `aws_glue_job.max_retries`.
    pub max_retries: u32,
    /// DataStage connection / server name → Glue connection name.
    pub connections: std::collections::BTreeMap<String, String>,
}

impl Default for GlueConfig {
    fn default() -> Self {
        GlueConfig {
            glue_version: "5.0".into(),
            worker_type: "G.1X".into(),
            number_of_workers: 2,
            script_bucket: String::new(),
            bookmarks: "auto".into(),
            timeout_minutes: 2880,
            max_retries: 0,
            connections: Default::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SqlConfig {
    /// `teradata`, `postgres`, `oracle`, `sqlserver` or `ansi`.
    pub dialect: String,
    /// Teradata tables: `MULTISET` or `SET`.
    pub teradata_table_kind: String,
    /// Roles granted SELECT on created tables.
    pub grants: Vec<String>,
    /// PostgreSQL upserts: `merge` (PostgreSQL 15+) or `on_conflict`
    /// (`INSERT ... ON CONFLICT`, needs a unique key on the key columns).
    pub postgres_upsert: String,
}

impl Default for SqlConfig {
    fn default() -> Self {
        SqlConfig {
            dialect: "postgres".into(),
            teradata_table_kind: "MULTISET".into(),
            grants: Vec::new(),
            postgres_upsert: "merge".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GenerationConfig {
    pub output_dir: PathBuf,
    /// `glue` or `sql`.
    pub target: String,
    /// Folder of handlebars templates overriding the embedded ones.
    pub templates_dir: Option<PathBuf>,
}

impl Default for GenerationConfig {
    fn default() -> Self {
        GenerationConfig {
            output_dir: PathBuf::from("generated"),
            target: "glue".into(),
            templates_dir: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportConfig {
    /// Rows per page of the report's job table.
    pub page_size: usize,
    pub title: String,
}

impl Default for ReportConfig {
    fn default() -> Self {
        ReportConfig {
            page_size: 100,
            title: "DataStage migration report".into(),
        }
    }
}

/// `[reconcile]`: how `dsmig reconcile` and the generated
/// `reconcile/<job>.py` compare DataStage's outputs with the migrated
/// job's. Run-time settings (passed to the script as one JSON argument),
/// not baked into generated files: changing a tolerance regenerates
/// nothing. Every relaxation is explicit and reported in the result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReconcileConfig {
    /// Two numbers are equal when they differ by at most this much...
    pub numeric_absolute: f64,
    /// ...or by at most this fraction of the larger magnitude.
    pub numeric_relative: f64,
    /// Timestamps are compared truncated to `second`, `millisecond` or
    /// `microsecond`.
    pub timestamp_precision: String,
    /// Compare strings without their trailing blanks (CHAR padding).
    pub ignore_trailing_blanks: bool,
    /// Count an empty string and NULL as equal.
    pub empty_equals_null: bool,
    /// Sample rows kept per difference in the JSON result.
    pub samples: usize,
    /// Column names (glob patterns, `*` and `?`, case-insensitive) whose
    /// values are masked in sample rows.
    pub sensitive_columns: Vec<String>,
}

impl Default for ReconcileConfig {
    fn default() -> Self {
        ReconcileConfig {
            numeric_absolute: 0.0,
            numeric_relative: 0.0,
            timestamp_precision: "microsecond".into(),
            ignore_trailing_blanks: false,
            empty_equals_null: false,
            samples: 5,
            sensitive_columns: Vec::new(),
        }
    }
}

impl Config {
    pub fn from_toml(text: &str) -> Result<Config, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// Load `path` if given (it must exist), else `./dsmig.toml` if present,
    /// else the defaults.
    pub fn load(path: Option<&Path>) -> Result<Config, String> {
        let (p, required) = match path {
            Some(p) => (p.to_path_buf(), true),
            None => (PathBuf::from("dsmig.toml"), false),
        };
        match std::fs::read_to_string(&p) {
            Ok(text) => Config::from_toml(&text).map_err(|e| format!("{}: {e}", p.display())),
            Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
                Ok(Config::default())
            }
            Err(e) => Err(format!("{}: cannot read: {e}", p.display())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_defaults_match_the_code() {
        let text = include_str!("../../dsmig.toml");
        let parsed = Config::from_toml(text).expect("dsmig.toml parses");
        assert_eq!(parsed, Config::default());
    }

    #[test]
    fn unknown_keys_are_errors() {
        let e = Config::from_toml("[parser]\nmax_file_size = 3\n").expect_err("typo");
        assert!(e.contains("max_file_size"), "{e}");
    }

    #[test]
    fn llm_pricing_and_budget_parse() {
        let c = Config::from_toml(
            "[llm.budget]\nmax_cost_per_run = 2.5\n[llm.pricing.\"claude-sonnet-4-5\"]\ninput_per_mtok = 3.0\noutput_per_mtok = 15.0\n",
        )
        .expect("parses");
        assert_eq!(c.llm.budget.max_cost_per_run, 2.5);
        assert_eq!(c.llm.budget.max_tokens_per_job, 60_000);
        assert_eq!(c.llm.pricing["claude-sonnet-4-5"].output_per_mtok, 15.0);
        let e = Config::from_toml("[llm]\nmax_cost_per_run = 1.0\n").expect_err("moved");
        assert!(e.contains("max_cost_per_run"), "{e}");
    }
}
