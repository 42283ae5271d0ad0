//! DataStage BASIC statements → [`Program`].
//!
//! Statements are recognised line by line (`;` separates statements on a
//! line, `*`, `!` and `REM` start comments) and grouped into blocks; every
//! expression inside a statement goes through the Transformer expression
//! parser (`expr::parser`) after [`rewrite_expr`] has mapped the BASIC-only
//! spellings it does not know (`EQ`/`NE`/`LT`..., dynamic-array extraction
//! `X<f,v,s>`). A statement dsmig does not know is kept as
//! [`Stmt::Unsupported`] with its line: the routine then stays a blocking
//! item naming that line, never a silent guess.
//!
//! Statement syntax follows IBM's BASIC reference (InfoSphere DataStage
//! BASIC, e.g. "IF statement", "BEGIN CASE statement", "FOR statement",
//! "LOOP statement", "LOCATE statement", "CONVERT statement":
//! https://www.ibm.com/docs/SSZJPZ_11.7.0/com.ibm.swg.im.iis.ds.basic.doc/topics/).

use crate::expr::ast::Expr;
use crate::expr::parser;

/// A parsed routine body.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    /// `FUNCTION` / `SUBROUTINE` header name, when the source has one.
    pub header: Option<(HeaderKind, String, Vec<String>)>,
    pub body: Vec<Stmt>,
    /// `DEFFUN name(args) CALLING "DSU.x"`: local name → called routine.
    pub deffuns: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderKind {
    Function,
    Subroutine,
}

/// Where a dynamic-array element is: `<field, value, subvalue>` (0 = whole).
pub type DynIndex = Vec<Expr>;

#[derive(Debug, Clone, PartialEq)]
pub enum Stmt {
    /// `X = e`, `X<f,v,s> = e`, `X += e` (already expanded to `X = X + e`).
    Assign {
        line: u32,
        var: String,
        index: Option<DynIndex>,
        value: Expr,
    },
    If {
        line: u32,
        cond: Expr,
        then: Vec<Stmt>,
        els: Vec<Stmt>,
    },
    /// `BEGIN CASE`: the first arm whose condition is true runs.
    Case {
        line: u32,
        arms: Vec<(Expr, Vec<Stmt>)>,
    },
    For {
        line: u32,
        var: String,
        from: Expr,
        to: Expr,
        step: Option<Expr>,
        body: Vec<Stmt>,
    },
    /// `LOOP pre WHILE|UNTIL cond DO post REPEAT` (no test: endless until
    /// `EXIT`/`RETURN`).
    Loop {
        line: u32,
        pre: Vec<Stmt>,
        test: Option<(bool, Expr)>,
        post: Vec<Stmt>,
    },
    /// `EXIT` (leave the innermost loop), `CONTINUE`.
    Exit {
        line: u32,
    },
    Continue {
        line: u32,
    },
    GoSub {
        line: u32,
        label: String,
    },
    Label {
        line: u32,
        name: String,
    },
    /// `RETURN` or `RETURN (e)`.
    Return {
        line: u32,
        value: Option<Expr>,
    },
    /// `CALL name(args)`: a `DSLog*` call, a `DSU.` routine...
    Call {
        line: u32,
        name: String,
        args: Vec<Expr>,
    },
    /// `CONVERT from TO to IN var`.
    Convert {
        line: u32,
        from: Expr,
        to: Expr,
        var: String,
    },
    /// `LOCATE x IN dyn<f[,v]> [BY seq] SETTING pos THEN ... ELSE ...`.
    Locate {
        line: u32,
        what: Expr,
        var: String,
        index: DynIndex,
        by: Option<String>,
        pos: String,
        then: Vec<Stmt>,
        els: Vec<Stmt>,
    },
    /// `STOP`, `ABORT`, `END` at top level.
    Stop {
        line: u32,
        abort: bool,
    },
    /// `NULL`, a standard `$INCLUDE`, `PRINT`/`CRT` (console output only).
    Nothing {
        line: u32,
    },
    Unsupported {
        line: u32,
        text: String,
        why: String,
    },
}

