//! DSX text export reader.
//!
//! Two stages, so a 500 MB export is read in memory bounded by its largest
//! job: [`Splitter`] streams the file line by line and yields one
//! [`Chunk`] per top-level block (compiled sections such as `DSEXECJOB` are
//! dropped as they stream past); [`lex_block`] turns a chunk into a
//! [`RawBlock`]. Chunks are independent, so callers lex them in parallel.

use std::io::BufRead;

use encoding_rs::Encoding;

use crate::ir::Location;
use crate::parse::diag::{Diagnostic, clip};
use crate::parse::raw::{RawBlock, RawCollection, RawHeader, RawProp, RawRecord, RawSub};

/// Top-level blocks that hold compiled or binary content: skipped while
/// streaming, never held in memory. Also skipped when nested in a kept block.
const SKIPPED_BLOCKS: &[&str] = &[
    "DSEXECJOB",
    "DSBPBINARY",
    "DSUBINARY",
    "DSSCRIPT",
    "DSBPSOURCE",
    "DSBINARY",
];

/// Tags that only ever start at the top level: meeting one inside another
/// block means that block was not closed.
const TOP_LEVEL_BLOCKS: &[&str] = &[
    "HEADER",
    "DSJOB",
    "DSEXECJOB",
    "DSSHAREDCONTAINER",
    "DSROUTINES",
    "DSTABLEDEFS",
    "DSPARAMETERSETS",
    "DSSTAGETYPES",
    "DSDATACONNECTIONS",
    "DSDATATYPES",
    "DSMACHINEPROFILES",
    "DSIMSDATABASES",
    "DSIMSVIEWSETS",
];

const RAW_MARKER: &str = "=+=+=+=";

/// Most BEGIN/END levels inside a top-level block. Real exports nest a
/// record and a subrecord or two; refusing deeper input keeps the raw tree
/// (whose `Drop`, `Clone` and comparisons recurse) far from the stack limit.
pub const MAX_NESTING: usize = 256;

/// One top-level block's bytes, undecoded.
#[derive(Debug, Clone)]
pub struct Chunk {
    pub tag: String,
    /// 1-based line of the `BEGIN` line.
    pub line: u64,
    /// The block's lines from `BEGIN` to `END` inclusive. Nested skipped
    /// blocks are replaced by empty lines so line numbers stay right.
    pub bytes: Vec<u8>,
}

/// What the splitter yields.
#[derive(Debug)]
pub enum Item {
    Header(RawHeader),
    Chunk(Chunk),
    Problem(Diagnostic),
}

enum State {
    Top,
    Header { start: u64, bytes: Vec<u8> },
    Kept(Chunk),
    Skipped { tag: String },
}

/// Streams a DSX export and yields its blocks one at a time.
pub struct Splitter<R> {
    reader: R,
    file: String,
    line_no: u64,
    state: State,
    /// Inside a kept block: nesting depth of BEGIN/END, whether we are in a
    /// `=+=+=+=` block, and a nested skipped block's tag and depth.
    depth: u32,
    in_raw: bool,
    nested_skip: Option<(String, u32)>,
    buf: Vec<u8>,
    done: bool,
    stray_lines: u64,
    stray_first: u64,
    seen_block: bool,
    max_bytes: u64,
    read_bytes: u64,
}

impl<R: BufRead> Splitter<R> {
    pub fn new(reader: R, file: &str, max_bytes: u64) -> Self {
        Splitter {
            reader,
            file: file.to_string(),
            line_no: 0,
            state: State::Top,
            depth: 0,
            in_raw: false,
            nested_skip: None,
            buf: Vec::with_capacity(256),
            done: false,
            stray_lines: 0,
            stray_first: 0,
            seen_block: false,
            max_bytes,
            read_bytes: 0,
        }
    }

    fn loc(&self, line: u64) -> Location {
        Location {
            file: self.file.clone(),
            line: Some(line),
            member: None,
        }
    }

    /// End of input: report whatever block is still open.
    fn finish(&mut self) -> Option<Item> {
        self.done = true;
        let state = std::mem::replace(&mut self.state, State::Top);
        match state {
            State::Top => {
                if self.stray_lines > 0 {
                    let n = self.stray_lines;
                    self.stray_lines = 0;
                    return Some(Item::Problem(Diagnostic::warning(
                        self.loc(self.stray_first),
                        "only BEGIN/END blocks at the top level",
                        format!("{n} stray line(s) outside any block"),
                    )));
                }
                if !self.seen_block {
                    return Some(Item::Problem(Diagnostic::error(
                        self.loc(self.line_no.max(1)),
                        "at least one BEGIN HEADER or BEGIN DSJOB block",
                        if self.line_no == 0 {
                            "an empty file".to_string()
                        } else {
                            "no block".to_string()
                        },
                    )));
                }
                None
            }
            State::Header { start, .. } => Some(Item::Problem(Diagnostic::error(
                self.loc(start),
                "END HEADER",
                "end of file (truncated header)",
            ))),
            State::Kept(chunk) => {
                let name = block_identifier(&chunk.bytes);
                let mut d = Diagnostic::error(
                    self.loc(chunk.line),
                    format!("END {} to close the block opened here", chunk.tag),
                    format!("end of file at line {} (truncated export)", self.line_no),
                );
                if let Some(n) = name {
                    d = d.with_job(n);
                }
                Some(Item::Problem(d))
            }
            State::Skipped { tag } => Some(Item::Problem(Diagnostic::warning(
                self.loc(self.line_no),
                format!("END {tag}"),
                "end of file inside a compiled section (skipped anyway)",
            ))),
        }
    }

