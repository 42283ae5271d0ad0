//! Inputs: walk files and folders, recognise each file by its content
//! (DSX text, DataStage XML, ISX zip, or a gzip of one), decompress within
//! the size limit, and drive the right reader. One bad file never stops the
//! others: it becomes diagnostics.

use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::ir::{Entity, Located, Location, SourceFormat, entity_hash};
use crate::parse::build::entities_from_block;
use crate::parse::diag::{Diagnostic, Severity, clip};
use crate::parse::dsx::{self, Item};
use crate::parse::{Limits, isx, xml};

/// One input file and what was found in it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileSummary {
    pub path: String,
    /// `None` when the file was skipped or unreadable.
    pub format: Option<SourceFormat>,
    pub gzip: bool,
    /// Size on disk.
    pub bytes: u64,
    pub jobs: usize,
    /// All entities: jobs, shared containers, routines, table definitions...
    pub entities: usize,
    pub errors: usize,
    /// ISX archives: what became of each member (read, ignored by kind,
    /// unknown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isx_members: Option<isx::IsxMembers>,
}

#[derive(Debug)]
pub struct ReadResult<T = Located> {
    pub files: Vec<FileSummary>,
    /// Ordered by file, then position in the file.
    pub entities: Vec<T>,
    /// Ordered by file, then position.
    pub diagnostics: Vec<Diagnostic>,
}

/// Expand paths: files as given, folders walked (sorted, hidden entries
/// and the dsmig store skipped). Missing paths become diagnostics.
///
/// Only regular files are read: a FIFO, a device or a socket (named on the
/// command line or met in a folder) is a `Skipped` row, never opened. In a
/// folder, symbolic links are not followed out of it: a link to a file
/// outside the folder is a warning row; a link to a file inside it is read;
/// a link to a folder is not walked (what it holds inside the folder is
/// walked anyway, and a link out of it is reported).
pub fn collect_files(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<Diagnostic>) {
    let mut files = Vec::new();
    let mut diags = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk_folder(p, &mut files, &mut diags);
        } else {
            match std::fs::metadata(p) {
                Ok(m) if m.is_file() => files.push(p.clone()),
                Ok(m) => diags.push(not_regular(&p.display().to_string(), &m.file_type())),
                // A dangling link: let opening it report the problem.
                Err(_) if p.is_symlink() => files.push(p.clone()),
                Err(_) => diags.push(Diagnostic::error(
                    loc(&p.display().to_string()),
                    "an existing file or folder",
                    "no such path",
                )),
            }
        }
    }
    files.sort();
    files.dedup();
    (files, diags)
}

fn walk_folder(root: &Path, files: &mut Vec<PathBuf>, diags: &mut Vec<Diagnostic>) {
    let inside = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walker {
        match entry {
            Ok(e) if e.file_type().is_file() => files.push(e.into_path()),
            Ok(e) if e.file_type().is_dir() => {}
            Ok(e) if e.file_type().is_symlink() => symlink(e.path(), &inside, files, diags),
            Ok(e) => diags.push(not_regular(&e.path().display().to_string(), &e.file_type())),
            Err(e) => {
                let path = e
                    .path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| root.display().to_string());
                diags.push(Diagnostic::error(
                    loc(&path),
                    "a readable folder entry",
                    e.to_string(),
                ));
            }
        }
    }
}

/// A symbolic link met while walking the folder `inside` (canonical).
fn symlink(path: &Path, inside: &Path, files: &mut Vec<PathBuf>, diags: &mut Vec<Diagnostic>) {
    let name = path.display().to_string();
    let Ok(target) = std::fs::canonicalize(path) else {
        // Dangling (or a loop): opening it reports the problem.
        files.push(path.to_path_buf());
        return;
    };
    if !target.starts_with(inside) {
        diags.push(Diagnostic::warning(
            loc(&name),
            format!(
                "a file inside the input folder {}",
                clip(&inside.display().to_string(), 200)
            ),
            format!(
                "a symbolic link to {}, outside it: not followed (name the target as an input to read it)",
                clip(&target.display().to_string(), 200)
            ),
        ));
        return;
    }
    match std::fs::metadata(&target) {
        Ok(m) if m.is_file() => files.push(path.to_path_buf()),
        // Its contents are walked under their own path.
        Ok(m) if m.is_dir() => {}
        Ok(m) => diags.push(not_regular(&name, &m.file_type())),
        Err(_) => files.push(path.to_path_buf()),
    }
}

