//! Scrub secrets from prompt text before it leaves the machine: a second
//! line of defence behind the parse-time redaction of the IR
//! ([`crate::parse::props::redact`]). What it removes:
//! - engine-encrypted values (`{iisenc}...`, `{dsnenc}...`);
//! - values of password-like names ([`is_secret_name`]) in `name=value`,
//!   `name: value`, `name => value`, `"name": "value"`, connection strings
//!   (`...;Pwd=x;...`), XML elements (`<Password>x</Password>`, CDATA too)
//!   and the OSH / command-line form `-password x`;
//! - the password of a URL's user info (`scheme://user:pass@host`).
//!
//! `#PARAM#` references and empty values are kept, as at parse time.

use crate::parse::props::is_secret_name;

use super::provider::ChatRequest;

pub const REDACTED: &str = "<redacted>";

/// `req` with its system prompt and prompt scrubbed.
pub fn scrub_request(req: &ChatRequest) -> ChatRequest {
    ChatRequest {
        system: scrub(&req.system),
        prompt: scrub(&req.prompt),
        ..req.clone()
    }
}

pub fn scrub(text: &str) -> String {
    let t = scrub_encrypted(text);
    let t = scrub_userinfo(&t);
    scrub_named(&t)
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'$' | b'.' | b'-')
}

/// Ends an unquoted value.
fn is_delim(b: u8) -> bool {
    b.is_ascii_whitespace()
        || matches!(
            b,
            b';' | b','
                | b'&'
                | b'('
                | b')'
                | b'['
                | b']'
                | b'{'
                | b'}'
                | b'"'
                | b'\''
                | b'<'
                | b'>'
        )
}

fn keep(v: &str) -> bool {
    let t = v.trim();
    t.is_empty()
        || t == REDACTED
        || (t.len() > 2
            && t.starts_with('#')
            && t.ends_with('#')
            && !t[1..t.len() - 1].contains('#'))
}

fn scrub_encrypted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let next = ["{iisenc}", "{dsnenc}"]
            .iter()
            .filter_map(|m| rest.find(m))
            .min();
        let Some(at) = next else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..at]);
        out.push_str(REDACTED);
        let after = &rest[at + 8..];
        let end = after
            .bytes()
            .position(|b| {
                b.is_ascii_whitespace()
                    || matches!(b, b'"' | b'\'' | b';' | b',' | b'<' | b')' | b']')
            })
            .unwrap_or(after.len());
        rest = &after[end..];
    }
}

fn scrub_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let auth_end = tail
            .bytes()
            .position(|b| b.is_ascii_whitespace() || matches!(b, b'/' | b'"' | b'\'' | b'?' | b'#'))
            .unwrap_or(tail.len());
        let authority = &tail[..auth_end];
        match authority.rfind('@') {
            Some(atsign) if authority[..atsign].contains(':') => {
                let colon = authority[..atsign].find(':').unwrap_or(0);
                let pass = &authority[colon + 1..atsign];
                out.push_str(&authority[..colon + 1]);
                out.push_str(if keep(pass) { pass } else { REDACTED });
                out.push_str(&authority[atsign..]);
                rest = &tail[auth_end..];
            }
            _ => rest = tail,
        }
    }
    out.push_str(rest);
    out
}

fn scrub_named(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let mut i = 0;
    while i < b.len() {
        if is_word(b[i]) && (i == 0 || !is_word(b[i - 1])) {
            let mut j = i;
            while j < b.len() && is_word(b[j]) {
                j += 1;
            }
            if is_secret_name(&text[i..j])
                && let Some((vs, ve)) = find_value(text, i, j)
            {
                if !keep(&text[vs..ve]) {
                    out.push_str(&text[last..vs]);
                    out.push_str(REDACTED);
                    last = ve;
                }
                i = j.max(ve);
                continue;
            }
            i = j;
            continue;
        }
        i += 1;
    }
    out.push_str(&text[last..]);
    out
}

