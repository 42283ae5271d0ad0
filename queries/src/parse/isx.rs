//! istool ISX archives (zip of XMI assets). See the corpus SOURCES.md.
//!
//! An ISX file is a zip holding `META-INF/IS-MANIFEST.MF` and one XMI/SDO
//! document per exported object (`.pjb` parallel job, `.qjb` sequence, `.sjb`
//! server job, `.srt` routine, `.pst` parameter set, `.tbd` table
//! definition, `.stp` stage type, `.det` data element). Compiled executables
//! (`.bin`) and canvas images (`.png`) are not design and are never read.
//! An asset whose name differs from another's only by case is stored with a
//! number after its extension (`x.pjb1`, `y.qjb2`): the type is the
//! extension without the digits, and the asset's name is the one inside it.
//! Every member is accounted for ([`IsxMembers`]): read, known and ignored
//! (manifest, canvas image, executable), or unknown — a warning row.
//!
//! XMI carries the same model as DSX with other spellings:
//!
//! | DSX                                  | XMI                                                     |
//! |--------------------------------------|---------------------------------------------------------|
//! | `ROOT` / `CJobDefn`                  | root `DSJobDefSDO` (`jobType`, `category`, ...)         |
//! | `Parameters` subrecords              | `has_ParameterDef` children of the root                 |
//! | stage record + `StageType`           | `contains_JobObject xsi:type=DSStageSDO` (`stageType`)  |
//! | stage `Properties`                   | `has_ParameterVal` children of the stage                |
//! | pin records, `Partner`               | `has_InputPin`/`has_OutputPin` + a `DSLinkSDO` object   |
//! | pin `Properties`                     | `has_ParameterVal` on the link, `usage` Out / In        |
//! | output pin `Columns`                 | `contains_FlowVariable` on the link                     |
//! | `Derivation`, `KeyExpression`        | `hasValue_Derivation` / `hasLookup_Derivation` children |
//!
//! Attribute values are XML-escaped (XML 1.1 character references such as
//! `&#x1E;` included) *and* keep the DSX quoting: `\\` is one backslash and
//! `\(02)` a code point. Both layers are undone here, so values look exactly
//! like the DSX reader's.
//!
//! Only design attributes are copied into the IR: object ids, `xmi:id`s,
//! timestamps, lock counters, users and canvas geometry never are, so an
//! entity's hash is a function of its design alone.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{Cursor, Read};

use quick_xml::events::{BytesStart, Event};
use serde::{Deserialize, Serialize};

use crate::ir::{
    Activity, Column, Entity, Job, JobKind, Link, LinkKind, Located, Location, OtherEntity,
    ParamType, Parameter, ParameterSet, Property, Routine, SourceFormat, Stage, StageVar, TableDef,
    TransformerDetail, Trigger, entity_hash,
};
use crate::parse::{Diagnostic, Limits, build, props, secrets, stage_types};

const MANIFEST: &str = "META-INF/IS-MANIFEST.MF";

/// Deeper nesting than any real XMI (about 6 levels); refusing it keeps the
/// recursive drop of the element tree off the stack limit.
const MAX_DEPTH: usize = 256;

/// What became of the members of one ISX archive. Every member is counted
/// once: read as an entity (or reported as an error row when it could not
/// be), known and ignored (by kind), or unknown (a warning row names it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IsxMembers {
    /// Design members handed to the asset reader (`.pjb`, `.qjb1`, `.srt`...).
    pub read: usize,
    /// Members that are not design, by kind: `manifest`, `canvas image`,
    /// `compiled executable`, `folder`...
    pub ignored: BTreeMap<String, usize>,
    /// Members of no known kind, each reported as a warning row.
    pub unknown: usize,
}

impl IsxMembers {
    pub fn ignored_total(&self) -> usize {
        self.ignored.values().sum()
    }

    pub fn add(&mut self, other: &IsxMembers) {
        self.read += other.read;
        self.unknown += other.unknown;
        for (k, n) in &other.ignored {
            *self.ignored.entry(k.clone()).or_insert(0) += n;
        }
    }
}

/// Read every design asset of an ISX archive.
pub fn read_isx(bytes: &[u8], file: &str, limits: &Limits) -> (Vec<Located>, Vec<Diagnostic>) {
    let (entities, diags, _) = read_isx_members(bytes, file, limits);
    (entities, diags)
}

/// [`read_isx`], and what became of each member (`None` when the file is
/// not a readable ISX archive).
pub fn read_isx_members(
    bytes: &[u8],
    file: &str,
    limits: &Limits,
) -> (Vec<Located>, Vec<Diagnostic>, Option<IsxMembers>) {
    let mut diags = Vec::new();
    let file_loc = Location {
        file: file.to_string(),
        ..Location::default()
    };
    let mut archive = match zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(a) => a,
        Err(e) => {
            diags.push(Diagnostic::error(
                file_loc,
                "a readable zip archive (istool ISX export)",
                format!("corrupt zip: {e}"),
            ));
            return (Vec::new(), diags, None);
        }
    };
    if archive.index_for_name(MANIFEST).is_none() {
        diags.push(Diagnostic::skipped(
            file_loc,
            "zip archive without META-INF/IS-MANIFEST.MF: not an istool ISX export",
        ));
        return (Vec::new(), diags, None);
    }

    let mut entities = Vec::new();
    let mut budget = limits.max_file_size;
    let census = census(&mut archive, &mut budget);
    let mut counts = IsxMembers::default();
    for (name, verdict) in &census.others {
        match verdict {
            Verdict::Ignored(kind) => *counts.ignored.entry((*kind).to_string()).or_insert(0) += 1,
            Verdict::Unknown => {
                counts.unknown += 1;
                diags.push(Diagnostic::warning(
                    Location {
                        file: file.to_string(),
                        line: None,
                        member: Some(name.clone()),
                    },
                    "an istool asset (.pjb, .qjb, .sjb, .srt, .pst, .tbd... optionally with a numeric suffix: .pjb1), the manifest, a canvas image or a compiled executable",
                    format!(
                        "member {} of unknown kind: not read",
                        crate::parse::diag::clip(name, 200)
                    ),
                ));
            }
        }
    }
    for (index, name, kind) in census.assets {
        counts.read += 1;
        let loc = Location {
            file: file.to_string(),
            line: None,
            member: Some(name.clone()),
        };
        let bytes = match read_member(&mut archive, index, &name, &mut budget) {
            Ok(b) => b,
            Err(MemberError::Unreadable(msg)) => {
                diags.push(Diagnostic::error(loc, "a readable archive member", msg));
                continue;
            }
            Err(MemberError::TooLarge(msg)) => {
                // The budget is spent: reading further members could only
                // fail the same way, and a bomb must not be inflated at all.
                diags.push(Diagnostic::error(
                    loc,
                    "an archive within parser.max_file_size_mb",
                    msg,
                ));
                break;
            }
        };
        match read_asset(&bytes, kind) {
            Ok((entity, warnings)) => {
                for w in warnings {
                    diags.push(Diagnostic::warning(loc.clone(), w.0, w.1).with_job(entity.name()));
                }
                entities.push(Located {
                    location: loc,
                    format: SourceFormat::Isx,
                    hash: entity_hash(&entity),
                    entity,
                });
            }
            Err(msg) => diags.push(Diagnostic::error(loc, "a well-formed XMI asset", msg)),
        }
    }
    (entities, diags, Some(counts))
}

// ---------------------------------------------------------------------------
// Archive members
// ---------------------------------------------------------------------------

/// What an archive member holds, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AssetKind {
    Job,
    Routine,
    ParameterSet,
    TableDef,
    Other,
}

/// The asset type of an extension, as istool writes it: `pjb`, or `pjb1`,
/// `pjb12` — istool stores an asset whose name differs from another's only
/// by case under the same extension with a number appended (the archive's
/// paths would collide on a case-insensitive disk). The digits are not
/// part of the type.
fn asset_kind(name: &str) -> Option<AssetKind> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    let base = ext.trim_end_matches(|c: char| c.is_ascii_digit());
    match base {
        "pjb" | "qjb" | "sjb" | "mjb" => Some(AssetKind::Job),
        "srt" | "prt" => Some(AssetKind::Routine),
        "pst" => Some(AssetKind::ParameterSet),
        "tbd" => Some(AssetKind::TableDef),
        "stp" | "det" | "scn" | "dcn" => Some(AssetKind::Other),
        _ => None,
    }
}

/// What is done with a member that is not a design asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// Known and not design: counted under this kind.
    Ignored(&'static str),
    /// A warning row names it.
    Unknown,
}

/// A member that is not a design asset: known (the manifest, a canvas
/// image of an asset, a compiled executable of one) or unknown.
/// `asset_stems`: the design members' names without their extension;
/// `manifest`: the manifest's text, which names every executable.
fn other_member(name: &str, asset_stems: &HashSet<&str>, manifest: &str) -> Verdict {
    if name.ends_with('/') {
        return Verdict::Ignored("folder");
    }
    if name == MANIFEST {
        return Verdict::Ignored("manifest");
    }
    let lower = name.to_ascii_lowercase();
    // Written by tools that build ISX archives from git (datastage-isxer):
    // a build manifest at the archive's root.
    if lower == "manifest.json" {
        return Verdict::Ignored("build manifest");
    }
    // `Jobs/X.pjb.png`, `Jobs/x.pjb1.png`: the designer's canvas.
    if let Some(asset) = lower.strip_suffix(".png")
        && asset_kind(asset).is_some()
    {
        return Verdict::Ignored("canvas image");
    }
    // `X.bin` beside `X.pjb` (or named by the manifest as an
    // `executablepath`): the compiled job or routine, never design.
    if let Some(stem) = name
        .strip_suffix(".bin")
        .or_else(|| name.strip_suffix(".BIN"))
        && (asset_stems.contains(stem) || manifest.contains(&format!("\"{name}\"")))
    {
        return Verdict::Ignored("compiled executable");
    }
    Verdict::Unknown
}

/// The members of an archive: design assets as (index, name, kind), sorted
/// by name so that entity order does not depend on the order the zip was
/// written in; every other member with its verdict, sorted by name.
struct Census {
    assets: Vec<(usize, String, AssetKind)>,
    others: Vec<(String, Verdict)>,
}

