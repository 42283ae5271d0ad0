//! `dsmig build` and `dsmig plan`: one walk of the query graph, with or
//! without writing.

use std::collections::BTreeMap;
use std::sync::Arc;

use queries::config::Config;
use queries::engine::Phase;
use queries::engine::llm::LlmOptions;
use queries::engine::run::{Progress, Request, run as run_graph};
use queries::engine::summary::render;
use queries::parse::Severity;
use queries::store::Store;

use crate::cli::{BuildArgs, GraphArgs, PlanArgs};
use crate::console_table::fit;
use crate::progress::bytes_bar;

struct Bar(indicatif::ProgressBar);

impl Progress for Bar {
    fn total(&self, bytes: u64) {
        self.0.set_length(bytes);
    }
    fn advance(&self, bytes: u64) {
        self.0.inc(bytes);
    }
}

fn request(config: &Config, g: &GraphArgs, dry_run: bool) -> Result<Request, String> {
    let mut bumps = BTreeMap::new();
    for name in &g.bump_query_version {
        let p = Phase::from_name(name).ok_or_else(|| {
            let names: Vec<&str> = Phase::ALL.iter().map(|p| p.name()).collect();
            format!("unknown phase {name:?}; phases: {}", names.join(", "))
        })?;
        *bumps.entry(p).or_insert(0) += 1;
    }
    let target = g
        .target
        .clone()
        .unwrap_or_else(|| config.generation.target.clone());
    if target != "glue" && target != "sql" {
        return Err(format!(
            "unknown target {target:?}: the targets are glue (AWS Glue PySpark, the default) and sql (with --dialect)"
        ));
    }
    let mut sql = config.sql.clone();
    if let Some(d) = &g.dialect {
        if target != "sql" {
            return Err(format!(
                "--dialect {d} applies to the SQL target: add --target sql (or set generation.target = \"sql\")"
            ));
        }
        sql.dialect = d.clone();
    }
    match queries::generate::sql::parse_dialect(&sql.dialect) {
        Some(d) => sql.dialect = d.as_str().to_string(),
        None => {
            return Err(format!(
                "unknown SQL dialect {:?}: teradata, postgres, oracle, sqlserver or ansi",
                sql.dialect
            ));
        }
    }
    let mut llm_config = config.llm.clone();
    if let Some(p) = &g.llm.llm_provider {
        llm_config.provider = p.clone();
    }
    let enabled = !g.llm.no_llm && llm_config.provider != "none";
    if enabled {
        // Settings errors (unknown provider, a dollar budget without a
        // price) stop the run before anything is computed; keys are read
        // only when a call is to be made.
        queries::llm::Budget::new(&llm_config, g.llm.budget).map_err(|e| e.to_string())?;
        if !matches!(
            llm_config.provider.as_str(),
            "anthropic"
                | "azure_openai"
                | "azure_foundry"
                | "bedrock"
                | "vertex"
                | "openrouter"
                | "openai_compatible"
        ) {
            return Err(format!(
                "unknown LLM provider {:?}; expected none, anthropic, azure_openai, azure_foundry, bedrock, vertex, openrouter or openai_compatible",
                llm_config.provider
            ));
        }
    }
    let llm = LlmOptions {
        config: llm_config,
        enabled,
        off_by_flag: g.llm.no_llm,
        estimate: dry_run,
        cli_budget: g.llm.budget,
        templates_dir: config.generation.templates_dir.clone(),
        log: None,
    };
    Ok(Request {
        paths: g.paths.clone(),
        output_dir: g
            .output_dir
            .clone()
            .unwrap_or_else(|| config.generation.output_dir.clone()),
        limits: config.parser.limits(),
        dry_run,
        target,
        bumps,
        prediction: config.prediction.clone(),
        glue: config.glue.clone(),
        sql,
        templates_dir: config.generation.templates_dir.clone(),
        force: false,
        only: (!g.only.is_empty()).then(|| g.only.clone()),
        llm_configured: enabled,
        load_all: false,
        llm,
    })
}

