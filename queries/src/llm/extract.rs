//! The code block of a response: the largest fenced block in the wanted
//! language (```python / ```py / ```sql ...), else the largest untagged
//! block, else — when the response has no fence at all — the whole text.

/// A fenced block: its info string (language) and its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub lang: String,
    pub code: String,
}

/// Every fenced block, in order. An unclosed last fence runs to the end
/// (a response cut short by the token limit).
pub fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let t = line.trim_start();
        let fence_len = t.bytes().take_while(|&b| b == b'`').count();
        let tilde_len = t.bytes().take_while(|&b| b == b'~').count();
        let (ch, n) = if fence_len >= 3 {
            ('`', fence_len)
        } else if tilde_len >= 3 {
            ('~', tilde_len)
        } else {
            continue;
        };
        let lang = t[n..]
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        let mut code = Vec::new();
        for body in lines.by_ref() {
            let bt = body.trim_start();
            let closing = bt.chars().take_while(|&c| c == ch).count();
            if closing >= n && bt[closing..].trim().is_empty() {
                break;
            }
            code.push(body);
        }
        let mut code = code.join("\n");
        code.push('\n');
        out.push(Block { lang, code });
    }
    out
}

fn aliases(lang: &str) -> &'static [&'static str] {
    match lang {
        "python" | "py" | "pyspark" => &["python", "py", "python3", "pyspark"],
        "sql" => &[
            "sql",
            "postgresql",
            "postgres",
            "plpgsql",
            "tsql",
            "teradata",
            "oracle",
            "plsql",
        ],
        "hcl" | "terraform" => &["hcl", "terraform", "tf"],
        _ => &[],
    }
}

/// The code to use for `lang` (`python`, `sql`, ...), or `None` when the
/// response only has blocks in other languages (or nothing).
pub fn extract_code(text: &str, lang: &str) -> Option<String> {
    let all = blocks(text);
    if all.is_empty() {
        let t = text.trim();
        return (!t.is_empty()).then(|| format!("{t}\n"));
    }
    let want = aliases(lang);
    let largest = |pred: &dyn Fn(&Block) -> bool| {
        all.iter()
            .filter(|b| pred(b))
            // Largest; the first of equals.
            .fold(None::<&Block>, |best, b| match best {
                Some(x) if x.code.len() >= b.code.len() => Some(x),
                _ => Some(b),
            })
            .map(|b| b.code.clone())
    };
    largest(&|b| b.lang == lang || want.contains(&b.lang.as_str()))
        .or_else(|| largest(&|b| b.lang.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_largest_block_of_the_language() {
        let r = "Here:\n```python\nx = 1\n```\nand the job:\n```python\nimport sys\nprint(sys.argv)\n```\n```sql\nSELECT 1 FROM a_much_longer_table_name_here;\n```\n";
        assert_eq!(
            extract_code(r, "python").unwrap(),
            "import sys\nprint(sys.argv)\n"
        );
        assert_eq!(
            extract_code(r, "sql").unwrap(),
            "SELECT 1 FROM a_much_longer_table_name_here;\n"
        );
        assert_eq!(extract_code(r, "hcl"), None);
    }

    #[test]
    fn untagged_unclosed_and_bare() {
        assert_eq!(
            extract_code("```\nselect 1;\n```", "sql").unwrap(),
            "select 1;\n"
        );
        assert_eq!(
            extract_code("```py\nx = 1\ny = ", "python").unwrap(),
            "x = 1\ny = \n"
        );
        assert_eq!(extract_code("select 1;", "sql").unwrap(), "select 1;\n");
        assert_eq!(extract_code("  \n", "sql"), None);
        // A nested fence of three inside a four-backtick block stays.
        let r = "````python\ns = '''\n```\n'''\n````";
        assert_eq!(extract_code(r, "python").unwrap(), "s = '''\n```\n'''\n");
    }
}
