//! Deterministic generator of realistic DataStage export corpora (DSX text
//! and legacy XML, some gzipped, some CRLF) with a ground truth of planted
//! exact duplicates, near duplicates, singletons, re-exports, classification
//! hints and password markers.
//!
//! ```no_run
//! use corpus_gen::{GenOptions, generate};
//! let truth = generate(&GenOptions::small(40, 7), std::path::Path::new("/tmp/corpus")).unwrap();
//! assert_eq!(truth.job_count, 40);
//! ```
//!
//! Output is byte-identical for the same options: every random choice comes
//! from [`rng::Rng`] streams derived from `seed` and stable labels, never from
//! time or the OS. Each file is built independently (rayon, one task per
//! file), so thread scheduling does not affect the bytes. Gzip members are
//! written by `flate2` at level 1 with no file name or mtime in the header.

pub mod dsx_writer;
pub mod job;
pub mod model;
pub mod names;
pub mod rng;
pub mod spec;
pub mod truth;
pub mod xml_writer;

use rayon::prelude::*;
use rng::{Rng, derive};
use spec::{Flavor, Kind, Sizing, Spec};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
pub use truth::*;

/// Options of [`generate`].
#[derive(Clone, Debug)]
pub struct GenOptions {
    /// Number of distinct jobs (re-exported copies come on top).
    pub jobs: usize,
    pub seed: u64,
    /// Jobs per export file (min, max).
    pub jobs_per_file: (usize, usize),
    /// Share of files written as XML.
    pub xml_fraction: f64,
    /// Share of files gzipped (`.dsx.gz`, `.xml.gz`).
    pub gzip_fraction: f64,
    /// Share of files with CRLF line endings.
    pub crlf_fraction: f64,
    /// Share of DSX jobs followed by a compiled `DSEXECJOB` block.
    pub exec_fraction: f64,
    /// Share of jobs in exact-duplicate groups.
    pub dup_fraction: f64,
    /// Share of jobs in near-duplicate clusters.
    pub near_dup_fraction: f64,
    /// Jobs per exact-duplicate group (min, max); `None`: mostly pairs and
    /// triples, a few groups up to 20 (a hand-built estate).
    pub dup_group_size: Option<(usize, usize)>,
    /// Jobs per near-duplicate cluster (min, max).
    pub near_cluster_size: (usize, usize),
    /// Steers the column counts so the median DSX job is about this size.
    pub target_median_job_bytes: usize,
    pub server_fraction: f64,
    pub sequence_fraction: f64,
    /// Parallel-job stages (min, median, max).
    pub stages: (usize, usize, usize),
    /// Columns per source link (min, max); the median follows from
    /// `target_median_job_bytes`.
    pub columns: (usize, usize),
    /// Typical size of the binary part of a `DSEXECJOB` block.
    pub exec_bytes: usize,
    /// Jobs carrying a planted literal connector password (at least one).
    pub password_plants: usize,
    /// Jobs re-exported byte-identically into a second DSX file, and jobs
    /// exported both as DSX and XML.
    pub reexports: (usize, usize),
    /// Share of DSX files with a `DSPARAMETERSETS` / `DSTABLEDEFS` block.
    pub extra_block_fraction: f64,
    /// Share of parallel jobs carrying compiled OSH (`OrchestrateCode`).
    pub osh_fraction: f64,
}

impl GenOptions {
    /// Realistic sizes: median DSX job ≈ 110 KB, 5–30 stages, 10–200 columns.
    pub fn realistic(jobs: usize, seed: u64) -> Self {
        GenOptions {
            jobs,
            seed,
            jobs_per_file: (1, 30),
            xml_fraction: 0.12,
            gzip_fraction: 0.1,
            crlf_fraction: 0.3,
            exec_fraction: 0.08,
            dup_fraction: 0.25,
            near_dup_fraction: 0.2,
            dup_group_size: None,
            near_cluster_size: (2, 8),
            target_median_job_bytes: 110_000,
            server_fraction: 0.05,
            sequence_fraction: 0.04,
            stages: (5, 7, 30),
            columns: (10, 200),
            exec_bytes: 40_000,
            password_plants: (jobs / 300).max(1),
            reexports: ((jobs / 400).max(2), (jobs / 400).max(2)),
            extra_block_fraction: 0.2,
            osh_fraction: 0.3,
        }
    }