fn open_store(config: &Config, g: &GraphArgs) -> Result<Arc<Store>, String> {
    let dir = g.store.clone().unwrap_or_else(|| config.store.path.clone());
    Store::open(&dir, g.wait)
        .map(Arc::new)
        .map_err(|e| e.to_string())
}

/// A plan reads the store if there is one; where there is none yet it reads
/// an empty one in memory, so that it creates nothing on disk.
fn plan_store(config: &Config, g: &GraphArgs) -> Result<Arc<Store>, String> {
    let dir = g.store.clone().unwrap_or_else(|| config.store.path.clone());
    if Store::exists(&dir) {
        return open_store(config, g);
    }
    Store::in_memory(&dir)
        .map(Arc::new)
        .map_err(|e| e.to_string())
}

pub fn run(config: &Config, args: &BuildArgs) -> Result<i32, String> {
    let store = open_store(config, &args.graph)?;
    let mut req = request(config, &args.graph, false)?;
    req.force = args.force;
    let bar = Bar(bytes_bar(0, "building"));
    {
        // LLM progress goes to stderr, above the progress bar.
        let pb = bar.0.clone();
        req.llm.log = Some(std::sync::Arc::new(move |line: &str| {
            pb.suspend(|| eprintln!("{line}"));
        }));
    }
    let outcome = run_graph(store, &req, &bar)?;
    bar.0.finish_and_clear();
    let s = &outcome.summary;
    let mut text = render(s);
    let shown: Vec<_> = s
        .diagnostics
        .iter()
        .filter(|d| args.verbose || d.severity != Severity::Warning)
        .collect();
    for d in shown
        .iter()
        .take(if args.verbose { usize::MAX } else { 20 })
    {
        text.push_str(&fit(&d.to_string(), 300));
        text.push('\n');
    }
    if !args.verbose && shown.len() > 20 {
        text.push_str(&format!(
            "… and {} more problems (-v lists all)\n",
            shown.len() - 20
        ));
    }
    print!("{text}");
    if let Some(path) = &args.report {
        super::report::report_of(config, &args.graph.paths, &config.report.title, path)?;
    }
    if let Some(path) = &args.summary_json {
        let json = serde_json::to_string_pretty(s).map_err(|e| e.to_string())? + "\n";
        super::emit(Some(path), &json)?;
    }
    Ok(if args.strict && s.errors > 0 { 1 } else { 0 })
}

pub fn plan(config: &Config, args: &PlanArgs) -> Result<i32, String> {
    let result = (|| {
        let store = plan_store(config, &args.graph)?;
        let req = request(config, &args.graph, true)?;
        run_graph(store, &req, &queries::engine::run::NoProgress)
    })();
    let outcome = match result {
        Ok(o) => o,
        Err(e) if args.detailed_exitcode => {
            eprintln!("dsmig: error: {e}");
            return Ok(1);
        }
        Err(e) => return Err(e),
    };
    let s = &outcome.summary;
    if args.json {
        let json = serde_json::to_string_pretty(s).map_err(|e| e.to_string())? + "\n";
        super::emit(None, &json)?;
    } else {
        let mut text = render(s);
        if !s.has_changes() {
            text.push_str("No changes: the outputs are up to date.\n");
        } else {
            let limit = 50;
            for c in s.changes.iter().take(limit) {
                let mark = match c.status.as_str() {
                    "new" => '+',
                    "removed" => '-',
                    _ => '~',
                };
                // The reason, then what changed in the job, one per line.
                let mut parts = c.reason.split("; ");
                text.push_str(&format!(
                    "  {mark} {} ({}): {}\n",
                    fit(&c.job, 60),
                    c.status,
                    parts.next().unwrap_or_default()
                ));
                for p in parts {
                    text.push_str(&format!("      {}\n", fit(p, 200)));
                }
            }
            if s.changes.len() > limit {
                text.push_str(&format!(
                    "  … and {} more (--json lists all)\n",
                    s.changes.len() - limit
                ));
            }
        }
        print!("{text}");
    }
    Ok(if args.detailed_exitcode && s.has_changes() {
        2
    } else {
        0
    })
}
