//! Inline SVG charts, drawn here so the report needs no chart library.
//! Coordinates are printed with fixed decimals: same data, same bytes.

use std::fmt::Write;

use super::html::esc;

pub const CATEGORIES: [&str; 3] = ["AUTO", "SEMI-AUTO", "MANUAL"];

pub fn color(category: &str) -> &'static str {
    match category {
        "AUTO" => "#2e7d32",
        "SEMI-AUTO" => "#e0a100",
        "MANUAL" => "#c62828",
        _ => "#9e9e9e",
    }
}

fn open(out: &mut String, w: u32, h: u32, label: &str) {
    let _ = write!(
        out,
        r#"<svg class="chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{l}" xmlns="http://www.w3.org/2000/svg"><title>{l}</title>"#,
        l = esc(label)
    );
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// Donut of jobs per category, legend beside it.
pub fn category_donut(counts: &[(String, usize)]) -> String {
    let total: usize = counts.iter().map(|(_, n)| n).sum();
    let mut out = String::new();
    open(&mut out, 420, 200, "Jobs per migration category");
    let (cx, cy, r) = (100.0_f64, 100.0_f64, 70.0_f64);
    let circ = 2.0 * std::f64::consts::PI * r;
    let _ = write!(
        out,
        r##"<circle cx="{cx}" cy="{cy}" r="{r}" fill="none" stroke="#eee" stroke-width="30"/>"##
    );
    let mut offset = 0.0;
    for (cat, n) in counts {
        if *n == 0 || total == 0 {
            continue;
        }
        let len = circ * *n as f64 / total as f64;
        let _ = write!(
            out,
            r#"<circle cx="{cx}" cy="{cy}" r="{r}" fill="none" stroke="{}" stroke-width="30" stroke-dasharray="{:.2} {:.2}" stroke-dashoffset="{:.2}" transform="rotate(-90 {cx} {cy})"><title>{}: {}</title></circle>"#,
            color(cat),
            len,
            circ - len,
            -offset,
            esc(cat),
            n
        );
        offset += len;
    }
    let _ = write!(
        out,
        r#"<text x="{cx}" y="{:.0}" text-anchor="middle" class="big">{}</text><text x="{cx}" y="{:.0}" text-anchor="middle" class="muted">jobs</text>"#,
        cy + 4.0,
        total,
        cy + 22.0
    );
    for (i, (cat, n)) in counts.iter().enumerate() {
        let y = 50 + i as u32 * 34;
        let pct = if total == 0 {
            0.0
        } else {
            100.0 * *n as f64 / total as f64
        };
        let _ = write!(
            out,
            r#"<rect x="200" y="{}" width="16" height="16" rx="3" fill="{}"/><text x="224" y="{}">{} — {} ({:.0}%)</text>"#,
            y,
            color(cat),
            y + 13,
            esc(cat),
            n,
            pct
        );
    }
    out.push_str("</svg>");
    out
}

/// Vertical bars: (label, value, colour).
pub fn histogram(title: &str, bars: &[(String, usize, &str)], x_label: &str) -> String {
    let w = 620u32;
    let h = 240u32;
    let (left, right, top, bottom) = (40.0, 10.0, 20.0, 50.0);
    let max = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1) as f64;
    let n = bars.len().max(1) as f64;
    let slot = (w as f64 - left - right) / n;
    let bw = (slot * 0.75).max(1.0);
    let ph = h as f64 - top - bottom;
    let mut out = String::new();
    open(&mut out, w, h, title);
    let _ = write!(
        out,
        r##"<line x1="{left}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#999"/>"##,
        top + ph,
        w as f64 - right,
        top + ph
    );
    for (i, (label, v, colour)) in bars.iter().enumerate() {
        let bh = ph * *v as f64 / max;
        let x = left + slot * i as f64 + (slot - bw) / 2.0;
        let y = top + ph - bh;
        let _ = write!(
            out,
            r#"<rect x="{x:.1}" y="{y:.1}" width="{bw:.1}" height="{bh:.1}" fill="{colour}"><title>{}: {}</title></rect>"#,
            esc(label),
            v
        );
        if *v > 0 {
            let _ = write!(
                out,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" class="small">{}</text>"#,
                x + bw / 2.0,
                y - 4.0,
                v
            );
        }
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" class="small">{}</text>"#,
            x + bw / 2.0,
            top + ph + 14.0,
            esc(label)
        );
    }
    let _ = write!(
        out,
        r#"<text x="{:.1}" y="{}" text-anchor="middle" class="muted">{}</text></svg>"#,
        left + (w as f64 - left - right) / 2.0,
        h - 10,
        esc(x_label)
    );
    out
}

