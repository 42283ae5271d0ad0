//! DataStage XML export (`<DSExport>`) reader. See datastage-reference §3.
//!
//! The reader streams: it holds at most one top-level block (`<Job>`,
//! `<SharedContainer>`...) in memory, hands it to the sink when its end tag
//! is read, and forgets it. Input in any encoding named by a BOM or by the
//! XML declaration is transcoded to UTF-8 on the fly (bytes that are not
//! valid in that encoding become U+FFFD, with one warning).
//!
//! Entities are never expanded beyond the five predefined ones and numeric
//! character references, so a DTD "billion laughs" costs nothing.

use std::collections::HashSet;
use std::io::{self, BufRead, Cursor, Read};
use std::ops::ControlFlow;

use quick_xml::Reader;
use quick_xml::errors::{Error as XmlError, IllFormedError};
use quick_xml::events::{BytesStart, Event};

use super::diag::{Diagnostic, clip};
use super::props::{resolve_entity, unescape_hex_codes};
use super::raw::{RawBlock, RawCollection, RawHeader, RawProp, RawRecord, RawSub};
use crate::ir::Location;

/// One thing read from an XML export, in file order.
#[derive(Debug, Clone, PartialEq)]
pub enum XmlItem {
    Header(RawHeader),
    Block(RawBlock),
    Problem(Diagnostic),
}

/// Read a DataStage XML export, handing each header, block and problem to
/// `sink` as soon as it is complete. Never panics; bad input ends with a
/// `Problem` naming the line.
pub fn read_export<R: BufRead>(reader: R, file: &str, sink: &mut dyn FnMut(XmlItem)) {
    let mut parser = Parser::new(file, sink);
    let input = match Transcoder::open(reader) {
        Ok(t) => t,
        Err(e) => {
            let d = Diagnostic::error(parser.loc(1), "a readable file", clip(&e.to_string(), 200));
            (parser.sink)(XmlItem::Problem(d));
            return;
        }
    };
    if let Some(label) = &input.unknown_label {
        let d = Diagnostic::warning(
            parser.loc(1),
            "an encoding known to the reader in the XML declaration",
            format!("encoding \"{}\"; read as UTF-8", clip(label, 60)),
        );
        (parser.sink)(XmlItem::Problem(d));
    }
    let mut reader = Reader::from_reader(input);
    parser.run(&mut reader);
}

/// XML element name → DSX block tag.
fn block_tag(element: &str) -> String {
    match element {
        "Job" => "DSJOB".into(),
        "SharedContainer" => "DSSHAREDCONTAINER".into(),
        "Routine" | "Routines" => "DSROUTINES".into(),
        "TableDefinitions" | "TableDefinition" | "TableDefs" => "DSTABLEDEFS".into(),
        "ParameterSets" | "ParameterSet" => "DSPARAMETERSETS".into(),
        "StageTypes" | "StageType" => "DSSTAGETYPES".into(),
        "DataConnections" | "DataConnection" => "DSDATACONNECTIONS".into(),
        "DataTypes" | "DataType" => "DSDATATYPES".into(),
        other => format!("DS{}", other.to_uppercase()),
    }
}

/// What a repository-object XML file's row says (then the first object's type).
pub const REPOSITORY_OBJECT_XML: &str = "DataStage repository object XML: not readable yet; export the job as .dsx, .xml (DSExport) or .isx";

/// `<object t="...">`: a DataStage repository object (its type code, such
/// as `JobDefn`), as a repository dump writes them.
fn repository_object(e: &BytesStart<'_>) -> Option<String> {
    let name = e.local_name();
    let name: &str = name.as_ref();
    if name != "object" {
        return None;
    }
    e.attributes().flatten().find_map(|a| {
        let key = a.key.local_name();
        let key: &str = key.as_ref();
        (key == "t").then(|| a.value.to_string())
    })
}

/// Most open elements (the root, a block, a record, collections and
/// subrecords...). Real exports nest about eight; deeper input would build
/// a subrecord tree whose `Drop` and comparisons recurse.
pub const MAX_NESTING: usize = 256;

/// Most distinct unknown entity names reported per file.
const MAX_ENTITY_WARNINGS: usize = 64;

/// An element being read. Only the innermost block's frames exist at any
/// time, so memory is bounded by the largest block.
enum Frame {
    Root,
    /// A root other than `<DSExport>`, read only up to its first child:
    /// repository-object XML keeps its `<object t="...">` there.
    Foreign(String),
    Block(RawBlock, String),
    Record(RawRecord),
    Collection(RawCollection),
    Sub(RawSub),
    Prop(RawProp, bool),
    /// An element the model has no place for, read and dropped.
    Skip(String),
}

impl Frame {
    fn element(&self) -> &str {
        match self {
            Frame::Root => "DSExport",
            Frame::Foreign(name) => name,
            Frame::Block(_, name) | Frame::Skip(name) => name,
            Frame::Record(_) => "Record",
            Frame::Collection(_) => "Collection",
            Frame::Sub(_) => "SubRecord",
            Frame::Prop(..) => "Property",
        }
    }
}

struct Parser<'s> {
    file: &'s str,
    sink: &'s mut dyn FnMut(XmlItem),
    /// Open elements, outermost first, with the line of each start tag.
    stack: Vec<(Frame, u64)>,
    root_seen: bool,
    doctype_warned: bool,
    replacement_warned: bool,
    unknown_entities: HashSet<String>,
}

type Flow = ControlFlow<()>;

impl<'s> Parser<'s> {
    fn new(file: &'s str, sink: &'s mut dyn FnMut(XmlItem)) -> Self {
        Parser {
            file,
            sink,
            stack: Vec::new(),
            root_seen: false,
            doctype_warned: false,
            replacement_warned: false,
            unknown_entities: HashSet::new(),
        }
    }

    fn loc(&self, line: u64) -> Location {
        Location {
            file: self.file.to_string(),
            line: Some(line),
            member: None,
        }
    }

    /// The block being read, if any: (element, identifier, line).
    fn current_block(&self) -> Option<(&str, &str, u64)> {
        self.stack.iter().find_map(|(f, line)| match f {
            Frame::Block(b, name) => Some((name.as_str(), b.identifier.as_str(), *line)),
            _ => None,
        })
    }

