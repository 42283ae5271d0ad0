//! `split(file)`: the slices of an export, keyed by the file's content.
//! A DSX file streams past once; each top-level block becomes a slice
//! keyed by its own bytes, and blocks whose `job_ir` is not known yet are
//! lexed and built right there, in parallel, while the bytes are at hand.
//! XML and ISX files are one slice each (read whole by their readers).

use std::path::Path;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::engine::db::Db;
use crate::engine::job_ir::{self, known};
use crate::engine::query::{Query, fetch, key_of};
use crate::engine::source::SourceFile;
use crate::engine::{Ctx, Phase};
use crate::ir::{Location, SourceFormat};
use crate::parse::diag::Diagnostic;
use crate::parse::dsx::{self, Item};
use crate::parse::input::{self, FileSummary, Opened};
use crate::parse::{build, isx};
use crate::store::Hash;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SliceInfo {
    pub slice: Hash,
    /// Absolute line = base + the entity's relative line. DSX: the block's
    /// first line − 1; XML: 0; ISX: 0 (entities carry members instead).
    pub base: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct SplitResult {
    pub format: Option<SourceFormat>,
    pub gzip: bool,
    pub slices: Vec<SliceInfo>,
    /// Problems of the file as a whole (unreadable, skipped, truncated
    /// between blocks); file names left empty.
    pub diagnostics: Vec<Diagnostic>,
}

/// `split` as a query: keyed by the file's content (the path only says
/// where to read it).
pub struct Split<'a> {
    pub content: Hash,
    pub path: &'a str,
}

impl Query for Split<'_> {
    const PHASE: Phase = Phase::Split;
    const VERSION: u32 = 1;
    type Value = SplitResult;

    fn key(&self, ctx: &Ctx) -> Hash {
        key_of::<Self>(ctx, &[&self.content])
    }

    fn compute(&self, ctx: &Ctx) -> Option<SplitResult> {
        Some(stream_file(ctx, self.path, self.content))
    }
}

#[salsa::tracked(returns(ref))]
pub fn split(db: &dyn Db, file: SourceFile) -> SplitResult {
    let q = Split {
        content: file.content(db),
        path: file.path(db),
    };
    fetch(db.ctx(), &q).value.unwrap_or_default()
}

/// Read a file once: find its slices, and compute `job_ir` for each slice
/// not known yet. Shared by `split` and by `job_ir` when a stored split
/// outlived its slices' results.
pub fn stream_file(ctx: &Ctx, path: &str, content: Hash) -> SplitResult {
    let mut summary = FileSummary {
        path: path.to_string(),
        format: None,
        gzip: false,
        bytes: 0,
        jobs: 0,
        entities: 0,
        errors: 0,
        isx_members: None,
    };
    let opened = input::open(Path::new(path), path, &ctx.limits, &mut summary);
    let mut result = SplitResult {
        format: summary.format,
        gzip: summary.gzip,
        ..SplitResult::default()
    };
    match opened {
        Err(d) => result.diagnostics.push(d),
        Ok(Opened::NotAnExport(d)) => result.diagnostics.push(d),
        Ok(Opened::Dsx(reader)) => split_dsx(ctx, reader, path, &mut result),
        Ok(Opened::Xml(reader)) => {
            result.slices.push(SliceInfo {
                slice: content,
                base: 0,
            });
            if !known(ctx, &content) {
                let mut entities = Vec::new();
                let mut diags = Vec::new();
                input::read_xml(reader, path, &mut entities, &mut diags);
                finish_whole_file(ctx, content, entities, diags);
            }
        }
        Ok(Opened::Zip(bytes)) => {
            let (entities, diags) = isx::read_isx(&bytes, path, &ctx.limits);
            let skipped = entities.is_empty()
                && diags
                    .iter()
                    .any(|d| d.severity == crate::parse::Severity::Skipped);
            if skipped {
                result.format = None;
                result.diagnostics.extend(diags);
            } else {
                result.slices.push(SliceInfo {
                    slice: content,
                    base: 0,
                });
                if !known(ctx, &content) {
                    finish_whole_file(ctx, content, entities, diags);
                }
            }
        }
    }
    for d in &mut result.diagnostics {
        d.location.file.clear();
    }
    result.diagnostics.sort();
    result
}

