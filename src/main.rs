//! `dsmig`: migrate IBM DataStage jobs to AWS Glue PySpark or SQL.

mod cli;
mod commands;
mod console_table;
mod progress;

use clap::Parser;

fn main() {
    let cli = cli::Cli::parse();
    let code = match commands::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("dsmig: error: {e}");
            1
        }
    };
    std::process::exit(code);
}
