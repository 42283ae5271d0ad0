//! The persistent store: one redb database under `.dsmig-store/`.
//!
//! Tables (all keys are content hashes except `outputs`, `stat` and `runs`):
//! - `blobs`: blake3 of content → content (deflated when it pays).
//! - `memo`: blake3(phase ‖ version ‖ inputs) → postcard result (small;
//!   large results live in `blobs` and the memo holds their hash).
//! - `llm`: request hash → stored response (never dropped by `gc` unless asked).
//! - `outputs`: (output folder, target, path under it) → blob hash of what
//!   dsmig wrote there. The key is `scope ‖ \0 ‖ path`, the scope being
//!   the canonical output folder and the target name (see
//!   [`outputs_scope`]): a record of what is on that disk, not a memo key,
//!   so two targets, or two folders, never see each other's files.
//! - `stat`: input path → (size, mtime, inode, content hash): a cache that
//!   spares re-hashing unchanged files, as git's index does. It decides
//!   nothing by itself: keys are always content hashes.
//! - `runs`: run number → postcard run record (summary and job index).
//! - `meta`: format marker and version.
//!
//! Writes are batched: results accumulate in memory and are committed every
//! few seconds or megabytes, and at the end of a run. A run killed with
//! SIGKILL loses at most the last uncommitted batch; redb guarantees the
//! file reopens at the last commit.

mod codec;
mod lock;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::{Deserialize, Serialize};

use crate::sync::lock;

pub use codec::{decode, encode, pack, unpack};

pub type Hash = [u8; 32];

const BLOBS: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("blobs");
const MEMO: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("memo");
const LLM: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("llm");
const OUTPUTS: TableDefinition<&str, &[u8; 32]> = TableDefinition::new("outputs");
const STAT: TableDefinition<&str, &[u8]> = TableDefinition::new("stat");
const RUNS: TableDefinition<u64, &[u8]> = TableDefinition::new("runs");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
/// `dsmig reconcile` verdicts: job name → `crate::reconcile::Verdict` (JSON).
const RECONCILED: TableDefinition<&str, &[u8]> = TableDefinition::new("reconciled");

/// Marker written in `meta`; a redb file without it is not ours.
const MAGIC: &[u8] = b"dsmig-store";
/// Layout of the tables. Bump on an incompatible change and teach
/// [`Store::open`] to upgrade (or drop) older layouts.
pub const FORMAT_VERSION: u32 = 1;

const DB_FILE: &str = "store.redb";

/// redb's page cache (its default is 1 GiB). Blobs are read about once per
/// run and memo pages are few: a small cache costs no hits, and a large one
/// only fills with pages written, then re-zeroed by the kernel for nothing.
const CACHE_BYTES: usize = 64 * 1024 * 1024;
/// Commit pending writes after this much data or time.
const FLUSH_BYTES: usize = 32 * 1024 * 1024;
/// Default commit interval; `DSMIG_FLUSH_MS` overrides it (a shorter
/// interval loses less to a kill and costs more commits).
const FLUSH_INTERVAL: Duration = Duration::from_secs(2);

fn flush_interval() -> Duration {
    std::env::var("DSMIG_FLUSH_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map(Duration::from_millis)
        .unwrap_or(FLUSH_INTERVAL)
}

#[derive(Debug, Clone)]
pub enum StoreError {
    /// Another process holds the store.
    InUse {
        path: PathBuf,
        pid: Option<u32>,
    },
    /// Not a dsmig store, or written by a newer dsmig.
    Unusable {
        path: PathBuf,
        why: String,
    },
    /// The store file (`path`) cannot be read back: truncated, overwritten,
    /// or its structure is inconsistent (redb found it so, or failed on it).
    Damaged {
        path: PathBuf,
        why: String,
    },
    /// The device holding the store file (`path`) is full.
    DiskFull {
        path: PathBuf,
        why: String,
    },
    Io {
        path: PathBuf,
        why: String,
    },
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::InUse { path, pid } => {
                let who = pid
                    .map(|p| format!("pid {p}"))
                    .unwrap_or_else(|| "another process".into());
                write!(
                    f,
                    "store in use ({who}): {} is open in another dsmig; wait for it to finish or run again with --wait",
                    path.display()
                )
            }
            StoreError::Unusable { path, why } => write!(
                f,
                "{} cannot be used as a dsmig store: {why}. Move it aside (or delete it) and run again; \
                 a new store recomputes everything and pays again for LLM calls",
                path.display()
            ),
            StoreError::Damaged { path, why } => write!(
                f,
                "the store is damaged: move it aside ({}), the next build recomputes everything \
                 and pays again for LLM calls ({why})",
                path.display()
            ),
            StoreError::DiskFull { path, why } => write!(
                f,
                "no space left on the device of the store {}: {why}. Free some space (or put the \
                 store elsewhere: --store or store.path) and run again; what was committed \
                 before is kept",
                path.display()
            ),
            StoreError::Io { path, why } => write!(f, "{}: {why}", path.display()),
        }
    }
}

