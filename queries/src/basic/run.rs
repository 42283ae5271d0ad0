//! Reference interpreter of a parsed routine: the oracle for generated
//! tests and golden cases, as `expr::eval` is for derivations.
//!
//! Expressions are evaluated by `expr::eval` itself; what that evaluator
//! does not know (`OCONV`/`ICONV`, dynamic-array `Extract`, calls to other
//! routines, `Date()`/`Time()`) is computed here first and substituted into
//! the tree as a literal. Arguments are therefore evaluated eagerly (both
//! branches of an `If ... Then ... Else` expression holding such a call):
//! harmless, BASIC expressions have no side effects.
//!
//! Assumptions: a variable read before it is assigned is an error (BASIC
//! prints a warning and uses ""), so a test never passes on an accident;
//! `FOR` evaluates its limit once; a run stops after [`MAX_STEPS`]
//! statements (an endless loop is an error, not a hang).

use std::collections::BTreeMap;

use super::conv;
use super::parse::{Program, Stmt};
use crate::expr::ast::{Expr, ExprKind, SubstringForm};
use crate::expr::eval::{self, Env, Value};

pub const MAX_STEPS: u64 = 1_000_000;
/// GOSUBs and routine calls nested (each level may hold
/// `parse::MAX_NESTING` block levels).
const MAX_CALL_DEPTH: usize = 16;

pub const FM: char = '\u{FE}';
pub const VM: char = '\u{FD}';
pub const SM: char = '\u{FC}';

/// A routine the interpreter can call: its program and argument names.
pub struct Callable<'a> {
    pub program: &'a Program,
    pub params: &'a [String],
}

/// Finds another routine by name (`DSU.` prefix removed), for calls.
pub type Library<'a> = dyn Fn(&str) -> Option<Callable<'a>> + 'a;

#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// `Ans` (transform function) or the `RETURN(e)` value.
    pub ans: Value,
    /// Argument values at the end (a subroutine's outputs).
    pub args: Vec<Value>,
    /// `DSLogInfo` / `DSLogWarn` messages, in order (`INFO: ...`).
    pub log: Vec<String>,
}

enum Flow {
    Next,
    Exit,
    Continue,
    Return(Option<Value>),
    Stop,
}

struct Machine<'a, 'l> {
    vars: BTreeMap<String, Value>,
    log: Vec<String>,
    steps: u64,
    depth: usize,
    program: &'a Program,
    library: &'l Library<'l>,
    now: Env,
}

/// Run a routine with argument values.
pub fn run<'l>(
    program: &Program,
    params: &[String],
    args: Vec<Value>,
    library: &'l Library<'l>,
) -> Result<Outcome, String> {
    run_at(program, params, args, library, 0)
}

fn run_at<'l>(
    program: &Program,
    params: &[String],
    args: Vec<Value>,
    library: &'l Library<'l>,
    depth: usize,
) -> Result<Outcome, String> {
    if depth > MAX_CALL_DEPTH {
        return Err("routine calls nested too deeply".into());
    }
    let params: Vec<String> = match &program.header {
        Some((_, _, p)) if !p.is_empty() => p.clone(),
        _ => params.to_vec(),
    };
    if args.len() != params.len() {
        return Err(format!(
            "routine takes {} argument(s), got {}",
            params.len(),
            args.len()
        ));
    }
    let mut m = Machine {
        vars: params.iter().cloned().zip(args).collect(),
        log: Vec::new(),
        steps: 0,
        depth,
        program,
        library,
        now: Env::new(),
    };
    let flow = m.block(&program.body, 0)?;
    let ans = match flow {
        Flow::Return(Some(v)) => v,
        _ => m.vars.get("Ans").cloned().unwrap_or(Value::Null),
    };
    Ok(Outcome {
        ans,
        args: params
            .iter()
            .map(|p| m.vars.get(p).cloned().unwrap_or(Value::Null))
            .collect(),
        log: m.log,
    })
}

pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Int(i) => *i != 0,
        Value::Float(f) => *f != 0.0,
        Value::Dec(d) => d.to_f64() != 0.0,
        Value::Str(s) => match s.trim().parse::<f64>() {
            Ok(f) => f != 0.0,
            Err(_) => !s.is_empty(),
        },
        _ => true,
    }
}

