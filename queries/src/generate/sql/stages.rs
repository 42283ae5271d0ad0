//! The SQL of each stage kind: one relation (CTE) per output link, built
//! from the relations of the input links; and the statements that write a
//! target. Semantics follow the Glue target's (`glue/stages.rs`), whose
//! simulation gives the expected rows both targets are tested against.

use std::collections::BTreeMap;

use super::{Cte, Guard, IoTable, PARAMS, Role, SqlGen, column_list};
use crate::dialects::{Merge, Step};
use crate::expr::parse;
use crate::expr::resolve::Scope;
use crate::expr::stagevars::{State, initial_expr};
use crate::expr::translate::sql::{Names, quote_ident, to_sql_condition_with, to_sql_with};
use crate::expr::translate::{Dialect, IssueKind, Translation};
use crate::generate::glue::props;
use crate::generate::glue::stages::{
    agg_mapping, agg_results, col_idx, keys_of, modify_spec, reductions, reference_keys, source_of,
};
use crate::generate::glue::{Coverage, Mapping, one_line};
use crate::generate::plan::PlanStage;
use crate::ir::{Column, Link, LinkKind};

/// Emit the relations of one (non-file) stage; returns its coverage.
pub fn emit(g: &mut SqlGen, ps: &PlanStage) -> Coverage {
    // What the export does not say is never guessed: the script stops.
    if let Some(guess) = crate::stages::stage_guesses(g.job, ps.stage).first() {
        return placeholder(g, ps, &guess.reason());
    }
    crate::generate::kinds::sql(g, ps)
}

// ---------------------------------------------------------------------------
// helpers

pub(crate) fn push(g: &mut SqlGen, l: &Link, body: String) {
    let name = g.names[&l.id].clone();
    g.ctes.push(Cte { name, body });
}

pub(crate) fn alias(l: &Link) -> String {
    quote_ident(&l.name)
}

/// SQL of stage variable `name` on the current row with the stage
/// variables it reads inlined (for `LAG` of it). Only for a variable free
/// of previous-row reads whose dependencies are too (`stagevars` checks).
#[allow(clippy::too_many_arguments)]
pub(crate) fn sql_inline_var(
    g: &mut SqlGen,
    ps: &PlanStage,
    detail: &crate::ir::TransformerDetail,
    report: &crate::expr::stagevars::StageVarReport,
    scope: &Scope,
    svs: &BTreeMap<String, String>,
    name: &str,
    coverage: &mut Coverage,
) -> String {
    let Some((i, sv)) = detail
        .stage_vars
        .iter()
        .enumerate()
        .find(|(_, v)| v.name == name)
    else {
        return "NULL".into();
    };
    let loc = format!("stage variable {name}");
    let mut inl = svs.clone();
    for dep in &report.vars[i].reads {
        let code = sql_inline_var(g, ps, detail, report, scope, svs, dep, coverage);
        inl.insert(dep.clone(), code);
    }
    if sv.expression.trim().is_empty() {
        let t = to_sql_with(&initial_expr(sv), scope, g.d, &names(inl));
        note_translation(g, ps, &t, &loc, coverage);
        return t.code;
    }
    translate(
        g,
        ps,
        &sv.expression,
        scope,
        &names(inl),
        &loc,
        false,
        coverage,
    )
}

/// `"rel" "alias"` of an input link (no `AS`: Oracle has none for tables).
pub(crate) fn from_link(g: &SqlGen, l: &Link) -> String {
    format!("{} {}", g.rel(l), alias(l))
}

/// Record the parameters a piece of SQL reads; returns whether it reads any.
pub(crate) fn note_params(g: &mut SqlGen, code: &str) -> bool {
    let marker = format!("{}.\"", quote_ident(PARAMS));
    let mut any = false;
    let mut rest = code;
    while let Some(i) = rest.find(&marker) {
        let after = &rest[i + marker.len()..];
        if let Some(end) = after.find('"') {
            g.params_used.insert(after[..end].to_string());
            any = true;
            rest = &after[end..];
        } else {
            break;
        }
    }
    any
}

pub(crate) fn names(stage_vars: BTreeMap<String, String>) -> Names {
    Names {
        params_alias: Some(PARAMS.into()),
        stage_vars,
    }
}

/// Translate one expression; records issues (an untranslatable part stops
/// the script) and parameters.
#[allow(clippy::too_many_arguments)]
pub(crate) fn translate(
    g: &mut SqlGen,
    ps: &PlanStage,
    text: &str,
    scope: &Scope,
    names: &Names,
    loc: &str,
    condition: bool,
    coverage: &mut Coverage,
) -> String {
    match parse(text) {
        Ok(e) => {
            let t = if condition {
                to_sql_condition_with(&e, scope, g.d, names)
            } else {
                to_sql_with(&e, scope, g.d, names)
            };
            note_translation(g, ps, &t, loc, coverage);
            note_params(g, &t.code);
            t.code
        }
        Err(err) => {
            g.stop(
                format!("{} / {loc}", ps.stage.name),
                format!("expression does not parse ({err}): {}", one_line(text, 100)),
            );
            *coverage = Coverage::Placeholder;
            if condition {
                "(1 = 0)".into()
            } else {
                "NULL".into()
            }
        }
    }
}