fn census<R: Read + std::io::Seek>(archive: &mut zip::ZipArchive<R>, budget: &mut u64) -> Census {
    let mut assets = Vec::new();
    let mut rest = Vec::new();
    let names: Vec<(usize, String)> = archive
        .file_names()
        .enumerate()
        .map(|(i, n)| {
            let name = n.map_or_else(|_| format!("#{i} (undecodable name)"), |n| n.into_owned());
            (i, name)
        })
        .collect();
    for (i, name) in names {
        match asset_kind(&name) {
            Some(kind) if !name.ends_with('/') => assets.push((i, name, kind)),
            _ => rest.push((i, name)),
        }
    }
    assets.sort_by(|a, b| a.1.cmp(&b.1));
    rest.sort_by(|a, b| a.1.cmp(&b.1));
    let manifest = match archive.index_for_name(MANIFEST) {
        Some(i)
            if rest
                .iter()
                .any(|(_, n)| n.ends_with(".bin") || n.ends_with(".BIN")) =>
        {
            read_member(archive, i, MANIFEST, budget)
                .map(|b| decode_text(&b))
                .unwrap_or_default()
        }
        _ => String::new(),
    };
    let stems: HashSet<&str> = assets
        .iter()
        .filter_map(|(_, n, _)| n.rsplit_once('.').map(|(stem, _)| stem))
        .collect();
    let others = rest
        .into_iter()
        .map(|(_, n)| {
            let v = other_member(&n, &stems, &manifest);
            (n, v)
        })
        .collect();
    Census { assets, others }
}

enum MemberError {
    Unreadable(String),
    TooLarge(String),
}

/// Inflate one member, charging its size to the archive-wide budget. The
/// declared size is checked first (cheap), then the actual stream is read
/// through `take` because a declared size can lie.
fn read_member<R: Read + std::io::Seek>(
    archive: &mut zip::ZipArchive<R>,
    index: usize,
    name: &str,
    budget: &mut u64,
) -> Result<Vec<u8>, MemberError> {
    let too_large = || {
        MemberError::TooLarge(format!(
            "member {name} takes the decompressed archive past the size limit"
        ))
    };
    let mut member = archive
        .by_index(index)
        .map_err(|e| MemberError::Unreadable(format!("cannot open {name}: {e}")))?;
    if member.size() > *budget {
        return Err(too_large());
    }
    let mut buf = Vec::new();
    member
        .by_ref()
        .take(budget.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|e| MemberError::Unreadable(format!("cannot inflate {name}: {e}")))?;
    let read = buf.len() as u64;
    if read > *budget {
        return Err(too_large());
    }
    *budget -= read;
    Ok(buf)
}

/// XMI is written as UTF-8; a BOM (UTF-8 or UTF-16) wins if present.
fn decode_text(bytes: &[u8]) -> String {
    match encoding_rs::Encoding::for_bom(bytes) {
        Some((enc, bom_len)) => enc
            .decode_without_bom_handling(&bytes[bom_len..])
            .0
            .into_owned(),
        None => String::from_utf8_lossy(bytes).into_owned(),
    }
}

type Warning = (String, String);

fn read_asset(bytes: &[u8], kind: AssetKind) -> Result<(Entity, Vec<Warning>), String> {
    let root = parse_tree(&decode_text(bytes))?;
    let mut warnings = Vec::new();
    // The root element decides; the extension only breaks ties, so a job
    // saved under an odd extension is still a job.
    let mut entity = match root.tag.as_str() {
        "DSJobDefSDO" => Entity::Job(build_job(&root, &mut warnings)),
        t if t.contains("SharedContainer") || t.contains("ContainerDef") => {
            Entity::SharedContainer(build_job(&root, &mut warnings))
        }
        "DSRoutineSDO" => Entity::Routine(build_routine(&root)),
        _ => match kind {
            AssetKind::Job => Entity::Job(build_job(&root, &mut warnings)),
            AssetKind::Routine => Entity::Routine(build_routine(&root)),
            AssetKind::ParameterSet => Entity::ParameterSet(build_parameter_set(&root)),
            AssetKind::TableDef => Entity::TableDef(build_table_def(&root)),
            AssetKind::Other => Entity::Other(build_other(&root)),
        },
    };
    // Before the entity is hashed: the IR never holds a secret.
    secrets::scrub_entity(&mut entity);
    Ok((entity, warnings))
}

// ---------------------------------------------------------------------------
// A small element tree
// ---------------------------------------------------------------------------

/// One XMI element: local tag name, attributes (qualified names, values
/// fully unescaped) and child elements. Text content is never design in
/// XMI (only asset descriptors), so it is dropped.
#[derive(Debug, Default)]
struct Node {
    tag: String,
    attrs: Vec<(String, String)>,
    children: Vec<Node>,
}

impl Node {
    fn attr(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Attribute value, or "" when absent.
    fn get(&self, key: &str) -> &str {
        self.attr(key).unwrap_or("")
    }

    fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), "true" | "1")
    }

    fn number(&self, key: &str) -> u32 {
        self.get(key).trim().parse().unwrap_or(0)
    }

    /// `xsi:type` without its package prefix: `DSStageSDO`.
    fn xsi_type(&self) -> &str {
        let t = self.get("xsi:type");
        t.rsplit_once(':').map_or(t, |(_, local)| local)
    }

    fn children_tagged<'a>(&'a self, tag: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.tag == tag)
    }

    fn child_tagged(&self, tag: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.tag == tag)
    }
}

fn parse_tree(text: &str) -> Result<Node, String> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack: Vec<Node> = Vec::new();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("XML error at byte {}: {e}", reader.error_position()))?;
        match event {
            Event::Start(e) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(format!("elements nested deeper than {MAX_DEPTH}"));
                }
                stack.push(start_node(&e)?);
            }
            Event::Empty(e) => {
                let node = start_node(&e)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => return Ok(node),
                }
            }
            Event::End(_) => {
                let node = stack.pop().ok_or("unbalanced end tag")?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => return Ok(node),
                }
            }
            Event::Eof => return Err("no root element (truncated document?)".to_string()),
            // Text, comments, PIs and DOCTYPE (whose entities are never
            // expanded) carry no design.
            _ => {}
        }
    }
}

fn start_node(e: &BytesStart<'_>) -> Result<Node, String> {
    let tag = e.local_name().as_ref().to_string();
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|err| format!("bad attribute in <{tag}>: {err}"))?;
        attrs.push((a.key.as_ref().to_string(), attr_value(&a.value)));
    }
    Ok(Node {
        tag,
        attrs,
        children: Vec::new(),
    })
}

/// Undo both escaping layers of an XMI attribute value and normalise line
/// ends (designer clients write CRLF; DSX readers see LF).
fn attr_value(raw: &str) -> String {
    let v = dsx_unescape(&xml_unescape(raw));
    if v.contains('\r') {
        v.replace("\r\n", "\n")
    } else {
        v
    }
}