    /// Handles one line; returns an item when a block completes.
    fn feed(&mut self, raw_line: &[u8]) -> Option<Item> {
        let line_no = self.line_no;
        let trimmed = trim_line(raw_line);
        match &mut self.state {
            State::Top => {
                if trimmed.is_empty() || trimmed.starts_with(b"COMMENT") {
                    return None;
                }
                if let Some(tag) = begin_tag(trimmed) {
                    self.seen_block = true;
                    return self.open_top(tag.to_string(), raw_line, line_no);
                }
                if self.stray_lines == 0 {
                    self.stray_first = line_no;
                }
                self.stray_lines += 1;
                None
            }
            State::Header { bytes, start } => {
                if trimmed == b"END HEADER" {
                    let start = *start;
                    let bytes = std::mem::take(bytes);
                    self.state = State::Top;
                    let text = String::from_utf8_lossy(&bytes);
                    let header = lex_header(&text, start);
                    return Some(Item::Header(header));
                }
                bytes.extend_from_slice(raw_line);
                None
            }
            State::Skipped { tag } => {
                if let Some(end) = end_tag(trimmed)
                    && end == tag.as_str()
                    && is_column0(raw_line)
                {
                    self.state = State::Top;
                }
                None
            }
            State::Kept(_) => self.feed_kept(raw_line, trimmed, line_no),
        }
    }

    fn open_top(&mut self, tag: String, raw_line: &[u8], line_no: u64) -> Option<Item> {
        if tag == "HEADER" {
            self.state = State::Header {
                start: line_no,
                bytes: Vec::new(),
            };
        } else if SKIPPED_BLOCKS.contains(&tag.as_str()) {
            self.state = State::Skipped { tag };
        } else {
            self.depth = 1;
            self.in_raw = false;
            self.nested_skip = None;
            let mut bytes = Vec::with_capacity(64 * 1024);
            bytes.extend_from_slice(raw_line);
            self.state = State::Kept(Chunk {
                tag,
                line: line_no,
                bytes,
            });
        }
        None
    }

    /// A line of a kept block, already appended to its bytes at `start`.
    /// The common line (a property inside the block) stays there as it is;
    /// any other is taken back out and handled by [`Splitter::feed_kept`].
    fn feed_in_place(&mut self, start: usize) -> Option<Item> {
        let State::Kept(chunk) = &mut self.state else {
            return None;
        };
        let trimmed = trim_line(&chunk.bytes[start..]);
        if self.in_raw {
            if trimmed == RAW_MARKER.as_bytes() {
                self.in_raw = false;
            }
            return None;
        }
        let plain = !(trimmed.starts_with(b"BEGIN ")
            || trimmed.starts_with(b"END ")
            || trimmed.ends_with(b"="));
        if plain && self.nested_skip.is_none() {
            return None;
        }
        let line = chunk.bytes.split_off(start);
        self.feed_kept(&line, trim_line(&line), self.line_no)
    }