/// What a file that is not a regular file or a folder is, for its row.
fn file_kind(ft: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if ft.is_char_device() {
            return "a character device";
        }
        if ft.is_block_device() {
            return "a block device";
        }
        if ft.is_socket() {
            return "a socket";
        }
    }
    if ft.is_dir() {
        return "a folder";
    }
    if ft.is_symlink() {
        return "a symbolic link";
    }
    "not a regular file"
}

fn not_regular(name: &str, ft: &std::fs::FileType) -> Diagnostic {
    Diagnostic::skipped(
        loc(name),
        format!("{}, not a regular file: not opened", file_kind(ft)),
    )
}

/// Open `path` for reading if it is a regular file, without blocking on a
/// FIFO (opened non-blocking, then checked on the open file itself, so a
/// file swapped after a check by path is still caught; non-blocking mode
/// changes nothing for a regular file). `Ok(Err(kind))` says what it is
/// instead (a socket cannot be opened: its error names it too).
pub fn open_regular(path: &Path) -> std::io::Result<Result<File, &'static str>> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = match options.open(path) {
        Ok(f) => f,
        Err(e) => {
            return match std::fs::metadata(path) {
                Ok(m) if !m.is_file() && !m.is_dir() => Ok(Err(file_kind(&m.file_type()))),
                _ => Err(e),
            };
        }
    };
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Ok(Err(file_kind(&meta.file_type())));
    }
    Ok(Ok(file))
}

fn loc(file: &str) -> Location {
    Location {
        file: file.to_string(),
        line: None,
        member: None,
    }
}

/// Read every file (in parallel) and return all entities and problems.
pub fn read_paths(paths: &[PathBuf], limits: &Limits) -> ReadResult {
    read_paths_map(paths, limits, &|_| {}, &|l| l)
}

/// Read every file (in parallel), turning each entity into a `T` as soon
/// as it is built — so a caller that keeps only a summary row never holds
/// a whole export's IR in memory. `progress(bytes)` is called per file.
pub fn read_paths_map<T: Send>(
    paths: &[PathBuf],
    limits: &Limits,
    progress: &(dyn Fn(u64) + Sync),
    map: &(dyn Fn(Located) -> T + Sync),
) -> ReadResult<T> {
    let (files, mut diagnostics) = collect_files(paths);
    let per_file: Vec<(FileSummary, Vec<T>, Vec<Diagnostic>)> = files
        .par_iter()
        .map(|f| {
            let r = read_file_map(f, limits, map);
            progress(r.0.bytes);
            r
        })
        .collect();
    let mut result = ReadResult {
        files: Vec::new(),
        entities: Vec::new(),
        diagnostics: Vec::new(),
    };
    for (summary, entities, diags) in per_file {
        result.files.push(summary);
        result.entities.extend(entities);
        diagnostics.extend(diags);
    }
    diagnostics.sort();
    result.diagnostics = diagnostics;
    result
}

/// Read one file. Never panics, whatever the bytes.
pub fn read_file(path: &Path, limits: &Limits) -> (FileSummary, Vec<Located>, Vec<Diagnostic>) {
    read_file_map(path, limits, &|l| l)
}