impl std::error::Error for StoreError {}

fn unusable(path: &Path, why: impl std::fmt::Display) -> StoreError {
    StoreError::Unusable {
        path: path.to_path_buf(),
        why: why.to_string(),
    }
}

fn is_disk_full(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::StorageFull
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// A redb error on the store file `file`, by what it means to the user.
fn classify(file: &Path, e: redb::Error) -> StoreError {
    let damaged = |why: String| StoreError::Damaged {
        path: file.to_path_buf(),
        why,
    };
    match e {
        redb::Error::Corrupted(why) => damaged(why),
        redb::Error::Io(io) if is_disk_full(&io) => {
            let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
            StoreError::DiskFull {
                path: file.to_path_buf(),
                why: format!("{io} (the store file is now {})", megabytes(size)),
            }
        }
        redb::Error::Io(io) if io.kind() == std::io::ErrorKind::InvalidData => {
            damaged(format!("not a readable redb file: {io}"))
        }
        redb::Error::UpgradeRequired(v) => {
            unusable(file, format!("redb file format {v} needs an upgrade"))
        }
        redb::Error::LockPoisoned(_) | redb::Error::TransactionPoisoned => {
            damaged(format!("redb stopped after an earlier failure: {e}"))
        }
        other => StoreError::Io {
            path: file.to_path_buf(),
            why: other.to_string(),
        },
    }
}

thread_local! {
    /// Set while a guarded store call runs on this thread: a panic there is
    /// redb failing on a damaged file, reported as an error, not printed.
    static GUARDED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// What the last silenced panic said, for the error message.
    static SILENCED: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Wrap the panic hook once: panics inside [`guarded`] are recorded, not
/// printed; any other panic goes to the previous hook as before.
fn install_quiet_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if GUARDED.with(std::cell::Cell::get) {
                let what = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                let place = info
                    .location()
                    .map(|l| {
                        let file = l.file().rsplit_once("/src/").map_or(l.file(), |(_, f)| f);
                        format!(" at {file}:{}", l.line())
                    })
                    .unwrap_or_default();
                SILENCED.with(|s| *s.borrow_mut() = Some(format!("{what}{place}")));
            } else {
                previous(info);
            }
        }));
    });
}

/// Run `f`, turning a panic inside it (redb asserts on inconsistent pages
/// rather than returning an error) into [`StoreError::Damaged`] for `file`.
fn guarded<T>(file: &Path, f: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
    install_quiet_hook();
    let outer = GUARDED.with(|g| g.replace(true));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(outer));
    r.unwrap_or_else(|_| {
        let what = SILENCED
            .with(|s| s.borrow_mut().take())
            .unwrap_or_else(|| "no detail".into());
        Err(StoreError::Damaged {
            path: file.to_path_buf(),
            why: format!("redb failed reading it: {what}"),
        })
    })
}

/// What the stat cache remembers about an input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatEntry {
    pub len: u64,
    pub mtime_ns: i128,
    pub inode: u64,
    pub content: Hash,
}

#[derive(Default)]
struct Pending {
    blobs: HashMap<Hash, Vec<u8>>,
    memo: HashMap<Hash, Vec<u8>>,
    stat: HashMap<String, Vec<u8>>,
    bytes: usize,
    since: Option<Instant>,
}

/// Entry counts and sizes per table, for `dsmig store stats`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TableStats {
    pub table: String,
    pub entries: u64,
    pub stored_bytes: u64,
}

pub struct Store {
    shared: Arc<Shared>,
    flush_every: Duration,
    /// The thread committing pending writes in the background, if any.
    committer: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// The pid file of an on-disk store (none in memory).
    _lock: Option<lock::PidFile>,
}

/// What a commit needs, shared with the background commit thread: workers
/// go on computing while a commit (and its fsync) runs.
struct Shared {
    /// Dropped inside [`guarded`] (closing a damaged file may fail too).
    db: std::mem::ManuallyDrop<redb::Database>,
    dir: PathBuf,
    /// `dir/store.redb`, named by errors.
    file: PathBuf,
    /// The first failure that leaves the file unusable for this run (damaged,
    /// disk full, a failed write): redb answers every later call with
    /// "Previous I/O error", so this is what errors report instead.
    fatal: Mutex<Option<StoreError>>,
    pending: Mutex<Pending>,
    /// What a flush is committing: still visible to readers until the
    /// commit is done, so nothing is ever in neither place.
    in_flight: Mutex<Option<Arc<Pending>>>,
    flush_lock: Mutex<()>,
    /// A background commit's error, returned by the next flush.
    failed: Mutex<Option<StoreError>>,
}

