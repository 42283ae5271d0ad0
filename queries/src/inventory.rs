//! The inventory: one row per job and a summary, as `dsmig analyze` shows
//! it. Field names here are the documented CSV / JSON columns: renaming one
//! is a breaking change (bump [`FORMAT_VERSION`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::analysis::estate::{Estate, JobAnalysis, analyse_job, estate};
use crate::analysis::groups::JobKey;
use crate::config::PredictionConfig;
use crate::ir::{Entity, Located};
use crate::parse::diag::{Diagnostic, Severity};
use crate::parse::input::{FileSummary, ReadResult};
use crate::parse::isx::IsxMembers;

pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct JobRow {
    pub name: String,
    pub file: String,
    /// Line of `BEGIN DSJOB` / `<Job>`; absent for ISX.
    pub line: Option<u64>,
    /// ISX archive member; absent for DSX / XML.
    pub member: Option<String>,
    pub format: String,
    pub kind: String,
    pub folder: String,
    pub stages: usize,
    pub links: usize,
    pub columns: usize,
    pub parameters: usize,
    /// Normalised stage type → count, sorted by type.
    pub stage_types: BTreeMap<String, usize>,
    /// Canonical IR hash (blake3, hex).
    pub hash: String,
    /// `AUTO`, `SEMI-AUTO` or `MANUAL` (see the README's category rules).
    pub category: String,
    /// How sure the deciding rule is, 0..1.
    pub confidence: f64,
    pub effort_hours: f64,
    /// Complexity score (sum of the factors' points).
    pub score: u32,
    /// Duplicate group (`DUP_…`), similarity cluster (`SIM_…`) and pattern
    /// family (`FAM_…`), when the job has one.
    pub dup: Option<String>,
    pub sim: Option<String>,
    pub fam: Option<String>,
    /// Migration wave from the lineage graph (0 first).
    pub wave: Option<usize>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Summary {
    pub files: usize,
    pub files_read: usize,
    pub files_skipped: usize,
    pub files_with_errors: usize,
    pub bytes: u64,
    pub jobs: usize,
    pub jobs_by_kind: BTreeMap<String, usize>,
    pub jobs_by_format: BTreeMap<String, usize>,
    /// Every entity kind: job, shared_container, routine, parameter_set...
    pub entities_by_kind: BTreeMap<String, usize>,
    pub stages: usize,
    pub links: usize,
    pub columns: usize,
    /// Distinct canonical job hashes (byte-identical re-exports count once).
    pub distinct_jobs: usize,
    /// Job names that occur more than once (with different content or not).
    pub repeated_names: usize,
    pub errors: usize,
    pub warnings: usize,
    /// Jobs per category (`AUTO`, `SEMI-AUTO`, `MANUAL`).
    pub categories: BTreeMap<String, usize>,
    pub effort_hours: f64,
    pub duplicate_groups: usize,
    pub similarity_clusters: usize,
    pub families: usize,
    pub waves: usize,
    pub lineage_cycles: usize,
    /// Members of all ISX archives: read as entities, known and ignored
    /// (by kind), unknown (each a warning row).
    #[serde(default)]
    pub isx_members: IsxMembers,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Inventory {
    pub format_version: u32,
    pub summary: Summary,
    pub jobs: Vec<JobRow>,
    pub files: Vec<FileSummary>,
    pub diagnostics: Vec<Diagnostic>,
}

pub fn job_row(l: &Located) -> Option<JobRow> {
    let Entity::Job(job) = &l.entity else {
        return None;
    };
    let mut stage_types = BTreeMap::new();
    for s in &job.stages {
        *stage_types.entry(s.stage_type.clone()).or_insert(0) += 1;
    }
    Some(JobRow {
        name: job.name.clone(),
        file: l.location.file.clone(),
        line: l.location.line,
        member: l.location.member.clone(),
        format: l.format.as_str().to_string(),
        kind: job.kind.as_str().to_string(),
        folder: job.folder.clone(),
        stages: job.stages.len(),
        links: job.links.len(),
        columns: job.column_count(),
        parameters: job.parameters.len(),
        stage_types,
        hash: l.hash.hex(),
        category: String::new(),
        confidence: 0.0,
        effort_hours: 0.0,
        score: 0,
        dup: None,
        sim: None,
        fam: None,
        wave: None,
    })
}

/// What the inventory keeps of an entity: a job's row, or just the kind
/// of anything else. Small on purpose: `dsmig analyze` maps each entity to
/// an item as soon as it is read, so memory does not grow with the IR.
#[derive(Debug, Clone)]
pub enum Item {
    Job(Box<(JobRow, JobAnalysis)>),
    Other(&'static str),
}

pub fn item(l: Located) -> Item {
    match (job_row(&l), l.entity.as_job()) {
        (Some(row), Some(job)) => Item::Job(Box::new((row, analyse_job(job)))),
        _ => Item::Other(l.entity.kind_str()),
    }
}

/// The inventory of fully read entities.
pub fn build(read: &ReadResult, cfg: &PredictionConfig) -> Inventory {
    let items: Vec<Item> = read.entities.iter().map(|l| item(l.clone())).collect();
    build_from_items(&read.files, &items, &read.diagnostics, cfg).0
}

/// The inventory of items mapped while reading ([`item`]).
pub fn build_items(read: &ReadResult<Item>, cfg: &PredictionConfig) -> Inventory {
    build_items_with_estate(read, cfg).0
}

/// [`build_items`], and the estate the rows were computed from (the HTML
/// report shows its groups, waves and predictions).
pub fn build_items_with_estate(
    read: &ReadResult<Item>,
    cfg: &PredictionConfig,
) -> (Inventory, Estate) {
    build_from_items(&read.files, &read.entities, &read.diagnostics, cfg)
}

/// Each job's own analysis, by IR hash (the first of equal hashes).
pub fn job_analyses(items: &[Item]) -> BTreeMap<&str, &JobAnalysis> {
    let mut out = BTreeMap::new();
    for i in items {
        if let Item::Job(b) = i {
            out.entry(b.0.hash.as_str()).or_insert(&b.1);
        }
    }
    out
}

fn build_from_items(
    files: &[FileSummary],
    items: &[Item],
    diagnostics: &[Diagnostic],
    cfg: &PredictionConfig,
) -> (Inventory, Estate) {
    struct Read<'a> {
        files: &'a [FileSummary],
        diagnostics: &'a [Diagnostic],
    }
    let read = Read { files, diagnostics };
    let analysed: Vec<(JobKey, String, &JobAnalysis)> = items
        .iter()
        .filter_map(|i| match i {
            Item::Job(b) => Some((b.0.hash.clone(), b.0.name.clone(), &b.1)),
            Item::Other(_) => None,
        })
        .collect();
    let estate = estate(&analysed, cfg);
    let jobs: Vec<JobRow> = items
        .iter()
        .filter_map(|i| match i {
            Item::Job(b) => Some(with_analysis(b.0.clone(), &b.1, &estate)),
            Item::Other(_) => None,
        })
        .collect();
    let mut s = Summary {
        files: read.files.len(),
        files_read: read.files.iter().filter(|f| f.format.is_some()).count(),
        bytes: read.files.iter().map(|f| f.bytes).sum(),
        jobs: jobs.len(),
        ..Summary::default()
    };
    s.files_skipped = read
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Skipped)
        .map(|d| &d.location.file)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    s.files_with_errors = read.files.iter().filter(|f| f.errors > 0).count();
    for m in read.files.iter().filter_map(|f| f.isx_members.as_ref()) {
        s.isx_members.add(m);
    }
    for i in items {
        let kind = match i {
            Item::Job(_) => "job",
            Item::Other(k) => k,
        };
        *s.entities_by_kind.entry(kind.to_string()).or_insert(0) += 1;
    }
    let mut names: BTreeMap<&str, usize> = BTreeMap::new();
    for j in &jobs {
        *s.jobs_by_kind.entry(j.kind.clone()).or_insert(0) += 1;
        *s.jobs_by_format.entry(j.format.clone()).or_insert(0) += 1;
        s.stages += j.stages;
        s.links += j.links;
        s.columns += j.columns;
        *names.entry(j.name.as_str()).or_insert(0) += 1;
    }
    s.distinct_jobs = jobs
        .iter()
        .map(|j| &j.hash)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    s.repeated_names = names.values().filter(|&&n| n > 1).count();
    for j in &jobs {
        *s.categories.entry(j.category.clone()).or_insert(0) += 1;
        s.effort_hours += j.effort_hours;
    }
    s.effort_hours = (s.effort_hours * 10.0).round() / 10.0;
    s.duplicate_groups = estate.grouping.duplicates.len();
    s.similarity_clusters = estate.grouping.clusters.len();
    s.families = estate.grouping.families.len();
    s.waves = estate.lineage.waves.len();
    s.lineage_cycles = estate.lineage.cycles.len();
    s.errors = read
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    s.warnings = read
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    let inv = Inventory {
        format_version: FORMAT_VERSION,
        summary: s,
        jobs,
        files: read.files.to_vec(),
        diagnostics: read.diagnostics.to_vec(),
    };
    (inv, estate)
}

fn with_analysis(mut row: JobRow, a: &JobAnalysis, estate: &Estate) -> JobRow {
    row.score = a.complexity.score;
    if let Some(p) = estate.predictions.get(&row.hash) {
        row.category = p.category.as_str().to_string();
        row.confidence = p.confidence;
        row.effort_hours = p.effort_hours;
    }
    if let Some(m) = estate.grouping.membership.get(&row.hash) {
        row.dup = m.dup.clone();
        row.sim = m.sim.clone();
        row.fam = m.fam.clone();
    }
    row.wave = estate.wave_of.get(&row.hash).copied();
    row
}

/// CSV columns, in order.
pub const CSV_COLUMNS: &[&str] = &[
    "name",
    "file",
    "line",
    "member",
    "format",
    "kind",
    "folder",
    "stages",
    "links",
    "columns",
    "parameters",
    "stage_types",
    "hash",
    "category",
    "confidence",
    "effort_hours",
    "score",
    "dup",
    "sim",
    "fam",
    "wave",
];

/// RFC 4180 CSV of the job rows. `stage_types` is `Type:n;Type:n`.
pub fn to_csv(inv: &Inventory) -> String {
    let mut out = CSV_COLUMNS.join(",");
    out.push_str("\r\n");
    for j in &inv.jobs {
        let types = j
            .stage_types
            .iter()
            .map(|(t, n)| format!("{t}:{n}"))
            .collect::<Vec<_>>()
            .join(";");
        let fields = [
            j.name.clone(),
            j.file.clone(),
            j.line.map(|l| l.to_string()).unwrap_or_default(),
            j.member.clone().unwrap_or_default(),
            j.format.clone(),
            j.kind.clone(),
            j.folder.clone(),
            j.stages.to_string(),
            j.links.to_string(),
            j.columns.to_string(),
            j.parameters.to_string(),
            types,
            j.hash.clone(),
            j.category.clone(),
            format!("{:.2}", j.confidence),
            format!("{:.1}", j.effort_hours),
            j.score.to_string(),
            j.dup.clone().unwrap_or_default(),
            j.sim.clone().unwrap_or_default(),
            j.fam.clone().unwrap_or_default(),
            j.wave.map(|w| w.to_string()).unwrap_or_default(),
        ];
        let row: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

fn csv_field(f: &str) -> String {
    if f.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f.to_string()
    }
}
