//! Name resolution: what `link.column`, a bare name or `#P#` refers to in a
//! Transformer, and the type every sub-expression has.

use std::collections::BTreeMap;

use super::ast::{BinOp, Expr, ExprKind, Pos, SubstringForm, UnaryOp};
use super::functions::{self, Returns};
use super::types::{Type, Typed};
use crate::ir::{Job, LinkKind, ParamType};

/// What a bare name means.
#[derive(Debug, Clone, PartialEq)]
pub enum NameRef {
    StageVar(Typed),
    Param(Typed),
    /// `DSJobName`, `DSJobStartDate`... engine macros.
    Macro(Typed),
    Unknown,
}

/// The names visible in one Transformer: its input link columns, stage
/// variables and the job parameters.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// (link name, column name) → type.
    pub columns: BTreeMap<(String, String), Typed>,
    /// The stream input link: its columns translate unqualified.
    pub primary_link: Option<String>,
    /// Stage variables in evaluation order.
    pub stage_vars: Vec<(String, Typed)>,
    pub params: BTreeMap<String, Typed>,
}

/// Macros the engine provides (reference §4.1).
const MACROS: &[(&str, Type)] = &[
    ("DSJobName", Type::STRING),
    ("DSJobStartDate", Type::Date),
    ("DSJobStartTime", Type::Time),
    ("DSJobStartTimestamp", Type::Timestamp),
    ("DSHostName", Type::STRING),
    ("DSProjectName", Type::STRING),
    ("DSJobInvocationId", Type::STRING),
    ("DSJobController", Type::STRING),
];

impl Scope {
    pub fn new() -> Scope {
        Scope::default()
    }

    /// The scope of Transformer `stage_id` in `job`: columns of the links
    /// that enter it, its stage variables, the job's parameters.
    pub fn from_job(job: &Job, stage_id: &str) -> Scope {
        let mut scope = Scope::new();
        let mut inputs: Vec<_> = job
            .links
            .iter()
            .filter(|l| l.to_stage.as_deref() == Some(stage_id))
            .collect();
        inputs.sort_by_key(|l| (l.kind != LinkKind::Stream, l.to_index));
        scope.primary_link = inputs.first().map(|l| l.name.clone());
        for link in inputs {
            for c in &link.columns {
                scope.columns.insert(
                    (link.name.clone(), c.name.clone()),
                    Typed::new(Type::from_odbc(c.sql_type, c.length, c.scale), c.nullable),
                );
            }
        }
        if let Some(t) = job.stage(stage_id).and_then(|s| s.transformer.as_ref()) {
            for v in &t.stage_vars {
                // A stage variable always holds a value (its initial value
                // at worst) but may be assigned NULL: nullable.
                let ty = Type::from_odbc(v.sql_type, v.length, v.scale);
                scope
                    .stage_vars
                    .push((v.name.clone(), Typed::new(ty, true)));
            }
        }
        for p in &job.parameters {
            let ty = match p.param_type {
                ParamType::Integer => Type::Integer,
                ParamType::Float => Type::Float,
                ParamType::Date => Type::Date,
                ParamType::Time => Type::Time,
                _ => Type::STRING,
            };
            scope.params.insert(p.name.clone(), Typed::new(ty, false));
        }
        scope
    }

    pub fn with_column(mut self, link: &str, column: &str, t: Typed) -> Scope {
        if self.primary_link.is_none() {
            self.primary_link = Some(link.to_string());
        }
        self.columns
            .insert((link.to_string(), column.to_string()), t);
        self
    }

    pub fn with_stage_var(mut self, name: &str, t: Typed) -> Scope {
        self.stage_vars.push((name.to_string(), t));
        self
    }

    pub fn with_param(mut self, name: &str, t: Typed) -> Scope {
        self.params.insert(name.to_string(), t);
        self
    }

    /// Column type; names match exactly, else case-insensitively (the
    /// engine is case-sensitive but exports are not always consistent).
    pub fn column(&self, link: &str, column: &str) -> Option<Typed> {
        if let Some(t) = self.columns.get(&(link.to_string(), column.to_string())) {
            return Some(*t);
        }
        self.columns
            .iter()
            .find(|((l, c), _)| l.eq_ignore_ascii_case(link) && c.eq_ignore_ascii_case(column))
            .map(|(_, t)| *t)
    }

    pub fn is_primary(&self, link: &str) -> bool {
        self.primary_link
            .as_deref()
            .is_some_and(|p| p.eq_ignore_ascii_case(link))
    }

    pub fn stage_var_index(&self, name: &str) -> Option<usize> {
        self.stage_vars.iter().position(|(n, _)| n == name)
    }

    pub fn name(&self, name: &str) -> NameRef {
        if let Some((_, t)) = self.stage_vars.iter().find(|(n, _)| n == name) {
            return NameRef::StageVar(*t);
        }
        if let Some(t) = self.params.get(name) {
            return NameRef::Param(*t);
        }
        if let Some((_, ty)) = MACROS.iter().find(|(m, _)| m.eq_ignore_ascii_case(name)) {
            return NameRef::Macro(Typed::new(*ty, false));
        }
        NameRef::Unknown
    }