/// Resolve entity and character references ourselves: XMI is XML 1.1 and
/// references control characters (`&#x1E;`) that XML 1.0 unescapers reject.
/// Unknown named entities resolve to nothing (DOCTYPE entities are never
/// expanded); a bare `&` is kept.
fn xml_unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(pos) = rest.find('&') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        match after.find(';') {
            Some(end) if end > 0 && end <= 16 => {
                out.push_str(&props::resolve_entity(&after[..end]));
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

/// XMI keeps DSX quoting inside values: `\\` is a backslash (`append\\overwrite`,
/// `\\Jobs\\X`) and `\(1B)` a code point. One pass, so `\\(02)` stays a
/// backslash followed by `(02)`.
fn dsx_unescape(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find('\\') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        if let Some(tail) = after.strip_prefix('\\') {
            out.push('\\');
            rest = tail;
        } else if let Some((c, used)) = hex_escape(after) {
            out.push(c);
            rest = &after[used..];
        } else {
            out.push('\\');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// `(H…)` with 1 to 8 hex digits at the start of `s`: the character and the
/// number of bytes used.
fn hex_escape(s: &str) -> Option<(char, usize)> {
    let body = s.strip_prefix('(')?;
    let digits = body.bytes().take_while(u8::is_ascii_hexdigit).count();
    if digits == 0 || digits > 8 || body.as_bytes().get(digits) != Some(&b')') {
        return None;
    }
    let c = u32::from_str_radix(&body[..digits], 16)
        .ok()
        .and_then(char::from_u32)?;
    Some((c, digits + 2))
}

// ---------------------------------------------------------------------------
// Shared pieces: parameters, properties, columns
// ---------------------------------------------------------------------------

/// Description from the short and long texts, without repeating one that
/// is a prefix of the other.
fn description(node: &Node) -> String {
    let short = node.get("shortDescription").trim_end();
    let long = node.get("longDescription").trim_end();
    match (short.is_empty(), long.is_empty()) {
        (_, true) => short.to_string(),
        (true, false) => long.to_string(),
        (false, false) if long.starts_with(short) => long.to_string(),
        (false, false) => format!("{short}\n{long}"),
    }
}

/// `typeCode` plus `extendedType` of a `DSParameterDefSDO`.
fn param_type(def: &Node) -> ParamType {
    let ext = def.get("extendedType").to_ascii_lowercase();
    match ext.as_str() {
        "stringlist" | "list" => return ParamType::List,
        "parameterset" => return ParamType::ParameterSet,
        "pathname" => return ParamType::Pathname,
        "encrypted" | "password" => return ParamType::Encrypted,
        _ => {}
    }
    match def.get("typeCode").to_ascii_lowercase().as_str() {
        "int8" | "int16" | "int32" | "int64" | "integer" => ParamType::Integer,
        "sfloat" | "dfloat" | "float" | "double" | "decimal" => ParamType::Float,
        "date" => ParamType::Date,
        "time" => ParamType::Time,
        "encrypted" => ParamType::Encrypted,
        _ => ParamType::String,
    }
}

fn parameter(def: &Node) -> Parameter {
    let name = def.get("name").to_string();
    let param_type = param_type(def);
    // Redacted by `secrets::scrub_entity` with everything else.
    let default = def.get("defaultValue").to_string();
    let parameter_set = if param_type == ParamType::ParameterSet {
        Some(name.clone())
    } else {
        None
    };
    Parameter {
        is_env: name.starts_with('$'),
        prompt: def.get("displayCaption").to_string(),
        help: description(def),
        param_type,
        default,
        parameter_set,
        name,
    }
}

fn parameters(node: &Node) -> Vec<Parameter> {
    node.children_tagged("has_ParameterDef")
        .map(parameter)
        .collect()
}

/// Editor state, not design: never copied into properties.
const NOISE_PROPERTIES: &[&str] = &[
    "LinkMinimised",
    "StageVarsMinimised",
    "LoopVarsMaximised",
    "ValidationStatus",
];

/// `has_ParameterVal` children (optionally of one `usage`) as decoded
/// properties, in export order (OSH option order matters).
fn properties_where(node: &Node, keep: impl Fn(&Node) -> bool) -> Vec<Property> {
    node.children_tagged("has_ParameterVal")
        .filter(|p| keep(p) && !NOISE_PROPERTIES.contains(&p.get("parameterName")))
        .map(|p| props::decode_property(p.get("parameterName"), p.get("valueExpression")))
        .collect()
}

/// Value of a named `has_ParameterVal` (first match).
fn param_val<'a>(node: &'a Node, name: &str, usage: Option<&str>) -> Option<&'a str> {
    node.children_tagged("has_ParameterVal")
        .find(|p| p.get("parameterName") == name && usage.is_none_or(|u| p.get("usage") == u))
        .map(|p| p.get("valueExpression"))
}

/// ODBC code of an externalised SQL type name (`char`, `VarChar`,
/// `Timestamp`), or of an OSH/XMI `typeCode` (`Int32`, `String`).
pub fn sql_type_code(name: &str) -> Option<i32> {
    if let Ok(code) = name.trim().parse() {
        return Some(code);
    }
    let key: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    let code = match key.as_str() {
        "char" => 1,
        "numeric" => 2,
        "decimal" => 3,
        "integer" | "int" | "int32" => 4,
        "smallint" | "int16" => 5,
        "float" => 6,
        "real" | "sfloat" => 7,
        "double" | "dfloat" => 8,
        "date" => 9,
        "time" => 10,
        "timestamp" | "datetime" => 11,
        "varchar" | "string" => 12,
        "longvarchar" => -1,
        "binary" => -2,
        "varbinary" | "raw" => -3,
        "longvarbinary" => -4,
        "bigint" | "int64" => -5,
        "tinyint" | "int8" => -6,
        "bit" => -7,
        "nchar" | "wchar" => -8,
        "nvarchar" | "wvarchar" | "ustring" => -9,
        "nlongvarchar" | "wlongvarchar" => -10,
        _ => return None,
    };
    Some(code)
}

/// SQL type of a column-like element: `oDBCType` first (the DSX `SqlType`),
/// else the engine `typeCode`; 0 when neither is known.
fn column_sql_type(node: &Node) -> i32 {
    sql_type_code(node.get("oDBCType"))
        .or_else(|| sql_type_code(node.get("typeCode")))
        .unwrap_or(0)
}

/// A `DSFlowVariableSDO` (link column) or table-definition column.
/// `key_seq` numbers keys in column order, as DSX `KeyPosition` does.
fn column(node: &Node, key_seq: &mut u32, pass_through_derivation: bool) -> Column {
    let key_position = if node.flag("isKey") {
        *key_seq += 1;
        *key_seq
    } else {
        0
    };
    let derivation = match node.child_tagged("hasValue_Derivation") {
        Some(d) => d.get("expression").to_string(),
        // A Transformer output column that copies its input keeps only the
        // source column (`Transform.id`); DSX writes it as the derivation.
        None if pass_through_derivation => node.get("sourceColumnID").to_string(),
        None => String::new(),
    };
    Column {
        name: node.get("name").to_string(),
        sql_type: column_sql_type(node),
        length: node.number("maximumLength"),
        scale: node.number("fractionDigits"),
        nullable: node.flag("isNullable"),
        key_position,
        derivation,
        key_expression: node
            .child_tagged("hasLookup_Derivation")
            .map(|d| d.get("expression").to_string())
            .unwrap_or_default(),
        description: description(node),
        extended: node.flag("isUString") || node.flag("extendedPrecision"),
        // Field formats of file columns are not read from XMI (not seen).
        format: String::new(),
    }
}

/// Attributes that are identity, audit or lock bookkeeping of the metadata
/// repository, never design.
fn is_volatile_attr(key: &str) -> bool {
    key.starts_with("xmi:")
        || key.starts_with("xsi:")
        || key.starts_with("xmlns")
        || matches!(
            key,
            "sDOVersion"
                | "objectID"
                | "objectRid"
                | "lastModificationTimestamp"
                | "optimisticLockID"
                | "createdByUser"
                | "creationTimestamp"
                | "modifiedByUser"
                | "xmetaLockingRoot"
                | "dSNameSpace"
                | "version"
        )
}

// ---------------------------------------------------------------------------
// Jobs
// ---------------------------------------------------------------------------

/// Where a pin (by `xmi:id`) sits: its stage and its own `internalID`.
struct PinRef<'a> {
    stage: &'a str,
    pin_id: &'a str,
    /// `linkType` of the pin: 1 stream, 2 reference, 3 reject.
    link_type: &'a str,
}

fn build_job(root: &Node, warnings: &mut Vec<Warning>) -> Job {
    let objects: Vec<&Node> = root.children_tagged("contains_JobObject").collect();
    let stage_nodes: Vec<&Node> = objects
        .iter()
        .copied()
        .filter(|o| o.xsi_type() == "DSStageSDO")
        .collect();
    let link_nodes: Vec<&Node> = objects
        .iter()
        .copied()
        .filter(|o| o.xsi_type() == "DSLinkSDO")
        .collect();

    let pins = index_pins(&stage_nodes);
    let mut stages: Vec<Stage> = stage_nodes.iter().map(|s| build_stage(s)).collect();
    let links: Vec<Link> = link_nodes
        .iter()
        .filter_map(|l| build_link(l, &pins, &stages, warnings))
        .collect();
    for (stage, node) in stages.iter_mut().zip(&stage_nodes) {
        if stage.activity.is_some() {
            add_triggers(stage, node, &links, &link_nodes, &pins);
        }
    }

    let mut job = Job {
        name: root.get("name").to_string(),
        folder: root.get("category").to_string(),
        kind: job_kind(root),
        description: description(root),
        parameters: parameters(root),
        shared_containers: stages.iter().filter_map(|s| s.container.clone()).collect(),
        stages,
        links,
        annotations: annotations(&objects),
        properties: job_properties(root),
    };
    build::canonicalise_job(&mut job);
    job
}

fn job_kind(root: &Node) -> JobKind {
    match JobKind::from_job_type(root.get("jobType")) {
        JobKind::Unknown => JobKind::from_job_type(root.get("dSJobType")),
        k => k,
    }
}

/// Design-relevant job attributes under their DSX names. Booleans become
/// DSX's `1`/`0`.
fn job_properties(root: &Node) -> Vec<Property> {
    const MAP: &[(&str, &str)] = &[
        ("beforeSubr", "BeforeSubr"),
        ("afterSubr", "AfterSubr"),
        ("jobControlCode", "JobControlCode"),
        ("runtimeColumnPropagation", "RuntimeColumnPropagation"),
        ("allowMultipleInvocations", "AllowMultipleInvocations"),
    ];
    let mut props: Vec<Property> = MAP
        .iter()
        .filter_map(|(attr, name)| {
            let v = root.attr(attr)?;
            let v = match v {
                "true" => "1",
                "false" => "0",
                other => other,
            };
            let v = if *attr == "jobControlCode" {
                strip_generation_stamp(v)
            } else {
                v.to_string()
            };
            (!v.is_empty()).then(|| props::decode_property(name, &v))
        })
        .collect();
    // The routines the job calls (`DSFunctionCallSDO`, e.g. the before-job
    // routine of the real `Jx_NR_Lvl2.pjb`, whose `beforeSubr` attribute is
    // absent): kept sorted so export order does not move the hash.
    let mut calls: Vec<&str> = root
        .children_tagged("has_FunctionCall")
        .map(|c| c.get("functionName"))
        .filter(|n| !n.trim().is_empty())
        .collect();
    calls.sort_unstable();
    calls.dedup();
    if !calls.is_empty() {
        props.push(Property {
            name: "RoutineCalls".into(),
            value: crate::ir::PropValue::Text(calls.join(",")),
        });
    }
    props
}

/// A compiled sequence's job control code starts with
/// `*** [Generated at 2021-07-20 22:42:47 - 11.7.1.0]`: a compile time, not
/// design, so it must not move the hash.
fn strip_generation_stamp(code: &str) -> String {
    code.split_inclusive('\n')
        .filter(|line| !line.starts_with("*** [Generated at "))
        .collect()
}

/// Annotation objects (`DSAnnotationSDO`...) in id order: the export order
/// of objects is not stable.
fn annotations(objects: &[&Node]) -> Vec<String> {
    let mut notes: Vec<(&str, String)> = objects
        .iter()
        .filter(|o| o.xsi_type().contains("Annotation"))
        .map(|o| {
            let text = [
                "annotationText",
                "text",
                "longDescription",
                "shortDescription",
                "description",
            ]
            .iter()
            .map(|k| o.get(k))
            .find(|v| !v.is_empty())
            .unwrap_or("");
            (o.get("internalID"), text.to_string())
        })
        .collect();
    notes.sort();
    notes.into_iter().map(|(_, t)| t).collect()
}

fn index_pins<'a>(stages: &[&'a Node]) -> HashMap<&'a str, PinRef<'a>> {
    let mut pins = HashMap::new();
    for stage in stages {
        for pin in stage
            .children
            .iter()
            .filter(|c| c.tag == "has_InputPin" || c.tag == "has_OutputPin")
        {
            if let Some(xmi_id) = pin.attr("xmi:id") {
                pins.insert(
                    xmi_id,
                    PinRef {
                        stage: stage.get("internalID"),
                        pin_id: pin.get("internalID"),
                        link_type: pin.get("linkType"),
                    },
                );
            }
        }
    }
    pins
}

/// `|`-separated pin list, else the pin children in document order.
fn pin_list(stage: &Node, attr: &str, child: &str) -> Vec<String> {
    match stage.attr(attr) {
        Some(list) => list
            .split('|')
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect(),
        None => stage
            .children_tagged(child)
            .map(|p| p.get("internalID").to_string())
            .collect(),
    }
}