/// As [`read_file`], mapping each entity as soon as it is built.
pub fn read_file_map<T: Send>(
    path: &Path,
    limits: &Limits,
    map: &(dyn Fn(Located) -> T + Sync),
) -> (FileSummary, Vec<T>, Vec<Diagnostic>) {
    let name = path.display().to_string();
    let mut summary = FileSummary {
        path: name.clone(),
        format: None,
        gzip: false,
        bytes: 0,
        jobs: 0,
        entities: 0,
        errors: 0,
        isx_members: None,
    };
    let mut diags = Vec::new();
    let mut entities: Vec<Mapped<T>> = Vec::new();
    let mapped = |l: Located| Mapped {
        location: l.location.clone(),
        is_job: matches!(l.entity, Entity::Job(_)),
        value: map(l),
    };
    match open_and_read(
        path,
        &name,
        limits,
        &mut summary,
        &mut entities,
        &mut diags,
        &mapped,
    ) {
        Ok(()) => {}
        Err(d) => diags.push(d),
    }
    entities.sort_by(|a, b| a.location.cmp(&b.location));
    summary.entities = entities.len();
    summary.jobs = entities.iter().filter(|e| e.is_job).count();
    summary.errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    (
        summary,
        entities.into_iter().map(|m| m.value).collect(),
        diags,
    )
}

/// An entity mapped by the caller, with what is needed to order and count it.
struct Mapped<T> {
    location: Location,
    is_job: bool,
    value: T,
}

const SNIFF: usize = 8 * 1024;

/// A file opened, decompressed and recognised, ready for its reader.
pub enum Opened {
    Dsx(Box<dyn BufRead + Send>),
    Xml(Box<dyn BufRead + Send>),
    /// Zip archives are read whole: the zip directory is at the end.
    Zip(Vec<u8>),
    /// Not a DataStage export: the reason, as a `Skipped` row.
    NotAnExport(Diagnostic),
}

/// Open `path`: size limit, gzip, sniffing. Fills `summary.bytes`,
/// `summary.gzip` and `summary.format`.
pub fn open(
    path: &Path,
    name: &str,
    limits: &Limits,
    summary: &mut FileSummary,
) -> Result<Opened, Diagnostic> {
    let file = match open_regular(path) {
        Ok(Ok(file)) => file,
        Ok(Err("a folder")) => return Err(Diagnostic::error(loc(name), "a file", "a folder")),
        Ok(Err(kind)) => {
            return Err(Diagnostic::skipped(
                loc(name),
                format!("{kind}, not a regular file: not read"),
            ));
        }
        Err(e) => {
            return Err(Diagnostic::error(
                loc(name),
                "a readable file",
                format!("cannot open: {e}"),
            ));
        }
    };
    let meta = file.metadata().map_err(|e| {
        Diagnostic::error(loc(name), "a readable file", format!("cannot stat: {e}"))
    })?;
    summary.bytes = meta.len();
    if meta.len() > limits.max_file_size {
        return Err(Diagnostic::error(
            loc(name),
            format!(
                "a file of at most {} MB (parser.max_file_size_mb)",
                limits.max_file_size / (1024 * 1024)
            ),
            format!("{} MB; not read", meta.len() / (1024 * 1024)),
        ));
    }
    if meta.len() == 0 {
        return Err(Diagnostic::error(
            loc(name),
            "a DataStage export",
            "an empty file",
        ));
    }
    let mut reader = BufReader::with_capacity(256 * 1024, file);
    let head = reader
        .fill_buf()
        .map_err(|e| Diagnostic::error(loc(name), "a readable file", format!("read error: {e}")))?;
    let is_gzip = head.starts_with(&[0x1f, 0x8b]);
    summary.gzip = is_gzip;
    let inner: Box<dyn Read + Send> = if is_gzip {
        Box::new(flate2::read::MultiGzDecoder::new(reader))
    } else {
        Box::new(reader)
    };
    // Never more than the limit, decompressed or not: a gzip bomb stops here.
    let mut limited = LimitedReader {
        inner,
        left: limits.max_file_size,
        file: name.to_string(),
    };
    let mut prefix = vec![0u8; SNIFF];
    let n = read_up_to(&mut limited, &mut prefix).map_err(|e| {
        let expected = if is_gzip {
            "a valid gzip stream"
        } else {
            "readable bytes"
        };
        Diagnostic::error(loc(name), expected, e.to_string())
    })?;
    prefix.truncate(n);
    if n == 0 {
        return Err(Diagnostic::error(
            loc(name),
            "a DataStage export",
            "an empty file (after decompression)",
        ));
    }
    let sniffed = sniff(&prefix);
    let rest = Cursor::new(prefix).chain(limited);
    Ok(match sniffed {
        Sniffed::Dsx => {
            summary.format = Some(SourceFormat::Dsx);
            Opened::Dsx(Box::new(BufReader::with_capacity(256 * 1024, rest)))
        }
        Sniffed::Xml => {
            summary.format = Some(SourceFormat::Xml);
            Opened::Xml(Box::new(BufReader::with_capacity(256 * 1024, rest)))
        }
        Sniffed::Zip => {
            let mut bytes = Vec::new();
            let mut rest = rest;
            rest.read_to_end(&mut bytes).map_err(|e| {
                Diagnostic::error(loc(name), "a readable zip archive", e.to_string())
            })?;
            summary.format = Some(SourceFormat::Isx);
            Opened::Zip(bytes)
        }
        Sniffed::Binary => Opened::NotAnExport(Diagnostic::skipped(
            loc(name),
            "binary content (NUL or control bytes)",
        )),
        Sniffed::Text(start) => Opened::NotAnExport(Diagnostic::skipped(
            loc(name),
            format!("text that begins {:?}", clip(&start, 40)),
        )),
    })
}

