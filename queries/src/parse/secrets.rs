//! The one home of secret recognition: which names hold credentials, which
//! values are secrets whatever their name, and the pass that removes them
//! from an entity before anything hashes, stores, generates or prompts.
//!
//! [`scrub_entity`] runs once per entity, at parse time, for every format
//! (DSX, XML, ISX): nothing downstream ever sees a recognised secret.
//! [`scrub`] is the free-text recogniser it applies to every text field;
//! `llm::redact` applies the same function again to prompts (second line
//! of defence).
//!
//! What is recognised (only the secret part becomes [`REDACTED`]; the rest
//! of a SQL statement or a connection string stays as it was):
//! - engine-encrypted values: `{iisenc}…`, `{dsnenc}…`, `{aes}…`, `{xor}…`;
//! - URL user info: `scheme://user:pass@host`, and without a scheme
//!   `user:pass@host`;
//! - Oracle-style `user/pass@db` (`jdbc:oracle:thin:scott/tiger@host`),
//!   `CONNECT user/pass`, `sqlplus user/pass`, `userid=user/pass`;
//! - `IDENTIFIED BY pass` (and `IDENTIFIED BY VALUES 'hash'`), DB2
//!   `USER u USING pass`, BTEQ `.LOGON host/user,pass`;
//! - `name=value`, `name: value`, `name => value`, `"name": "value"`,
//!   connection strings (`…;PWD=x;…`, `Password="a;b"`, `Pwd={x}`), XML
//!   elements `<Password>x</Password>`, `-password x`, `PASSWORD 'x'`,
//!   where `name` is a credential name ([`is_credential_name`]).
//!
//! Never redacted: a pure `#PARAM#` reference, `$PROJDEF`-style defaults,
//! empty values, and in SQL and expressions anything that is not a literal
//! (`password = src.password`, `pwd = :bind`, `In.PWD = svX`).

use std::borrow::Cow;

use crate::ir::{Column, Entity, Job, ParamType, Parameter, PropNode, PropValue, Property};

pub use crate::ir::REDACTED;

// ---------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------

/// Words that make a following `key` a credential (`API_KEY`,
/// `ACCESS_KEY_ID`, `PRIVATE_KEY`); a lone `KEY`, `SORT_KEY`, `PKEY` or
/// `MONKEY` is not one.
const KEY_PREFIXES: &[&str] = &[
    "api",
    "access",
    "secret",
    "private",
    "ssh",
    "auth",
    "master",
    "enc",
    "encryption",
    "signing",
    "client",
    "account",
    "storage",
    "sas",
    "shared",
    "crypt",
    "crypto",
    "hmac",
    "aes",
    "rsa",
    "pgp",
    "gpg",
    "subscription",
];

/// Words ending in `pass` that are not passwords.
const NOT_PASS: &[&str] = &[
    "bypass",
    "compass",
    "encompass",
    "surpass",
    "trespass",
    "overpass",
    "underpass",
    "impass",
    "multipass",
    "onepass",
    "firstpass",
    "secondpass",
];

/// A word after a credential word that makes the name describe the
/// credential rather than hold it: `PASSWORD_FILE`, `TOKEN_DELIMITER`,
/// `SECRET_NAME` (a Secrets Manager name), `PASSWORD_EXPIRY_DAYS`.
const DESCRIBES: &[&str] = &[
    "file",
    "path",
    "dir",
    "directory",
    "url",
    "uri",
    "endpoint",
    "arn",
    "name",
    "type",
    "len",
    "length",
    "count",
    "delim",
    "delimiter",
    "sep",
    "separator",
    "col",
    "column",
    "field",
    "flag",
    "ind",
    "indicator",
    "mode",
    "format",
    "fmt",
    "policy",
    "expiry",
    "expires",
    "expiration",
    "ttl",
    "days",
    "prompt",
    "pos",
    "position",
    "size",
    "limit",
    "rule",
    "rules",
    "hint",
];

/// Split a name into lower-case words: on anything not alphanumeric, and
/// at camel-case boundaries (`DBPassword` → `db`, `password`).
fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if c.is_uppercase() && !cur.is_empty() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_numeric() || (prev.is_uppercase() && next_lower) {
                out.push(std::mem::take(&mut cur));
            }
        }
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn credential_word(w: &str, prev: Option<&str>) -> bool {
    if matches!(
        w,
        "pass"
            | "passw"
            | "passwd"
            | "password"
            | "passwords"
            | "passwort"
            | "passphrase"
            | "passcode"
            | "pwd"
            | "pw"
            | "pswd"
            | "psw"
            | "secret"
            | "secrets"
            | "token"
            | "tokens"
            | "cred"
            | "creds"
            | "credential"
            | "credentials"
    ) {
        return true;
    }
    if w.contains("password")
        || w.contains("passwd")
        || w.contains("pwd")
        || w.contains("credential")
        || (w.contains("secret") && !w.contains("secretar"))
    {
        return true;
    }
    if w.len() > 4 && w.ends_with("pass") && !NOT_PASS.contains(&w) {
        return true;
    }
    if w.len() > 5 && w.ends_with("token") {
        return true;
    }
    if w == "key" || w == "keys" {
        return prev.is_some_and(|p| KEY_PREFIXES.contains(&p));
    }
    if let Some(stem) = w.strip_suffix("key").or_else(|| w.strip_suffix("keys")) {
        return KEY_PREFIXES.contains(&stem);
    }
    false
}