fn normalised_stage_type(stage: &Node) -> String {
    let by_type = stage_types::normalise(stage.get("stageType"));
    // Activities are spelled `CExecCommandActivity`, `CNotificationActivity`
    // in `stageType`; their class (`JSExecCmdActivity`) is the known name.
    let class = stage.get("stageTypeClassName");
    if by_type.starts_with("Custom:") && !class.is_empty() && class != "CustomStage" {
        let by_class = stage_types::normalise(class);
        if !by_class.starts_with("Custom:") {
            return by_class;
        }
    }
    by_type
}

/// Normalised types of sequence activities (stages of a sequence job).
const ACTIVITY_TYPES: &[&str] = &[
    "JobActivity",
    "Condition",
    "Sequencer",
    "RoutineActivity",
    "ExecCommandActivity",
    "UserVariablesActivity",
    "TerminatorActivity",
    "ExceptionHandler",
    "StartLoopActivity",
    "EndLoopActivity",
    "MailActivity",
    "WaitFileActivity",
];

fn is_activity(stage: &Node, stage_type: &str) -> bool {
    stage.get("stageTypeClassName").starts_with("JS") || ACTIVITY_TYPES.contains(&stage_type)
}

fn build_stage(node: &Node) -> Stage {
    let stage_type = normalised_stage_type(node);
    let mut properties = properties_where(node, |_| true);
    if let Some(dc) = node.attr("dataConnection").filter(|v| !v.is_empty()) {
        properties.push(props::decode_property("DataConnection", dc));
    }
    let transformer = (stage_type == "Transformer").then(|| transformer_detail(node));
    let activity = is_activity(node, &stage_type).then(|| activity(node, &stage_type));
    let container = (stage_type == "Container")
        .then(|| container_name(node))
        .flatten();
    Stage {
        id: node.get("internalID").to_string(),
        name: node.get("name").to_string(),
        raw_type: node.get("stageType").to_string(),
        input_pins: pin_list(node, "inputPins", "has_InputPin"),
        output_pins: pin_list(node, "outputPins", "has_OutputPin"),
        stage_type,
        properties,
        transformer,
        activity,
        container,
    }
}

/// Shared container instantiated by a container stage. No sample shows the
/// XMI spelling: accept the plausible attribute and property names.
fn container_name(node: &Node) -> Option<String> {
    ["sharedContainer", "containerName", "jobname"]
        .iter()
        .filter_map(|k| node.attr(k))
        .chain(
            ["SharedContainer", "ContainerName", "ContainerID"]
                .iter()
                .filter_map(|k| param_val(node, k, None)),
        )
        .find(|v| !v.is_empty())
        .map(str::to_string)
}

fn build_link(
    node: &Node,
    pins: &HashMap<&str, PinRef<'_>>,
    stages: &[Stage],
    warnings: &mut Vec<Warning>,
) -> Option<Link> {
    let name = node.get("name");
    let Some(from) = pins.get(node.get("from_OutputPin")) else {
        warnings.push((
            format!("link {name} to start at a stage's output pin"),
            "no source pin (dropped)".to_string(),
        ));
        return None;
    };
    let to = pins.get(node.get("to_InputPin"));
    if to.is_none() {
        warnings.push((
            format!("link {name} to end at an input pin"),
            "a dangling link".to_string(),
        ));
    }
    let source = stages.iter().find(|s| s.id == from.stage);
    let from_transformer = source.is_some_and(|s| s.stage_type == "Transformer");
    let mut key_seq = 0;
    let columns = node
        .children_tagged("contains_FlowVariable")
        .map(|c| column(c, &mut key_seq, from_transformer))
        .collect();
    Some(Link {
        id: from.pin_id.to_string(),
        name: name.to_string(),
        from_stage: from.stage.to_string(),
        to_stage: to.map(|t| t.stage.to_string()),
        from_index: pin_position(source.map(|s| &s.output_pins), from.pin_id),
        to_index: to
            .map(|t| {
                let target = stages.iter().find(|s| s.id == t.stage);
                pin_position(target.map(|s| &s.input_pins), t.pin_id)
            })
            .unwrap_or(0),
        // The input pin's code, else the output pin's (the DSX reader reads
        // both places too: `build::link_kind`).
        kind: link_kind(
            node,
            to.map(|t| t.link_type)
                .filter(|t| !t.trim().is_empty())
                .or(Some(from.link_type).filter(|t| !t.trim().is_empty())),
            from_transformer,
        ),
        columns,
        constraint: param_val(node, "Constraint", Some("Out"))
            .unwrap_or("")
            .to_string(),
        // `usage` Out = the source (output) pin's options, In = the target's.
        source_properties: properties_where(node, |p| {
            p.get("usage") != "In"
                && !matches!(p.get("parameterName"), "Constraint" | "ParsedConstraint")
        }),
        target_properties: properties_where(node, |p| p.get("usage") == "In"),
    })
}

fn pin_position(list: Option<&Vec<String>>, pin: &str) -> u32 {
    list.and_then(|l| l.iter().position(|p| p == pin))
        .and_then(|i| u32::try_from(i).ok())
        .unwrap_or(0)
}

/// `linkType` on the link (`Primary`/`Reference`/`Reject`), else the input
/// pin's code. A Transformer output flagged `Reject` is the *otherwise*
/// link; one flagged `ErrorPin` takes rows that failed at run time.
fn link_kind(node: &Node, input_link_type: Option<&str>, from_transformer: bool) -> LinkKind {
    if from_transformer {
        if param_val(node, "ErrorPin", Some("Out")) == Some("1") {
            return LinkKind::Reject;
        }
        if param_val(node, "Reject", Some("Out")) == Some("1") {
            return LinkKind::Otherwise;
        }
    }
    match node.get("linkType").to_ascii_lowercase().as_str() {
        "reference" | "lookup" => LinkKind::Reference,
        "reject" => LinkKind::Reject,
        "primary" | "stream" => LinkKind::Stream,
        _ => match input_link_type {
            Some("2") => LinkKind::Reference,
            Some("3") => LinkKind::Reject,
            _ => LinkKind::Stream,
        },
    }
}

// ---------------------------------------------------------------------------
// Transformers and sequence activities
// ---------------------------------------------------------------------------

/// Stage and loop variables of a Transformer. The samples hold none; the
/// XMI model names them after the DSX collections (`StageVars`,
/// `LoopVars`), so any child element named or typed like that is one.
fn transformer_detail(node: &Node) -> TransformerDetail {
    let vars_like = |word: &str| -> Vec<StageVar> {
        let mut vars: Vec<(u32, StageVar)> = node
            .children
            .iter()
            .filter(|c| {
                let t = c.tag.to_ascii_lowercase();
                let x = c.xsi_type().to_ascii_lowercase();
                t.contains(word) || x.contains(word)
            })
            .map(|c| (c.number("sequenceNumber"), stage_var(c)))
            .collect();
        // A stable sort keeps document order when no sequence numbers exist.
        vars.sort_by_key(|(seq, _)| *seq);
        vars.into_iter().map(|(_, v)| v).collect()
    };
    TransformerDetail {
        stage_vars: vars_like("stagevar"),
        loop_condition: param_val(node, "LoopCondition", None)
            .unwrap_or("")
            .to_string(),
        loop_vars: vars_like("loopvar"),
    }
}

fn stage_var(node: &Node) -> StageVar {
    let expression = node
        .child_tagged("hasValue_Derivation")
        .map(|d| d.get("expression"))
        .or_else(|| node.attr("expression"))
        .or_else(|| node.attr("derivation"))
        .unwrap_or("");
    StageVar {
        name: node.get("name").to_string(),
        expression: expression.to_string(),
        initial_value: node
            .attr("initialValue")
            .unwrap_or(node.get("defaultValue"))
            .to_string(),
        sql_type: column_sql_type(node),
        length: node.number("maximumLength"),
        scale: node.number("fractionDigits"),
    }
}

/// Job activity properties that steer the activity; every other value is a
/// parameter passed to the job.
const JOB_ACTIVITY_CONTROLS: &[&str] = &[
    "ExecutionType",
    "CheckPoint",
    "JobType",
    "Jobname",
    "JobName",
    "InvocationId",
    "InvocationIdExpression",
    "DoNotCheckpoint",
    "ResetIfRequired",
];

fn activity(node: &Node, stage_type: &str) -> Activity {
    let job_name = node
        .attr("jobname")
        .or_else(|| param_val(node, "Jobname", None))
        .unwrap_or("")
        .to_string();
    let parameter_values = if stage_type == "JobActivity" {
        node.children_tagged("has_ParameterVal")
            .filter(|p| !JOB_ACTIVITY_CONTROLS.contains(&p.get("parameterName")))
            .map(|p| {
                let (name, value) = (p.get("parameterName"), p.get("valueExpression"));
                (name.to_string(), value.to_string())
            })
            .collect()
    } else {
        Vec::new()
    };
    Activity {
        job_name,
        parameter_values,
        triggers: Vec::new(),
        mode: activity_mode(node, stage_type),
    }
}

/// The one setting that says what a control activity does.
fn activity_mode(node: &Node, stage_type: &str) -> String {
    let val = |name| param_val(node, name, None).unwrap_or("").to_string();
    match stage_type {
        "Sequencer" => val("SequencerType"),
        "ExecCommandActivity" => {
            let (cmd, args) = (val("Path"), val("Parameters"));
            if args.is_empty() {
                cmd
            } else {
                format!("{cmd} {args}")
            }
        }
        "TerminatorActivity" => val("TerminationType"),
        "RoutineActivity" => val("RoutineName"),
        _ => String::new(),
    }
}

/// Triggers of an activity: its output links in output-pin order, with the
/// condition stored on the link's source side.
fn add_triggers(
    stage: &mut Stage,
    node: &Node,
    links: &[Link],
    link_nodes: &[&Node],
    pins: &HashMap<&str, PinRef<'_>>,
) {
    let mut triggers: Vec<(u32, Trigger)> = link_nodes
        .iter()
        .filter_map(|l| {
            let from = pins.get(l.get("from_OutputPin"))?;
            if from.stage != node.get("internalID") {
                return None;
            }
            let link = links.iter().find(|k| k.id == from.pin_id)?;
            let trigger = Trigger {
                name: link.name.clone(),
                to_stage: link.to_stage.clone(),
                condition_type: param_val(l, "ConditionType", Some("Out"))
                    .unwrap_or("")
                    .to_string(),
                expression: param_val(l, "TriggerExpression", Some("Out"))
                    .unwrap_or("")
                    .to_string(),
            };
            Some((link.from_index, trigger))
        })
        .collect();
    triggers.sort_by(|a, b| (a.0, &a.1.name).cmp(&(b.0, &b.1.name)));
    if let Some(act) = stage.activity.as_mut() {
        act.triggers = triggers.into_iter().map(|(_, t)| t).collect();
    }
}