    /// Small jobs (3–6 stages, a handful of columns) for fast tests; same
    /// planted structure.
    pub fn small(jobs: usize, seed: u64) -> Self {
        GenOptions {
            jobs_per_file: (1, 8),
            xml_fraction: 0.2,
            gzip_fraction: 0.2,
            exec_fraction: 0.15,
            target_median_job_bytes: 12_000,
            stages: (3, 4, 6),
            columns: (3, 8),
            exec_bytes: 2_000,
            extra_block_fraction: 0.3,
            ..GenOptions::realistic(jobs, seed)
        }
    }

    /// An estate built from templates: most jobs are copies of a few
    /// designs, exact (names, tables and literals changed) or near (a few
    /// stages or derivations edited), in groups of 6 to 30 — what a team
    /// that generated its jobs from patterns leaves behind. Small jobs.
    pub fn clustered(jobs: usize, seed: u64) -> Self {
        GenOptions {
            dup_fraction: 0.45,
            near_dup_fraction: 0.45,
            dup_group_size: Some((6, 20)),
            near_cluster_size: (8, 30),
            ..GenOptions::small(jobs, seed)
        }
    }

    fn sizing(&self) -> Sizing {
        // Calibrated: ~110 KB median at 14 columns per source link with
        // the realistic stage counts; size grows about linearly with width.
        let base = if self.stages.1 >= 7 { 11.2 } else { 5.0 };
        let reference = if self.stages.1 >= 7 {
            110_000.0
        } else {
            12_000.0
        };
        let cols_median = (base * self.target_median_job_bytes as f64 / reference)
            .clamp(self.columns.0 as f64, self.columns.1 as f64);
        Sizing {
            stages_median: self.stages.1 as f64,
            stages_min: self.stages.0,
            stages_max: self.stages.2,
            cols_median,
            cols_min: self.columns.0,
            cols_max: self.columns.1,
        }
    }
}

#[derive(Clone, Debug)]
enum PlanRole {
    Singleton,
    Exact(usize),
    Near {
        cluster: usize,
        member: usize,
        n_edits: usize,
    },
}

#[derive(Clone, Debug)]
struct PlannedJob {
    name: String,
    kind: Kind,
    pattern_id: usize,
    pattern_seed: u64,
    flavor: Flavor,
    force_db: bool,
    role: PlanRole,
    name_seed: u64,
    lit_seed: u64,
    noise_seed: u64,
    run_jobs: Vec<usize>,
    password: Option<String>,
    exec: bool,
    with_osh: bool,
}

#[derive(Clone, Debug)]
struct FilePlan {
    path: String,
    project: String,
    format: Format,
    gzip: bool,
    crlf: bool,
    /// (job index, is a copy)
    jobs: Vec<(usize, bool)>,
    param_sets: bool,
    table_defs: bool,
}

fn job_name(r: &mut Rng, kind: Kind, used: &mut BTreeSet<String>) -> String {
    let prefix = match kind {
        Kind::Parallel => *r.pick(names::JOB_PREFIXES),
        Kind::Server => *r.pick(names::SRV_PREFIXES),
        Kind::Sequence => *r.pick(names::SEQ_PREFIXES),
    };
    let base = match r.below(3) {
        0 => format!(
            "{prefix}{}_{}_{}",
            r.pick(names::LAYERS),
            r.pick(names::TITLE_WORDS),
            r.pick(names::ACTIONS)
        ),
        1 => format!(
            "{prefix}{}{}",
            r.pick(names::TITLE_WORDS),
            r.pick(names::ACTIONS)
        ),
        _ => format!(
            "{prefix}{}_{}_{:03}",
            r.pick(names::WORDS).to_ascii_lowercase(),
            r.pick(names::ACTIONS).to_ascii_lowercase(),
            r.range(1, 999)
        ),
    };
    let mut name = base.clone();
    let mut k = 1;
    while !used.insert(name.clone()) {
        k += 1;
        name = format!("{base}_{k}");
    }
    name
}