/// Could `b` hold a credential name at all? One pass, so that most texts
/// (numbers, paths, column lists) skip the word-by-word scan.
fn has_name_hint(b: &[u8]) -> bool {
    const HINTS: [&[u8]; 7] = [b"pas", b"pw", b"ps", b"secret", b"token", b"cred", b"key"];
    b.iter().enumerate().any(|(i, &c)| {
        matches!(c | 0x20, b'p' | b's' | b't' | b'c' | b'k')
            && HINTS
                .iter()
                .any(|h| b.len() - i >= h.len() && b[i..i + h.len()].eq_ignore_ascii_case(h))
    })
}

/// Does this name (parameter, property, connection-string key) hold a
/// credential? Word-based, any case and position: `DB_PASS`, `dbPassword`,
/// `API_TOKEN`, `ORAPWD`, `ClientSecret`, `AWS_SECRET_ACCESS_KEY`,
/// `API_KEY`, `ACCESS_KEY_ID`, `Credentials`. Not: `KEY_COL`, `PKEY`,
/// `MONKEY`, `SORT_KEY`, `BYPASS_FLAG`, `CREDIT_LIMIT`, `TOKENIZE`, nor a
/// name that describes a credential (`PASSWORD_FILE`, `SECRET_NAME`).
pub fn is_credential_name(name: &str) -> bool {
    // Asked of every word of every text: a cheap test first.
    if !has_name_hint(name.as_bytes()) {
        return false;
    }
    let ws = words(name);
    ws.iter().enumerate().any(|(i, w)| {
        let prev = i.checked_sub(1).map(|p| ws[p].as_str());
        credential_word(w, prev)
            && !ws
                .get(i + 1)
                .is_some_and(|next| DESCRIBES.contains(&next.as_str()))
    })
}

// ---------------------------------------------------------------------------
// Values that may stay
// ---------------------------------------------------------------------------

/// A value that stays even under a credential name: nothing, a pure
/// parameter reference (`#DB_PASSWORD#`, `#SET.$pwd#`), the engine's
/// `$PROJDEF` / `$ENV` / `$UNSET`, an on/off flag, or what was already
/// redacted.
pub fn is_kept_value(v: &str) -> bool {
    let t = v.trim();
    t.is_empty()
        || t == REDACTED
        || is_param_ref(t)
        || ["$PROJDEF", "$ENV", "$UNSET"]
            .iter()
            .any(|k| t.eq_ignore_ascii_case(k))
        || ["0", "1", "true", "false", "yes", "no", "y", "n"]
            .iter()
            .any(|k| t.eq_ignore_ascii_case(k))
}

fn is_param_ref(t: &str) -> bool {
    t.len() > 2 && t.starts_with('#') && t.ends_with('#') && !t[1..t.len() - 1].contains('#')
}

/// A value in code that names something rather than being a literal: a
/// bind variable, a shell or sqlplus variable, a parameter reference.
fn is_reference(t: &str) -> bool {
    let t = t.trim();
    is_kept_value(t)
        || t == "?"
        || t.starts_with("${")
        || t.starts_with("$(")
        || (t.len() > 1
            && matches!(t.as_bytes()[0], b':' | b'&' | b'$' | b'@')
            && t[1..]
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.'))
        || (t.len() > 2 && t.starts_with('%') && t.ends_with('%'))
}

/// An engine-encrypted value.
pub fn is_encrypted(v: &str) -> bool {
    encrypted_prefix(v.trim_start().as_bytes()).is_some()
}

/// Length of `{iisenc}`-style prefix at the start of `b`.
fn encrypted_prefix(b: &[u8]) -> Option<usize> {
    const TAGS: [&[u8]; 6] = [
        b"{iisenc}",
        b"{dsnenc}",
        b"{aes}",
        b"{xor}",
        b"{aes256}",
        b"{aes128}",
    ];
    TAGS.iter()
        .find(|t| b.len() >= t.len() && b[..t.len()].eq_ignore_ascii_case(t))
        .map(|t| t.len())
}

/// The value a credential name gets: [`REDACTED`], unless it is kept
/// ([`is_kept_value`]). `None` when the value stays as it is.
pub fn redact_named(name: &str, value: &str) -> Option<String> {
    if (is_credential_name(name) && !is_kept_value(value)) || is_encrypted(value) {
        Some(REDACTED.to_string())
    } else {
        None
    }
}

// ---------------------------------------------------------------------------
// Free text
// ---------------------------------------------------------------------------

/// How a text is read: in an expression (Transformer derivation,
/// constraint, trigger) an unquoted value is code, never a literal secret.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Text,
    Expr,
}

/// Remove every recognised secret from free text (SQL, scripts,
/// descriptions, connection strings, prompts).
pub fn scrub(text: &str) -> Cow<'_, str> {
    scrub_mode(text, Mode::Text)
}

/// [`scrub`] for DataStage expressions: only literals are redacted.
pub fn scrub_expr(text: &str) -> Cow<'_, str> {
    scrub_mode(text, Mode::Expr)
}

