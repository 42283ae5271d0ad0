//! Checking answers before they replace a draft: Python must compile
//! (`compile()`, what `py_compile` does, without writing a `.pyc`), SQL
//! must parse with sqlglot in its dialect. One Python process checks a
//! whole round of answers. The interpreter is `DSMIG_PYTHON`, else
//! `python3`.

use std::io::Write;
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

/// The language of a code file, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lang {
    Python,
    Sql,
}

impl Lang {
    pub fn of_path(path: &str) -> Option<Lang> {
        if path.ends_with(".py") {
            Some(Lang::Python)
        } else if path.ends_with(".sql") {
            Some(Lang::Sql)
        } else {
            None
        }
    }

    /// The fence tag of its code blocks.
    pub fn fence(self) -> &'static str {
        match self {
            Lang::Python => "python",
            Lang::Sql => "sql",
        }
    }

    pub fn comment(self) -> &'static str {
        match self {
            Lang::Python => "#",
            Lang::Sql => "--",
        }
    }

    /// Whether answers hold only changed functions, spliced into the draft.
    pub fn splices(self) -> bool {
        self == Lang::Python
    }

    pub fn checker(self) -> &'static str {
        match self {
            Lang::Python => "Python's compile()",
            Lang::Sql => "sqlglot",
        }
    }
}

/// One answer to check.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub lang: Lang,
    /// sqlglot dialect (`postgres`, `teradata`, `oracle`, `tsql`), or empty.
    pub dialect: String,
    pub name: String,
    pub code: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    /// Passed, with a caveat (a statement sqlglot only knows as a command).
    OkWith(String),
    Failed(String),
    /// No checker here (no Python, no sqlglot).
    Unchecked(String),
}

const SCRIPT: &str = r#"
import json, re, sys
items = json.load(sys.stdin)
out = []
for it in items:
    code = it["code"]
    if it["lang"] == "Python":
        try:
            compile(code, it["name"], "exec")
            out.append({"ok": True})
        except SyntaxError as e:
            text = (e.text or "").strip()
            out.append({"ok": False, "error": "SyntaxError: %s (line %s, column %s): %s" % (e.msg, e.lineno, e.offset, text[:200])})
        except Exception as e:
            out.append({"ok": False, "error": "%s: %s" % (type(e).__name__, str(e)[:300])})
        continue
    try:
        import sqlglot
        from sqlglot import exp
    except Exception:
        out.append({"ok": None, "error": "sqlglot is not installed for this Python"})
        continue
    lines = [l for l in code.splitlines() if not l.lstrip().startswith(".")]
    try:
        stmts = sqlglot.parse("\n".join(lines), read=(it["dialect"] or None))
        commands = [s for s in stmts if isinstance(s, exp.Command)]
        if commands:
            out.append({"ok": True, "note": "%d statement(s) sqlglot only knows as commands, not verified" % len(commands)})
        else:
            out.append({"ok": True})
    except Exception as e:
        plain = re.sub(r"\x1b\[[0-9;]*m", "", str(e))
        out.append({"ok": False, "error": "%s: %s" % (type(e).__name__, " ".join(plain.split())[:300])})
json.dump(out, sys.stdout)
"#;

/// The interpreter: `DSMIG_PYTHON`, else `python3`.
pub fn python() -> String {
    std::env::var("DSMIG_PYTHON")
        .ok()
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| "python3".into())
}

/// Check every item; verdicts in the same order.
pub fn check(items: &[Item]) -> Vec<Verdict> {
    if items.is_empty() {
        return Vec::new();
    }
    let py = python();
    let unchecked = |why: String| vec![Verdict::Unchecked(why); items.len()];
    let input = match serde_json::to_vec(items) {
        Ok(v) => v,
        Err(e) => return unchecked(e.to_string()),
    };
    let child = Command::new(&py)
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            return unchecked(format!(
                "cannot run {py} ({e}); set DSMIG_PYTHON to a Python 3 interpreter"
            ));
        }
    };
    // Written from a thread: a large batch would fill the pipe while the
    // child's answer fills the other one.
    let writer = child.stdin.take().map(|mut stdin| {
        std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        })
    });
    let out = child.wait_with_output();
    if let Some(w) = writer {
        let _ = w.join();
    }
    let out = match out {
        Ok(o) => o,
        Err(e) => return unchecked(format!("{py}: {e}")),
    };
    #[derive(Deserialize)]
    struct R {
        ok: Option<bool>,
        #[serde(default)]
        error: String,
        #[serde(default)]
        note: String,
    }
    let parsed: Result<Vec<R>, _> = serde_json::from_slice(&out.stdout);
    match parsed {
        Ok(rs) if rs.len() == items.len() => rs
            .into_iter()
            .map(|r| match r.ok {
                Some(true) if r.note.is_empty() => Verdict::Ok,
                Some(true) => Verdict::OkWith(r.note),
                Some(false) => Verdict::Failed(r.error),
                None => Verdict::Unchecked(r.error),
            })
            .collect(),
        _ => {
            let err = String::from_utf8_lossy(&out.stderr);
            let first = err.lines().last().unwrap_or("").trim().to_string();
            unchecked(format!("{py} could not check the answers: {first}"))
        }
    }
}

/// sqlglot's name for a dsmig target's dialect (`sql:postgres` → `postgres`).
pub fn sqlglot_dialect(target: &str) -> String {
    let d = target.split_once([':', '/']).map(|(_, d)| d).unwrap_or("");
    crate::dialects::Dialect::parse(d)
        .and_then(|d| d.sqlglot())
        .unwrap_or_default()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_compiles_or_says_where_it_fails() {
        let items = vec![
            Item {
                lang: Lang::Python,
                dialect: String::new(),
                name: "a.py".into(),
                code: "def f(x):\n    return x\n".into(),
            },
            Item {
                lang: Lang::Python,
                dialect: String::new(),
                name: "b.py".into(),
                code: "def f(x:\n    return x\n".into(),
            },
        ];
        let v = check(&items);
        if matches!(v[0], Verdict::Unchecked(_)) {
            // No Python on this machine: nothing more to assert.
            return;
        }
        assert_eq!(v[0], Verdict::Ok);
        let Verdict::Failed(e) = &v[1] else {
            panic!("{v:?}")
        };
        assert!(e.contains("SyntaxError") && e.contains("line"), "{e}");
        assert_eq!(sqlglot_dialect("sql:sqlserver"), "tsql");
        // SQL, where sqlglot is installed (scripts/test's Python has it).
        let sql = |code: &str| Item {
            lang: Lang::Sql,
            dialect: "postgres".into(),
            name: "j.sql".into(),
            code: code.into(),
        };
        let v = check(&[
            sql("SELECT a FROM t WHERE b = 1;"),
            sql("SELECT a FROM WHERE;"),
        ]);
        if !matches!(v[0], Verdict::Unchecked(_)) {
            assert_eq!(v[0], Verdict::Ok);
            assert!(matches!(v[1], Verdict::Failed(_)), "{v:?}");
        }
        assert_eq!(sqlglot_dialect("glue"), "");
    }
}
