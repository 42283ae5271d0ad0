//! Syntax tree of a Transformer expression (datastage-reference §4.1).
//!
//! The tree keeps what the user wrote (names in their original case, number
//! literals as text) so translators can echo it; meaning is attached later
//! by `resolve` (types) and `functions` (what a call is).

use serde::Serialize;

/// Where a node starts in the source: 1-based line and column (in
/// characters), and the byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Pos {
    pub offset: usize,
    pub line: u32,
    pub column: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Expr {
    pub kind: ExprKind,
    pub pos: Pos,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ExprKind {
    /// `"text"` or `'text'` (quotes removed; DataStage has no escapes).
    Str(String),
    /// Number literal as written (`12`, `3.50`, `1E3`).
    Num(String),
    /// `link.column`.
    Column {
        link: String,
        column: String,
    },
    /// A bare name: stage variable, job parameter, loop variable or macro
    /// (`DSJobName`); `resolve::Scope` says which.
    Name(String),
    /// `#NAME#` (or `#SET.NAME#`) job parameter reference.
    Param(String),
    /// `@INROWNUM`, `@NULL`... stored upper-case without the `@`.
    SysVar(String),
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    If {
        cond: Box<Expr>,
        then: Box<Expr>,
        els: Box<Expr>,
    },
    /// `s[start, len]`, `s[n]` (last n characters), `s[delim, occ, count]`.
    Substring {
        subject: Box<Expr>,
        form: SubstringForm,
    },
    /// Call of a built-in function; `name` is the registry's canonical
    /// spelling (`functions::lookup`).
    Call {
        name: String,
        args: Vec<Expr>,
    },
    /// Call of anything else: a user routine (`DSU.X(...)`, or an unknown
    /// name). Never translated silently: always a named placeholder.
    Routine {
        name: String,
        args: Vec<Expr>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum SubstringForm {
    Range {
        start: Box<Expr>,
        len: Box<Expr>,
    },
    Last {
        count: Box<Expr>,
    },
    Field {
        delim: Box<Expr>,
        occurrence: Box<Expr>,
        count: Box<Expr>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum UnaryOp {
    Neg,
    Plus,
    Not,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BinOp {
    Concat,
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    And,
    Or,
}

impl BinOp {
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Gt | BinOp::Le | BinOp::Ge
        )
    }
    pub fn is_logical(self) -> bool {
        matches!(self, BinOp::And | BinOp::Or)
    }
    pub fn is_arithmetic(self) -> bool {
        matches!(
            self,
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Pow
        )
    }
}

impl Expr {
    /// Visit this node and every descendant, parents first.
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Expr)) {
        // An explicit stack: the order of a recursive pre-order walk.
        let mut todo = vec![self];
        while let Some(e) = todo.pop() {
            f(e);
            todo.extend(e.children().into_iter().rev());
        }
    }

    pub fn children(&self) -> Vec<&Expr> {
        match &self.kind {
            ExprKind::Str(_)
            | ExprKind::Num(_)
            | ExprKind::Column { .. }
            | ExprKind::Name(_)
            | ExprKind::Param(_)
            | ExprKind::SysVar(_) => Vec::new(),
            ExprKind::Unary { operand, .. } => vec![operand],
            ExprKind::Binary { lhs, rhs, .. } => vec![lhs, rhs],
            ExprKind::If { cond, then, els } => vec![cond, then, els],
            ExprKind::Substring { subject, form } => {
                let mut v: Vec<&Expr> = vec![subject];
                match form {
                    SubstringForm::Range { start, len } => v.extend([&**start, &**len]),
                    SubstringForm::Last { count } => v.push(count),
                    SubstringForm::Field {
                        delim,
                        occurrence,
                        count,
                    } => v.extend([&**delim, &**occurrence, &**count]),
                }
                v
            }
            ExprKind::Call { args, .. } | ExprKind::Routine { args, .. } => args.iter().collect(),
        }
    }
}
