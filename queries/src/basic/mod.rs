//! DataStage BASIC: server routines (transform functions, before/after
//! subroutines) as programs dsmig can read, check and run.
//!
//! - `parse.rs`: statements and blocks → [`Program`]; expressions reuse the
//!   Transformer expression parser (`expr::parser`).
//! - `run.rs`: the reference interpreter (oracle of generated tests and the
//!   golden routine cases), built on `expr::eval`.
//! - `conv.rs`: `OCONV`/`ICONV` conversion codes.
//!
//! [`analyse`] says what a routine is ([`RoutineKind`]) and what, line by
//! line, keeps it from being translated by rules ([`Blocker`]); [`inline`]
//! turns a routine that is one `Ans = expression` of its arguments into
//! that expression with the call's arguments substituted, so both targets'
//! existing expression translators can emit it.

pub mod conv;
pub mod parse;
pub mod run;
pub mod sdk;

use crate::expr::ast::{Expr, ExprKind};
use crate::expr::functions;
use crate::ir::Routine;
pub use parse::{Program, Stmt};

/// What a routine is, from the export's routine type and its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub enum RoutineKind {
    /// Server transform function: `Ans = f(Arg1, ...)`, called from a
    /// derivation as `DSU.Name(...)` or by name.
    TransformFunction,
    /// Before/after-job (or stage) subroutine `(InputArg, ErrorCode)`.
    BeforeAfterSubroutine,
    /// Parallel routine: an external C function in a library (no BASIC).
    ParallelExternal,
}

impl RoutineKind {
    pub fn label(self) -> &'static str {
        match self {
            RoutineKind::TransformFunction => "server transform function",
            RoutineKind::BeforeAfterSubroutine => "before/after subroutine",
            RoutineKind::ParallelExternal => "parallel external routine",
        }
    }
}

/// The kind of a routine. Routine type `1` is a before/after subroutine
/// (the real ISX `RtTnrGetKeys.srt`: `routineType="1"`, `SUBROUTINE
/// X(InputArg,ErrorCode)`, documented as called before a job); a
/// `SUBROUTINE` header says the same; a routine without BASIC source whose
/// type names a parallel routine (or a `.prt` member, which the ISX reader
/// types `parallel`) is external C; everything else is a transform function.
pub fn kind(r: &Routine) -> RoutineKind {
    let t = r.routine_type.trim().to_ascii_lowercase();
    let head = r.source.trim_start().to_ascii_uppercase();
    if t == "1" || head.starts_with("SUBROUTINE") {
        RoutineKind::BeforeAfterSubroutine
    } else if r.source.trim().is_empty() && (t.contains("parallel") || t == "2" || t == "external")
    {
        RoutineKind::ParallelExternal
    } else {
        RoutineKind::TransformFunction
    }
}

/// One reason a routine cannot be translated by rules, with its line.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Blocker {
    pub line: u32,
    pub what: String,
}

#[derive(Debug, Clone)]
pub struct Analysis {
    pub kind: RoutineKind,
    pub program: Program,
    pub blockers: Vec<Blocker>,
    /// Other routines it calls (`DSU.X`, `DEFFUN` targets), upper-cased
    /// names without `DSU.`.
    pub calls: Vec<String>,
}

/// DataStage job-control API: these express orchestration (run a job, read
/// its status), not row logic; rules do not translate them.
const JOB_CONTROL: &[&str] = &[
    "DSAttachJob",
    "DSRunJob",
    "DSWaitForJob",
    "DSGetJobInfo",
    "DSGetParamInfo",
    "DSSetParam",
    "DSDetachJob",
    "DSGetLinkInfo",
    "DSGetStageInfo",
    "DSGetLogSummary",
    "DSStopJob",
    "DSSetJobLimit",
    "DSSetUserStatus",
    "DSExecute",
    "DSGetProjectInfo",
    "DSMakeJobReport",
];

/// Functions the interpreter computes itself (not in `expr::functions`).
const BASIC_EXTRA: &[&str] = &["Extract", "Date", "Time", "Not"];

