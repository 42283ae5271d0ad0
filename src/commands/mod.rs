//! One module per command. Each returns the process exit code.

mod analyze;
mod build;
mod dump_ir;
mod explain;
mod gen_corpus;
mod reconcile;
mod report;
mod store;

use queries::config::Config;

use crate::cli::{Cli, Command};

const WORKER_STACK: usize = 16 << 20;

pub fn run(cli: Cli) -> Result<i32, String> {
    let config = Config::load(cli.config.as_deref())?;
    let threads = cli.threads.unwrap_or(config.parser.threads);
    // Workers get 16 MiB stacks (reserved, touched only as used): passes
    // over a Transformer expression recurse once per level of its tree, up
    // to the parser's limit (`expr::parser::MAX_HEIGHT`), and an
    // unoptimised build spends several KiB of stack per level. 0 threads
    // is rayon's default, one per core.
    // Only fails if a pool exists already, which cannot happen here.
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .stack_size(WORKER_STACK)
        .build_global();
    // A PATH that does not exist is a mistake on the command line, not a
    // problem in the exports: stop before reading, writing or deleting
    // anything (a build over a mistyped folder would remove every job's
    // files as "no longer in the inputs").
    match &cli.command {
        Command::Analyze(a) => check_paths(&a.paths)?,
        Command::Report(a) => check_paths(&a.paths)?,
        Command::Build(a) => check_paths(&a.graph.paths)?,
        Command::Plan(a) => check_paths(&a.graph.paths)?,
        Command::Explain(a) => check_paths(&a.paths)?,
        Command::DumpIr(a) => check_paths(&a.paths)?,
        Command::Store(_) | Command::GenCorpus(_) | Command::Reconcile(_) => {}
    }
    match cli.command {
        Command::Analyze(args) => analyze::run(&config, &args),
        Command::Build(args) => build::run(&config, &args),
        Command::Plan(args) => build::plan(&config, &args),
        Command::Store(cmd) => store::run(&config, &cmd),
        Command::Explain(args) => explain::run(&config, &args),
        Command::Report(args) => report::run(&config, &args),
        Command::Reconcile(args) => reconcile::run(&config, &args),
        Command::GenCorpus(args) => gen_corpus::run(&args),
        Command::DumpIr(args) => dump_ir::run(&config, &args),
    }
}

/// Every input PATH must exist (a file or a folder): otherwise an error
/// naming each missing one.
pub fn check_paths(paths: &[std::path::PathBuf]) -> Result<(), String> {
    let missing: Vec<String> = paths
        .iter()
        .filter_map(|p| match p.try_exists() {
            Ok(true) => None,
            Ok(false) => Some(format!("{}: no such file or folder", p.display())),
            Err(e) => Some(format!("{}: cannot be read: {e}", p.display())),
        })
        .collect();
    match missing.len() {
        0 => Ok(()),
        1 => Err(missing[0].clone()),
        _ => Err(format!(
            "{} input paths do not exist:\n  {}",
            missing.len(),
            missing.join("\n  ")
        )),
    }
}

/// Write `text` to FILE atomically (temp file + rename), or to stdout.
/// A path that exists and is not a regular file (`/dev/null`, a FIFO, a
/// terminal) is written in place: renaming over it would replace the
/// device with a file.
pub fn emit(output: Option<&std::path::Path>, text: &str) -> Result<(), String> {
    use std::io::Write;
    match output {
        Some(path) if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) => {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            f.write_all(text.as_bytes())
                .map_err(|e| format!("{}: {e}", path.display()))
        }
        Some(path) => {
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            let tmp = dir.join(format!(
                ".{}.dsmig-tmp",
                path.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            ));
            std::fs::write(&tmp, text).map_err(|e| format!("{}: {e}", tmp.display()))?;
            std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))
        }
        None => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth reporting.
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
            Ok(())
        }
    }
}