fn scrub_mode(text: &str, mode: Mode) -> Cow<'_, str> {
    if text.len() < 4 {
        return Cow::Borrowed(text);
    }
    let mut spans: Vec<(usize, usize)> = Vec::new();
    encrypted(text, &mut spans);
    if text.contains('@') {
        userinfo(text, &mut spans);
        slash_at(text, &mut spans);
    }
    keywords(text, &mut spans);
    if has_name_hint(text.as_bytes()) {
        named(text, mode, &mut spans);
    }
    if spans.is_empty() {
        return Cow::Borrowed(text);
    }
    spans.sort();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (s, e) in spans {
        if e <= last {
            continue;
        }
        let s = s.max(last);
        out.push_str(&text[last..s]);
        out.push_str(REDACTED);
        last = e;
    }
    out.push_str(&text[last..]);
    Cow::Owned(out)
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn skip_blanks(b: &[u8], mut k: usize) -> usize {
    while k < b.len() && is_blank(b[k]) {
        k += 1;
    }
    k
}

fn skip_space(b: &[u8], mut k: usize) -> usize {
    while k < b.len() && b[k].is_ascii_whitespace() {
        k += 1;
    }
    k
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

fn push(spans: &mut Vec<(usize, usize)>, text: &str, s: usize, e: usize) {
    if e > s && !is_reference(&text[s..e]) {
        spans.push((s, e));
    }
}

fn encrypted(text: &str, spans: &mut Vec<(usize, usize)>) {
    let b = text.as_bytes();
    let mut i = 0;
    while let Some(off) = text[i..].find('{') {
        let at = i + off;
        match encrypted_prefix(&b[at..]) {
            Some(n) => {
                let mut e = at + n;
                while e < b.len()
                    && !(b[e].is_ascii_whitespace()
                        || matches!(b[e], b'"' | b'\'' | b';' | b',' | b'<' | b')' | b']'))
                {
                    e += 1;
                }
                spans.push((at, e));
                i = e;
            }
            None => i = at + 1,
        }
    }
}

fn user_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-' | b'$' | b'#' | b'~')
}

/// May a user name start after this byte?
fn user_boundary(b: &[u8], at: usize) -> bool {
    if at == 0 {
        return true;
    }
    let c = b[at - 1];
    c.is_ascii_whitespace()
        || matches!(
            c,
            b'"' | b'\'' | b'=' | b'(' | b',' | b';' | b'>' | b'[' | b'`'
        )
        || (c == b'/' && at >= 2 && b[at - 2] == b'/')
}

fn host_start(b: &[u8], at: usize) -> bool {
    b.get(at + 1).is_some_and(|&c| {
        c.is_ascii_alphanumeric() || matches!(c, b'[' | b'#' | b'$' | b'(' | b'%')
    })
}

/// `To:someone@example.com` is a mail header, not user info.
const MAIL_WORDS: &[&str] = &[
    "mailto",
    "to",
    "from",
    "cc",
    "bcc",
    "reply-to",
    "sender",
    "email",
    "e-mail",
    "mail",
    "contact",
    "owner",
    "author",
    "notify",
    "recipient",
    "recipients",
];

/// `user:pass@host`, with or without `scheme://`.
fn userinfo(text: &str, spans: &mut Vec<(usize, usize)>) {
    let b = text.as_bytes();
    for (at, _) in text.match_indices('@') {
        if !host_start(b, at) {
            continue;
        }
        // The password runs back to a ':' (it may hold '@').
        let mut ps = at;
        while ps > 0
            && !(b[ps - 1].is_ascii_whitespace()
                || matches!(
                    b[ps - 1],
                    b':' | b'/' | b'"' | b'\'' | b'<' | b'>' | b'(' | b')' | b',' | b';' | b'='
                ))
        {
            ps -= 1;
        }
        if ps == 0 || b[ps - 1] != b':' || ps == at {
            continue;
        }
        let colon = ps - 1;
        let mut us = colon;
        while us > 0 && user_char(b[us - 1]) {
            us -= 1;
        }
        if us == colon || !user_boundary(b, us) {
            continue;
        }
        let user = &text[us..colon];
        let pass = &text[ps..at];
        if !user.bytes().any(|c| c.is_ascii_alphanumeric())
            || !pass.bytes().any(|c| c.is_ascii_alphanumeric())
            || MAIL_WORDS.iter().any(|w| user.eq_ignore_ascii_case(w))
        {
            continue;
        }
        push(spans, text, ps, at);
    }
}

/// Oracle `user/pass@db` (`jdbc:oracle:thin:scott/tiger@host`).
fn slash_at(text: &str, spans: &mut Vec<(usize, usize)>) {
    let b = text.as_bytes();
    for (at, _) in text.match_indices('@') {
        if !host_start(b, at) {
            continue;
        }
        let mut ps = at;
        while ps > 0
            && !(b[ps - 1].is_ascii_whitespace()
                || matches!(b[ps - 1], b'/' | b':' | b'"' | b'\'' | b'@' | b'=' | b','))
        {
            ps -= 1;
        }
        if ps == 0 || b[ps - 1] != b'/' || ps == at {
            continue;
        }
        let slash = ps - 1;
        let mut us = slash;
        while us > 0
            && (b[us - 1].is_ascii_alphanumeric() || matches!(b[us - 1], b'_' | b'$' | b'#' | b'.'))
        {
            us -= 1;
        }
        if us == slash {
            continue;
        }
        let ok_before = us == 0
            || b[us - 1].is_ascii_whitespace()
            || matches!(
                b[us - 1],
                b'"' | b'\'' | b'=' | b'(' | b',' | b':' | b'>' | b';'
            );
        if ok_before && text[ps..at].bytes().any(|c| c.is_ascii_alphanumeric()) {
            push(spans, text, ps, at);
        }
    }
}

