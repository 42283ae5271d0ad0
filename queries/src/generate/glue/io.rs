//! Sources and targets of the `main()` wrapper: sequential files → S3
//! CSV with the export's format, data sets → Parquet on S3, database
//! connectors → JDBC through Glue connections named in `[glue.connections]`
//! (never credentials), with the write mode of the stage.

use super::props;
use super::{Gen, is_io, one_line};
use crate::escape::py_comment;
use crate::expr::translate::pyspark::py_str;
use crate::generate::plan::Plan;
use crate::ir::{Link, PropValue, Stage};

/// Python expression of a DataStage path or name with `#PARAM#`
/// references resolved from `params`.
pub fn param_text(s: &str) -> String {
    if !s.contains('#') {
        return py_str(s);
    }
    let mut out = String::from("f");
    let mut body = String::new();
    let parts: Vec<&str> = s.split('#').collect();
    for (i, p) in parts.iter().enumerate() {
        // Only a parameter-like name becomes a look-up: anything else (quotes,
        // backslashes, braces) would be Python code inside the f-string.
        let is_name = !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '$'));
        if i % 2 == 1 && i + 1 < parts.len() && is_name {
            body.push_str(&format!("{{params[{}]}}", py_str(p).replace('"', "'")));
        } else {
            let lit = py_str(p);
            let lit = &lit[1..lit.len() - 1];
            body.push_str(&lit.replace('{', "{{").replace('}', "}}"));
            if i % 2 == 1 && i + 1 < parts.len() {
                body.push('#');
            }
        }
    }
    out.push('"');
    out.push_str(&body);
    out.push('"');
    out
}

/// The key columns of a link, as Python string literals.
pub(crate) fn key_columns(l: &Link) -> Vec<String> {
    l.columns
        .iter()
        .filter(|c| c.key_position > 0)
        .map(|c| py_str(&c.name))
        .collect()
}

/// The Glue connection of a database stage, as code of both files.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Connection {
    /// Python expression of the connection name.
    pub py: String,
    /// HCL expression of the connection name.
    pub hcl: String,
    /// For a server without a `[glue.connections]` entry: the job argument
    /// (`DSMIG_CONNECTION_<SERVER>`) and the key of `var.glue_connections`
    /// that fills it. Never a placeholder name: Terraform fails on a
    /// missing key, the script on a missing argument, both naming it.
    pub argument: Option<(String, String)>,
}

/// The Glue connection for a database stage: the `[glue.connections]`
/// entry of its DataStage server, else a job argument set from the
/// Terraform map `glue_connections`.
pub fn connection_name(g: &mut Gen, stage: &Stage) -> Connection {
    let server = props::connector(stage, "Connection/Server")
        .or_else(|| props::connector(stage, "Connection/DataSource"))
        .or_else(|| props::connector(stage, "Connection/Database"))
        .or_else(|| props::connector(stage, "Connection/URL"))
        .or_else(|| props::text(&stage.properties, "DSN"))
        .or_else(|| props::text(&stage.properties, "Server"))
        .unwrap_or("");
    // The server or data source only: never a connection string's
    // credentials (already redacted, but not a name either).
    let server = crate::parse::secrets::server_name(server);
    let cfg = &g.ctx.config.connections;
    if let Some(c) = cfg
        .get(&server)
        .or_else(|| cfg.get(server.trim_matches('#')))
    {
        return Connection {
            py: py_str(c),
            hcl: crate::escape::hcl_str(c),
            argument: None,
        };
    }
    let mut key: String = server
        .trim_matches('#')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if key.trim_matches('_').is_empty() {
        key = "DEFAULT".into();
    }
    let arg = format!("DSMIG_CONNECTION_{key}");
    Connection {
        py: format!("dsmig_connection({})", py_str(&arg)),
        hcl: format!("var.glue_connections[{}]", crate::escape::hcl_str(&key)),
        argument: Some((arg, key)),
    }
}

pub(crate) use crate::stages::props::db_table;