fn plan(o: &GenOptions) -> (Vec<PlannedJob>, Vec<FilePlan>, usize, usize) {
    let mut r = Rng::sub(o.seed, "plan", 0);
    let n = o.jobs;
    let n_seq = ((n as f64) * o.sequence_fraction).round() as usize;
    let n_seq = if n >= 20 { n_seq.max(1) } else { n_seq };
    let n_dup = ((n as f64) * o.dup_fraction).round() as usize;
    let n_near = ((n as f64) * o.near_dup_fraction).round() as usize;
    let mut jobs: Vec<PlannedJob> = Vec::with_capacity(n);
    let mut used = BTreeSet::new();
    let mut pattern = 0usize;
    let mk = |r: &mut Rng,
              kind: Kind,
              pattern: usize,
              role: PlanRole,
              used: &mut BTreeSet<String>|
     -> PlannedJob {
        let name = job_name(r, kind, used);
        PlannedJob {
            name,
            kind,
            pattern_id: pattern,
            pattern_seed: derive(o.seed, "pattern", pattern as u64),
            flavor: Flavor::Auto,
            force_db: false,
            role,
            name_seed: r.next_u64(),
            lit_seed: r.next_u64(),
            noise_seed: r.next_u64(),
            run_jobs: Vec::new(),
            password: None,
            exec: false,
            with_osh: false,
        }
    };
    let pattern_flavor = |pr: &mut Rng| Flavor::draw(pr);
    // exact-duplicate groups
    let mut groups = 0;
    let mut left = n_dup.min(n.saturating_sub(n_seq));
    while left >= 2 {
        let size = match o.dup_group_size {
            Some((lo, hi)) => r.range(lo.max(2), hi.max(2)),
            None => match r.weighted(&[45, 25, 12, 8, 6, 4]) {
                0 => 2,
                1 => 3,
                2 => r.range(4, 5),
                3 => r.range(6, 8),
                4 => r.range(9, 13),
                _ => r.range(14, 20),
            },
        }
        .min(left);
        if size < 2 {
            break;
        }
        let kind = if r.chance(o.server_fraction * 2.0) {
            Kind::Server
        } else {
            Kind::Parallel
        };
        let flavor = pattern_flavor(&mut r);
        for _ in 0..size {
            let mut j = mk(&mut r, kind, pattern, PlanRole::Exact(groups), &mut used);
            j.flavor = flavor;
            jobs.push(j);
        }
        pattern += 1;
        groups += 1;
        left -= size;
    }
    // near-duplicate clusters
    let mut clusters = 0;
    let mut left = n_near.min(n.saturating_sub(n_seq + jobs.len()));
    while left >= 2 {
        let (lo, hi) = o.near_cluster_size;
        let size = r.range(lo.max(2), hi.max(2)).min(left);
        let kind = if r.chance(o.server_fraction) {
            Kind::Server
        } else {
            Kind::Parallel
        };
        let flavor = pattern_flavor(&mut r);
        let name_seed = r.next_u64();
        let lit_seed = r.next_u64();
        for m in 0..size {
            let n_edits = if m == 0 { 0 } else { r.range(1, 3) };
            let mut j = mk(
                &mut r,
                kind,
                pattern,
                PlanRole::Near {
                    cluster: clusters,
                    member: m,
                    n_edits,
                },
                &mut used,
            );
            j.flavor = flavor;
            // copies of a template keep its stage/link names and literals
            j.name_seed = name_seed;
            j.lit_seed = lit_seed;
            jobs.push(j);
        }
        pattern += 1;
        clusters += 1;
        left -= size;
    }
    // singletons
    let n_single = n.saturating_sub(jobs.len() + n_seq);
    for _ in 0..n_single {
        let kind = if r.chance(o.server_fraction) {
            Kind::Server
        } else {
            Kind::Parallel
        };
        let mut j = mk(&mut r, kind, pattern, PlanRole::Singleton, &mut used);
        j.flavor = pattern_flavor(&mut r);
        jobs.push(j);
        pattern += 1;
    }
    for _ in 0..n_seq {
        jobs.push(mk(
            &mut r,
            Kind::Sequence,
            pattern,
            PlanRole::Singleton,
            &mut used,
        ));
        pattern += 1;
    }
    r.shuffle(&mut jobs);
    // sequences run other jobs
    let runnable: Vec<usize> = (0..jobs.len())
        .filter(|&i| jobs[i].kind != Kind::Sequence)
        .collect();
    for job in jobs.iter_mut() {
        if job.kind == Kind::Sequence && !runnable.is_empty() {
            let k = r.range(2, 6).min(runnable.len());
            let mut v: Vec<usize> = Vec::new();
            while v.len() < k {
                let c = *r.pick(&runnable);
                if !v.contains(&c) {
                    v.push(c);
                }
            }
            job.run_jobs = v;
        }
    }
    // planted passwords on singleton parallel jobs
    let cands: Vec<usize> = (0..jobs.len())
        .filter(|&i| jobs[i].kind == Kind::Parallel && matches!(jobs[i].role, PlanRole::Singleton))
        .collect();
    for k in 0..o.password_plants.min(cands.len()) {
        let i = cands[(k * 7919 + r.below(cands.len())) % cands.len()];
        if jobs[i].password.is_none() {
            jobs[i].password = Some(format!(
                "DSMIG_PLANTED_PW_{:08X}",
                derive(o.seed, "pw", k as u64) as u32
            ));
            jobs[i].force_db = true;
        }
    }
    for j in jobs.iter_mut() {
        j.with_osh = j.kind == Kind::Parallel && r.chance(o.osh_fraction);
    }

    // files
    let projects: Vec<String> = (0..r.range(2, 5))
        .map(|i| {
            format!(
                "{}_{}",
                names::LAYERS[(i * 3 + 1) % names::LAYERS.len()],
                ["DEV", "PRD", "QA", "UAT", "SIT"][i % 5]
            )
        })
        .collect();
    let mut files = Vec::new();
    let mut pos = 0;
    let mut fno = 0;
    let (lo, hi) = o.jobs_per_file;
    let hi = hi.max(lo).max(1);
    let lo = lo.max(1);
    while pos < jobs.len() {
        let size = if r.chance(0.45) {
            lo
        } else {
            r.lognormal(((lo + hi) as f64 / 3.0).max(1.0), 0.7, lo, hi)
        };
        let size = size.min(jobs.len() - pos);
        let format = if r.chance(o.xml_fraction) {
            Format::Xml
        } else {
            Format::Dsx
        };
        let gzip = r.chance(o.gzip_fraction);
        let crlf = r.chance(o.crlf_fraction);
        let project = projects[r.below(projects.len())].clone();
        let first = &jobs[pos].name;
        let stem = if size == 1 {
            first.clone()
        } else {
            format!(
                "{}_{}_export_{fno:04}",
                r.pick(names::LAYERS),
                r.pick(names::TITLE_WORDS)
            )
        };
        let ext = match (format, gzip) {
            (Format::Dsx, false) => "dsx",
            (Format::Dsx, true) => "dsx.gz",
            (Format::Xml, false) => "xml",
            (Format::Xml, true) => "xml.gz",
        };
        let dsx = format == Format::Dsx;
        files.push(FilePlan {
            path: format!("{project}/{stem}.{ext}"),
            project,
            format,
            gzip,
            crlf,
            jobs: (pos..pos + size).map(|i| (i, false)).collect(),
            param_sets: dsx && r.chance(o.extra_block_fraction),
            table_defs: dsx && r.chance(o.extra_block_fraction),
        });
        pos += size;
        fno += 1;
    }
    // exec blocks for some DSX jobs
    for f in &files {
        if f.format == Format::Dsx {
            for &(i, _) in &f.jobs {
                if r.chance(o.exec_fraction) {
                    jobs[i].exec = true;
                }
            }
        }
    }
    // re-exports
    let mut file_of = vec![0usize; jobs.len()];
    for (fi, f) in files.iter().enumerate() {
        for &(i, _) in &f.jobs {
            file_of[i] = fi;
        }
    }
    let lf_dsx: Vec<usize> = (0..jobs.len())
        .filter(|&i| files[file_of[i]].format == Format::Dsx && !files[file_of[i]].crlf)
        .collect();
    let dsx: Vec<usize> = (0..jobs.len())
        .filter(|&i| files[file_of[i]].format == Format::Dsx)
        .collect();
    let pick_n = |pool: &[usize], k: usize, r: &mut Rng| -> Vec<usize> {
        let mut v = Vec::new();
        let mut guard = 0;
        while v.len() < k.min(pool.len()) && guard < 1000 {
            guard += 1;
            let c = *r.pick(pool);
            if !v.contains(&c) {
                v.push(c);
            }
        }
        v.sort();
        v
    };
    let re1 = pick_n(&lf_dsx, o.reexports.0, &mut r);
    let re2 = pick_n(&dsx, o.reexports.1, &mut r);
    if !re1.is_empty() {
        files.push(FilePlan {
            path: format!("{}/reexport/ReExport_{:04}.dsx", projects[0], fno),
            project: projects[0].clone(),
            format: Format::Dsx,
            gzip: false,
            crlf: false,
            jobs: re1.iter().map(|&i| (i, true)).collect(),
            param_sets: false,
            table_defs: false,
        });
    }
    if !re2.is_empty() {
        files.push(FilePlan {
            path: format!("{}/reexport/ReExport_{:04}.xml", projects[0], fno + 1),
            project: projects[0].clone(),
            format: Format::Xml,
            gzip: false,
            crlf: r.chance(o.crlf_fraction),
            jobs: re2.iter().map(|&i| (i, true)).collect(),
            param_sets: false,
            table_defs: false,
        });
    }
    (jobs, files, groups, clusters)
}

