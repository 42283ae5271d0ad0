//! Plain-text tables that fit the terminal: cells are cut with `…`
//! rather than wrapped. When the table is too wide, the columns that may
//! shrink do so in their order (paths first, the job name last and never
//! below a width that keeps it recognisable, cut in the middle); if that is
//! not enough, the least useful columns are left out.

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
    /// Left-aligned, cut at the start (paths: the file name matters most).
    LeftKeepEnd,
    /// Left-aligned, cut in the middle (names: `EXT_custo…shot_816`
    /// keeps both the prefix and a distinguishing suffix).
    LeftKeepEnds,
}

/// One column of a table.
#[derive(Clone, Copy)]
pub struct Col {
    pub header: &'static str,
    pub align: Align,
    /// When the table is too wide: `Some((order, min))` lets the column
    /// shrink to `min` characters, lower orders first; `None` keeps it whole.
    pub shrink: Option<(u8, usize)>,
    /// If shrinking is not enough: columns are left out, lower ranks first;
    /// `None` is never left out.
    pub drop: Option<u8>,
}

impl Col {
    pub fn new(header: &'static str, align: Align) -> Col {
        Col {
            header,
            align,
            shrink: None,
            drop: None,
        }
    }
    pub fn shrink(mut self, order: u8, min: usize) -> Col {
        self.shrink = Some((order, min));
        self
    }
    pub fn drop(mut self, rank: u8) -> Col {
        self.drop = Some(rank);
        self
    }
}

