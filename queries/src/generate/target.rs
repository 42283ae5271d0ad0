//! The generation targets behind one trait: what the engine and the LLM
//! phase need to know of a target (its name, what its files depend on, the
//! files of a job, which of them is the code an LLM completes, how a
//! prompt describes it), so that neither names a target. A new target is
//! one more implementation and one more [`TargetKind`].

use crate::config::{GlueConfig, SqlConfig};
use crate::generate::templates::Templates;
use crate::generate::{GeneratedJob, GlueContext};
use crate::ir::Job;

/// The targets of `--target`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum TargetKind {
    #[default]
    Glue,
    Sql,
}

impl TargetKind {
    pub const ALL: [TargetKind; 2] = [TargetKind::Glue, TargetKind::Sql];

    /// The `--target` spelling; part of store keys and output scopes.
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Glue => "glue",
            TargetKind::Sql => "sql",
        }
    }

    pub fn from_name(name: &str) -> Option<TargetKind> {
        TargetKind::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

pub use crate::analysis::predict::Category;

/// A job's category as generated files and reports spell it (`unknown`:
/// no prediction).
pub fn category_str(category: Option<Category>) -> &'static str {
    category.map_or("unknown", Category::as_str)
}

/// How a job's files are made; shows in its generated docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// Every stage and expression has a rule.
    RuleBased,
    /// A non-template member of a group: a variation of its template's translation.
    TemplateVariation,
    /// The rule-based draft, completed by the configured LLM.
    Llm,
    /// The rule-based draft with named placeholders (no LLM configured).
    RuleBasedDraft,
}

impl Strategy {
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::RuleBased => "rule-based",
            Strategy::TemplateVariation => "template variation",
            Strategy::Llm => "LLM",
            Strategy::RuleBasedDraft => "rule-based draft",
        }
    }
}

/// How a job is described to its generator besides the IR.
pub struct JobSpec<'a> {
    pub category: Option<Category>,
    pub strategy: Strategy,
    /// The job's file name (unique across the output folder).
    pub stem: &'a str,
}

/// A generation target.
pub trait Target: Sync {
    fn kind(&self) -> TargetKind;

    /// The target with its variant (`glue`, `sql:teradata`): in prompt
    /// keys, prompts and the generation report.
    fn label(&self) -> String;

    /// What of the run's settings this target's files depend on (its own
    /// settings only: changing the SQL dialect does not touch the Glue
    /// files' keys, nor the reverse), as key parts.
    fn fingerprint(&self) -> [Vec<u8>; 2];

    /// The files of one job (paths with `{stem}`), its TODOs and warnings.
    fn job_files(&self, job: &Job, spec: &JobSpec<'_>) -> GeneratedJob;

    /// Whether `path` (with `{stem}`) is a job's own script: the code file
    /// an LLM answer replaces, before any other code file of the job.
    fn is_job_script(&self, path: &str) -> bool;

    /// How prompts name the target.
    fn describe(&self) -> String;

    /// Files of the target that are no one job's (fixtures, variables,
    /// control tables).
    fn shared_files(&self) -> Vec<(String, Vec<u8>)>;

    /// The files of a sequence (paths with `{stem}`), given every job of
    /// the build it may run.
    fn sequence_files(&self, job: &Job, stem: &str, jobs: &[JobRef]) -> Vec<(String, Vec<u8>)>;

    /// The generation report's file name: each target its own, so both
    /// can share an output folder.
    fn report_file(&self) -> &'static str;
}

pub use crate::generate::glue::terraform::JobRef;

/// AWS Glue: PySpark jobs, Terraform, tests, docs (templates overridable).
pub struct Glue<'a> {
    pub config: &'a GlueConfig,
    pub templates: &'a Templates,
}

impl Target for Glue<'_> {
    fn kind(&self) -> TargetKind {
        TargetKind::Glue
    }

    fn label(&self) -> String {
        self.kind().as_str().to_string()
    }

    fn fingerprint(&self) -> [Vec<u8>; 2] {
        [
            crate::store::encode(self.config),
            self.templates.fingerprint.to_vec(),
        ]
    }

    fn job_files(&self, job: &Job, spec: &JobSpec<'_>) -> GeneratedJob {
        crate::generate::glue_job_files_with(
            job,
            &GlueContext {
                config: self.config.clone(),
                category: category_str(spec.category).to_string(),
                strategy: spec.strategy.as_str().to_string(),
                reasons: Vec::new(),
                stem: Some(spec.stem.to_string()),
            },
            self.templates,
        )
    }

    fn is_job_script(&self, path: &str) -> bool {
        path.starts_with("glue_jobs/")
    }

    fn describe(&self) -> String {
        "AWS Glue (PySpark 3.5, Glue 5.0)".into()
    }

    fn shared_files(&self) -> Vec<(String, Vec<u8>)> {
        crate::generate::glue_shared_files_with(self.config, self.templates)
    }

    fn sequence_files(&self, job: &Job, stem: &str, jobs: &[JobRef]) -> Vec<(String, Vec<u8>)> {
        crate::generate::sequence_files_with(job, stem, jobs).files
    }

    fn report_file(&self) -> &'static str {
        "generation_report.json"
    }
}

