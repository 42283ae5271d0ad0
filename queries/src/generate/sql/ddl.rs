//! `ddl/<job>.sql` (staging, output and target tables), the control
//! table of parameters, `extract/<job>.sql` (database sources into
//! staging) and `load/<job>.sh` (files in and out).

use std::collections::BTreeSet;

use super::{CONTROL_TABLE, IoTable, Role, SqlContext, SqlGen, column_list};
use crate::dialects::{FileField, FileStep, Step, shell_path};
use crate::expr::translate::sql::quote_ident;
use crate::generate::glue::io::{
    csv_format, db_table, defined_order, file_path, text_fields, user_query,
};
use crate::generate::glue::props;
use crate::ir::Column;

fn column_defs(g: &SqlGen, cols: &[Column]) -> Vec<String> {
    cols.iter()
        .map(|c| {
            format!(
                "{} {}{}",
                quote_ident(&c.name),
                g.sql_type(c),
                if c.nullable { "" } else { " NOT NULL" }
            )
        })
        .collect()
}

/// Whether a target is written by key (update / upsert): its keys are
/// then unique.
fn keyed_write(t: &IoTable) -> bool {
    matches!(
        props::DbWrite::of(t.stage).write_mode.as_str(),
        "1" | "3" | "4" | "9"
    )
}

pub fn job_ddl(g: &SqlGen, sources: &[IoTable], targets: &[IoTable]) -> String {
    let mut out = g.rules.comment(&format!(
        "Tables of job {} ({}): staging tables of its sources, tables of its\nfile targets, and its database targets. Schemas are not created here.",
        g.job.name,
        g.d.as_str()
    ));
    out.push('\n');
    let mut made = BTreeSet::new();
    let mut steps = Vec::new();
    for (t, what) in sources
        .iter()
        .map(|t| (t, "staging table of source link"))
        .chain(targets.iter().map(|t| {
            (
                t,
                if t.role == Role::FileTarget {
                    "rows of file target link"
                } else {
                    "target of link"
                },
            )
        }))
    {
        if !made.insert(t.table.to_ascii_uppercase()) {
            continue;
        }
        let keys: Vec<String> = t
            .link
            .columns
            .iter()
            .filter(|c| c.key_position > 0 && t.role == Role::DbTarget)
            .map(|c| quote_ident(&c.name))
            .collect();
        let mut cols = column_defs(g, &t.link.columns);
        if cols.is_empty() {
            cols.push("\"dsmig_no_columns\" INTEGER".into());
        }
        let mut sql = g.rules.create_table(
            &t.table,
            &cols,
            &keys,
            t.role == Role::DbTarget && keyed_write(t),
            &g.ctx.config,
        );
        for role in &g.ctx.config.grants {
            sql.push('\n');
            sql.push_str(&g.rules.grant(&t.table, role));
        }
        steps.push(Step {
            title: format!("{} {} ({})", what, t.link.name, t.stage.name),
            sql,
        });
    }
    for (seq, start) in &g.sequences {
        steps.push(Step {
            title: format!("surrogate keys: {seq} keeps counting across runs"),
            sql: format!("CREATE SEQUENCE IF NOT EXISTS {seq} START WITH {start};"),
        });
    }
    for s in &steps {
        out.push('\n');
        out.push_str(&g.rules.comment(&s.title));
        out.push('\n');
        out.push_str(&s.sql);
        out.push('\n');
    }
    out
}