impl Store {
    /// Open (or create) the store in `dir`. With `wait`, block until another
    /// process releases it; otherwise fail at once with [`StoreError::InUse`].
    pub fn open(dir: &Path, wait: bool) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Io {
            path: dir.to_path_buf(),
            why: format!("cannot create the store folder: {e}"),
        })?;
        let path = dir.join(DB_FILE);
        let db = loop {
            let created = guarded(&path, || {
                Ok(redb::Builder::new()
                    .set_cache_size(CACHE_BYTES)
                    .create(&path))
            })?;
            match created {
                Ok(db) => break db,
                Err(redb::DatabaseError::DatabaseAlreadyOpen) => {
                    if !wait {
                        return Err(StoreError::InUse {
                            path: dir.to_path_buf(),
                            pid: lock::read_pid(dir),
                        });
                    }
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(e) => return Err(classify(&path, e.into())),
            }
        };
        let lock = lock::PidFile::write(dir);
        Store::with_db(db, dir, path, Some(lock))
    }

    /// Is there a store in `dir` (its database file)?
    pub fn exists(dir: &Path) -> bool {
        dir.join(DB_FILE).is_file()
    }

    /// An empty store in memory, gone when dropped: what `dsmig plan`
    /// reads where no store exists yet, so that a plan creates nothing on
    /// disk (no folder, no database, no pid file). `dir` only names it in
    /// messages.
    pub fn in_memory(dir: &Path) -> Result<Store, StoreError> {
        let path = dir.join(DB_FILE);
        let db = guarded(&path, || {
            Ok(redb::Builder::new().create_with_backend(redb::backends::InMemoryBackend::new()))
        })?
        .map_err(|e| classify(&path, e.into()))?;
        Store::with_db(db, dir, path, None)
    }

    fn with_db(
        db: redb::Database,
        dir: &Path,
        path: PathBuf,
        lock: Option<lock::PidFile>,
    ) -> Result<Store, StoreError> {
        let store = Store {
            shared: Arc::new(Shared {
                db: std::mem::ManuallyDrop::new(db),
                dir: dir.to_path_buf(),
                file: path.clone(),
                fatal: Mutex::new(None),
                pending: Mutex::new(Pending::default()),
                in_flight: Mutex::new(None),
                flush_lock: Mutex::new(()),
                failed: Mutex::new(None),
            }),
            flush_every: flush_interval(),
            committer: Mutex::new(None),
            _lock: lock,
        };
        store.check_or_init_meta(&path)?;
        Ok(store)
    }

    /// The failure that made the store unusable in this run (damaged file,
    /// full disk, failed write), if any.
    pub fn health(&self) -> Result<(), StoreError> {
        match lock(&self.shared.fatal).clone() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }

    fn check_or_init_meta(&self, path: &Path) -> Result<(), StoreError> {
        self.guard(|| self.check_or_init_meta_unguarded(path))
    }

    fn check_or_init_meta_unguarded(&self, path: &Path) -> Result<(), StoreError> {
        let txn = self.shared.db.begin_write().map_err(|e| self.io(e))?;
        {
            let mut meta = txn.open_table(META).map_err(|e| self.io(e))?;
            let magic = meta
                .get("magic")
                .map_err(|e| self.io(e))?
                .map(|v| v.value().to_vec());
            match magic {
                Some(m) if m == MAGIC => {
                    let v = meta
                        .get("format")
                        .map_err(|e| self.io(e))?
                        .and_then(|v| v.value().try_into().ok().map(u32::from_le_bytes))
                        .unwrap_or(0);
                    if v > FORMAT_VERSION {
                        return Err(unusable(
                            path,
                            format!(
                                "it was written by a newer dsmig (store format {v}, this dsmig reads up to {FORMAT_VERSION})"
                            ),
                        ));
                    }
                    // Older formats: nothing to upgrade yet; entries are keyed
                    // by query versions, so stale ones are simply never hit.
                }
                Some(_) => return Err(unusable(path, "its marker is not dsmig's")),
                None => {
                    let tables = txn.list_tables().map_err(|e| self.io(e))?.count();
                    // A fresh file has just the META table we opened.
                    if tables > 1 {
                        return Err(unusable(
                            path,
                            "it is a redb database written by another program",
                        ));
                    }
                    meta.insert("magic", MAGIC).map_err(|e| self.io(e))?;
                }
            }
            meta.insert("format", FORMAT_VERSION.to_le_bytes().as_slice())
                .map_err(|e| self.io(e))?;
            // Create every table so read transactions can open them.
            txn.open_table(BLOBS).map_err(|e| self.io(e))?;
            txn.open_table(MEMO).map_err(|e| self.io(e))?;
            txn.open_table(LLM).map_err(|e| self.io(e))?;
            txn.open_table(OUTPUTS).map_err(|e| self.io(e))?;
            txn.open_table(STAT).map_err(|e| self.io(e))?;
            txn.open_table(RUNS).map_err(|e| self.io(e))?;
            txn.open_table(RECONCILED).map_err(|e| self.io(e))?;
        }
        txn.commit().map_err(|e| self.io(e))
    }

    fn io(&self, e: impl Into<redb::Error>) -> StoreError {
        self.shared.io(e)
    }

    fn guard<T>(&self, f: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
        self.shared.guard(f)
    }

    fn read_by_hash(
        &self,
        table: TableDefinition<&[u8; 32], &[u8]>,
        key: &Hash,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        self.guard(|| {
            let txn = self.shared.db.begin_read().map_err(|e| self.io(e))?;
            let t = txn.open_table(table).map_err(|e| self.io(e))?;
            let v = t
                .get(key)
                .map_err(|e| self.io(e))?
                .map(|v| v.value().to_vec());
            Ok(v)
        })
    }

    fn read_by_str(
        &self,
        table: TableDefinition<&str, &[u8]>,
        key: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        self.guard(|| {
            let txn = self.shared.db.begin_read().map_err(|e| self.io(e))?;
            let t = txn.open_table(table).map_err(|e| self.io(e))?;
            let v = t
                .get(key)
                .map_err(|e| self.io(e))?
                .map(|v| v.value().to_vec());
            Ok(v)
        })
    }

    /// A blob by content hash (pending writes included).
    pub fn blob(&self, hash: &Hash) -> Result<Option<Vec<u8>>, StoreError> {
        let pending = self.lock_pending().blobs.get(hash).cloned();
        if let Some(v) =
            pending.or_else(|| self.in_flight().and_then(|p| p.blobs.get(hash).cloned()))
        {
            return Ok(codec::unpack(&v));
        }
        let Some(stored) = self.read_by_hash(BLOBS, hash)? else {
            return Ok(None);
        };
        Ok(codec::unpack(&stored))
    }

    /// Store content; returns its hash. Idempotent.
    pub fn put_blob(&self, content: &[u8]) -> Result<Hash, StoreError> {
        self.put_blob_hashed(*blake3::hash(content).as_bytes(), content)
    }

    /// [`Store::put_blob`] when the caller has just computed the blake3 of
    /// `content` (the IR hash is the blob's): hashing it again is waste.
    pub fn put_blob_hashed(&self, hash: Hash, content: &[u8]) -> Result<Hash, StoreError> {
        debug_assert_eq!(hash, *blake3::hash(content).as_bytes());
        if self.lock_pending().blobs.contains_key(&hash) {
            return Ok(hash);
        }
        // Compressed here, by the worker that made the blob, not in the
        // single-threaded commit: commits stay short and pending memory small.
        let packed = codec::pack(content);
        let mut p = self.lock_pending();
        p.bytes += packed.len();
        p.blobs.entry(hash).or_insert(packed);
        drop(p);
        self.maybe_flush()?;
        Ok(hash)
    }

    pub fn memo(&self, key: &Hash) -> Result<Option<Vec<u8>>, StoreError> {
        if let Some(v) = self.lock_pending().memo.get(key) {
            return Ok(Some(v.clone()));
        }
        if let Some(v) = self.in_flight().and_then(|p| p.memo.get(key).cloned()) {
            return Ok(Some(v));
        }
        self.read_by_hash(MEMO, key)
    }

    pub fn put_memo(&self, key: &Hash, value: Vec<u8>) -> Result<(), StoreError> {
        let mut p = self.lock_pending();
        p.bytes += value.len() + 32;
        p.memo.insert(*key, value);
        drop(p);
        self.maybe_flush()
    }

    pub fn llm(&self, key: &Hash) -> Result<Option<Vec<u8>>, StoreError> {
        self.read_by_hash(LLM, key)
    }

    /// LLM responses are paid for: committed at once, never batched.
    pub fn put_llm(&self, key: &Hash, value: &[u8]) -> Result<(), StoreError> {
        self.guard(|| {
            let txn = self.shared.db.begin_write().map_err(|e| self.io(e))?;
            {
                let mut t = txn.open_table(LLM).map_err(|e| self.io(e))?;
                t.insert(key, value).map_err(|e| self.io(e))?;
            }
            txn.commit().map_err(|e| self.io(e))
        })
    }

    pub fn stat(&self, path: &str) -> Result<Option<StatEntry>, StoreError> {
        let pending = self.lock_pending().stat.get(path).cloned();
        let raw = match pending.or_else(|| self.in_flight().and_then(|p| p.stat.get(path).cloned()))
        {
            Some(v) => Some(v),
            None => self.read_by_str(STAT, path)?,
        };
        Ok(raw.and_then(|v| decode(&v)))
    }

    pub fn put_stat(&self, path: &str, entry: &StatEntry) -> Result<(), StoreError> {
        let mut p = self.lock_pending();
        p.bytes += path.len() + 64;
        p.stat.insert(path.to_string(), encode(entry));
        drop(p);
        self.maybe_flush()
    }

    fn in_flight(&self) -> Option<Arc<Pending>> {
        self.shared.in_flight()
    }

    fn lock_pending(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.shared.lock_pending()
    }

    fn maybe_flush(&self) -> Result<(), StoreError> {
        if let Some(e) = lock(&self.shared.failed).take() {
            return Err(e);
        }
        let (due, overfull) = {
            let mut p = self.lock_pending();
            let since = *p.since.get_or_insert_with(Instant::now);
            (
                p.bytes >= FLUSH_BYTES || since.elapsed() >= self.flush_every,
                p.bytes >= 4 * FLUSH_BYTES,
            )
        };
        // Results piling up faster than commits drain them: this worker
        // waits for the running commit, then commits the rest itself.
        if overfull {
            return self.shared.flush();
        }
        if !due {
            return Ok(());
        }
        // Otherwise one commit at a time runs on its own thread.
        let mut committer = lock(&self.committer);
        if committer.as_ref().is_some_and(|h| !h.is_finished()) {
            return Ok(());
        }
        if let Some(done) = committer.take() {
            let _ = done.join();
        }
        let shared = self.shared.clone();
        let spawned = std::thread::Builder::new()
            .name("dsmig-commit".into())
            .spawn(move || {
                if let Err(e) = shared.flush() {
                    *lock(&shared.failed) = Some(e);
                }
            });
        match spawned {
            Ok(h) => {
                *committer = Some(h);
                Ok(())
            }
            Err(_) => {
                drop(committer);
                self.shared.flush()
            }
        }
    }

    /// Commit everything pending (after any background commit finishes).
    pub fn flush(&self) -> Result<(), StoreError> {
        if let Some(running) = lock(&self.committer).take() {
            let _ = running.join();
        }
        let result = self.shared.flush();
        let failed = lock(&self.shared.failed).take();
        // The first failure that made the file unusable says why, not the
        // "Previous I/O error" of the calls after it.
        if let Some(fatal) = lock(&self.shared.fatal).clone() {
            return Err(fatal);
        }
        match failed {
            Some(e) => Err(e),
            None => result,
        }
    }

    /// Every output path dsmig wrote in `scope` (an output folder and a
    /// target: [`outputs_scope`]), with the hash of what it wrote.
    pub fn outputs(&self, scope: &str) -> Result<Vec<(String, Hash)>, StoreError> {
        let prefix = format!("{scope}\0");
        self.guard(|| {
            let txn = self.shared.db.begin_read().map_err(|e| self.io(e))?;
            let t = txn.open_table(OUTPUTS).map_err(|e| self.io(e))?;
            let mut out = Vec::new();
            for row in t.range(prefix.as_str()..).map_err(|e| self.io(e))? {
                let (k, v) = row.map_err(|e| self.io(e))?;
                let Some(rel) = k.value().strip_prefix(prefix.as_str()) else {
                    break;
                };
                out.push((rel.to_string(), *v.value()));
            }
            Ok(out)
        })
    }

    /// The outputs the other targets recorded in the same output folder as
    /// `scope`: path → their hashes (files both targets make, such as job
    /// cards, must not look edited or stale to the other).
    pub fn outputs_beside(
        &self,
        scope: &str,
    ) -> Result<std::collections::HashMap<String, Vec<Hash>>, StoreError> {
        let folder = scope.split('\0').next().unwrap_or_default();
        let prefix = format!("{folder}\0");
        let own = format!("{scope}\0");
        self.guard(|| {
            let txn = self.shared.db.begin_read().map_err(|e| self.io(e))?;
            let t = txn.open_table(OUTPUTS).map_err(|e| self.io(e))?;
            let mut out: std::collections::HashMap<String, Vec<Hash>> = Default::default();
            for row in t.range(prefix.as_str()..).map_err(|e| self.io(e))? {
                let (k, v) = row.map_err(|e| self.io(e))?;
                let key = k.value();
                let Some(rest) = key.strip_prefix(prefix.as_str()) else {
                    break;
                };
                if key.starts_with(own.as_str()) {
                    continue;
                }
                if let Some((_target, rel)) = rest.split_once('\0') {
                    out.entry(rel.to_string()).or_default().push(*v.value());
                }
            }
            Ok(out)
        })
    }

    /// Record output changes in `scope`: `Some(hash)` written, `None` deleted.
    pub fn set_outputs(
        &self,
        scope: &str,
        changes: &[(String, Option<Hash>)],
    ) -> Result<(), StoreError> {
        self.guard(|| {
            let txn = self.shared.db.begin_write().map_err(|e| self.io(e))?;
            {
                let mut t = txn.open_table(OUTPUTS).map_err(|e| self.io(e))?;
                for (path, h) in changes {
                    let key = format!("{scope}\0{path}");
                    match h {
                        Some(h) => t.insert(key.as_str(), h).map_err(|e| self.io(e))?,
                        None => t.remove(key.as_str()).map_err(|e| self.io(e))?,
                    };
                }
            }
            txn.commit().map_err(|e| self.io(e))
        })
    }

    /// Store the last `dsmig reconcile` verdict of a job (replacing the
    /// previous one).
    pub fn put_reconciliation(&self, job: &str, record: &[u8]) -> Result<(), StoreError> {
        self.guard(|| {
            let txn = self.shared.db.begin_write().map_err(|e| self.io(e))?;
            {
                let mut t = txn.open_table(RECONCILED).map_err(|e| self.io(e))?;
                t.insert(job, record).map_err(|e| self.io(e))?;
            }
            txn.commit().map_err(|e| self.io(e))
        })
    }

    /// Every stored reconciliation verdict (job name, record), by name.
    /// A store made before the table existed has none.
    pub fn reconciliations(&self) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        self.guard(|| {
            let txn = self.shared.db.begin_read().map_err(|e| self.io(e))?;
            let t = match txn.open_table(RECONCILED) {
                Ok(t) => t,
                Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
                Err(e) => return Err(self.io(e)),
            };
            let mut out = Vec::new();
            for row in t.iter().map_err(|e| self.io(e))? {
                let (k, v) = row.map_err(|e| self.io(e))?;
                out.push((k.value().to_string(), v.value().to_vec()));
            }
            Ok(out)
        })
    }

    /// The newest run record, if any.
    pub fn last_run(&self) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        self.guard(|| {
            let txn = self.shared.db.begin_read().map_err(|e| self.io(e))?;
            let t = txn.open_table(RUNS).map_err(|e| self.io(e))?;
            let last = t.last().map_err(|e| self.io(e))?;
            Ok(last.map(|(k, v)| (k.value(), v.value().to_vec())))
        })
    }

    /// The newest `n` run records, newest first.
    pub fn runs(&self, n: usize) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        self.guard(|| {
            let txn = self.shared.db.begin_read().map_err(|e| self.io(e))?;
            let t = txn.open_table(RUNS).map_err(|e| self.io(e))?;
            let mut out = Vec::new();
            for row in t.iter().map_err(|e| self.io(e))?.rev().take(n) {
                let (k, v) = row.map_err(|e| self.io(e))?;
                out.push((k.value(), v.value().to_vec()));
            }
            Ok(out)
        })
    }

    /// Append a run record (after flushing pending writes, so a run record
    /// never points at results that are not committed).
    pub fn add_run(&self, record: &[u8]) -> Result<u64, StoreError> {
        self.flush()?;
        self.guard(|| self.append_run(record))
    }

    fn append_run(&self, record: &[u8]) -> Result<u64, StoreError> {
        let txn = self.shared.db.begin_write().map_err(|e| self.io(e))?;
        let n;
        {
            let mut t = txn.open_table(RUNS).map_err(|e| self.io(e))?;
            n = t
                .last()
                .map_err(|e| self.io(e))?
                .map(|(k, _)| k.value() + 1)
                .unwrap_or(1);
            t.insert(n, record).map_err(|e| self.io(e))?;
        }
        txn.commit().map_err(|e| self.io(e))?;
        Ok(n)
    }

    pub fn table_stats(&self) -> Result<Vec<TableStats>, StoreError> {
        self.guard(|| {
            let txn = self.shared.db.begin_read().map_err(|e| self.io(e))?;
            let mut out = Vec::new();
            macro_rules! stat {
                ($def:expr, $name:expr) => {{
                    let t = txn.open_table($def).map_err(|e| self.io(e))?;
                    let s = t.stats().map_err(|e| self.io(e))?;
                    out.push(TableStats {
                        table: $name.to_string(),
                        entries: t.len().map_err(|e| self.io(e))?,
                        stored_bytes: s.stored_bytes(),
                    });
                }};
            }
            stat!(BLOBS, "blobs");
            stat!(MEMO, "memo");
            stat!(LLM, "llm");
            stat!(OUTPUTS, "outputs");
            stat!(STAT, "stat");
            stat!(RUNS, "runs");
            stat!(RECONCILED, "reconciled");
            Ok(out)
        })
    }

    /// Every key and value of every table, blobs inflated, with the table's
    /// name: for audits such as "the store holds no secret"
    /// (`tests/it/secrets.rs`). Values of other tables are given as stored and,
    /// when they unpack, unpacked too.
    pub fn every_entry(&self) -> Result<Vec<(&'static str, Vec<u8>)>, StoreError> {
        self.flush()?;
        let txn = self.shared.db.begin_read().map_err(|e| self.io(e))?;
        let mut out: Vec<(&'static str, Vec<u8>)> = Vec::new();
        macro_rules! dump {
            ($def:expr, $name:expr, $key:expr) => {{
                let t = txn.open_table($def).map_err(|e| self.io(e))?;
                for row in t.iter().map_err(|e| self.io(e))? {
                    let (k, v) = row.map_err(|e| self.io(e))?;
                    let key: Vec<u8> = $key(k.value());
                    out.push(($name, key));
                    let value: Vec<u8> = v.value().to_vec();
                    if let Some(u) = codec::unpack(&value) {
                        out.push(($name, u));
                    }
                    out.push(($name, value));
                }
            }};
        }
        dump!(BLOBS, "blobs", |k: &[u8; 32]| k.to_vec());
        dump!(MEMO, "memo", |k: &[u8; 32]| k.to_vec());
        dump!(LLM, "llm", |k: &[u8; 32]| k.to_vec());
        dump!(STAT, "stat", |k: &str| k.as_bytes().to_vec());
        dump!(RUNS, "runs", |k: u64| k.to_le_bytes().to_vec());
        dump!(META, "meta", |k: &str| k.as_bytes().to_vec());
        dump!(RECONCILED, "reconciled", |k: &str| k.as_bytes().to_vec());
        let t = txn.open_table(OUTPUTS).map_err(|e| self.io(e))?;
        for row in t.iter().map_err(|e| self.io(e))? {
            let (k, v) = row.map_err(|e| self.io(e))?;
            out.push(("outputs", k.value().as_bytes().to_vec()));
            out.push(("outputs", v.value().to_vec()));
        }
        Ok(out)
    }

    /// Drop memo entries and blobs not in `keep_memo` / `keep_blobs`, and
    /// LLM responses not in `keep_llm` when given. Returns the number of
    /// entries removed per table.
    pub fn gc(
        &self,
        keep_memo: &std::collections::HashSet<Hash>,
        keep_blobs: &std::collections::HashSet<Hash>,
        keep_llm: Option<&std::collections::HashSet<Hash>>,
    ) -> Result<(u64, u64, u64), StoreError> {
        self.guard(|| {
            self.flush()?;
            let txn = self.shared.db.begin_write().map_err(|e| self.io(e))?;
            let mut removed = (0, 0, 0);
            {
                let mut memo = txn.open_table(MEMO).map_err(|e| self.io(e))?;
                let before = memo.len().map_err(|e| self.io(e))?;
                memo.retain(|k, _| keep_memo.contains(k))
                    .map_err(|e| self.io(e))?;
                removed.0 = before - memo.len().map_err(|e| self.io(e))?;
                let mut blobs = txn.open_table(BLOBS).map_err(|e| self.io(e))?;
                let before = blobs.len().map_err(|e| self.io(e))?;
                blobs
                    .retain(|k, _| keep_blobs.contains(k))
                    .map_err(|e| self.io(e))?;
                removed.1 = before - blobs.len().map_err(|e| self.io(e))?;
                if let Some(keep) = keep_llm {
                    let mut llm = txn.open_table(LLM).map_err(|e| self.io(e))?;
                    let before = llm.len().map_err(|e| self.io(e))?;
                    llm.retain(|k, _| keep.contains(k))
                        .map_err(|e| self.io(e))?;
                    removed.2 = before - llm.len().map_err(|e| self.io(e))?;
                }
            }
            txn.commit().map_err(|e| self.io(e))?;
            Ok(removed)
        })
    }

    /// Reclaim file space after a gc.
    pub fn compact(&mut self) -> Result<(), StoreError> {
        self.flush()?;
        let busy = StoreError::Io {
            path: self.shared.file.clone(),
            why: "the store is still in use by a commit".into(),
        };
        let shared = Arc::get_mut(&mut self.shared).ok_or(busy)?;
        let file = shared.file.clone();
        guarded(&file, || {
            shared
                .db
                .compact()
                .map(|_| ())
                .map_err(|e| classify(&file, e.into()))
        })
    }
}

