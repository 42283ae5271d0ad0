//! Writing outputs: only files whose bytes changed are written (atomically:
//! temp file + rename), and files dsmig wrote for jobs that are gone are
//! deleted — never a file dsmig did not write, nor one edited since.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::engine::db::{Ctx, lock};
use crate::engine::source::{has_content, record_content};
use crate::store::{Hash, Store};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileCounts {
    pub written: u64,
    /// Paths (under the output folder) written by the run.
    #[serde(default)]
    pub written_paths: Vec<String>,
    pub unchanged: u64,
    pub deleted: u64,
    /// Stale files left in place because they were edited after dsmig wrote them.
    pub kept_edited: u64,
}

/// File stems for jobs: the sanitised name, made unique. Two names that
/// sanitise to the same text ignoring case (`Load/A` and `load_a`) both get
/// a suffix from their IR hash, so no job can overwrite another's files on
/// a case-insensitive disk. Input: (job name, IR hash hex), output in the
/// same order.
pub fn stems(jobs: &[(String, String)]) -> Vec<String> {
    let base: Vec<String> = jobs.iter().map(|(n, _)| file_stem(n)).collect();
    let mut owners: HashMap<String, HashSet<&str>> = HashMap::new();
    for (b, (_, h)) in base.iter().zip(jobs) {
        owners
            .entry(b.to_lowercase())
            .or_default()
            .insert(h.as_str());
    }
    base.into_iter()
        .zip(jobs)
        .map(|(b, (_, h))| {
            if owners.get(&b.to_lowercase()).is_some_and(|o| o.len() > 1) {
                format!("{b}__{}", &h[..h.len().min(10)])
            } else {
                b
            }
        })
        .collect()
}

use crate::escape::file_stem;

/// Write one generated file the moment it is made, while its bytes are in
/// memory: otherwise [`materialize`] reads it back from the store and
/// inflates it (a cold build makes tens of thousands). Best effort: a file
/// that fails here is written, or its error reported, by `materialize`.
pub fn write_early(ctx: &Ctx, rel: &str, blob: &Hash, bytes: &[u8]) {
    let Some(dir) = &ctx.output_dir else {
        return;
    };
    let Ok(previous) = ctx.previous_outputs() else {
        return; // materialize reports it
    };
    let target = dir.join(rel);
    // Recorded by the last build, or written by a build killed before it
    // recorded its outputs (the stat cache knows the bytes): not rewritten;
    // `materialize` records it.
    if adoptable(previous.get(rel), blob) && has_content(&target, blob, &ctx.store, true) {
        return;
    }
    if let Ok(meta) = ctx.writer.write(&target, bytes) {
        record_content(&target, &meta, blob, &ctx.store);
        lock(&ctx.written_early).insert(rel.to_string(), *blob);
    }
}

/// Where the bytes of a wanted file come from when the run did not write
/// it and the store does not hold it (rule-made files are not stored): the
/// job that makes it, generated again.
pub struct Regenerate<'a> {
    /// Blob → the job (an index the caller knows) whose files include it.
    pub job_of: HashMap<Hash, usize>,
    /// A job's files made again: (blob, bytes); `None` if it cannot be.
    pub files_of: &'a (dyn Fn(usize) -> Option<Vec<(Hash, Vec<u8>)>> + Sync),
}

/// A file already on disk with the wanted bytes is kept when the last
/// build recorded it with those bytes, or recorded nothing there (a killed
/// build wrote it; a file the last build recorded with other bytes is
/// rewritten, as always).
fn adoptable(previous: Option<&Hash>, blob: &Hash) -> bool {
    previous.is_none_or(|p| p == blob)
}

enum Outcome {
    Written,
    Unchanged,
    /// On disk with the wanted bytes but not recorded (a killed build
    /// wrote it): recorded now, not rewritten.
    Adopted,
    /// Not in the store: to be generated again.
    Regenerate,
}

