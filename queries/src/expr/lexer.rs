//! Tokens of the expression language, with their positions.

use super::ast::Pos;
use super::parser::ParseError;

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Str(String),
    Num(String),
    /// Identifier, possibly dotted (`link.column`, `DSU.Routine`).
    Ident(String),
    /// `@NAME`, upper-cased.
    SysVar(String),
    /// `#NAME#`.
    Param(String),
    Op(&'static str),
    Eof,
}

#[derive(Debug, Clone)]
pub struct Token {
    pub tok: Tok,
    pub pos: Pos,
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == '$'
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

/// Operators, longest first so `<=` wins over `<`.
const OPS: &[&str] = &[
    "<>", "><", "<=", ">=", "=<", "=>", "!=", ":", "+", "-", "*", "/", "^", "=", "<", ">", "#",
    "(", ")", "[", "]", ",",
];

pub fn lex(src: &str) -> Result<Vec<Token>, ParseError> {
    let chars: Vec<(usize, char)> = src.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let (mut line, mut col) = (1u32, 1u32);
    // Advance over `n` characters, keeping line/column right.
    let step = |i: &mut usize, line: &mut u32, col: &mut u32, n: usize| {
        for _ in 0..n {
            if let Some(&(_, c)) = chars.get(*i) {
                if c == '\n' {
                    *line += 1;
                    *col = 1;
                } else {
                    *col += 1;
                }
            }
            *i += 1;
        }
    };
    while i < chars.len() {
        let (offset, c) = chars[i];
        let pos = Pos {
            offset,
            line,
            column: col,
        };
        if c.is_whitespace() {
            step(&mut i, &mut line, &mut col, 1);
            continue;
        }
        let rest = &src[offset..];
        if c == '"' || c == '\'' || c == '\\' {
            // BASIC also allows \text\ as a string; no escapes inside.
            let Some(len) = rest[1..].find(c) else {
                return Err(ParseError::at(pos, "unterminated string literal"));
            };
            let body = &rest[1..1 + len];
            out.push(Token {
                tok: Tok::Str(body.to_string()),
                pos,
            });
            let n = body.chars().count() + 2;
            step(&mut i, &mut line, &mut col, n);
            continue;
        }
        if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(|(_, d)| d.is_ascii_digit()))
        {
            let mut j = i;
            let mut seen_dot = false;
            let mut seen_exp = false;
            while let Some(&(_, d)) = chars.get(j) {
                if d.is_ascii_digit() {
                    j += 1;
                } else if d == '.' && !seen_dot && !seen_exp {
                    seen_dot = true;
                    j += 1;
                } else if (d == 'e' || d == 'E')
                    && !seen_exp
                    && chars
                        .get(j + 1)
                        .is_some_and(|(_, n)| n.is_ascii_digit() || *n == '-' || *n == '+')
                {
                    seen_exp = true;
                    j += 2;
                } else {
                    break;
                }
            }
            let end = chars.get(j).map_or(src.len(), |(o, _)| *o);
            out.push(Token {
                tok: Tok::Num(src[offset..end].to_string()),
                pos,
            });
            let n = j - i;
            step(&mut i, &mut line, &mut col, n);
            continue;
        }
        if is_ident_start(c) {
            let mut j = i;
            loop {
                while chars.get(j).is_some_and(|(_, d)| is_ident_char(*d)) {
                    j += 1;
                }
                // A dot followed by an identifier continues the name.
                let dot = chars.get(j).is_some_and(|(_, d)| *d == '.');
                let next = chars
                    .get(j + 1)
                    .is_some_and(|(_, d)| is_ident_start(*d) || d.is_ascii_digit());
                if dot && next {
                    j += 1;
                } else {
                    break;
                }
            }
            let end = chars.get(j).map_or(src.len(), |(o, _)| *o);
            out.push(Token {
                tok: Tok::Ident(src[offset..end].to_string()),
                pos,
            });
            let n = j - i;
            step(&mut i, &mut line, &mut col, n);
            continue;
        }
        if c == '@' {
            let mut j = i + 1;
            while chars.get(j).is_some_and(|(_, d)| is_ident_char(*d)) {
                j += 1;
            }
            if j == i + 1 {
                return Err(ParseError::at(
                    pos,
                    "'@' must be followed by a system variable name",
                ));
            }
            let end = chars.get(j).map_or(src.len(), |(o, _)| *o);
            out.push(Token {
                tok: Tok::SysVar(src[offset + 1..end].to_ascii_uppercase()),
                pos,
            });
            let n = j - i;
            step(&mut i, &mut line, &mut col, n);
            continue;
        }
        if c == '#' {
            // `#NAME#` is a parameter; a lone `#` is "not equal".
            let mut j = i + 1;
            while chars
                .get(j)
                .is_some_and(|(_, d)| is_ident_char(*d) || *d == '.')
            {
                j += 1;
            }
            if j > i + 1 && chars.get(j).is_some_and(|(_, d)| *d == '#') {
                let end = chars[j].0;
                out.push(Token {
                    tok: Tok::Param(src[offset + 1..end].to_string()),
                    pos,
                });
                let n = j + 1 - i;
                step(&mut i, &mut line, &mut col, n);
                continue;
            }
        }
        if let Some(op) = OPS.iter().find(|op| rest.starts_with(**op)) {
            out.push(Token {
                tok: Tok::Op(op),
                pos,
            });
            step(&mut i, &mut line, &mut col, op.len());
            continue;
        }
        return Err(ParseError::at(pos, &format!("unexpected character {c:?}")));
    }
    let end = Pos {
        offset: src.len(),
        line,
        column: col,
    };
    out.push(Token {
        tok: Tok::Eof,
        pos: end,
    });
    Ok(out)
}