/// Case-insensitive whole-word occurrences of `word`.
fn word_at(text: &str, word: &str) -> Vec<usize> {
    let b = text.as_bytes();
    let w = word.as_bytes();
    let mut out = Vec::new();
    if b.len() < w.len() {
        return out;
    }
    let inner = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    for i in 0..=b.len() - w.len() {
        if b[i..i + w.len()].eq_ignore_ascii_case(w)
            && (i == 0 || !inner(b[i - 1]))
            && b.get(i + w.len()).is_none_or(|&c| !inner(c))
        {
            out.push(i);
        }
    }
    out
}

/// The value starting at `k`: a quoted literal's inside, or a token up to
/// a blank, `;`, `,` or `)`.
fn value_at(b: &[u8], k: usize) -> Option<(usize, usize)> {
    if k >= b.len() {
        return None;
    }
    if b[k] == b'"' || b[k] == b'\'' {
        let q = b[k];
        let e = b[k + 1..].iter().position(|&c| c == q || c == b'\n')?;
        return Some((k + 1, k + 1 + e));
    }
    let mut e = k;
    while e < b.len() && !(b[e].is_ascii_whitespace() || matches!(b[e], b';' | b',' | b')')) {
        e += 1;
    }
    (e > k).then_some((k, e))
}

/// `user/pass[@db]` at `k`: the password's range.
fn slash_credential(b: &[u8], k: usize) -> Option<(usize, usize)> {
    let mut e = k;
    while e < b.len() && !(b[e].is_ascii_whitespace() || matches!(b[e], b';' | b'"' | b'\'')) {
        e += 1;
    }
    let tok = &b[k..e];
    let slash = tok.iter().position(|&c| c == b'/')?;
    if slash == 0
        || !tok[..slash]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'$' | b'#' | b'.'))
    {
        return None;
    }
    let ps = k + slash + 1;
    let pe = tok[slash + 1..]
        .iter()
        .rposition(|&c| c == b'@')
        .map_or(e, |p| ps + p);
    (pe > ps).then_some((ps, pe))
}

fn keywords(text: &str, spans: &mut Vec<(usize, usize)>) {
    let b = text.as_bytes();
    // CONNECT scott/tiger[@db], sqlplus -s scott/tiger, userid=scott/tiger
    if text.contains('/') {
        for kw in [
            "connect", "conn", "sqlplus", "sqlldr", "expdp", "impdp", "exp", "imp",
        ] {
            for at in word_at(text, kw) {
                let mut k = skip_blanks(b, at + kw.len());
                if k == at + kw.len() {
                    continue;
                }
                // Options before the credentials: `sqlplus -s -L u/p`.
                while k < b.len() && b[k] == b'-' {
                    while k < b.len() && !b[k].is_ascii_whitespace() {
                        k += 1;
                    }
                    k = skip_blanks(b, k);
                }
                if let Some((s, e)) = slash_credential(b, k) {
                    push(spans, text, s, e);
                }
            }
        }
        for at in word_at(text, "userid") {
            let k = skip_blanks(b, at + 6);
            if b.get(k) == Some(&b'=') {
                let k = skip_blanks(b, k + 1);
                if let Some((s, e)) = slash_credential(b, k) {
                    push(spans, text, s, e);
                }
            }
        }
    }
    // IDENTIFIED BY [VALUES] pass
    for at in word_at(text, "identified") {
        let k = skip_space(b, at + 10);
        if !b
            .get(k..k + 2)
            .is_some_and(|w| w.eq_ignore_ascii_case(b"by"))
        {
            continue;
        }
        let mut k = skip_space(b, k + 2);
        if b.get(k..k + 6)
            .is_some_and(|w| w.eq_ignore_ascii_case(b"values"))
        {
            k = skip_space(b, k + 6);
        }
        if let Some((s, e)) = value_at(b, k) {
            push(spans, text, s, e);
        }
    }
    // DB2: CONNECT TO db USER u USING pass
    for at in word_at(text, "using") {
        let before = text[..at].trim_end();
        let Some((head, _user)) = before.rsplit_once(|c: char| c.is_whitespace()) else {
            continue;
        };
        let last = head
            .trim_end()
            .rsplit(char::is_whitespace)
            .next()
            .unwrap_or("");
        if !last.eq_ignore_ascii_case("user") {
            continue;
        }
        let k = skip_space(b, at + 5);
        if let Some((s, e)) = value_at(b, k) {
            push(spans, text, s, e);
        }
    }
    // BTEQ: .LOGON tdpid/user,pass;
    for at in word_at(text, "logon") {
        let k = skip_blanks(b, at + 5);
        let mut e = k;
        while e < b.len() && !(b[e].is_ascii_whitespace() || b[e] == b';') {
            e += 1;
        }
        if let Some(c) = text[k..e].find(',') {
            push(spans, text, k + c + 1, e);
        }
    }
}

/// SQL and expression types that follow a column name in a schema
/// (`PASSWORD: nullable string[20]`): not a value.
const SCHEMA_TYPES: &[&str] = &[
    "nullable",
    "not_nullable",
    "string",
    "ustring",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "sfloat",
    "dfloat",
    "decimal",
    "date",
    "time",
    "timestamp",
    "raw",
    "subrec",
    "tagged",
    "varchar",
    "char",
    "integer",
    "number",
    "numeric",
];