/// Horizontal bars: (label, value, colour), largest first.
pub fn hbars(title: &str, bars: &[(String, usize, &str)]) -> String {
    let row = 22u32;
    let w = 620u32;
    let label_w = 260.0;
    let h = 10 + row * bars.len().max(1) as u32;
    let max = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1) as f64;
    let pw = w as f64 - label_w - 50.0;
    let mut out = String::new();
    open(&mut out, w, h, title);
    for (i, (label, v, colour)) in bars.iter().enumerate() {
        let y = 5 + i as u32 * row;
        let bw = (pw * *v as f64 / max).max(1.0);
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{}" text-anchor="end" class="small">{}</text><rect x="{label_w:.1}" y="{}" width="{bw:.1}" height="{}" fill="{colour}"><title>{}: {}</title></rect><text x="{:.1}" y="{}" class="small">{}</text>"#,
            label_w - 6.0,
            y + 14,
            esc(&truncate(label, 40)),
            y + 2,
            row - 6,
            esc(label),
            v,
            label_w + bw + 4.0,
            y + 14,
            v
        );
    }
    out.push_str("</svg>");
    out
}

/// Stacked bars of jobs per wave and category.
pub fn waves(counts: &[Vec<(String, usize)>]) -> String {
    let w = 620u32;
    let h = 240u32;
    let (left, right, top, bottom) = (40.0, 10.0, 20.0, 50.0);
    let totals: Vec<usize> = counts.iter().map(|c| c.iter().map(|x| x.1).sum()).collect();
    let max = totals.iter().copied().max().unwrap_or(0).max(1) as f64;
    let n = counts.len().max(1) as f64;
    let slot = (w as f64 - left - right) / n;
    let bw = (slot * 0.75).max(1.0);
    let ph = h as f64 - top - bottom;
    let mut out = String::new();
    open(&mut out, w, h, "Jobs per migration wave and category");
    let _ = write!(
        out,
        r##"<line x1="{left}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#999"/>"##,
        top + ph,
        w as f64 - right,
        top + ph
    );
    let label_every = (counts.len() / 20).max(1);
    for (i, cats) in counts.iter().enumerate() {
        let x = left + slot * i as f64 + (slot - bw) / 2.0;
        let mut y = top + ph;
        for (cat, v) in cats {
            if *v == 0 {
                continue;
            }
            let bh = ph * *v as f64 / max;
            y -= bh;
            let _ = write!(
                out,
                r#"<rect x="{x:.1}" y="{y:.1}" width="{bw:.1}" height="{bh:.1}" fill="{}"><title>wave {i}, {}: {}</title></rect>"#,
                color(cat),
                esc(cat),
                v
            );
        }
        if totals[i] > 0 && counts.len() <= 30 {
            let _ = write!(
                out,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" class="small">{}</text>"#,
                x + bw / 2.0,
                y - 4.0,
                totals[i]
            );
        }
        if i % label_every == 0 {
            let _ = write!(
                out,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" class="small">{i}</text>"#,
                x + bw / 2.0,
                top + ph + 14.0
            );
        }
    }
    let _ = write!(
        out,
        r#"<text x="{:.1}" y="{}" text-anchor="middle" class="muted">wave (0 = migrate first)</text></svg>"#,
        left + (w as f64 - left - right) / 2.0,
        h - 10
    );
    out
}