/// Make `output_dir` hold exactly `wanted` (relative path → blob), as far
/// as files dsmig wrote are concerned. `previous`: the outputs the last
/// build recorded; `early`: files [`write_early`] already wrote in this run.
pub fn materialize(
    store: &Store,
    output_dir: &Path,
    wanted: &BTreeMap<String, Hash>,
    previous: &HashMap<String, Hash>,
    early: &HashMap<String, Hash>,
    regenerate: &Regenerate,
    writer: &Writer,
) -> Result<FileCounts, String> {
    let mut counts = FileCounts::default();
    let mut changes: Vec<(String, Option<Hash>)> = Vec::new();
    // Files the run wrote as it generated them are done; the rest (missing
    // files of reused jobs, shared files) are written on every core, from
    // the store or generated again.
    use rayon::prelude::*;
    let write = |target: &Path, blob: &Hash, bytes: &[u8]| -> Result<Outcome, String> {
        let meta = writer.write(target, bytes)?;
        record_content(target, &meta, blob, store);
        Ok(Outcome::Written)
    };
    let write_one = |(rel, blob): (&String, &Hash)| -> Result<Outcome, String> {
        if early.get(rel) == Some(blob) {
            return Ok(Outcome::Written);
        }
        let target = output_dir.join(rel);
        let recorded = previous.get(rel);
        if adoptable(recorded, blob) && has_content(&target, blob, store, true) {
            return Ok(if recorded.is_some() {
                Outcome::Unchanged
            } else {
                Outcome::Adopted
            });
        }
        match store.blob(blob).map_err(|e| e.to_string())? {
            Some(bytes) => write(&target, blob, &bytes),
            None => Ok(Outcome::Regenerate),
        }
    };
    let entries: Vec<(&String, &Hash)> = wanted.iter().collect();
    let mut outcomes: Vec<Result<Outcome, String>> =
        entries.par_iter().map(|&e| write_one(e)).collect();
    regenerate_missing(&entries, &mut outcomes, regenerate, &|rel, blob, bytes| {
        write(&output_dir.join(rel), blob, bytes)
    });
    // Files written before a failure are still recorded as dsmig's.
    let mut failure = None;
    for ((rel, blob), outcome) in entries.into_iter().zip(outcomes) {
        match outcome {
            Ok(Outcome::Written) => {
                counts.written += 1;
                counts.written_paths.push(rel.clone());
                changes.push((rel.clone(), Some(*blob)));
            }
            Ok(Outcome::Unchanged) => counts.unchanged += 1,
            Ok(Outcome::Adopted) => {
                counts.unchanged += 1;
                changes.push((rel.clone(), Some(*blob)));
            }
            Ok(Outcome::Regenerate) => {
                failure.get_or_insert(format!("{rel}: not written"));
            }
            Err(e) => {
                failure.get_or_insert(e);
            }
        }
    }
    if let Some(e) = failure {
        store.set_outputs(&changes).map_err(|e| e.to_string())?;
        return Err(e);
    }
    let mut stale: Vec<(&String, &Hash)> = previous
        .iter()
        .filter(|(rel, _)| !wanted.contains_key(*rel))
        .collect();
    stale.sort();
    for (rel, blob) in stale {
        let target = output_dir.join(rel);
        if !target.exists() || file_has(&target, blob, store) {
            if target.exists() {
                std::fs::remove_file(&target).map_err(|e| format!("{}: {e}", target.display()))?;
                remove_empty_parents(&target, output_dir);
                counts.deleted += 1;
            }
            changes.push((rel.clone(), None));
        } else {
            counts.kept_edited += 1;
        }
    }
    store.set_outputs(&changes).map_err(|e| e.to_string())?;
    Ok(counts)
}

type WriteFn<'a> = dyn Fn(&str, &Hash, &[u8]) -> Result<Outcome, String> + Sync + 'a;