impl Shared {
    /// A redb error, classified; the first one that leaves the file
    /// unusable is kept and given again for redb's "Previous I/O error".
    fn io(&self, e: impl Into<redb::Error>) -> StoreError {
        let e = e.into();
        let real_io = matches!(e, redb::Error::Io(_));
        let mut fatal = lock(&self.fatal);
        if matches!(e, redb::Error::PreviousIo)
            && let Some(first) = fatal.as_ref()
        {
            return first.clone();
        }
        let err = classify(&self.file, e);
        let unusable = matches!(
            err,
            StoreError::Damaged { .. } | StoreError::DiskFull { .. }
        );
        if fatal.is_none() && (unusable || real_io) {
            *fatal = Some(err.clone());
        }
        err
    }

    /// [`guarded`], remembering a damaged file as this run's fatal error.
    fn guard<T>(&self, f: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
        let r = guarded(&self.file, f);
        if let Err(e @ StoreError::Damaged { .. }) = &r {
            lock(&self.fatal).get_or_insert_with(|| e.clone());
        }
        r
    }

    fn in_flight(&self) -> Option<Arc<Pending>> {
        lock(&self.in_flight).clone()
    }

    fn lock_pending(&self) -> std::sync::MutexGuard<'_, Pending> {
        // A poisoned lock means a worker panicked mid-insert; the map is
        // still consistent (inserts are single calls), so keep going.
        lock(&self.pending)
    }

    /// Commit everything pending in one transaction.
    fn flush(&self) -> Result<(), StoreError> {
        let _one_at_a_time = lock(&self.flush_lock);
        let pending = {
            let mut p = self.lock_pending();
            let taken = Arc::new(std::mem::take(&mut *p));
            // Published before the pending lock is released: a reader that
            // misses it in `pending` finds it here or, after the commit, in the file.
            *lock(&self.in_flight) = Some(taken.clone());
            taken
        };
        let result = self.commit(&pending);
        *lock(&self.in_flight) = None;
        result
    }

    fn commit(&self, pending: &Pending) -> Result<(), StoreError> {
        if pending.blobs.is_empty() && pending.memo.is_empty() && pending.stat.is_empty() {
            return Ok(());
        }
        match self.guard(|| self.commit_unguarded(pending)) {
            Err(StoreError::DiskFull { path, why }) => {
                let full = StoreError::DiskFull {
                    path,
                    why: format!(
                        "{why}; a commit of about {} of results did not fit",
                        megabytes(pending.bytes as u64)
                    ),
                };
                // Said again by every later call: say it with the figures.
                let mut fatal = lock(&self.fatal);
                if matches!(*fatal, None | Some(StoreError::DiskFull { .. })) {
                    *fatal = Some(full.clone());
                }
                Err(full)
            }
            other => other,
        }
    }

    fn commit_unguarded(&self, pending: &Pending) -> Result<(), StoreError> {
        let txn = self.db.begin_write().map_err(|e| self.io(e))?;
        {
            let mut blobs = txn.open_table(BLOBS).map_err(|e| self.io(e))?;
            // No look-up first: the key is the content's hash, so writing
            // over an existing blob writes the same bytes.
            for (k, v) in &pending.blobs {
                blobs.insert(k, v.as_slice()).map_err(|e| self.io(e))?;
            }
            let mut memo = txn.open_table(MEMO).map_err(|e| self.io(e))?;
            for (k, v) in &pending.memo {
                memo.insert(k, v.as_slice()).map_err(|e| self.io(e))?;
            }
            let mut stat = txn.open_table(STAT).map_err(|e| self.io(e))?;
            for (k, v) in &pending.stat {
                stat.insert(k.as_str(), v.as_slice())
                    .map_err(|e| self.io(e))?;
            }
        }
        txn.commit().map_err(|e| self.io(e))
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // SAFETY: `db` is taken once, here, and never used again.
        let db = unsafe { std::mem::ManuallyDrop::take(&mut self.db) };
        let _ = guarded(&self.file, || {
            drop(db);
            Ok(())
        });
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        // Best effort: an error here has nowhere to go, and what is lost is
        // only cache (the next run recomputes it).
        let _ = self.flush();
    }
}

