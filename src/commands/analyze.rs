//! `dsmig analyze`: read exports, print the inventory.

use queries::config::Config;
use queries::inventory::{self, Inventory};
use queries::parse::Severity;
use queries::parse::input::{collect_files, read_paths_map};

use crate::cli::{AnalyzeArgs, OutputFormat};
use crate::console_table::{Align, Col, fit, render, terminal_width, wrap};
use crate::progress::bytes_bar;

pub fn run(config: &Config, args: &AnalyzeArgs) -> Result<i32, String> {
    let limits = config.parser.limits();
    let (files, _) = collect_files(&args.paths);
    let total: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let bar = bytes_bar(total, "reading");
    let read = read_paths_map(&args.paths, &limits, &|n| bar.inc(n), &inventory::item);
    bar.finish_and_clear();
    let (inv, estate) = inventory::build_items_with_estate(&read, &config.prediction);
    if let Some(path) = &args.report {
        super::report::write(config, &inv, &estate, &read, &config.report.title, path)?;
    }
    let text = match args.format {
        OutputFormat::Json => {
            let mut s = serde_json::to_string_pretty(&inv).map_err(|e| e.to_string())?;
            s.push('\n');
            s
        }
        OutputFormat::Csv => inventory::to_csv(&inv),
        OutputFormat::Console => {
            let width = if args.output.is_some() {
                160
            } else {
                terminal_width()
            };
            console(&inv, args.verbose, width)
        }
    };
    super::emit(args.output.as_deref(), &text)?;
    if args.format != OutputFormat::Console && inv.summary.errors > 0 {
        eprintln!(
            "dsmig: {} error(s) while reading; see \"diagnostics\" (JSON) or run with -f console",
            inv.summary.errors
        );
    }
    Ok(if args.strict && inv.summary.errors > 0 {
        1
    } else {
        0
    })
}

