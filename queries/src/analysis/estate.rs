//! The whole estate at once: per-job analyses combined into groups,
//! lineage waves and predictions. Pure; `dsmig analyze` calls it directly,
//! the build engine calls the same pieces through its memoised queries.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::analysis::complexity::{Complexity, complexity};
use crate::analysis::features::{Features, features};
use crate::analysis::groups::{Grouping, JobKey, group};
use crate::analysis::lineage::{JobIo, Lineage, job_io, lineage_from_io};
use crate::analysis::predict::{Prediction, predict};
use crate::config::PredictionConfig;
use crate::ir::Job;

/// Everything dsmig works out about one job on its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobAnalysis {
    pub features: Features,
    pub complexity: Complexity,
    pub io: JobIo,
}

pub fn analyse_job(job: &Job) -> JobAnalysis {
    JobAnalysis {
        features: features(job),
        complexity: complexity(job),
        io: job_io(job),
    }
}

/// What depends on all jobs together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estate {
    pub grouping: Grouping,
    pub lineage: Lineage,
    pub predictions: BTreeMap<JobKey, Prediction>,
    /// Wave index of each job (0 = migrate first).
    pub wave_of: BTreeMap<JobKey, usize>,
}

/// Combine per-job analyses: (key, job name, analysis).
pub fn estate(jobs: &[(JobKey, String, &JobAnalysis)], cfg: &PredictionConfig) -> Estate {
    let items: Vec<(JobKey, &Features)> = jobs
        .iter()
        .map(|(k, _, a)| (k.clone(), &a.features))
        .collect();
    let grouping = group(&items, cfg.similarity_threshold);
    let ios: Vec<(JobKey, String, JobIo)> = jobs
        .iter()
        .map(|(k, n, a)| (k.clone(), n.clone(), a.io.clone()))
        .collect();
    let lineage = lineage_from_io(&ios);
    let predictions = jobs
        .iter()
        .map(|(k, _, a)| {
            (
                k.clone(),
                predict(&a.complexity, cfg, grouping.membership.get(k)),
            )
        })
        .collect();
    let wave_of = waves_by_job(&lineage);
    Estate {
        grouping,
        lineage,
        predictions,
        wave_of,
    }
}

pub fn waves_by_job(lineage: &Lineage) -> BTreeMap<JobKey, usize> {
    lineage
        .waves
        .iter()
        .enumerate()
        .flat_map(|(i, w)| w.iter().map(move |k| (k.clone(), i)))
        .collect()
}