fn build_spec(o: &GenOptions, j: &PlannedJob) -> (Spec, Vec<spec::Edit>) {
    let mut r = Rng::new(j.pattern_seed);
    let mut s = match j.kind {
        Kind::Parallel => spec::gen_parallel(&mut r, o.sizing(), j.flavor, j.force_db),
        Kind::Server => spec::gen_server(&mut r, o.sizing()),
        Kind::Sequence => spec::gen_sequence(&mut r, j.run_jobs.len()),
    };
    let mut edits = Vec::new();
    if let PlanRole::Near {
        member, n_edits, ..
    } = j.role
    {
        let mut er = Rng::sub(j.pattern_seed, "edit", member as u64);
        for _ in 0..n_edits {
            if let Some(e) = spec::apply_edit(&mut s, &mut er) {
                edits.push(e);
            }
        }
        if n_edits > 0 && edits.is_empty() {
            // always at least one structural difference from the template
            let mut er = Rng::sub(j.pattern_seed, "edit-fallback", member as u64);
            for _ in 0..20 {
                if let Some(e) = spec::apply_edit(&mut s, &mut er) {
                    edits.push(e);
                    break;
                }
            }
        }
    }
    (s, edits)
}

struct Built {
    job: model::Job,
    stats: job::JobStats,
    edits: Vec<spec::Edit>,
}

