//! Ground truth written next to a generated corpus (`ground_truth.json`).

use super::spec::{Edit, Kind};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Dsx,
    Xml,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "role")]
pub enum Role {
    Singleton,
    /// Same structure and expressions as the other members of `group`;
    /// names, literals, parameter defaults, ids, geometry and dates differ.
    ExactDup {
        group: usize,
    },
    /// Member of near-duplicate `cluster`: the template (`edits` empty) or
    /// the template with 1–3 structural edits.
    NearDup {
        cluster: usize,
        template: bool,
        edits: Vec<Edit>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryHint {
    /// `AUTO`, `SEMI` or `MANUAL`.
    pub expected: String,
    /// Why (empty for AUTO): e.g. `unsupported stage PxSCD`,
    /// `unknown routine DSU.CleanAddress`, `self-referencing stage variable svX`,
    /// `complex stage PxChangeCapture`, `before-job subroutine DSU.ExecSH`.
    pub reasons: Vec<String>,
}

impl CategoryHint {
    pub fn from_reasons(reasons: Vec<String>) -> Self {
        let expected = if reasons.iter().any(|r| r.starts_with("unsupported")) {
            "MANUAL"
        } else if reasons.is_empty() {
            "AUTO"
        } else {
            "SEMI"
        };
        CategoryHint {
            expected: expected.to_string(),
            reasons,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobCopy {
    pub file: String,
    pub format: Format,
    /// The `BEGIN DSJOB … END DSJOB` text is byte-identical to the primary
    /// (same line endings too). False for the XML copy of a DSX job.
    pub byte_identical: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobTruth {
    pub name: String,
    /// Primary file (relative to the corpus root, `/`-separated).
    pub file: String,
    pub format: Format,
    pub kind: Kind,
    pub stage_count: usize,
    pub link_count: usize,
    /// Sum over links of the columns on each link.
    pub column_count: usize,
    pub stage_types: Vec<String>,
    pub pattern_id: usize,
    #[serde(flatten)]
    pub role: Role,
    pub category: CategoryHint,
    /// Re-exports of this job in other files.
    pub copies: Vec<JobCopy>,
    /// Sequences: jobs run by the sequence's job activities.
    pub runs_jobs: Vec<String>,
    /// A `DSEXECJOB` block for this job follows in the same file.
    pub has_exec: bool,
    /// Bytes of the `BEGIN DSJOB … END DSJOB` block (DSX, LF) or of the
    /// `<Job>` element (XML).
    pub bytes: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupTruth {
    pub id: usize,
    pub pattern_id: usize,
    pub members: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterTruth {
    pub id: usize,
    pub pattern_id: usize,
    pub template: String,
    pub members: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordMarker {
    /// Literal value planted in a connector `Password` property.
    pub marker: String,
    pub job: String,
    pub files: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileTruth {
    pub path: String,
    pub format: Format,
    pub gzip: bool,
    pub crlf: bool,
    /// Number of `BEGIN DSJOB` blocks / `<Job>` elements (re-exports included).
    pub jobs: usize,
    pub job_names: Vec<String>,
    pub exec_blocks: usize,
    pub has_parameter_sets: bool,
    pub has_table_defs: bool,
    /// Size on disk (compressed for `.gz`).
    pub bytes: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroundTruth {
    pub generator: String,
    pub seed: u64,
    pub job_count: usize,
    pub jobs: Vec<JobTruth>,
    pub exact_dup_groups: Vec<GroupTruth>,
    pub near_dup_clusters: Vec<ClusterTruth>,
    pub password_markers: Vec<PasswordMarker>,
    pub files: Vec<FileTruth>,
    pub total_bytes: u64,
}
