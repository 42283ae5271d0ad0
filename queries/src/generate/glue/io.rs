//! Sources and targets of the `main()` wrapper: sequential files → S3
//! CSV with the export's format, data sets → Parquet on S3, database
//! connectors → JDBC through Glue connections named in `[glue.connections]`
//! (never credentials), with the write mode of the stage.

use super::props;
use super::{Gen, is_io, one_line};
use crate::expr::translate::pyspark::py_str;
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
        if i % 2 == 1 && i + 1 < parts.len() && !p.is_empty() && !p.contains(' ') {
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

/// The Glue connection for a database stage, and whether it is a
/// placeholder name.
pub fn connection_name(g: &mut Gen, stage: &Stage) -> String {
    let server = props::connector(stage, "Connection/Server")
        .or_else(|| props::connector(stage, "Connection/DataSource"))
        .or_else(|| props::connector(stage, "Connection/Database"))
        .or_else(|| props::connector(stage, "Connection/URL"))
        .or_else(|| props::text(&stage.properties, "DSN"))
        .or_else(|| props::text(&stage.properties, "Server"))
        .unwrap_or("")
        .trim()
        .to_string();
    let cfg = &g.ctx.config.connections;
    if let Some(c) = cfg
        .get(&server)
        .or_else(|| cfg.get(server.trim_matches('#')))
    {
        return c.clone();
    }
    let safe: String = server
        .trim_matches('#')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let name = format!(
        "dsmig-change-me-{}",
        if safe.is_empty() {
            "connection".to_string()
        } else {
            safe
        }
    );
    g.todo(
        format!("{} (connection)", stage.name),
        format!(
            "no [glue.connections] entry for DataStage server {server:?}: the script uses the placeholder Glue connection {name:?}"
        ),
    );
    name
}

/// Table (or user SQL) of a database stage for one link.
pub(crate) fn db_table(stage: &Stage, l: &Link, reading: bool) -> (Option<String>, Option<String>) {
    let legacy = |names: &[&str]| {
        names.iter().find_map(|n| {
            props::text(&stage.properties, n)
                .or_else(|| props::link_text(l, reading, n))
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        })
    };
    let table = props::connector(stage, "Usage/TableName")
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| legacy(&["tableName", "TableName", "table"]));
    let generate = props::connector(stage, "Usage/GenerateSQL")
        .unwrap_or("1")
        .trim()
        != "0";
    let sql = props::connector(stage, "Usage/SQL/SelectStatement")
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| legacy(&["SelectStatement", "SqlPrimary", "SQL"]));
    if reading && (!generate || table.is_none()) && sql.is_some() {
        return (table, sql);
    }
    (table, None)
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
    pub(crate) null_value: Option<String>,
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
                l.name
            ));
        }
    }
    if writers.is_empty() {
        writers.push("    pass".into());
    }
    (readers.join("\n"), writers.join("\n"))
}

fn reader(g: &mut Gen, st: &Stage, l: &Link) -> String {
    let key = py_str(g.key(l));
    let ctx = py_str(&super::py_ident(&format!("read_{}", g.key(l))).to_ascii_lowercase());
    match st.stage_type.as_str() {
        "SequentialFile" => {
            let path = file_path(st, l, true);
            let f = csv_format(l, true);
            format!(
                "    # Sequential file {} -> link {}: {}\n    inputs[{key}] = read_csv(\n        glue_context,\n        s3_path({}, params),\n        {key},\n        separator={},\n        quote={},\n        header={},\n        null_value={},\n        ctx={ctx},\n    )",
                st.name,
                l.name,
                one_line(&path, 80),
                param_text(&path),
                py_str(&f.sep),
                py_str(&f.quote),
                if f.header { "True" } else { "False" },
                f.null_value.as_deref().map_or("None".into(), py_str),
            )
        }
        "DataSet" | "FileSet" | "LookupFileSet" | "HashedFile" => {
            let path = file_path(st, l, true);
            format!(
                "    # {} {} -> link {}: Parquet on S3\n    inputs[{key}] = read_parquet(glue_context, s3_path({}, params), {key}, ctx={ctx})",
                st.stage_type,
                st.name,
                l.name,
                param_text(&path)
            )
        }
        _ => {
            let conn = connection_name(g, st);
            let (table, sql) = db_table(st, l, true);
            let keys: Vec<String> = l
                .columns
                .iter()
                .filter(|c| c.key_position > 0)
                .map(|c| py_str(&c.name))
                .collect();
            match (sql, table) {
                (Some(sql), _) => format!(
                    "    # {} {} -> link {}: user SQL\n    inputs[{key}] = read_jdbc(\n        glue_context,\n        {},\n        {key},\n        query={},\n    )",
                    st.stage_type,
                    st.name,
                    l.name,
                    py_str(&conn),
                    param_text(&sql)
                ),
                (None, Some(table)) => format!(
                    "    # {} {} -> link {}: table {}\n    inputs[{key}] = read_jdbc(\n        glue_context,\n        {},\n        {key},\n        table={},\n        connection_type={},\n        bookmark_keys=[{}],\n        ctx={ctx},\n    )",
                    st.stage_type,
                    st.name,
                    l.name,
                    table,
                    py_str(&conn),
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
                        st.stage_type,
                        st.name,
                        l.name,
                        py_str(&format!("{}: source table unknown (dsmig)", st.name))
                    )
                }
            }
        }
    }
}