fn text(v: &Value) -> String {
    v.to_text().unwrap_or_default()
}

fn int(v: &Value) -> Result<i64, String> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::Null => Ok(0),
        other => {
            let t = text(other);
            if t.trim().is_empty() {
                return Ok(0);
            }
            t.trim()
                .parse::<f64>()
                .map(|f| f.trunc() as i64)
                .map_err(|_| format!("{t:?} is not a number"))
        }
    }
}

/// A value as a literal node of the expression tree.
fn literal(v: Value, like: &Expr) -> Expr {
    let kind = match v {
        Value::Null => ExprKind::SysVar("NULL".into()),
        Value::Str(s) => ExprKind::Str(s),
        Value::Int(i) if i < 0 => {
            // A negative literal: `0 - n` keeps the parser's shape.
            return Expr {
                kind: ExprKind::Binary {
                    op: crate::expr::ast::BinOp::Sub,
                    lhs: Box::new(literal(Value::Int(0), like)),
                    rhs: Box::new(literal(Value::Int(-i), like)),
                },
                pos: like.pos,
            };
        }
        Value::Int(i) => ExprKind::Num(i.to_string()),
        other => ExprKind::Str(text(&other)),
    };
    Expr {
        kind,
        pos: like.pos,
    }
}

/// Whether an expression holds something `expr::eval` cannot compute.
fn needs_help(e: &Expr) -> bool {
    let mut found = false;
    e.walk(&mut |x| {
        if let ExprKind::Routine { .. } = &x.kind {
            found = true;
        }
        if let ExprKind::Call { name, .. } = &x.kind
            && (name.eq_ignore_ascii_case("Oconv") || name.eq_ignore_ascii_case("Iconv"))
        {
            found = true;
        }
    });
    found
}

// ---------------------------------------------------------------------------
// Dynamic arrays (IBM, "Dynamic Arrays": fields by @FM, values by @VM,
// subvalues by @SM; a missing element is "").
// ---------------------------------------------------------------------------

pub fn extract(dyn_: &str, f: i64, v: i64, s: i64) -> String {
    let pick = |text: &str, mark: char, n: i64| -> String {
        if n <= 0 {
            return text.to_string();
        }
        text.split(mark)
            .nth((n - 1) as usize)
            .unwrap_or("")
            .to_string()
    };
    let field = pick(dyn_, FM, f);
    if f <= 0 {
        return field;
    }
    let value = pick(&field, VM, v);
    if v <= 0 {
        return value;
    }
    pick(&value, SM, s)
}

pub fn replace(dyn_: &str, f: i64, v: i64, s: i64, new: &str) -> String {
    fn put(text: &str, mark: char, n: i64, f: &dyn Fn(&str) -> String) -> String {
        if n <= 0 {
            return f(text);
        }
        let mut parts: Vec<String> = if text.is_empty() {
            vec![]
        } else {
            text.split(mark).map(str::to_string).collect()
        };
        let i = (n - 1) as usize;
        while parts.len() <= i {
            parts.push(String::new());
        }
        parts[i] = f(&parts[i]);
        parts.join(&mark.to_string())
    }
    put(dyn_, FM, f, &|field| {
        if f <= 0 {
            return new.to_string();
        }
        put(field, VM, v, &|value| {
            if v <= 0 {
                return new.to_string();
            }
            put(value, SM, s, &|_| new.to_string())
        })
    })
}

impl Machine<'_, '_> {
    fn env(&self) -> Env {
        let mut env = self.now.clone();
        for (k, v) in &self.vars {
            if let Some((a, b)) = k.split_once('.') {
                env.columns
                    .insert((a.to_string(), b.to_string()), v.clone());
            }
            env.vars.insert(k.clone(), v.clone());
        }
        env
    }

    fn eval(&mut self, e: &Expr) -> Result<Value, String> {
        let e2;
        let e = if needs_help(e) {
            e2 = self.substitute(e)?;
            &e2
        } else {
            e
        };
        eval::eval(e, &self.env()).map_err(|err| err.message)
    }