/// A user's query from the export as one statement for a JDBC `query`
/// option or a subquery: without the `;` ending it and without the
/// whitespace and comments after it (both are syntax errors there: Spark
/// wraps the query in `SELECT * FROM (...)`). Text inside quotes and
/// comments is skipped while looking; a `;` between two statements stays.
pub(crate) fn user_query(sql: &str) -> String {
    #[derive(PartialEq)]
    enum St {
        Code,
        Quote(char),
        Line,
        Block,
    }
    let mut st = St::Code;
    let mut end = 0;
    let mut it = sql.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        let next = it.peek().map(|&(_, n)| n);
        match st {
            St::Code => match c {
                '\'' | '"' => {
                    st = St::Quote(c);
                    end = i + c.len_utf8();
                }
                '-' if next == Some('-') => {
                    st = St::Line;
                    it.next();
                }
                '/' if next == Some('*') => {
                    st = St::Block;
                    it.next();
                }
                ';' => {}
                c if c.is_whitespace() => {}
                c => end = i + c.len_utf8(),
            },
            St::Quote(q) => {
                end = i + c.len_utf8();
                if c == q {
                    st = St::Code;
                }
            }
            St::Line => {
                if c == '\n' {
                    st = St::Code;
                }
            }
            St::Block => {
                if c == '*' && next == Some('/') {
                    it.next();
                    st = St::Code;
                }
            }
        }
    }
    sql[..end].to_string()
}

pub(crate) fn file_path(stage: &Stage, l: &Link, reading: bool) -> String {
    let pin = if reading {
        &l.source_properties
    } else {
        &l.target_properties
    };
    for name in ["file", "file ", "FileName", "dataset", "fileset"] {
        if let Some(PropValue::Tree(nodes)) = props::find(pin, name)
            && let Some(n) = nodes.first()
        {
            return n.value.trim().to_string();
        }
        if let Some(t) = props::text(pin, name).filter(|t| !t.trim().is_empty()) {
            return t.trim().to_string();
        }
        if let Some(PropValue::Tree(nodes)) = props::find(&stage.properties, name)
            && let Some(n) = nodes.first()
        {
            return n.value.trim().to_string();
        }
    }
    if let Some(d) = props::text(&stage.properties, "DirectoryPath") {
        return format!("{}/{}", d.trim(), l.name);
    }
    format!("{}/{}", stage.name, l.name)
}

pub(crate) struct CsvFormat {
    pub(crate) sep: String,
    pub(crate) quote: String,
    pub(crate) header: bool,
    /// The record-level null field value (`null_field`), if any.
    pub(crate) null_value: Option<String>,
    /// Per column, the text that stands for NULL (the column's own
    /// `null_field`, else the record's). A column without one reads an
    /// empty field as an empty string, never as NULL (IBM, Sequential
    /// File stage, Nullable field properties: "Null field value ... On
    /// reading, specifies the value given to a field containing a null").
    pub(crate) null_values: Vec<(String, String)>,
}

pub(crate) fn csv_format(l: &Link, reading: bool) -> CsvFormat {
    let pin = if reading {
        &l.source_properties
    } else {
        &l.target_properties
    };
    let mut f = CsvFormat {
        sep: ",".into(),
        quote: "\"".into(),
        header: props::flag(pin, "firstLineColumnNames"),
        null_value: None,
        null_values: Vec::new(),
    };
    if let Some(sf) = props::text(pin, "MetaBag.SchemaFormat") {
        for (k, v) in props::schema_format(sf) {
            match k.as_str() {
                "delim" => {
                    f.sep = match v.as_str() {
                        "ws" | "whitespace" => " ".into(),
                        "tab" => "\t".into(),
                        "comma" => ",".into(),
                        "none" => "\u{1}".into(),
                        other => other.to_string(),
                    }
                }
                "quote" => {
                    f.quote = match v.as_str() {
                        "none" => String::new(),
                        "single" => "'".into(),
                        _ => "\"".into(),
                    }
                }
                "null_field" => f.null_value = Some(v),
                _ => {}
            }
        }
    }
    // Server sequential files keep their options on the pin.
    if let Some(d) = props::text(pin, "ColDelim").or(props::text(pin, "Delimiter")) {
        f.sep = d.to_string();
    }
    if let Some(q) = props::text(pin, "QuoteChar") {
        f.quote = if q == "000" || q.is_empty() {
            String::new()
        } else {
            q.to_string()
        };
    }
    if let Some(h) = props::text(pin, "ColHeaders") {
        f.header = h.trim() == "1";
    }
    f
}

/// A delimiter named in a format property: `ws`, `tab`, `comma`, `null`, a
/// character or string; `None` for `none` / `end` (no delimiter).
fn delimiter(v: &str) -> Option<String> {
    match v {
        "none" | "end" | "" => None,
        "ws" | "whitespace" => Some(" ".into()),
        "tab" => Some("\t".into()),
        "comma" => Some(",".into()),
        "null" => Some("\u{0}".into()),
        other => Some(other.to_string()),
    }
}