// ---------------------------------------------------------------------------
// Routines, parameter sets, table definitions, others
// ---------------------------------------------------------------------------

fn build_routine(root: &Node) -> Routine {
    Routine {
        name: root.get("name").to_string(),
        folder: root.get("category").to_string(),
        routine_type: root.get("routineType").to_string(),
        arguments: root
            .children_tagged("has_ParameterDef")
            .map(|p| p.get("name").to_string())
            .collect(),
        source: root.get("sourceCode").to_string(),
        description: description(root),
    }
}

/// Parameters, then value files: any other child holding `has_ParameterVal`
/// elements is one named value set.
fn build_parameter_set(root: &Node) -> ParameterSet {
    let params = parameters(root);
    let value_sets = root
        .children
        .iter()
        .filter(|c| c.tag != "has_ParameterDef" && c.child_tagged("has_ParameterVal").is_some())
        .map(|set| {
            let values = set
                .children_tagged("has_ParameterVal")
                .map(|v| {
                    let (name, value) = (v.get("parameterName"), v.get("valueExpression"));
                    (name.to_string(), value.to_string())
                })
                .collect();
            (set.get("name").to_string(), values)
        })
        .collect();
    ParameterSet {
        name: root.get("name").to_string(),
        folder: root.get("category").to_string(),
        parameters: params,
        value_sets,
    }
}

/// Columns are the children that carry a data type.
fn build_table_def(root: &Node) -> TableDef {
    let mut key_seq = 0;
    TableDef {
        name: root.get("name").to_string(),
        folder: root.get("category").to_string(),
        columns: root
            .children
            .iter()
            .filter(|c| c.attr("typeCode").is_some() || c.attr("oDBCType").is_some())
            .map(|c| column(c, &mut key_seq, false))
            .collect(),
    }
}

/// Stage types, data elements...: the root's design attributes and its
/// parameter values, by name.
fn build_other(root: &Node) -> OtherEntity {
    let mut properties: Vec<Property> = root
        .attrs
        .iter()
        .filter(|(k, _)| !is_volatile_attr(k) && k != "name")
        .map(|(k, v)| props::decode_property(k, v))
        .chain(properties_where(root, |_| true))
        .collect();
    build::sort_props(&mut properties);
    OtherEntity {
        block: root.tag.clone(),
        name: root.get("name").to_string(),
        properties,
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::ir::REDACTED;
    use crate::parse::Severity;

    // ----- helpers ------------------------------------------------------

    fn corpus_dir() -> PathBuf {
        let rel = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/real");
        if rel.is_dir() {
            return rel;
        }
        let abs = PathBuf::from("/work/shared/corpus/real");
        assert!(
            abs.is_dir(),
            "real corpus not found at {} nor {}",
            rel.display(),
            abs.display()
        );
        abs
    }

    fn read_real(rel: &str) -> (Vec<Located>, Vec<Diagnostic>) {
        let path = corpus_dir().join(rel);
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        read_isx(&bytes, rel, &Limits::default())
    }

    fn job<'a>(entities: &'a [Located], name: &str) -> &'a Job {
        entities
            .iter()
            .filter_map(|e| e.entity.as_job())
            .find(|j| j.name == name)
            .unwrap_or_else(|| panic!("no job {name}"))
    }

    fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in members {
            w.start_file(*name, opts).expect("start member");
            w.write_all(data).expect("write member");
        }
        w.finish().expect("finish zip").into_inner()
    }

    const MANIFEST_XML: &[u8] = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Manifest/>";

    fn errors(diags: &[Diagnostic]) -> Vec<&Diagnostic> {
        diags
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .collect()
    }

    /// A synthetic XMI job exercising what the samples lack: stage
    /// variables, a constraint, an otherwise link, an encrypted parameter,
    /// XML 1.1 character references and DSX backslash quoting.
    const SYNTHETIC_JOB: &str = r#"<?xml version="1.1" encoding="UTF-8"?>
<ds:DSJobDefSDO xmlns:ds="http:///com/ibm/datastage/ai/dtm/ds.ecore" xmlns:xmi="http://www.omg.org/XMI" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmi:id="1" objectID="abc" lastModificationTimestamp="2025-01-01T00:00:00.000-0500" optimisticLockID="7" createdByUser="me"
  name="Synth" jobType="Parallel" category="\\Jobs\\Synth" shortDescription="Short" longDescription="Long&#xD;&#xA;text" dSJobType="3">
  <has_ParameterDef xsi:type="ds:DSParameterDefSDO" xmi:id="2" name="PWD" defaultValue="{iisenc}abcdef" typeCode="String" extendedType="Encrypted" displayCaption="Password"/>
  <has_ParameterDef xsi:type="ds:DSParameterDefSDO" xmi:id="3" name="$ENV" defaultValue="$PROJDEF" typeCode="String"/>
  <contains_JobObject xsi:type="ds:DSStageSDO" xmi:id="10" name="Src" internalID="V0S1" stageType="PxSequentialFile" stageTypeClassName="CustomStage" outputPins="V0S1P1">
    <has_OutputPin xsi:type="ds:DSOutputPinSDO" xmi:id="11" internalID="V0S1P1" partner="V0S2|V0S2P1"/>
  </contains_JobObject>
  <contains_JobObject xsi:type="ds:DSStageSDO" xmi:id="20" name="Xfm" internalID="V0S2" stageType="CTransformerStage" stageTypeClassName="TransformerStage" inputPins="V0S2P1" outputPins="V0S2P2|V0S2P3">
    <has_ParameterVal xsi:type="ds:DSParameterValSDO" xmi:id="21" parameterName="ValidationStatus" valueExpression="0"/>
    <has_ParameterVal xsi:type="ds:DSParameterValSDO" xmi:id="22" parameterName="tree" valueExpression="\(02)\(02)0\(01)\(03)key\(02)A&#x1E;B\(02)0"/>
    <contains_StageVariable xsi:type="ds:DSStageVariableSDO" xmi:id="23" name="svB" sequenceNumber="2" expression="svA + 1" initialValue="0" oDBCType="Integer"/>
    <contains_StageVariable xsi:type="ds:DSStageVariableSDO" xmi:id="24" name="svA" sequenceNumber="1" initialValue="''" oDBCType="Varchar" maximumLength="10">
      <hasValue_Derivation xsi:type="ds:DSDerivationSDO" xmi:id="25" expression="In.a : &quot;\\&quot;"/>
    </contains_StageVariable>
    <has_InputPin xsi:type="ds:DSInputPinSDO" xmi:id="26" internalID="V0S2P1" partner="V0S1|V0S1P1" linkType="1"/>
    <has_OutputPin xsi:type="ds:DSOutputPinSDO" xmi:id="27" internalID="V0S2P2" partner="V0S3|V0S3P1"/>
    <has_OutputPin xsi:type="ds:DSOutputPinSDO" xmi:id="28" internalID="V0S2P3" partner="V0S3|V0S3P2"/>
  </contains_JobObject>
  <contains_JobObject xsi:type="ds:DSStageSDO" xmi:id="30" name="Tgt" internalID="V0S3" stageType="PxFunnel" inputPins="V0S3P1|V0S3P2">
    <has_InputPin xsi:type="ds:DSInputPinSDO" xmi:id="31" internalID="V0S3P1" linkType="1"/>
    <has_InputPin xsi:type="ds:DSInputPinSDO" xmi:id="32" internalID="V0S3P2" linkType="1"/>
  </contains_JobObject>
  <contains_JobObject xsi:type="ds:DSLinkSDO" xmi:id="40" name="In" linkType="Primary" from_OutputPin="11" to_InputPin="26">
    <contains_FlowVariable xsi:type="ds:DSFlowVariableSDO" xmi:id="41" name="a" typeCode="String" oDBCType="Char" maximumLength="5" isNullable="true" isKey="true" shortDescription="col a"/>
    <contains_FlowVariable xsi:type="ds:DSFlowVariableSDO" xmi:id="42" name="b" typeCode="Decimal" oDBCType="Unknown" maximumLength="10" fractionDigits="2" isKey="true"/>
  </contains_JobObject>
  <contains_JobObject xsi:type="ds:DSLinkSDO" xmi:id="50" name="Good" linkType="Primary" from_OutputPin="27" to_InputPin="31">
    <has_ParameterVal xsi:type="ds:DSParameterValSDO" xmi:id="51" parameterName="Constraint" valueExpression="svB &gt; 1" usage="Out"/>
    <contains_FlowVariable xsi:type="ds:DSFlowVariableSDO" xmi:id="52" name="a" oDBCType="Char" sourceColumnID="In.a"/>
  </contains_JobObject>
  <contains_JobObject xsi:type="ds:DSLinkSDO" xmi:id="60" name="Rest" linkType="Primary" from_OutputPin="28" to_InputPin="32">
    <has_ParameterVal xsi:type="ds:DSParameterValSDO" xmi:id="61" parameterName="Reject" valueExpression="1" usage="Out"/>
  </contains_JobObject>
  <contains_JobObject xsi:type="ds:DSAnnotationSDO" xmi:id="70" internalID="V0A1" annotationText="A note"/>