/// SQL words that are never a secret in value position.
const SQL_WORDS: &[&str] = &["null", "default", "true", "false"];

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'$' | b'.' | b'-')
}

fn looks_like_sql(text: &str) -> bool {
    [
        "select", "update", "insert", "delete", "merge", "where", "create", "alter",
    ]
    .iter()
    .any(|w| !word_at(text, w).is_empty())
}

fn named(text: &str, mode: Mode, spans: &mut Vec<(usize, usize)>) {
    let b = text.as_bytes();
    let mut sql: Option<bool> = None;
    let mut i = 0;
    while i < b.len() {
        if !(is_word(b[i]) && (i == 0 || !is_word(b[i - 1]))) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < b.len() && is_word(b[j]) {
            j += 1;
        }
        let name = text[i..j].trim_end_matches(['.', '-']);
        let we = i + name.len();
        if !name.is_empty()
            && is_credential_name(name)
            && let Some((vs, ve, quoted, spaced)) = find_value(text, i, we, mode)
        {
            let v = &text[vs..ve];
            let keep = is_reference(v)
                || (!quoted && {
                    let lower = v.to_ascii_lowercase();
                    let first: String = lower
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    mode == Mode::Expr
                        || SQL_WORDS.contains(&lower.as_str())
                        || SCHEMA_TYPES.contains(&first.as_str())
                        || is_dotted_identifier(v)
                        || (spaced
                            && is_identifier(v)
                            && *sql.get_or_insert_with(|| looks_like_sql(text)))
                });
            if !keep {
                spans.push((vs, ve));
            }
            i = j.max(ve);
            continue;
        }
        i = j;
    }
}

fn is_identifier(v: &str) -> bool {
    let b = v.as_bytes();
    !b.is_empty()
        && (b[0].is_ascii_alphabetic() || b[0] == b'_')
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

/// `src.password`, `In.PWD`: a qualified name, not a literal.
fn is_dotted_identifier(v: &str) -> bool {
    v.contains('.') && v.split('.').all(is_identifier)
}

/// Is byte `at` inside a literal quoted with `q` (an odd number of `q`
/// before it on its line)?
fn inside_literal(b: &[u8], at: usize, q: u8) -> bool {
    let start = b[..at]
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |p| p + 1);
    b[start..at].iter().filter(|&&c| c == q).count() % 2 == 1
}

/// The value that follows the credential name `text[ws..we]`: its range,
/// whether it was quoted, and whether blanks surround the separator.
fn find_value(text: &str, ws: usize, we: usize, mode: Mode) -> Option<(usize, usize, bool, bool)> {
    let b = text.as_bytes();
    let before = (ws > 0).then(|| b[ws - 1]);
    // <Password>value</Password>, <Password><![CDATA[value]]></Password>
    if before == Some(b'<') {
        let k = we;
        if k >= b.len() || !(b[k] == b'>' || is_blank(b[k])) {
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
            return Some((start, end, true, false));
        }
        let end = rest.find('<').map(|e| vs + e).unwrap_or(b.len());
        return Some((vs, end, true, false));
    }
    let mut k = we;
    // A quoted key: "password": "x", 'pwd' => 'x'.
    let key_quote = before.filter(|q| (*q == b'"' || *q == b'\'') && b.get(k) == Some(q));
    if key_quote.is_some() {
        k += 1;
    }
    // The name inside a literal ("Pwd=" : In.PWD): a quote after the
    // separator closes that literal, it opens no value.
    let literal = if key_quote.is_some() {
        None
    } else {
        [b'"', b'\'']
            .into_iter()
            .find(|&q| inside_literal(b, ws, q))
    };
    let after_name = k;
    k = skip_blanks(b, k);
    let blank_before = k > after_name;
    let rest = &b[k..];
    let sep = if rest.starts_with(b"=>") || (mode == Mode::Text && rest.starts_with(b":=")) {
        2
    } else if rest.first() == Some(&b'=') && rest.get(1) != Some(&b'=') {
        1
    } else if mode == Mode::Text && rest.first() == Some(&b':') && rest.get(1) != Some(&b':') {
        // In an expression `:` concatenates.
        1
    } else {
        0
    };
    if sep == 0 {
        if key_quote.is_some()
            && let Some(v) = value_after_name_field(text, after_name)
        {
            return Some(v);
        }
        // `-password x` (command lines, OSH), `PASSWORD 'x'` (SQL).
        if k == after_name || k >= b.len() {
            return None;
        }
        if text[ws..we].starts_with('-') {
            let mut ve = k;
            while ve < b.len() && !b[ve].is_ascii_whitespace() && !matches!(b[ve], b';' | b',') {
                ve += 1;
            }
            let v = &text[k..ve];
            if v.starts_with('-') {
                return None;
            }
            return (ve > k).then_some((k, ve, false, false));
        }
        if (b[k] == b'\'' || b[k] == b'"') && Some(b[k]) != literal {
            let (s, e) = quoted(b, k)?;
            return Some((s, e, true, false));
        }
        return None;
    }
    k += sep;
    let after_sep = k;
    k = skip_blanks(b, k);
    let spaced = blank_before || k > after_sep;
    if k >= b.len() {
        return None;
    }
    if b[k] == b'"' || b[k] == b'\'' {
        if Some(b[k]) == literal {
            return None;
        }
        let (s, e) = quoted(b, k)?;
        return Some((s, e, true, spaced));
    }
    if b[k] == b'{' {
        let e = text[k..].find('}').map(|e| k + e)?;
        return Some((k + 1, e, true, spaced));
    }
    if text[k..].starts_with(REDACTED) {
        return None;
    }
    let vs = k;
    let mut ve = vs;
    while ve < b.len() && !is_delim(b[ve]) {
        ve += 1;
    }
    // A subscript or a call (`conf["password"]`, `getpass()`) is code.
    if literal.is_none() && matches!(b.get(ve), Some(b'[' | b'(')) {
        return None;
    }
    // Inside a literal the value is literal text.
    (ve > vs).then_some((vs, ve, literal.is_some(), spaced))
}