fn finish_whole_file(
    ctx: &Ctx,
    slice: Hash,
    entities: Vec<crate::ir::Located>,
    mut diags: Vec<Diagnostic>,
) {
    for d in &mut diags {
        d.location.file.clear();
    }
    diags.sort();
    let built = entities
        .into_iter()
        .map(|l| (l.entity, l.location.line, l.location.member, l.format))
        .collect();
    job_ir::record(ctx, slice, built, diags);
}

/// A DSX slice's key: the block's bytes without carriage returns (so a
/// CRLF copy of an export is the same slice), and the character set the
/// bytes are decoded with.
fn slice_hash(chunk: &dsx::Chunk, encoding: &'static encoding_rs::Encoding) -> Hash {
    let mut h = blake3::Hasher::new();
    h.update(encoding.name().as_bytes());
    h.update(&[0]);
    // One large update: blake3 hashes big inputs many chunks at a time;
    // fed line by line (CRLF parts) it ran several times slower.
    if chunk.bytes.contains(&b'\r') {
        let mut lf = Vec::with_capacity(chunk.bytes.len());
        for part in chunk.bytes.split(|&b| b == b'\r') {
            lf.extend_from_slice(part);
        }
        h.update(&lf);
    } else {
        h.update(&chunk.bytes);
    }
    *h.finalize().as_bytes()
}

fn split_dsx(
    ctx: &Ctx,
    reader: Box<dyn std::io::BufRead + Send>,
    path: &str,
    result: &mut SplitResult,
) {
    let stream = input::dsx_stream(reader, path, &ctx.limits);
    let encoding = stream.encoding;
    result.diagnostics.extend(stream.early);
    let Some(first) = stream.first else { return };
    let outcomes: Vec<(Option<SliceInfo>, Option<Diagnostic>)> = std::iter::once(first)
        .chain(stream.rest)
        .par_bridge()
        .map(|item| match item {
            Item::Chunk(chunk) => {
                let slice = slice_hash(&chunk, encoding);
                let base = chunk.line.saturating_sub(1);
                if !known(ctx, &slice) {
                    compute_chunk(ctx, slice, &chunk, encoding, path, base);
                }
                (Some(SliceInfo { slice, base }), None)
            }
            Item::Problem(d) => (None, Some(d)),
            Item::Header(_) => (None, None),
        })
        .collect();
    for (s, d) in outcomes {
        result.slices.extend(s);
        result.diagnostics.extend(d);
    }
    result.slices.sort_by_key(|s| s.base);
}

fn compute_chunk(
    ctx: &Ctx,
    slice: Hash,
    chunk: &dsx::Chunk,
    encoding: &'static encoding_rs::Encoding,
    path: &str,
    base: u64,
) {
    let (entities, mut diags) = match dsx::lex_block(chunk, encoding, path) {
        Ok((block, mut warnings)) => {
            let (built, more) = build::entities_from_block(&block, path);
            warnings.extend(more);
            let entities = built
                .into_iter()
                .map(|b| {
                    (
                        b.entity,
                        Some(b.line.saturating_sub(base)),
                        None,
                        SourceFormat::Dsx,
                    )
                })
                .collect();
            (entities, warnings)
        }
        Err(d) => (Vec::new(), vec![d]),
    };
    for d in &mut diags {
        d.location = Location {
            file: String::new(),
            line: d.location.line.map(|l| l.saturating_sub(base)),
            member: d.location.member.take(),
        };
    }
    diags.sort();
    job_ir::record(ctx, slice, entities, diags);
}