fn open_and_read<T: Send>(
    path: &Path,
    name: &str,
    limits: &Limits,
    summary: &mut FileSummary,
    entities: &mut Vec<Mapped<T>>,
    diags: &mut Vec<Diagnostic>,
    map: &(dyn Fn(Located) -> Mapped<T> + Sync),
) -> Result<(), Diagnostic> {
    match open(path, name, limits, summary)? {
        Opened::Dsx(r) => read_dsx(r, name, limits, entities, diags, map),
        Opened::Xml(r) => {
            let mut found = Vec::new();
            let before = diags.len();
            read_xml(r, name, &mut found, diags);
            // Not an export (another root), or one in a form not read
            // (repository objects): the file was not read.
            if found.is_empty()
                && diags[before..].iter().any(|d| {
                    d.severity == Severity::Skipped
                        || d.found.starts_with(xml::REPOSITORY_OBJECT_XML)
                })
            {
                summary.format = None;
            }
            entities.extend(found.into_iter().map(map));
        }
        Opened::Zip(bytes) => {
            let (found, problems, members) = isx::read_isx_members(&bytes, name, limits);
            if found.is_empty() && problems.iter().any(|d| d.severity == Severity::Skipped) {
                summary.format = None;
            }
            summary.isx_members = members;
            entities.extend(found.into_iter().map(map));
            diags.extend(problems);
        }
        Opened::NotAnExport(d) => diags.push(d),
    }
    Ok(())
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

struct LimitedReader {
    inner: Box<dyn Read + Send>,
    left: u64,
    file: String,
}

impl Read for LimitedReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            // Probe one byte: exactly at the limit is fine.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(std::io::Error::new(
                    std::io::ErrorKind::FileTooLarge,
                    format!(
                        "{}: decompressed content exceeds parser.max_file_size_mb",
                        self.file
                    ),
                )),
            };
        }
        let max = buf.len().min(self.left.min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut buf[..max])?;
        self.left -= n as u64;
        Ok(n)
    }
}

#[derive(Debug, PartialEq)]
enum Sniffed {
    Dsx,
    Xml,
    Zip,
    Binary,
    Text(String),
}

fn sniff(prefix: &[u8]) -> Sniffed {
    if prefix.starts_with(b"PK\x03\x04") || prefix.starts_with(b"PK\x05\x06") {
        return Sniffed::Zip;
    }
    if prefix.starts_with(&[0xFF, 0xFE]) || prefix.starts_with(&[0xFE, 0xFF]) {
        // UTF-16 with a BOM: only XML exports are written that way.
        return Sniffed::Xml;
    }
    let body = prefix.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(prefix);
    let t = body.trim_ascii_start();
    if t.starts_with(b"BEGIN HEADER") || t.starts_with(b"BEGIN DS") {
        return Sniffed::Dsx;
    }
    if t.starts_with(b"<") {
        return Sniffed::Xml;
    }
    let control = body
        .iter()
        .filter(|&&b| b == 0 || (b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c)))
        .count();
    if body.contains(&0) || control * 20 > body.len().max(1) {
        return Sniffed::Binary;
    }
    Sniffed::Text(String::from_utf8_lossy(&t[..t.len().min(60)]).into_owned())
}