fn skip_blanks(b: &[u8], mut k: usize) -> usize {
    while k < b.len() && (b[k] == b' ' || b[k] == b'\t') {
        k += 1;
    }
    k
}

/// The byte range of the value that follows the secret name `text[ws..we]`.
fn find_value(text: &str, ws: usize, we: usize) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    let before = (ws > 0).then(|| b[ws - 1]);
    // <Password>value</Password>, <Password><![CDATA[value]]></Password>
    if before == Some(b'<') {
        // Attributes may follow the name: <Password modified='1' type='string'>.
        let k = we;
        if k >= b.len() || !(b[k] == b'>' || b[k] == b' ' || b[k] == b'\t') {
            return None;
        }
        let close = text[k..].find('>').map(|e| k + e)?;
        if close > 0 && b[close - 1] == b'/' {
            return None;
        }
        let vs = close + 1;
        let rest = &text[vs..];
        if let Some(cdata) = rest.strip_prefix("<![CDATA[") {
            let start = vs + 9;
            let end = cdata.find("]]>").map(|e| start + e).unwrap_or(b.len());
            return Some((start, end));
        }
        let end = rest.find('<').map(|e| vs + e).unwrap_or(b.len());
        return Some((vs, end));
    }
    let mut k = we;
    let quote = before.filter(|q| *q == b'"' || *q == b'\'');
    if let Some(q) = quote
        && k < b.len()
        && b[k] == q
    {
        k += 1;
    }
    let after_name = k;
    k = skip_blanks(b, k);
    let sep = if text[k..].starts_with("=>") || text[k..].starts_with(":=") {
        2
    } else if k < b.len() && (b[k] == b'=' || b[k] == b':') {
        1
    } else {
        0
    };
    if sep == 0
        && quote.is_some()
        && let Some(v) = value_after_name_field(text, after_name)
    {
        return Some(v);
    }
    if sep == 0 {
        // `-password s3cret`, `Password s3cret`: only for the plain words,
        // and only for a value that does not read like prose.
        let word = text[ws..we].trim_start_matches('-').to_ascii_lowercase();
        if !matches!(word.as_str(), "password" | "passwd" | "pwd") || k == after_name {
            return None;
        }
        let vs = k;
        let mut ve = vs;
        while ve < b.len() && !b[ve].is_ascii_whitespace() && !matches!(b[ve], b';' | b',') {
            ve += 1;
        }
        let v = &text[vs..ve];
        let looks_secret = !v.is_empty()
            && v != REDACTED
            && (v.bytes().any(|c| !c.is_ascii_alphabetic())
                || (v.len() >= 8
                    && v.bytes().any(|c| c.is_ascii_uppercase())
                    && v.bytes().any(|c| c.is_ascii_lowercase())));
        return looks_secret.then_some((vs, ve));
    }
    k = skip_blanks(b, k + sep);
    if k >= b.len() {
        return None;
    }
    if b[k] == b'"' || b[k] == b'\'' {
        let q = b[k];
        let vs = k + 1;
        let mut ve = vs;
        while ve < b.len() && b[ve] != q && b[ve] != b'\n' {
            // JSON escapes: \" does not end the value.
            if b[ve] == b'\\' && ve + 1 < b.len() {
                ve += 1;
            }
            ve += 1;
        }
        return Some((vs, ve.min(b.len())));
    }
    if text[k..].starts_with(REDACTED) {
        return None;
    }
    let vs = k;
    let mut ve = vs;
    while ve < b.len() && !is_delim(b[ve]) {
        ve += 1;
    }
    (ve > vs).then_some((vs, ve))
}