fn writer(g: &mut Gen, st: &Stage, l: &Link) -> String {
    let key = py_str(g.key(l));
    let df = format!("outputs[{key}]");
    match st.stage_type.as_str() {
        "SequentialFile" => {
            let path = file_path(st, l, false);
            let f = csv_format(l, false);
            let append = props::text(&l.target_properties, "append\\overwrite")
                .is_some_and(|v| v.trim() == "append")
                || props::text(&l.target_properties, "Append").is_some_and(|v| v.trim() == "1");
            format!(
                "    # Link {} -> sequential file {}: {}\n    write_csv(\n        {df},\n        s3_path({}, params),\n        mode={},\n        separator={},\n        quote={},\n        header={},\n        null_value={},\n    )",
                l.name,
                st.name,
                one_line(&path, 80),
                param_text(&path),
                py_str(if append { "append" } else { "overwrite" }),
                py_str(&f.sep),
                py_str(&f.quote),
                if f.header { "True" } else { "False" },
                f.null_value.as_deref().map_or("None".into(), py_str),
            )
        }
        "DataSet" | "FileSet" | "LookupFileSet" | "HashedFile" => {
            let path = file_path(st, l, false);
            format!(
                "    # Link {} -> {} {}: Parquet on S3\n    {df}.write.mode(\"overwrite\").parquet(s3_path({}, params))",
                l.name,
                st.stage_type,
                st.name,
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
            let write_mode = props::connector(st, "Usage/WriteMode")
                .or(props::text(&st.properties, "WriteMode"))
                .unwrap_or("0")
                .trim()
                .to_string();
            let table_action = props::connector(st, "Usage/TableAction")
                .unwrap_or("0")
                .trim()
                .to_string();
            let before = props::connector(st, "BeforeSQL")
                .or(props::connector(st, "Usage/BeforeAfter/BeforeSQL"))
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty());
            let after = props::connector(st, "AfterSQL")
                .or(props::connector(st, "Usage/BeforeAfter/AfterSQL"))
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty());
            let truncate = table_action == "3"
                || before
                    .as_deref()
                    .is_some_and(|b| b.to_ascii_uppercase().starts_with("TRUNCATE"));
            let keys: Vec<String> = l
                .columns
                .iter()
                .filter(|c| c.key_position > 0)
                .map(|c| py_str(&c.name))
                .collect();
            let mut lines = vec![format!(
                "    # Link {} -> {} {}: table {table} (WriteMode {write_mode}, TableAction {table_action})",
                l.name, st.stage_type, st.name
            )];
            if let Some(b) = &before
                && !truncate
            {
                lines.push(format!(
                    "    run_sql(glue_context, {}, {})  # DataStage before-SQL",
                    py_str(&conn),
                    param_text(b)
                ));
            }
            let call = match write_mode.as_str() {
                "0" | "6" => format!(
                    "    write_jdbc(glue_context, {df}, {}, {}, mode={})",
                    py_str(&conn),
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
                        "    # Upsert: load a staging table, then MERGE it into {table} (post-action)\n    upsert_jdbc(glue_context, {df}, {}, {}, keys=[{}])",
                        py_str(&conn),
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
                        "    # TODO(dsmig): WriteMode {other} not mapped; appending\n    write_jdbc(glue_context, {df}, {}, {}, mode=\"append\")",
                        py_str(&conn),
                        param_text(&table)
                    )
                }
            };
            lines.push(call);
            if let Some(a) = &after {
                lines.push(format!(
                    "    run_sql(glue_context, {}, {})  # DataStage after-SQL",
                    py_str(&conn),
                    param_text(a)
                ));
            }
            lines.join("\n")
        }
    }
}