pub fn locate(file: &str, line: u64, format: SourceFormat, entity: Entity) -> Located {
    Located {
        location: Location {
            file: file.to_string(),
            line: Some(line),
            member: None,
        },
        format,
        hash: entity_hash(&entity),
        entity,
    }
}

/// A DSX export after its header: the character set it names, the
/// problems met before the first block, and the remaining items (blocks
/// are independent: lex them in parallel).
pub struct DsxStream<R> {
    pub encoding: &'static encoding_rs::Encoding,
    pub early: Vec<Diagnostic>,
    pub first: Option<Item>,
    pub rest: dsx::Splitter<R>,
}

pub fn dsx_stream<R: BufRead>(reader: R, file: &str, limits: &Limits) -> DsxStream<R> {
    let mut splitter = dsx::Splitter::new(reader, file, limits.max_file_size);
    let mut encoding = dsx::encoding_for(None);
    let mut early = Vec::new();
    let mut first = None;
    for item in splitter.by_ref() {
        match item {
            Item::Header(h) => encoding = dsx::encoding_for(h.get("CharacterSet")),
            Item::Problem(d) => early.push(d),
            Item::Chunk(c) => {
                first = Some(Item::Chunk(c));
                break;
            }
        }
    }
    DsxStream {
        encoding,
        early,
        first,
        rest: splitter,
    }
}

fn read_dsx<R: BufRead + Send, T: Send>(
    reader: R,
    file: &str,
    limits: &Limits,
    entities: &mut Vec<Mapped<T>>,
    diags: &mut Vec<Diagnostic>,
    map: &(dyn Fn(Located) -> Mapped<T> + Sync),
) {
    let stream = dsx_stream(reader, file, limits);
    let encoding = stream.encoding;
    diags.extend(stream.early);
    let Some(first) = stream.first else { return };
    let results: Vec<(Vec<Mapped<T>>, Vec<Diagnostic>)> = std::iter::once(first)
        .chain(stream.rest)
        .par_bridge()
        .map(|item| match item {
            Item::Chunk(c) => match dsx::lex_block(&c, encoding, file) {
                Ok((block, mut warnings)) => {
                    let (built, more) = entities_from_block(&block, file);
                    warnings.extend(more);
                    let located = built
                        .into_iter()
                        .map(|b| map(locate(file, b.line, SourceFormat::Dsx, b.entity)))
                        .collect();
                    (located, warnings)
                }
                Err(d) => (Vec::new(), vec![d]),
            },
            Item::Problem(d) => (Vec::new(), vec![d]),
            Item::Header(_) => (Vec::new(), Vec::new()),
        })
        .collect();
    for (e, d) in results {
        entities.extend(e);
        diags.extend(d);
    }
}

pub fn read_xml<R: BufRead>(
    reader: R,
    file: &str,
    entities: &mut Vec<Located>,
    diags: &mut Vec<Diagnostic>,
) {
    xml::read_export(reader, file, &mut |item| match item {
        xml::XmlItem::Header(_) => {}
        xml::XmlItem::Problem(d) => diags.push(d),
        xml::XmlItem::Block(block) => {
            let (built, more) = entities_from_block(&block, file);
            diags.extend(more);
            entities.extend(
                built
                    .into_iter()
                    .map(|b| locate(file, b.line, SourceFormat::Xml, b.entity)),
            );
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing() {
        assert_eq!(sniff(b"BEGIN HEADER\n"), Sniffed::Dsx);
        assert_eq!(sniff(b"\xEF\xBB\xBF  BEGIN DSJOB\n"), Sniffed::Dsx);
        assert_eq!(sniff(b"<?xml version='1.0'?><DSExport>"), Sniffed::Xml);
        assert_eq!(sniff(b"PK\x03\x04rest"), Sniffed::Zip);
        assert_eq!(sniff(b"\x00\x01\x02\x03"), Sniffed::Binary);
        assert!(matches!(sniff(b"hello world"), Sniffed::Text(_)));
    }
}
