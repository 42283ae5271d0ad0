//! `tests/test_<job>.sql`: validation queries to run after the job, each
//! with the result it must give: row counts source vs target, key
//! uniqueness, NOT NULL columns, unmatched lookup rows, and an
//! order-independent checksum per table for reconciliation with the
//! DataStage run (canonical column order: the link's).

use super::{IoTable, SqlGen};
use crate::expr::translate::sql::{quote_ident, type_name};
use crate::expr::types::Type;
use crate::ir::Link;

/// Order-independent checksum of a table's rows.
fn checksum(g: &SqlGen, l: &Link, table: &str) -> String {
    let text = type_name(g.rules, Type::STRING);
    let cols: Vec<String> = l
        .columns
        .iter()
        .map(|c| format!("COALESCE(CAST({} AS {text}), '~')", quote_ident(&c.name)))
        .collect();
    let cols = if cols.is_empty() {
        vec!["'~'".to_string()]
    } else {
        cols
    };
    let expr = g.rules.row_checksum(&cols);
    format!(
        "SELECT {} AS table_name, COUNT(*) AS row_count, {expr} AS row_checksum FROM {table};",
        g.rules.literal(table)
    )
}

pub fn job_checks(g: &SqlGen, sources: &[IoTable], targets: &[IoTable]) -> String {
    let mut out = g.rules.comment(&format!(
        "Validation queries of job {} ({}), to run after it. Each says what it must\nreturn. Checksums: compare with the same query over the DataStage output\n(or the previous system) for reconciliation.",
        g.job.name,
        g.d.as_str()
    ));
    out.push('\n');
    let mut counts: Vec<String> = Vec::new();
    for (side, t) in sources
        .iter()
        .map(|t| ("source", t))
        .chain(targets.iter().map(|t| ("target", t)))
    {
        counts.push(format!(
            "SELECT {} AS side, {} AS table_name, COUNT(*) AS row_count FROM {}",
            g.rules.literal(side),
            g.rules.literal(&t.table),
            t.table,
        ));
    }
    if !counts.is_empty() {
        out.push_str(&format!(
            "\n{}\n{};\n",
            g.rules.comment("Row counts, source vs target (differences come from filters, lookups, aggregations)."),
            counts.join("\nUNION ALL\n")
        ));
    }
    for t in targets {
        let keys: Vec<String> = t
            .link
            .columns
            .iter()
            .filter(|c| c.key_position > 0)
            .map(|c| quote_ident(&c.name))
            .collect();
        if !keys.is_empty() {
            out.push_str(&format!(
                "\n{}\nSELECT {k}, COUNT(*) AS copies FROM {} GROUP BY {k} HAVING COUNT(*) > 1;\n",
                g.rules.comment(&format!(
                    "Key uniqueness of {} (link {}): must return no row.",
                    t.table, t.link.name
                )),
                t.table,
                k = keys.join(", ")
            ));
        }
        let not_null: Vec<String> = t
            .link
            .columns
            .iter()
            .filter(|c| !c.nullable)
            .map(|c| format!("{} IS NULL", quote_ident(&c.name)))
            .collect();
        if !not_null.is_empty() {
            out.push_str(&format!(
                "\n{}\nSELECT COUNT(*) AS violations FROM {} WHERE {};\n",
                g.rules
                    .comment(&format!("NOT NULL columns of {}: must return 0.", t.table)),
                t.table,
                not_null.join(" OR ")
            ));
        }
    }
    for r in &g.lookup_checks {
        let with = g.with_clause_forced(&r.select);
        out.push_str(&format!(
            "\n{}\n{with}{};\n",
            g.rules.comment(&r.title),
            r.select
        ));
    }
    for t in sources.iter().chain(targets) {
        out.push_str(&format!(
            "\n{}\n{}\n",
            g.rules.comment(&format!(
                "Checksum of {} (link {}), order-independent.",
                t.table, t.link.name
            )),
            checksum(g, t.link, &t.table)
        ));
    }
    out
}
