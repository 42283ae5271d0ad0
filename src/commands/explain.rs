//! `dsmig explain JOB`.

use std::path::PathBuf;
use std::sync::Arc;

use queries::config::Config;
use queries::engine::explain::{
    explain, explain_routine, find, find_routine, render, render_routine, suggestions,
};
use queries::engine::run::{NoProgress, Request, run as run_graph};
use queries::engine::summary::RunRecord;
use queries::parse::input::read_file;
use queries::store::{Store, decode};

use crate::cli::ExplainArgs;

pub fn run(config: &Config, args: &ExplainArgs) -> Result<i32, String> {
    let dir = args
        .store
        .clone()
        .unwrap_or_else(|| config.store.path.clone());
    let store = Arc::new(Store::open(&dir, args.wait).map_err(|e| e.to_string())?);
    let paths: Vec<PathBuf> = if args.paths.is_empty() {
        let last = store.last_run().map_err(|e| e.to_string())?;
        let record = last.and_then(|(_, b)| decode::<RunRecord>(&b));
        match record {
            Some(r) if !r.inputs.is_empty() => r.inputs.iter().map(PathBuf::from).collect(),
            _ => {
                return Err(
                    "no build recorded in this store: give the export PATH(s) to read".into(),
                );
            }
        }
    } else {
        args.paths.clone()
    };
    let req = Request {
        paths,
        output_dir: config.generation.output_dir.clone(),
        limits: config.parser.limits(),
        dry_run: true,
        target: config.generation.target.clone(),
        bumps: Default::default(),
        prediction: config.prediction.clone(),
        glue: config.glue.clone(),
        sql: config.sql.clone(),
        templates_dir: config.generation.templates_dir.clone(),
        // The job's files are not shown from this walk (the last build's
        // record says which were rewritten): generate none of the others.
        force: false,
        only: Some(vec![
            args.job
                .rsplit_once('#')
                .filter(|(_, n)| n.parse::<u32>().is_ok())
                .map_or(args.job.as_str(), |(name, _)| name)
                .to_string(),
        ]),
        llm_configured: config.llm.provider != "none",
        load_all: true,
        llm: Default::default(),
    };
    let outcome = run_graph(store.clone(), &req, &NoProgress)?;
    let matches = find(&outcome, &args.job);
    if matches.is_empty()
        && let Some(found) = find_routine(&outcome, &args.job)
    {
        return explain_one_routine(config, args, &outcome, found);
    }
    let Some(found) = matches.first() else {
        let near = suggestions(&outcome, &args.job);
        let hint = if near.is_empty() {
            String::new()
        } else {
            format!("; did you mean: {}?", near.join(", "))
        };
        return Err(format!("no job named {:?} in the inputs{hint}", args.job));
    };
    let same_name = outcome
        .found
        .iter()
        .filter(|f| f.entity.kind == "job" && f.entity.name == found.entity.name)
        .count();
    let entity = reread(config, found, "job")?;
    let job = entity.entity.as_job().ok_or("not a job")?;
    let x = explain(&outcome, found, job, &store, config.llm.provider != "none");
    if args.json {
        let text = serde_json::to_string_pretty(&x).map_err(|e| e.to_string())? + "\n";
        super::emit(None, &text)?;
    } else {
        let mut text = render(&x);
        if same_name > 1 && !args.job.contains('#') {
            text.push_str(&format!(
                "\n{same_name} jobs are named {:?}; this is the first. Use '{}#2' etc. for the others.\n",
                found.entity.name, found.entity.name
            ));
        }
        print!("{text}");
    }
    Ok(0)
}

/// The entity of `found`, read again from its file (the store keeps
/// hashes, not every entity); `what` names it in the error.
fn reread(
    config: &Config,
    found: &queries::engine::run::Found,
    what: &str,
) -> Result<queries::ir::Located, String> {
    let (_, entities, _) = read_file(
        std::path::Path::new(&found.location.file),
        &config.parser.limits(),
    );
    entities
        .into_iter()
        .find(|e| e.hash == found.entity.ir)
        .ok_or_else(|| {
            format!(
                "{}: the {what} changed while being read; run again",
                found.location.file
            )
        })
}

/// `dsmig explain ROUTINE`: the routine, what blocks it, who calls it.
fn explain_one_routine(
    config: &Config,
    args: &ExplainArgs,
    outcome: &queries::engine::run::Outcome,
    found: &queries::engine::run::Found,
) -> Result<i32, String> {
    let entity = reread(config, found, "routine")?;
    let queries::ir::Entity::Routine(r) = &entity.entity else {
        return Err("not a routine".into());
    };
    let x = explain_routine(outcome, found, r);
    if args.json {
        let text = serde_json::to_string_pretty(&x).map_err(|e| e.to_string())? + "\n";
        super::emit(None, &text)?;
    } else {
        print!("{}", render_routine(&x));
    }
    Ok(0)
}
