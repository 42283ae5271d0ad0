//! Recursive-descent parser with DataStage precedence, lowest first:
//! `OR` < `AND` < `NOT` < comparisons (`= <> # < > <= >=`) < `:` <
//! `+ -` < `* /` < `^` < unary `- +` < postfix `[...]` < primaries.
//!
//! BASIC puts concatenation between arithmetic and comparison, so
//! `a : b + 1` is `a : (b + 1)` and `a : b = "x"` compares the
//! concatenation. `AND` binding tighter than `OR` follows the parallel
//! engine (C++ generated code); the BASIC manual gives them equal
//! precedence, which only differs for unparenthesised `a OR b AND c` —
//! none occurs in the real corpus.

use super::ast::{BinOp, Expr, ExprKind, Pos, SubstringForm, UnaryOp};
use super::functions;
use super::lexer::{Tok, Token, lex};

/// Deeper nesting (parentheses, function arguments, unary operators) than
/// this is rejected rather than risking the stack; `Else If` chains do not
/// nest (they are parsed in a loop), so real expressions stay far below.
const MAX_DEPTH: usize = 64;

/// Highest syntax tree built: every later pass (type inference,
/// translation, evaluation, `Drop`) recurses over the tree, on worker
/// threads with 2 MiB stacks in tests. A left-deep chain `a + a + ... + a`
/// of n operators, or an `Else If` chain of n arms, is n high although
/// parsing it costs no recursion, so the height is counted as the tree is
/// built and anything higher is a parse error (a blocking item for that
/// derivation, not a crash). An unoptimised build spends about 7 KiB of
/// stack per level translating to PySpark (it overflowed 2 MiB near 290
/// levels); real derivations are a handful of levels high (the real
/// corpus: at most 3 operators in one derivation).
pub const MAX_HEIGHT: usize = 256;

type P = Result<(Expr, usize), ParseError>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line of the offending token.
    pub line: u32,
    /// 1-based column (characters) of the offending token.
    pub column: u32,
    pub message: String,
}

impl ParseError {
    pub(crate) fn at(pos: Pos, message: &str) -> ParseError {
        ParseError {
            line: pos.line,
            column: pos.column,
            message: message.to_string(),
        }
    }
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for ParseError {}

pub fn parse(src: &str) -> Result<Expr, ParseError> {
    let tokens = lex(src)?;
    let mut p = Parser {
        tokens,
        i: 0,
        depth: 0,
    };
    if matches!(p.peek(), Tok::Eof) {
        return Err(ParseError::at(p.pos(), "empty expression"));
    }
    let (e, _) = p.expr()?;
    if !matches!(p.peek(), Tok::Eof) {
        return Err(ParseError::at(
            p.pos(),
            &format!(
                "unexpected {} after a complete expression",
                describe(p.peek())
            ),
        ));
    }
    Ok(e)
}

struct Parser {
    tokens: Vec<Token>,
    i: usize,
    depth: usize,
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Str(s) => format!("string {s:?}"),
        Tok::Num(n) => format!("number {n}"),
        Tok::Ident(n) => format!("name {n}"),
        Tok::SysVar(n) => format!("@{n}"),
        Tok::Param(n) => format!("#{n}#"),
        Tok::Op(o) => format!("'{o}'"),
        Tok::Eof => "end of expression".to_string(),
    }
}

