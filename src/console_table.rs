//! Plain-text tables that fit the terminal: columns are shrunk (widest
//! first) and cut with `…` rather than wrapped.

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
    /// Left-aligned, cut at the start (paths: the file name matters most).
    LeftKeepEnd,
}

/// Render rows under a header, one alignment per column.
pub fn render(header: &[&str], rows: &[Vec<String>], align: &[Align], width: usize) -> String {
    let n = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate().take(n) {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let min_width = |i: usize| header[i].chars().count().max(4);
    let total = |w: &[usize]| w.iter().sum::<usize>() + 2 * (n.saturating_sub(1));
    while total(&widths) > width {
        let Some((i, _)) = widths
            .iter()
            .enumerate()
            .filter(|(i, w)| **w > min_width(*i))
            .max_by_key(|(_, w)| **w)
        else {
            break;
        };
        widths[i] -= 1;
    }
    let mut out = String::new();
    let line = |cells: &[String], out: &mut String| {
        let mut parts = Vec::with_capacity(n);
        for (i, &w) in widths.iter().enumerate() {
            let cell = cells.get(i).map(String::as_str).unwrap_or("");
            let a = align.get(i).copied().unwrap_or(Align::Left);
            let cut = if a == Align::LeftKeepEnd {
                fit_end(cell, w)
            } else {
                fit(cell, w)
            };
            let pad = w.saturating_sub(cut.chars().count());
            if a == Align::Right {
                parts.push(format!("{}{}", " ".repeat(pad), cut));
            } else if i + 1 == n {
                parts.push(cut);
            } else {
                parts.push(format!("{}{}", cut, " ".repeat(pad)));
            }
        }
        out.push_str(parts.join("  ").trim_end());
        out.push('\n');
    };
    let head: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    line(&head, &mut out);
    for r in rows {
        line(r, &mut out);
    }
    out
}

/// Cut to `w` characters with a trailing `…`; control characters shown
/// escaped so a hostile job name cannot drive the terminal.
pub fn fit(s: &str, w: usize) -> String {
    let clean: String = s
        .chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect();
    if clean.chars().count() <= w {
        return clean;
    }
    let mut out: String = clean.chars().take(w.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Like [`fit`], but keeps the end: `…ject/file.dsx:12`.
pub fn fit_end(s: &str, w: usize) -> String {
    let clean = fit(s, usize::MAX);
    let n = clean.chars().count();
    if n <= w {
        return clean;
    }
    let mut out = String::from("…");
    out.extend(clean.chars().skip(n - w.saturating_sub(1)));
    out
}

/// Terminal width, or 100 when not a terminal.
pub fn terminal_width() -> usize {
    let term = console::Term::stdout();
    if term.is_term() {
        term.size().1 as usize
    } else {
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_width_and_escapes_controls() {
        let rows = vec![vec![
            "a_very_long_job_name_indeed".to_string(),
            "12".to_string(),
        ]];
        let t = render(&["JOB", "N"], &rows, &[Align::Left, Align::Right], 16);
        assert!(t.lines().all(|l| l.chars().count() <= 16), "{t}");
        assert!(t.contains('…'));
        assert_eq!(fit("a\u{1b}[31m", 20), "a\\u{1b}[31m");
        assert_eq!(fit_end("dir/sub/file.dsx", 9), "…file.dsx");
    }
}