fn console(inv: &Inventory, verbose: bool, width: usize) -> String {
    // At 80 columns the job name keeps at least 24 characters (cut in the
    // middle), the place 14 and the group id 8; then LINKS, STAGES, COLS,
    // KIND and SCORE are left out, in that order.
    let mut cols = vec![
        Col::new("JOB", Align::LeftKeepEnds).shrink(3, 24),
        Col::new("KIND", Align::Left).drop(3),
        Col::new("CATEGORY", Align::Left),
        Col::new("SCORE", Align::Right).drop(4),
        Col::new("STAGES", Align::Right).drop(1),
        Col::new("LINKS", Align::Right).drop(0),
        Col::new("COLS", Align::Right).drop(2),
        Col::new("GROUP", Align::Left).shrink(2, 8).drop(5),
        Col::new("FILE", Align::LeftKeepEnd).shrink(1, 14).drop(6),
    ];
    if verbose {
        cols.push(Col::new("STAGE TYPES", Align::Left).shrink(0, 12));
    }
    let rows: Vec<Vec<String>> = inv
        .jobs
        .iter()
        .map(|j| {
            let place = match (&j.member, j.line) {
                (Some(m), _) => format!("{}!{}", j.file, m),
                (None, Some(l)) => format!("{}:{}", j.file, l),
                (None, None) => j.file.clone(),
            };
            let group = j.dup.clone().or_else(|| j.sim.clone()).unwrap_or_default();
            let mut r = vec![
                j.name.clone(),
                j.kind.clone(),
                j.category.clone(),
                j.score.to_string(),
                j.stages.to_string(),
                j.links.to_string(),
                j.columns.to_string(),
                group,
                place,
            ];
            if verbose {
                r.push(
                    j.stage_types
                        .iter()
                        .map(|(t, n)| format!("{t}×{n}"))
                        .collect::<Vec<_>>()
                        .join(" "),
                );
            }
            r
        })
        .collect();
    let mut out = String::new();
    if !rows.is_empty() {
        out.push_str(&render(&cols, &rows, width));
        out.push('\n');
    }
    // The lines below wrap at the width too (continuations indented).
    let mut lines: Vec<String> = Vec::new();
    let s = &inv.summary;
    let kinds = s
        .jobs_by_kind
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    lines.push(format!(
        "{} jobs ({}) in {} files, {:.1} MB: {} stages, {} links, {} columns",
        s.jobs,
        if kinds.is_empty() {
            "none".into()
        } else {
            kinds
        },
        s.files,
        s.bytes as f64 / 1e6,
        s.stages,
        s.links,
        s.columns
    ));
    if s.jobs > 0 {
        let pct = |n: usize| 100.0 * n as f64 / s.jobs as f64;
        let cat = |c: &str| s.categories.get(c).copied().unwrap_or(0);
        lines.push(format!(
            "categories: AUTO {} ({:.0}%), SEMI-AUTO {} ({:.0}%), MANUAL {} ({:.0}%); estimated effort {:.0} h",
            cat("AUTO"),
            pct(cat("AUTO")),
            cat("SEMI-AUTO"),
            pct(cat("SEMI-AUTO")),
            cat("MANUAL"),
            pct(cat("MANUAL")),
            s.effort_hours
        ));
        lines.push(format!(
            "groups: {} duplicate groups, {} similarity clusters, {} pattern families; {} migration waves{}",
            s.duplicate_groups,
            s.similarity_clusters,
            s.families,
            s.waves,
            if s.lineage_cycles > 0 {
                format!(", {} lineage cycle(s)", s.lineage_cycles)
            } else {
                String::new()
            }
        ));
    }
    let others: Vec<String> = s
        .entities_by_kind
        .iter()
        .filter(|(k, _)| k.as_str() != "job")
        .map(|(k, n)| format!("{n} {}", k.replace('_', " ")))
        .collect();
    if !others.is_empty() {
        lines.push(format!("also: {}", others.join(", ")));
    }
    if s.distinct_jobs < s.jobs || s.repeated_names > 0 {
        lines.push(format!(
            "{} distinct job designs; {} job name(s) occur more than once (rows tell them apart by file and line)",
            s.distinct_jobs, s.repeated_names
        ));
    }
    lines.push(format!(
        "files: {} read, {} skipped, {} with errors; problems: {} error(s), {} warning(s)",
        s.files_read, s.files_skipped, s.files_with_errors, s.errors, s.warnings
    ));
    if inv.files.iter().any(|f| f.isx_members.is_some()) {
        out.push_str(&isx_members_line(&s.isx_members));
    }
    let shown: Vec<_> = inv
        .diagnostics
        .iter()
        .filter(|d| verbose || d.severity != Severity::Warning)
        .collect();
    let limit = if verbose { usize::MAX } else { 50 };
    for l in &lines {
        out.push_str(&wrap(l, width, "  "));
    }
    for d in shown.iter().take(limit) {
        // One problem: about three lines at most.
        let text = fit(&d.to_string(), width.max(40) * 3 - 8);
        out.push_str(&wrap(&text, width, "    "));
    }
    if shown.len() > limit {
        out.push_str(&format!(
            "… and {} more (use -v or -f json)\n",
            shown.len() - limit
        ));
    }
    if !verbose && s.warnings > 0 {
        out.push_str("(warnings hidden; -v lists them)\n");
    }
    out
}

/// `ISX members: 40 read, 47 ignored (23 manifest, 21 canvas image, ...), 0 unknown`.
fn isx_members_line(m: &queries::parse::isx::IsxMembers) -> String {
    let kinds = m
        .ignored
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "ISX members: {} read, {} ignored{}, {} unknown{}\n",
        m.read,
        m.ignored_total(),
        if kinds.is_empty() {
            String::new()
        } else {
            format!(" ({kinds})")
        },
        m.unknown,
        if m.unknown > 0 {
            " (warning rows name them)"
        } else {
            ""
        }
    )
}