    /// Replace every node `expr::eval` cannot compute by its value.
    fn substitute(&mut self, e: &Expr) -> Result<Expr, String> {
        let kind = match &e.kind {
            ExprKind::Routine { name, args } => {
                let vals = args
                    .iter()
                    .map(|a| self.eval(a))
                    .collect::<Result<Vec<_>, _>>()?;
                let v = self.function(name, vals)?;
                return Ok(literal(v, e));
            }
            ExprKind::Call { name, args }
                if name.eq_ignore_ascii_case("Oconv") || name.eq_ignore_ascii_case("Iconv") =>
            {
                let vals = args
                    .iter()
                    .map(|a| self.eval(a))
                    .collect::<Result<Vec<_>, _>>()?;
                let v = self.function(name, vals)?;
                return Ok(literal(v, e));
            }
            ExprKind::Call { name, args } => ExprKind::Call {
                name: name.clone(),
                args: args
                    .iter()
                    .map(|a| self.substitute(a))
                    .collect::<Result<_, _>>()?,
            },
            ExprKind::Unary { op, operand } => ExprKind::Unary {
                op: *op,
                operand: self.boxed(operand)?,
            },
            ExprKind::Binary { op, lhs, rhs } => ExprKind::Binary {
                op: *op,
                lhs: self.boxed(lhs)?,
                rhs: self.boxed(rhs)?,
            },
            ExprKind::If { cond, then, els } => ExprKind::If {
                cond: self.boxed(cond)?,
                then: self.boxed(then)?,
                els: self.boxed(els)?,
            },
            ExprKind::Substring { subject, form } => ExprKind::Substring {
                subject: self.boxed(subject)?,
                form: match form {
                    SubstringForm::Range { start, len } => SubstringForm::Range {
                        start: self.boxed(start)?,
                        len: self.boxed(len)?,
                    },
                    SubstringForm::Last { count } => SubstringForm::Last {
                        count: self.boxed(count)?,
                    },
                    SubstringForm::Field {
                        delim,
                        occurrence,
                        count,
                    } => SubstringForm::Field {
                        delim: self.boxed(delim)?,
                        occurrence: self.boxed(occurrence)?,
                        count: self.boxed(count)?,
                    },
                },
            },
            other => other.clone(),
        };
        Ok(Expr { kind, pos: e.pos })
    }

    fn boxed(&mut self, e: &Expr) -> Result<Box<Expr>, String> {
        Ok(Box::new(self.substitute(e)?))
    }

    /// BASIC functions the expression evaluator does not have, and calls
    /// of other routines.
    fn function(&mut self, name: &str, a: Vec<Value>) -> Result<Value, String> {
        let arg = |i: usize| a.get(i).cloned().unwrap_or(Value::Null);
        match name.to_ascii_uppercase().as_str() {
            "OCONV" | "ICONV" => {
                if arg(0).is_null() {
                    return Ok(Value::Null);
                }
                let code = text(&arg(1));
                let s = text(&arg(0));
                if name.eq_ignore_ascii_case("Oconv") {
                    conv::oconv(&s, &code).map(Value::Str)
                } else {
                    let r = conv::iconv(&s, &code)?;
                    Ok(match r.parse::<i64>() {
                        Ok(i) => Value::Int(i),
                        Err(_) => Value::Str(r),
                    })
                }
            }
            "EXTRACT" => Ok(Value::Str(extract(
                &text(&arg(0)),
                int(&arg(1))?,
                int(&arg(2))?,
                int(&arg(3))?,
            ))),
            "DATE" if a.is_empty() => {
                Ok(Value::Int(self.now.now.days() + conv::BASIC_EPOCH_OFFSET))
            }
            "TIME" if a.is_empty() => Ok(Value::Int(self.now.now.seconds_of_day())),
            "NOT" if a.len() == 1 => Ok(Value::Int(i64::from(!truthy(&arg(0))))),
            _ => {
                let (vals, _) = self.call_routine(name, a)?;
                Ok(vals)
            }
        }
    }