fn build_job(o: &GenOptions, jobs: &[PlannedJob], i: usize) -> Built {
    let j = &jobs[i];
    let (s, edits) = build_spec(o, j);
    let naming = job::Naming {
        job_name: j.name.clone(),
        name_seed: j.name_seed,
        lit_seed: j.lit_seed,
        noise_seed: j.noise_seed,
        structure_seed: j.pattern_seed,
        run_jobs: j.run_jobs.iter().map(|&k| jobs[k].name.clone()).collect(),
        password: j.password.clone(),
        with_osh: j.with_osh,
    };
    let (job, stats) = job::render(&s, &naming);
    let edits = if edits.is_empty() {
        edits
    } else {
        let rs = job::resolve(&s, &naming);
        edits
            .into_iter()
            .map(|e| match e {
                spec::Edit::ColumnAdded { link, column } => spec::Edit::ColumnAdded {
                    link: job::subst(&link, &rs, &naming),
                    column,
                },
                spec::Edit::ColumnRemoved { link, column } => spec::Edit::ColumnRemoved {
                    link: job::subst(&link, &rs, &naming),
                    column,
                },
                spec::Edit::DerivationChanged { link, column } => spec::Edit::DerivationChanged {
                    link: job::subst(&link, &rs, &naming),
                    column,
                },
                spec::Edit::ConstraintChanged { link } => spec::Edit::ConstraintChanged {
                    link: job::subst(&link, &rs, &naming),
                },
                e => e,
            })
            .collect()
    };
    Built { job, stats, edits }
}

