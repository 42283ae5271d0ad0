//! Python source at the level of its top-level statements: enough to find
//! a draft's named placeholders (functions that `raise NotImplementedError`)
//! and to splice an answer's functions into the draft, so an LLM answers
//! with the functions it changes instead of the whole file (a 40 KB script
//! would not fit in a completion, and output tokens cost the most).
//!
//! Not a parser: a line scanner that knows strings (triple-quoted ones span
//! lines), comments, brackets and backslash continuations, which is what
//! decides where a top-level statement starts.

/// What a top-level statement is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// `def` (or `async def`), decorators and comments just above included.
    Def,
    Class,
    Import,
    /// `NAME = ...` (also annotated).
    Assign,
    /// `if __name__ == "__main__":`.
    Main,
    /// A bare string: the module docstring.
    Docstring,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub kind: Kind,
    /// Function, class or assigned name; empty otherwise.
    pub name: String,
    /// The statement's lines, without the blank lines after it.
    pub text: String,
    /// Blank lines that followed it.
    pub trailing_blank: usize,
}

#[derive(Clone, Copy, PartialEq)]
enum Str {
    None,
    Single(u8),
    Triple(u8),
}

/// Lines (without their `\n`) and, per line, whether a new top-level
/// statement may start on it (not inside a string, bracket or
/// continuation).
fn scan(src: &str) -> Vec<(&str, bool)> {
    let mut out = Vec::new();
    let mut state = Str::None;
    let mut depth: i64 = 0;
    let mut continued = false;
    for line in src.split('\n') {
        let at_top = state == Str::None && depth <= 0 && !continued;
        let b = line.as_bytes();
        let mut i = 0;
        continued = false;
        while i < b.len() {
            let c = b[i];
            match state {
                Str::None => match c {
                    b'#' => break,
                    b'"' | b'\'' => {
                        if b[i..].starts_with(&[c, c, c]) {
                            state = Str::Triple(c);
                            i += 3;
                            continue;
                        }
                        state = Str::Single(c);
                    }
                    b'(' | b'[' | b'{' => depth += 1,
                    b')' | b']' | b'}' => depth -= 1,
                    b'\\' if i + 1 == b.len() || b[i + 1..].iter().all(|x| *x == b'\r') => {
                        continued = true;
                    }
                    _ => {}
                },
                Str::Single(q) => {
                    if c == b'\\' {
                        i += 2;
                        continue;
                    }
                    if c == q {
                        state = Str::None;
                    }
                }
                Str::Triple(q) => {
                    if c == b'\\' {
                        i += 2;
                        continue;
                    }
                    if b[i..].starts_with(&[q, q, q]) {
                        state = Str::None;
                        i += 3;
                        continue;
                    }
                }
            }
            i += 1;
        }
        // A one-quote string never spans lines (without a backslash).
        if let Str::Single(_) = state
            && !line.ends_with('\\')
        {
            state = Str::None;
        }
        out.push((line, at_top));
    }
    out
}

fn ident_after<'a>(s: &'a str, keyword: &str) -> Option<&'a str> {
    let rest = s.strip_prefix(keyword)?;
    if !rest.starts_with([' ', '\t']) {
        return None;
    }
    let rest = rest.trim_start();
    let end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    (end > 0).then(|| &rest[..end])
}

fn classify(first: &str) -> (Kind, String) {
    let t = first.trim_end();
    if let Some(n) = ident_after(t, "def").or_else(|| {
        t.strip_prefix("async")
            .and_then(|r| ident_after(r.trim_start(), "def"))
    }) {
        return (Kind::Def, n.to_string());
    }
    if let Some(n) = ident_after(t, "class") {
        return (Kind::Class, n.to_string());
    }
    if t.starts_with("import ") || (t.starts_with("from ") && t.contains(" import ")) {
        return (Kind::Import, String::new());
    }
    if t.starts_with("if __name__") {
        return (Kind::Main, String::new());
    }
    if t.starts_with("\"\"\"") || t.starts_with("'''") || t.starts_with("r\"\"\"") {
        return (Kind::Docstring, String::new());
    }
    let name_end = t
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(t.len());
    if name_end > 0 {
        let rest = t[name_end..].trim_start();
        let is_assign = (rest.starts_with('=') && !rest.starts_with("=="))
            || (rest.starts_with(':') && rest.contains('='));
        if is_assign && !t.starts_with(|c: char| c.is_ascii_digit()) {
            return (Kind::Assign, t[..name_end].to_string());
        }
    }
    (Kind::Other, String::new())
}

/// Keywords that continue the compound statement above them.
fn continues_compound(line: &str) -> bool {
    ["else", "elif ", "except", "finally"].iter().any(|k| {
        line.starts_with(k)
            && line[k.len()..]
                .chars()
                .next()
                .is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
    })
}