/// The files whose outcome is `Regenerate`: their jobs generated again,
/// one job at a time (each once, on every core), and the files written.
fn regenerate_missing(
    entries: &[(&String, &Hash)],
    outcomes: &mut [Result<Outcome, String>],
    regenerate: &Regenerate,
    write: &WriteFn,
) {
    use rayon::prelude::*;
    let mut by_job: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, outcome) in outcomes.iter_mut().enumerate() {
        if !matches!(outcome, Ok(Outcome::Regenerate)) {
            continue;
        }
        let (rel, blob) = entries[i];
        match regenerate.job_of.get(blob) {
            Some(&job) => by_job.entry(job).or_default().push(i),
            None => {
                *outcome = Err(format!(
                    "{rel}: its generated content is not in the store and no job of this \
                     run makes it; a build without --only makes it again"
                ));
            }
        }
    }
    let redone: Vec<(usize, Result<Outcome, String>)> = by_job
        .into_par_iter()
        .flat_map_iter(|(job, files)| {
            let made = (regenerate.files_of)(job);
            files.into_iter().map(move |i| {
                let (rel, blob) = entries[i];
                let outcome = match made.as_ref().map(|m| m.iter().find(|(h, _)| h == blob)) {
                    None => Err(format!("{rel}: its job could not be generated again")),
                    Some(None) => Err(format!(
                        "{rel}: generated again, its content differs from this run's \
                         (a generator that is not deterministic: please report it)"
                    )),
                    Some(Some((_, bytes))) => write(rel, blob, bytes),
                };
                (i, outcome)
            })
        })
        .collect();
    for (i, outcome) in redone {
        outcomes[i] = outcome;
    }
}

fn file_has(path: &Path, blob: &Hash, store: &Store) -> bool {
    has_content(path, blob, store, false)
}

/// Writes files through a temporary file and a rename, so a file is whole
/// or absent, and remembers the folders it created: nothing in them
/// predates the run, so a path there needs no check before the rename (one
/// `lstat` less per file of a cold build).
#[derive(Default)]
pub struct Writer {
    created: Mutex<HashSet<PathBuf>>,
}

impl Writer {
    /// Returns the written file's metadata for the stat cache (taken from
    /// the open file: a rename keeps size, mtime and inode).
    pub fn write(&self, path: &Path, bytes: &[u8]) -> Result<std::fs::Metadata, String> {
        use std::io::Write;
        let dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        // Never rename over something that is not a regular file.
        if !lock(&self.created).contains(&dir)
            && std::fs::symlink_metadata(path).is_ok_and(|m| !m.is_file())
        {
            return Err(format!(
                "{}: exists and is not a regular file; not overwritten",
                path.display()
            ));
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dir.join(format!(".{name}.dsmig-tmp"));
        // The folder usually exists: create it only when the file cannot be.
        let mut file = match std::fs::File::create(&tmp) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
                lock(&self.created).insert(dir.clone());
                std::fs::File::create(&tmp)
            }
            other => other,
        }
        .map_err(|e| format!("{}: {e}", tmp.display()))?;
        let written = file.write_all(bytes).and_then(|()| file.metadata());
        drop(file);
        let meta = written
            .map_err(|e| format!("{}: {e}", tmp.display()))
            .and_then(|meta| {
                std::fs::rename(&tmp, path)
                    .map(|()| meta)
                    .map_err(|e| format!("{}: {e}", path.display()))
            });
        if meta.is_err() {
            // Nothing half-written stays behind.
            let _ = std::fs::remove_file(&tmp);
        }
        meta
    }
}

fn remove_empty_parents(file: &Path, root: &Path) {
    let mut dir = file.parent();
    while let Some(d) = dir {
        if d == root || !d.starts_with(root) || std::fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_are_safe_and_distinct_ignoring_case() {
        let jobs = vec![
            ("Load/A".to_string(), "aaaaaaaaaaaa".to_string()),
            ("load_a".to_string(), "bbbbbbbbbbbb".to_string()),
            ("..".to_string(), "cccccccccccc".to_string()),
            ("ok".to_string(), "dddddddddddd".to_string()),
            ("ok".to_string(), "dddddddddddd".to_string()),
        ];
        let s = stems(&jobs);
        assert_eq!(s[0], "Load_A__aaaaaaaaaa");
        assert_eq!(s[1], "load_a__bbbbbbbbbb");
        assert_eq!(s[2], "__");
        assert_eq!(s[3], "ok");
        assert_eq!(s[4], "ok", "the same job twice shares its files");
        assert_eq!(file_stem("nul\u{0}x"), "nul_x");
        assert_eq!(file_stem(&"x".repeat(300)).len(), 120);
    }
}