    fn feed_kept(&mut self, raw_line: &[u8], trimmed: &[u8], line_no: u64) -> Option<Item> {
        let State::Kept(chunk) = &mut self.state else {
            return None;
        };
        if self.in_raw {
            if trimmed == RAW_MARKER.as_bytes() {
                self.in_raw = false;
            }
            chunk.bytes.extend_from_slice(raw_line);
            return None;
        }
        if let Some((tag, depth)) = &mut self.nested_skip {
            if let Some(b) = begin_tag(trimmed)
                && b == tag.as_str()
            {
                *depth += 1;
            } else if let Some(e) = end_tag(trimmed)
                && e == tag.as_str()
            {
                *depth -= 1;
                if *depth == 0 {
                    self.nested_skip = None;
                }
            }
            chunk.bytes.push(b'\n');
            return None;
        }
        if let Some(tag) = begin_tag(trimmed) {
            if is_column0(raw_line) && TOP_LEVEL_BLOCKS.contains(&tag) {
                // The open block was never closed: report it, start anew.
                let open = std::mem::replace(
                    chunk,
                    Chunk {
                        tag: String::new(),
                        line: 0,
                        bytes: Vec::new(),
                    },
                );
                let mut d = Diagnostic::error(
                    self.loc(open.line),
                    format!("END {} before the next top-level block", open.tag),
                    format!("BEGIN {tag} at line {line_no}"),
                );
                if let Some(n) = block_identifier(&open.bytes) {
                    d = d.with_job(n);
                }
                self.state = State::Top;
                let tag = tag.to_string();
                self.open_top(tag, raw_line, line_no);
                return Some(Item::Problem(d));
            }
            if SKIPPED_BLOCKS.contains(&tag) {
                self.nested_skip = Some((tag.to_string(), 1));
                chunk.bytes.push(b'\n');
                return None;
            }
            self.depth += 1;
            chunk.bytes.extend_from_slice(raw_line);
            return None;
        }
        chunk.bytes.extend_from_slice(raw_line);
        if end_tag(trimmed).is_some() {
            self.depth = self.depth.saturating_sub(1);
            if self.depth == 0 {
                let done = std::mem::replace(
                    chunk,
                    Chunk {
                        tag: String::new(),
                        line: 0,
                        bytes: Vec::new(),
                    },
                );
                self.state = State::Top;
                return Some(Item::Chunk(done));
            }
            return None;
        }
        if opens_raw(trimmed) {
            self.in_raw = true;
        }
        None
    }
}

impl<R: BufRead> Iterator for Splitter<R> {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        loop {
            if self.done {
                return None;
            }
            // Lines of a kept block are read straight into its bytes (most
            // lines need nothing else); other lines go through `buf`.
            let (read, start) = match &mut self.state {
                State::Kept(chunk) => {
                    let start = chunk.bytes.len();
                    (read_line(&mut self.reader, &mut chunk.bytes), Some(start))
                }
                _ => {
                    self.buf.clear();
                    (read_line(&mut self.reader, &mut self.buf), None)
                }
            };
            match read {
                Ok(0) => return self.finish(),
                Ok(n) => {
                    self.read_bytes += n as u64;
                    if self.read_bytes > self.max_bytes {
                        self.done = true;
                        return Some(Item::Problem(Diagnostic::error(
                            self.loc(self.line_no + 1),
                            format!(
                                "at most {} MB of (decompressed) input per file (parser.max_file_size_mb)",
                                self.max_bytes / (1024 * 1024)
                            ),
                            "more; the rest of the file was not read",
                        )));
                    }
                    self.line_no += 1;
                    let item = match start {
                        Some(start) => self.feed_in_place(start),
                        None => {
                            let line = std::mem::take(&mut self.buf);
                            let item = self.feed(&line);
                            self.buf = line;
                            item
                        }
                    };
                    if item.is_some() {
                        return item;
                    }
                }
                Err(e) => {
                    self.done = true;
                    let expected = if e.kind() == std::io::ErrorKind::FileTooLarge {
                        format!(
                            "at most {} MB of decompressed input per file (parser.max_file_size_mb)",
                            self.max_bytes / (1024 * 1024)
                        )
                    } else {
                        "readable bytes".to_string()
                    };
                    return Some(Item::Problem(Diagnostic::error(
                        self.loc(self.line_no + 1),
                        expected,
                        format!("read error: {e}; the rest of the file was not read"),
                    )));
                }
            }
        }
    }
}

fn trim_line(line: &[u8]) -> &[u8] {
    line.trim_ascii()
}

/// `read_until(b'\n')` with a vectorised search: every byte of every
/// export passes here.
fn read_line<R: BufRead>(reader: &mut R, out: &mut Vec<u8>) -> std::io::Result<usize> {
    let mut read = 0;
    loop {
        let available = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let (done, used) = match memchr::memchr(b'\n', available) {
            Some(i) => {
                out.extend_from_slice(&available[..=i]);
                (true, i + 1)
            }
            None => {
                out.extend_from_slice(available);
                (available.is_empty(), available.len())
            }
        };
        reader.consume(used);
        read += used;
        if done {
            return Ok(read);
        }
    }
}

fn is_column0(line: &[u8]) -> bool {
    line.first().is_some_and(|b| !b.is_ascii_whitespace())
}

fn begin_tag(trimmed: &[u8]) -> Option<&str> {
    let rest = trimmed.strip_prefix(b"BEGIN ")?;
    let tag = std::str::from_utf8(rest).ok()?.trim();
    is_tag(tag).then_some(tag)
}

fn end_tag(trimmed: &[u8]) -> Option<&str> {
    let rest = trimmed.strip_prefix(b"END ")?;
    let tag = std::str::from_utf8(rest).ok()?.trim();
    is_tag(tag).then_some(tag)
}