impl Stmt {
    pub fn line(&self) -> u32 {
        match self {
            Stmt::Assign { line, .. }
            | Stmt::If { line, .. }
            | Stmt::Case { line, .. }
            | Stmt::For { line, .. }
            | Stmt::Loop { line, .. }
            | Stmt::Exit { line }
            | Stmt::Continue { line }
            | Stmt::GoSub { line, .. }
            | Stmt::Label { line, .. }
            | Stmt::Return { line, .. }
            | Stmt::Call { line, .. }
            | Stmt::Convert { line, .. }
            | Stmt::Locate { line, .. }
            | Stmt::Stop { line, .. }
            | Stmt::Nothing { line }
            | Stmt::Unsupported { line, .. } => *line,
        }
    }

    /// Visit this statement and every nested one.
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Stmt)) {
        f(self);
        let mut each = |v: &'a [Stmt]| v.iter().for_each(|s| s.walk(f));
        match self {
            Stmt::If { then, els, .. } | Stmt::Locate { then, els, .. } => {
                each(then);
                each(els);
            }
            Stmt::Case { arms, .. } => arms.iter().for_each(|(_, b)| each(b)),
            Stmt::For { body, .. } => each(body),
            Stmt::Loop { pre, post, .. } => {
                each(pre);
                each(post);
            }
            _ => {}
        }
    }

    /// Every expression of this statement (not of nested statements).
    pub fn exprs(&self) -> Vec<&Expr> {
        match self {
            Stmt::Assign { index, value, .. } => {
                let mut v: Vec<&Expr> = index.iter().flatten().collect();
                v.push(value);
                v
            }
            Stmt::If { cond, .. } => vec![cond],
            Stmt::Case { arms, .. } => arms.iter().map(|(c, _)| c).collect(),
            Stmt::For { from, to, step, .. } => {
                let mut v = vec![from, to];
                v.extend(step.iter());
                v
            }
            Stmt::Loop { test, .. } => test.iter().map(|(_, e)| e).collect(),
            Stmt::Return { value, .. } => value.iter().collect(),
            Stmt::Call { args, .. } => args.iter().collect(),
            Stmt::Convert { from, to, .. } => vec![from, to],
            Stmt::Locate { what, index, .. } => {
                let mut v = vec![what];
                v.extend(index.iter());
                v
            }
            _ => vec![],
        }
    }
}

/// Headers that only declare DataStage's own constants and functions
/// (`DSJ.*`, `DSLogInfo`...): including them changes nothing dsmig models.
pub const STANDARD_INCLUDES: &[&str] = &[
    "JOBCONTROL.H",
    "DSD_STAGE.H",
    "DSD.H",
    "DSD_RTCONFIG.H",
    "DSJ_XFUNCS.H",
    "DSINCLUDE",
    "UNIVERSE.INCLUDE",
];

/// One logical statement: its text and 1-based source line.
#[derive(Debug, Clone)]
struct Raw {
    line: u32,
    text: String,
}

/// Split the source into statements: comments dropped, `;` separators
/// honoured outside quotes and brackets.
fn logical_lines(src: &str) -> Vec<Raw> {
    let mut out = Vec::new();
    for (i, line) in src.lines().enumerate() {
        let line_no = i as u32 + 1;
        for part in split_statements(line) {
            let t = part.trim();
            if t.is_empty() || is_comment(t) {
                // A comment runs to the end of the line, across `;`.
                if is_comment(t) {
                    break;
                }
                continue;
            }
            out.push(Raw {
                line: line_no,
                text: t.to_string(),
            });
        }
    }
    out
}

fn is_comment(t: &str) -> bool {
    t.starts_with('*')
        || t.starts_with('!')
        || t.eq_ignore_ascii_case("REM")
        || (t.len() > 3 && t[..4].eq_ignore_ascii_case("REM "))
}