/// The top-level statements of `src`, in order. Comment lines and
/// decorators directly above a statement belong to it.
pub fn blocks(src: &str) -> Vec<Block> {
    let lines = scan(src);
    // Start line of each statement (decorators and comments attached).
    let mut starts: Vec<(usize, usize)> = Vec::new(); // (first line, statement line)
    let mut pending: Option<usize> = None;
    for (i, (line, at_top)) in lines.iter().enumerate() {
        if !at_top || line.trim().is_empty() {
            if line.trim().is_empty() {
                pending = None;
            }
            continue;
        }
        if line.starts_with([' ', '\t']) || continues_compound(line) {
            continue;
        }
        if line.starts_with('#') || line.starts_with('@') {
            pending.get_or_insert(i);
            continue;
        }
        starts.push((pending.take().unwrap_or(i), i));
    }
    let mut out = Vec::new();
    for (k, &(first, stmt)) in starts.iter().enumerate() {
        let end = starts.get(k + 1).map_or(lines.len(), |n| n.0);
        let mut last = end;
        while last > first + 1 && lines[last - 1].0.trim().is_empty() {
            last -= 1;
        }
        let text: Vec<&str> = lines[first..last].iter().map(|(l, _)| *l).collect();
        let (kind, name) = classify(lines[stmt].0);
        out.push(Block {
            kind,
            name,
            text: text.join("\n"),
            trailing_blank: end - last,
        });
    }
    out
}

/// A named placeholder of a draft: a top-level function whose body
/// raises `NotImplementedError`, and the message it raises.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Placeholder {
    pub function: String,
    pub message: String,
}

const RAISE: &str = "raise NotImplementedError(";

pub fn placeholders(src: &str) -> Vec<Placeholder> {
    let mut out = Vec::new();
    for b in blocks(src).iter().filter(|b| b.kind == Kind::Def) {
        for line in b.text.lines() {
            if let Some(at) = line.find(RAISE) {
                let arg = line[at + RAISE.len()..].trim_end();
                let arg = arg.strip_suffix(')').unwrap_or(arg);
                let message = arg.trim_matches(|c| c == '"' || c == '\'').to_string();
                out.push(Placeholder {
                    function: b.name.clone(),
                    message,
                });
            }
        }
    }
    out
}

/// The top-level functions holding placeholders, as one text.
pub fn placeholder_functions(src: &str) -> String {
    let names: Vec<String> = placeholders(src).into_iter().map(|p| p.function).collect();
    blocks(src)
        .into_iter()
        .filter(|b| b.kind == Kind::Def && names.contains(&b.name))
        .map(|b| b.text)
        .collect::<Vec<_>>()
        .join("\n\n\n")
        + "\n"
}

/// Names of the top-level functions and classes.
pub fn definitions(src: &str) -> Vec<String> {
    blocks(src)
        .into_iter()
        .filter(|b| matches!(b.kind, Kind::Def | Kind::Class))
        .map(|b| b.name)
        .collect()
}

