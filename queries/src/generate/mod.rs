//! Code generators. `plan` is the dataflow plan shared by the targets;
//! `glue` generates AWS Glue PySpark jobs with Terraform, tests and docs.
//!
//! Entry points (pure and deterministic: the same job and context give the
//! same bytes): [`glue_job_files`], [`glue_shared_files`],
//! [`sequence_files`].

pub mod glue;
pub mod kinds;
pub mod plan;
pub mod sql;
pub mod target;
pub mod templates;

use serde::Serialize;

use crate::config::GlueConfig;
use crate::ir::{Job, JobKind};
use templates::Templates;

/// What the Glue generator needs besides the job.
#[derive(Debug, Clone, Default)]
pub struct GlueContext {
    pub config: GlueConfig,
    /// `AUTO`, `SEMI-AUTO` or `MANUAL`.
    pub category: String,
    /// `rule-based`, `template variation` or `LLM`.
    pub strategy: String,
    /// Why the category (shown in the docs).
    pub reasons: Vec<String>,
    /// The job's file name as the build writes it (names that collide get
    /// a hash suffix); `None`: the sanitised job name.
    pub stem: Option<String>,
}

impl GlueContext {
    pub fn stem_of(&self, job: &Job) -> String {
        self.stem
            .clone()
            .unwrap_or_else(|| crate::escape::file_stem(&job.name))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Todo {
    /// Stage / link / column, as a reader finds it in DataStage.
    pub location: String,
    pub what: String,
}

#[derive(Debug, Clone, Default)]
pub struct GeneratedJob {
    /// (relative path with `{stem}`, bytes).
    pub files: Vec<(String, Vec<u8>)>,
    pub todos: Vec<Todo>,
    pub warnings: Vec<String>,
    /// Per stage: (name, type, coverage).
    pub coverage: Vec<(String, String, glue::Coverage)>,
}

/// The files of one job with the embedded templates.
pub fn glue_job_files(job: &Job, ctx: &GlueContext) -> GeneratedJob {
    glue_job_files_with(job, ctx, Templates::embedded())
}

/// The files of one job: `glue_jobs/{stem}.py`, `tests/test_{stem}.py`,
/// `terraform/{stem}.tf`, `docs/{stem}.md`, and the reconciliation
/// `reconcile/{stem}.py` with `terraform/{stem}+reconcile.tf`. Sequences: see
/// [`sequence_files`] (here only their docs).
pub fn glue_job_files_with(job: &Job, ctx: &GlueContext, templates: &Templates) -> GeneratedJob {
    if job.kind == JobKind::Sequence {
        return GeneratedJob::default();
    }
    let mut g = glue::Gen::new(job, ctx);
    let (script, _) = glue::script(&mut g, templates);
    let fixture = glue::fixture::build(&g);
    let test = glue::fixture::render(&g, &fixture, templates);
    let tf = glue::terraform::job_tf(&mut g, templates);
    let md = glue::docs::job_md(&g, templates);
    let mut files: Vec<(String, Vec<u8>)> = vec![
        ("glue_jobs/{stem}.py".into(), script.into_bytes()),
        ("tests/test_{stem}.py".into(), test.into_bytes()),
        ("terraform/{stem}.tf".into(), tf.into_bytes()),
        ("docs/{stem}.md".into(), md.into_bytes()),
    ];
    files.extend(glue::reconcile::files(&mut g, templates));
    GeneratedJob {
        files,
        todos: g.todos,
        warnings: g.warnings,
        coverage: g.coverage,
    }
}

/// Files written once per output folder: the test fixtures and the
/// awsglue stand-in, Terraform variables and provider.
pub fn glue_shared_files(cfg: &GlueConfig) -> Vec<(String, Vec<u8>)> {
    glue_shared_files_with(cfg, Templates::embedded())
}

pub fn glue_shared_files_with(cfg: &GlueConfig, templates: &Templates) -> Vec<(String, Vec<u8>)> {
    // `s3://bucket/prefix` → the bucket variable's default and the prefix.
    let loc = cfg.script_bucket.trim();
    let loc = loc.strip_prefix("s3://").unwrap_or(loc).trim_matches('/');
    let (bucket, prefix) = loc.split_once('/').unwrap_or((loc, ""));
    let prefix = prefix.trim_matches('/');
    let data = serde_json::json!({
        "bucket": bucket,
        "prefix": if prefix.is_empty() { String::new() } else { format!("{prefix}/") },
    });
    let mut v = Vec::new();
    for (name, path) in [
        ("conftest.py", "tests/conftest.py"),
        ("dsmig_testing.py", "tests/dsmig_testing.py"),
        ("awsglue/__init__.py", "tests/awsglue/__init__.py"),
        ("awsglue/context.py", "tests/awsglue/context.py"),
        ("awsglue/dynamicframe.py", "tests/awsglue/dynamicframe.py"),
        ("awsglue/job.py", "tests/awsglue/job.py"),
        ("awsglue/utils.py", "tests/awsglue/utils.py"),
        ("variables.tf", "terraform/variables.tf"),
        ("providers.tf", "terraform/providers.tf"),
    ] {
        v.push((path.to_string(), templates.render(name, &data).into_bytes()));
    }
    v
}

/// A sequence as a Step Functions state machine: `terraform/{stem}.tf`
/// and `sfn/{stem}.asl.json`. `all_job_stems`: (job name, stem) of every
/// (non-sequence) job generated in the same run, so its tasks start their
/// Glue jobs; the sequence's own stem is its sanitised name. See
/// [`sequence_files_with`].
pub fn sequence_files(job: &Job, all_job_stems: &[(String, String)]) -> GeneratedJob {
    let jobs: Vec<glue::terraform::JobRef> = all_job_stems
        .iter()
        .map(|(name, stem)| glue::terraform::JobRef {
            name: name.clone(),
            stem: stem.clone(),
            sequence: false,
        })
        .collect();
    sequence_files_with(job, &crate::escape::file_stem(&job.name), &jobs)
}

/// A sequence (file stem `stem`) as a Step Functions state machine
/// (`glue::orchestration`); `jobs`: every job and sequence of the build
/// with its stem.
pub fn sequence_files_with(
    job: &Job,
    stem: &str,
    jobs: &[glue::terraform::JobRef],
) -> GeneratedJob {
    let (files, todos) = glue::orchestration::files(job, stem, jobs, Templates::embedded());
    GeneratedJob {
        files,
        todos: todos
            .into_iter()
            .map(|what| Todo {
                location: job.name.clone(),
                what,
            })
            .collect(),
        warnings: Vec::new(),
        coverage: Vec::new(),
    }
}