pub fn analyse(r: &Routine) -> Analysis {
    let kind = kind(r);
    let program = parse::parse(&r.source);
    let mut blockers = Vec::new();
    let mut calls = Vec::new();
    if kind == RoutineKind::ParallelExternal {
        blockers.push(Blocker {
            line: 0,
            what: "parallel routine: external C code, no source in the export".into(),
        });
    } else if r.source.trim().is_empty() {
        blockers.push(Blocker {
            line: 0,
            what: "the export holds no source for this routine".into(),
        });
    }
    let deffun = |n: &str| {
        program
            .deffuns
            .iter()
            .find(|(l, _)| l.eq_ignore_ascii_case(n))
            .map(|(_, c)| c.clone())
    };
    let mut labels = Vec::new();
    for s in &program.body {
        s.walk(&mut |s| {
            if let Stmt::Label { name, .. } = s {
                labels.push(name.to_ascii_uppercase());
            }
        });
    }
    for s in &program.body {
        s.walk(&mut |s| {
            let line = s.line();
            let mut block = |what: String| blockers.push(Blocker { line, what });
            match s {
                Stmt::Unsupported { text, why, .. } => block(format!(
                    "{why}: {}",
                    text.chars().take(80).collect::<String>()
                )),
                Stmt::GoSub { label, .. } if !labels.contains(&label.to_ascii_uppercase()) => {
                    block(format!("GOSUB to unknown label {label}"))
                }
                Stmt::Call { name, .. } => {
                    let u = name.to_ascii_uppercase();
                    if !matches!(u.as_str(), "DSLOGINFO" | "DSLOGWARN" | "DSLOGFATAL") {
                        if JOB_CONTROL.iter().any(|j| j.eq_ignore_ascii_case(name)) {
                            block(format!("job control: CALL {name}"));
                        } else {
                            calls.push(u.trim_start_matches("DSU.").to_string());
                            block(format!("calls routine {name}"));
                        }
                    }
                }
                _ => {}
            }
            for e in s.exprs() {
                e.walk(&mut |x| match &x.kind {
                    ExprKind::Routine { name, .. } => {
                        if BASIC_EXTRA.iter().any(|b| b.eq_ignore_ascii_case(name)) {
                            return;
                        }
                        if JOB_CONTROL.iter().any(|j| j.eq_ignore_ascii_case(name)) {
                            block(format!("job control: {name}()"));
                            return;
                        }
                        let target = deffun(name).unwrap_or_else(|| name.clone());
                        calls.push(
                            target
                                .to_ascii_uppercase()
                                .trim_start_matches("DSU.")
                                .to_string(),
                        );
                        block(format!(
                            "calls {target}(): not a DataStage BASIC built-in dsmig models"
                        ));
                    }
                    ExprKind::Call { name, args }
                        if name.eq_ignore_ascii_case("Oconv")
                            || name.eq_ignore_ascii_case("Iconv") =>
                    {
                        match args.get(1).map(|a| &a.kind) {
                            Some(ExprKind::Str(code)) if conv::code_supported(code) => {}
                            Some(ExprKind::Str(code)) => {
                                block(format!("{name} conversion code {code:?} is not modelled"))
                            }
                            _ => block(format!("{name} with a computed conversion code")),
                        }
                    }
                    ExprKind::Column { link, column }
                        if matches!(link.to_ascii_uppercase().as_str(), "DSJ" | "DSJS") =>
                    {
                        block(format!("job control constant {link}.{column}"))
                    }
                    _ => {}
                });
            }
        });
    }
    // A job-control call already names its line: its `DSJ.*` arguments
    // add nothing.
    let control_lines: Vec<u32> = blockers
        .iter()
        .filter(|b| b.what.starts_with("job control:"))
        .map(|b| b.line)
        .collect();
    blockers.retain(|b| {
        !(b.what.starts_with("job control constant") && control_lines.contains(&b.line))
    });
    blockers.sort_by_key(|b| b.line);
    blockers.dedup();
    calls.sort();
    calls.dedup();
    Analysis {
        kind,
        program,
        blockers,
        calls,
    }
}

