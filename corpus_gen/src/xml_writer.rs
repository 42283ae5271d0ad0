//! Legacy DataStage XML export writer (`<DSExport>`).
//!
//! Mapping (reference §3): `Record@Type` = OLEType without the leading `C`,
//! `Collection@Name` = heading key, `@Type` = class without `C`,
//! `PreFormatted="1"` for multi-line values. Control characters (property
//! tree separators) are written with the DSX `\(H)` escape; backslashes are
//! written raw.

use super::dsx_writer::Header;
use super::model::{Item, Job, Prop, Record, Val};

pub fn write_header(out: &mut String, h: &Header) {
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DSExport>\n");
    out.push_str("   <Header CharacterSet=\"");
    esc(out, h.charset);
    out.push_str(
        "\" ExportingTool=\"IBM InfoSphere DataStage Export\" ToolVersion=\"8\" ServerName=\"",
    );
    esc(out, h.server_name);
    out.push_str("\" ToolInstanceID=\"");
    esc(out, h.project);
    out.push_str("\" MDISVersion=\"1.0\" Date=\"");
    esc(out, h.date);
    out.push_str("\" Time=\"");
    esc(out, h.time);
    out.push_str("\" ServerVersion=\"");
    esc(out, h.server_version);
    out.push_str("\"/>\n");
}

pub fn write_footer(out: &mut String) {
    out.push_str("</DSExport>\n");
}

fn esc(out: &mut String, v: &str) {
    for c in v.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' => out.push(c),
            c if (c as u32) < 0x20 => {
                out.push_str("\\(");
                out.push_str(&format!("{:X}", c as u32));
                out.push(')');
            }
            c => out.push(c),
        }
    }
}

fn strip_c(s: &str) -> &str {
    s.strip_prefix('C').unwrap_or(s)
}

const PAD: &str = "                              ";

fn prop(out: &mut String, ind: usize, p: &Prop) {
    let (v, pre) = match &p.val {
        Val::Q(v) => (v, v.contains('\n')),
        Val::M(v) => (v, true),
        Val::None => return,
    };
    out.push_str(&PAD[..ind]);
    out.push_str("<Property Name=\"");
    out.push_str(p.key);
    if pre {
        out.push_str("\" PreFormatted=\"1\">");
    } else {
        out.push_str("\">");
    }
    esc(out, v);
    out.push_str("</Property>\n");
}

pub fn write_record(out: &mut String, ind: usize, r: &Record, tag: &str) {
    out.push_str(&PAD[..ind]);
    out.push('<');
    out.push_str(tag);
    out.push_str(" Identifier=\"");
    esc(out, &r.id);
    out.push_str("\" Type=\"");
    out.push_str(strip_c(r.ole));
    out.push('"');
    let mut items = r.items.as_slice();
    if let Some(Item::P(p)) = items.first()
        && p.key == "Readonly"
        && let Val::Q(v) = &p.val
    {
        out.push_str(" Readonly=\"");
        esc(out, v);
        out.push('"');
        items = &items[1..];
    }
    out.push_str(">\n");
    let i2 = ind + 3;
    for it in items {
        match it {
            Item::P(p) => prop(out, i2, p),
            Item::C { key, class, subs } => {
                out.push_str(&PAD[..i2]);
                out.push_str("<Collection Name=\"");
                out.push_str(key);
                out.push_str("\" Type=\"");
                out.push_str(strip_c(class));
                out.push_str("\">\n");
                for sub in subs {
                    out.push_str(&PAD[..i2 + 3]);
                    out.push_str("<SubRecord>\n");
                    for p in sub {
                        prop(out, i2 + 6, p);
                    }
                    out.push_str(&PAD[..i2 + 3]);
                    out.push_str("</SubRecord>\n");
                }
                out.push_str(&PAD[..i2]);
                out.push_str("</Collection>\n");
            }
        }
    }
    out.push_str(&PAD[..ind]);
    out.push_str("</");
    out.push_str(tag);
    out.push_str(">\n");
}

pub fn write_job(out: &mut String, j: &Job) {
    out.push_str("   <Job Identifier=\"");
    esc(out, &j.name);
    out.push_str("\" DateModified=\"");
    esc(out, &j.date);
    out.push_str("\" TimeModified=\"");
    esc(out, &j.time);
    out.push_str("\">\n");
    for r in &j.records {
        write_record(out, 6, r, "Record");
    }
    out.push_str("   </Job>\n");
}