    /// Call another routine (`DSU.X`, a `DEFFUN` name): (Ans, out args).
    fn call_routine(&mut self, name: &str, a: Vec<Value>) -> Result<(Value, Vec<Value>), String> {
        let target = self
            .program
            .deffuns
            .iter()
            .find(|(local, _)| local.eq_ignore_ascii_case(name))
            .map_or(name, |(_, called)| called.as_str());
        let bare = target.strip_prefix("DSU.").unwrap_or(target);
        let Some(c) = (self.library)(bare) else {
            return Err(format!("routine {name} is not available"));
        };
        let out = run_at(c.program, c.params, a, self.library, self.depth + 1)?;
        self.log.extend(out.log);
        Ok((out.ans, out.args))
    }

    fn step(&mut self) -> Result<(), String> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return Err(format!(
                "more than {MAX_STEPS} statements run: endless loop?"
            ));
        }
        Ok(())
    }

    fn block(&mut self, stmts: &[Stmt], from: usize) -> Result<Flow, String> {
        for s in stmts.iter().skip(from) {
            match self
                .stmt(s)
                .map_err(|m| format!("line {}: {m}", s.line()))?
            {
                Flow::Next => {}
                other => return Ok(other),
            }
        }
        Ok(Flow::Next)
    }

    fn stmt(&mut self, s: &Stmt) -> Result<Flow, String> {
        self.step()?;
        match s {
            Stmt::Assign {
                var, index, value, ..
            } => {
                let v = self.eval(value)?;
                let v = match index {
                    None => v,
                    Some(idx) => {
                        let mut n = [0i64; 3];
                        for (k, e) in idx.iter().take(3).enumerate() {
                            n[k] = int(&self.eval(e)?)?;
                        }
                        let cur = self.vars.get(var).map(text).unwrap_or_default();
                        Value::Str(replace(&cur, n[0], n[1], n[2], &text(&v)))
                    }
                };
                self.vars.insert(var.clone(), v);
            }
            Stmt::If {
                cond, then, els, ..
            } => {
                let c = self.eval(cond)?;
                return self.block(if truthy(&c) { then } else { els }, 0);
            }
            Stmt::Case { arms, .. } => {
                for (c, body) in arms {
                    if truthy(&self.eval(c)?) {
                        return self.block(body, 0);
                    }
                }
            }
            Stmt::For {
                var,
                from,
                to,
                step,
                body,
                ..
            } => {
                let mut i = int(&self.eval(from)?)?;
                let to = int(&self.eval(to)?)?;
                let st = match step {
                    Some(e) => int(&self.eval(e)?)?,
                    None => 1,
                };
                if st == 0 {
                    return Err("FOR with STEP 0".into());
                }
                loop {
                    if (st > 0 && i > to) || (st < 0 && i < to) {
                        break;
                    }
                    self.vars.insert(var.clone(), Value::Int(i));
                    match self.block(body, 0)? {
                        Flow::Next | Flow::Continue => {}
                        Flow::Exit => break,
                        other => return Ok(other),
                    }
                    self.step()?;
                    i = int(self.vars.get(var).unwrap_or(&Value::Int(i)))? + st;
                }
                self.vars.insert(var.clone(), Value::Int(i));
            }
            Stmt::Loop {
                pre, test, post, ..
            } => loop {
                self.step()?;
                match self.block(pre, 0)? {
                    Flow::Next | Flow::Continue => {}
                    Flow::Exit => break,
                    other => return Ok(other),
                }
                if let Some((is_while, c)) = test {
                    let t = truthy(&self.eval(c)?);
                    if t != *is_while {
                        break;
                    }
                }
                match self.block(post, 0)? {
                    Flow::Next | Flow::Continue => {}
                    Flow::Exit => break,
                    other => return Ok(other),
                }
            },
            Stmt::Exit { .. } => return Ok(Flow::Exit),
            Stmt::Continue { .. } => return Ok(Flow::Continue),
            Stmt::GoSub { label, .. } => {
                let at = self
                    .program
                    .body
                    .iter()
                    .position(|s| matches!(s, Stmt::Label { name, .. } if name.eq_ignore_ascii_case(label)))
                    .ok_or_else(|| format!("GOSUB to unknown label {label}"))?;
                self.depth += 1;
                if self.depth > MAX_CALL_DEPTH {
                    return Err("GOSUB nested too deeply".into());
                }
                let program = self.program;
                let flow = self.block(&program.body, at + 1)?;
                self.depth -= 1;
                match flow {
                    // RETURN ends the internal subroutine.
                    Flow::Return(None) | Flow::Next => {}
                    other => return Ok(other),
                }
            }
            Stmt::Label { .. } | Stmt::Nothing { .. } => {}
            Stmt::Return { value, .. } => {
                let v = match value {
                    Some(e) => Some(self.eval(e)?),
                    None => None,
                };
                return Ok(Flow::Return(v));
            }
            Stmt::Call { name, args, .. } => self.call_stmt(name, args)?,
            Stmt::Convert { from, to, var, .. } => {
                let (f, t) = (text(&self.eval(from)?), text(&self.eval(to)?));
                let cur = self.vars.get(var).map(text).unwrap_or_default();
                let to_chars: Vec<char> = t.chars().collect();
                let out: String = cur
                    .chars()
                    .filter_map(|c| match f.chars().position(|x| x == c) {
                        Some(k) => to_chars.get(k).copied(),
                        None => Some(c),
                    })
                    .collect();
                self.vars.insert(var.clone(), Value::Str(out));
            }
            Stmt::Locate {
                what,
                var,
                index,
                by,
                pos,
                then,
                els,
                ..
            } => {
                let w = text(&self.eval(what)?);
                let mut n = Vec::new();
                for e in index {
                    n.push(int(&self.eval(e)?)?);
                }
                let dyn_ = self.vars.get(var).map(text).unwrap_or_default();
                let (scope, mark) = match n.as_slice() {
                    [] => (dyn_.clone(), FM),
                    [f] => (extract(&dyn_, *f, 0, 0), VM),
                    [f, v, ..] => (extract(&dyn_, *f, *v, 0), SM),
                };
                let items: Vec<&str> = if scope.is_empty() {
                    vec![]
                } else {
                    scope.split(mark).collect()
                };
                let found = items.iter().position(|x| *x == w);
                let p = match (found, by.as_deref()) {
                    (Some(i), _) => i + 1,
                    (None, Some(order)) => {
                        let desc = order.starts_with('D');
                        let right = order.ends_with('R');
                        let before = |x: &str| -> bool {
                            let o = if right {
                                x.parse::<f64>()
                                    .ok()
                                    .zip(w.parse::<f64>().ok())
                                    .and_then(|(a, b)| a.partial_cmp(&b))
                                    .unwrap_or_else(|| x.cmp(w.as_str()))
                            } else {
                                x.cmp(w.as_str())
                            };
                            if desc { o.is_gt() } else { o.is_lt() }
                        };
                        items.iter().take_while(|x| before(x)).count() + 1
                    }
                    (None, None) => items.len() + 1,
                };
                self.vars.insert(pos.clone(), Value::Int(p as i64));
                return self.block(if found.is_some() { then } else { els }, 0);
            }
            Stmt::Stop { abort, .. } => {
                if *abort {
                    return Err("ABORT".into());
                }
                return Ok(Flow::Stop);
            }
            Stmt::Unsupported { text, why, .. } => {
                return Err(format!("unsupported statement ({why}): {text}"));
            }
        }
        Ok(Flow::Next)
    }

    fn call_stmt(&mut self, name: &str, args: &[Expr]) -> Result<(), String> {
        let vals = args
            .iter()
            .map(|a| self.eval(a))
            .collect::<Result<Vec<_>, _>>()?;
        let msg = || vals.first().map(text).unwrap_or_default();
        match name.to_ascii_uppercase().as_str() {
            "DSLOGINFO" => self.log.push(format!("INFO: {}", msg())),
            "DSLOGWARN" => self.log.push(format!("WARNING: {}", msg())),
            // DSLogFatal aborts the job (IBM, "DSLogFatal function").
            "DSLOGFATAL" => return Err(format!("DSLogFatal: {}", msg())),
            _ => {
                let (_, outs) = self.call_routine(name, vals)?;
                // Arguments passed as plain variables receive the outputs.
                for (e, v) in args.iter().zip(outs) {
                    if let ExprKind::Name(n) = &e.kind {
                        self.vars.insert(n.clone(), v);
                    }
                }
            }
        }
        Ok(())
    }
}