fn is_tag(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// `Key =+=+=+=` opens a raw multi-line value.
fn opens_raw(trimmed: &[u8]) -> bool {
    trimmed.len() > RAW_MARKER.len() && trimmed.ends_with(RAW_MARKER.as_bytes()) && {
        let head = &trimmed[..trimmed.len() - RAW_MARKER.len()];
        head.last().is_some_and(|b| b.is_ascii_whitespace()) && !head.contains(&b'"')
    }
}

/// The `Identifier "…"` of a block, for error messages about a block that
/// could not be lexed.
fn block_identifier(bytes: &[u8]) -> Option<String> {
    for line in bytes.split(|&b| b == b'\n').skip(1).take(8) {
        let t = trim_line(line);
        if let Some(rest) = t.strip_prefix(b"Identifier ") {
            let s = String::from_utf8_lossy(rest);
            return Some(unquote(s.trim()).unwrap_or_else(|| s.trim().to_string()));
        }
    }
    None
}

/// The encoding named by a header `CharacterSet`.
pub fn encoding_for(charset: Option<&str>) -> &'static Encoding {
    let cs = charset.unwrap_or("").trim().to_ascii_uppercase();
    let label = match cs.as_str() {
        "" | "ENGLISH" | "CP1252" | "MS1252" | "ISO8859-1" | "ISO-8859-1" | "LATIN1"
        | "ASCL_ISO8859-1" => "windows-1252",
        "UTF-8" | "UTF8" | "UNICODE" | "ISO-10646" => "utf-8",
        "CP949" | "MS949" | "KSC5601" | "EUC-KR" => "euc-kr",
        "CP932" | "MS932" | "SHIFT_JIS" | "SJIS" => "shift_jis",
        "CP936" | "MS936" | "GBK" => "gbk",
        "CP950" | "BIG5" => "big5",
        other => {
            if let Some(n) = other
                .strip_prefix("CP")
                .or_else(|| other.strip_prefix("MS"))
            {
                return Encoding::for_label(format!("windows-{n}").as_bytes())
                    .unwrap_or(encoding_rs::WINDOWS_1252);
            }
            return Encoding::for_label(other.as_bytes()).unwrap_or(encoding_rs::WINDOWS_1252);
        }
    };
    Encoding::for_label(label.as_bytes()).unwrap_or(encoding_rs::WINDOWS_1252)
}

/// Decode a chunk. Valid UTF-8 is taken as is whatever the header says:
/// exports re-saved by editors are often UTF-8 under a CP1252 header.
pub fn decode<'a>(bytes: &'a [u8], encoding: &'static Encoding) -> std::borrow::Cow<'a, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => encoding.decode_without_bom_handling(bytes).0,
    }
}

fn lex_header(text: &str, start: u64) -> RawHeader {
    let mut props = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if let Some((k, v)) = split_prop(line.trim())
            && let Some(v) = unquote(v)
        {
            props.push(RawProp {
                name: k.to_string(),
                value: v,
                line: start + 1 + i as u64,
            });
        }
    }
    RawHeader { props }
}

fn split_prop(t: &str) -> Option<(&str, &str)> {
    // Bytes, not chars: both separators are ASCII (every line of every
    // export passes here).
    let sp = t.bytes().position(|b| b == b' ' || b == b'\t')?;
    Some((&t[..sp], t[sp..].trim_start()))
}

/// `s.trim()`, with the common all-ASCII case done on bytes. Falls back to
/// `trim` where the ends are not plain ASCII (vertical tab and non-ASCII
/// spaces count as whitespace there).
fn trim(s: &str) -> &str {
    let t = s.trim_ascii();
    match (t.as_bytes().first(), t.as_bytes().last()) {
        (Some(&a), Some(&b)) if a >= 0x80 || b >= 0x80 || a == 0x0B || b == 0x0B => t.trim(),
        _ => t,
    }
}

/// Parse a DSX quoted value: `"…"` with `\"`, `\\`, `\(hex)` and the
/// multivalue marks `\V` `\S` `\T` `\F`. Returns None unless the line is
/// exactly one quoted string.
pub fn unquote(v: &str) -> Option<String> {
    let body = v.strip_prefix('"')?;
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    loop {
        let pos = rest.bytes().position(|b| b == b'"' || b == b'\\')?;
        out.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        if tail.starts_with('"') {
            return rest[pos + 1..].trim().is_empty().then_some(out);
        }
        let mut it = tail[1..].chars();
        let consumed = match it.next() {
            Some('"') => {
                out.push('"');
                2
            }
            Some('\\') => {
                out.push('\\');
                2
            }
            Some('V') => {
                out.push('\u{FD}');
                2
            }
            Some('S') => {
                out.push('\u{FC}');
                2
            }
            Some('T') => {
                out.push('\u{FB}');
                2
            }
            Some('F') => {
                out.push('\u{FE}');
                2
            }
            Some('(') => match hex_escape(&tail[2..]) {
                Some((c, n)) => {
                    out.push(c);
                    2 + n
                }
                None => {
                    out.push_str("\\(");
                    2
                }
            },
            Some(other) => {
                out.push('\\');
                out.push(other);
                1 + other.len_utf8()
            }
            None => {
                out.push('\\');
                1
            }
        };
        rest = &tail[consumed..];
    }
}