/// Column widths that fit `width` (the columns left out are `None`).
fn layout(cols: &[Col], rows: &[Vec<String>], width: usize) -> Vec<Option<usize>> {
    let natural: Vec<usize> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| clean(c).chars().count())
                .chain([c.header.chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut shown: Vec<bool> = vec![true; cols.len()];
    loop {
        let mut widths: Vec<Option<usize>> = natural
            .iter()
            .zip(&shown)
            .map(|(w, s)| s.then_some(*w))
            .collect();
        let total = |w: &[Option<usize>]| {
            let n = w.iter().flatten().count();
            w.iter().flatten().sum::<usize>() + 2 * n.saturating_sub(1)
        };
        let mut order: Vec<usize> = (0..cols.len())
            .filter(|&i| shown[i] && cols[i].shrink.is_some())
            .collect();
        order.sort_by_key(|&i| cols[i].shrink.map(|(o, _)| o));
        for i in order {
            let over = total(&widths).saturating_sub(width);
            if over == 0 {
                break;
            }
            let (_, min) = cols[i].shrink.unwrap_or((0, usize::MAX));
            let min = min.max(cols[i].header.chars().count()).max(2);
            if let Some(w) = widths[i].as_mut() {
                *w -= over.min(w.saturating_sub(min));
            }
        }
        if total(&widths) <= width {
            return widths;
        }
        let next = (0..cols.len())
            .filter(|&i| shown[i] && cols[i].drop.is_some())
            .min_by_key(|&i| cols[i].drop);
        match next {
            Some(i) => shown[i] = false,
            None => return widths,
        }
    }
}

/// Render rows under a header, to at most `width` characters a line when
/// the columns allow it.
pub fn render(cols: &[Col], rows: &[Vec<String>], width: usize) -> String {
    let widths = layout(cols, rows, width);
    let last = widths.iter().rposition(Option::is_some);
    let mut out = String::new();
    let line = |cells: &[String], out: &mut String| {
        let mut parts = Vec::with_capacity(cols.len());
        for (i, w) in widths.iter().enumerate() {
            let Some(w) = *w else { continue };
            let cell = cells.get(i).map(String::as_str).unwrap_or("");
            let a = cols[i].align;
            let cut = match a {
                Align::LeftKeepEnd => fit_end(cell, w),
                Align::LeftKeepEnds => fit_middle(cell, w),
                _ => fit(cell, w),
            };
            let pad = w.saturating_sub(cut.chars().count());
            if a == Align::Right {
                parts.push(format!("{}{}", " ".repeat(pad), cut));
            } else if Some(i) == last {
                parts.push(cut);
            } else {
                parts.push(format!("{}{}", cut, " ".repeat(pad)));
            }
        }
        out.push_str(parts.join("  ").trim_end());
        out.push('\n');
    };
    let head: Vec<String> = cols.iter().map(|c| c.header.to_string()).collect();
    line(&head, &mut out);
    for r in rows {
        line(r, &mut out);
    }
    out
}

/// Control characters shown escaped so a hostile job name cannot drive
/// the terminal.
fn clean(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

/// Wrap `text` at spaces to lines of at most `width` characters (a word
/// longer than that is cut); continuation lines start with `indent`.
pub fn wrap(text: &str, width: usize, indent: &str) -> String {
    let width = width.max(indent.chars().count() + 10);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let len = line.chars().count();
        if !line.trim().is_empty() && len + 1 + word.chars().count() > width {
            lines.push(std::mem::replace(&mut line, indent.to_string()));
        } else if len > 0 && !line.trim().is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    let mut out = String::new();
    for l in lines {
        out.push_str(&fit(l.trim_end(), width));
        out.push('\n');
    }
    out
}

/// Cut to `w` characters with a trailing `…`; control characters shown
/// escaped so a hostile job name cannot drive the terminal.
pub fn fit(s: &str, w: usize) -> String {
    let clean = clean(s);
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

/// Like [`fit`], but keeps both ends: `EXT_custo…shot_816`.
pub fn fit_middle(s: &str, w: usize) -> String {
    let clean = clean(s);
    let n = clean.chars().count();
    if n <= w {
        return clean;
    }
    let keep = w.saturating_sub(1);
    let head = keep.div_ceil(2);
    let tail = keep - head;
    let mut out: String = clean.chars().take(head).collect();
    out.push('…');
    out.extend(clean.chars().skip(n - tail));
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
        let cols = [
            Col::new("JOB", Align::LeftKeepEnds).shrink(1, 4),
            Col::new("N", Align::Right),
        ];
        let t = render(&cols, &rows, 16);
        assert!(t.lines().all(|l| l.chars().count() <= 16), "{t}");
        assert!(t.contains("a_very…ndeed"), "{t}");
        assert_eq!(fit("a\u{1b}[31m", 20), "a\\u{1b}[31m");
        assert_eq!(fit_end("dir/sub/file.dsx", 9), "…file.dsx");
        assert_eq!(fit_middle("EXT_customer_snapshot_816", 12), "EXT_cu…t_816");
    }

    #[test]
    fn shrinks_in_order_then_leaves_columns_out() {
        let rows = vec![vec![
            "a_long_job_name_0001".to_string(),
            "12".to_string(),
            "34".to_string(),
            "some/folder/file.dsx:12".to_string(),
        ]];
        let cols = [
            Col::new("JOB", Align::LeftKeepEnds).shrink(2, 12),
            Col::new("ONE", Align::Right).drop(1),
            Col::new("TWO", Align::Right).drop(0),
            Col::new("FILE", Align::LeftKeepEnd).shrink(1, 8),
        ];
        // Everything fits.
        let t = render(&cols, &rows, 80);
        assert!(
            t.contains("some/folder/file.dsx:12") && t.contains("ONE"),
            "{t}"
        );
        // The path shrinks first.
        let t = render(&cols, &rows, 48);
        assert!(t.contains("a_long_job_name_0001") && t.contains("…"), "{t}");
        // Then the job name, to its minimum.
        let t = render(&cols, &rows, 32);
        assert!(t.contains("TWO") && t.contains("a_long…_0001"), "{t}");
        // Then TWO is left out, and the room it leaves goes back.
        let t = render(&cols, &rows, 28);
        assert!(!t.contains("TWO") && t.contains("ONE"), "{t}");
        assert!(t.lines().all(|l| l.chars().count() <= 28), "{t}");
        assert!(
            t.contains("a_long_job_name_0001") || t.contains("…e_0001"),
            "{t}"
        );
        assert_eq!(
            wrap("aaa bbb ccc ddd eee", 12, "  "),
            "aaa bbb ccc\n  ddd eee\n"
        );
    }
}