/// The control table job parameters are read from.
pub fn control_table(ctx: &SqlContext) -> String {
    let rules = ctx.dialect.rules();
    let col = |name: &str, len: u32, nullable: bool| Column {
        name: name.into(),
        sql_type: 12,
        length: len,
        nullable,
        ..Column::default()
    };
    let cols: Vec<String> = [
        col("job_name", 256, false),
        col("param_name", 256, false),
        col("param_value", 2000, true),
    ]
    .iter()
    .map(|c| {
        format!(
            "{} {}{}",
            c.name,
            rules.column_type(c),
            if c.nullable { "" } else { " NOT NULL" }
        )
    })
    .collect();
    let mut out = rules.comment(
        "Job parameters: one row per (job, parameter) overrides the export's default.\nThe generated scripts read it; a scheduler or the sequence run scripts fill it.",
    );
    out.push('\n');
    out.push_str(&rules.create_table(
        CONTROL_TABLE,
        &cols,
        &["job_name".to_string(), "param_name".to_string()],
        true,
        &ctx.config,
    ));
    out.push('\n');
    for role in &ctx.config.grants {
        out.push_str(&rules.grant(CONTROL_TABLE, role));
        out.push('\n');
    }
    out
}

/// `extract/<job>.sql`: database sources landed in their staging tables.
pub fn extract_script(g: &mut SqlGen, sources: &[IoTable]) -> Option<String> {
    let db: Vec<&IoTable> = sources
        .iter()
        .filter(|s| s.role == Role::DbSource)
        .collect();
    if db.is_empty() {
        return None;
    }
    let mut steps = Vec::new();
    for s in db {
        let loc = format!("{} -> {}", s.stage.name, s.link.name);
        steps.push(Step {
            title: format!(
                "Source link {} ({} {}): empty its staging table",
                s.link.name, s.stage.stage_type, s.stage.name
            ),
            sql: g.rules.truncate(&s.table),
        });
        match db_table(s.stage, s.link, true) {
            (_, Some(sql)) => {
                g.todo(
                    loc,
                    format!(
                        "user SQL of the source runs on the source database: land its rows in {} (see extract/{}.sql)",
                        s.table, g.stem
                    ),
                );
                steps.push(Step {
                    title: format!(
                        "The stage reads with its own SQL, in the source database's dialect. Run it\nthere and land the rows in {} (a database link, federation or an export):\n\n{}",
                        s.table,
                        user_query(&sql).lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n")
                    ),
                    sql: String::new(),
                });
            }
            (Some(table), None) => {
                let table = super::table_name(&g.resolve_name(&table, &loc));
                let cols = column_list(s.link);
                let mut select = format!("SELECT {cols} FROM {table}");
                if let Some(w) = props::connector(s.stage, "Usage/SQL/WhereClause")
                    .map(str::trim)
                    .filter(|w| !w.is_empty())
                {
                    // The user's condition is code, but it stays one
                    // condition: refused when it could end the statement,
                    // comment out ours or span lines.
                    match crate::escape::sql_fragment(w) {
                        Ok(w) => {
                            g.warnings.push(format!(
                                "{loc}: WHERE clause copied from the stage: {}",
                                crate::generate::glue::one_line(&w, 80)
                            ));
                            select.push_str(&format!(" WHERE {w}"));
                        }
                        Err(why) => {
                            // The extract stops before it loads rows the
                            // condition would have filtered.
                            let what = format!(
                                "the stage's WHERE clause holds {why}: not copied; add the condition by hand"
                            );
                            g.todo(loc.clone(), what.clone());
                            steps.push(Step {
                                title: format!(
                                    "STOP: {loc}: {what}. The statement below fails on purpose."
                                ),
                                sql: g.rules.stop(&format!("dsmig: {loc}: {what}")),
                            });
                        }
                    }
                }
                steps.push(Step {
                    title: format!(
                        "... and fill it from {table} (same database, or a view / link to it)"
                    ),
                    sql: g.rules.insert_select(&s.table, &cols, "", &select),
                });
            }
            (None, None) => {
                g.todo(
                    loc,
                    "no table name or SQL found for this database read".into(),
                );
                steps.push(Step {
                    title: "No table or SQL in the export: fill the staging table by hand.".into(),
                    sql: String::new(),
                });
            }
        }
    }
    let steps: Vec<Step> = steps
        .into_iter()
        .filter(|s| !s.sql.is_empty() || !s.title.is_empty())
        .collect();
    // Comment-only steps carry no statement (BTEQ checks only real ones).
    let mut real = Vec::new();
    let mut pending = String::new();
    for s in steps {
        if s.sql.is_empty() {
            pending.push_str(&s.title);
            pending.push('\n');
            continue;
        }
        let title = if pending.is_empty() {
            s.title
        } else {
            format!("{}{}", std::mem::take(&mut pending), s.title)
        };
        real.push(Step { title, sql: s.sql });
    }
    let header = g.rules.comment(&format!(
        "Extract of job {}: its database sources into their staging tables.\n{}",
        g.job.name,
        pending.trim_end()
    )) + "\n";
    Some(g.rules.script(&crate::dialects::Script {
        job: &g.job.name,
        header: &header,
        steps: &real,
    }))
}