/// One field of a file read as text lines.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldSpec {
    pub column: String,
    /// Characters taken (fixed width), padded with `pad` on write.
    pub width: Option<usize>,
    /// What follows the field (its delimiter), if anything.
    pub delim: Option<String>,
    /// CHAR columns keep their padding; others lose trailing pad characters.
    pub keep_pad: bool,
    /// The text that stands for NULL.
    pub null_value: Option<String>,
    /// Quote character of a delimited field, empty for none.
    pub quote: String,
}

/// A file whose fields Spark's CSV reader cannot cut: fixed widths, or
/// delimiters that differ from field to field.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldLayout {
    pub fields: Vec<FieldSpec>,
    pub pad: String,
    pub header: bool,
}

/// How a sequential file is read or written.
enum Layout {
    Csv(CsvFormat),
    Fields(FieldLayout),
    /// A named failing placeholder: why.
    Untranslatable(String),
}

/// The layout of a sequential file link. Record-level options come from
/// the pin's `SchemaFormat` (`delim`, `final_delim`, `quote`, `null_field`,
/// `padchar` are seen in real exports), field-level ones from the columns'
/// `APTFieldProp` (`quote`, `null_field` seen; `delim`, `delim_string`,
/// `width` are the documented Format-tab properties under their assumed
/// OSH names); a server file's `FixedWidth "1"` (seen, always 0) makes it
/// fixed-width. `delim=none` (documented: "no delimiter, used for
/// fixed-width") or `record_length=fixed` make a record fixed-width; a
/// field without `width` then takes its column's length (assumed: DataStage
/// sizes a string[n] field to n; a server file uses the display width,
/// which the IR does not keep).
fn layout(l: &Link, reading: bool) -> Layout {
    layout_of(l, reading, false)
}

/// The fields of a sequential file link as text: what the SQL target's
/// load and unload steps format and parse (the CSV reader's options are
/// the same fields, delimited). `Err`: why the layout is untranslatable.
pub(crate) fn text_fields(l: &Link, reading: bool) -> Result<FieldLayout, String> {
    match layout_of(l, reading, true) {
        Layout::Fields(f) => Ok(f),
        Layout::Csv(_) => Err("delimited layout".into()),
        Layout::Untranslatable(why) => Err(why),
    }
}

fn layout_of(l: &Link, reading: bool, always_fields: bool) -> Layout {
    let pin = if reading {
        &l.source_properties
    } else {
        &l.target_properties
    };
    let csv = csv_format(l, reading);
    let record: Vec<(String, String)> = props::text(pin, "MetaBag.SchemaFormat")
        .map(props::schema_format)
        .unwrap_or_default();
    let get = |k: &str| record.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let fixed = get("delim") == Some("none")
        || get("record_length").is_some_and(|v| v == "fixed")
        || props::text(pin, "FixedWidth").is_some_and(|v| v.trim() == "1");
    let record_delim = if fixed { None } else { Some(csv.sep.clone()) };
    let fields: Vec<Vec<(String, String)>> = l
        .columns
        .iter()
        .map(|c| props::schema_format(&c.format))
        .collect();
    let field_get = |i: usize, k: &str| {
        fields[i]
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
    };
    let own_delim = |i: usize| {
        field_get(i, "delim_string")
            .or_else(|| field_get(i, "delim"))
            .map(|v| delimiter(&v))
    };
    let per_field = (0..l.columns.len()).any(|i| {
        own_delim(i).is_some_and(|d| d != record_delim) || field_get(i, "width").is_some()
    });
    // Writes always go through the text-line writer: Spark's CSV writer
    // cannot quote every field, tell NULL from an empty string per field
    // or write decimals in DataStage's form (see `format_fields`).
    let csv_read = reading && !fixed && !per_field && !always_fields;
    let last = l.columns.len().saturating_sub(1);
    let final_delim = get("final_delim").and_then(delimiter);
    let mut specs = Vec::new();
    for (i, c) in l.columns.iter().enumerate() {
        let width = match field_get(i, "width") {
            Some(w) => match w.trim().parse::<usize>() {
                Ok(w) => Some(w),
                Err(_) => {
                    return Layout::Untranslatable(format!("field {}: width {w:?}", c.name));
                }
            },
            None if fixed && c.length > 0 => Some(c.length as usize),
            None => None,
        };
        let delim = match own_delim(i) {
            Some(d) => d,
            None if i == last => final_delim.clone(),
            None => record_delim.clone(),
        };
        if width.is_none() && delim.is_none() && i != last {
            return Layout::Untranslatable(format!(
                "fixed-width field {} has neither a width nor a length",
                c.name
            ));
        }
        specs.push(FieldSpec {
            column: c.name.clone(),
            width,
            delim,
            keep_pad: matches!(c.sql_type, 1 | -8),
            null_value: field_get(i, "null_field").or_else(|| csv.null_value.clone()),
            // Real exports set `quote=none` on numeric columns of quoted files.
            quote: match field_get(i, "quote").as_deref() {
                _ if width.is_some() => String::new(),
                Some("none") => String::new(),
                Some("single") => "'".into(),
                Some("double") => "\"".into(),
                _ => csv.quote.clone(),
            },
        });
    }
    if csv_read {
        let mut csv = csv;
        csv.null_values = specs
            .iter()
            .filter_map(|s| s.null_value.clone().map(|v| (s.column.clone(), v)))
            .collect();
        return Layout::Csv(csv);
    }
    Layout::Fields(FieldLayout {
        fields: specs,
        pad: get("padchar")
            .filter(|p| p.chars().count() == 1)
            .unwrap_or(" ")
            .to_string(),
        header: csv.header,
    })
}

