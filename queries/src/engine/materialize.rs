//! Writing outputs: only files whose bytes changed are written (atomically:
//! temp file + rename), and files dsmig wrote for jobs that are gone are
//! deleted — never a file dsmig did not write, nor one edited since. A
//! file edited by hand since dsmig wrote it is never overwritten silently:
//! its new version goes beside it as `<file>.dsmig-new` (itself a managed
//! output: replaced by the next build, deleted once the edit is gone),
//! unless the build was asked to `--force`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::engine::db::{Ctx, lock};
use crate::engine::source::{disk_content, has_content, record_content};
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
    /// Their paths.
    #[serde(default)]
    pub kept_edited_paths: Vec<String>,
    /// Wanted files edited by hand since dsmig wrote them, left as they
    /// are: the new version is beside each as `<path>.dsmig-new`.
    #[serde(default)]
    pub edited: Vec<String>,
    /// Files edited by hand that `build --force` overwrote.
    #[serde(default)]
    pub overwritten: Vec<String>,
}

/// What is appended to a file's path for its new version when the file
/// was edited by hand.
pub const NEW_SUFFIX: &str = ".dsmig-new";

/// Where the new version of `rel` goes when `rel` was edited by hand.
pub fn beside(rel: &str) -> String {
    format!("{rel}{NEW_SUFFIX}")
}