/// SQL: one script per job in a dialect, DDL, load / unload scripts.
pub struct Sql {
    pub context: crate::generate::sql::SqlContext,
}

impl Sql {
    /// The SQL target of `[sql]` (an unknown dialect: PostgreSQL, as the
    /// configuration check reports it before a build).
    pub fn new(config: &SqlConfig) -> Sql {
        Sql {
            context: crate::generate::sql::SqlContext {
                config: config.clone(),
                dialect: crate::generate::sql::parse_dialect(&config.dialect).unwrap_or_default(),
                category: String::new(),
                strategy: String::new(),
                stem: None,
            },
        }
    }
}

impl Target for Sql {
    fn kind(&self) -> TargetKind {
        TargetKind::Sql
    }

    fn label(&self) -> String {
        format!("{}:{}", self.kind().as_str(), self.context.dialect.as_str())
    }

    fn fingerprint(&self) -> [Vec<u8>; 2] {
        // The SQL generator renders no templates.
        [crate::store::encode(&self.context.config), Vec::new()]
    }

    fn job_files(&self, job: &Job, spec: &JobSpec<'_>) -> GeneratedJob {
        crate::generate::sql::sql_job_files(
            job,
            &crate::generate::sql::SqlContext {
                category: category_str(spec.category).to_string(),
                strategy: spec.strategy.as_str().to_string(),
                stem: Some(spec.stem.to_string()),
                ..self.context.clone()
            },
        )
    }

    fn is_job_script(&self, path: &str) -> bool {
        // `sql/` before `ddl/`, `extract/`...
        path.starts_with("sql/")
    }

    fn describe(&self) -> String {
        format!("SQL ({})", self.context.dialect.as_str())
    }

    fn shared_files(&self) -> Vec<(String, Vec<u8>)> {
        crate::generate::sql::sql_shared_files(&self.context)
    }

    fn sequence_files(&self, job: &Job, _stem: &str, jobs: &[JobRef]) -> Vec<(String, Vec<u8>)> {
        let stems: Vec<(String, String)> = jobs
            .iter()
            .map(|j| (j.name.clone(), j.stem.clone()))
            .collect();
        crate::generate::sql::sequence::files(job, &stems, self.context.dialect).files
    }

    fn report_file(&self) -> &'static str {
        "generation_report.sql.json"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sql(dialect: &str) -> Sql {
        Sql::new(&SqlConfig {
            dialect: dialect.into(),
            ..SqlConfig::default()
        })
    }

    /// The spellings that reach keys, prompts and reports are those the
    /// engine wrote before the trait (stored keys and outputs unchanged).
    #[test]
    fn targets_are_spelled_as_before() {
        let config = GlueConfig::default();
        let glue = Glue {
            config: &config,
            templates: Templates::embedded(),
        };
        assert_eq!(glue.label(), "glue");
        assert_eq!(glue.describe(), "AWS Glue (PySpark 3.5, Glue 5.0)");
        assert_eq!(sql("td").label(), "sql:teradata");
        assert_eq!(sql("postgres").describe(), "SQL (postgres)");
        for t in TargetKind::ALL {
            assert_eq!(TargetKind::from_name(t.as_str()), Some(t));
        }
        assert_eq!(TargetKind::from_name("GLUE"), None);
        assert_eq!(category_str(None), "unknown");
        assert_eq!(category_str(Some(Category::SemiAuto)), "SEMI-AUTO");
        assert_eq!(Strategy::Llm.as_str(), "LLM");
    }

    /// The code file an LLM completes is the job's script, not its DDL or tests.
    #[test]
    fn each_target_names_its_job_script() {
        let config = GlueConfig::default();
        let glue = Glue {
            config: &config,
            templates: Templates::embedded(),
        };
        assert!(glue.is_job_script("glue_jobs/{stem}.py"));
        assert!(!glue.is_job_script("tests/test_{stem}.py"));
        let s = sql("oracle");
        assert!(s.is_job_script("sql/{stem}.sql"));
        assert!(!s.is_job_script("ddl/{stem}.sql"));
    }
}