/// Sequential file links read or written as text lines: every link
/// written, and the links read whose fields the CSV reader cannot cut.
pub fn field_layouts<'a>(g: &Gen<'a>) -> Vec<(&'a Link, bool, FieldLayout)> {
    let mut v = Vec::new();
    for ps in &g.plan.stages {
        if ps.stage.stage_type != "SequentialFile" {
            continue;
        }
        let (links, reading) = if ps.inputs.is_empty() {
            (&ps.outputs, true)
        } else {
            (&ps.inputs, false)
        };
        for l in links {
            if let Layout::Fields(f) = layout(l, reading) {
                v.push((*l, reading, f));
            }
        }
    }
    v
}

fn py_opt_str(v: &Option<String>) -> String {
    v.as_deref().map_or("None".into(), py_str)
}

/// The `LAYOUTS` entry of a link in the script.
pub fn layout_literal(key: &str, f: &FieldLayout) -> String {
    let fields: Vec<String> = f
        .fields
        .iter()
        .map(|s| {
            format!(
                "            ({}, {}, {}, {}, {}, {}),",
                py_str(&s.column),
                s.width.map_or("None".into(), |w| w.to_string()),
                py_opt_str(&s.delim),
                if s.keep_pad { "True" } else { "False" },
                py_opt_str(&s.null_value),
                py_str(&s.quote)
            )
        })
        .collect();
    format!(
        "    {}: {{\n        \"fields\": [\n{}\n        ],\n        \"pad\": {},\n        \"header\": {},\n    }},",
        py_str(key),
        fields.join("\n"),
        py_str(&f.pad),
        if f.header { "True" } else { "False" }
    )
}

/// The separator / quote / header / null arguments of `read_csv`.
fn csv_args(f: &CsvFormat) -> String {
    let nulls: Vec<String> = f
        .null_values
        .iter()
        .map(|(c, v)| format!("{}: {}", py_str(c), py_str(v)))
        .collect();
    format!(
        "        separator={},\n        quote={},\n        header={},\n        null_values={{{}}},\n",
        py_str(&f.sep),
        py_str(&f.quote),
        if f.header { "True" } else { "False" },
        nulls.join(", "),
    )
}

/// Stages whose output rows keep the order of their (first) input within
/// a partition: a sorted input stays sorted through them.
const ORDER_KEEPING: &[&str] = &[
    "Copy",
    "Filter",
    "Modify",
    "Peek",
    "Head",
    "Tail",
    "Transformer",
    "Lookup",
];