/// The inside of the quoted literal opening at `k` (JSON `\"` and SQL `''`
/// do not end it).
fn quoted(b: &[u8], k: usize) -> Option<(usize, usize)> {
    let q = b[k];
    let vs = k + 1;
    let mut ve = vs;
    while ve < b.len() && b[ve] != b'\n' {
        if b[ve] == b'\\' && ve + 1 < b.len() {
            ve += 2;
            continue;
        }
        if b[ve] == q {
            if b.get(ve + 1) == Some(&q) {
                ve += 2;
                continue;
            }
            break;
        }
        ve += 1;
    }
    Some((vs, ve.min(b.len())))
}

/// A name/value pair written as two fields after a quoted secret name:
/// DSX `Name "Password"` / `Value "x"`, JSON `"name": "Password", "value": "x"`.
fn value_after_name_field(text: &str, from: usize) -> Option<(usize, usize, bool, bool)> {
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
        let (s, e) = quoted(b, k)?;
        return Some((s, e, true, false));
    }
    let vs = k;
    let mut ve = vs;
    while ve < b.len() && !is_delim(b[ve]) {
        ve += 1;
    }
    (ve > vs && !text[vs..].starts_with(REDACTED)).then_some((vs, ve, false, false))
}

// ---------------------------------------------------------------------------
// Server names
// ---------------------------------------------------------------------------

/// The server or data source a connection setting names, never its
/// credentials: `Server=h;Uid=u;PWD=x` → `h`, `postgres://u:p@h:5432/db` →
/// `h`, `jdbc:oracle:thin:u/p@h:1521:orcl` → `h`, `u/p@tns` → `tns`, a
/// plain name → itself. Empty when nothing safe is found.
pub fn server_name(value: &str) -> String {
    let v = value.trim();
    // A connection string: the first server-like key.
    if v.contains(';') || (v.contains('=') && !v.contains("://")) {
        const KEYS: &[&str] = &[
            "server",
            "data source",
            "datasource",
            "host",
            "hostname",
            "address",
            "addr",
            "dsn",
            "database",
            "initial catalog",
            "dbname",
        ];
        let pairs: Vec<(String, &str)> = v
            .split(';')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, val)| (k.trim().to_ascii_lowercase(), val.trim()))
            .collect();
        return KEYS
            .iter()
            .find_map(|k| pairs.iter().find(|(pk, _)| pk == k).map(|(_, val)| *val))
            .map(|val| server_name(val.trim_matches(['"', '\'', '{', '}'])))
            .unwrap_or_default();
    }
    let rest = match v.find("://") {
        Some(at) => &v[at + 3..],
        None => v,
    };
    // After any user info; up to a port, path or option.
    let rest = match rest.rfind('@') {
        Some(at) => &rest[at + 1..],
        None if v.contains("://") || v.to_ascii_lowercase().starts_with("jdbc:") => {
            // jdbc:db2:host... without user info: the part after the last
            // scheme word.
            rest.rsplit(':')
                .find(|p| !p.is_empty() && !p.chars().all(|c| c.is_ascii_digit()))
                .unwrap_or("")
        }
        None => rest,
    };
    let end = rest
        .find(|c: char| matches!(c, ':' | '/' | '?' | ';' | ',') || c.is_whitespace())
        .unwrap_or(rest.len());
    let name = &rest[..end];
    if name.contains(REDACTED) || name.contains('<') {
        return String::new();
    }
    name.to_string()
}

// ---------------------------------------------------------------------------
// The pass over an entity
// ---------------------------------------------------------------------------

fn text(s: &mut String) {
    if let Cow::Owned(t) = scrub(s) {
        *s = t;
    }
}

fn expr(s: &mut String) {
    if let Cow::Owned(t) = scrub_expr(s) {
        *s = t;
    }
}

/// A value under a name: all of it when the name is a credential's, else
/// what [`scrub`] finds in it.
fn named_value(name: &str, s: &mut String) {
    match redact_named(name, s) {
        Some(r) => *s = r,
        None => text(s),
    }
}

fn parameter(p: &mut Parameter) {
    if p.param_type == ParamType::Encrypted && !p.default.trim().is_empty() {
        p.default = REDACTED.to_string();
    } else {
        named_value(&p.name, &mut p.default);
    }
    text(&mut p.prompt);
    text(&mut p.help);
}

fn tree(nodes: &mut [PropNode]) {
    for n in nodes {
        named_value(&n.name, &mut n.value);
        tree(&mut n.children);
    }
}

