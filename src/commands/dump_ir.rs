//! `dsmig dump-ir` (hidden): the canonical IR as JSON, to see why two
//! hashes differ.

use queries::config::Config;
use queries::parse::input::read_paths;

use crate::cli::DumpIrArgs;

pub fn run(config: &Config, args: &DumpIrArgs) -> Result<i32, String> {
    let read = read_paths(&args.paths, &config.parser.limits());
    let selected: Vec<_> = read
        .entities
        .iter()
        .filter(|e| args.name.as_deref().is_none_or(|n| e.entity.name() == n))
        .collect();
    let text = serde_json::to_string_pretty(&selected).map_err(|e| e.to_string())?;
    super::emit(None, &(text + "\n"))?;
    Ok(0)
}