/// The order in which DataStage delivers the rows of `l`, where it is
/// defined: after a Sort (its keys), after a sort-method Aggregator (its
/// grouping keys, ascending), through stages that keep their input's
/// order as long as the keys are still columns of the link. Empty when
/// the order is not defined. A sequential-mode target collects such a
/// link in that order: IBM, "Sequential File stage: Partitioning tab",
/// Auto collection: "if it detects that ... the data needs sorting as it
/// is collected, it will do that" (sort merge on the sorted keys).
/// (column, descending); ascending puts NULLs first, descending last, as
/// the Sort stage's translation does.
pub(crate) fn defined_order(plan: &Plan, l: &Link) -> Vec<(String, bool)> {
    let mut link = l;
    // A plan is acyclic, but an export is untrusted: bounded walk.
    for _ in 0..plan.stages.len() + 1 {
        let Some(ps) = plan.stages.iter().find(|s| s.stage.id == link.from_stage) else {
            return Vec::new();
        };
        let keys: Vec<(String, bool)> = match ps.stage.stage_type.as_str() {
            "Sort" => crate::generate::kinds::sort::sort_keys(ps)
                .into_iter()
                .map(|k| (k.name, k.desc))
                .collect(),
            "Aggregator"
                if props::text(&ps.stage.properties, "method")
                    .is_some_and(|m| m.trim().eq_ignore_ascii_case("sort")) =>
            {
                props::tree_values(&ps.stage.properties, "key")
                    .into_iter()
                    .map(|k| (k, false))
                    .collect()
            }
            t if ORDER_KEEPING.contains(&t) => match ps.primary().or(ps.inputs.first().copied()) {
                Some(input) => {
                    link = input;
                    continue;
                }
                None => return Vec::new(),
            },
            _ => return Vec::new(),
        };
        // The keys must still be columns of `l` to order its rows by.
        let named = |k: &str| l.columns.iter().find(|c| c.name.eq_ignore_ascii_case(k));
        if keys.iter().all(|(k, _)| named(k).is_some()) {
            return keys
                .into_iter()
                .filter_map(|(k, d)| named(&k).map(|c| (c.name.clone(), d)))
                .collect();
        }
        return Vec::new();
    }
    Vec::new()
}

/// `[("K", False), ...]`: the `order` argument of `write_fields`.
fn order_literal(order: &[(String, bool)]) -> String {
    let v: Vec<String> = order
        .iter()
        .map(|(k, d)| format!("({}, {})", py_str(k), if *d { "True" } else { "False" }))
        .collect();
    format!("[{}]", v.join(", "))
}

fn vendor(stage_type: &str) -> Option<&'static str> {
    Some(match stage_type {
        "OracleConnector" | "OracleLegacy" => "oracle",
        "TeradataConnector" | "TeradataLegacy" => "teradata",
        "SnowflakeConnector" => "snowflake",
        _ => return None,
    })
}

/// Reader and writer lines of `read_inputs` / `write_outputs`.
pub fn main_io(g: &mut Gen) -> (String, String) {
    let mut readers = Vec::new();
    let mut writers = Vec::new();
    let stages = g.plan.stages.clone();
    for ps in &stages {
        let st = ps.stage;
        if !is_io(&st.stage_type) {
            continue;
        }
        if ps.inputs.is_empty() {
            for l in &ps.outputs {
                readers.push(reader(g, st, l));
            }
        } else {
            for l in &ps.inputs {
                writers.push(writer(g, st, l));
            }
        }
    }
    for l in g.target_links() {
        if l.to_stage.is_none() {
            writers.push(format!(
                "    # Link {} goes to no stage in the export: not written.",
                py_comment(&l.name)
            ));
        }
    }
    if writers.is_empty() {
        writers.push("    pass".into());
    }
    (readers.join("\n"), writers.join("\n"))
}

/// A database stage whose reading or writing would guess (`stages::guess`):
/// the line that raises instead, naming the stage and property.
fn guessed_io(g: &mut Gen, st: &Stage, l: &Link) -> Option<String> {
    if !crate::stages::audit::is_database(&st.stage_type) {
        return None;
    }
    let guess = crate::stages::stage_guesses(g.job, st).into_iter().next()?;
    g.todo(format!("{} / {}", st.name, l.name), guess.reason());
    Some(format!(
        "    raise NotImplementedError({})",
        py_str(&format!("{}: {}", st.name, guess.reason()))
    ))
}

