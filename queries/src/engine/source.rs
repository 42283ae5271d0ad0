//! Input files: their content hash (through the stat cache) and the salsa
//! input that carries it.

use std::io::Read;
use std::path::Path;

use crate::store::{Hash, StatEntry, Store};

/// An input file as salsa sees it: where it is, and the hash of its bytes.
/// Only the hash is a key; the path is where to read the bytes from.
#[salsa::input]
pub struct SourceFile {
    #[returns(ref)]
    pub path: String,
    #[returns(copy)]
    pub content: Hash,
}

/// (size, mtime in ns, inode) of a file, as the stat cache compares them.
pub fn file_stat(path: &Path) -> Option<(u64, i128, u64)> {
    std::fs::metadata(path).ok().map(|m| stat_of(&m))
}

/// (size, mtime in ns, inode): what the stat cache compares.
fn stat_of(meta: &std::fs::Metadata) -> (u64, i128, u64) {
    let mtime_ns = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos() as i128)
        .unwrap_or(0);
    (meta.len(), mtime_ns, inode(meta))
}

/// Whether the file at `path` holds the content hashed `content`: from the
/// stat cache when size, mtime and inode are those recorded with that hash,
/// else by reading it (and recording what was found).
pub fn has_content(path: &Path, content: &Hash, store: &Store, record: bool) -> bool {
    disk_content(path, store, record) == Some(*content)
}

/// The content hash of the file at `path` (`None` if it cannot be read):
/// from the stat cache when size, mtime and inode are those recorded,
/// else by reading it (recording what was found if `record`).
pub fn disk_content(path: &Path, store: &Store, record: bool) -> Option<Hash> {
    let name = path.display().to_string();
    let (len, mtime_ns, inode) = file_stat(path)?;
    if let Ok(Some(e)) = store.stat(&name)
        && (e.len, e.mtime_ns, e.inode) == (len, mtime_ns, inode)
        && mtime_ns != 0
    {
        return Some(e.content);
    }
    let actual = hash_file(path).ok()?;
    if record {
        let _ = store.put_stat(
            &name,
            &StatEntry {
                len,
                mtime_ns,
                inode,
                content: actual,
            },
        );
    }
    Some(actual)
}

/// Record that `path` now holds `content` (after dsmig wrote it).
/// Remember that the file at `path`, as `meta` describes it, holds `content`.
pub fn record_content(path: &Path, meta: &std::fs::Metadata, content: &Hash, store: &Store) {
    let (len, mtime_ns, inode) = stat_of(meta);
    let _ = store.put_stat(
        &path.display().to_string(),
        &StatEntry {
            len,
            mtime_ns,
            inode,
            content: *content,
        },
    );
}

/// blake3 of a file's bytes, from the stat cache when size, mtime and
/// inode are unchanged. Errors are returned as text for the error row.
pub fn content_hash(path: &Path, name: &str, store: &Store, dry_run: bool) -> Result<Hash, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot stat: {e}"))?;
    let mtime_ns = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos() as i128)
        .unwrap_or(0);
    let inode = inode(&meta);
    if let Ok(Some(e)) = store.stat(name)
        && e.len == meta.len()
        && e.mtime_ns == mtime_ns
        && e.inode == inode
        // A file modified within the same clock tick as it was cached could
        // change again unseen: trust the cache only for older mtimes.
        && mtime_ns != 0
    {
        return Ok(e.content);
    }
    let content = hash_file(path).map_err(|e| format!("read error: {e}"))?;
    if !dry_run {
        let entry = StatEntry {
            len: meta.len(),
            mtime_ns,
            inode,
            content,
        };
        let _ = store.put_stat(name, &entry);
    }
    Ok(content)
}

#[cfg(unix)]
fn inode(meta: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(meta)
}

#[cfg(not(unix))]
fn inode(_meta: &std::fs::Metadata) -> u64 {
    0
}

pub fn hash_file(path: &Path) -> std::io::Result<Hash> {
    // Never blocks on a FIFO swapped in after the folder was listed.
    let mut f = crate::parse::input::open_regular(path)?.map_err(|kind| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{kind}, not a regular file: not read"),
        )
    })?;
    let mut h = blake3::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(*h.finalize().as_bytes())
}