/// The memo key of a query: blake3(phase ‖ version ‖ parts).
pub fn memo_key(phase: &str, version: u32, parts: &[&[u8]]) -> Hash {
    let mut h = blake3::Hasher::new();
    h.update(phase.as_bytes());
    h.update(&[0]);
    h.update(&version.to_le_bytes());
    for p in parts {
        h.update(&(p.len() as u64).to_le_bytes());
        h.update(p);
    }
    *h.finalize().as_bytes()
}

/// The scope of a build's outputs in the `outputs` table: the output
/// folder, canonical (symlinks and `..` resolved; the part that does not
/// exist yet appended as given), and the target name, joined by `\0`
/// (which neither holds).
pub fn outputs_scope(output_dir: &std::path::Path, target: &str) -> String {
    fn canonical(p: &std::path::Path) -> std::path::PathBuf {
        if let Ok(c) = std::fs::canonicalize(p) {
            return c;
        }
        match (p.parent(), p.file_name()) {
            (Some(parent), Some(name)) if !parent.as_os_str().is_empty() => {
                canonical(parent).join(name)
            }
            _ => std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()),
        }
    }
    format!("{}\0{target}", canonical(output_dir).display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_memo_and_reopen() {
        let dir = std::env::temp_dir().join(format!("dsmig-store-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let key = memo_key("q", 1, &[b"a"]);
        let h;
        {
            let s = Store::open(&dir, false).expect("open");
            h = s.put_blob(b"hello hello hello").expect("blob");
            s.put_memo(&key, b"v".to_vec()).expect("memo");
            assert_eq!(s.memo(&key).expect("read").as_deref(), Some(&b"v"[..]));
            match Store::open(&dir, false) {
                Err(StoreError::InUse { pid, .. }) => assert_eq!(pid, Some(std::process::id())),
                Err(e) => panic!("unexpected {e}"),
                Ok(_) => panic!("second open must fail"),
            }
        }
        let s = Store::open(&dir, false).expect("reopen");
        assert_eq!(
            s.blob(&h).expect("read").as_deref(),
            Some(&b"hello hello hello"[..])
        );
        assert_eq!(s.memo(&key).expect("read").as_deref(), Some(&b"v"[..]));
        assert_ne!(memo_key("q", 2, &[b"a"]), key);
        drop(s);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn foreign_file_is_refused_with_a_remedy() {
        let dir = std::env::temp_dir().join(format!("dsmig-store-foreign-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(
            dir.join(DB_FILE),
            b"this is not a redb file at all, just text",
        )
        .expect("write");
        let err = Store::open(&dir, false).err().expect("refused");
        assert!(
            err.to_string()
                .contains("the store is damaged: move it aside ("),
            "{err}"
        );
        assert!(
            err.to_string().contains("pays again for LLM calls"),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