impl Parser {
    fn peek(&self) -> &Tok {
        self.tokens.get(self.i).map_or(&Tok::Eof, |t| &t.tok)
    }
    fn pos(&self) -> Pos {
        self.tokens
            .get(self.i)
            .or(self.tokens.last())
            .map_or(Pos::default(), |t| t.pos)
    }
    fn bump(&mut self) -> Token {
        let t = self.tokens.get(self.i).cloned().unwrap_or(Token {
            tok: Tok::Eof,
            pos: self.pos(),
        });
        if self.i < self.tokens.len() {
            self.i += 1;
        }
        t
    }
    fn is_keyword(&self, kw: &str) -> bool {
        matches!(self.peek(), Tok::Ident(n) if n.eq_ignore_ascii_case(kw))
    }
    fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Tok::Op(o) if *o == op)
    }
    fn expect_op(&mut self, op: &str) -> Result<(), ParseError> {
        if self.is_op(op) {
            self.bump();
            Ok(())
        } else {
            Err(ParseError::at(
                self.pos(),
                &format!("expected '{op}', found {}", describe(self.peek())),
            ))
        }
    }
    fn expect_keyword(&mut self, kw: &str) -> Result<(), ParseError> {
        if self.is_keyword(kw) {
            self.bump();
            Ok(())
        } else {
            Err(ParseError::at(
                self.pos(),
                &format!("expected {kw}, found {}", describe(self.peek())),
            ))
        }
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ParseError::at(self.pos(), "expression nested too deeply"));
        }
        Ok(())
    }

    /// A node of height `h`, refused past [`MAX_HEIGHT`] so no tree deeper
    /// than that is ever built (nor dropped, walked or translated).
    fn node(kind: ExprKind, pos: Pos, h: usize) -> Result<(Expr, usize), ParseError> {
        if h > MAX_HEIGHT {
            return Err(ParseError::at(
                pos,
                &format!(
                    "expression too deep: more than {MAX_HEIGHT} nested operators, calls or \
                     parentheses (split it, e.g. into stage variables)"
                ),
            ));
        }
        Ok((Expr { kind, pos }, h))
    }

    fn expr(&mut self) -> P {
        self.enter()?;
        let r = self.or_expr();
        self.depth -= 1;
        r
    }

    fn binary(op: BinOp, (lhs, hl): (Expr, usize), (rhs, hr): (Expr, usize)) -> P {
        let pos = lhs.pos;
        Self::node(
            ExprKind::Binary {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
            },
            pos,
            1 + hl.max(hr),
        )
    }

    fn or_expr(&mut self) -> P {
        let mut lhs = self.and_expr()?;
        while self.is_keyword("OR") {
            self.bump();
            let rhs = self.and_expr()?;
            lhs = Self::binary(BinOp::Or, lhs, rhs)?;
        }
        Ok(lhs)
    }

    fn and_expr(&mut self) -> P {
        let mut lhs = self.not_expr()?;
        while self.is_keyword("AND") {
            self.bump();
            let rhs = self.not_expr()?;
            lhs = Self::binary(BinOp::And, lhs, rhs)?;
        }
        Ok(lhs)
    }

    fn not_expr(&mut self) -> P {
        // `Not(x)` is also a BASIC function; as a prefix it covers both.
        if self.is_keyword("NOT") {
            let pos = self.bump().pos;
            self.enter()?;
            let operand = self.not_expr();
            self.depth -= 1;
            let (operand, h) = operand?;
            return Self::node(
                ExprKind::Unary {
                    op: UnaryOp::Not,
                    operand: Box::new(operand),
                },
                pos,
                h + 1,
            );
        }
        self.comparison()
    }

    fn comparison_op(&self) -> Option<BinOp> {
        match self.peek() {
            Tok::Op("=") => Some(BinOp::Eq),
            Tok::Op("<>" | "><" | "#" | "!=") => Some(BinOp::Ne),
            Tok::Op("<") => Some(BinOp::Lt),
            Tok::Op(">") => Some(BinOp::Gt),
            Tok::Op("<=" | "=<") => Some(BinOp::Le),
            Tok::Op(">=" | "=>") => Some(BinOp::Ge),
            _ => None,
        }
    }

    fn comparison(&mut self) -> P {
        let mut lhs = self.concat()?;
        while let Some(op) = self.comparison_op() {
            self.bump();
            let rhs = self.concat()?;
            lhs = Self::binary(op, lhs, rhs)?;
        }
        Ok(lhs)
    }

    fn concat(&mut self) -> P {
        let mut lhs = self.additive()?;
        while self.is_op(":") {
            self.bump();
            let rhs = self.additive()?;
            lhs = Self::binary(BinOp::Concat, lhs, rhs)?;
        }
        Ok(lhs)
    }

    fn additive(&mut self) -> P {
        let mut lhs = self.multiplicative()?;
        loop {
            let op = match self.peek() {
                Tok::Op("+") => BinOp::Add,
                Tok::Op("-") => BinOp::Sub,
                _ => return Ok(lhs),
            };
            self.bump();
            let rhs = self.multiplicative()?;
            lhs = Self::binary(op, lhs, rhs)?;
        }
    }

    fn multiplicative(&mut self) -> P {
        let mut lhs = self.power()?;
        loop {
            let op = match self.peek() {
                Tok::Op("*") => BinOp::Mul,
                Tok::Op("/") => BinOp::Div,
                _ => return Ok(lhs),
            };
            self.bump();
            let rhs = self.power()?;
            lhs = Self::binary(op, lhs, rhs)?;
        }
    }

    fn power(&mut self) -> P {
        let mut lhs = self.unary()?;
        while self.is_op("^") {
            self.bump();
            let rhs = self.unary()?;
            lhs = Self::binary(BinOp::Pow, lhs, rhs)?;
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> P {
        let op = match self.peek() {
            Tok::Op("-") => Some(UnaryOp::Neg),
            Tok::Op("+") => Some(UnaryOp::Plus),
            _ => None,
        };
        if let Some(op) = op {
            let pos = self.bump().pos;
            self.enter()?;
            let operand = self.unary();
            self.depth -= 1;
            let (operand, h) = operand?;
            return Self::node(
                ExprKind::Unary {
                    op,
                    operand: Box::new(operand),
                },
                pos,
                h + 1,
            );
        }
        self.postfix()
    }

    fn postfix(&mut self) -> P {
        let (mut e, mut h) = self.primary()?;
        while self.is_op("[") {
            self.bump();
            let mut parts = vec![self.expr()?];
            while self.is_op(",") {
                self.bump();
                parts.push(self.expr()?);
            }
            self.expect_op("]")?;
            let pos = e.pos;
            let height = 1 + parts.iter().map(|(_, h)| *h).fold(h, usize::max);
            let mut it = parts.into_iter().map(|(e, _)| Box::new(e));
            let form = match (it.next(), it.next(), it.next(), it.next()) {
                (Some(count), None, None, None) => SubstringForm::Last { count },
                (Some(start), Some(len), None, None) => SubstringForm::Range { start, len },
                (Some(delim), Some(occurrence), Some(count), None) => SubstringForm::Field {
                    delim,
                    occurrence,
                    count,
                },
                _ => {
                    return Err(ParseError::at(
                        pos,
                        "a substring takes 1, 2 or 3 values: s[n], s[start,len], s[delim,occ,count]",
                    ));
                }
            };
            (e, h) = Self::node(
                ExprKind::Substring {
                    subject: Box::new(e),
                    form,
                },
                pos,
                height,
            )?;
        }
        Ok((e, h))
    }

    fn primary(&mut self) -> P {
        let Token { tok, pos } = self.bump();
        let kind = match tok {
            Tok::Str(s) => ExprKind::Str(s),
            Tok::Num(n) => ExprKind::Num(n),
            Tok::SysVar(n) => ExprKind::SysVar(n),
            Tok::Param(n) => ExprKind::Param(n),
            Tok::Op("(") => {
                let inner = self.expr()?;
                self.expect_op(")")?;
                return Ok(inner);
            }
            Tok::Ident(name) if name.eq_ignore_ascii_case("IF") => {
                // `If a Then x Else If b Then y Else z`: collect the arms in
                // a loop and nest them afterwards, so long chains cost no
                // recursion depth (the tree's height still counts).
                let mut arms = Vec::new();
                let mut arm_pos = pos;
                let els = loop {
                    let cond = self.expr()?;
                    self.expect_keyword("THEN")?;
                    let then = self.expr()?;
                    self.expect_keyword("ELSE")?;
                    arms.push((arm_pos, cond, then));
                    if arms.len() > MAX_HEIGHT {
                        return Err(ParseError::at(
                            arm_pos,
                            &format!("more than {MAX_HEIGHT} Else If arms in one expression"),
                        ));
                    }
                    if self.is_keyword("IF") {
                        arm_pos = self.bump().pos;
                        continue;
                    }
                    break self.expr()?;
                };
                let mut acc = els;
                while let Some((p, (cond, hc), (then, ht))) = arms.pop() {
                    let h = 1 + acc.1.max(hc).max(ht);
                    acc = Self::node(
                        ExprKind::If {
                            cond: Box::new(cond),
                            then: Box::new(then),
                            els: Box::new(acc.0),
                        },
                        p,
                        h,
                    )?;
                }
                return Ok(acc);
            }
            Tok::Ident(name) if is_reserved(&name) => {
                return Err(ParseError::at(
                    pos,
                    &format!("keyword {name} where a value was expected"),
                ));
            }
            Tok::Ident(name) if self.is_op("(") => {
                self.bump();
                let mut args = Vec::new();
                if !self.is_op(")") {
                    args.push(self.expr()?);
                    while self.is_op(",") {
                        self.bump();
                        args.push(self.expr()?);
                    }
                }
                self.expect_op(")")?;
                let h = 1 + args.iter().map(|(_, h)| *h).max().unwrap_or(0);
                let args = args.into_iter().map(|(e, _)| e).collect();
                let kind = match functions::lookup(&name) {
                    Some(def) => ExprKind::Call {
                        name: def.name.to_string(),
                        args,
                    },
                    None => ExprKind::Routine { name, args },
                };
                return Self::node(kind, pos, h);
            }
            Tok::Ident(name) => match name.split_once('.') {
                Some((link, column)) => ExprKind::Column {
                    link: link.to_string(),
                    column: column.to_string(),
                },
                None => ExprKind::Name(name),
            },
            other => {
                return Err(ParseError::at(
                    pos,
                    &format!("expected a value, found {}", describe(&other)),
                ));
            }
        };
        Self::node(kind, pos, 1)
    }
}

fn is_reserved(name: &str) -> bool {
    ["THEN", "ELSE", "AND", "OR"]
        .iter()
        .any(|k| name.eq_ignore_ascii_case(k))
}
