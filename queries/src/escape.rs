//! One escaper per output context. Every string that comes from an export
//! (names, folders, descriptions, SQL text, paths, defaults) is untrusted:
//! it reaches a generated file only through the function here that matches
//! the exact place it lands in (a Python string literal, a docstring, a
//! comment, an HCL string, a shell word, a Markdown cell, a file name...).
//! The templates get these as helpers (`generate::templates`), so a
//! template cannot print export text raw by accident.
//!
//! Each escaper leaves ordinary text (letters, digits, `_ . - / : space`)
//! unchanged, so clean jobs generate the same bytes as before.

/// Characters that end a line somewhere (Python, HCL, shell, SQL,
/// Markdown, editors) or that are invisible and reorder what a reviewer
/// sees ("Trojan source": bidi embeddings, overrides and isolates).
fn is_unsafe_in_line(c: char) -> bool {
    let u = c as u32;
    u < 0x20
        || (0x7f..0xa0).contains(&u)
        || matches!(
            u,
            0x061c | 0x200e | 0x200f | 0x2028 | 0x2029 | 0x202a..=0x202e | 0x2066..=0x2069 | 0xfeff
        )
}

/// Text on one line with nothing that could end the line or hide what
/// follows: every control, line or paragraph separator and bidi control
/// becomes a space. The base of every comment escaper.
pub fn one_line_raw(s: &str) -> String {
    s.chars()
        .map(|c| if is_unsafe_in_line(c) { ' ' } else { c })
        .collect()
}

/// A short single-line rendering of free text for comments and docs:
/// whitespace runs folded to one space, at most `max` characters (then
/// `...`). Not an escaper by itself: pass the result through the context's
/// escaper (`py_comment`, `md_text`...).
pub fn one_line(s: &str, max: usize) -> String {
    let flat: String = one_line_raw(s)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if flat.chars().count() > max {
        let cut: String = flat.chars().take(max).collect();
        format!("{cut}...")
    } else {
        flat
    }
}

fn push_py_escape(out: &mut String, c: char) {
    let u = c as u32;
    if u < 0x100 {
        out.push_str(&format!("\\x{u:02x}"));
    } else {
        out.push_str(&format!("\\u{u:04x}"));
    }
}