fn param_set_block(out: &mut String) {
    let mut r = model::Record::new("PS_DB", "CParameterSet");
    r.p("Readonly", "0")
        .p("Category", "\\Parameter Sets")
        .p("Description", "Shared database connection");
    r.coll(
        "Parameters",
        "CParameters",
        vec![
            vec![
                model::q("Name", "DB_SERVER"),
                model::q("Prompt", "Server"),
                model::q("Default", "DWHPRD01"),
                model::q("ParamType", "0"),
                model::q("ParamLength", "0"),
                model::q("ParamScale", "0"),
            ],
            vec![
                model::q("Name", "DB_USER"),
                model::q("Prompt", "User"),
                model::q("Default", "etl_batch"),
                model::q("ParamType", "0"),
                model::q("ParamLength", "0"),
                model::q("ParamScale", "0"),
            ],
            vec![
                model::q("Name", "DB_PASSWORD"),
                model::q("Prompt", "Password"),
                model::q("Default", "{iisenc}Q2hhbmdlTWUxMjM0NTY3OA=="),
                model::q("ParamType", "1"),
                model::q("ParamLength", "0"),
                model::q("ParamScale", "0"),
            ],
        ],
    );
    out.push_str("BEGIN DSPARAMETERSETS\n");
    dsx_writer::write_record_dated(out, &r, "2021-06-14", "10.22.31");
    out.push_str("END DSPARAMETERSETS\n");
}

fn table_def_block(out: &mut String, seed: u64) {
    let mut r = Rng::sub(seed, "tabledef", 0);
    out.push_str("BEGIN DSTABLEDEFS\n");
    for _ in 0..r.range(1, 3) {
        let t = format!("{}_{}", r.pick(names::LAYERS), r.pick(names::WORDS));
        let mut rec = model::Record::new(format!("Database\\ORAPRD\\{t}"), "CMetaTable");
        rec.p("Readonly", "0")
            .p("Category", "\\Table Definitions\\Database")
            .p("Version", "9")
            .p("QuoteChar", "\"")
            .p("Multivalued", "0");
        let cols: Vec<Vec<model::Prop>> = (0..r.range(3, 12))
            .map(|k| {
                vec![
                    model::q(
                        "Name",
                        format!(
                            "{}_{}",
                            r.pick(names::WORDS),
                            r.pick(&["ID", "CD", "NM", "DT", "AMT"])
                        ),
                    ),
                    model::q("SqlType", *r.pick(&["4", "12", "9", "3"])),
                    model::q("Precision", r.range(0, 50).to_string()),
                    model::q("Scale", "0"),
                    model::q("Nullable", "1"),
                    model::q("KeyPosition", if k == 0 { "1" } else { "0" }),
                    model::q("DisplaySize", "0"),
                    model::q("FieldPos", (k + 1).to_string()),
                    model::q("LevelNo", "0"),
                    model::q("NativeType", *r.pick(&["NUMBER", "VARCHAR2", "DATE"])),
                    model::q("Occurs", "0"),
                    model::q("SignOption", "0"),
                    model::q("SCDPurpose", "0"),
                    model::q("SyncIndicator", "0"),
                    model::q("PadChar", ""),
                    model::q("ExtendedPrecision", "0"),
                    model::q("TaggedSubrec", "0"),
                    model::q("OccursVarying", "0"),
                ]
            })
            .collect();
        rec.coll("Columns", "CMetaColumn", cols);
        dsx_writer::write_record_dated(out, &rec, "2022-02-03", "08.15.00");
    }
    out.push_str("END DSTABLEDEFS\n");
}

struct FileOut {
    bytes: u64,
    built: Vec<(usize, job::JobStats, Vec<spec::Edit>, usize)>,
    exec_blocks: usize,
}

fn to_crlf(s: String) -> Vec<u8> {
    let extra = s.bytes().filter(|&b| b == b'\n').count();
    let mut v = Vec::with_capacity(s.len() + extra);
    for &b in s.as_bytes() {
        if b == b'\n' {
            v.push(b'\r');
        }
        v.push(b);
    }
    v
}