pub(crate) fn note_translation(
    g: &mut SqlGen,
    ps: &PlanStage,
    t: &Translation,
    loc: &str,
    coverage: &mut Coverage,
) {
    for i in &t.issues {
        match i.kind {
            IssueKind::Unsupported => {
                *coverage = Coverage::Placeholder;
                g.stop(
                    format!(
                        "{} / {loc} (line {}, column {})",
                        ps.stage.name, i.line, i.column
                    ),
                    format!("{}: {}", i.function, i.caveat),
                );
            }
            IssueKind::Approximate => {
                *coverage = (*coverage).max(Coverage::Approximate);
                g.warnings.push(format!(
                    "{} / {loc}: {} approximated: {}",
                    ps.stage.name, i.function, i.caveat
                ));
            }
        }
    }
}

pub(crate) fn map(g: &mut SqlGen, ps: &PlanStage, l: &Link, c: &Column, code: &str) {
    g.mappings.push(Mapping {
        stage: ps.stage.name.clone(),
        link: l.name.clone(),
        column: c.name.clone(),
        derivation: one_line(&c.derivation, 120),
        code: code.to_string(),
    });
}

/// `NOT NULL`-safe truth of a condition: rows where it is unknown are not
/// taken (DataStage treats a NULL constraint as false).
pub(crate) fn holds(cond: &str) -> String {
    format!("(CASE WHEN {cond} THEN 1 ELSE 0 END) = 1")
}

/// A relation with the link's columns and no rows.
pub(crate) fn empty_relation(g: &SqlGen, l: &Link) -> String {
    let cols: Vec<String> = l.columns.iter().map(|c| g.cast_as("NULL", c)).collect();
    let cols = if cols.is_empty() {
        vec!["CAST(NULL AS INTEGER) AS \"dsmig_none\"".to_string()]
    } else {
        cols
    };
    format!("SELECT {}{} WHERE 1 = 0", cols.join(", "), g.rules.dual())
}

/// A stage dsmig cannot translate: empty outputs, and the script stops.
pub(crate) fn placeholder(g: &mut SqlGen, ps: &PlanStage, why: &str) -> Coverage {
    g.stop(
        format!("{} ({})", ps.stage.name, ps.stage.stage_type),
        why.to_string(),
    );
    for l in &ps.outputs {
        let body = empty_relation(g, l);
        push(g, l, body);
    }
    Coverage::Placeholder
}

/// Output columns taken by name (or `link.COL` derivation) from the
/// inputs, cast to the output types.
pub(crate) fn by_name(g: &mut SqlGen, ps: &PlanStage, l: &Link, qualified: bool) -> Vec<String> {
    let mut cols = Vec::new();
    for c in &l.columns {
        let code = source_column(g, ps, l, c, qualified);
        map(g, ps, l, c, &code);
        cols.push(g.cast_as(&code, c));
    }
    cols
}

/// The input column an output column takes by name (or `link.COL`
/// derivation), or NULL with a warning.
pub(crate) fn source_column(
    g: &mut SqlGen,
    ps: &PlanStage,
    l: &Link,
    c: &Column,
    qualified: bool,
) -> String {
    match source_of(ps, c) {
        Some((i, j)) => {
            let src = quote_ident(&ps.inputs[i].columns[j].name);
            if qualified {
                format!("{}.{src}", alias(ps.inputs[i]))
            } else {
                src
            }
        }
        None => {
            g.warnings.push(format!(
                "{} / {}.{}: no input column of that name; NULL",
                ps.stage.name, l.name, c.name
            ));
            "NULL".into()
        }
    }
}

pub(crate) fn select(cols: &[String], from: &str) -> String {
    format!(
        "SELECT\n        {}\n    FROM {from}",
        cols.join(",\n        ")
    )
}

// ---------------------------------------------------------------------------
// Reference links (Transformer and Lookup)

pub(crate) struct RefJoin {
    link_index: usize,
    fail: String,
}

