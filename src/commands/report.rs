//! `dsmig report`: the HTML migration report of the exports (and
//! `dsmig analyze --report`, which writes the same file).

use std::path::Path;

use queries::analysis::estate::Estate;
use queries::config::Config;
use queries::inventory::{self, Inventory, Item};
use queries::parse::input::{ReadResult, collect_files, read_paths_map};
use queries::report::{ReportData, ReportOptions, Settings, render};

use crate::cli::ReportArgs;
use crate::progress::bytes_bar;

pub fn run(config: &Config, args: &ReportArgs) -> Result<i32, String> {
    let title = args.title.as_deref().unwrap_or(&config.report.title);
    let errors = report_of(config, &args.paths, title, &args.output)?;
    Ok(if args.strict && errors > 0 { 1 } else { 0 })
}

/// Read `paths`, analyse, write the report; returns the number of errors.
pub fn report_of(
    config: &Config,
    paths: &[std::path::PathBuf],
    title: &str,
    output: &Path,
) -> Result<usize, String> {
    let limits = config.parser.limits();
    let (files, _) = collect_files(paths);
    let total: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let bar = bytes_bar(total, "reading");
    let read = read_paths_map(paths, &limits, &|n| bar.inc(n), &inventory::item);
    bar.finish_and_clear();
    let (inv, estate) = inventory::build_items_with_estate(&read, &config.prediction);
    write(config, &inv, &estate, &read, title, output)?;
    if inv.summary.errors > 0 {
        eprintln!(
            "dsmig: {} error(s) while reading; the report lists them under \"Problems in the input\"",
            inv.summary.errors
        );
    }
    Ok(inv.summary.errors)
}

pub fn options(config: &Config) -> ReportOptions {
    ReportOptions {
        settings: Settings {
            auto_max_score: config.prediction.auto_max_score,
            manual_min_score: config.prediction.manual_min_score,
            hours_per_point: config.prediction.hours_per_point,
            page_size: config.report.page_size,
        },
        llm_configured: config.llm.provider != "none",
        light_limits: queries::engine::llm::light_limits(&config.llm),
    }
}

/// The `dsmig reconcile` verdicts of the store (store.path), for the
/// report's "Proven state"; none where no store exists (a report creates
/// none). A store that cannot be read is said, not skipped silently.
fn verdicts(config: &Config) -> std::collections::BTreeMap<String, queries::reconcile::Verdict> {
    let dir = &config.store.path;
    if !queries::store::Store::exists(dir) {
        return Default::default();
    }
    match queries::store::Store::open(dir, false)
        .map_err(|e| e.to_string())
        .and_then(|s| queries::reconcile::stored(&s).map_err(|e| e.to_string()))
    {
        Ok(v) => v,
        Err(e) => {
            eprintln!("report: reconciliation verdicts not read ({e}): the report shows none");
            Default::default()
        }
    }
}

/// Render the report and write it to `path`, unless the file already holds
/// exactly these bytes (an unchanged analysis leaves the file untouched).
pub fn write(
    config: &Config,
    inv: &Inventory,
    estate: &Estate,
    read: &ReadResult<Item>,
    title: &str,
    path: &Path,
) -> Result<(), String> {
    let mut data = ReportData::from_items(inv, estate, &read.entities, &options(config));
    data.reconciled = verdicts(config);
    let html = render(&data, title);
    let same = std::fs::read(path).is_ok_and(|old| old == html.as_bytes());
    if !same {
        super::emit(Some(path), &html)?;
    }
    eprintln!(
        "report: {} ({} jobs, {:.1} MB){}",
        path.display(),
        inv.summary.jobs,
        html.len() as f64 / 1e6,
        if same { ", unchanged" } else { "" }
    );
    Ok(())
}
