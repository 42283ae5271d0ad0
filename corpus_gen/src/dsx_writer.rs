//! DSX text writer (LF; the caller converts whole files to CRLF).

use super::model::{Item, Job, Prop, Record, Val};

pub struct Header<'a> {
    pub charset: &'a str,
    pub server_name: &'a str,
    pub project: &'a str,
    pub date: &'a str,
    pub time: &'a str,
    pub server_version: &'a str,
}

pub fn write_header(out: &mut String, h: &Header) {
    out.push_str("BEGIN HEADER\n");
    kv(out, 3, "CharacterSet", h.charset);
    kv(out, 3, "ExportingTool", "IBM InfoSphere DataStage Export");
    kv(out, 3, "ToolVersion", "8");
    kv(out, 3, "ServerName", h.server_name);
    kv(out, 3, "ToolInstanceID", h.project);
    kv(out, 3, "MDISVersion", "1.0");
    kv(out, 3, "Date", h.date);
    kv(out, 3, "Time", h.time);
    kv(out, 3, "ServerVersion", h.server_version);
    out.push_str("END HEADER\n");
}

/// Escape a logical value for a quoted DSX value.
pub fn escape_into(out: &mut String, v: &str) {
    for c in v.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7E => {
                out.push_str("\\(");
                push_hex(out, c as u32);
                out.push(')');
            }
            c => out.push(c),
        }
    }
}

fn push_hex(out: &mut String, mut x: u32) {
    const H: &[u8; 16] = b"0123456789ABCDEF";
    let mut buf = [0u8; 8];
    let mut n = 0;
    loop {
        buf[n] = H[(x & 15) as usize];
        n += 1;
        x >>= 4;
        if x == 0 {
            break;
        }
    }
    for i in (0..n).rev() {
        out.push(buf[i] as char);
    }
}

const PAD: &str = "                              ";

fn indent(out: &mut String, n: usize) {
    out.push_str(&PAD[..n]);
}

pub fn kv(out: &mut String, ind: usize, key: &str, v: &str) {
    indent(out, ind);
    out.push_str(key);
    out.push_str(" \"");
    escape_into(out, v);
    out.push_str("\"\n");
}

fn prop(out: &mut String, ind: usize, p: &Prop) {
    match &p.val {
        Val::Q(v) => kv(out, ind, p.key, v),
        Val::M(v) => {
            indent(out, ind);
            out.push_str(p.key);
            out.push_str(" =+=+=+=\n");
            out.push_str(v);
            out.push_str("\n=+=+=+=\n");
        }
        Val::None => {}
    }
}

pub fn write_record(out: &mut String, ind: usize, r: &Record) {
    indent(out, ind);
    out.push_str("BEGIN DSRECORD\n");
    let i2 = ind + 3;
    kv(out, i2, "Identifier", &r.id);
    write_items(out, i2, r);
    indent(out, ind);
    out.push_str("END DSRECORD\n");
}

/// Items of a record; `OLEType` goes right after `Identifier` unless the
/// record carries it itself later (top-level param sets / table defs put
/// dates first, see `write_record_dated`).
fn write_items(out: &mut String, ind: usize, r: &Record) {
    kv(out, ind, "OLEType", r.ole);
    write_body(out, ind, r);
}

fn write_body(out: &mut String, ind: usize, r: &Record) {
    for it in &r.items {
        match it {
            Item::P(p) => prop(out, ind, p),
            Item::C { key, class, subs } => {
                kv(out, ind, key, class);
                for sub in subs {
                    indent(out, ind);
                    out.push_str("BEGIN DSSUBRECORD\n");
                    for p in sub {
                        prop(out, ind + 3, p);
                    }
                    indent(out, ind);
                    out.push_str("END DSSUBRECORD\n");
                }
            }
        }
    }
}

/// Records of `DSTABLEDEFS` / `DSPARAMETERSETS`: Identifier, dates, OLEType.
pub fn write_record_dated(out: &mut String, r: &Record, date: &str, time: &str) {
    out.push_str("   BEGIN DSRECORD\n");
    kv(out, 6, "Identifier", &r.id);
    kv(out, 6, "DateModified", date);
    kv(out, 6, "TimeModified", time);
    kv(out, 6, "OLEType", r.ole);
    write_body(out, 6, r);
    out.push_str("   END DSRECORD\n");
}

pub fn write_job(out: &mut String, j: &Job) {
    out.push_str("BEGIN DSJOB\n");
    kv(out, 3, "Identifier", &j.name);
    kv(out, 3, "DateModified", &j.date);
    kv(out, 3, "TimeModified", &j.time);
    for r in &j.records {
        write_record(out, 3, r);
    }
    out.push_str("END DSJOB\n");
}