/// `FROM primary LEFT JOIN (reference + match marker) ...`; each reference
/// keeps its first match per key unless it allows duplicates.
pub(crate) fn reference_joins(
    g: &mut SqlGen,
    ps: &PlanStage,
    scope: &Scope,
    names: &Names,
    lookup_stage: bool,
    coverage: &mut Coverage,
) -> (String, Vec<RefJoin>) {
    let Some(primary) = ps.primary() else {
        return (String::new(), Vec::new());
    };
    let mut from = from_link(g, primary);
    let mut joins = Vec::new();
    for (i, l) in ps.inputs.iter().enumerate() {
        if l.id == primary.id {
            continue;
        }
        let mut conds = Vec::new();
        let mut key_cols = Vec::new();
        for (col, text) in reference_keys(l) {
            key_cols.push(quote_ident(&col));
            // Compared as DataStage compares (types of both sides).
            let cmp = format!("{}.{} = ({text})", l.name, col);
            let loc = format!("key {} of {}", col, l.name);
            let code = match parse(&cmp) {
                Ok(_) => translate(g, ps, &cmp, scope, names, &loc, true, coverage),
                Err(_) => {
                    let k = translate(g, ps, &text, scope, names, &loc, false, coverage);
                    format!("{}.{} = {k}", alias(l), quote_ident(&col))
                }
            };
            conds.push(code);
        }
        let fail = if lookup_stage {
            props::text(&l.target_properties, "LookupFail")
                .unwrap_or("fail")
                .trim()
                .to_ascii_lowercase()
        } else {
            "continue".to_string()
        };
        let allow_dups = props::flag(&l.target_properties, "allow_dups");
        if conds.is_empty() {
            g.todo(
                format!("{} / {}", ps.stage.name, l.name),
                "reference link without key expressions: joined on nothing (cross join)".into(),
            );
            conds.push("1 = 1".into());
        }
        let inner = if !allow_dups && !key_cols.is_empty() {
            conds.push(format!("{}.\"dsmig_rn\" = 1", alias(l)));
            format!(
                "SELECT r.*, 1 AS \"dsmig_matched\", ROW_NUMBER() OVER (PARTITION BY {0} ORDER BY {0}) AS \"dsmig_rn\" FROM {1} r",
                key_cols
                    .iter()
                    .map(|k| format!("r.{k}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                g.rel(l)
            )
        } else {
            format!("SELECT r.*, 1 AS \"dsmig_matched\" FROM {} r", g.rel(l))
        };
        from.push_str(&format!(
            "\n    LEFT JOIN ({inner}) {}\n        ON {}",
            alias(l),
            conds.join("\n        AND ")
        ));
        joins.push(RefJoin {
            link_index: i,
            fail,
        });
    }
    (from, joins)
}

pub(crate) fn matched(l: &Link) -> String {
    format!("{}.\"dsmig_matched\" IS NOT NULL", alias(l))
}

/// Lookup failure handling common to Transformer and Lookup: conditions
/// rows must meet (drop / reject) and guards (fail).
pub(crate) fn failure_modes(
    g: &mut SqlGen,
    ps: &PlanStage,
    from: &str,
    joins: &[RefJoin],
    coverage: &mut Coverage,
) -> Vec<String> {
    let mut required = Vec::new();
    let Some(primary) = ps.primary() else {
        return required;
    };
    for j in joins {
        let l = ps.inputs[j.link_index];
        match j.fail.as_str() {
            "fail" => {
                let msg = format!(
                    "dsmig: Lookup {}: a row of {} has no match in {}",
                    ps.stage.name, primary.name, l.name
                );
                let select = format!(
                    "SELECT CAST(CASE WHEN COUNT(*) > 0 THEN {} ELSE '0' END AS INTEGER) AS \"dsmig_check\"\n    FROM {from}\n    WHERE NOT ({})",
                    g.rules.literal(&msg),
                    matched(l)
                );
                note_params(g, &select);
                g.guards.push(Guard {
                    title: format!(
                        "Lookup {} / {}: failure mode 'fail' - stops the script (a conversion error naming the lookup) when a row has no match",
                        ps.stage.name, l.name
                    ),
                    select,
                });
            }
            "drop" | "reject" => required.push(matched(l)),
            "continue" => {}
            other => {
                g.warnings.push(format!(
                    "{} / {}: lookup failure action {other:?} treated as continue",
                    ps.stage.name, l.name
                ));
                *coverage = (*coverage).max(Coverage::Approximate);
            }
        }
    }
    required
}

/// Validation query per reference link: primary rows without a match.
pub(crate) fn record_ref_checks(g: &mut SqlGen, ps: &PlanStage, from: &str, joins: &[RefJoin]) {
    for j in joins {
        let l = ps.inputs[j.link_index];
        g.lookup_checks.push(Guard {
            title: format!(
                "Lookup {} / {} (failure mode {}): rows without a match in {}; must be 0 unless\nunmatched rows are expected (mode continue keeps them with NULLs).",
                ps.stage.name, l.name, j.fail, l.name
            ),
            select: format!(
                "SELECT COUNT(*) AS unmatched\n    FROM {from}\n    WHERE NOT ({})",
                matched(l)
            ),
        });
    }
}

pub(crate) fn with_params(from: &str, code: &str) -> String {
    let p = quote_ident(PARAMS);
    if !code.contains(&format!("{p}.")) && !from.contains(&format!("{p}.")) {
        return from.to_string();
    }
    // Right after the first relation: the join conditions may read it.
    let join = format!("\n    CROSS JOIN {p}");
    match from.find("\n    ") {
        Some(i) => format!("{}{join}{}", &from[..i], &from[i..]),
        None => format!("{from}{join}"),
    }
}

/// A fractional value assigned to an integer column is truncated (as the
/// reference evaluator and Spark do); a database CAST would round.
pub(crate) fn truncate_to_integer(
    g: &SqlGen,
    code: &str,
    text: &str,
    scope: &Scope,
    c: &Column,
) -> String {
    use crate::dialects::{Kind, kind_of};
    let integer = matches!(
        kind_of(c),
        Kind::TinyInt | Kind::SmallInt | Kind::Int | Kind::BigInt
    );
    let fractional = parse(text).is_ok_and(|e| {
        matches!(
            scope.type_of(&e).ty,
            crate::expr::types::Type::Float | crate::expr::types::Type::Decimal { .. }
        )
    });
    if !integer || !fractional {
        return code.to_string();
    }
    g.rules.trunc(code)
}

// ---------------------------------------------------------------------------
// Transformer

pub(crate) fn transformer(g: &mut SqlGen, ps: &PlanStage) -> Coverage {
    let Some(primary) = ps.primary() else {
        return placeholder(g, ps, "Transformer without an input link");
    };
    let mut coverage = Coverage::Exact;
    let scope = Scope::from_job(g.job, &ps.stage.id);
    let detail = ps.stage.transformer.clone().unwrap_or_default();
    let report = crate::expr::stagevars::analyse(&detail);
    // Stage variables are inlined where they are used. One that reads a
    // previous row becomes a window over the input's order — the
    // upstream Sort's keys: a table has no other order. DataStage keeps
    // them per partition; this is the sequential run (see
    // `expr::stagevars`).
    let order: Vec<String> = upstream_order(g, primary)
        .iter()
        .map(|(k, desc)| {
            format!(
                "{}.{}{}",
                alias(primary),
                quote_ident(k),
                if *desc { " DESC" } else { "" }
            )
        })
        .collect();
    let order = order.join(", ");
    let mut svs: BTreeMap<String, String> = BTreeMap::new();
    let mut windowed: Vec<String> = Vec::new();
    for (sv, info) in detail.stage_vars.iter().zip(&report.vars) {
        let loc = format!("stage variable {}", sv.name);
        let stop = |g: &mut SqlGen, why: &str, coverage: &mut Coverage| {
            g.stop(format!("{} / {loc}", ps.stage.name), why.to_string());
            *coverage = Coverage::Placeholder;
        };
        let needs_order = matches!(info.state, State::Lag | State::Scan(_));
        if needs_order && order.is_empty() {
            stop(
                g,
                "reads the previous row's value: the input has no defined order in SQL (no upstream Sort) - not generated",
                &mut coverage,
            );
            svs.insert(sv.name.clone(), "NULL".into());
            continue;
        }
        let code = match &info.state {
            State::Irregular(why) => {
                stop(
                    g,
                    &format!("{why}: needs a row loop - not generated"),
                    &mut coverage,
                );
                "NULL".into()
            }
            State::Constant => {
                let e = initial_expr(sv);
                let t = to_sql_with(&e, &scope, g.d, &names(svs.clone()));
                note_translation(g, ps, &t, &loc, &mut coverage);
                t.code
            }
            State::Row => translate(
                g,
                ps,
                &sv.expression,
                &scope,
                &names(svs.clone()),
                &loc,
                false,
                &mut coverage,
            ),
            State::Lag | State::Scan(_) => {
                let mut inl = svs.clone();
                let w = format!("OVER (ORDER BY {order})");
                for r in info.previous_row_reads.iter().filter(|r| !r.self_reference) {
                    let Some(wv) = detail.stage_vars.iter().find(|x| x.name == r.var) else {
                        continue;
                    };
                    let value = sql_inline_var(
                        g,
                        ps,
                        &detail,
                        &report,
                        &scope,
                        &svs,
                        &wv.name,
                        &mut coverage,
                    );
                    let init = to_sql_with(&initial_expr(wv), &scope, g.d, &names(svs.clone()));
                    note_translation(g, ps, &init, &loc, &mut coverage);
                    inl.insert(
                        wv.name.clone(),
                        format!(
                            "CASE WHEN ROW_NUMBER() {w} = 1 THEN {} ELSE LAG({value}, 1) {w} END",
                            init.code
                        ),
                    );
                }
                match &info.state {
                    State::Scan(scan) => match (&scan.reset, &scan.step) {
                        (None, Some((step, when))) => {
                            let nm = names(inl);
                            let mut tr =
                                |e: &crate::expr::Expr, cond: bool, coverage: &mut Coverage| {
                                    let t = if cond {
                                        to_sql_condition_with(e, &scope, g.d, &nm)
                                    } else {
                                        to_sql_with(e, &scope, g.d, &nm)
                                    };
                                    note_translation(g, ps, &t, &loc, coverage);
                                    t.code
                                };
                            let init = tr(&initial_expr(sv), false, &mut coverage);
                            let b = tr(step, false, &mut coverage);
                            let b = match when {
                                None => b,
                                Some((c, negate)) => {
                                    let c = tr(c, true, &mut coverage);
                                    let c = if *negate {
                                        format!("NOT ({})", holds(&c))
                                    } else {
                                        holds(&c)
                                    };
                                    format!("(CASE WHEN {c} THEN {b} ELSE 0 END)")
                                }
                            };
                            if b.contains("OVER (") {
                                stop(
                                    g,
                                    "a running value of a previous-row value: windows cannot nest in one SQL statement - not generated",
                                    &mut coverage,
                                );
                                "NULL".into()
                            } else {
                                // NULL once a step is NULL (NULL + x is NULL).
                                let rw = format!(
                                    "OVER (ORDER BY {order} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"
                                );
                                format!(
                                    "({init} + CASE WHEN COUNT(*) {rw} = COUNT({b}) {rw} THEN SUM({b}) {rw} END)"
                                )
                            }
                        }
                        _ => {
                            stop(
                                g,
                                "reads its own previous value with a reset (a segmented running value): needs a step per segment, not generated for SQL",
                                &mut coverage,
                            );
                            "NULL".into()
                        }
                    },
                    _ => translate(
                        g,
                        ps,
                        &sv.expression,
                        &scope,
                        &names(inl),
                        &loc,
                        false,
                        &mut coverage,
                    ),
                }
            }
        };
        if code.contains("OVER (") {
            windowed.push(sv.name.clone());
        }
        svs.insert(sv.name.clone(), code);
    }
    if !detail.loop_condition.trim().is_empty() || !detail.loop_vars.is_empty() {
        g.stop(
            ps.stage.name.clone(),
            "Transformer loop (loop condition / loop variables) is not translated".into(),
        );
        coverage = Coverage::Placeholder;
    }
    let nm = names(svs);
    let (from, joins) = reference_joins(g, ps, &scope, &nm, false, &mut coverage);
    let joined_from = with_params(&from, &from);
    record_ref_checks(g, ps, &joined_from, &joins);
    if !joins.is_empty() {
        coverage = coverage.max(Coverage::Approximate);
    }
    let mut taken: Vec<String> = Vec::new();
    for l in &ps.outputs {
        if l.kind == LinkKind::Reject {
            g.warnings.push(format!(
                "{} / {}: reject link (rows DataStage could not write); the database raises instead, so it stays empty",
                ps.stage.name, l.name
            ));
            let body = empty_relation(g, l);
            push(g, l, body);
            continue;
        }
        let filter = match l.kind {
            LinkKind::Otherwise => {
                if taken.is_empty() {
                    None
                } else {
                    Some(format!("NOT ({})", taken.join(" OR ")))
                }
            }
            _ if l.constraint.trim().is_empty() => None,
            _ => {
                let loc = format!("constraint of {}", l.name);
                let code = translate(g, ps, &l.constraint, &scope, &nm, &loc, true, &mut coverage);
                if code.contains("OVER (") {
                    // A window cannot go in a WHERE clause.
                    g.stop(
                        format!("{} / {loc}", ps.stage.name),
                        "the constraint reads a row-order value (a window): not generated".into(),
                    );
                    coverage = Coverage::Placeholder;
                }
                let h = holds(&code);
                taken.push(format!("({h})"));
                Some(h)
            }
        };
        let mut cols = Vec::new();
        let mut all_code = filter.clone().unwrap_or_default();
        for c in &l.columns {
            let loc = format!("{}.{}", l.name, c.name);
            let code = if c.derivation.trim().is_empty() {
                if col_idx(primary, &c.name).is_some() {
                    format!("{}.{}", alias(primary), quote_ident(&c.name))
                } else {
                    g.warnings.push(format!(
                        "{} / {loc}: no derivation; the column is NULL",
                        ps.stage.name
                    ));
                    "NULL".into()
                }
            } else {
                let code = translate(
                    g,
                    ps,
                    &c.derivation,
                    &scope,
                    &nm,
                    &loc,
                    false,
                    &mut coverage,
                );
                truncate_to_integer(g, &code, &c.derivation, &scope, c)
            };
            map(g, ps, l, c, &code);
            all_code.push_str(&code);
            cols.push(g.cast_as(&code, c));
        }
        if cols.is_empty() {
            cols.push("1 AS \"dsmig_none\"".into());
        }
        let from = with_params(&from, &all_code);
        let mut body = select(&cols, &from);
        if let Some(f) = filter {
            body.push_str(&format!("\n    WHERE {f}"));
        }
        push(g, l, body);
    }
    coverage
}

// ---------------------------------------------------------------------------
// Lookup

pub(crate) fn lookup(g: &mut SqlGen, ps: &PlanStage) -> Coverage {
    let Some(primary) = ps.primary() else {
        return placeholder(g, ps, "Lookup without a primary link");
    };
    let scope = Scope::from_job(g.job, &ps.stage.id);
    let nm = names(BTreeMap::new());
    let mut coverage = Coverage::Exact;
    let (from, joins) = reference_joins(g, ps, &scope, &nm, true, &mut coverage);
    let from = with_params(&from, &from);
    record_ref_checks(g, ps, &from, &joins);
    let required = failure_modes(g, ps, &from, &joins, &mut coverage);
    for l in &ps.outputs {
        if l.kind == LinkKind::Reject {
            let body = if required.is_empty() {
                empty_relation(g, l)
            } else {
                let cols: Vec<String> = l
                    .columns
                    .iter()
                    .map(|c| {
                        let code = if col_idx(primary, &c.name).is_some() {
                            format!("{}.{}", alias(primary), quote_ident(&c.name))
                        } else {
                            "NULL".into()
                        };
                        g.cast_as(&code, c)
                    })
                    .collect();
                format!(
                    "{}\n    WHERE NOT ({})",
                    select(&cols, &from),
                    required.join(" AND ")
                )
            };
            push(g, l, body);
            continue;
        }
        let cols = by_name(g, ps, l, true);
        let mut body = select(&cols, &from);
        if !required.is_empty() {
            body.push_str(&format!("\n    WHERE {}", required.join(" AND ")));
        }
        push(g, l, body);
    }
    coverage
}

// ---------------------------------------------------------------------------
// Join / Merge

// ---------------------------------------------------------------------------
// Aggregator

pub(crate) fn agg_sql(d: Dialect, func: &str, col: &str) -> Option<String> {
    Some(match func.to_ascii_lowercase().as_str() {
        "sum" => format!("SUM({col})"),
        "max" => format!("MAX({col})"),
        "min" => format!("MIN({col})"),
        "mean" => format!("AVG(CAST({col} AS DOUBLE PRECISION))"),
        "count" => format!("COUNT({col})"),
        "missing" | "missingcount" => format!("SUM(CASE WHEN {col} IS NULL THEN 1 ELSE 0 END)"),
        "range" => format!("(MAX({col}) - MIN({col}))"),
        "stddev" | "std_dev" => d.rules().stddev_samp(col),
        "var" | "variance" => d.rules().var_samp(col),
        _ => return None,
    })
}

pub(crate) fn aggregator(g: &mut SqlGen, ps: &PlanStage) -> Coverage {
    let Some(input) = ps.inputs.first() else {
        return placeholder(g, ps, "Aggregator without input");
    };
    let keys = keys_of(ps, "key");
    let mut coverage = Coverage::Exact;
    let mut sel: Vec<String> = keys
        .iter()
        .map(|k| format!("{0} AS {0}", quote_ident(k)))
        .collect();
    for r in reductions(ps) {
        let col = quote_ident(&r.input);
        match agg_sql(g.d, &r.func, &col) {
            Some(code) => sel.push(format!("{code} AS {}", quote_ident(&r.output))),
            None => {
                g.stop(
                    ps.stage.name.clone(),
                    format!("aggregate function {} of {} has no rule", r.func, r.input),
                );
                coverage = Coverage::Placeholder;
                sel.push(format!("NULL AS {}", quote_ident(&r.output)));
            }
        }
    }
    for cf in props::tree_values(&ps.stage.properties, "countField") {
        sel.push(format!("COUNT(*) AS {}", quote_ident(&cf)));
    }
    if sel.len() == keys.len() {
        sel.push("COUNT(*) AS \"count\"".into());
        g.warnings.push(format!(
            "{}: no calculation found; counts rows",
            ps.stage.name
        ));
        coverage = coverage.max(Coverage::Approximate);
    }
    let mut body = select(&sel, &from_link(g, input));
    if !keys.is_empty() {
        body.push_str(&format!(
            "\n    GROUP BY {}",
            keys.iter()
                .map(|k| quote_ident(k))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let agg_name = format!("{}__agg", ps.stage.name);
    g.ctes.push(Cte {
        name: agg_name.clone(),
        body,
    });
    let results = agg_results(ps);
    for l in &ps.outputs {
        let cols: Vec<String> = agg_mapping(&results, &keys, l)
            .iter()
            .zip(&l.columns)
            .map(|(src, c)| match src {
                Some(r) => g.cast_as(&quote_ident(r), c),
                None => g.cast_as("NULL", c),
            })
            .collect();
        let body = select(&cols, &quote_ident(&agg_name));
        push(g, l, body);
    }
    coverage
}

// ---------------------------------------------------------------------------
// Filter

// ---------------------------------------------------------------------------
// Sort, Remove Duplicates, Funnel, Copy / Peek / Modify, Head / Tail

/// Sort keys of the stage feeding `l`, if it is a Sort.
pub(crate) fn upstream_order(g: &SqlGen, l: &Link) -> Vec<(String, bool)> {
    g.plan
        .stages
        .iter()
        .find(|s| s.stage.id == l.from_stage && s.stage.stage_type == "Sort")
        .map(crate::generate::kinds::sort::order_keys)
        .unwrap_or_default()
}

pub(crate) fn projection(g: &mut SqlGen, ps: &PlanStage) -> Coverage {
    let Some(input) = ps.inputs.first() else {
        return placeholder(g, ps, "no input");
    };
    let spec = modify_spec(ps);
    let coverage = if spec.conversions.is_empty() {
        Coverage::Exact
    } else {
        Coverage::Approximate
    };
    for l in &ps.outputs {
        let mut cols = Vec::new();
        for c in &l.columns {
            let code = match spec.source_index(input, c) {
                Some(j) => format!("{}.{}", alias(input), quote_ident(&input.columns[j].name)),
                None => {
                    g.warnings.push(format!(
                        "{} / {}.{}: not on the input; NULL",
                        ps.stage.name, l.name, c.name
                    ));
                    "NULL".into()
                }
            };
            map(g, ps, l, c, &code);
            cols.push(g.cast_as(&code, c));
        }
        let body = select(&cols, &from_link(g, input));
        push(g, l, body);
    }
    coverage
}

pub(crate) fn surrogate_key(g: &mut SqlGen, ps: &PlanStage) -> Coverage {
    let Some(input) = ps.inputs.first() else {
        return placeholder(g, ps, "Surrogate Key Generator without input");
    };
    let mut initial: i64 = 1;
    if let Some(n) = props::tree(&ps.stage.properties, "key").first() {
        initial = props::child(n, "initial")
            .and_then(|v| v.parse().ok())
            .unwrap_or(1);
    }
    let order = column_list(input)
        .split(", ")
        .map(|c| format!("{}.{c}", alias(input)))
        .collect::<Vec<_>>()
        .join(", ");
    for l in &ps.outputs {
        let mut cols = Vec::new();
        for c in &l.columns {
            let code = match col_idx(input, &c.name) {
                Some(j) => format!("{}.{}", alias(input), quote_ident(&input.columns[j].name)),
                None if g.rules.key_sequences() => {
                    // A database sequence keeps counting across runs, as
                    // DataStage's key state does (ddl/<job>.sql creates it).
                    let seq = super::table_ident(&["SEQ", &g.stem, &c.name]);
                    g.sequences.push((seq.clone(), initial));
                    g.rules.next_value(&seq)
                }
                None => {
                    g.todo(
                        format!("{} / {}", ps.stage.name, c.name),
                        format!(
                            "surrogate key {}: numbered from {initial} in each run; DataStage continues from a key state file or a sequence. Start after the last key issued (e.g. the target's MAX) or use the database's sequence / identity column.",
                            c.name
                        ),
                    );
                    format!("ROW_NUMBER() OVER (ORDER BY {order}) + {}", initial - 1)
                }
            };
            map(g, ps, l, c, &code);
            cols.push(g.cast_as(&code, c));
        }
        let body = select(&cols, &from_link(g, input));
        push(g, l, body);
    }
    Coverage::Scaffold
}

// ---------------------------------------------------------------------------
// Writing a target

/// What a database stage does with the rows of one link.
pub(crate) struct WriteMode {
    code: String,
    truncate: bool,
    before: Option<String>,
    after: Option<String>,
}

pub(crate) fn write_mode(t: &IoTable) -> WriteMode {
    let w = props::DbWrite::of(t.stage);
    // Replace (2) recreates the table in DataStage: here it is emptied.
    let truncate = w.truncates() || w.table_action == "2";
    let before_truncates = w.before_truncates();
    WriteMode {
        code: w.write_mode,
        truncate,
        before: w.before.filter(|_| !before_truncates),
        after: w.after,
    }
}

/// The statements writing one target link.
pub fn write_steps(g: &mut SqlGen, t: &IoTable, select: &str) -> Vec<Step> {
    let l = t.link;
    let with = g.with_clause(select);
    let cols: Vec<String> = l.columns.iter().map(|c| quote_ident(&c.name)).collect();
    let col_text = if cols.is_empty() {
        String::new()
    } else {
        cols.join(", ")
    };
    let mut steps = Vec::new();
    if t.role == Role::FileTarget {
        steps.push(Step {
            title: format!(
                "Link {} -> file stage {}: rows into {} (load/{}.sh unloads it)",
                l.name, t.stage.name, t.table, g.stem
            ),
            sql: g.rules.truncate(&t.table),
        });
        steps.push(Step {
            title: format!("Link {}: insert", l.name),
            sql: g.rules.insert_select(&t.table, &col_text, &with, select),
        });
        return steps;
    }
    let m = write_mode(t);
    let loc = format!("{} -> {}", l.name, t.stage.name);
    if let Some(b) = &m.before {
        g.todo(
            loc.clone(),
            format!(
                "DataStage before-SQL not run by the script: {}",
                one_line(b, 120)
            ),
        );
    }
    let title = format!(
        "Link {} -> {} {}: table {} (WriteMode {})",
        l.name, t.stage.stage_type, t.stage.name, t.table, m.code
    );
    if m.truncate {
        steps.push(Step {
            title: format!("{title}: empty the table first"),
            sql: g.rules.truncate(&t.table),
        });
    }
    let keys: Vec<String> = l
        .columns
        .iter()
        .filter(|c| c.key_position > 0)
        .map(|c| quote_ident(&c.name))
        .collect();
    let upsert = |g: &mut SqlGen, insert: bool| -> String {
        if keys.is_empty() {
            g.todo(
                loc.clone(),
                format!(
                    "{} into {} without key columns on the link: the script inserts; set the keys of the MERGE",
                    if insert { "upsert" } else { "update" },
                    t.table
                ),
            );
            return g.rules.insert_select(&t.table, &col_text, &with, select);
        }
        // One row per key: DataStage applies rows one by one (a later row
        // updates an earlier one); a MERGE may touch each row once.
        g.warnings.push(format!(
            "{loc}: rows with the same key are merged once (an arbitrary one wins; DataStage: the last in its input order)"
        ));
        let deduped = format!(
            "SELECT {} FROM (SELECT x.*, ROW_NUMBER() OVER (PARTITION BY {k} ORDER BY {k}) AS \"dsmig_rn\" FROM {} x) d WHERE \"dsmig_rn\" = 1",
            col_text,
            g.rel(l),
            k = keys
                .iter()
                .map(|k| format!("x.{k}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        g.rules.merge(&Merge {
            table: &t.table,
            with: &with,
            select: &deduped,
            columns: &cols,
            keys: &keys,
            insert,
            on_conflict: g.ctx.config.postgres_upsert == "on_conflict",
        })
    };
    let sql = match m.code.as_str() {
        "0" | "6" => g.rules.insert_select(&t.table, &col_text, &with, select),
        "1" => upsert(g, false),
        "3" | "4" | "9" => upsert(g, true),
        "5" if keys.is_empty() => {
            g.todo(
                loc.clone(),
                format!(
                    "delete then insert into {} without key columns on the link: the script only inserts; set the keys",
                    t.table
                ),
            );
            g.rules.insert_select(&t.table, &col_text, &with, select)
        }
        "2" if keys.is_empty() => {
            g.stop(
                loc.clone(),
                format!(
                    "delete from {} without key columns on the link: set the keys",
                    t.table
                ),
            );
            String::new()
        }
        "2" | "5" => {
            // Delete (2), delete then insert (5): rows of the table whose
            // key comes on the link.
            let on = keys
                .iter()
                .map(|k| format!("{}.{k} = s.{k}", t.table))
                .collect::<Vec<_>>()
                .join(" AND ");
            let delete = g.rules.delete_matching(&t.table, &with, select, &on);
            if m.code == "2" {
                delete
            } else {
                steps.push(Step {
                    title: format!("{title}: delete the rows whose keys come, then insert"),
                    sql: delete,
                });
                g.rules.insert_select(&t.table, &col_text, &with, select)
            }
        }
        other => {
            g.todo(
                loc.clone(),
                format!(
                    "write mode code {other} of {} is not mapped; the script inserts. Check the DataStage stage.",
                    t.table
                ),
            );
            g.rules.insert_select(&t.table, &col_text, &with, select)
        }
    };
    if !sql.is_empty() {
        steps.push(Step { title, sql });
    }
    if let Some(a) = &m.after {
        g.todo(
            loc,
            format!(
                "DataStage after-SQL not run by the script: {}",
                one_line(a, 120)
            ),
        );
    }
    steps
}