    /// References that do not resolve: (position, what was written).
    pub fn unresolved(&self, e: &Expr) -> Vec<(Pos, String)> {
        let mut out = Vec::new();
        e.walk(&mut |n| match &n.kind {
            ExprKind::Column { link, column } if self.column(link, column).is_none() => {
                out.push((n.pos, format!("{link}.{column}")))
            }
            ExprKind::Name(name) if self.name(name) == NameRef::Unknown => {
                out.push((n.pos, name.clone()))
            }
            _ => {}
        });
        out
    }

    /// Static type of `e`.
    pub fn type_of(&self, e: &Expr) -> Typed {
        match &e.kind {
            ExprKind::Str(s) => Typed::new(
                Type::String {
                    len: s.chars().count() as u32,
                },
                false,
            ),
            ExprKind::Num(n) => {
                let ty = if n.contains(['e', 'E']) {
                    Type::Float
                } else if let Some((_, frac)) = n.split_once('.') {
                    Type::Decimal {
                        p: (n.len() as u32).min(38),
                        s: frac.len() as u32,
                    }
                } else {
                    Type::Integer
                };
                Typed::new(ty, false)
            }
            ExprKind::Column { link, column } => {
                self.column(link, column).unwrap_or_else(Typed::unknown)
            }
            ExprKind::Name(name) => match self.name(name) {
                NameRef::StageVar(t) | NameRef::Param(t) | NameRef::Macro(t) => t,
                NameRef::Unknown => Typed::unknown(),
            },
            ExprKind::Param(name) => self
                .params
                .get(name)
                .copied()
                .unwrap_or(Typed::new(Type::STRING, false)),
            ExprKind::SysVar(v) => match v.as_str() {
                "NULL" => Typed::new(Type::Unknown, true),
                "DATE" => Typed::new(Type::Date, false),
                "TIME" => Typed::new(Type::Time, false),
                "TIMESTAMP" => Typed::new(Type::Timestamp, false),
                "FM" | "VM" | "SM" | "TM" | "NULL.STR" => Typed::new(Type::STRING, false),
                _ => Typed::new(Type::Integer, false),
            },
            ExprKind::Unary { op, operand } => {
                let t = self.type_of(operand);
                match op {
                    UnaryOp::Not => Typed::new(Type::Integer, t.nullable),
                    _ if t.ty.is_numeric() => t,
                    _ => Typed::new(Type::Float, t.nullable),
                }
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let (a, b) = (self.type_of(lhs), self.type_of(rhs));
                let nullable = a.nullable || b.nullable;
                let ty = match op {
                    BinOp::Concat => Type::STRING,
                    BinOp::Div | BinOp::Pow => Type::Float,
                    BinOp::Add | BinOp::Sub | BinOp::Mul => Type::arithmetic(a.ty, b.ty),
                    _ => Type::Integer,
                };
                Typed::new(ty, nullable)
            }
            ExprKind::If { then, els, .. } => {
                let (t, f) = (self.type_of(then), self.type_of(els));
                let ty = match (t.ty, f.ty) {
                    (a, b) if a == b => a,
                    (Type::String { .. }, Type::String { .. }) => Type::STRING,
                    (a, b) if a.is_numeric() && b.is_numeric() => Type::arithmetic(a, b),
                    (Type::Unknown, b) => b,
                    (a, _) => a,
                };
                Typed::new(ty, t.nullable || f.nullable)
            }
            ExprKind::Substring { subject, form } => {
                let mut nullable = self.type_of(subject).nullable;
                if let SubstringForm::Range { start, len } = form {
                    nullable |= self.type_of(start).nullable || self.type_of(len).nullable;
                }
                Typed::new(Type::STRING, nullable)
            }
            ExprKind::Call { name, args } => {
                let arg_types: Vec<Typed> = args.iter().map(|a| self.type_of(a)).collect();
                functions::lookup(name).map_or_else(Typed::unknown, |def| {
                    let ty = match def.returns {
                        Returns::Fixed(t) => t,
                        Returns::Arg(i) => arg_types.get(i).map_or(Type::Unknown, |t| t.ty),
                        Returns::Numeric => arg_types
                            .first()
                            .map(|t| t.ty)
                            .filter(|t| t.is_numeric())
                            .unwrap_or(Type::Float),
                        Returns::DecimalArgs => decimal_from_args(args),
                    };
                    let nullable = match def.nulls {
                        functions::Nulls::Propagate => arg_types.iter().any(|t| t.nullable),
                        functions::Nulls::Never => false,
                        functions::Nulls::Always => true,
                        functions::Nulls::First => arg_types.first().is_some_and(|t| t.nullable),
                    };
                    Typed::new(ty, nullable)
                })
            }
            ExprKind::Routine { .. } => Typed::unknown(),
        }
    }
}

/// `StringToDecimal(s)` has no declared precision; the target column's type
/// decides in DataStage. Without it, assume decimal(38,10).
fn decimal_from_args(_args: &[Expr]) -> Type {
    Type::Decimal { p: 38, s: 10 }
}