fn build_file(
    o: &GenOptions,
    jobs: &[PlannedJob],
    f: &FilePlan,
    fi: usize,
    out_dir: &Path,
) -> std::io::Result<FileOut> {
    let mut hr = Rng::sub(o.seed, "header", fi as u64);
    let date = format!(
        "20{:02}-{:02}-{:02}",
        hr.range(18, 25),
        hr.range(1, 12),
        hr.range(1, 28)
    );
    let time = format!(
        "{:02}.{:02}.{:02}",
        hr.range(0, 23),
        hr.range(0, 59),
        hr.range(0, 59)
    );
    let server = format!("IISENG{:02}", hr.range(1, 12));
    let h = dsx_writer::Header {
        charset: hr.pick::<&str>(&["CP1252", "CP1252", "ENGLISH", "UTF-8"]),
        server_name: &server,
        project: &f.project,
        date: &date,
        time: &time,
        server_version: hr.pick::<&str>(&["8.7", "9.1", "11.3", "11.5", "11.7"]),
    };
    let mut out = String::with_capacity(f.jobs.len() * o.target_median_job_bytes * 5 / 4 + 4096);
    let mut built = Vec::new();
    let mut execs = Vec::new();
    match f.format {
        Format::Dsx => dsx_writer::write_header(&mut out, &h),
        Format::Xml => xml_writer::write_header(&mut out, &h),
    }
    for &(i, copy) in &f.jobs {
        let b = build_job(o, jobs, i);
        let start = out.len();
        match f.format {
            Format::Dsx => dsx_writer::write_job(&mut out, &b.job),
            Format::Xml => xml_writer::write_job(&mut out, &b.job),
        }
        let len = out.len() - start;
        if f.format == Format::Dsx && jobs[i].exec && !copy {
            execs.push(i);
        }
        if !copy {
            built.push((i, b.stats, b.edits, len));
        }
    }
    if f.format == Format::Dsx {
        if f.param_sets {
            param_set_block(&mut out);
        }
        if f.table_defs {
            table_def_block(&mut out, derive(o.seed, "td", fi as u64));
        }
        for &i in &execs {
            let mut r = Rng::sub(jobs[i].noise_seed, "execsize", 0);
            let bulk = r.lognormal(o.exec_bytes as f64, 0.5, 1000, o.exec_bytes * 6);
            out.push_str(&job::exec_block(&jobs[i].name, jobs[i].noise_seed, bulk));
        }
    } else {
        xml_writer::write_footer(&mut out);
    }
    let data: Vec<u8> = if f.crlf {
        to_crlf(out)
    } else {
        out.into_bytes()
    };
    let path = out_dir.join(&f.path);
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p)?;
    }
    let bytes = if f.gzip {
        let file = std::io::BufWriter::new(std::fs::File::create(&path)?);
        let mut gz = flate2::GzBuilder::new()
            .mtime(0)
            .write(file, flate2::Compression::fast());
        gz.write_all(&data)?;
        let mut w = gz.finish()?;
        w.flush()?;
        std::fs::metadata(&path)?.len()
    } else {
        std::fs::write(&path, &data)?;
        data.len() as u64
    };
    Ok(FileOut {
        bytes,
        built,
        exec_blocks: execs.len(),
    })
}

