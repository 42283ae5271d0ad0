//! `dsmig store stats` and `dsmig store gc`.

use std::collections::HashSet;

use queries::config::Config;
use queries::engine::summary::RunRecord;
use queries::store::{Store, decode};

use crate::cli::StoreCommand;

pub fn run(config: &Config, cmd: &StoreCommand) -> Result<i32, String> {
    match cmd {
        StoreCommand::Stats(a) => {
            let dir = a.store.clone().unwrap_or_else(|| config.store.path.clone());
            let store = Store::open(&dir, a.wait).map_err(|e| e.to_string())?;
            let stats = store.table_stats().map_err(|e| e.to_string())?;
            println!("store {}", dir.display());
            println!("  {:<8} {:>10} {:>12}", "table", "entries", "bytes");
            for t in &stats {
                println!("  {:<8} {:>10} {:>12}", t.table, t.entries, t.stored_bytes);
            }
            let file = std::fs::metadata(dir.join("store.redb"))
                .map(|m| m.len())
                .unwrap_or(0);
            println!("  file size {:.1} MB", file as f64 / 1e6);
            match store.last_run().map_err(|e| e.to_string())? {
                Some((n, bytes)) => match decode::<RunRecord>(&bytes) {
                    Some(r) => {
                        println!("last run #{n} ({}):", r.summary.kind);
                        for (phase, c) in &r.summary.phases {
                            let total = c.computed + c.reused;
                            let rate = if total == 0 {
                                0.0
                            } else {
                                100.0 * c.reused as f64 / total as f64
                            };
                            println!(
                                "  {phase:<12} {:>8} computed {:>8} reused  hit rate {rate:.0}%",
                                c.computed, c.reused
                            );
                        }
                    }
                    None => println!("last run #{n}: written by another dsmig version"),
                },
                None => println!("no run recorded yet"),
            }
            Ok(0)
        }
        StoreCommand::Gc(a) => {
            let dir = a
                .store
                .store
                .clone()
                .unwrap_or_else(|| config.store.path.clone());
            let mut store = Store::open(&dir, a.store.wait).map_err(|e| e.to_string())?;
            let runs = store.runs(a.keep_runs.max(1)).map_err(|e| e.to_string())?;
            if runs.is_empty() {
                println!("no run recorded: nothing is known to be in use, nothing dropped");
                return Ok(0);
            }
            let mut memo = HashSet::new();
            let mut blobs = HashSet::new();
            for (_, bytes) in &runs {
                let Some(r) = decode::<RunRecord>(bytes) else {
                    return Err(
                        "a kept run record was written by another dsmig version; not collecting"
                            .into(),
                    );
                };
                memo.extend(r.memo_keys);
                blobs.extend(r.blobs);
            }
            let before = std::fs::metadata(dir.join("store.redb"))
                .map(|m| m.len())
                .unwrap_or(0);
            let keep_llm: HashSet<[u8; 32]> = HashSet::new();
            let (m, b, l) = store
                .gc(&memo, &blobs, a.llm.then_some(&keep_llm))
                .map_err(|e| e.to_string())?;
            store.compact().map_err(|e| e.to_string())?;
            let after = std::fs::metadata(dir.join("store.redb"))
                .map(|m| m.len())
                .unwrap_or(0);
            println!(
                "dropped {m} memo entries, {b} blobs, {l} LLM responses; kept what the last {} run(s) used; file {:.1} MB → {:.1} MB",
                runs.len(),
                before as f64 / 1e6,
                after as f64 / 1e6
            );
            Ok(0)
        }
    }
}