fn reader(g: &mut Gen, st: &Stage, l: &Link) -> String {
    if let Some(line) = guessed_io(g, st, l) {
        return line;
    }
    let key = py_str(g.key(l));
    let ctx = py_str(&super::py_ident(&format!("read_{}", g.key(l))).to_ascii_lowercase());
    match st.stage_type.as_str() {
        "SequentialFile" => {
            let path = file_path(st, l, true);
            let comment = format!(
                "    # Sequential file {} -> link {}: {}",
                py_comment(&st.name),
                py_comment(&l.name),
                py_comment(&one_line(&path, 80))
            );
            match layout(l, true) {
                Layout::Csv(f) => format!(
                    "{comment}\n    inputs[{key}] = read_csv(\n        glue_context,\n        s3_path({}, params),\n        {key},\n{}        ctx={ctx},\n    )",
                    param_text(&path),
                    csv_args(&f),
                ),
                Layout::Fields(_) => format!(
                    "{comment}\n    # Fields cut by width / their own delimiters (LAYOUTS): read as text lines.\n    inputs[{key}] = read_fields(glue_context, s3_path({}, params), {key})",
                    param_text(&path),
                ),
                Layout::Untranslatable(why) => untranslatable_file(g, st, l, &comment, &why),
            }
        }
        "DataSet" | "FileSet" | "LookupFileSet" | "HashedFile" => {
            let path = file_path(st, l, true);
            format!(
                "    # {} {} -> link {}: Parquet on S3\n    inputs[{key}] = read_parquet(glue_context, s3_path({}, params), {key}, ctx={ctx})",
                py_comment(&st.stage_type),
                py_comment(&st.name),
                py_comment(&l.name),
                param_text(&path)
            )
        }
        _ => {
            let conn = connection_name(g, st);
            let (table, sql) = db_table(st, l, true);
            let keys = key_columns(l);
            match (sql, table) {
                (Some(sql), _) => format!(
                    "    # {} {} -> link {}: user SQL\n    inputs[{key}] = read_jdbc(\n        glue_context,\n        {},\n        {key},\n        query={},\n    )",
                    py_comment(&st.stage_type),
                    py_comment(&st.name),
                    py_comment(&l.name),
                    conn.py,
                    param_text(&user_query(&sql))
                ),
                (None, Some(table)) => format!(
                    "    # {} {} -> link {}: table {}\n    inputs[{key}] = read_jdbc(\n        glue_context,\n        {},\n        {key},\n        table={},\n        connection_type={},\n        bookmark_keys=[{}],\n        ctx={ctx},\n    )",
                    py_comment(&st.stage_type),
                    py_comment(&st.name),
                    py_comment(&l.name),
                    py_comment(&table),
                    conn.py,
                    param_text(&table),
                    vendor(&st.stage_type).map_or("None".into(), py_str),
                    keys.join(", ")
                ),
                (None, None) => {
                    g.todo(
                        format!("{} -> {}", st.name, l.name),
                        "no table name or SQL found for this database read".into(),
                    );
                    format!(
                        "    # {} {} -> link {}: no table or SQL in the export\n    raise NotImplementedError({})",
                        py_comment(&st.stage_type),
                        py_comment(&st.name),
                        py_comment(&l.name),
                        py_str(&format!("{}: source table unknown (dsmig)", st.name))
                    )
                }
            }
        }
    }
}

/// A file layout dsmig cannot translate: a TODO, and a line that fails
/// with the reason.
fn untranslatable_file(g: &mut Gen, st: &Stage, l: &Link, comment: &str, why: &str) -> String {
    g.todo(
        format!("{} / {}", st.name, l.name),
        format!("file layout not translated: {why}"),
    );
    format!(
        "{comment}\n    raise NotImplementedError({})",
        py_str(&format!(
            "Sequential file {} (link {}): {why}; translate by hand (dsmig)",
            st.name, l.name
        ))
    )
}