    fn emit(&mut self, mut d: Diagnostic) {
        if let Some((_, id, _)) = self.current_block()
            && !id.is_empty()
        {
            d = d.with_job(id);
        }
        (self.sink)(XmlItem::Problem(d));
    }

    fn run<R: BufRead>(&mut self, reader: &mut Reader<Transcoder<R>>) {
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let line = reader.get_ref().newlines + 1;
            let event = reader.read_event_into(&mut buf);
            if reader.get_ref().had_replacements && !self.replacement_warned {
                self.replacement_warned = true;
                let enc = reader.get_ref().encoding_name();
                let d = Diagnostic::warning(
                    self.loc(line),
                    format!("text valid in the file's encoding ({enc})"),
                    "bytes that are not; replaced with U+FFFD",
                );
                self.emit(d);
            }
            let flow = match event {
                Err(e) => {
                    self.fail(line, &e);
                    ControlFlow::Break(())
                }
                Ok(Event::Eof) => {
                    let line = reader.get_ref().newlines + 1;
                    self.eof(line);
                    ControlFlow::Break(())
                }
                Ok(Event::Start(e)) => self.start(&e, line),
                Ok(Event::Empty(e)) => match self.start(&e, line) {
                    ControlFlow::Continue(()) => self.end(),
                    brk => brk,
                },
                Ok(Event::End(_)) => self.end(),
                Ok(Event::Text(t)) => self.text(&t.xml10_content(), line),
                Ok(Event::CData(c)) => self.text(&c.xml10_content(), line),
                Ok(Event::GeneralRef(r)) => {
                    let name = r.into_inner();
                    let value = self.entity(&name, line);
                    self.text(&value, line)
                }
                Ok(Event::DocType(d)) => {
                    if d.contains("<!ENTITY") && !self.doctype_warned {
                        self.doctype_warned = true;
                        let d = Diagnostic::warning(
                            self.loc(line),
                            "no entity definitions (DataStage does not write a DTD)",
                            "<!DOCTYPE> defining entities; they are not expanded",
                        );
                        self.emit(d);
                    }
                    ControlFlow::Continue(())
                }
                Ok(Event::Decl(_) | Event::PI(_) | Event::Comment(_)) => ControlFlow::Continue(()),
            };
            if flow.is_break() {
                return;
            }
        }
    }

    fn start(&mut self, e: &BytesStart<'_>, line: u64) -> Flow {
        // A block is always the root's child: no search of a deep stack.
        if self.stack.len() >= MAX_NESTING
            && matches!(self.stack.get(1), Some((Frame::Block(..), _)))
        {
            self.drop_block(line);
        }
        let name = e.local_name();
        let name: &str = name.as_ref();
        let frame = match self.stack.last().map(|(f, _)| f) {
            None => {
                if name != "DSExport" {
                    if let Some(t) = repository_object(e) {
                        self.repository_object_xml(line, &t);
                        return ControlFlow::Break(());
                    }
                    self.root_seen = true;
                    self.stack.push((Frame::Foreign(name.to_string()), line));
                    return ControlFlow::Continue(());
                }
                self.root_seen = true;
                Frame::Root
            }
            Some(Frame::Foreign(_)) => {
                match repository_object(e) {
                    Some(t) => self.repository_object_xml(line, &t),
                    None => self.foreign_root(),
                }
                return ControlFlow::Break(());
            }
            Some(Frame::Root) => {
                let attrs = self.attributes(e, line)?;
                let props = attrs
                    .into_iter()
                    .map(|(name, value)| RawProp { name, value, line })
                    .collect::<Vec<_>>();
                if name == "Header" {
                    (self.sink)(XmlItem::Header(RawHeader { props }));
                    Frame::Skip(name.to_string())
                } else {
                    let mut block = RawBlock {
                        tag: block_tag(name),
                        line,
                        ..RawBlock::default()
                    };
                    for p in props {
                        if p.name == "Identifier" {
                            block.identifier = p.value;
                        } else {
                            block.props.push(p);
                        }
                    }
                    Frame::Block(block, name.to_string())
                }
            }
            Some(Frame::Block(..)) if name == "Record" => {
                let mut record = RawRecord {
                    line,
                    ..RawRecord::default()
                };
                for (k, v) in self.attributes(e, line)? {
                    match k.as_str() {
                        "Identifier" => record.identifier = v,
                        "Type" => record.ole_type = v,
                        _ => {}
                    }
                }
                Frame::Record(record)
            }
            Some(Frame::Record(_) | Frame::Sub(_)) if name == "Property" => {
                let mut prop = RawProp {
                    line,
                    ..RawProp::default()
                };
                let mut preformatted = false;
                for (k, v) in self.attributes(e, line)? {
                    match k.as_str() {
                        "Name" => prop.name = v,
                        "PreFormatted" => preformatted = v.trim() == "1",
                        _ => {}
                    }
                }
                Frame::Prop(prop, preformatted)
            }
            Some(Frame::Record(_) | Frame::Sub(_)) if name == "Collection" => {
                let mut coll = RawCollection::default();
                for (k, v) in self.attributes(e, line)? {
                    match k.as_str() {
                        "Name" => coll.name = v,
                        "Type" => coll.class = v,
                        _ => {}
                    }
                }
                Frame::Collection(coll)
            }
            Some(Frame::Collection(_)) if name == "SubRecord" => Frame::Sub(RawSub::default()),
            Some(_) => Frame::Skip(name.to_string()),
        };
        self.stack.push((frame, line));
        ControlFlow::Continue(())
    }

    fn end(&mut self) -> Flow {
        if matches!(self.stack.last(), Some((Frame::Foreign(_), _))) {
            // A foreign root closed with no child: nothing to recognise.
            self.foreign_root();
            return ControlFlow::Break(());
        }
        let Some((frame, _)) = self.stack.pop() else {
            return ControlFlow::Continue(());
        };
        let parent = self.stack.last_mut().map(|(f, _)| f);
        match (frame, parent) {
            // The export is complete: anything after the root is not read.
            (Frame::Root, _) => return ControlFlow::Break(()),
            (Frame::Block(block, _), _) => (self.sink)(XmlItem::Block(block)),
            (Frame::Record(r), Some(Frame::Block(b, _))) => b.records.push(r),
            (Frame::Collection(c), Some(Frame::Record(r))) => r.collections.push(c),
            (Frame::Collection(c), Some(Frame::Sub(s))) => s.collections.push(c),
            (Frame::Sub(s), Some(Frame::Collection(c))) => c.items.push(s),
            (Frame::Prop(mut p, preformatted), parent) => {
                if !preformatted && let std::borrow::Cow::Owned(v) = unescape_hex_codes(&p.value) {
                    p.value = v;
                }
                match parent {
                    Some(Frame::Record(r)) => r.props.push(p),
                    Some(Frame::Sub(s)) => s.props.push(p),
                    _ => {}
                }
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }

    fn text(&mut self, text: &str, line: u64) -> Flow {
        match self.stack.last_mut() {
            Some((Frame::Prop(p, _), _)) => p.value.push_str(text),
            None if !self.root_seen && !text.trim().is_empty() => {
                let d = Diagnostic::skipped(
                    self.loc(line),
                    format!(
                        "text \"{}\" before any XML element: not an XML export",
                        clip(text.trim(), 40)
                    ),
                );
                (self.sink)(XmlItem::Problem(d));
                return ControlFlow::Break(());
            }
            // Indentation between elements, or stray text the model has no
            // place for.
            _ => {}
        }
        ControlFlow::Continue(())
    }

    /// Resolve `&name;`: predefined entities and character references only.
    fn entity(&mut self, name: &str, line: u64) -> String {
        let value = resolve_entity(name);
        if value.is_empty()
            && self.unknown_entities.len() < MAX_ENTITY_WARNINGS
            && self.unknown_entities.insert(name.to_string())
        {
            let d = Diagnostic::warning(
                self.loc(line),
                "a predefined XML entity or a character reference",
                format!("&{};, left out (entities are not expanded)", clip(name, 60)),
            );
            self.emit(d);
        }
        value
    }

    /// Attributes as (local name, unescaped value). A malformed attribute
    /// list is a fatal error.
    fn attributes(
        &mut self,
        e: &BytesStart<'_>,
        line: u64,
    ) -> ControlFlow<(), Vec<(String, String)>> {
        let mut out = Vec::new();
        for attr in e.attributes() {
            match attr {
                Ok(a) => {
                    let key = a.key.local_name();
                    let key: &str = key.as_ref();
                    let value = self.unescape_attr(&a.value, line);
                    out.push((key.to_string(), value));
                }
                Err(err) => {
                    let name = e.local_name();
                    let name: &str = name.as_ref();
                    let d = Diagnostic::error(
                        self.loc(line),
                        format!("well-formed attributes on <{}>", clip(name, 60)),
                        clip(&err.to_string(), 200),
                    );
                    self.emit(d);
                    return ControlFlow::Break(());
                }
            }
        }
        ControlFlow::Continue(out)
    }

    fn unescape_attr(&mut self, raw: &str, line: u64) -> String {
        if !raw.contains('&') {
            return raw.to_string();
        }
        let mut out = String::with_capacity(raw.len());
        let mut rest = raw;
        while let Some(pos) = rest.find('&') {
            out.push_str(&rest[..pos]);
            let after = &rest[pos + 1..];
            match after.find(';') {
                Some(end) if end > 0 => {
                    let value = self.entity(&after[..end], line);
                    out.push_str(&value);
                    rest = &after[end + 1..];
                }
                _ => {
                    out.push('&');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }

    /// The open block nests deeper than [`MAX_NESTING`]: report it and
    /// read the rest of it as elements to skip (a flat stack of names), so
    /// no deeper tree is built and the next block is read as usual.
    fn drop_block(&mut self, line: u64) {
        let context = self.block_context();
        let d = Diagnostic::error(
            self.loc(line),
            format!("elements nested at most {MAX_NESTING} deep{context}"),
            "deeper nesting",
        );
        self.emit(d);
        for (frame, _) in &mut self.stack {
            if !matches!(frame, Frame::Root | Frame::Skip(_)) {
                let name = frame.element().to_string();
                *frame = Frame::Skip(name);
            }
        }
    }

    /// Context of the innermost open block, for error messages.
    fn block_context(&self) -> String {
        match self.current_block() {
            Some((element, id, line)) if !id.is_empty() => {
                format!(
                    " (in <{element}> \"{}\" from line {line}, which is dropped)",
                    clip(id, 80)
                )
            }
            Some((element, _, line)) => {
                format!(" (in <{element}> from line {line}, which is dropped)")
            }
            None => String::new(),
        }
    }

    /// The file's root is not `<DSExport>` and holds no repository object:
    /// not a DataStage export.
    fn foreign_root(&mut self) {
        let Some((Frame::Foreign(name), line)) = self.stack.first() else {
            return;
        };
        let d = Diagnostic::skipped(
            self.loc(*line),
            format!(
                "XML root element <{}>, not <DSExport>: not a DataStage export",
                clip(name, 60)
            ),
        );
        (self.sink)(XmlItem::Problem(d));
    }

    /// DataStage repository objects (`<object t="JobDefn">` with `<attr k=
    /// t= v=>` children): DataStage, but a form this reader does not know;
    /// an error row that says how to export the jobs instead.
    fn repository_object_xml(&mut self, line: u64, object_type: &str) {
        let d = Diagnostic::error(
            self.loc(line),
            "a DataStage export (DSX, DSExport XML or ISX)",
            format!(
                "{REPOSITORY_OBJECT_XML} (first object: <object t=\"{}\">)",
                clip(object_type, 60)
            ),
        );
        (self.sink)(XmlItem::Problem(d));
    }

    fn fail(&mut self, line: u64, err: &XmlError) {
        if matches!(self.stack.last(), Some((Frame::Foreign(_), _))) {
            // Only the root was read, and it is not an export's.
            self.foreign_root();
            return;
        }
        let context = self.block_context();
        let (expected, found) = match err {
            XmlError::IllFormed(IllFormedError::MismatchedEndTag { expected, found }) => {
                let opened = self
                    .stack
                    .last()
                    .map(|(_, l)| format!(" for the start tag at line {l}"))
                    .unwrap_or_default();
                (
                    format!("</{}>{opened}{context}", clip(expected, 60)),
                    format!("</{}>", clip(found, 60)),
                )
            }
            XmlError::IllFormed(IllFormedError::UnmatchedEndTag(tag)) => (
                format!("an end tag matching an open element{context}"),
                format!("</{}>", clip(tag, 60)),
            ),
            XmlError::Syntax(s) => (
                format!("well-formed XML{context}"),
                format!("{s} (truncated file?)"),
            ),
            other => (
                format!("well-formed XML{context}"),
                clip(&other.to_string(), 200),
            ),
        };
        let d = Diagnostic::error(self.loc(line), expected, found);
        self.emit(d);
    }

    fn eof(&mut self, line: u64) {
        if !self.root_seen {
            let d = Diagnostic::skipped(self.loc(line), "no XML root element: empty or not XML");
            (self.sink)(XmlItem::Problem(d));
            return;
        }
        if matches!(self.stack.last(), Some((Frame::Foreign(_), _))) {
            self.foreign_root();
            return;
        }
        let Some((frame, opened)) = self.stack.last() else {
            return;
        };
        let element = frame.element().to_string();
        let opened = *opened;
        let context = self.block_context();
        let d = Diagnostic::error(
            self.loc(line),
            format!(
                "</{}> for the start tag at line {opened}{context}",
                clip(&element, 60)
            ),
            "end of file (truncated export?)",
        );
        self.emit(d);
    }
}

/// How many bytes are looked at to find a BOM or an XML declaration.
const SNIFF_LEN: usize = 1024;

/// A `BufRead` adapter that transcodes the input to UTF-8 and counts the
/// newlines consumed, so the reader's position has a line number.
struct Transcoder<R> {
    inner: std::io::Chain<Cursor<Vec<u8>>, R>,
    decoder: encoding_rs::Decoder,
    out: Box<[u8]>,
    pos: usize,
    len: usize,
    finished: bool,
    newlines: u64,
    had_replacements: bool,
    /// Encoding named by the declaration but unknown (read as UTF-8).
    unknown_label: Option<String>,
}

impl<R: BufRead> Transcoder<R> {
    fn open(mut reader: R) -> io::Result<Self> {
        let mut prefix = Vec::with_capacity(SNIFF_LEN);
        while prefix.len() < SNIFF_LEN {
            let available = match reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                break;
            }
            let n = available.len().min(SNIFF_LEN - prefix.len());
            prefix.extend_from_slice(&available[..n]);
            reader.consume(n);
        }
        let (encoding, unknown_label) = sniff_encoding(&prefix);
        Ok(Transcoder {
            inner: Cursor::new(prefix).chain(reader),
            // BOM sniffing: a BOM overrides the declared encoding.
            decoder: encoding.new_decoder(),
            out: vec![0; 16 * 1024].into_boxed_slice(),
            pos: 0,
            len: 0,
            finished: false,
            newlines: 0,
            had_replacements: false,
            unknown_label,
        })
    }

    fn encoding_name(&self) -> &'static str {
        self.decoder.encoding().name()
    }
}

/// Encoding from a BOM, the UTF-16 shape of `<?`, or the declaration.
fn sniff_encoding(prefix: &[u8]) -> (&'static encoding_rs::Encoding, Option<String>) {
    if let Some((enc, _)) = encoding_rs::Encoding::for_bom(prefix) {
        return (enc, None);
    }
    if prefix.starts_with(&[0, b'<', 0, b'?']) {
        return (encoding_rs::UTF_16BE, None);
    }
    if prefix.starts_with(&[b'<', 0, b'?', 0]) {
        return (encoding_rs::UTF_16LE, None);
    }
    if let Some(label) = declared_encoding(prefix) {
        return match encoding_rs::Encoding::for_label(label.as_bytes()) {
            // A declared UTF-16 on ASCII-shaped bytes is wrong: bytes win.
            Some(enc) if enc.is_ascii_compatible() && enc != encoding_rs::REPLACEMENT => {
                (enc, None)
            }
            Some(_) => (encoding_rs::UTF_8, None),
            None => (encoding_rs::UTF_8, Some(label)),
        };
    }
    (encoding_rs::UTF_8, None)
}

/// The `encoding="..."` of a leading `<?xml ...?>` declaration.
fn declared_encoding(prefix: &[u8]) -> Option<String> {
    let rest = prefix.strip_prefix(b"<?xml")?;
    let end = rest.windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&rest[..end]).ok()?;
    let at = decl.find("encoding")?;
    let after = decl[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = after.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &after[1..];
    let close = value.find(quote)?;
    Some(value[..close].trim().to_string())
}

impl<R: BufRead> Read for Transcoder<R> {
    fn read(&mut self, dst: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(dst.len());
        dst[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Transcoder<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pos == self.len && !self.finished {
            let src = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            let last = src.is_empty();
            let (result, read, written, replaced) =
                self.decoder.decode_to_utf8(src, &mut self.out, last);
            self.inner.consume(read);
            self.pos = 0;
            self.len = written;
            self.had_replacements |= replaced;
            if last && result == encoding_rs::CoderResult::InputEmpty {
                self.finished = true;
            }
        }
        Ok(&self.out[self.pos..self.len])
    }

    fn consume(&mut self, amt: usize) {
        let end = (self.pos + amt).min(self.len);
        self.newlines += self.out[self.pos..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        self.pos = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::Severity;
    use std::time::{Duration, Instant};

    fn read_bytes(bytes: &[u8]) -> Vec<XmlItem> {
        let mut items = Vec::new();
        read_export(bytes, "t.xml", &mut |i| items.push(i));
        items
    }

    fn read(s: &str) -> Vec<XmlItem> {
        read_bytes(s.as_bytes())
    }

    fn blocks(items: &[XmlItem]) -> Vec<&RawBlock> {
        items
            .iter()
            .filter_map(|i| match i {
                XmlItem::Block(b) => Some(b),
                _ => None,
            })
            .collect()
    }

    fn problems(items: &[XmlItem]) -> Vec<&Diagnostic> {
        items
            .iter()
            .filter_map(|i| match i {
                XmlItem::Problem(d) => Some(d),
                _ => None,
            })
            .collect()
    }

    fn line_of(src: &str, needle: &str) -> u64 {
        let at = src.find(needle).expect("needle in source");
        src[..at].matches('\n').count() as u64 + 1
    }

    const SMALL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<DSExport>
  <Header CharacterSet="CP1252" ServerVersion="11.7" ToolInstanceID="PROJ" Date="2024-01-02"/>
  <Job Identifier="TestJob" DateModified="2024-01-02" TimeModified="10.11.12">
    <Record Identifier="ROOT" Type="JobDefn" Readonly="0">
      <Property Name="Name">TestJob</Property>
      <Property Name="JobType">3</Property>
      <Collection Name="Parameters" Type="Parameters">
        <SubRecord>
          <Property Name="Name">APPLDIR</Property>
          <Property Name="Prompt">Application dir</Property>
          <Property Name="Default">/data/app</Property>
          <Property Name="ParamType">0</Property>
        </SubRecord>
        <SubRecord>
          <Property Name="Name">RUN_DATE</Property>
          <Property Name="ParamType">0</Property>
        </SubRecord>
      </Collection>
    </Record>
    <Record Identifier="V0S1" Type="TransformerStage" Readonly="0">
      <Property Name="Name">xfm</Property>
      <Property Name="InputPins">V0S1P1</Property>
      <Property Name="OutputPins">V0S1P2</Property>
      <Property Name="StageType">CTransformerStage</Property>
    </Record>
    <Record Identifier="V0S1P1" Type="TrxInput" Readonly="0">
      <Property Name="Name">lnk_in</Property>
      <Property Name="Partner">V0S0|V0S0P1</Property>
      <Collection Name="Columns" Type="InputColumn">
        <SubRecord>
          <Property Name="Name">ID</Property>
          <Property Name="SqlType">4</Property>
        </SubRecord>
      </Collection>
    </Record>
    <Record Identifier="V0S1P2" Type="TrxOutput" Readonly="0">
      <Property Name="Name">lnk_out</Property>
      <Property Name="Partner">V0S2|V0S2P1</Property>
      <Collection Name="Columns" Type="OutputColumn">
        <SubRecord>
          <Property Name="Name">FLAG</Property>
          <Property Name="Derivation" PreFormatted="1">If lnk_in.ID &lt; 10 &amp;&amp; 1
Then "a\(2)b"
Else &quot;c&quot;</Property>
          <Property Name="Description">tab\(9)sep &#x41;&#66;</Property>
          <Property Name="Empty"></Property>
          <Property Name="Blank">  </Property>
        </SubRecord>
      </Collection>
    </Record>
  </Job>
  <SharedContainer Identifier="SC1" DateModified="2024-01-03">
    <Record Identifier="ROOT" Type="ContainerDefn" Readonly="0">
      <Property Name="Name">SC1</Property>
    </Record>
  </SharedContainer>
  <TableDefinitions>
    <Record Identifier="Saved\\T1" Type="MetaTable" Readonly="0"/>
  </TableDefinitions>
  <Fancy Identifier="F"/>
</DSExport>
"#;

    fn demo_path() -> std::path::PathBuf {
        let rel = "shared/corpus/real/astronomer__orbiter-community-translations/demo.xml";
        let p = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../")).join(rel);
        if p.exists() {
            p
        } else {
            std::path::PathBuf::from("/work/").join(rel)
        }
    }

    #[test]
    fn real_demo_export_yields_header_and_one_job() {
        let bytes = std::fs::read(demo_path()).expect("demo.xml readable");
        let items = read_bytes(&bytes);
        assert!(problems(&items).is_empty(), "{:?}", problems(&items));
        let XmlItem::Header(h) = &items[0] else {
            panic!("first item is not the header: {:?}", items[0]);
        };
        assert_eq!(h.get("CharacterSet"), Some("CP1252"));
        assert_eq!(h.get("ServerVersion"), Some("11.7"));
        let bs = blocks(&items);
        assert_eq!(bs.len(), 1);
        let job = bs[0];
        assert_eq!(job.tag, "DSJOB");
        assert_eq!(job.identifier, "DataStage_Job");
        assert_eq!(job.line, 6);
        assert_eq!(
            crate::parse::raw::get(&job.props, "DateModified"),
            Some("2020-11-27")
        );
        assert_eq!(
            crate::parse::raw::get(&job.props, "TimeModified"),
            Some("05.07.33")
        );
        assert_eq!(job.records.len(), 2);
        let (s0, s1) = (&job.records[0], &job.records[1]);
        assert_eq!(
            (s0.identifier.as_str(), s0.ole_type.as_str()),
            ("V253S0", "CustomStage")
        );
        assert_eq!(s0.line, 7);
        assert_eq!(s0.get("Name"), Some("SELECT_TABLE"));
        assert_eq!(s0.get("NextRecordID"), Some("0"));
        let props = s0.collection("Properties").expect("Properties");
        assert_eq!(props.class, "CustomProperty");
        let xml = props
            .items
            .iter()
            .find(|s| s.get("Name") == Some("XMLProperties"))
            .expect("XMLProperties");
        let value = xml.get("Value").unwrap();
        assert!(value.starts_with("<?xml version='1.0'"), "{value:.60}");
        assert!(value.contains("<![CDATA[#DB.$snowflake_userid#]]>"));
        assert_eq!(s1.identifier, "V253S1");
        assert_eq!(s1.get("Name"), Some("Peek_SF_Ld"));
        assert_eq!(s1.get("StageType"), Some("PxPeek"));
        assert_eq!(s1.get("InputPins"), Some("V253S1P1"));
        let p1 = s1.collection("Properties").unwrap();
        assert_eq!(p1.items.len(), 6);
        assert_eq!(p1.items[1].get("Value"), Some("10"));
        // `\(20)` is a space.
        assert_eq!(p1.items[0].get("Value"), Some(" "));
    }

    #[test]
    fn small_export_with_root_transformer_and_pins() {
        let items = read(SMALL);
        assert!(problems(&items).is_empty(), "{:?}", problems(&items));
        let XmlItem::Header(h) = &items[0] else {
            panic!()
        };
        assert_eq!(h.get("ToolInstanceID"), Some("PROJ"));
        let bs = blocks(&items);
        let tags: Vec<_> = bs
            .iter()
            .map(|b| (b.tag.as_str(), b.identifier.as_str()))
            .collect();
        assert_eq!(
            tags,
            [
                ("DSJOB", "TestJob"),
                ("DSSHAREDCONTAINER", "SC1"),
                ("DSTABLEDEFS", ""),
                ("DSFANCY", "F")
            ]
        );
        let job = bs[0];
        assert_eq!(job.props.len(), 2);
        let root = &job.records[0];
        assert_eq!(
            (root.identifier.as_str(), root.class()),
            ("ROOT", "JobDefn")
        );
        let params = root.collection("Parameters").unwrap();
        assert_eq!(params.class, "Parameters");
        assert_eq!(params.items.len(), 2);
        assert_eq!(params.items[0].get("Default"), Some("/data/app"));
        assert_eq!(params.items[1].get("Name"), Some("RUN_DATE"));
        assert_eq!(job.records[1].class(), "TransformerStage");
        let pin_in = &job.records[2];
        assert_eq!(
            pin_in.collection("Columns").unwrap().items[0].get("SqlType"),
            Some("4")
        );
        let col = &job.records[3].collection("Columns").unwrap().items[0];
        assert_eq!(
            job.records[3].collection("Columns").unwrap().class,
            "OutputColumn"
        );
        assert_eq!(
            col.get("Derivation"),
            Some("If lnk_in.ID < 10 && 1\nThen \"a\\(2)b\"\nElse \"c\"")
        );
        assert_eq!(col.get("Description"), Some("tab\tsep AB"));
        assert_eq!(col.get("Empty"), Some(""));
        assert_eq!(col.get("Blank"), Some("  "));
        // Attribute values are unescaped (`\\` is literal in XML).
        assert_eq!(bs[2].records[0].identifier, "Saved\\\\T1");
    }

    #[test]
    fn non_escaped_property_decodes_hex_escape_2() {
        let src = r#"<DSExport><Job Identifier="J"><Record Identifier="V0S0" Type="CustomStage">
<Property Name="Tree">\(1)\(3)name\(2)value\(2)0</Property></Record></Job></DSExport>"#;
        let items = read(src);
        let b = blocks(&items);
        assert_eq!(
            b[0].records[0].get("Tree"),
            Some("\u{1}\u{3}name\u{2}value\u{2}0")
        );
    }

    #[test]
    fn line_numbers_of_blocks_records_and_props() {
        let items = read(SMALL);
        let bs = blocks(&items);
        let job = bs[0];
        assert_eq!(job.line, 4);
        assert_eq!(job.records[0].line, 5);
        assert_eq!(job.records[0].props[0].line, 6);
        let xfm = &job.records[1];
        assert_eq!(xfm.line, line_of(SMALL, r#"<Record Identifier="V0S1" "#));
        assert_eq!(xfm.line, 21);
        let col = &job.records[3].collection("Columns").unwrap().items[0];
        let desc = col.props.iter().find(|p| p.name == "Description").unwrap();
        assert_eq!(
            desc.line,
            line_of(SMALL, r#"<Property Name="Description">"#)
        );
        assert_eq!(bs[1].line, line_of(SMALL, "<SharedContainer"));
    }

    #[test]
    fn crlf_input_reads_like_lf_input() {
        let crlf = SMALL.replace('\n', "\r\n");
        assert_eq!(read(&crlf), read(SMALL));
    }

    #[test]
    fn non_dsexport_root_is_skipped() {
        let items = read("<?xml version=\"1.0\"?>\n<project>\n<Job Identifier=\"X\"/></project>");
        assert_eq!(items.len(), 1);
        let XmlItem::Problem(d) = &items[0] else {
            panic!()
        };
        assert_eq!(d.severity, Severity::Skipped);
        assert_eq!(d.location.line, Some(2));
        assert_eq!(
            d.found,
            "XML root element <project>, not <DSExport>: not a DataStage export"
        );
    }

    #[test]
    fn repository_object_xml_is_named_not_skipped() {
        for (src, line) in [
            (
                "<?xml version=\"1.0\"?>\n<object t=\"JobDefn\" n=\"J\">\n<attr k=\"1\" t=\"s\" v=\"x\"/></object>",
                2,
            ),
            (
                "<?xml version=\"1.0\"?>\n<repository>\n  <object t=\"JobDefn\">\n<attr k=\"1\" t=\"s\" v=\"x\"/></object></repository>",
                3,
            ),
            ("<objects><object t=\"JobDefn\"/></objects>", 1),
            // Only the root is read: a truncated file is still recognised.
            ("<r>\n<object t='JobDefn'><attr k=", 2),
        ] {
            let items = read(src);
            assert_eq!(items.len(), 1, "{src}: {items:?}");
            let XmlItem::Problem(d) = &items[0] else {
                panic!()
            };
            assert_eq!(d.severity, Severity::Error, "{src}");
            assert_eq!(
                d.found,
                format!("{REPOSITORY_OBJECT_XML} (first object: <object t=\"JobDefn\">)")
            );
            assert_eq!(d.location.line, Some(line), "{src}");
        }
        // Other roots stay skipped, whatever follows them.
        for src in [
            "<project/>",
            "<project></project>",
            "<project>text only</project>",
            "<project><object n=\"no type\"/></project>",
            "<project><item/><object t=\"JobDefn\"/></project>",
            "<project>\n<unclosed",
            "<project>",
        ] {
            let items = read(src);
            assert_eq!(items.len(), 1, "{src}: {items:?}");
            let XmlItem::Problem(d) = &items[0] else {
                panic!()
            };
            assert_eq!(d.severity, Severity::Skipped, "{src}");
            assert_eq!(
                d.found, "XML root element <project>, not <DSExport>: not a DataStage export",
                "{src}"
            );
            assert_eq!(d.location.line, Some(1), "{src}");
        }
    }

    #[test]
    fn non_xml_and_empty_inputs_are_skipped() {
        for src in [
            "",
            "BEGIN HEADER\n   CharacterSet \"CP1252\"\nEND HEADER\n",
            "   \n",
        ] {
            let items = read(src);
            assert_eq!(items.len(), 1, "{src:?}");
            let XmlItem::Problem(d) = &items[0] else {
                panic!()
            };
            assert_eq!(d.severity, Severity::Skipped, "{src:?}");
        }
    }

    #[test]
    fn truncated_job_is_an_error_and_not_emitted() {
        let cut = SMALL.find(r#"<Record Identifier="V0S1P2""#).unwrap();
        for src in [&SMALL[..cut], &SMALL[..cut + 12]] {
            let items = read(src);
            assert!(blocks(&items).is_empty(), "{src}");
            let ps = problems(&items);
            assert_eq!(ps.len(), 1);
            let d = ps[0];
            assert_eq!(d.severity, Severity::Error);
            assert_eq!(d.job.as_deref(), Some("TestJob"));
            assert!(d.location.line.unwrap() >= 37, "{d}");
            assert!(matches!(items.last(), Some(XmlItem::Problem(_))));
        }
    }

    #[test]
    fn truncation_in_second_block_keeps_the_first() {
        let cut = SMALL.find(r#"<Property Name="Name">SC1"#).unwrap();
        let items = read(&SMALL[..cut]);
        let bs = blocks(&items);
        assert_eq!(bs.len(), 1);
        assert_eq!(bs[0].identifier, "TestJob");
        let ps = problems(&items);
        assert_eq!(ps.len(), 1);
        assert_eq!(ps[0].job.as_deref(), Some("SC1"));
        assert!(ps[0].expected.contains("</Record>"), "{}", ps[0]);
        assert_eq!(ps[0].found, "end of file (truncated export?)");
    }

    #[test]
    fn mismatched_end_tag_is_an_error_with_its_line() {
        let src = "<DSExport>\n<Job Identifier=\"A\"><Record Identifier=\"ROOT\" Type=\"JobDefn\"></Record></Job>\n<Job Identifier=\"B\">\n<Record Identifier=\"ROOT\" Type=\"JobDefn\">\n</Job>\n</DSExport>\n";
        let items = read(src);
        assert_eq!(blocks(&items).len(), 1);
        let ps = problems(&items);
        assert_eq!(ps.len(), 1);
        assert_eq!(ps[0].severity, Severity::Error);
        assert_eq!(ps[0].location.line, Some(5));
        assert_eq!(ps[0].job.as_deref(), Some("B"));
        assert!(
            ps[0]
                .expected
                .starts_with("</Record> for the start tag at line 4"),
            "{}",
            ps[0]
        );
        assert_eq!(ps[0].found, "</Job>");
    }

    #[test]
    fn doctype_entity_bomb_is_not_expanded() {
        let mut src =
            String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE DSExport [\n <!ENTITY lol \"lol\">\n");
        for i in 1..10 {
            let prev = if i == 1 {
                "lol".to_string()
            } else {
                format!("lol{}", i - 1)
            };
            src.push_str(&format!(
                " <!ENTITY lol{i} \"{}\">\n",
                format!("&{prev};").repeat(10)
            ));
        }
        src.push_str(
            "]>\n<DSExport><Job Identifier=\"J\"><Record Identifier=\"ROOT\" Type=\"JobDefn\">\n",
        );
        src.push_str(
            "<Property Name=\"Name\">a&lol9;b&amp;&lol9;</Property></Record></Job></DSExport>\n",
        );
        let start = Instant::now();
        let items = read(&src);
        assert!(start.elapsed() < Duration::from_secs(5));
        let ps = problems(&items);
        assert_eq!(ps.len(), 2, "{ps:?}");
        assert!(ps.iter().all(|d| d.severity == Severity::Warning));
        assert!(ps[0].found.contains("DOCTYPE"));
        assert!(ps[1].found.contains("&lol9;"));
        assert_eq!(ps[1].job.as_deref(), Some("J"));
        assert_eq!(ps[1].location.line, Some(line_of(&src, "<Property")));
        let bs = blocks(&items);
        assert_eq!(bs[0].records[0].get("Name"), Some("ab&"));
    }

    #[test]
    fn jobs_with_the_same_identifier_are_both_emitted() {
        let job = r#"<Job Identifier="Same"><Record Identifier="ROOT" Type="JobDefn"/></Job>"#;
        let items = read(&format!("<DSExport>{job}\n{job}</DSExport>"));
        let bs = blocks(&items);
        assert_eq!(bs.len(), 2);
        assert!(bs.iter().all(|b| b.identifier == "Same"));
        assert_eq!(bs[1].line, 2);
    }

    #[test]
    fn nested_collections_in_subrecords() {
        let src = r#"<DSExport><Job Identifier="J"><Record Identifier="V0S0" Type="CustomStage">
<Collection Name="Outer" Type="X"><SubRecord><Property Name="A">1</Property>
<Collection Name="Inner" Type="Y"><SubRecord><Property Name="B">2</Property></SubRecord></Collection>
</SubRecord></Collection></Record></Job></DSExport>"#;
        let items = read(src);
        let rec = &blocks(&items)[0].records[0];
        let outer = rec.collection("Outer").unwrap();
        assert_eq!(outer.items[0].get("A"), Some("1"));
        assert_eq!(outer.items[0].collections[0].name, "Inner");
        assert_eq!(outer.items[0].collections[0].items[0].get("B"), Some("2"));
    }

    #[test]
    fn windows_1252_declaration_is_honoured() {
        let mut bytes =
            b"<?xml version=\"1.0\" encoding=\"windows-1252\"?>\n<DSExport><Job Identifier=\"Caf"
                .to_vec();
        bytes.push(0xE9);
        bytes.extend_from_slice(
            b"\"><Record Identifier=\"ROOT\" Type=\"JobDefn\"><Property Name=\"D\">",
        );
        bytes.extend_from_slice(&[0x80, b'5']);
        bytes.extend_from_slice(b"</Property></Record></Job></DSExport>");
        let items = read_bytes(&bytes);
        assert!(problems(&items).is_empty(), "{items:?}");
        let b = blocks(&items)[0];
        assert_eq!(b.identifier, "Café");
        assert_eq!(b.records[0].get("D"), Some("€5"));
    }

    #[test]
    fn utf16_with_bom_is_decoded() {
        let src = "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<DSExport>\n<Job Identifier=\"Ünï\">\n<Record Identifier=\"ROOT\" Type=\"JobDefn\"/></Job></DSExport>";
        for big_endian in [false, true] {
            let mut bytes = if big_endian {
                vec![0xFE, 0xFF]
            } else {
                vec![0xFF, 0xFE]
            };
            for unit in src.encode_utf16() {
                let b = if big_endian {
                    unit.to_be_bytes()
                } else {
                    unit.to_le_bytes()
                };
                bytes.extend_from_slice(&b);
            }
            let items = read_bytes(&bytes);
            assert!(problems(&items).is_empty(), "{items:?}");
            let b = blocks(&items)[0];
            assert_eq!(b.identifier, "Ünï");
            assert_eq!(b.line, 3);
            assert_eq!(b.records[0].line, 4);
        }
    }

    #[test]
    fn invalid_utf8_is_replaced_with_one_warning() {
        let mut bytes = b"<DSExport><Job Identifier=\"J\"><Record Identifier=\"ROOT\" Type=\"JobDefn\"><Property Name=\"D\">a".to_vec();
        bytes.extend_from_slice(&[0xFF, 0xFE, b'b']);
        bytes.extend_from_slice(b"</Property></Record></Job></DSExport>");
        let items = read_bytes(&bytes);
        let ps = problems(&items);
        assert_eq!(ps.len(), 1);
        assert_eq!(ps[0].severity, Severity::Warning);
        assert_eq!(
            blocks(&items)[0].records[0].get("D"),
            Some("a\u{FFFD}\u{FFFD}b")
        );
    }

    /// A reader that generates a large export on the fly.
    struct Generated {
        jobs: usize,
        next: usize,
        pending: Vec<u8>,
        pos: usize,
    }

    impl Read for Generated {
        fn read(&mut self, dst: &mut [u8]) -> io::Result<usize> {
            if self.pos == self.pending.len() {
                self.pending.clear();
                self.pos = 0;
                if self.next == 0 {
                    self.pending
                        .extend_from_slice(b"<?xml version=\"1.0\"?>\n<DSExport>\n");
                }
                if self.next < self.jobs {
                    let job = format!(
                        "<Job Identifier=\"J{}\"><Record Identifier=\"ROOT\" Type=\"JobDefn\">\n<Property Name=\"Name\">J{}</Property></Record></Job>\n",
                        self.next, self.next
                    );
                    self.pending.extend_from_slice(job.as_bytes());
                } else if self.next == self.jobs {
                    self.pending.extend_from_slice(b"</DSExport>\n");
                } else {
                    return Ok(0);
                }
                self.next += 1;
            }
            let n = (self.pending.len() - self.pos).min(dst.len());
            dst[..n].copy_from_slice(&self.pending[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }

    #[test]
    fn streams_many_jobs_one_at_a_time() {
        let source = Generated {
            jobs: 5000,
            next: 0,
            pending: Vec::new(),
            pos: 0,
        };
        let mut count = 0usize;
        let mut last_line = 0;
        read_export(
            io::BufReader::new(source),
            "big.xml",
            &mut |item| match item {
                XmlItem::Block(b) => {
                    assert_eq!(b.identifier, format!("J{count}"));
                    last_line = b.line;
                    count += 1;
                }
                other => panic!("unexpected {other:?}"),
            },
        );
        assert_eq!(count, 5000);
        assert_eq!(last_line, 3 + 2 * 4999);
    }

    #[test]
    fn block_tags_follow_dsx_names() {
        assert_eq!(block_tag("Job"), "DSJOB");
        assert_eq!(block_tag("Routine"), "DSROUTINES");
        assert_eq!(block_tag("ParameterSets"), "DSPARAMETERSETS");
        assert_eq!(block_tag("StageTypes"), "DSSTAGETYPES");
        assert_eq!(block_tag("DataConnections"), "DSDATACONNECTIONS");
        assert_eq!(block_tag("DataTypes"), "DSDATATYPES");
        assert_eq!(block_tag("ExecJob"), "DSEXECJOB");
    }

    #[test]
    fn declared_encoding_is_found() {
        assert_eq!(
            declared_encoding(b"<?xml version='1.0' encoding = 'ISO-8859-1' ?><a/>").as_deref(),
            Some("ISO-8859-1")
        );
        assert_eq!(
            declared_encoding(b"<?xml version='1.0'?><a encoding='x'/>"),
            None
        );
        assert_eq!(declared_encoding(b"<a/>"), None);
        let (enc, unknown) = sniff_encoding(b"<?xml version='1.0' encoding='bogus-9'?>");
        assert_eq!(
            (enc, unknown.as_deref()),
            (encoding_rs::UTF_8, Some("bogus-9"))
        );
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        #[derive(Debug, Clone)]
        enum Mutation {
            Truncate(usize),
            Delete(usize, usize),
            Insert(usize, Vec<u8>),
            Flip(usize, u8),
        }

        fn mutation() -> impl Strategy<Value = Mutation> {
            prop_oneof![
                any::<usize>().prop_map(Mutation::Truncate),
                (any::<usize>(), 0usize..40).prop_map(|(a, n)| Mutation::Delete(a, n)),
                (
                    any::<usize>(),
                    prop::collection::vec(
                        prop_oneof![
                            Just(b'<'),
                            Just(b'>'),
                            Just(b'&'),
                            Just(b'"'),
                            Just(b'/'),
                            Just(b';'),
                            Just(b'\n'),
                            any::<u8>()
                        ],
                        0..8,
                    )
                )
                    .prop_map(|(a, v)| Mutation::Insert(a, v)),
                (any::<usize>(), any::<u8>()).prop_map(|(a, b)| Mutation::Flip(a, b)),
            ]
        }

        fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
            let len = bytes.len().max(1);
            match m {
                Mutation::Truncate(a) => bytes.truncate(a % len),
                Mutation::Delete(a, n) => {
                    let start = (a % len).min(bytes.len());
                    let end = (start + n).min(bytes.len());
                    bytes.drain(start..end);
                }
                Mutation::Insert(a, v) => {
                    let at = (a % len).min(bytes.len());
                    bytes.splice(at..at, v.iter().copied());
                }
                Mutation::Flip(a, b) => {
                    if !bytes.is_empty() {
                        let at = a % bytes.len();
                        bytes[at] = *b;
                    }
                }
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
                let items = read_bytes(&bytes);
                prop_assert!(items.len() <= bytes.len() + 2);
            }

            #[test]
            fn mutated_exports_never_panic(ms in prop::collection::vec(mutation(), 1..6)) {
                let mut bytes = SMALL.as_bytes().to_vec();
                for m in &ms {
                    apply(&mut bytes, m);
                }
                let items = read_bytes(&bytes);
                // A truncated or broken export ends with a problem unless the
                // damage left it well-formed.
                if let Some(XmlItem::Problem(d)) = items.last() {
                    prop_assert!(d.location.line.is_some());
                }
            }
        }
    }
}
