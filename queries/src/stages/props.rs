//! Reading stage and pin options from the IR. Every read goes through
//! [`find`] or [`connector`], so [`recording`] can list the names a
//! translation asked for: the property audit (`stages/audit.rs`) is
//! checked against what the generators really read (`tests/it/audit.rs`).

use std::cell::RefCell;
use std::collections::BTreeSet;

use crate::ir::{Link, PropNode, PropValue, Property, Stage};

thread_local! {
    /// Names read while a [`recording`] runs on this thread (lower case;
    /// connector paths as asked).
    static READS: RefCell<Option<BTreeSet<String>>> = const { RefCell::new(None) };
}

/// Run `f`, returning the property names it read on this thread.
pub fn recording<T>(f: impl FnOnce() -> T) -> (T, BTreeSet<String>) {
    let outer = READS.with(|r| r.borrow_mut().replace(BTreeSet::new()));
    let value = f();
    let read = READS.with(|r| std::mem::replace(&mut *r.borrow_mut(), outer));
    (value, read.unwrap_or_default())
}

fn note(name: &str) {
    READS.with(|r| {
        if let Some(set) = r.borrow_mut().as_mut() {
            set.insert(name.trim().to_ascii_lowercase());
        }
    });
}

pub fn find<'a>(props: &'a [Property], name: &str) -> Option<&'a PropValue> {
    note(name);
    props
        .iter()
        .find(|p| p.name.trim().eq_ignore_ascii_case(name))
        .map(|p| &p.value)
}

/// Text of a property, or the value of the first tree entry.
pub fn text<'a>(props: &'a [Property], name: &str) -> Option<&'a str> {
    match find(props, name)? {
        PropValue::Text(s) => Some(s.as_str()),
        PropValue::Tree(nodes) => nodes.first().map(|n| n.value.as_str()),
        PropValue::Connector(_) => None,
    }
}

/// A boolean OSH flag: on when its value is its own name (or "1"/"true").
pub fn flag(props: &[Property], name: &str) -> bool {
    text(props, name).is_some_and(|v| {
        let v = v.trim();
        v.eq_ignore_ascii_case(name)
            || v == "1"
            || v.eq_ignore_ascii_case("true")
            || name.split('\\').any(|alt| alt.eq_ignore_ascii_case(v))
    })
}

pub fn tree<'a>(props: &'a [Property], name: &str) -> Vec<&'a PropNode> {
    match find(props, name) {
        Some(PropValue::Tree(nodes)) => nodes.iter().collect(),
        _ => Vec::new(),
    }
}

/// Connector XML property by path suffix (`Usage/TableName`).
pub fn connector<'a>(stage: &'a Stage, path: &str) -> Option<&'a str> {
    note(path);
    for p in &stage.properties {
        if let PropValue::Connector(pairs) = &p.value {
            for (k, v) in pairs {
                if k == path || k.ends_with(&format!("/{path}")) {
                    return Some(v.as_str());
                }
            }
        }
    }
    None
}

/// Values of `name` entries of a tree property (`key` → column names).
pub fn tree_values(props: &[Property], name: &str) -> Vec<String> {
    tree(props, name)
        .iter()
        .filter(|n| n.name.trim().eq_ignore_ascii_case(name))
        .map(|n| n.value.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect()
}

pub fn child<'a>(node: &'a PropNode, name: &str) -> Option<&'a str> {
    node.children
        .iter()
        .find(|c| c.name.trim().eq_ignore_ascii_case(name))
        .map(|c| c.value.trim())
}

/// Options of a link seen from a file/database stage: the output pin's
/// options when the stage reads, the input pin's when it writes.
pub fn link_text<'a>(l: &'a Link, reading: bool, name: &str) -> Option<&'a str> {
    let props = if reading {
        &l.source_properties
    } else {
        &l.target_properties
    };
    text(props, name)
}

/// `key=value` pairs of a `SchemaFormat` record format string
/// (`final_delim=end, delim=',', null_field="", quote=double`).
pub fn schema_format(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => {
                quote = None;
                cur.push(c);
            }
            (None, '\'' | '"') => {
                quote = Some(c);
                cur.push(c);
            }
            (None, ',') => {
                out.push(std::mem::take(&mut cur));
            }
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter()
        .filter_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            let v = v.trim();
            let v = v
                .strip_prefix('\'')
                .and_then(|x| x.strip_suffix('\''))
                .or_else(|| v.strip_prefix('"').and_then(|x| x.strip_suffix('"')))
                .unwrap_or(v);
            Some((k.trim().to_string(), v.to_string()))
        })
        .collect()
}

/// How a database stage reads one link, from its read-mode option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadMode {
    /// No read-mode option: the table, or the user SQL when no table is
    /// named or the connector says not to generate SQL.
    Unspecified,
    /// Read the named table (Table, Auto-generated SQL).
    Table,
    /// Run the user's SQL (Query, User-defined SQL).
    Query,
    /// A read mode dsmig does not know (a guess: `stages::layouts`).
    Unknown(String),
}

/// Read-mode options of legacy database stages, by layout: Enterprise
/// stages (`PxOracle`, `PxDB2`, `PxTeradata`, ODBC Enterprise) write the
/// OSH-style `read_mode` / `readmethod`; API and plug-in stages
/// `ReadMethod` / `ReadMode`. Names match without case.
const READ_MODE_OPTIONS: &[&str] = &["read_mode", "readmode", "readmethod", "read_method"];