fn split_statements(line: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut depth = 0i32;
    for c in line.chars() {
        match quote {
            Some(q) => {
                cur.push(c);
                if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' | '\\' => {
                    quote = Some(c);
                    cur.push(c);
                }
                '(' | '[' => {
                    depth += 1;
                    cur.push(c);
                }
                ')' | ']' => {
                    depth -= 1;
                    cur.push(c);
                }
                ';' if depth <= 0 => parts.push(std::mem::take(&mut cur)),
                _ => cur.push(c),
            },
        }
    }
    parts.push(cur);
    parts
}

/// Word-level view of a statement: words outside quotes and brackets, with
/// their byte offsets, to find keywords (`THEN`, `TO`, `SETTING`...).
fn top_level_words(s: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut quote: Option<char> = None;
    let mut depth = 0i32;
    let mut start: Option<usize> = None;
    for (i, c) in s.char_indices() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            continue;
        }
        let word_char = c.is_alphanumeric() || c == '_' || c == '.' || c == '$';
        if word_char && depth == 0 {
            start.get_or_insert(i);
            continue;
        }
        if let Some(st) = start.take() {
            out.push((st, s[st..i].to_string()));
        }
        match c {
            '"' | '\'' | '\\' => quote = Some(c),
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            _ => {}
        }
    }
    if let Some(st) = start {
        out.push((st, s[st..].to_string()));
    }
    out
}

/// Byte offset of the first top-level keyword `kw` (case-insensitive).
fn find_kw(s: &str, kw: &str) -> Option<usize> {
    top_level_words(s)
        .into_iter()
        .find(|(_, w)| w.eq_ignore_ascii_case(kw))
        .map(|(i, _)| i)
}

fn first_word(s: &str) -> String {
    s.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.' || c == '$'))
        .next()
        .unwrap_or("")
        .to_ascii_uppercase()
}