/// Whether the file at `target` was edited by hand: the last build
/// recorded writing `recorded` there, and the file now holds neither that
/// nor the wanted `blob` (a file a killed build wrote with the wanted bytes
/// is not an edit), nor what another target recorded there (`others`: a
/// file both targets make in one folder). A missing file is not one
/// either: it is written again.
pub fn edited_by_hand(
    target: &Path,
    recorded: Option<&Hash>,
    blob: &Hash,
    others: Option<&Vec<Hash>>,
    store: &Store,
    record: bool,
) -> bool {
    let Some(recorded) = recorded else {
        return false;
    };
    disk_content(target, store, record)
        .is_some_and(|h| h != *recorded && h != *blob && !others.is_some_and(|o| o.contains(&h)))
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
    let recorded = previous.get(rel);
    if adoptable(recorded, blob) && has_content(&target, blob, &ctx.store, true) {
        return;
    }
    if edited_by_hand(
        &target,
        recorded,
        blob,
        ctx.sibling_outputs().get(rel),
        &ctx.store,
        true,
    ) {
        if ctx.force {
            return; // `materialize` overwrites it and says so
        }
        // Left as it is; the new version beside it (if not there already).
        let side_rel = beside(rel);
        let side = dir.join(&side_rel);
        if previous.get(&side_rel) == Some(blob) && has_content(&side, blob, &ctx.store, true) {
            return;
        }
        if let Ok(meta) = ctx.writer.write(&side, bytes) {
            record_content(&side, &meta, blob, &ctx.store);
            lock(&ctx.written_early).insert(side_rel, *blob);
        }
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

/// Where a file's bytes go.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dest {
    /// The file itself.
    File,
    /// The file, edited by hand, overwritten (`--force`).
    Forced,
    /// Beside the file, edited by hand: `<file>.dsmig-new`.
    Beside,
}

enum Outcome {
    Written(Dest),
    Unchanged,
    /// On disk with the wanted bytes but not recorded (a killed build
    /// wrote it): recorded now, not rewritten.
    Adopted,
    /// Edited by hand; its `.dsmig-new` already holds the new version.
    BesideUnchanged,
    /// Not in the store: to be generated again, then written there.
    Regenerate(Dest),
}

/// Make `output_dir` hold exactly `wanted` (relative path → blob), as far
/// as files dsmig wrote are concerned, and record what it holds under
/// `scope` (the folder and target: `store::outputs_scope`). `previous`: the
/// outputs the last build recorded there; `early`: files [`write_early`]
/// already wrote in this run. A file edited by hand since is left as it is
/// and its new version written beside it, unless `force`.
#[allow(clippy::too_many_arguments)]
pub fn materialize(
    store: &Store,
    scope: &str,
    force: bool,
    output_dir: &Path,
    wanted: &BTreeMap<String, Hash>,
    previous: &HashMap<String, Hash>,
    siblings: &HashMap<String, Vec<Hash>>,
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
    let dest_path = |rel: &str, dest: Dest| match dest {
        Dest::Beside => output_dir.join(beside(rel)),
        Dest::File | Dest::Forced => output_dir.join(rel),
    };
    let write = |rel: &str, dest: Dest, blob: &Hash, bytes: &[u8]| -> Result<Outcome, String> {
        let target = dest_path(rel, dest);
        let meta = writer.write(&target, bytes)?;
        record_content(&target, &meta, blob, store);
        Ok(Outcome::Written(dest))
    };
    let write_one = |(rel, blob): (&String, &Hash)| -> Result<Outcome, String> {
        if early.get(rel) == Some(blob) {
            return Ok(Outcome::Written(Dest::File));
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
        let dest = match edited_by_hand(&target, recorded, blob, siblings.get(rel), store, true) {
            false => Dest::File,
            true if force => Dest::Forced,
            true => {
                let side_rel = beside(rel);
                if early.get(&side_rel) == Some(blob) {
                    return Ok(Outcome::Written(Dest::Beside));
                }
                if previous.get(&side_rel) == Some(blob)
                    && has_content(&output_dir.join(&side_rel), blob, store, true)
                {
                    return Ok(Outcome::BesideUnchanged);
                }
                Dest::Beside
            }
        };
        match store.blob(blob).map_err(|e| e.to_string())? {
            Some(bytes) => write(rel, dest, blob, &bytes),
            None => Ok(Outcome::Regenerate(dest)),
        }
    };
    let entries: Vec<(&String, &Hash)> = wanted.iter().collect();
    let mut outcomes: Vec<Result<Outcome, String>> =
        entries.par_iter().map(|&e| write_one(e)).collect();
    regenerate_missing(&entries, &mut outcomes, regenerate, &write);
    // Files written before a failure are still recorded as dsmig's.
    let mut failure = None;
    let mut kept_beside: HashSet<String> = HashSet::new();
    for ((rel, blob), outcome) in entries.into_iter().zip(outcomes) {
        match outcome {
            Ok(Outcome::Written(Dest::Beside)) => {
                let side = beside(rel);
                counts.written += 1;
                counts.written_paths.push(side.clone());
                counts.edited.push(rel.clone());
                changes.push((side.clone(), Some(*blob)));
                kept_beside.insert(side);
            }
            Ok(Outcome::Written(dest)) => {
                counts.written += 1;
                counts.written_paths.push(rel.clone());
                if dest == Dest::Forced {
                    counts.overwritten.push(rel.clone());
                }
                changes.push((rel.clone(), Some(*blob)));
            }
            Ok(Outcome::Unchanged) => counts.unchanged += 1,
            Ok(Outcome::Adopted) => {
                counts.unchanged += 1;
                changes.push((rel.clone(), Some(*blob)));
            }
            Ok(Outcome::BesideUnchanged) => {
                counts.unchanged += 1;
                counts.edited.push(rel.clone());
                kept_beside.insert(beside(rel));
            }
            Ok(Outcome::Regenerate(_)) => {
                failure.get_or_insert(format!("{rel}: not written"));
            }
            Err(e) => {
                failure.get_or_insert(e);
            }
        }
    }
    if let Some(e) = failure {
        store
            .set_outputs(scope, &changes)
            .map_err(|e| e.to_string())?;
        return Err(e);
    }
    // Files no job makes any more, and the `.dsmig-new` of files no longer
    // edited (or overwritten with --force).
    let mut stale: Vec<(&String, &Hash)> = previous
        .iter()
        .filter(|(rel, _)| !wanted.contains_key(*rel) && !kept_beside.contains(*rel))
        .collect();
    stale.sort();
    for (rel, blob) in stale {
        let target = output_dir.join(rel);
        if siblings.get(rel).is_some_and(|o| o.contains(blob)) {
            // Another target made the same file there and still wants it.
            changes.push((rel.clone(), None));
            continue;
        }
        if !target.exists() || file_has(&target, blob, store) {
            if target.exists() {
                std::fs::remove_file(&target).map_err(|e| format!("{}: {e}", target.display()))?;
                remove_empty_parents(&target, output_dir);
                counts.deleted += 1;
            }
            changes.push((rel.clone(), None));
        } else {
            counts.kept_edited += 1;
            counts.kept_edited_paths.push(rel.clone());
        }
    }
    store
        .set_outputs(scope, &changes)
        .map_err(|e| e.to_string())?;
    Ok(counts)
}

type WriteFn<'a> = dyn Fn(&str, Dest, &Hash, &[u8]) -> Result<Outcome, String> + Sync + 'a;

/// The files whose outcome is `Regenerate`: their jobs generated again,
/// one job at a time (each once, on every core), and the files written.
fn regenerate_missing(
    entries: &[(&String, &Hash)],
    outcomes: &mut [Result<Outcome, String>],
    regenerate: &Regenerate,
    write: &WriteFn,
) {
    use rayon::prelude::*;
    let mut by_job: BTreeMap<usize, Vec<(usize, Dest)>> = BTreeMap::new();
    for (i, outcome) in outcomes.iter_mut().enumerate() {
        let dest = match outcome {
            Ok(Outcome::Regenerate(dest)) => *dest,
            _ => continue,
        };
        let (rel, blob) = entries[i];
        match regenerate.job_of.get(blob) {
            Some(&job) => by_job.entry(job).or_default().push((i, dest)),
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
            files.into_iter().map(move |(i, dest)| {
                let (rel, blob) = entries[i];
                let outcome = match made.as_ref().map(|m| m.iter().find(|(h, _)| h == blob)) {
                    None => Err(format!("{rel}: its job could not be generated again")),
                    Some(None) => Err(format!(
                        "{rel}: generated again, its content differs from this run's \
                         (a generator that is not deterministic: please report it)"
                    )),
                    Some(Some((_, bytes))) => write(rel, dest, blob, bytes),
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