/// The routine as one expression of its arguments, when its whole body is
/// `Ans = e` (or `RETURN(e)`) and `e` uses only its arguments and built-in
/// functions both targets know: the call's arguments are substituted
/// (their trees, not their text) and the result is translated like any
/// derivation. `None` when the routine is anything more.
pub fn inline(r: &Routine, args: &[Expr]) -> Option<Expr> {
    let a = analyse(r);
    if !a.blockers.is_empty() || a.kind != RoutineKind::TransformFunction {
        return None;
    }
    let params: Vec<String> = match &a.program.header {
        Some((_, _, p)) if !p.is_empty() => p.clone(),
        _ => r.arguments.clone(),
    };
    if params.len() != args.len() {
        return None;
    }
    let stmts: Vec<&Stmt> = a
        .program
        .body
        .iter()
        .filter(|s| !matches!(s, Stmt::Nothing { .. } | Stmt::Stop { .. }))
        .collect();
    let body = match stmts.as_slice() {
        [
            Stmt::Assign {
                var,
                index: None,
                value,
                ..
            },
        ] if var == "Ans" => value,
        [
            Stmt::Return {
                value: Some(value), ..
            },
        ] => value,
        [
            Stmt::Assign {
                var,
                index: None,
                value,
                ..
            },
            Stmt::Return { value: ret, .. },
        ] if var == "Ans"
            && ret
                .as_ref()
                .is_none_or(|e| matches!(&e.kind, ExprKind::Name(n) if n == "Ans")) =>
        {
            value
        }
        _ => return None,
    };
    let mut ok = true;
    body.walk(&mut |x| match &x.kind {
        ExprKind::Name(n) if !params.contains(n) => ok = false,
        ExprKind::Routine { .. } | ExprKind::Column { .. } => ok = false,
        ExprKind::Call { name, .. } if functions::lookup(name).is_none() => ok = false,
        ExprKind::Call { name, .. }
            if name.eq_ignore_ascii_case("Oconv") || name.eq_ignore_ascii_case("Iconv") =>
        {
            ok = false
        }
        _ => {}
    });
    if !ok {
        return None;
    }
    Some(substitute_names(body, &params, args))
}

fn substitute_names(e: &Expr, params: &[String], args: &[Expr]) -> Expr {
    use crate::expr::ast::SubstringForm as F;
    let s = |x: &Expr| Box::new(substitute_names(x, params, args));
    let kind = match &e.kind {
        ExprKind::Name(n) => {
            if let Some(i) = params.iter().position(|p| p == n) {
                return args[i].clone();
            }
            e.kind.clone()
        }
        ExprKind::Unary { op, operand } => ExprKind::Unary {
            op: *op,
            operand: s(operand),
        },
        ExprKind::Binary { op, lhs, rhs } => ExprKind::Binary {
            op: *op,
            lhs: s(lhs),
            rhs: s(rhs),
        },
        ExprKind::If { cond, then, els } => ExprKind::If {
            cond: s(cond),
            then: s(then),
            els: s(els),
        },
        ExprKind::Substring { subject, form } => ExprKind::Substring {
            subject: s(subject),
            form: match form {
                F::Range { start, len } => F::Range {
                    start: s(start),
                    len: s(len),
                },
                F::Last { count } => F::Last { count: s(count) },
                F::Field {
                    delim,
                    occurrence,
                    count,
                } => F::Field {
                    delim: s(delim),
                    occurrence: s(occurrence),
                    count: s(count),
                },
            },
        },
        ExprKind::Call { name, args: a } => ExprKind::Call {
            name: name.clone(),
            args: a
                .iter()
                .map(|x| substitute_names(x, params, args))
                .collect(),
        },
        ExprKind::Routine { name, args: a } => ExprKind::Routine {
            name: name.clone(),
            args: a
                .iter()
                .map(|x| substitute_names(x, params, args))
                .collect(),
        },
        other => other.clone(),
    };
    Expr { kind, pos: e.pos }
}

#[cfg(test)]
mod tests;
