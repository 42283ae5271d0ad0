//! Name resolution: what `link.column`, a bare name or `#P#` refers to in a
//! Transformer, and the type every sub-expression has.

use std::collections::BTreeMap;

use super::ast::{BinOp, Expr, ExprKind, Pos, SubstringForm, UnaryOp};
use super::functions::{self, Returns};
use super::types::{Type, Typed};
use crate::ir::{Job, LinkKind, ParamType};

/// What `a.b` means: a column, a link variable (`lnkRef.NOTFOUND`) or a
/// parameter of a parameter set (`PS.P`).
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnRef {
    Column(Typed),
    /// Link variable (registry name without `link.`, upper case) of an
    /// input or output link of the Transformer.
    LinkVar {
        var: &'static functions::VariableDef,
        link: String,
    },
    /// `PS.P` where `PS` is a parameter set of the job; `resolved` = the
    /// job lists `PS.P` itself (its value is a job argument).
    SetParam {
        name: String,
        resolved: Option<Typed>,
    },
    Unknown,
}

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
    /// Reference input links (lookups joined before the derivations).
    pub reference_links: Vec<String>,
    /// Output links in evaluation order: (name, constraint text, is the
    /// reject or otherwise link).
    pub output_links: Vec<(String, String, bool)>,
    /// Parameters of type parameter set (`PS` of `PS.P`).
    pub param_sets: Vec<String>,
    /// Job and stage names, for `DSJobName` / `DSStageName`.
    pub job_name: String,
    pub stage_name: String,
    /// The job allows several invocations (`AllowMultipleInvocations`):
    /// `DSJobInvocationId` is then a run value the targets do not get.
    pub multi_instance: bool,
    /// PySpark: stage variable → code that replaces `F.col(name)` (a
    /// previous-row value, `F.lag(...)`, or an inlined definition).
    pub inline: BTreeMap<String, String>,
}

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
        scope.reference_links = inputs.iter().skip(1).map(|l| l.name.clone()).collect();
        let mut outputs: Vec<_> = job
            .links
            .iter()
            .filter(|l| l.from_stage == stage_id)
            .collect();
        outputs.sort_by_key(|l| l.from_index);
        scope.output_links = outputs
            .iter()
            .map(|l| {
                (
                    l.name.clone(),
                    l.constraint.clone(),
                    matches!(l.kind, LinkKind::Reject | LinkKind::Otherwise),
                )
            })
            .collect();
        scope.job_name = job.name.clone();
        scope.multi_instance =
            crate::stages::props::text(&job.properties, "AllowMultipleInvocations")
                .is_some_and(|v| v.trim() == "1");
        scope.stage_name = job
            .stage(stage_id)
            .map(|s| s.name.clone())
            .unwrap_or_default();
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
            if p.param_type == ParamType::ParameterSet {
                scope.param_sets.push(p.name.clone());
            }
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
        if let Some(v) = functions::variable(functions::VarKind::Macro, name) {
            return NameRef::Macro(Typed::new(v.ty, false));
        }
        NameRef::Unknown
    }

    /// What `link.column` refers to. A real column wins (a link may have
    /// a column called `rejected`); else a link variable of an input or
    /// output link; else a parameter of a parameter set.
    pub fn column_ref(&self, link: &str, column: &str) -> ColumnRef {
        if let Some(t) = self.column(link, column) {
            return ColumnRef::Column(t);
        }
        let is_link = self
            .primary_link
            .iter()
            .any(|p| p.eq_ignore_ascii_case(link))
            || self
                .reference_links
                .iter()
                .any(|l| l.eq_ignore_ascii_case(link))
            || self
                .output_links
                .iter()
                .any(|(l, _, _)| l.eq_ignore_ascii_case(link))
            || self
                .columns
                .keys()
                .any(|(l, _)| l.eq_ignore_ascii_case(link));
        if is_link {
            if let Some(var) = functions::variable(functions::VarKind::Link, column) {
                return ColumnRef::LinkVar {
                    var,
                    link: link.to_string(),
                };
            }
            return ColumnRef::Unknown;
        }
        if self.param_sets.iter().any(|p| p.eq_ignore_ascii_case(link)) {
            let name = format!("{link}.{column}");
            return ColumnRef::SetParam {
                resolved: self.params.get(&name).copied(),
                name,
            };
        }
        ColumnRef::Unknown
    }

    /// References that do not resolve: (position, what was written).
    pub fn unresolved(&self, e: &Expr) -> Vec<(Pos, String)> {
        let mut out = Vec::new();
        e.walk(&mut |n| match &n.kind {
            ExprKind::Column { link, column }
                if self.column_ref(link, column) == ColumnRef::Unknown =>
            {
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
            ExprKind::Column { link, column } => match self.column_ref(link, column) {
                ColumnRef::Column(t) => t,
                ColumnRef::LinkVar { var, .. } => Typed::new(var.ty, false),
                ColumnRef::SetParam { resolved, .. } => {
                    resolved.unwrap_or(Typed::new(Type::STRING, false))
                }
                ColumnRef::Unknown => Typed::unknown(),
            },
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
                _ => functions::variable(functions::VarKind::System, v)
                    .map_or(Typed::new(Type::Integer, false), |d| {
                        Typed::new(d.ty, false)
                    }),
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

#[cfg(test)]
mod tests {
    //! Link variables, parameter-set references, macros and system
    //! variables: resolution, and what each consumer makes of them.
    use super::*;
    use crate::expr::eval::{Env, Value, eval};
    use crate::expr::parse;
    use crate::expr::translate::Dialect;
    use crate::expr::translate::pyspark::to_pyspark;
    use crate::expr::translate::sql::to_sql;

    fn scope() -> Scope {
        let mut s = Scope::new()
            .with_column("in", "K", Typed::new(Type::Integer, true))
            .with_column("lnkRef", "V", Typed::new(Type::STRING, true))
            .with_column("out", "rejected", Typed::new(Type::STRING, true));
        s.reference_links = vec!["lnkRef".into()];
        s.output_links = vec![
            ("lnkOut".into(), "in.K > 1".into(), false),
            ("lnkAll".into(), String::new(), false),
        ];
        s.param_sets = vec!["PS".into()];
        s.params
            .insert("PS.KNOWN".into(), Typed::new(Type::STRING, false));
        s.job_name = "JOB1".into();
        s.stage_name = "xf".into();
        s
    }

    fn py(src: &str) -> crate::expr::translate::Translation {
        to_pyspark(&parse(src).expect("parses"), &scope())
    }

    fn pg(src: &str) -> crate::expr::translate::Translation {
        to_sql(&parse(src).expect("parses"), &scope(), Dialect::Postgres)
    }

    #[test]
    fn notfound_is_the_reference_join_miss_in_every_consumer() {
        let t = py("If lnkRef.NOTFOUND Then 0 Else 1");
        assert!(t.is_exact(), "{:?}", t.issues);
        assert!(t.code.contains("F.col(\"lnkRef\").isNull()"), "{}", t.code);
        let t = pg("If lnkRef.NOTFOUND Then 0 Else 1");
        assert!(t.is_exact(), "{:?}", t.issues);
        assert!(
            t.code.contains("\"lnkRef\".\"dsmig_matched\" IS NULL"),
            "{}",
            t.code
        );
        let e = parse("lnkref.notfound").expect("parses");
        let mut env = Env::new();
        env.set_link_var("lnkRef", "NOTFOUND", Value::Int(1));
        assert_eq!(eval(&e, &env), Ok(Value::Int(1)));
        // NOTFOUND of the stream link has no meaning: a placeholder.
        assert!(py("in.NOTFOUND").has_unsupported());
    }

    #[test]
    fn a_real_column_named_like_a_link_variable_wins() {
        assert_eq!(
            scope().column_ref("out", "rejected"),
            ColumnRef::Column(Typed::new(Type::STRING, true))
        );
    }

    #[test]
    fn rejected_is_the_negated_constraint_and_rejectedcode_a_placeholder() {
        let t = py("lnkOut.REJECTED");
        assert!(t.is_exact() && t.code.contains("(~F.coalesce("), "{:?}", t);
        assert_eq!(py("lnkAll.REJECTED").code, "F.lit(0)");
        assert!(pg("lnkOut.REJECTED").is_exact());
        assert!(py("lnkOut.REJECTEDCODE").has_unsupported());
        assert!(pg("lnkOut.REJECTEDCODE").has_unsupported());
    }

    #[test]
    fn parameter_set_references_resolve_or_block() {
        let t = py("PS.KNOWN");
        assert_eq!(t.code, "F.lit(params[\"PS.KNOWN\"])");
        assert!(t.is_exact());
        for src in ["PS.MISSING", "#PS.MISSING#"] {
            assert!(py(src).has_unsupported(), "{src}");
            assert!(pg(src).has_unsupported(), "{src}");
        }
        assert!(
            scope()
                .unresolved(&parse("PS.MISSING").expect("parses"))
                .is_empty()
        );
    }

    #[test]
    fn macros_and_system_variables_follow_the_registry() {
        assert_eq!(py("DSJobName").code, "F.lit(\"JOB1\")");
        assert_eq!(pg("DSStageName").code, "'xf'");
        assert!(
            py("DSJobStartDate")
                .code
                .contains("params[\"DSJobStartDate\"]")
        );
        assert!(py("DSProjectName").has_unsupported());
        assert!(!pg("DSProjectName").has_unsupported());
        assert!(py("DSJobWaveNo").has_unsupported());
        assert!(
            !pg("DSHostName").is_exact(),
            "a control-table row: approximate"
        );
        assert_eq!(py("DSJobInvocationId").code, "F.lit(\"\")");
        let mut multi = scope();
        multi.multi_instance = true;
        let e = parse("DSJobInvocationId").expect("parses");
        assert!(to_pyspark(&e, &multi).has_unsupported());
        assert!(to_sql(&e, &multi, Dialect::Postgres).has_unsupported());
        for v in ["@PARTITIONNUM", "@NUMPARTITIONS"] {
            assert!(py(v).has_unsupported(), "{v}");
            assert!(pg(v).has_unsupported(), "{v}");
        }
        let t = py("@INROWNUM");
        assert!(!t.has_unsupported() && !t.is_exact(), "{t:?}");
        assert!(py("@DATE").is_exact() && pg("@DATE").is_exact());
        let lines = crate::expr::translate::pyspark::run_context_lines(&py("@DATE").code);
        assert!(
            lines.iter().any(|l| l.contains("DSJobStartTimestamp")),
            "{lines:?}"
        );
        assert!(
            lines.iter().any(|l| l.contains("\"DSJobStartDate\"")),
            "{lines:?}"
        );
        assert_eq!(
            eval(&parse("@TRUE + @FALSE").expect("parses"), &Env::new()),
            Ok(Value::Int(1))
        );
    }
}