/// Generate a corpus into `out_dir` and write `ground_truth.json` there.
pub fn generate(opts: &GenOptions, out_dir: &Path) -> std::io::Result<GroundTruth> {
    std::fs::create_dir_all(out_dir)?;
    let (jobs, files, n_groups, n_clusters) = plan(opts);
    let outs: Vec<std::io::Result<FileOut>> = files
        .par_iter()
        .enumerate()
        .map(|(fi, f)| build_file(opts, &jobs, f, fi, out_dir))
        .collect();
    let mut outs_ok = Vec::with_capacity(outs.len());
    for o in outs {
        outs_ok.push(o?);
    }
    // primary location and copies
    let mut primary: Vec<Option<usize>> = vec![None; jobs.len()];
    let mut copies: Vec<Vec<JobCopy>> = vec![Vec::new(); jobs.len()];
    for (fi, f) in files.iter().enumerate() {
        for &(i, copy) in &f.jobs {
            if copy {
                let p = &files[primary[i].unwrap_or(0)];
                copies[i].push(JobCopy {
                    file: f.path.clone(),
                    format: f.format,
                    byte_identical: f.format == Format::Dsx
                        && p.format == Format::Dsx
                        && p.crlf == f.crlf,
                });
            } else {
                primary[i] = Some(fi);
            }
        }
    }
    let mut stats: Vec<Option<(job::JobStats, Vec<spec::Edit>, usize)>> =
        (0..jobs.len()).map(|_| None).collect();
    for fo in &mut outs_ok {
        for (i, s, e, len) in fo.built.drain(..) {
            stats[i] = Some((s, e, len));
        }
    }
    let mut jt = Vec::with_capacity(jobs.len());
    for (i, j) in jobs.iter().enumerate() {
        let (s, edits, len) = stats[i].take().expect("every job is built once as primary");
        let f = &files[primary[i].expect("primary file")];
        let role = match j.role {
            PlanRole::Singleton => Role::Singleton,
            PlanRole::Exact(g) => Role::ExactDup { group: g },
            PlanRole::Near {
                cluster, member, ..
            } => Role::NearDup {
                cluster,
                template: member == 0,
                edits,
            },
        };
        jt.push(JobTruth {
            name: j.name.clone(),
            file: f.path.clone(),
            format: f.format,
            kind: j.kind,
            stage_count: s.stages,
            link_count: s.links,
            column_count: s.columns,
            stage_types: s.stage_types,
            pattern_id: j.pattern_id,
            role,
            category: CategoryHint::from_reasons(s.reasons),
            copies: copies[i].clone(),
            runs_jobs: j.run_jobs.iter().map(|&k| jobs[k].name.clone()).collect(),
            has_exec: j.exec && f.format == Format::Dsx,
            bytes: len,
        });
    }
    let mut groups: Vec<GroupTruth> = (0..n_groups)
        .map(|id| GroupTruth {
            id,
            pattern_id: 0,
            members: Vec::new(),
        })
        .collect();
    let mut clusters: Vec<ClusterTruth> = (0..n_clusters)
        .map(|id| ClusterTruth {
            id,
            pattern_id: 0,
            template: String::new(),
            members: Vec::new(),
        })
        .collect();
    for j in &jobs {
        match j.role {
            PlanRole::Exact(g) => {
                groups[g].pattern_id = j.pattern_id;
                groups[g].members.push(j.name.clone());
            }
            PlanRole::Near {
                cluster, member, ..
            } => {
                clusters[cluster].pattern_id = j.pattern_id;
                if member == 0 {
                    clusters[cluster].template = j.name.clone();
                }
                clusters[cluster].members.push(j.name.clone());
            }
            PlanRole::Singleton => {}
        }
    }
    let mut markers = Vec::new();
    for (i, j) in jobs.iter().enumerate() {
        if let Some(p) = &j.password {
            let mut fl = vec![jt[i].file.clone()];
            fl.extend(jt[i].copies.iter().map(|c| c.file.clone()));
            markers.push(PasswordMarker {
                marker: p.clone(),
                job: j.name.clone(),
                files: fl,
            });
        }
    }
    let mut ft = Vec::with_capacity(files.len());
    let mut total = 0;
    for (f, fo) in files.iter().zip(&outs_ok) {
        total += fo.bytes;
        ft.push(FileTruth {
            path: f.path.clone(),
            format: f.format,
            gzip: f.gzip,
            crlf: f.crlf,
            jobs: f.jobs.len(),
            job_names: f.jobs.iter().map(|&(i, _)| jobs[i].name.clone()).collect(),
            exec_blocks: fo.exec_blocks,
            has_parameter_sets: f.param_sets,
            has_table_defs: f.table_defs,
            bytes: fo.bytes,
        });
    }
    let truth = GroundTruth {
        generator: format!(
            "dsmig corpus_gen v1 ({})",
            if opts.stages.1 >= 7 {
                "realistic-sized"
            } else {
                "small"
            }
        ),
        seed: opts.seed,
        job_count: jobs.len(),
        jobs: jt,
        exact_dup_groups: groups,
        near_dup_clusters: clusters,
        password_markers: markers,
        files: ft,
        total_bytes: total,
    };
    let json = serde_json::to_string_pretty(&truth).map_err(std::io::Error::other)?;
    std::fs::write(out_dir.join("ground_truth.json"), json)?;
    Ok(truth)
}

#[cfg(test)]
mod tests;