/// A name/value pair written as two fields after a quoted secret name:
/// DSX `Name "Password"` / `Value "x"`, JSON `"name": "Password", "value": "x"`.
fn value_after_name_field(text: &str, from: usize) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    let mut k = from;
    while k < b.len() && (b[k].is_ascii_whitespace() || b[k] == b',') {
        k += 1;
    }
    if k < b.len() && (b[k] == b'"' || b[k] == b'\'') {
        k += 1;
    }
    if !text.get(k..k + 5)?.eq_ignore_ascii_case("value") {
        return None;
    }
    k += 5;
    if k < b.len() && (b[k] == b'"' || b[k] == b'\'') {
        k += 1;
    }
    k = skip_blanks(b, k);
    if k < b.len() && (b[k] == b':' || b[k] == b'=') {
        k = skip_blanks(b, k + 1);
    }
    if k >= b.len() {
        return None;
    }
    if b[k] == b'"' || b[k] == b'\'' {
        let q = b[k];
        let vs = k + 1;
        let mut ve = vs;
        while ve < b.len() && b[ve] != q && b[ve] != b'\n' {
            if b[ve] == b'\\' && ve + 1 < b.len() {
                ve += 1;
            }
            ve += 1;
        }
        return Some((vs, ve.min(b.len())));
    }
    let vs = k;
    let mut ve = vs;
    while ve < b.len() && !is_delim(b[ve]) {
        ve += 1;
    }
    (ve > vs && !text[vs..].starts_with(REDACTED)).then_some((vs, ve))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubs_every_form() {
        let cases = [
            ("Password=s3cr3t", "Password=<redacted>"),
            (
                "USER=scott PASSWORD = tiger1 HOST=db",
                "USER=scott PASSWORD = <redacted> HOST=db",
            ),
            (
                "Server=db;Database=x;User Id=u;Pwd=p@ss;Encrypt=yes",
                "Server=db;Database=x;User Id=u;Pwd=<redacted>;Encrypt=yes",
            ),
            (
                r#"{"password": "hunter2", "user": "u"}"#,
                r#"{"password": "<redacted>", "user": "u"}"#,
            ),
            ("api_key: abc123", "api_key: <redacted>"),
            (
                "<Password>tiger</Password>",
                "<Password><redacted></Password>",
            ),
            (
                "<Password><![CDATA[ti]ger]]></Password>",
                "<Password><![CDATA[<redacted>]]></Password>",
            ),
            ("value {iisenc}AbC+/== end", "value <redacted> end"),
            ("dsn={dsnenc}x1y2", "dsn=<redacted>"),
            (
                "oraenc -password Tiger#2024 -user u",
                "oraenc -password <redacted> -user u",
            ),
            (
                "jdbc:postgresql://etl:Sup3rS3cret@db.example:5432/dw",
                "jdbc:postgresql://etl:<redacted>@db.example:5432/dw",
            ),
            ("secret_token='x y z'", "secret_token='<redacted>'"),
            (
                "<Password modified='1' type='string'><![CDATA[Tr0ub4dor&3]]></Password>",
                "<Password modified='1' type='string'><![CDATA[<redacted>]]></Password>",
            ),
            (
                "         Name \"Password\"\n         Value \"Tr0ub4dor&3\"\n",
                "         Name \"Password\"\n         Value \"<redacted>\"\n",
            ),
            (
                r#"{"name":"DBPassword","value":{"Text":"x"}}, {"name": "Pwd", "value": "hunter2"}"#,
                r#"{"name":"DBPassword","value":{"Text":"x"}}, {"name": "Pwd", "value": "<redacted>"}"#,
            ),
        ];
        for (input, want) in cases {
            assert_eq!(scrub(input), want, "{input}");
        }
    }

    #[test]
    fn keeps_references_and_prose() {
        for s in [
            "Password=#DB_PASSWORD#",
            "Password=",
            "Password=<redacted>",
            "Never write a password in the code.",
            "the password is kept in the Glue connection",
            "https://example.com/path?x=1",
            "user@host",
            "Passwörter: ",
            "<Password/>",
            "Value \"/Connection/Password\"",
            "Name \"Password\"\n Value \"#DB_PASSWORD#\"",
        ] {
            assert_eq!(scrub(s), s);
        }
    }

    #[test]
    fn multibyte_text_survives() {
        let s = "Kennwort für ß: Password=gehéim€ und weiter ✓";
        assert_eq!(scrub(s), "Kennwort für ß: Password=<redacted> und weiter ✓");
    }
}