/// `H…)` after `\(`: the character and the bytes consumed.
fn hex_escape(s: &str) -> Option<(char, usize)> {
    let n = s.bytes().take_while(u8::is_ascii_hexdigit).count();
    if n == 0 || n > 8 || s.as_bytes().get(n) != Some(&b')') {
        return None;
    }
    let c = char::from_u32(u32::from_str_radix(&s[..n], 16).ok()?)?;
    Some((c, n + 1))
}

/// Lexing state: a stack of open nodes (record, subrecords).
#[derive(Default)]
struct Node {
    props: Vec<RawProp>,
    collections: Vec<RawCollection>,
    /// Whether the last collection is still taking subrecords.
    collection_open: bool,
    identifier: String,
    ole_type: String,
    line: u64,
}

impl Node {
    fn push_prop(&mut self, p: RawProp) {
        self.collection_open = false;
        match p.name.as_str() {
            "Identifier" if self.identifier.is_empty() => self.identifier = p.value,
            "OLEType" if self.ole_type.is_empty() => self.ole_type = p.value,
            _ => self.props.push(p),
        }
    }

    /// A subrecord starts: it joins the open collection, or the last
    /// ordinary property becomes the heading of a new collection.
    fn add_sub(&mut self, sub: RawSub) -> Result<(), String> {
        if !self.collection_open {
            let Some(head) = self.props.pop() else {
                return Err("a collection heading (e.g. Columns \"COutputColumn\") before BEGIN DSSUBRECORD".into());
            };
            self.collections.push(RawCollection {
                name: head.name,
                class: head.value,
                items: Vec::new(),
            });
            self.collection_open = true;
        }
        if let Some(c) = self.collections.last_mut() {
            c.items.push(sub);
        }
        Ok(())
    }
}

/// Turn a chunk into a raw block. Structural faults (unbalanced BEGIN/END,
/// unterminated `=+=+=+=` value) are errors: the block is not returned.
pub fn lex_block(
    chunk: &Chunk,
    encoding: &'static Encoding,
    file: &str,
) -> Result<(RawBlock, Vec<Diagnostic>), Diagnostic> {
    let text = decode(&chunk.bytes, encoding);
    let mut block = RawBlock {
        tag: chunk.tag.clone(),
        line: chunk.line,
        ..RawBlock::default()
    };
    let mut warnings = Vec::new();
    let mut stack: Vec<(String, Node)> = Vec::new();
    let loc = |line: u64| Location {
        file: file.to_string(),
        line: Some(line),
        member: None,
    };
    let err = |line: u64, expected: String, found: String, block: &RawBlock| {
        let mut d = Diagnostic::error(loc(line), expected, found);
        if !block.identifier.is_empty() {
            d = d.with_job(block.identifier.clone());
        }
        d
    };
    let mut lines = split_lines(&text).enumerate();
    // The first line is `BEGIN <tag>`.
    lines.next();
    let mut closed = false;
    while let Some((i, line)) = lines.next() {
        let line_no = chunk.line + i as u64;
        let t = trim(line);
        if t.is_empty() || t.starts_with("COMMENT") {
            continue;
        }
        if let Some(tag) = t.strip_prefix("BEGIN ") {
            if stack.len() >= MAX_NESTING {
                return Err(err(
                    line_no,
                    format!("records nested at most {MAX_NESTING} deep"),
                    format!(
                        "BEGIN {} nested deeper (the block is not read)",
                        clip(tag.trim(), 40)
                    ),
                    &block,
                ));
            }
            stack.push((
                tag.trim().to_string(),
                Node {
                    line: line_no,
                    ..Node::default()
                },
            ));
            continue;
        }
        if let Some(tag) = t.strip_prefix("END ") {
            let tag = tag.trim();
            match stack.pop() {
                None if tag == block.tag => {
                    closed = true;
                    break;
                }
                None => {
                    return Err(err(
                        line_no,
                        format!("END {}", block.tag),
                        format!("END {tag}"),
                        &block,
                    ));
                }
                Some((open, node)) => {
                    if open != tag {
                        return Err(err(
                            line_no,
                            format!("END {open} (opened at line {})", node.line),
                            format!("END {tag}"),
                            &block,
                        ));
                    }
                    close_node(&open, node, &mut stack, &mut block)
                        .map_err(|m| err(line_no, m, format!("END {tag}"), &block))?;
                }
            }
            continue;
        }
        let Some((key, value)) = split_prop(t) else {
            // A bare key with no value.
            push_prop(
                &mut stack,
                &mut block,
                RawProp {
                    name: t.to_string(),
                    value: String::new(),
                    line: line_no,
                },
            );
            continue;
        };
        let value = if value == RAW_MARKER {
            let mut raw = String::new();
            let mut terminated = false;
            for (_, l) in lines.by_ref() {
                let l = l.strip_suffix('\r').unwrap_or(l);
                if trim(l) == RAW_MARKER {
                    terminated = true;
                    break;
                }
                if !raw.is_empty() || terminated {
                    raw.push('\n');
                }
                raw.push_str(l);
            }
            if !terminated {
                return Err(err(
                    line_no,
                    format!("a closing {RAW_MARKER} for {key}"),
                    "end of block".into(),
                    &block,
                ));
            }
            raw
        } else {
            match unquote(value) {
                Some(v) => v,
                None => {
                    warnings.push(Diagnostic::warning(
                        loc(line_no),
                        format!("a quoted value for {key}"),
                        clip(value, 60),
                    ));
                    value.to_string()
                }
            }
        };
        push_prop(
            &mut stack,
            &mut block,
            RawProp {
                name: key.to_string(),
                value,
                line: line_no,
            },
        );
    }
    if !closed {
        let (what, line) = match stack.last() {
            Some((tag, n)) => (format!("END {tag} (opened at line {})", n.line), n.line),
            None => (format!("END {}", block.tag), chunk.line),
        };
        return Err(err(line, what, "end of block".into(), &block));
    }
    Ok((block, warnings))
}