fn properties(props: &mut [Property]) {
    for p in props {
        match &mut p.value {
            PropValue::Text(v) => named_value(&p.name, v),
            PropValue::Tree(nodes) => {
                if is_credential_name(&p.name) {
                    p.value = PropValue::Text(REDACTED.to_string());
                } else {
                    tree(nodes);
                }
            }
            PropValue::Connector(pairs) => {
                for (path, v) in pairs {
                    let leaf = path.rsplit('/').next().unwrap_or(path);
                    named_value(leaf, v);
                }
            }
        }
    }
}

fn columns(cols: &mut [Column]) {
    for c in cols {
        expr(&mut c.derivation);
        expr(&mut c.key_expression);
        text(&mut c.description);
    }
}

fn job(j: &mut Job) {
    text(&mut j.description);
    j.parameters.iter_mut().for_each(parameter);
    j.annotations.iter_mut().for_each(text);
    properties(&mut j.properties);
    for s in &mut j.stages {
        properties(&mut s.properties);
        if let Some(t) = &mut s.transformer {
            for v in t.stage_vars.iter_mut().chain(t.loop_vars.iter_mut()) {
                expr(&mut v.expression);
                expr(&mut v.initial_value);
            }
            expr(&mut t.loop_condition);
        }
        if let Some(a) = &mut s.activity {
            for (name, v) in &mut a.parameter_values {
                // An activity passes expressions: a bare name is a
                // reference, a literal under a credential name is a secret.
                let reference = is_identifier(v.trim()) || is_dotted_identifier(v.trim());
                if is_credential_name(name) && !is_kept_value(v) && !reference {
                    *v = REDACTED.to_string();
                } else {
                    expr(v);
                }
            }
            text(&mut a.mode);
            for t in &mut a.triggers {
                expr(&mut t.expression);
            }
        }
    }
    for l in &mut j.links {
        columns(&mut l.columns);
        expr(&mut l.constraint);
        properties(&mut l.source_properties);
        properties(&mut l.target_properties);
    }
}