/// User SQL of a read, by layout: `query` (Enterprise stages, the OSH
/// `-query` option), `SelectStatement` (connectors, API stages),
/// `UserSQL` (plug-in stages in user-defined mode), `SqlPrimary` (server
/// ODBC / UniVerse), `SQL`.
const USER_SQL_OPTIONS: &[&str] = &["query", "SelectStatement", "UserSQL", "SqlPrimary", "SQL"];

/// Table name options: `table` (Enterprise), `tableName` / `TableName`.
const TABLE_OPTIONS: &[&str] = &["tableName", "TableName", "table"];

/// The read mode of link `l` of a database stage. IBM docs, Oracle
/// enterprise stage, Output page: Read Method Table, Query, Auto-generated
/// SQL or User-defined SQL; the connectors' Read mode Select with Generate
/// SQL Yes / No (handled by [`db_table`] through `Usage/GenerateSQL`).
pub fn db_read_mode(stage: &Stage, l: &Link) -> ReadMode {
    let value = READ_MODE_OPTIONS.iter().find_map(|n| {
        link_text(l, true, n)
            .or_else(|| text(&stage.properties, n))
            .map(str::trim)
            .filter(|v| !v.is_empty())
    });
    let Some(v) = value else {
        return ReadMode::Unspecified;
    };
    let norm: String = v
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    match norm.as_str() {
        "table" | "autogeneratedsql" | "autogenerated" | "generatedsql" | "generated" => {
            ReadMode::Table
        }
        "query" | "userdefinedsql" | "userdefined" | "usersql" | "sql" | "userquery" => {
            ReadMode::Query
        }
        // The connectors' Select (code 0): table or SQL by Generate SQL.
        "select" | "0" => ReadMode::Unspecified,
        _ => ReadMode::Unknown(v.to_string()),
    }
}

/// Table (or user SQL) of a database stage for one link: the one reader
/// of every layout, for both targets and the checks. Reading, the result
/// is `(table, Some(sql))` when the read runs user SQL — the generators
/// then emit a query read, never a table read — and `(table, None)` for a
/// table read. A read mode that says query with no SQL found, or a mode
/// dsmig does not know, gives `(None, None)`: nothing is read from a
/// guessed table (`guess::options::database_source` and
/// `stages::layouts` report it).
pub fn db_table(stage: &Stage, l: &Link, reading: bool) -> (Option<String>, Option<String>) {
    let legacy = |names: &[&str]| {
        names.iter().find_map(|n| {
            // The link's own option first: a stage with several output
            // links keeps one query per link on its output pins.
            link_text(l, reading, n)
                .or_else(|| text(&stage.properties, n))
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        })
    };
    let table = connector(stage, "Usage/TableName")
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| legacy(TABLE_OPTIONS));
    if !reading {
        return (table, None);
    }
    let sql = connector(stage, "Usage/SQL/SelectStatement")
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| legacy(USER_SQL_OPTIONS));
    match db_read_mode(stage, l) {
        ReadMode::Table => (table, None),
        ReadMode::Query => match sql {
            Some(q) => (table, Some(q)),
            None => (None, None),
        },
        ReadMode::Unknown(_) => (None, None),
        ReadMode::Unspecified => {
            let generate = connector(stage, "Usage/GenerateSQL").unwrap_or("1").trim() != "0";
            if (!generate || table.is_none()) && sql.is_some() {
                (table, sql)
            } else {
                (table, None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_schema_format() {
        let f = schema_format("final_delim=end, delim=',', null_field=\"\", quote=double");
        assert_eq!(
            f,
            vec![
                ("final_delim".into(), "end".into()),
                ("delim".into(), ",".into()),
                ("null_field".into(), "".into()),
                ("quote".into(), "double".into())
            ]
        );
    }
}

/// How a database stage writes: the connector's write mode and table
/// action codes and its before / after SQL (both targets read them).
#[derive(Debug, Clone)]
pub struct DbWrite {
    pub write_mode: String,
    pub table_action: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl DbWrite {
    pub fn of(st: &crate::ir::Stage) -> DbWrite {
        let sql = |names: [&str; 2]| {
            connector(st, names[0])
                .or(connector(st, names[1]))
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        DbWrite {
            write_mode: connector(st, "Usage/WriteMode")
                .or(text(&st.properties, "WriteMode"))
                .unwrap_or("0")
                .trim()
                .to_string(),
            table_action: connector(st, "Usage/TableAction")
                .unwrap_or("0")
                .trim()
                .to_string(),
            before: sql(["BeforeSQL", "Usage/BeforeAfter/BeforeSQL"]),
            after: sql(["AfterSQL", "Usage/BeforeAfter/AfterSQL"]),
        }
    }

    /// The before-SQL is a TRUNCATE (handled as the write's truncate).
    pub fn before_truncates(&self) -> bool {
        self.before
            .as_deref()
            .is_some_and(|b| b.to_ascii_uppercase().starts_with("TRUNCATE"))
    }

    /// Truncate table action (3) or a TRUNCATE before-SQL.
    pub fn truncates(&self) -> bool {
        self.table_action == "3" || self.before_truncates()
    }
}