/// `text.split('\n')`, searched with memchr (the lexer's hottest loop).
fn split_lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let r = rest?;
        match memchr::memchr(b'\n', r.as_bytes()) {
            Some(i) => {
                rest = Some(&r[i + 1..]);
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

fn push_prop(stack: &mut [(String, Node)], block: &mut RawBlock, p: RawProp) {
    match stack.last_mut() {
        Some((_, node)) => node.push_prop(p),
        None => {
            if p.name == "Identifier" && block.identifier.is_empty() {
                block.identifier = p.value.clone();
            }
            block.props.push(p);
        }
    }
}

fn close_node(
    tag: &str,
    node: Node,
    stack: &mut [(String, Node)],
    block: &mut RawBlock,
) -> Result<(), String> {
    if stack.is_empty() {
        // A record (or any other nested block) of the top-level block.
        block.records.push(RawRecord {
            identifier: node.identifier,
            ole_type: node.ole_type,
            line: node.line,
            props: node.props,
            collections: node.collections,
        });
        let _ = tag;
        return Ok(());
    }
    let mut props = node.props;
    // Subrecords keep Identifier/OLEType as ordinary properties.
    if !node.identifier.is_empty() {
        props.insert(
            0,
            RawProp {
                name: "Identifier".into(),
                value: node.identifier,
                line: node.line,
            },
        );
    }
    if !node.ole_type.is_empty() {
        props.insert(
            0,
            RawProp {
                name: "OLEType".into(),
                value: node.ole_type,
                line: node.line,
            },
        );
    }
    let sub = RawSub {
        props,
        collections: node.collections,
    };
    match stack.last_mut() {
        Some((_, parent)) => parent.add_sub(sub),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<Item> {
        Splitter::new(text.as_bytes(), "t.dsx", u64::MAX).collect()
    }

    const JOB: &str = "BEGIN HEADER\n   CharacterSet \"CP1252\"\n   ServerVersion \"9.1\"\nEND HEADER\nBEGIN DSJOB\n   Identifier \"J1\"\n   DateModified \"2015-05-20\"\n   BEGIN DSRECORD\n      Identifier \"ROOT\"\n      OLEType \"CJobDefn\"\n      Name \"J1\"\n      Parameters \"CParameters\"\n      BEGIN DSSUBRECORD\n         Name \"P\"\n         Default \"a\\\"b\\\\c\\(A)\"\n      END DSSUBRECORD\n      FullDescription =+=+=+=\nline one\nBEGIN DSJOB\n=+=+=+=\n      JobType \"3\"\n   END DSRECORD\nEND DSJOB\nBEGIN DSEXECJOB\n   Identifier \"J1\"\n   BEGIN DSBPBINARY\nEND DSJOB\n   END DSBPBINARY\nEND DSEXECJOB\n";

    #[test]
    fn fast_trim_is_str_trim() {
        for s in [
            "",
            "   ",
            "  Name \"x\"\r",
            "\u{b}\tvalue\u{b}",
            "\u{a0}nbsp\u{a0} ",
            " \u{2003}em space",
            "é  ",
            "\u{1c}unit\u{1f}",
            "a\u{85}",
        ] {
            assert_eq!(trim(s), s.trim(), "{s:?}");
        }
    }

    #[test]
    fn fast_line_readers_are_std_ones() {
        for text in ["", "\n", "a", "a\n", "a\nb", "a\r\n\nb\n", "\n\nx\n\n"] {
            let ours: Vec<&str> = split_lines(text).collect();
            let std: Vec<&str> = text.split('\n').collect();
            assert_eq!(ours, std, "{text:?}");
            // A reader with a tiny buffer: lines span many refills.
            let mut r = std::io::BufReader::with_capacity(2, text.as_bytes());
            let mut s = std::io::BufReader::with_capacity(2, text.as_bytes());
            loop {
                let (mut a, mut b) = (Vec::new(), Vec::new());
                let n = read_line(&mut r, &mut a).expect("read");
                assert_eq!(n, s.read_until(b'\n', &mut b).expect("read"));
                assert_eq!(a, b, "{text:?}");
                if n == 0 {
                    break;
                }
            }
        }
    }

    #[test]
    fn splits_lexes_and_skips_compiled_parts() {
        let items = split(JOB);
        assert_eq!(items.len(), 2, "{items:?}");
        let Item::Header(h) = &items[0] else {
            panic!("header first")
        };
        assert_eq!(h.get("CharacterSet"), Some("CP1252"));
        let Item::Chunk(c) = &items[1] else {
            panic!("chunk")
        };
        assert_eq!(c.line, 5);
        let (b, w) = lex_block(c, encoding_rs::WINDOWS_1252, "t.dsx").expect("lexes");
        assert!(w.is_empty());
        assert_eq!(b.identifier, "J1");
        assert_eq!(b.records.len(), 1);
        let r = &b.records[0];
        assert_eq!(r.identifier, "ROOT");
        assert_eq!(r.class(), "JobDefn");
        assert_eq!(r.get("FullDescription"), Some("line one\nBEGIN DSJOB"));
        assert_eq!(r.get("JobType"), Some("3"));
        let params = r.collection("Parameters").expect("collection");
        assert_eq!(params.class, "CParameters");
        assert_eq!(params.items[0].get("Default"), Some("a\"b\\c\n"));
        assert_eq!(r.line, 8);
    }

    #[test]
    fn crlf_gives_the_same_block() {
        let crlf = JOB.replace('\n', "\r\n");
        let a: Vec<_> = split(JOB)
            .into_iter()
            .filter_map(|i| match i {
                Item::Chunk(c) => Some(c),
                _ => None,
            })
            .collect();
        let b: Vec<_> = split(&crlf)
            .into_iter()
            .filter_map(|i| match i {
                Item::Chunk(c) => Some(c),
                _ => None,
            })
            .collect();
        let la = lex_block(&a[0], encoding_rs::UTF_8, "a").expect("a").0;
        let lb = lex_block(&b[0], encoding_rs::UTF_8, "b").expect("b").0;
        assert_eq!(la.records, lb.records);
    }

    #[test]
    fn truncated_job_is_an_error_with_its_name() {
        let cut = &JOB[..JOB.find("JobType").expect("marker")];
        let items = split(cut);
        let Some(Item::Problem(d)) = items.last() else {
            panic!("{items:?}")
        };
        assert_eq!(d.job.as_deref(), Some("J1"));
        assert!(d.expected.contains("END DSJOB"), "{d}");
    }

    #[test]
    fn unclosed_job_before_next_job_is_reported_and_next_is_read() {
        let text =
            "BEGIN DSJOB\n   Identifier \"A\"\nBEGIN DSJOB\n   Identifier \"B\"\nEND DSJOB\n";
        let items = split(text);
        assert!(matches!(&items[0], Item::Problem(d) if d.job.as_deref() == Some("A")));
        assert!(matches!(&items[1], Item::Chunk(c) if c.line == 3));
    }

    #[test]
    fn mismatched_end_is_an_error() {
        let text =
            "BEGIN DSJOB\n   Identifier \"A\"\n   BEGIN DSRECORD\n   END DSSUBRECORD\nEND DSJOB\n";
        let items = split(text);
        let Item::Chunk(c) = &items[0] else { panic!() };
        let e = lex_block(c, encoding_rs::UTF_8, "t").expect_err("must fail");
        assert_eq!(e.location.line, Some(4));
    }

    #[test]
    fn empty_input_is_an_error() {
        let items = split("");
        assert!(matches!(&items[0], Item::Problem(d) if d.found.contains("empty")));
    }

    #[test]
    fn unquote_rules() {
        assert_eq!(unquote("\"\"").as_deref(), Some(""));
        assert_eq!(unquote("\"a\\\\(A)\"").as_deref(), Some("a\\(A)"));
        assert_eq!(unquote("\"x\" trailing"), None);
        assert_eq!(unquote("\"\\(B3CB)\"").as_deref(), Some("\u{B3CB}"));
    }

    #[test]
    fn size_limit_stops_reading() {
        let items: Vec<_> = Splitter::new(JOB.as_bytes(), "t", 100).collect();
        assert!(
            matches!(items.last(), Some(Item::Problem(d)) if d.expected.contains("max_file_size_mb"))
        );
    }
}

#[cfg(test)]
mod fuzz {
    //! Property tests standing in for a fuzzer (cargo-fuzz needs nightly):
    //! whatever the bytes, splitting and lexing return, never panic.
    use super::*;
    use proptest::prelude::*;

    const SEED: &str = "BEGIN HEADER\n   CharacterSet \"CP1252\"\nEND HEADER\nBEGIN DSJOB\n   Identifier \"J\"\n   BEGIN DSRECORD\n      Identifier \"ROOT\"\n      OLEType \"CJobDefn\"\n      Parameters \"CParameters\"\n      BEGIN DSSUBRECORD\n         Name \"P\"\n         Default \"a\\\"\\(A)\\\\\"\n      END DSSUBRECORD\n      Text =+=+=+=\nBEGIN DSJOB\n=+=+=+=\n   END DSRECORD\nEND DSJOB\nBEGIN DSEXECJOB\n   BEGIN DSBPBINARY\n   END DSBPBINARY\nEND DSEXECJOB\n";

    fn run(bytes: &[u8]) {
        for item in Splitter::new(bytes, "f", 1 << 20) {
            if let Item::Chunk(c) = item
                && let Ok((block, _)) = lex_block(&c, encoding_rs::WINDOWS_1252, "f")
            {
                let _ = crate::parse::build::entities_from_block(&block, "f");
            }
        }
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            run(&bytes);
        }

        #[test]
        fn mutated_exports_never_panic(
            edits in proptest::collection::vec((0usize..SEED.len(), any::<u8>(), 0u8..3), 1..8)
        ) {
            let mut bytes = SEED.as_bytes().to_vec();
            for (pos, byte, op) in edits {
                let pos = pos.min(bytes.len());
                match op {
                    0 => bytes.insert(pos, byte),
                    1 if pos < bytes.len() => { bytes.remove(pos); }
                    _ => bytes.truncate(pos),
                }
            }
            run(&bytes);
        }
    }
}

#[cfg(test)]
mod format_cases {
    //! Lexical cases named by the format reference and seen in real files.
    use super::*;

    fn lex(text: &[u8], encoding: &'static Encoding) -> RawBlock {
        let items: Vec<Item> = Splitter::new(text, "t", u64::MAX).collect();
        let chunk = items
            .into_iter()
            .find_map(|i| match i {
                Item::Chunk(c) => Some(c),
                _ => None,
            })
            .expect("a block");
        lex_block(&chunk, encoding, "t").expect("lexes").0
    }

    #[test]
    fn very_long_lines_hyphenated_keys_and_multivalue_marks() {
        let long = "x".repeat(190_000);
        let text = format!(
            "BEGIN DSJOB\n   Identifier \"J\"\n   BEGIN DSRECORD\n      Identifier \"ROOT\"\n      Long \"{long}\"\n      Key-With-Hyphens \"a\\Vb\\Sc\\Td\"\n   END DSRECORD\nEND DSJOB\n"
        );
        let b = lex(text.as_bytes(), encoding_rs::UTF_8);
        assert_eq!(b.records[0].get("Long").map(str::len), Some(190_000));
        assert_eq!(
            b.records[0].get("Key-With-Hyphens"),
            Some("a\u{FD}b\u{FC}c\u{FB}d")
        );
    }

    #[test]
    fn empty_blocks_and_comments() {
        let b = lex(
            b"COMMENT top\nBEGIN DSJOB\n   COMMENT inside\n   Identifier \"E\"\nEND DSJOB\n",
            encoding_rs::UTF_8,
        );
        assert_eq!(b.identifier, "E");
        assert!(b.records.is_empty());
    }

    #[test]
    fn header_character_sets_decode() {
        // "Жук" in CP1251, "한" (U+D55C) in CP949.
        let cyr = b"BEGIN DSJOB\n   Identifier \"\xC6\xF3\xEA\"\nEND DSJOB\n";
        assert_eq!(lex(cyr, encoding_for(Some("CP1251"))).identifier, "Жук");
        let kor = b"BEGIN DSJOB\n   Identifier \"\xC7\xD1\"\nEND DSJOB\n";
        assert_eq!(lex(kor, encoding_for(Some("CP949"))).identifier, "한");
        let latin = b"BEGIN DSJOB\n   Identifier \"caf\xE9\"\nEND DSJOB\n";
        assert_eq!(lex(latin, encoding_for(Some("ENGLISH"))).identifier, "café");
        assert_eq!(encoding_for(Some("UNICODE")), encoding_rs::UTF_8);
    }

    #[test]
    fn raw_blocks_hide_begin_end_lines_from_the_splitter() {
        let text = "BEGIN DSJOB\n   Identifier \"R\"\n   BEGIN DSRECORD\n      Identifier \"ROOT\"\n      JobControlCode =+=+=+=\nEND DSJOB\nBEGIN DSRECORD\n=+=+=+=\n   END DSRECORD\nEND DSJOB\n";
        let b = lex(text.as_bytes(), encoding_rs::UTF_8);
        assert_eq!(
            b.records[0].get("JobControlCode"),
            Some("END DSJOB\nBEGIN DSRECORD")
        );
    }
}