/// The draft with the answer's top-level functions, classes and
/// assignments in place of the draft's of the same name; new ones go just
/// above the first one replaced, new imports after the draft's imports.
/// The answer's docstring, `__main__` block and other statements are
/// ignored: the draft's structure stays.
pub fn splice(draft: &str, answer: &str) -> Result<String, String> {
    let mut d = blocks(draft);
    let a = blocks(answer);
    let mut replaced = vec![false; d.len()];
    let mut new_defs: Vec<String> = Vec::new();
    let mut new_imports: Vec<String> = Vec::new();
    let draft_lines: std::collections::HashSet<&str> = draft.lines().map(str::trim).collect();
    for b in &a {
        match b.kind {
            Kind::Def | Kind::Class | Kind::Assign => {
                let same = d.iter().position(|x| {
                    x.name == b.name
                        && (x.kind == b.kind || (x.kind != Kind::Assign && b.kind != Kind::Assign))
                });
                match same {
                    Some(i) => {
                        // The draft's comment above the function stays
                        // unless the answer brings its own.
                        let comments: Vec<&str> = d[i]
                            .text
                            .lines()
                            .take_while(|l| l.starts_with('#'))
                            .collect();
                        d[i].text = if b.text.starts_with('#') || comments.is_empty() {
                            b.text.clone()
                        } else {
                            format!("{}\n{}", comments.join("\n"), b.text)
                        };
                        replaced[i] = true;
                    }
                    None if b.kind == Kind::Assign => {}
                    None => new_defs.push(b.text.clone()),
                }
            }
            Kind::Import => {
                for line in b.text.lines() {
                    let t = line.trim();
                    if !t.is_empty() && !t.starts_with('#') && !draft_lines.contains(t) {
                        new_imports.push(t.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    if !replaced.iter().any(|r| *r) && new_defs.is_empty() {
        return Err(
            "the answer defines no top-level function, class or assignment of the draft".into(),
        );
    }
    let first_replaced = replaced.iter().position(|r| *r);
    let last_import = d.iter().rposition(|b| b.kind == Kind::Import);
    let mut out = String::new();
    fn push(out: &mut String, text: &str, blank: usize) {
        out.push_str(text);
        out.push('\n');
        for _ in 0..blank {
            out.push('\n');
        }
    }
    let defs_at = first_replaced
        .or_else(|| d.iter().position(|b| b.kind == Kind::Main))
        .unwrap_or(d.len());
    let imports = new_imports.join("\n");
    for (i, b) in d.iter().enumerate() {
        if i == defs_at {
            for n in &new_defs {
                push(&mut out, n, 2);
            }
        }
        let imports_here = !new_imports.is_empty()
            && match last_import {
                Some(l) => l == i,
                None => i == 0,
            };
        if imports_here && last_import.is_none() && b.kind != Kind::Docstring {
            push(&mut out, &imports, 1);
        }
        if imports_here && (last_import.is_some() || b.kind == Kind::Docstring) {
            // Right after the draft's last import (or its docstring).
            push(&mut out, &b.text, 0);
            push(&mut out, &imports, b.trailing_blank.max(1));
        } else {
            push(&mut out, &b.text, b.trailing_blank);
        }
    }
    if defs_at == d.len() {
        for n in &new_defs {
            push(&mut out, n, 2);
        }
    }
    // The draft's final newline state.
    while out.ends_with("\n\n") {
        out.pop();
    }
    if !draft.ends_with('\n') && out.ends_with('\n') {
        out.pop();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DRAFT: &str = r#""""Module doc.

def not_a_def(): inside the docstring
"""
import sys

from pyspark.sql import functions as F

PARAMETERS = {
    "A": ("A", str, "x"),
}
SQL = """
SELECT 1
FROM t
"""


# The stub of Date().
def dsmig_stub_Date(*columns):
    def fail(*values):
        raise NotImplementedError("DataStage Date: translate by hand (dsmig)")

    return F.udf(fail, "string")(*columns)


@decorated
def stage_x(df, params):
    """Doc."""
    x = (1 +
2)
    return df


def transform(spark, inputs, params):
    if x:
        pass
    else:
        pass
    return inputs


if __name__ == "__main__":
    main()
"#;

    #[test]
    fn blocks_follow_top_level_statements() {
        let b = blocks(DRAFT);
        let kinds: Vec<(Kind, &str)> = b
            .iter()
            .map(|b| (b.kind.clone(), b.name.as_str()))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (Kind::Docstring, ""),
                (Kind::Import, ""),
                (Kind::Import, ""),
                (Kind::Assign, "PARAMETERS"),
                (Kind::Assign, "SQL"),
                (Kind::Def, "dsmig_stub_Date"),
                (Kind::Def, "stage_x"),
                (Kind::Def, "transform"),
                (Kind::Main, ""),
            ]
        );
        assert!(b[5].text.starts_with("# The stub"));
        assert_eq!(b[5].trailing_blank, 2);
        assert!(b[6].text.starts_with("@decorated"));
        // Splitting and joining loses nothing.
        let joined: String = b
            .iter()
            .map(|b| format!("{}\n{}", b.text, "\n".repeat(b.trailing_blank)))
            .collect();
        assert_eq!(joined.trim_end(), DRAFT.trim_end());
    }

    #[test]
    fn placeholders_are_named() {
        let p = placeholders(DRAFT);
        assert_eq!(
            p,
            vec![Placeholder {
                function: "dsmig_stub_Date".into(),
                message: "DataStage Date: translate by hand (dsmig)".into()
            }]
        );
        assert!(
            placeholder_functions(DRAFT).starts_with("# The stub of Date().\ndef dsmig_stub_Date")
        );
    }

    #[test]
    fn splice_replaces_adds_and_keeps_the_rest() {
        let answer = "Sure:\nimport datetime\nimport sys\n\ndef dsmig_stub_Date(*columns):\n    return F.current_date()\n\n\ndef helper():\n    return datetime.date.today()\n";
        let out = splice(DRAFT, answer).unwrap();
        assert!(out.contains("# The stub of Date().\ndef dsmig_stub_Date(*columns):\n    return F.current_date()\n\n\n@decorated\ndef stage_x"), "{out}");
        assert!(
            out.contains("def helper():\n    return datetime.date.today()\n\n\n# The stub"),
            "{out}"
        );
        assert!(
            out.contains("from pyspark.sql import functions as F\nimport datetime\n\nPARAMETERS"),
            "{out}"
        );
        assert_eq!(out.matches("import sys").count(), 1);
        assert!(!out.contains("NotImplementedError"));
        assert!(out.ends_with("    main()\n"));
        assert!(splice(DRAFT, "no code here").is_err());
    }
}