/// Remove every recognised secret from an entity. Called once per entity by
/// every reader, before the entity is hashed: the IR never holds a secret.
pub fn scrub_entity(e: &mut Entity) {
    match e {
        Entity::Job(j) | Entity::SharedContainer(j) => job(j),
        Entity::Routine(r) => {
            text(&mut r.source);
            text(&mut r.description);
        }
        Entity::ParameterSet(ps) => {
            ps.parameters.iter_mut().for_each(parameter);
            let secret: Vec<&str> = ps
                .parameters
                .iter()
                .filter(|p| p.param_type == ParamType::Encrypted)
                .map(|p| p.name.as_str())
                .collect();
            for (_, values) in &mut ps.value_sets {
                for (name, v) in values {
                    if secret.contains(&name.as_str()) && !v.trim().is_empty() {
                        *v = REDACTED.to_string();
                    } else {
                        named_value(name, v);
                    }
                }
            }
        }
        Entity::TableDef(t) => columns(&mut t.columns),
        Entity::Other(o) => properties(&mut o.properties),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_names() {
        for n in [
            "Password",
            "DB_PASS",
            "dbPassword",
            "DBPassword",
            "ORAPWD",
            "API_TOKEN",
            "apiToken",
            "ClientSecret",
            "AWS_SECRET_ACCESS_KEY",
            "API_KEY",
            "apikey",
            "ACCESS_KEY_ID",
            "Credentials",
            "SFTP_CRED",
            "$DB_PWD",
            "PS_DB.pw",
            "private_key",
            "sftppass",
            "In.PASSWORD",
        ] {
            assert!(is_credential_name(n), "{n}");
        }
        for n in [
            "KEY",
            "KEY_COL",
            "PKEY",
            "MONKEY",
            "SORT_KEY",
            "PRIMARY_KEY",
            "key",
            "BYPASS_FLAG",
            "CREDIT_LIMIT",
            "TOKENIZE",
            "PASSWORD_FILE",
            "SECRET_NAME",
            "TOKEN_DELIMITER",
            "PASSENGER_COUNT",
            "COMPASS",
            "SECRETARY",
            "Server",
            "Username",
            "UseKeyFile",
            "TableName",
        ] {
            assert!(!is_credential_name(n), "{n}");
        }
    }

    #[test]
    fn named_values() {
        assert_eq!(redact_named("DB_PASS", "tiger").as_deref(), Some(REDACTED));
        assert_eq!(redact_named("API_TOKEN", "abc").as_deref(), Some(REDACTED));
        assert_eq!(redact_named("Password", "#PWD#"), None);
        assert_eq!(redact_named("$DB_PASSWORD", "$PROJDEF"), None);
        assert_eq!(
            redact_named("Default", "{iisenc}xyz").as_deref(),
            Some(REDACTED)
        );
        assert_eq!(redact_named("Name", "abc"), None);
        assert_eq!(redact_named("KEY_COL", "CUST_ID"), None);
    }

    #[test]
    fn finds_secrets_in_text() {
        let cases = [
            ("Password=s3cr3t", "Password=<redacted>"),
            (
                "Server=db;Database=x;User Id=u;Pwd=p@ss;Encrypt=yes",
                "Server=db;Database=x;User Id=u;Pwd=<redacted>;Encrypt=yes",
            ),
            (
                "DRIVER={ODBC};SERVER=h;UID=u;PWD={a;b}",
                "DRIVER={ODBC};SERVER=h;UID=u;PWD={<redacted>}",
            ),
            (
                "Password=\"a b;c\";Server=x",
                "Password=\"<redacted>\";Server=x",
            ),
            ("pwd: hunter2", "pwd: <redacted>"),
            (
                "jdbc:oracle:thin:scott/tiger@dbhost:1521:ORCL",
                "jdbc:oracle:thin:scott/<redacted>@dbhost:1521:ORCL",
            ),
            (
                "postgres://etl:S3cret@db.example/dw",
                "postgres://etl:<redacted>@db.example/dw",
            ),
            ("url etl:S3cret@db.example", "url etl:<redacted>@db.example"),
            (
                "CONNECT scott/tiger@orcl;",
                "CONNECT scott/<redacted>@orcl;",
            ),
            ("connect scott/tiger", "connect scott/<redacted>"),
            (
                "sqlplus -s scott/tiger @script.sql",
                "sqlplus -s scott/<redacted> @script.sql",
            ),
            (
                "CREATE USER x IDENTIFIED BY Tiger1;",
                "CREATE USER x IDENTIFIED BY <redacted>;",
            ),
            (
                "alter user x identified by \"Tig er\"",
                "alter user x identified by \"<redacted>\"",
            ),
            (
                ".LOGON tdp1/etl,Sup3r;\nSELECT 1;",
                ".LOGON tdp1/etl,<redacted>;\nSELECT 1;",
            ),
            (
                "CONNECT TO SAMPLE USER db2inst1 USING pw123",
                "CONNECT TO SAMPLE USER db2inst1 USING <redacted>",
            ),
            ("v = {iisenc}AbC+/== end", "v = <redacted> end"),
            ("{aes}QWERTY", "<redacted>"),
            (
                "CREATE ROLE r WITH LOGIN PASSWORD 'x1';",
                "CREATE ROLE r WITH LOGIN PASSWORD '<redacted>';",
            ),
            (
                "UPDATE u SET password = 'abc' WHERE id = 1",
                "UPDATE u SET password = '<redacted>' WHERE id = 1",
            ),
            (
                "EXEC('Server=h;Uid=u;Pwd=tiger;')",
                "EXEC('Server=h;Uid=u;Pwd=<redacted>;')",
            ),
            ("api_token=abc123", "api_token=<redacted>"),
        ];
        for (input, want) in cases {
            assert_eq!(scrub(input), want, "{input}");
        }
    }

    #[test]
    fn leaves_non_secrets_alone() {
        for s in [
            // Column names in definitions and schemas.
            "CREATE TABLE users (id INT, password VARCHAR(50), pwd_hint CHAR(10))",
            "record (PASSWORD: nullable string[max=20]; KEY: int32;)",
            "SELECT KEY, PKEY, MONKEY FROM t WHERE KEY = 1",
            "SELECT password FROM users WHERE password = :pwd",
            "UPDATE users SET password = new_password WHERE id = 1",
            "UPDATE users SET password = s.password FROM src s",
            "SELECT * FROM t WHERE password IS NULL",
            "SELECT 'john.doe@example.com' AS email",
            "WHERE email = 'a@b.com' AND x = 'y'",
            "SELECT * FROM emp CONNECT BY PRIOR id = mgr",
            "Password=#DB_PASSWORD#",
            "Password=",
            "Password=<redacted>",
            "PWD=$DBPWD",
            "mailto:ops@example.com",
            "p = \"To:ops@example.com\\nFrom:etl@example.com\"",
            "https://example.com/path?x=1",
            "s3://bucket/path/file.csv",
            "Never write a password in the code.",
            "user@host",
            "<Password/>",
            "-key CUST_ID -key ORDER_ID",
            "x = password::text",
            "{\"user\": conf[\"user\"], \"password\": conf[\"password\"]}",
            "password=getpass()",
            "12:30",
        ] {
            assert_eq!(scrub(s), s);
        }
        // Expressions: only literals.
        for s in [
            "If In.PWD = svOther Then 1 Else 0",
            "\"Pwd=\" : In.PWD : \";\"",
            "lnk.a : @INROWNUM",
        ] {
            assert_eq!(scrub_expr(s), s);
        }
        assert_eq!(
            scrub_expr("If In.PASSWORD = \"tiger\" Then 1 Else 0"),
            "If In.PASSWORD = \"<redacted>\" Then 1 Else 0"
        );
    }

    #[test]
    fn server_names_never_carry_credentials() {
        for (v, want) in [
            ("DWPROD", "DWPROD"),
            ("#DB_SERVER#", "#DB_SERVER#"),
            ("Server=db1;Uid=u;PWD=x;", "db1"),
            ("Driver={X};Data Source=ora1;Password=\"a;b\"", "ora1"),
            ("PWD=x;UID=u", ""),
            ("postgres://u:p@pg.example:5432/dw", "pg.example"),
            ("jdbc:oracle:thin:scott/tiger@orahost:1521:ORCL", "orahost"),
            ("scott/tiger@TNSPROD", "TNSPROD"),
            ("jdbc:postgresql://pghost/db", "pghost"),
        ] {
            assert_eq!(server_name(v), want, "{v}");
        }
    }

    #[test]
    fn multibyte_text_survives() {
        let s = "Kennwort für ß: Password=gehéim€ und weiter ✓";
        assert_eq!(scrub(s), "Kennwort für ß: Password=<redacted> und weiter ✓");
    }
}