</ds:DSJobDefSDO>
"#;

    // ----- the real corpus ----------------------------------------------

    /// (file, parallel jobs, sequence jobs, routines), from SOURCES.md's
    /// "jobs inside" column.
    const REAL_FILES: &[(&str, usize, usize, usize)] = &[
        ("NSIT-BIM__datastage-isxer/test.isx", 1, 0, 1),
        (
            "studentbwl19__MettleCI-DevOps/MettleCI_Lab1_Solution.isx",
            1,
            0,
            0,
        ),
        ("studentbwl19__MettleCI-DevOps/mci_test.isx", 1, 0, 0),
        ("studentbwl19__MettleCI-DevOps/mci_test_base.isx", 1, 0, 0),
        (
            "studentbwl19__MettleCI-DevOps/mci_test_base_backup.isx",
            1,
            0,
            0,
        ),
        (
            "studentbwl19__MettleCI-DevOps/mci_test_revised.isx",
            1,
            0,
            0,
        ),
        (
            "umapornj__datastage-tutorial-main/Sequencer_isadmin_20211013101357.isx",
            8,
            9,
            0,
        ),
        (
            "vinhduong2412__mettleci-demo/MettleCI_Lab1_Solution.isx",
            1,
            0,
            0,
        ),
        (
            "vinhduong2412__mettleci-demo/MettleCI_Lab1_Solution_v2.isx",
            1,
            0,
            0,
        ),
        (
            "vinhduong2412__mettleci-demo/MettleCI_Lab1_Solution_v3.isx",
            1,
            0,
            0,
        ),
        (
            "vinhduong2412__mettleci-demo/MettleCI_Lab1_Solution_v4.isx",
            1,
            0,
            0,
        ),
        ("vinhduong2412__mettleci-demo/big_test.isx", 1, 0, 0),
        (
            "vinhduong2412__mettleci-demo/demo_success_case.isx",
            1,
            0,
            0,
        ),
        ("vinhduong2412__mettleci-demo/mci_test.isx", 1, 0, 0),
        ("vinhduong2412__mettleci-demo/mci_test_base.isx", 1, 0, 0),
        (
            "vinhduong2412__mettleci-demo/mci_test_base_backup.isx",
            1,
            0,
            0,
        ),
        ("vinhduong2412__mettleci-demo/t1.isx", 1, 0, 0),
        ("vinhduong2412__mettleci-demo/test.isx", 1, 0, 0),
        (
            "weixionglin8199__mettleci/MettleCI_Lab1_Solution.isx",
            1,
            0,
            0,
        ),
        ("weixionglin8199__mettleci/mci_test.isx", 1, 0, 0),
        ("weixionglin8199__mettleci/mci_test_base.isx", 1, 0, 0),
        (
            "weixionglin8199__mettleci/mci_test_base_backup.isx",
            1,
            0,
            0,
        ),
        ("weixionglin8199__mettleci/mci_test_ronnyz.isx", 1, 0, 0),
    ];

    #[test]
    fn every_real_isx_reads_without_errors_with_expected_jobs() {
        let on_disk = std::fs::read_dir(corpus_dir())
            .expect("corpus dir")
            .filter_map(|d| std::fs::read_dir(d.ok()?.path()).ok())
            .flatten()
            .filter(|f| {
                f.as_ref()
                    .is_ok_and(|f| f.path().extension().is_some_and(|e| e == "isx"))
            })
            .count();
        assert_eq!(on_disk, REAL_FILES.len(), "every real .isx is listed here");
        for (file, parallel, sequence, routines) in REAL_FILES {
            let (entities, diags) = read_real(file);
            assert!(errors(&diags).is_empty(), "{file}: {diags:?}");
            let kinds: Vec<JobKind> = entities
                .iter()
                .filter_map(|e| e.entity.as_job())
                .map(|j| j.kind)
                .collect();
            let count = |k| kinds.iter().filter(|&&x| x == k).count();
            assert_eq!(count(JobKind::Parallel), *parallel, "{file}: parallel jobs");
            assert_eq!(count(JobKind::Sequence), *sequence, "{file}: sequence jobs");
            assert_eq!(
                kinds.len(),
                parallel + sequence,
                "{file}: no other job kinds"
            );
            let n_routines = entities
                .iter()
                .filter(|e| matches!(e.entity, Entity::Routine(_)))
                .count();
            assert_eq!(n_routines, *routines, "{file}: routines");
            for e in &entities {
                assert_eq!(e.format, SourceFormat::Isx);
                assert!(
                    e.location
                        .member
                        .as_deref()
                        .is_some_and(|m| m.contains('/')),
                    "{file}: member path"
                );
                assert_eq!(e.hash, entity_hash(&e.entity));
            }
        }
    }

    /// Stage and link counts per job, counted independently with a Python
    /// script over the unzipped XMI (`DSStageSDO` / `DSLinkSDO` objects and
    /// `contains_FlowVariable` columns).
    #[test]
    fn stage_link_and_column_counts_match_the_xmi() {
        let cases: &[(&str, &str, usize, usize, usize)] = &[
            (
                "NSIT-BIM__datastage-isxer/test.isx",
                "Jx_NR_Lvl2",
                16,
                15,
                2,
            ),
            (
                "studentbwl19__MettleCI-DevOps/MettleCI_Lab1_Solution.isx",
                "MettleCI_Lab1_Solution",
                2,
                1,
                2,
            ),
            (
                "studentbwl19__MettleCI-DevOps/mci_test_revised.isx",
                "mci_test_revised",
                3,
                2,
                18,
            ),
            (
                "vinhduong2412__mettleci-demo/MettleCI_Lab1_Solution_v2.isx",
                "MettleCI_Lab1_Solution_v2",
                3,
                2,
                4,
            ),
            (
                "vinhduong2412__mettleci-demo/big_test.isx",
                "big_test",
                3,
                2,
                10,
            ),
            (
                "vinhduong2412__mettleci-demo/demo_success_case.isx",
                "demo_success_case",
                4,
                2,
                2,
            ),
            ("vinhduong2412__mettleci-demo/test.isx", "test", 3, 2, 18),
            ("vinhduong2412__mettleci-demo/t1.isx", "t1", 2, 1, 1),
            (
                "weixionglin8199__mettleci/mci_test_ronnyz.isx",
                "mci_test_ronnyz",
                2,
                1,
                2,
            ),
        ];
        for (file, name, stages, links, columns) in cases {
            let (entities, _) = read_real(file);
            let j = job(&entities, name);
            assert_eq!(
                (j.stages.len(), j.links.len(), j.column_count()),
                (*stages, *links, *columns),
                "{file} {name}"
            );
        }
        let seq = "umapornj__datastage-tutorial-main/Sequencer_isadmin_20211013101357.isx";
        let (entities, _) = read_real(seq);
        for (name, stages, links) in [
            ("sequenceJob0JobActivity", 1, 0),
            ("sequenceJob1JobActivities", 3, 2),
            ("sequenceJob2ExecCommJobActSequencer", 5, 4),
            ("sequenceJob4ExecCommJobActTerminator", 5, 3),
            ("sequenceJobJobStatus", 4, 3),
            ("sequenceJobExecReturn", 3, 2),
            ("testJob0", 2, 1),
        ] {
            let j = job(&entities, name);
            assert_eq!((j.stages.len(), j.links.len()), (stages, links), "{name}");
        }
    }

    #[test]
    fn graph_ids_and_ends_resolve_to_stages() {
        let (entities, _) = read_real("NSIT-BIM__datastage-isxer/test.isx");
        let j = job(&entities, "Jx_NR_Lvl2");
        assert_eq!(j.folder, "\\T_NR");
        assert!(j.description.starts_with("[TNR] Level 2"));
        assert!(!j.description.contains('\r'));
        for l in &j.links {
            assert!(j.stage(&l.from_stage).is_some(), "{}", l.name);
            let to = l
                .to_stage
                .as_deref()
                .and_then(|t| j.stage(t))
                .expect("target stage");
            assert!((l.to_index as usize) < to.input_pins.len(), "{}", l.name);
            let from = j.stage(&l.from_stage).expect("source");
            assert_eq!(
                from.output_pins[l.from_index as usize], l.id,
                "link id is the output pin id"
            );
        }
        let change_capture = j
            .stages
            .iter()
            .find(|s| s.name == "Gn_ChCap")
            .expect("Gn_ChCap");
        assert_eq!(change_capture.input_pins, ["V0S15P2", "V0S15P3"]);
        let second = j
            .links
            .iter()
            .find(|l| l.name == "Ln_chcap2")
            .expect("Ln_chcap2");
        assert_eq!((second.id.as_str(), second.to_index), ("V87S1P3", 1));
        let reference = j.links.iter().find(|l| l.name == "Ref_lk").expect("Ref_lk");
        assert_eq!(reference.kind, LinkKind::Reference);
        assert!(
            j.links
                .iter()
                .flat_map(|l| &l.columns)
                .any(|c| c.key_expression == "In_lk.change_code")
        );
        // Connector: decoded XMLProperties, password pointer redacted.
        let jdbc = j
            .stages
            .iter()
            .find(|s| s.name == "jdbc_db1")
            .expect("jdbc_db1");
        assert_eq!(jdbc.stage_type, "JDBCConnector");
        assert!(matches!(
            props::find(&jdbc.properties, "XMLProperties"),
            Some(crate::ir::PropValue::Connector(_))
        ));
        assert_eq!(
            props::find(&jdbc.properties, "Password").and_then(|v| v.as_text()),
            Some(REDACTED)
        );
        // Parameter set reference.
        let ps = j
            .parameters
            .iter()
            .find(|p| p.name == "Ps_NR_Db")
            .expect("Ps_NR_Db");
        assert_eq!(
            (ps.param_type, ps.parameter_set.as_deref()),
            (ParamType::ParameterSet, Some("Ps_NR_Db"))
        );
        // The routine beside it.
        let routine = entities
            .iter()
            .find_map(|e| match &e.entity {
                Entity::Routine(r) => Some(r),
                _ => None,
            })
            .expect("routine");
        assert_eq!(routine.name, "RtTnrGetKeys");
        assert_eq!(routine.arguments, ["InputArg", "ErrorCode"]);
        assert!(
            routine
                .source
                .starts_with("SUBROUTINE RtTnrGetKeys(InputArg,ErrorCode)\n")
        );
    }

    #[test]
    fn sequence_activities_have_jobs_and_triggers() {
        let (entities, _) =
            read_real("umapornj__datastage-tutorial-main/Sequencer_isadmin_20211013101357.isx");
        let j = job(&entities, "sequenceJobJobStatus");
        assert_eq!(j.kind, JobKind::Sequence);
        let ja = j
            .stages
            .iter()
            .find(|s| s.stage_type == "JobActivity")
            .expect("job activity");
        let act = ja.activity.as_ref().expect("activity detail");
        assert_eq!(act.job_name, "testJobStatus1a");
        let triggers: Vec<(&str, &str)> = act
            .triggers
            .iter()
            .map(|t| (t.condition_type.as_str(), t.expression.as_str()))
            .collect();
        assert_eq!(
            triggers,
            [
                ("2", "\"Executed OK\""),
                ("4", "\"Execution finsihed with warnings\""),
                ("3", "\"Execution Failed\"")
            ]
        );
        assert!(
            act.triggers
                .iter()
                .all(|t| t.to_stage.as_deref().is_some_and(|s| j.stage(s).is_some()))
        );
        // Compiled control code is kept, without its compile time stamp.
        let code = props::find(&j.properties, "JobControlCode")
            .and_then(|v| v.as_text())
            .expect("code");
        assert!(code.contains("DSMakeMsg(\"DSTAGE_JSG_M_0048\\Summary of sequence run\""));
        assert!(!code.contains("Generated at"));

        let j = job(&entities, "sequenceJob2ExecCommJobActSequencer");
        let seqr = j
            .stages
            .iter()
            .find(|s| s.stage_type == "Sequencer")
            .expect("sequencer");
        assert_eq!(seqr.activity.as_ref().map(|a| a.mode.as_str()), Some("0"));
        let cmd = j
            .stages
            .iter()
            .find(|s| s.name == "Execute_Command_4")
            .expect("exec");
        assert_eq!(cmd.stage_type, "ExecCommandActivity");
        assert_eq!(cmd.raw_type, "CExecCommandActivity");
        let cmd_act = cmd.activity.as_ref().expect("exec activity");
        assert_eq!(cmd_act.mode, "echo \"test\"");
        assert_eq!(cmd_act.triggers.len(), 1);
        assert_eq!(cmd_act.triggers[0].to_stage.as_deref(), Some("V0S3"));

        let j = job(&entities, "sequenceJob1JobActivities");
        let mut run: Vec<&str> = j
            .stages
            .iter()
            .filter_map(|s| s.activity.as_ref())
            .map(|a| a.job_name.as_str())
            .collect();
        run.sort();
        assert_eq!(run, ["testJob1a", "testJob1b", "testJob1c"]);
        let mail = job(&entities, "sequenceJobNotification1");
        assert!(mail.stages.iter().any(|s| s.stage_type == "MailActivity"));
    }

    #[test]
    fn transformer_keeps_derivations() {
        let (entities, _) = read_real("vinhduong2412__mettleci-demo/MettleCI_Lab1_Solution_v2.isx");
        let j = job(&entities, "MettleCI_Lab1_Solution_v2");
        let trx = j
            .stages
            .iter()
            .find(|s| s.stage_type == "Transformer")
            .expect("transformer");
        assert!(trx.transformer.is_some());
        let out = j
            .links
            .iter()
            .find(|l| l.from_stage == trx.id)
            .expect("output link");
        let derivations: Vec<(&str, &str)> = out
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.derivation.as_str()))
            .collect();
        assert_eq!(
            derivations,
            [
                ("id", "Transform.id"),
                ("name", "Transform.name : '@ibm.com'")
            ]
        );
        assert_eq!(out.columns[0].sql_type, 4);
        assert_eq!(out.columns[1].sql_type, 12);
        // File options sit on the link ends; property trees are decoded.
        let input = j
            .links
            .iter()
            .find(|l| l.name == "Transform")
            .expect("input link");
        let file = props::find(&input.source_properties, "file +").expect("file option");
        assert!(matches!(file, crate::ir::PropValue::Tree(t) if t[0].value == "#$input_file_1#"));
        assert!(
            out.target_properties
                .iter()
                .any(|p| p.name == "append\\overwrite")
        );
        assert!(
            !out.target_properties
                .iter()
                .any(|p| p.name == "LinkMinimised")
        );
    }

    #[test]
    fn hash_ignores_repository_bookkeeping() {
        // The same lab job exported at different times into three forks:
        // different bytes, identical design.
        let hashes: Vec<_> = [
            "studentbwl19__MettleCI-DevOps/MettleCI_Lab1_Solution.isx",
            "vinhduong2412__mettleci-demo/MettleCI_Lab1_Solution.isx",
            "weixionglin8199__mettleci/MettleCI_Lab1_Solution.isx",
        ]
        .iter()
        .map(|f| read_real(f).0[0].hash)
        .collect();
        assert_eq!(hashes[0], hashes[1]);
        assert_eq!(hashes[1], hashes[2]);
        let (a, _) = read_real("vinhduong2412__mettleci-demo/t1.isx");
        let (b, _) = read_real("vinhduong2412__mettleci-demo/t1.isx");
        assert_eq!(a[0].hash, b[0].hash);
    }

    // ----- synthetic archives --------------------------------------------

    /// A link with no `linkType` of its own and an input pin with none
    /// takes the output pin's code (the DSX reader reads both pins too).
    #[test]
    fn the_output_pin_link_type_marks_a_reject_link() {
        let xmi = SYNTHETIC_JOB
            .replace(r#"name="Good" linkType="Primary" "#, r#"name="Good" "#)
            .replace(
                r#"internalID="V0S3P1" linkType="1""#,
                r#"internalID="V0S3P1""#,
            )
            .replace(
                r#"internalID="V0S2P2" partner="V0S3|V0S3P1""#,
                r#"internalID="V0S2P2" partner="V0S3|V0S3P1" linkType="3""#,
            );
        let bytes = zip_of(&[
            (MANIFEST, MANIFEST_XML),
            ("H/p/Jobs/Synth.pjb", xmi.as_bytes()),
        ]);
        let (entities, diags) = read_isx(&bytes, "s.isx", &Limits::default());
        assert!(diags.is_empty(), "{diags:?}");
        let j = job(&entities, "Synth");
        let good = j.links.iter().find(|l| l.name == "Good").expect("Good");
        assert_eq!(good.kind, LinkKind::Reject);
    }

    #[test]
    fn synthetic_job_with_stage_vars_constraint_and_otherwise() {
        let bytes = zip_of(&[
            (MANIFEST, MANIFEST_XML),
            ("H/p/Jobs/Synth.pjb", SYNTHETIC_JOB.as_bytes()),
        ]);
        let (entities, diags) = read_isx(&bytes, "s.isx", &Limits::default());
        assert!(diags.is_empty(), "{diags:?}");
        let j = job(&entities, "Synth");
        assert_eq!(j.folder, "\\Jobs\\Synth");
        assert_eq!(j.description, "Short\nLong\ntext");
        assert_eq!(j.annotations, ["A note"]);
        let pwd = &j.parameters[0];
        assert_eq!(
            (pwd.param_type, pwd.default.as_str()),
            (ParamType::Encrypted, REDACTED)
        );
        assert!(j.parameters[1].is_env);

        let trx = j.stage("V0S2").expect("transformer");
        let vars = &trx.transformer.as_ref().expect("detail").stage_vars;
        let vars: Vec<(&str, &str, &str)> = vars
            .iter()
            .map(|v| {
                (
                    v.name.as_str(),
                    v.expression.as_str(),
                    v.initial_value.as_str(),
                )
            })
            .collect();
        assert_eq!(
            vars,
            [("svA", "In.a : \"\\\"", "''"), ("svB", "svA + 1", "0")]
        );
        assert!(!trx.properties.iter().any(|p| p.name == "ValidationStatus"));
        let tree = props::find(&trx.properties, "tree").expect("tree property");
        assert!(matches!(tree, crate::ir::PropValue::Tree(t) if t[0].value == "A\u{1E}B"));

        let input = j.links.iter().find(|l| l.name == "In").expect("In");
        let cols: Vec<(&str, i32, u32, u32, bool, u32)> = input
            .columns
            .iter()
            .map(|c| {
                (
                    c.name.as_str(),
                    c.sql_type,
                    c.length,
                    c.scale,
                    c.nullable,
                    c.key_position,
                )
            })
            .collect();
        assert_eq!(cols, [("a", 1, 5, 0, true, 1), ("b", 3, 10, 2, false, 2)]);
        assert_eq!(input.columns[0].description, "col a");
        let good = j.links.iter().find(|l| l.name == "Good").expect("Good");
        assert_eq!(
            (good.kind, good.constraint.as_str(), good.from_index),
            (LinkKind::Stream, "svB > 1", 0)
        );
        assert!(good.source_properties.is_empty());
        assert_eq!(good.columns[0].derivation, "In.a");
        let rest = j.links.iter().find(|l| l.name == "Rest").expect("Rest");
        assert_eq!(
            (rest.kind, rest.from_index, rest.to_index),
            (LinkKind::Otherwise, 1, 1)
        );
        // Nothing volatile leaks into the IR.
        let dump = format!("{:?}", entities[0].entity);
        for volatile in ["abc", "2025-01-01", "me\"", "xmi"] {
            assert!(!dump.contains(volatile), "{volatile} leaked");
        }
    }

    #[test]
    fn parameter_sets_table_defs_and_others() {
        let pst = r#"<?xml version="1.1"?><ds:DSParameterSetSDO xmlns:ds="x" xmlns:xsi="y" name="Ps_Db" category="\\Params">
  <has_ParameterDef xsi:type="ds:DSParameterDefSDO" name="user" defaultValue="scott" typeCode="String"/>
  <has_ParameterDef xsi:type="ds:DSParameterDefSDO" name="pw" defaultValue="{iisenc}zz" typeCode="String" extendedType="Encrypted"/>
  <has_ValueSet name="prod"><has_ParameterVal parameterName="user" valueExpression="prod_user"/><has_ParameterVal parameterName="pw" valueExpression="x"/></has_ValueSet>
</ds:DSParameterSetSDO>"#;
        let tbd = r#"<?xml version="1.1"?><ds:DSTableDefinitionSDO xmlns:ds="x" name="CUSTOMER" category="\\Table Definitions\\DB">
  <contains_Column name="ID" oDBCType="Integer" isKey="true"/><contains_Column name="NAME" oDBCType="VarChar" maximumLength="40" isNullable="true"/>
</ds:DSTableDefinitionSDO>"#;
        let stp = r#"<?xml version="1.1"?><ds:DSStageTypeSDO xmlns:ds="x" objectID="o" name="MyOp" baseType="PxGeneric"/>"#;
        let manifest = br#"<Manifest><entries path="H/p/Jobs/J.pjb"><additionalInfo key="executablepath" value="H/p/Jobs/J.bin"/></entries></Manifest>"#;
        let bytes = zip_of(&[
            (MANIFEST, manifest),
            ("H/p/Params/Ps_Db.pst", pst.as_bytes()),
            ("H/p/Tables/CUSTOMER.tbd", tbd.as_bytes()),
            ("H/p/Types/MyOp.stp", stp.as_bytes()),
            ("H/p/Jobs/J.bin", b"BEGIN HEADER"),
            ("H/p/Jobs/J.pjb.png", b"\x89PNG"),
        ]);
        let (entities, diags) = read_isx(&bytes, "o.isx", &Limits::default());
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(entities.len(), 3);
        for e in &entities {
            match &e.entity {
                Entity::ParameterSet(p) => {
                    assert_eq!((p.name.as_str(), p.folder.as_str()), ("Ps_Db", "\\Params"));
                    assert_eq!(p.parameters[1].default, REDACTED);
                    assert_eq!(
                        p.value_sets,
                        [(
                            "prod".to_string(),
                            vec![
                                ("user".into(), "prod_user".into()),
                                ("pw".into(), REDACTED.into())
                            ]
                        )]
                    );
                }
                Entity::TableDef(t) => {
                    let cols: Vec<(&str, i32, u32, bool, u32)> = t
                        .columns
                        .iter()
                        .map(|c| {
                            (
                                c.name.as_str(),
                                c.sql_type,
                                c.length,
                                c.nullable,
                                c.key_position,
                            )
                        })
                        .collect();
                    assert_eq!(cols, [("ID", 4, 0, false, 1), ("NAME", 12, 40, true, 0)]);
                }
                Entity::Other(o) => {
                    assert_eq!(
                        (o.block.as_str(), o.name.as_str()),
                        ("DSStageTypeSDO", "MyOp")
                    );
                    assert_eq!(o.properties.len(), 1, "only baseType: {:?}", o.properties);
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn externalised_sql_type_names_map_to_odbc_codes() {
        let cases = [
            ("char", 1),
            ("Numeric", 2),
            ("decimal", 3),
            ("INTEGER", 4),
            ("SmallInt", 5),
            ("float", 6),
            ("real", 7),
            ("Double", 8),
            ("date", 9),
            ("time", 10),
            ("timestamp", 11),
            ("varchar", 12),
            ("LongVarChar", -1),
            ("binary", -2),
            ("varbinary", -3),
            ("bigint", -5),
            ("tinyint", -6),
            ("bit", -7),
            ("nchar", -8),
            ("nvarchar", -9),
            ("-5", -5),
        ];
        for (name, code) in cases {
            assert_eq!(sql_type_code(name), Some(code), "{name}");
        }
        assert_eq!(sql_type_code("Unknown"), None);
    }

    #[test]
    fn unescaping_handles_xml_1_1_refs_and_dsx_quoting() {
        assert_eq!(
            attr_value("a&#x1E;b&#xD;&#xA;c&lt;&amp;&unknown;"),
            "a\u{1E}b\nc<&"
        );
        assert_eq!(attr_value("\\\\Jobs\\\\X"), "\\Jobs\\X");
        assert_eq!(attr_value("\\(02)x\\\\(02)"), "\u{2}x\\(02)");
        assert_eq!(attr_value("keep \\(zz) & a"), "keep \\(zz) & a");
    }

    #[test]
    fn numeric_suffixes_are_part_of_no_type() {
        for (name, kind) in [
            ("P/Jobs/X.pjb", Some(AssetKind::Job)),
            ("P/Jobs/x.pjb1", Some(AssetKind::Job)),
            ("P/Seq/s.QJB2", Some(AssetKind::Job)),
            ("P/Srv/a.sjb12", Some(AssetKind::Job)),
            ("P/Params/p.pst1", Some(AssetKind::ParameterSet)),
            ("P/Tables/t.tbd3", Some(AssetKind::TableDef)),
            ("P/Routines/r.srt1", Some(AssetKind::Routine)),
            ("P/Jobs/X.pjb.png", None),
            ("P/Jobs/X.bin", None),
            ("P/Jobs/X.123", None),
            ("noext", None),
        ] {
            assert_eq!(asset_kind(name), kind, "{name}");
        }
    }

    #[test]
    fn every_member_is_read_ignored_or_reported() {
        let renamed = SYNTHETIC_JOB.replacen("name=\"Synth\"", "name=\"synth\"", 1);
        assert_ne!(renamed, SYNTHETIC_JOB);
        let bytes = zip_of(&[
            (MANIFEST, MANIFEST_XML),
            ("H/p/Jobs/", b""),
            ("H/p/Jobs/Synth.pjb", SYNTHETIC_JOB.as_bytes()),
            ("H/p/Jobs/Synth.pjb.png", b"\x89PNG"),
            ("H/p/Jobs/synth.pjb1", renamed.as_bytes()),
            ("H/p/Jobs/synth.pjb1.png", b"\x89PNG"),
            ("H/p/Jobs/Synth.bin", b"BEGIN HEADER"),
            ("H/p/Jobs/Other.bin", b"BEGIN HEADER"),
            ("manifest.json", b"{}"),
            ("notes/odd.txt", b"?"),
            ("notes/picture.png", b"\x89PNG"),
        ]);
        let (entities, diags, members) = read_isx_members(&bytes, "m.isx", &Limits::default());
        let names: Vec<(&str, Option<&str>)> = entities
            .iter()
            .map(|e| (e.entity.name(), e.location.member.as_deref()))
            .collect();
        assert_eq!(
            names,
            [
                ("Synth", Some("H/p/Jobs/Synth.pjb")),
                ("synth", Some("H/p/Jobs/synth.pjb1"))
            ]
        );
        assert_ne!(entities[0].hash, entities[1].hash);
        let members = members.expect("an ISX archive");
        assert_eq!(members.read, 2);
        assert_eq!(members.unknown, 3);
        let ignored: Vec<(&str, usize)> = members
            .ignored
            .iter()
            .map(|(k, n)| (k.as_str(), *n))
            .collect();
        assert_eq!(
            ignored,
            [
                ("build manifest", 1),
                ("canvas image", 2),
                ("compiled executable", 1),
                ("folder", 1),
                ("manifest", 1)
            ]
        );
        let warned: Vec<&str> = diags
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .filter_map(|d| d.location.member.as_deref())
            .collect();
        assert_eq!(
            warned,
            ["H/p/Jobs/Other.bin", "notes/odd.txt", "notes/picture.png"]
        );
        assert!(diags.iter().all(|d| d.severity == Severity::Warning));
        assert!(diags[1].found.contains("notes/odd.txt"), "{}", diags[1]);
    }

    // ----- failures -------------------------------------------------------

    #[test]
    fn zip_without_manifest_is_skipped() {
        let bytes = zip_of(&[("H/p/Jobs/Synth.pjb", SYNTHETIC_JOB.as_bytes())]);
        let (entities, diags) = read_isx(&bytes, "plain.zip", &Limits::default());
        assert!(entities.is_empty());
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].severity, Severity::Skipped);
        assert!(diags[0].found.contains("without META-INF/IS-MANIFEST.MF"));
    }

    #[test]
    fn corrupt_or_truncated_zip_is_an_error_not_a_panic() {
        let (_, diags) = read_isx(
            b"PK\x03\x04 not really a zip",
            "bad.isx",
            &Limits::default(),
        );
        assert_eq!(errors(&diags).len(), 1);
        let real =
            std::fs::read(corpus_dir().join("vinhduong2412__mettleci-demo/t1.isx")).expect("t1");
        let (_, diags) = read_isx(&real[..real.len() / 2], "half.isx", &Limits::default());
        assert_eq!(errors(&diags).len(), 1, "{diags:?}");
        // Any prefix, and any single corrupted byte, must never panic.
        for cut in (0..real.len()).step_by(61) {
            let _ = read_isx(&real[..cut], "cut.isx", &Limits::default());
        }
        for pos in (0..real.len()).step_by(53) {
            let mut bad = real.clone();
            bad[pos] ^= 0x5A;
            let _ = read_isx(&bad, "flip.isx", &Limits::default());
        }
    }

    #[test]
    fn unreadable_member_is_reported_and_the_rest_is_read() {
        let bytes = zip_of(&[
            (MANIFEST, MANIFEST_XML),
            (
                "H/p/Jobs/A_broken.pjb",
                b"<?xml version=\"1.1\"?><ds:DSJobDefSDO name=\"x\"><contains_JobObject>",
            ),
            ("H/p/Jobs/Synth.pjb", SYNTHETIC_JOB.as_bytes()),
        ]);
        let (entities, diags) = read_isx(&bytes, "mixed.isx", &Limits::default());
        assert_eq!(entities.len(), 1);
        assert_eq!(
            entities[0].location.member.as_deref(),
            Some("H/p/Jobs/Synth.pjb")
        );
        let errs = errors(&diags);
        assert_eq!(errs.len(), 1);
        assert_eq!(
            errs[0].location.member.as_deref(),
            Some("H/p/Jobs/A_broken.pjb")
        );
    }

    #[test]
    fn decompressed_size_over_the_limit_is_an_error() {
        let limits = Limits {
            max_file_size: 1024 * 1024,
        };
        let zeros = vec![b' '; 3 * 1024 * 1024];
        let bytes = zip_of(&[(MANIFEST, MANIFEST_XML), ("H/p/Jobs/Bomb.pjb", &zeros)]);
        assert!(bytes.len() < 64 * 1024, "the member compresses well");
        let (entities, diags) = read_isx(&bytes, "bomb.isx", &limits);
        assert!(entities.is_empty());
        let errs = errors(&diags);
        assert_eq!(errs.len(), 1);
        assert!(errs[0].found.contains("H/p/Jobs/Bomb.pjb"), "{}", errs[0]);

        // The limit is on the total: two members that fit one by one.
        let half = vec![b' '; 600 * 1024];
        let bytes = zip_of(&[
            (MANIFEST, MANIFEST_XML),
            ("H/p/a.pjb", &half),
            ("H/p/b.pjb", &half),
        ]);
        let (_, diags) = read_isx(&bytes, "two.isx", &limits);
        let errs = errors(&diags);
        assert!(
            errs.iter().any(|d| d.found.contains("H/p/b.pjb")),
            "{diags:?}"
        );
    }

    #[test]
    fn deep_nesting_is_refused() {
        let mut xml = String::from("<?xml version=\"1.1\"?>");
        xml.push_str(&"<a>".repeat(100_000));
        let bytes = zip_of(&[
            (MANIFEST, MANIFEST_XML),
            ("H/p/Jobs/Deep.pjb", xml.as_bytes()),
        ]);
        let (entities, diags) = read_isx(&bytes, "deep.isx", &Limits::default());
        assert!(entities.is_empty());
        assert_eq!(errors(&diags).len(), 1);
    }
}