/// A Python string literal (`"..."`), any content.
pub fn py_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe_in_line(c) => push_py_escape(&mut out, c),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text inside a (non-raw) `"""` docstring, or inside a `"..."` literal
/// (template helper `py_inner`). Backslashes are doubled (a
/// DataStage folder `\Jobs\Users` is not a `\U` escape), quotes escaped (no
/// `"""` can close the docstring early, no trailing `"` can merge with the
/// closing quotes) and line breaks and controls written as escapes, so the
/// value stays on its line.
pub fn py_doc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if is_unsafe_in_line(c) => push_py_escape(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// Text after `# ` in a Python comment: one line. `coding:` is broken up
/// so a comment on the first two lines can never declare the file's
/// encoding (PEP 263).
pub fn py_comment(s: &str) -> String {
    one_line_raw(s)
        .replace("coding:", "coding :")
        .replace("coding=", "coding =")
}

/// An HCL (Terraform) quoted string, any content: escapes, and `${` /
/// `%{` doubled so no template interpolation or directive starts.
pub fn hcl_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe_in_line(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out.replace("${", "$${").replace("%{", "%%{")
}

/// Text after `# ` in an HCL comment (or a shell comment, or after `--` in
/// SQL): one line.
pub fn line_comment(s: &str) -> String {
    one_line_raw(s)
}

/// Text inside a SQL or C block comment: one line, and no `*/` (nor `/*`:
/// some dialects nest block comments).
pub fn block_comment(s: &str) -> String {
    one_line_raw(s).replace("*/", "* /").replace("/*", "/ *")
}

/// A shell word that expands nothing: `'...'`, a `'` inside written as
/// `'\''`. NUL cannot be passed to a program: dropped.
pub fn sh_single(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' => out.push_str("'\\''"),
            '\0' => {}
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// The inside of a shell double-quoted word in which `$VAR` / `${VAR}`
/// written by dsmig may expand but export text may not: `$`, backtick,
/// `"`, `\` escaped, line breaks and controls made spaces.
pub fn sh_double_inner(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in one_line_raw(s).chars() {
        if matches!(c, '$' | '`' | '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Text inside an unquoted here-document (`<<DELIM`), in which `${VAR}`
/// written by dsmig may expand but export text may not: `\`, `$` and
/// backtick escaped, one line (so no export line can equal the delimiter
/// or start a line of the tool reading the document).
pub fn sh_heredoc_inner(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in one_line_raw(s).chars() {
        if matches!(c, '$' | '`' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A here-document delimiter for `body` that no line of it equals:
/// `{prefix}_` and a hash of the body (a line holding the hash of the text
/// it is part of cannot be written on purpose), lengthened in the
/// impossible case that it still occurs.
pub fn heredoc_delimiter(prefix: &str, body: &str) -> String {
    let h = blake3::hash(body.as_bytes()).to_hex();
    let mut d = format!("{prefix}_{}", &h[..12]);
    while body
        .lines()
        .any(|l| l.trim_end_matches('\r') == d || l.trim() == d)
    {
        d.push('X');
    }
    d
}

/// Words that may stand next to an operand in a condition.
const SQL_KEYWORDS: &[&str] = &[
    "ALL",
    "AND",
    "ANY",
    "AS",
    "ASC",
    "AT",
    "BETWEEN",
    "BY",
    "CASE",
    "CAST",
    "DATE",
    "DAY",
    "DESC",
    "DISTINCT",
    "ELSE",
    "END",
    "ESCAPE",
    "EXCEPT",
    "EXISTS",
    "FALSE",
    "FOR",
    "FROM",
    "FULL",
    "GROUP",
    "HAVING",
    "HOUR",
    "ILIKE",
    "IN",
    "INNER",
    "INTERSECT",
    "INTERVAL",
    "IS",
    "JOIN",
    "LEFT",
    "LIKE",
    "MINUS",
    "MINUTE",
    "MONTH",
    "NOT",
    "NULL",
    "ON",
    "OR",
    "ORDER",
    "OUTER",
    "RIGHT",
    "SECOND",
    "SELECT",
    "SIMILAR",
    "SOME",
    "THEN",
    "TIME",
    "TIMESTAMP",
    "TO",
    "TRUE",
    "UNION",
    "WHEN",
    "WHERE",
    "YEAR",
    "ZONE",
];

/// A user's SQL condition (a WHERE clause) placed inside a statement of
/// ours, as one line. It is code, but it must stay one condition: it is
/// refused (`Err` with the reason) when it holds a statement end (`;`),
/// a comment, a character that is no SQL token (`$`, backtick, `\`, `:`,
/// `!` alone, `&`, `@`, `{`...), a line break inside a quoted part, an
/// unbalanced quote or parenthesis, or two operands in a row (`a b`, which
/// no condition has: what follows would be another statement or a
/// client's command). Line breaks between tokens become spaces.
pub fn sql_fragment(s: &str) -> Result<String, &'static str> {
    #[derive(PartialEq, Clone, Copy)]
    enum Tok {
        Start,
        Operand,
        Word,
        Open,
        Close,
        Op,
        Dot,
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut prev = Tok::Start;
    let mut depth = 0usize;
    let mut i = 0;
    let operand = |prev: Tok| matches!(prev, Tok::Operand | Tok::Close);
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied().unwrap_or(' ');
        if matches!(c, ' ' | '\t' | '\n' | '\r') {
            if !out.ends_with(' ') && !out.is_empty() {
                out.push(' ');
            }
            i += 1;
            continue;
        }
        let start = i;
        let tok = match c {
            '\'' | '"' | '[' => {
                let close = if c == '[' { ']' } else { c };
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err("an unbalanced quote"),
                        Some('\n' | '\r') => return Err("a line break inside a quoted part"),
                        Some(&x) if x == '\0' || is_unsafe_in_line(x) && x != '\t' => {
                            return Err("a control or invisible character");
                        }
                        Some(&x) if x == close => {
                            if chars.get(i + 1) == Some(&close) {
                                i += 2;
                            } else {
                                i += 1;
                                break;
                            }
                        }
                        Some(_) => i += 1,
                    }
                }
                Tok::Operand
            }
            '0'..='9' => {
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                    i += 1;
                }
                Tok::Operand
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || matches!(chars[i], '_' | '$' | '#'))
                {
                    i += 1;
                }
                let w: String = chars[start..i]
                    .iter()
                    .collect::<String>()
                    .to_ascii_uppercase();
                if SQL_KEYWORDS.contains(&w.as_str()) {
                    Tok::Word
                } else {
                    Tok::Operand
                }
            }
            '(' => {
                depth += 1;
                i += 1;
                Tok::Open
            }
            ')' => {
                depth = depth.checked_sub(1).ok_or("an unbalanced parenthesis")?;
                i += 1;
                Tok::Close
            }
            '.' => {
                i += 1;
                Tok::Dot
            }
            '-' if next == '-' => return Err("a line comment (--)"),
            '/' if next == '*' => return Err("a block comment (/*)"),
            '*' if next == '/' => return Err("a block comment end (*/)"),
            '<' | '>' | '!' if next == '=' || (c == '<' && next == '>') => {
                i += 2;
                Tok::Op
            }
            '|' if next == '|' => {
                i += 2;
                Tok::Op
            }
            '=' | '<' | '>' | '+' | '-' | '*' | '/' | '%' | ',' => {
                i += 1;
                Tok::Op
            }
            ';' => return Err("a statement end (;)"),
            _ => return Err("a character that is not SQL"),
        };
        // Two operands in a row; a name after a dot is part of the name.
        if tok == Tok::Operand && operand(prev) {
            return Err("two operands in a row");
        }
        if tok == Tok::Dot && !operand(prev) {
            return Err("a dot that does not join names");
        }
        if prev == Tok::Dot && tok != Tok::Operand && !(tok == Tok::Op && chars[start] == '*') {
            return Err("a dot that does not join names");
        }
        if tok == Tok::Open && prev == Tok::Close {
            return Err("two operands in a row");
        }
        out.extend(&chars[start..i]);
        prev = if prev == Tok::Dot && tok == Tok::Operand {
            Tok::Operand
        } else {
            tok
        };
    }
    if depth != 0 {
        return Err("an unbalanced parenthesis");
    }
    Ok(out.trim().to_string())
}

/// Markdown text in a paragraph or a table cell: one line; the characters
/// that start markup, links, HTML or a table cell are backslash-escaped.
pub fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in one_line_raw(s).chars() {
        match c {
            '\\' | '`' | '*' | '[' | ']' | '|' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c => out.push(c),
        }
    }
    out
}

/// Free text of several lines (a description, an annotation) as Markdown:
/// each line escaped (`md_text`) after `prefix` (`"> "` for a quote), the
/// line breaks kept.
pub fn md_lines(s: &str, prefix: &str) -> String {
    s.lines()
        .map(|l| format!("{prefix}{}", md_text(l)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A Markdown code span holding any text: one line, fenced with more
/// backticks than the longest run inside (CommonMark), `|` escaped for
/// GitHub tables (which split cells even inside code spans).
pub fn md_code(s: &str) -> String {
    let text = one_line_raw(s).replace('|', "\\|");
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    if text.trim().is_empty() {
        // "``" is no empty code span but a fence that could pair with a
        // later one: a span holding one space stands for nothing.
        return "` `".to_string();
    }
    let fence = "`".repeat(longest + 1);
    if longest == 0 {
        format!("{fence}{text}{fence}")
    } else {
        // A space inside the fence so a leading / trailing backtick is content.
        format!("{fence} {text} {fence}")
    }
}

/// Names Windows reserves for devices, in any case and with any extension
/// (`CON`, `con.py`, `LPT1.tf`).
fn is_windows_device(stem: &str) -> bool {
    let base = stem.split('.').next().unwrap_or("").to_ascii_uppercase();
    matches!(base.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((base.starts_with("COM") || base.starts_with("LPT"))
            && base.len() == 4
            && base.as_bytes()[3].is_ascii_digit())
}

/// A job name as a file name: `[A-Za-z0-9_.-]` kept, the rest `_`, no
/// leading or trailing dot, never a Windows device name, at most 120
/// characters, never empty.
pub fn file_stem(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .take(120)
        .collect();
    // No leading dot (hidden file, `..`), no trailing dot (Windows drops it).
    while s.starts_with('.') {
        s.replace_range(0..1, "_");
    }
    while s.ends_with('.') {
        s.pop();
        s.push('_');
    }
    if s.is_empty() {
        s.push('_');
    }
    if is_windows_device(&s) {
        s.insert(0, '_');
    }
    s
}

/// The escaper a template helper name stands for (see
/// `generate::templates`): the one table of template contexts.
pub fn by_helper(name: &str) -> Option<fn(&str) -> String> {
    Some(match name {
        "py_str" => py_str,
        "py_doc" | "py_inner" => py_doc,
        "py_comment" => py_comment,
        "hcl_str" => hcl_str,
        "hcl_comment" => line_comment,
        "sh_single" => sh_single,
        "md" => md_text,
        "md_code" => md_code,
        _ => return None,
    })
}

/// What a bare `{{value}}` in a template prints: only characters that are
/// inert in every context the templates have (code, strings, comments,
/// docstrings, HCL, Markdown); anything else becomes `_`. Export text must
/// go through a context helper (`{{py_doc job_name}}`); pre-rendered code
/// through `{{{code}}}`.
pub fn inert(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ',' | ':' | '/' | ' ') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_text_is_unchanged() {
        for s in ["LoadCustomers", "s3://bucket/a-b.c", "Jobs/Daily load"] {
            assert_eq!(py_doc(s), s);
            assert_eq!(py_comment(s), s);
            assert_eq!(line_comment(s), s);
            assert_eq!(inert(s), s);
            assert_eq!(py_str(s), format!("\"{s}\""));
            assert_eq!(hcl_str(s), format!("\"{s}\""));
        }
    }

    #[test]
    fn docstrings_take_folders_and_quotes() {
        assert_eq!(py_doc(r"\Jobs\Users"), r"\\Jobs\\Users");
        assert_eq!(py_doc("a\"\"\"b\nc"), "a\\\"\\\"\\\"b\\x0ac");
        assert_eq!(py_doc("ends with \""), "ends with \\\"");
    }

    #[test]
    fn one_line_contexts_hold_no_line_break() {
        let evil = "a\nb\rc\u{2028}d\u{0085}e\u{202e}f\0g";
        for out in [
            py_comment(evil),
            line_comment(evil),
            md_text(evil),
            md_code(evil),
            sh_double_inner(evil),
        ] {
            assert!(!out.chars().any(is_unsafe_in_line), "{out:?}");
        }
        assert_eq!(block_comment("x */ DROP"), "x * / DROP");
        assert_eq!(
            py_comment("-*- coding: latin-1 -*-"),
            "-*- coding : latin-1 -*-"
        );
    }

    #[test]
    fn hcl_and_shell() {
        assert_eq!(hcl_str("${file(\"x\")}"), "\"$${file(\\\"x\\\")}\"");
        assert_eq!(hcl_str("%{ if }"), "\"%%{ if }\"");
        assert_eq!(sh_single("it's $(x)"), "'it'\\''s $(x)'");
        assert_eq!(
            sh_double_inner("$HOME `x` \"q\" \\"),
            "\\$HOME \\`x\\` \\\"q\\\" \\\\"
        );
    }

    #[test]
    fn heredocs() {
        assert_eq!(
            sh_heredoc_inner("a\nb $(x) `y` \\z"),
            "a b \\$(x) \\`y\\` \\\\z"
        );
        let body = "line\nBTEQ\n";
        let d = heredoc_delimiter("BTEQ", body);
        assert!(d.starts_with("BTEQ_") && d.len() == 17, "{d}");
        assert!(!body.lines().any(|l| l == d));
        assert_eq!(d, heredoc_delimiter("BTEQ", body), "deterministic");
    }

    #[test]
    fn sql_fragments_stay_one_condition() {
        for ok in [
            "AMOUNT > 0",
            "a.b = 'x;y''z' AND c IN (1, 2.5)\n  OR d IS NOT NULL",
            "TRIM(x) <> '' AND y BETWEEN 1 AND 2",
            "ACCT_DT >= TO_DATE('#RUN_DATE#', 'YYYY-MM-DD')",
            "\"Q\"\"x\" || [b] = 'a'",
        ] {
            let out = sql_fragment(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert!(!out.contains('\n'), "{out}");
        }
        assert_eq!(sql_fragment("a = 1\nAND b = 2").unwrap(), "a = 1 AND b = 2");
        for bad in [
            "a = 1; DROP TABLE t",
            "a = 1 -- x",
            "a = 1 /* x */",
            "a = 'x\n.OS rm'",
            "a .OS PWNED",
            "a = 1\n.OS rm -rf /",
            "x = $(touch y)",
            "x = `y`",
            "a = 'open",
            "(a = 1",
            "a = 1)",
            "a = 1 b",
            "a\0 = 1",
            ":!! ls",
        ] {
            assert!(sql_fragment(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn markdown() {
        assert_eq!(md_text("a|b <script>"), "a\\|b &lt;script&gt;");
        assert_eq!(md_code("a`b"), "`` a`b ``");
        assert_eq!(md_code("x|y"), "`x\\|y`");
        assert_eq!(md_code(""), "` `");
        assert_eq!(md_lines("a\n*b*", "> "), "> a\n> \\*b\\*");
    }

    #[test]
    fn windows_devices_are_not_file_names() {
        for n in ["CON", "con", "Aux.py", "nul", "COM1", "lpt9", "PRN.x.y"] {
            assert!(file_stem(n).starts_with('_'), "{n}");
        }
        for n in ["CONSOLE", "COM10", "LPTX", "CONTROL_LOAD"] {
            assert_eq!(file_stem(n), n);
        }
        assert_eq!(file_stem("a/b\\c"), "a_b_c");
        assert_eq!(file_stem(".."), "__");
    }
}