fn writer(g: &mut Gen, st: &Stage, l: &Link) -> String {
    if let Some(line) = guessed_io(g, st, l) {
        return line;
    }
    let key = py_str(g.key(l));
    let df = format!("outputs[{key}]");
    match st.stage_type.as_str() {
        "SequentialFile" => {
            let path = file_path(st, l, false);
            let append = props::text(&l.target_properties, "append\\overwrite")
                .is_some_and(|v| v.trim() == "append")
                || props::text(&l.target_properties, "Append").is_some_and(|v| v.trim() == "1");
            let mode = py_str(if append { "append" } else { "overwrite" });
            let comment = format!(
                "    # Link {} -> sequential file {}: {}",
                py_comment(&l.name),
                py_comment(&st.name),
                py_comment(&one_line(&path, 80))
            );
            let order = defined_order(&g.plan, l);
            let sorted = if order.is_empty() {
                String::new()
            } else {
                format!(
                    "\n    # Rows in the order DataStage writes them (sorted on {}).",
                    py_comment(
                        &order
                            .iter()
                            .map(|(k, _)| k.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                )
            };
            match layout(l, false) {
                Layout::Csv(_) | Layout::Fields(_) => format!(
                    "{comment}{sorted}\n    # Fields laid out as LAYOUTS (quotes, NULL markers, DataStage's decimals).\n    write_fields({df}, s3_path({}, params), {key}, mode={mode}, order={})",
                    param_text(&path),
                    order_literal(&order),
                ),
                Layout::Untranslatable(why) => untranslatable_file(g, st, l, &comment, &why),
            }
        }
        "HashedFile" => {
            let path = file_path(st, l, false);
            let keys = key_columns(l);
            if keys.is_empty() {
                g.todo(
                    format!("{} -> {}", l.name, st.name),
                    "hashed file written without key columns on the link: its records have no key"
                        .into(),
                );
                return format!(
                    "    raise NotImplementedError({})",
                    py_str(&format!(
                        "{}: hashed file written without key columns (dsmig)",
                        st.name
                    ))
                );
            }
            // `ClearFile` (input pin, "Clear file before writing"): else the
            // records already in the file stay unless a row replaces them.
            let clear = props::text(&l.target_properties, "ClearFile")
                .or_else(|| props::text(&st.properties, "ClearFile"))
                .is_some_and(|v| v.trim() == "1");
            format!(
                "    # Link {} -> hashed file {}: Parquet on S3, one record per key (the last row written wins)\n    write_hashed({df}, s3_path({}, params), keys=[{}], clear={})",
                py_comment(&l.name),
                py_comment(&st.name),
                param_text(&path),
                keys.join(", "),
                if clear { "True" } else { "False" }
            )
        }
        "DataSet" | "FileSet" | "LookupFileSet" => {
            let path = file_path(st, l, false);
            format!(
                "    # Link {} -> {} {}: Parquet on S3\n    {df}.write.mode(\"overwrite\").parquet(s3_path({}, params))",
                py_comment(&l.name),
                py_comment(&st.stage_type),
                py_comment(&st.name),
                param_text(&path)
            )
        }
        _ => {
            let conn = connection_name(g, st);
            let (table, _) = db_table(st, l, false);
            let Some(table) = table else {
                g.todo(
                    format!("{} -> {}", l.name, st.name),
                    "no table name found for this database write".into(),
                );
                return format!(
                    "    raise NotImplementedError({})",
                    py_str(&format!("{}: target table unknown (dsmig)", st.name))
                );
            };
            let w = props::DbWrite::of(st);
            let truncate = w.truncates();
            let (write_mode, table_action, before, after) =
                (w.write_mode, w.table_action, w.before, w.after);
            let keys = key_columns(l);
            let mut lines = vec![format!(
                "    # Link {} -> {} {}: table {} (WriteMode {}, TableAction {})",
                py_comment(&l.name),
                py_comment(&st.stage_type),
                py_comment(&st.name),
                py_comment(&table),
                py_comment(&write_mode),
                py_comment(&table_action)
            )];
            if let Some(b) = &before
                && !truncate
            {
                lines.push(format!(
                    "    run_sql(glue_context, {}, {})  # DataStage before-SQL",
                    conn.py,
                    param_text(b)
                ));
            }
            let call = match write_mode.as_str() {
                "0" | "6" => format!(
                    "    write_jdbc(glue_context, {df}, {}, {}, mode={})",
                    conn.py,
                    param_text(&table),
                    py_str(match (truncate, table_action.as_str()) {
                        (true, _) => "truncate",
                        (_, "2") => "overwrite",
                        _ => "append",
                    })
                ),
                "1" | "3" | "4" | "9" => {
                    if keys.is_empty() {
                        g.todo(
                            format!("{} -> {}", l.name, st.name),
                            format!("upsert into {table} without key columns on the link: set the keys of the MERGE"),
                        );
                    }
                    format!(
                        "    # Upsert: load a staging table, then MERGE it into {} (post-action)\n    upsert_jdbc(glue_context, {df}, {}, {}, keys=[{}])",
                        py_comment(&table),
                        conn.py,
                        param_text(&table),
                        keys.join(", ")
                    )
                }
                other => {
                    g.todo(
                        format!("{} -> {}", l.name, st.name),
                        format!("write mode code {other} of {table} is not mapped; the script appends. Check the DataStage stage."),
                    );
                    format!(
                        "    # TODO(dsmig): WriteMode {} not mapped; appending\n    write_jdbc(glue_context, {df}, {}, {}, mode=\"append\")",
                        py_comment(other),
                        conn.py,
                        param_text(&table)
                    )
                }
            };
            lines.push(call);
            if let Some(a) = &after {
                lines.push(format!(
                    "    run_sql(glue_context, {}, {})  # DataStage after-SQL",
                    conn.py,
                    param_text(a)
                ));
            }
            lines.join("\n")
        }
    }
}

/// The generated reader of this source link can use a Glue job bookmark:
/// a delimited file or Parquet read with a `transformation_ctx`, or a JDBC
/// table read with bookmark keys (key columns on the link).
pub(crate) fn bookmark_capable(st: &Stage, l: &Link) -> bool {
    match st.stage_type.as_str() {
        "SequentialFile" => matches!(layout(l, true), Layout::Csv(_)),
        "DataSet" | "FileSet" | "LookupFileSet" | "HashedFile" => true,
        _ => {
            let (table, sql) = db_table(st, l, true);
            sql.is_none() && table.is_some() && l.columns.iter().any(|c| c.key_position > 0)
        }
    }
}

/// The generated writer of this target link replaces the target's data
/// (overwrite / truncate): a full refresh, which a bookmark would empty
/// when no new input arrived.
pub(crate) fn replaces_target(st: &Stage, l: &Link) -> bool {
    match st.stage_type.as_str() {
        "SequentialFile" => {
            let append = props::text(&l.target_properties, "append\\overwrite")
                .is_some_and(|v| v.trim() == "append")
                || props::text(&l.target_properties, "Append").is_some_and(|v| v.trim() == "1");
            !append
        }
        "DataSet" | "FileSet" | "LookupFileSet" | "HashedFile" => true,
        _ => {
            let w = props::DbWrite::of(st);
            matches!(w.write_mode.as_str(), "0" | "6") && (w.truncates() || w.table_action == "2")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Column, LinkKind, Property};

    fn col(name: &str, sql_type: i32, length: u32, format: &str) -> Column {
        Column {
            name: name.into(),
            sql_type,
            length,
            scale: 0,
            nullable: true,
            key_position: 0,
            derivation: String::new(),
            key_expression: String::new(),
            description: String::new(),
            extended: false,
            format: format.into(),
        }
    }

    fn link(record: &str, columns: Vec<Column>) -> Link {
        Link {
            id: "V0S1P1".into(),
            name: "l".into(),
            from_stage: "V0S1".into(),
            to_stage: Some("V0S2".into()),
            from_index: 0,
            to_index: 0,
            kind: LinkKind::Stream,
            columns,
            constraint: String::new(),
            source_properties: vec![Property {
                name: "MetaBag.SchemaFormat".into(),
                value: PropValue::Text(record.into()),
            }],
            target_properties: vec![],
        }
    }

    #[test]
    fn a_user_query_loses_its_trailing_semicolon_and_comments() {
        assert_eq!(user_query("SELECT a FROM t;"), "SELECT a FROM t");
        assert_eq!(
            user_query("SELECT a FROM t ; -- done\n /* end */ \n"),
            "SELECT a FROM t"
        );
        assert_eq!(user_query("SELECT ';' FROM t;;"), "SELECT ';' FROM t");
        assert_eq!(user_query("SELECT 1; SELECT 2;"), "SELECT 1; SELECT 2");
        assert_eq!(
            user_query("SELECT a -- x;\nFROM t"),
            "SELECT a -- x;\nFROM t"
        );
    }

    #[test]
    fn quote_none_on_a_field_keeps_the_csv_reader() {
        let l = link(
            "final_delim=end, delim=',', quote=double",
            vec![
                col("A", 4, 10, "quote=none"),
                col("B", 12, 20, "null_field=''"),
            ],
        );
        assert!(matches!(layout(&l, true), Layout::Csv(_)));
    }

    #[test]
    fn a_record_without_delimiter_is_cut_by_widths() {
        let l = link(
            "final_delim=none, delim=none, padchar='#'",
            vec![col("A", 4, 0, "width=5"), col("B", 1, 3, "")],
        );
        let Layout::Fields(f) = layout(&l, true) else {
            panic!("fixed-width layout expected");
        };
        assert_eq!(f.pad, "#");
        assert_eq!(
            f.fields
                .iter()
                .map(|s| (s.width, s.delim.clone(), s.keep_pad))
                .collect::<Vec<_>>(),
            vec![(Some(5), None, false), (Some(3), None, true)]
        );
        let l = link("delim=none", vec![col("A", 4, 0, ""), col("B", 1, 3, "")]);
        assert!(matches!(layout(&l, true), Layout::Untranslatable(_)));
    }

    #[test]
    fn a_field_with_its_own_delimiter_leaves_csv() {
        let l = link(
            "final_delim=end, delim=',', quote=none",
            vec![
                col("A", 4, 0, "delim='|'"),
                col("B", 12, 0, ""),
                col("C", 12, 0, ""),
            ],
        );
        let Layout::Fields(f) = layout(&l, true) else {
            panic!("per-field layout expected");
        };
        let delims: Vec<Option<String>> = f.fields.iter().map(|s| s.delim.clone()).collect();
        assert_eq!(delims, vec![Some("|".into()), Some(",".into()), None]);
        assert!(f.fields.iter().all(|s| s.quote.is_empty()));
    }
}