/// Map the BASIC spellings the expression parser does not know onto ones
/// it does: `EQ NE LT GT LE GE` → `= <> < > <= >=`, `X<f,v,s>` →
/// `Extract(X, f, v, s)`. Quoted text is left alone.
pub fn rewrite_expr(src: &str) -> String {
    let chars: Vec<char> = src.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' || c == '\'' || c == '\\' {
            let end = chars[i + 1..]
                .iter()
                .position(|&d| d == c)
                .map_or(chars.len(), |p| i + 1 + p + 1);
            out.extend(&chars[i..end.min(chars.len())]);
            i = end;
            continue;
        }
        if c.is_alphabetic() || c == '_' || c == '$' {
            let st = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || matches!(chars[i], '_' | '.' | '$'))
            {
                i += 1;
            }
            let word: String = chars[st..i].iter().collect();
            let op = match word.to_ascii_uppercase().as_str() {
                "EQ" => Some("="),
                "NE" => Some("<>"),
                "LT" => Some("<"),
                "GT" => Some(">"),
                "LE" => Some("<="),
                "GE" => Some(">="),
                _ => None,
            };
            if let Some(op) = op {
                out.push(' ');
                out.push_str(op);
                out.push(' ');
                continue;
            }
            // Dynamic-array extraction: `NAME<` directly followed by 1-3
            // simple operands and `>`.
            if i < chars.len()
                && chars[i] == '<'
                && let Some(close) = chars[i + 1..].iter().position(|&d| d == '>')
            {
                let inner: String = chars[i + 1..i + 1 + close].iter().collect();
                let parts: Vec<&str> = inner.split(',').map(str::trim).collect();
                let simple = |p: &str| {
                    !p.is_empty()
                        && p.chars().all(|c| {
                            c.is_alphanumeric() || matches!(c, '_' | '.' | '$' | '@' | '+' | '-')
                        })
                };
                if parts.len() <= 3 && parts.iter().all(|p| simple(p)) {
                    out.push_str(&format!("Extract({word}, {})", parts.join(", ")));
                    i += close + 2;
                    continue;
                }
            }
            out.push_str(&word);
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

pub fn parse_expr(src: &str) -> Result<Expr, String> {
    parser::parse(&rewrite_expr(src)).map_err(|e| e.message)
}

/// Parse a routine's source.
pub fn parse(src: &str) -> Program {
    let raws = logical_lines(src);
    let mut p = P {
        raws,
        i: 0,
        depth: 0,
        deffuns: Vec::new(),
        header: None,
    };
    let body = p.block(&[]);
    Program {
        header: p.header,
        body,
        deffuns: p.deffuns,
    }
}

/// Deeper block nesting than this is an unsupported statement, not a
/// deeper recursion: parsing and running recurse once per level (real
/// routines nest a handful of levels).
pub const MAX_NESTING: usize = 32;

struct P {
    raws: Vec<Raw>,
    i: usize,
    depth: usize,
    deffuns: Vec<(String, String)>,
    header: Option<(HeaderKind, String, Vec<String>)>,
}

/// What ends a block: the statement's upper-cased text starts with one of
/// these (`END`, `END ELSE`, `CASE`, `END CASE`, `NEXT`, `REPEAT`,
/// `WHILE`/`UNTIL` inside a `LOOP`).
fn ends_block(text: &str, enders: &[&str]) -> bool {
    let u = text.to_ascii_uppercase();
    let words: Vec<&str> = u.split_whitespace().collect();
    enders.iter().any(|e| {
        let ew: Vec<&str> = e.split_whitespace().collect();
        words.len() >= ew.len() && words[..ew.len()] == ew[..]
    })
}

fn unsupported(line: u32, text: &str, why: &str) -> Stmt {
    Stmt::Unsupported {
        line,
        text: text.to_string(),
        why: why.to_string(),
    }
}

/// An expression, or the `Unsupported` statement naming why not (boxed:
/// a statement is large).
fn expr_or(line: u32, text: &str, src: &str) -> Result<Expr, Box<Stmt>> {
    parse_expr(src).map_err(|m| Box::new(unsupported(line, text, &format!("expression: {m}"))))
}

/// `s[a..b]`, or "" when the keywords came in an order that makes no
/// range (`FOR I TO 3 = 1`): the expression parser then names the problem.
fn part(s: &str, a: usize, b: usize) -> &str {
    s.get(a..b).unwrap_or("")
}

impl P {
    fn peek(&self) -> Option<&Raw> {
        self.raws.get(self.i)
    }

    /// Statements until one that starts with an ender (not consumed).
    fn block(&mut self, enders: &[&str]) -> Vec<Stmt> {
        let mut out = Vec::new();
        while let Some(r) = self.peek() {
            if !enders.is_empty() && ends_block(&r.text, enders) {
                break;
            }
            let r = r.clone();
            self.i += 1;
            out.extend(self.statement(&r));
        }
        out
    }

    /// The statement(s) of one logical line (a label may precede one).
    fn statement(&mut self, r: &Raw) -> Vec<Stmt> {
        if self.depth >= MAX_NESTING {
            return vec![unsupported(r.line, &r.text, "blocks nested too deeply")];
        }
        self.depth += 1;
        let out = self.statement_inner(r);
        self.depth -= 1;
        out
    }

    fn statement_inner(&mut self, r: &Raw) -> Vec<Stmt> {
        let line = r.line;
        let t = r.text.trim();
        // `Label:` (not `:=`), alone or before a statement.
        if let Some(colon) = t.find(':') {
            let (name, rest) = (&t[..colon], &t[colon + 1..]);
            if !name.is_empty()
                && !rest.starts_with('=')
                && name
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
                && !name.contains(char::is_whitespace)
            {
                let mut v = vec![Stmt::Label {
                    line,
                    name: name.to_string(),
                }];
                let rest = rest.trim();
                if !rest.is_empty() {
                    v.extend(self.statement(&Raw {
                        line,
                        text: rest.to_string(),
                    }));
                }
                return v;
            }
        }
        vec![self.one(line, t)]
    }

    fn one(&mut self, line: u32, t: &str) -> Stmt {
        let kw = first_word(t);
        let rest = t[kw.len().min(t.len())..].trim();
        match kw.as_str() {
            "FUNCTION" | "SUBROUTINE" | "DEFFUN" => {
                let (name, args) = split_call(rest);
                if kw == "DEFFUN" {
                    let called = find_kw(rest, "CALLING")
                        .map(|i| {
                            rest[i + 7..]
                                .trim()
                                .trim_matches(|c| c == '"' || c == '\'')
                                .to_string()
                        })
                        .unwrap_or_else(|| name.clone());
                    self.deffuns.push((name, called));
                } else if self.header.is_none() {
                    let k = if kw == "FUNCTION" {
                        HeaderKind::Function
                    } else {
                        HeaderKind::Subroutine
                    };
                    let args = args.iter().map(|a| a.trim().to_string()).collect();
                    self.header = Some((k, name, args));
                }
                Stmt::Nothing { line }
            }
            "$INCLUDE" | "$INSERT" | "INCLUDE" => {
                let std = rest
                    .split_whitespace()
                    .all(|w| STANDARD_INCLUDES.iter().any(|s| s.eq_ignore_ascii_case(w)));
                if std {
                    Stmt::Nothing { line }
                } else {
                    unsupported(line, t, "include of a non-standard header")
                }
            }
            "NULL" | "PRINT" | "CRT" => Stmt::Nothing { line },
            "IF" => self.if_stmt(line, t, rest),
            "BEGIN" if first_word(rest) == "CASE" => self.case_stmt(line),
            "FOR" => self.for_stmt(line, t, rest),
            "LOOP" => self.loop_stmt(line, rest),
            "EXIT" => Stmt::Exit { line },
            "CONTINUE" => Stmt::Continue { line },
            "GOSUB" => Stmt::GoSub {
                line,
                label: rest.trim_end_matches(':').trim().to_string(),
            },
            "RETURN" => {
                if rest.is_empty() {
                    Stmt::Return { line, value: None }
                } else {
                    match expr_or(line, t, rest) {
                        Ok(e) => Stmt::Return {
                            line,
                            value: Some(e),
                        },
                        Err(s) => *s,
                    }
                }
            }
            "CALL" => {
                let (name, args) = split_call(rest);
                let name = name.trim_start_matches('@').to_string();
                let mut exprs = Vec::new();
                for a in args {
                    match expr_or(line, t, &a) {
                        Ok(e) => exprs.push(e),
                        Err(s) => return *s,
                    }
                }
                Stmt::Call {
                    line,
                    name,
                    args: exprs,
                }
            }
            "CONVERT" if find_kw(rest, "IN").is_some() && find_kw(rest, "TO").is_some() => {
                let (Some(to), Some(inn)) = (find_kw(rest, "TO"), find_kw(rest, "IN")) else {
                    return unsupported(line, t, "CONVERT without TO/IN");
                };
                if inn < to {
                    return unsupported(line, t, "CONVERT without TO/IN");
                }
                let var = rest[inn + 2..].trim().to_string();
                match (
                    expr_or(line, t, &rest[..to]),
                    expr_or(line, t, &rest[to + 2..inn]),
                ) {
                    (Ok(from), Ok(to)) => Stmt::Convert {
                        line,
                        from,
                        to,
                        var,
                    },
                    (Err(s), _) | (_, Err(s)) => *s,
                }
            }
            "LOCATE" => self.locate_stmt(line, t, rest),
            "EQUATE" | "EQU" => {
                let Some(to) = find_kw(rest, "TO") else {
                    return unsupported(line, t, "EQUATE without TO");
                };
                let var = rest[..to].trim().to_string();
                match expr_or(line, t, &rest[to + 2..]) {
                    Ok(value) => Stmt::Assign {
                        line,
                        var,
                        index: None,
                        value,
                    },
                    Err(s) => *s,
                }
            }
            "STOP" | "ABORT" => Stmt::Stop {
                line,
                abort: kw == "ABORT",
            },
            "END" if rest.is_empty() => Stmt::Stop { line, abort: false },
            "GOTO" | "GO" => unsupported(line, t, "GOTO (unstructured jump)"),
            "PERFORM" | "EXECUTE" => unsupported(line, t, "runs an engine command"),
            "OPEN" | "OPENSEQ" | "READ" | "READU" | "READV" | "READSEQ" | "WRITE" | "WRITEU"
            | "WRITEV" | "WRITESEQ" | "DELETE" | "CLOSE" | "CLOSESEQ" | "SELECT" | "READNEXT" => {
                unsupported(line, t, "hashed or sequential file I/O")
            }
            _ => self.assignment(line, t),
        }
    }

    fn assignment(&mut self, line: u32, t: &str) -> Stmt {
        // Target: a name, optionally `<f,v,s>`; then `=`, `+=`, `-=`, `:=`.
        let name_end = t
            .find(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '.' | '$')))
            .unwrap_or(t.len());
        let var = t[..name_end].to_string();
        if var.is_empty() || var.chars().next().is_some_and(|c| c.is_ascii_digit()) {
            return unsupported(line, t, "statement dsmig does not know");
        }
        let mut rest = t[name_end..].trim_start();
        let mut index = None;
        if rest.starts_with('<') {
            let Some(close) = rest.find('>') else {
                return unsupported(line, t, "unclosed <...>");
            };
            let mut idx = Vec::new();
            for part in rest[1..close].split(',') {
                match expr_or(line, t, part) {
                    Ok(e) => idx.push(e),
                    Err(s) => return *s,
                }
            }
            index = Some(idx);
            rest = rest[close + 1..].trim_start();
        }
        let (op, value_src) = if let Some(r) = rest.strip_prefix("+=") {
            (Some("+"), r)
        } else if let Some(r) = rest.strip_prefix("-=") {
            (Some("-"), r)
        } else if let Some(r) = rest.strip_prefix(":=") {
            (Some(":"), r)
        } else if let Some(r) = rest.strip_prefix('=') {
            (None, r)
        } else {
            return unsupported(line, t, "statement dsmig does not know");
        };
        let src = match (op, &index) {
            (None, _) => value_src.to_string(),
            (Some(o), None) => format!("{var} {o} ({value_src})"),
            (Some(_), Some(_)) => {
                return unsupported(line, t, "operator-assignment to an array element");
            }
        };
        match expr_or(line, t, &src) {
            Ok(value) => Stmt::Assign {
                line,
                var,
                index,
                value,
            },
            Err(s) => *s,
        }
    }

    /// `THEN`/`ELSE` clauses after a condition: inline statements or, when
    /// the clause is empty, a block up to `END` / `END ELSE`.
    fn then_else(&mut self, line: u32, after_cond: &str) -> (Vec<Stmt>, Vec<Stmt>) {
        let (then_src, else_src) = match find_kw(after_cond, "ELSE") {
            Some(e) => (&after_cond[..e], Some(after_cond[e + 4..].trim())),
            None => (after_cond, None),
        };
        let then_src = then_src.trim();
        let then_src = if first_word(then_src) == "THEN" {
            then_src[4..].trim()
        } else {
            then_src
        };
        let mut then = Vec::new();
        let mut els = Vec::new();
        let block_then =
            then_src.is_empty() && else_src.is_none() && first_word(after_cond) == "THEN";
        if block_then {
            then = self.block(&["END"]);
            // `END ELSE` opens the else block, `END` closes.
            if let Some(r) = self.peek().cloned() {
                self.i += 1;
                let u = r.text.to_ascii_uppercase();
                let after_end = u.trim_start_matches("END").trim();
                // `END` then `ELSE` on the next line is the same as `END ELSE`.
                let r = match self.peek().cloned() {
                    Some(n) if after_end.is_empty() && first_word(&n.text) == "ELSE" => {
                        self.i += 1;
                        Raw {
                            line: n.line,
                            text: format!("END {}", n.text.trim()),
                        }
                    }
                    _ => r,
                };
                let u = r.text.to_ascii_uppercase();
                let after_end = u.trim_start_matches("END").trim();
                if after_end.starts_with("ELSE") {
                    let inline = r.text.trim()[3..].trim()[4..].trim().to_string();
                    if inline.is_empty() {
                        els = self.block(&["END"]);
                        self.i += 1;
                    } else {
                        els = self.statement(&Raw {
                            line: r.line,
                            text: inline,
                        });
                    }
                }
            }
            return (then, els);
        }
        if !then_src.is_empty() {
            then = self.statement(&Raw {
                line,
                text: then_src.to_string(),
            });
        }
        if let Some(e) = else_src {
            if e.is_empty() {
                els = self.block(&["END"]);
                self.i += 1;
            } else {
                els = self.statement(&Raw {
                    line,
                    text: e.to_string(),
                });
            }
        }
        (then, els)
    }

    fn if_stmt(&mut self, line: u32, t: &str, rest: &str) -> Stmt {
        // `IF cond` with THEN / ELSE on the next line.
        if find_kw(rest, "THEN").is_none()
            && find_kw(rest, "ELSE").is_none()
            && let Some(next) = self.peek().cloned()
            && matches!(first_word(&next.text).as_str(), "THEN" | "ELSE")
        {
            self.i += 1;
            let joined = format!("{rest} {}", next.text);
            return self.if_stmt(line, t, &joined);
        }
        let Some(th) = find_kw(rest, "THEN").or_else(|| find_kw(rest, "ELSE")) else {
            return unsupported(line, t, "IF without THEN");
        };
        let cond = match expr_or(line, t, &rest[..th]) {
            Ok(c) => c,
            Err(s) => return *s,
        };
        let (then, els) = self.then_else(line, &rest[th..]);
        Stmt::If {
            line,
            cond,
            then,
            els,
        }
    }

    fn case_stmt(&mut self, line: u32) -> Stmt {
        let mut arms = Vec::new();
        while let Some(r) = self.peek().cloned() {
            self.i += 1;
            let u = first_word(&r.text);
            if u == "END" {
                break;
            }
            if u != "CASE" {
                return unsupported(r.line, &r.text, "statement between BEGIN CASE and CASE");
            }
            let cond_src = r.text.trim()[4..].trim();
            let cond = match expr_or(r.line, &r.text, cond_src) {
                Ok(c) => c,
                Err(s) => return *s,
            };
            let body = self.block(&["CASE", "END CASE"]);
            arms.push((cond, body));
        }
        Stmt::Case { line, arms }
    }

    fn for_stmt(&mut self, line: u32, t: &str, rest: &str) -> Stmt {
        let (Some(eq), Some(to)) = (rest.find('='), find_kw(rest, "TO")) else {
            return unsupported(line, t, "FOR without = / TO");
        };
        let var = rest[..eq].trim().to_string();
        let step_at = find_kw(rest, "STEP");
        let to_end = step_at.unwrap_or(rest.len());
        let parts = (
            expr_or(line, t, part(rest, eq + 1, to)),
            expr_or(line, t, part(rest, to + 2, to_end)),
            step_at
                .map(|s| expr_or(line, t, &rest[s + 4..]))
                .transpose(),
        );
        let (from, to, step) = match parts {
            (Ok(a), Ok(b), Ok(c)) => (a, b, c),
            (Err(s), _, _) | (_, Err(s), _) | (_, _, Err(s)) => return *s,
        };
        let body = self.block(&["NEXT"]);
        self.i += 1;
        Stmt::For {
            line,
            var,
            from,
            to,
            step,
            body,
        }
    }

    fn loop_stmt(&mut self, line: u32, rest: &str) -> Stmt {
        let mut pre = Vec::new();
        let mut test = None;
        let mut post = Vec::new();
        // `LOOP WHILE c DO` / `LOOP stmt` on the same line.
        let mut pending: Option<Raw> = (!rest.is_empty()).then(|| Raw {
            line,
            text: rest.to_string(),
        });
        let mut in_post = false;
        loop {
            let r = match pending.take() {
                Some(r) => r,
                None => match self.peek().cloned() {
                    Some(r) => {
                        self.i += 1;
                        r
                    }
                    None => return unsupported(line, "LOOP", "LOOP without REPEAT"),
                },
            };
            let w = first_word(&r.text);
            if w == "REPEAT" {
                break;
            }
            if !in_post && (w == "WHILE" || w == "UNTIL") {
                let body = r.text.trim()[5..].trim();
                let (cond_src, tail) = match find_kw(body, "DO") {
                    Some(d) => (&body[..d], body[d + 2..].trim()),
                    None => (body, ""),
                };
                match expr_or(r.line, &r.text, cond_src) {
                    Ok(c) => test = Some((w == "WHILE", c)),
                    Err(s) => return *s,
                }
                in_post = true;
                if !tail.is_empty() {
                    let tail = tail.to_string();
                    if first_word(&tail) == "REPEAT" {
                        break;
                    }
                    pending = Some(Raw {
                        line: r.line,
                        text: tail,
                    });
                }
                continue;
            }
            let stmts = self.statement(&r);
            if in_post {
                post.extend(stmts);
            } else {
                pre.extend(stmts);
            }
            // `... REPEAT` at the end of a one-line loop body is rare; the
            // REPEAT on its own line is handled above.
        }
        Stmt::Loop {
            line,
            pre,
            test,
            post,
        }
    }

    fn locate_stmt(&mut self, line: u32, t: &str, rest: &str) -> Stmt {
        // LOCATE what IN var<f[,v]> [BY seq] SETTING pos THEN/ELSE ...
        let (Some(inn), Some(set)) = (find_kw(rest, "IN"), find_kw(rest, "SETTING")) else {
            return unsupported(
                line,
                t,
                "LOCATE form dsmig does not know (expects IN ... SETTING)",
            );
        };
        let what = match expr_or(line, t, part(rest, 0, inn)) {
            Ok(e) => e,
            Err(s) => return *s,
        };
        let by_at = find_kw(rest, "BY");
        let target = part(rest, inn + 2, by_at.unwrap_or(set)).trim();
        let by = by_at.map(|b| {
            part(rest, b + 2, set)
                .trim()
                .trim_matches(|c| c == '"' || c == '\'')
                .to_ascii_uppercase()
        });
        let (var, idx_src) = match target.find('<') {
            Some(lt) => (
                target[..lt].trim().to_string(),
                target[lt + 1..].trim_end_matches('>').to_string(),
            ),
            None => (target.to_string(), String::new()),
        };
        let mut index = Vec::new();
        for part in idx_src.split(',').filter(|p| !p.trim().is_empty()) {
            match expr_or(line, t, part) {
                Ok(e) => index.push(e),
                Err(s) => return *s,
            }
        }
        let after = rest[set + 7..].trim();
        let pos_end = after.find(char::is_whitespace).unwrap_or(after.len());
        let pos = after[..pos_end].to_string();
        let (then, els) = self.then_else(line, after[pos_end..].trim());
        Stmt::Locate {
            line,
            what,
            var,
            index,
            by,
            pos,
            then,
            els,
        }
    }
}

/// `Name(a, b)` → ("Name", ["a", "b"]), splitting on top-level commas.
fn split_call(s: &str) -> (String, Vec<String>) {
    let s = s.trim();
    let Some(open) = s.find('(') else {
        return (
            s.split_whitespace().next().unwrap_or("").to_string(),
            vec![],
        );
    };
    let name = s[..open].trim().to_string();
    let close = s.rfind(')').unwrap_or(s.len());
    let inner = &s[open + 1..close.max(open + 1)];
    let mut args = Vec::new();
    let mut cur = String::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    for c in inner.chars() {
        if let Some(q) = quote {
            cur.push(c);
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => {
                quote = Some(c);
                cur.push(c);
            }
            '(' | '[' => {
                depth += 1;
                cur.push(c);
            }
            ')' | ']' => {
                depth -= 1;
                cur.push(c);
            }
            ',' if depth == 0 => args.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    if !cur.trim().is_empty() || !args.is_empty() {
        args.push(cur);
    }
    (
        name,
        args.into_iter().map(|a| a.trim().to_string()).collect(),
    )
}