/// `load/<job>.sh`: file sources into staging tables, file targets out.
pub fn load_script(g: &mut SqlGen, sources: &[IoTable], targets: &[IoTable]) -> Option<String> {
    let mut steps = Vec::new();
    for (t, load) in sources
        .iter()
        .filter(|s| s.role == Role::FileSource)
        .map(|s| (s, true))
        .chain(
            targets
                .iter()
                .filter(|t| t.role == Role::FileTarget)
                .map(|t| (t, false)),
        )
    {
        if t.stage.stage_type != "SequentialFile" {
            g.warnings.push(format!(
                "{} ({}): a DataStage data set is binary; export it as delimited text (orchadmin dump) for the load step",
                t.stage.name, t.stage.stage_type
            ));
        }
        let f = csv_format(t.link, load);
        let fields = text_fields(t.link, load).ok().map(|layout| {
            layout
                .fields
                .iter()
                .zip(&t.link.columns)
                .map(|(spec, c)| FileField {
                    name: quote_ident(&c.name),
                    column: c.clone(),
                    width: spec.width,
                    delim: spec.delim.clone(),
                    null_value: spec.null_value.clone(),
                    quote: spec.quote.clone(),
                })
                .collect()
        });
        let pad = text_fields(t.link, load).map_or(" ".into(), |l| l.pad);
        let order = if load {
            Vec::new()
        } else {
            defined_order(&g.plan, t.link)
        };
        steps.push(FileStep {
            fields,
            pad,
            order,
            load,
            path: shell_path(&file_path(t.stage, t.link, load)),
            table: t.table.clone(),
            columns: t
                .link
                .columns
                .iter()
                .map(|c| quote_ident(&c.name))
                .collect(),
            sep: f.sep,
            quote: f.quote,
            header: f.header,
            null_value: f.null_value,
        });
    }
    if steps.is_empty() {
        return None;
    }
    let loads = steps.iter().filter(|s| s.load).count();
    let unloads = steps.len() - loads;
    let (load_steps, unload_steps): (Vec<FileStep>, Vec<FileStep>) =
        steps.into_iter().partition(|s| s.load);
    // Loads run before the job, unloads after it: one argument picks them.
    let phase = |steps: &[FileStep]| -> Option<String> {
        if steps.is_empty() {
            return Some(":\n".into());
        }
        g.rules.load_script(&g.stem, steps).map(|(_, body)| body)
    };
    let load_body = phase(&load_steps)?;
    let unload_body = phase(&unload_steps)?;
    Some(format!(
        "#!/bin/sh\n# File steps of job {} ({}): {loads} load(s) into staging tables before the job\n# (`sh load/{stem}.sh load`), {unloads} unload(s) of its file targets after it\n# (`sh load/{stem}.sh unload`).\n# Paths keep DataStage's; ${{NAME}} is the job parameter NAME (export it first).\nset -eu\ncase \"${{1:-}}\" in\nload)\n{load_body};;\nunload)\n{unload_body};;\n*)\necho \"{usage}\" >&2\nexit 2\n;;\nesac\n",
        crate::escape::line_comment(&g.job.name),
        g.d.as_str(),
        stem = crate::escape::line_comment(&g.stem),
        usage = crate::escape::sh_double_inner(&format!(
            "usage: sh load/{}.sh load|unload",
            crate::escape::line_comment(&g.stem)
        )),
    ))
}
