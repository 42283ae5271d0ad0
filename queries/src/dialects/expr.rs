//! The expression half of a dialect: spellings of the primitives and of the
//! few functions whose SQL differs, asked by the base expression translator
//! (`expr/translate/sql`). Each default is the base spelling; a dialect
//! file overrides what differs.

/// A run of blanks (space, tab) as a POSIX regular expression.
pub const BLANKS: &str = "[[:blank:]]+";
/// A number as DataStage's `Num` accepts it, as a POSIX regular expression.
pub const NUMBER_RE: &str = "^[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)$";

/// Why a regular-expression function has no translation in a dialect.
const NO_REGEX: &str = "no regular expressions in this dialect";
pub(super) const FIRST_ONLY: &str = "only the first occurrence can be found in this dialect";

/// A value's SQL type, as the translator needs it for a cast or a typed
/// NULL (the translator maps its expression types onto these).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarType {
    String,
    Integer,
    Decimal { p: u32, s: u32 },
    Float,
    Date,
    Time,
    Timestamp,
}

/// Which end(s) of a text a trim works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Both,
    Leading,
    Trailing,
}

/// The format-string family of the dialect's date formatting function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateFormatStyle {
    /// `TO_CHAR(x, 'YYYY-MM-DD')`.
    Oracle,
    /// `FORMAT(x, 'yyyy-MM-dd')` (.NET custom format strings).
    DotNet,
}

/// How `Field(s, d, k[, m])` is cut out of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldSplit {
    /// `SPLIT_PART`; several fields at once through arrays when `arrays`.
    SplitPart { arrays: bool },
    /// By `INSTR` positions (never STRTOK, which skips empty fields); the
    /// occurrence must be a constant.
    Instr,
    /// No split function with an ordinal.
    None,
}

/// A delimited identifier, the same in the five dialects (`"..."`, a `"`
/// inside doubled; SQL Server reads it with QUOTED_IDENTIFIER ON, which
/// the generated clients set). On one line: line breaks, controls (NUL)
/// and bidi characters become spaces, so no name can end a comment, start
/// a BTEQ / sqlcmd / SQL*Plus command line or hide text. At most 128
/// characters (the limit of Oracle, SQL Server and Teradata): a longer
/// name is cut and made unique by a hash of the whole. Oracle refuses a
/// `"` in a name at run time (an error, not a way out of the quotes).
pub fn quote_ident(name: &str) -> String {
    let mut flat = crate::escape::one_line_raw(name);
    if flat.chars().count() > 128 {
        let h = blake3::hash(name.as_bytes()).to_hex();
        flat = flat.chars().take(119).collect::<String>() + "_" + &h[..8];
    }
    format!("\"{}\"", flat.replace('"', "\"\""))
}

/// Larger of x and a constant lower bound, NULL when x is NULL. Not
/// GREATEST: PostgreSQL's ignores NULL arguments (GREATEST(NULL, 0) = 0)
/// and SQL Server has it only since 2022.
pub fn at_least(x: &str, min: i64) -> String {
    format!("(CASE WHEN {x} < {min} THEN {min} ELSE {x} END)")
}

/// A string literal holding any text, on one line: `'...'` with `'`
/// doubled (backslashes are plain characters in the five dialects:
/// PostgreSQL's `standard_conforming_strings` is on), and each line break
/// or control character written as its character code (`chr` of it, e.g.
/// `CHR(10)`) joined by the concatenation operator `op`, so that no
/// literal can span lines: a line of BTEQ, sqlcmd or SQL*Plus that starts
/// inside a literal would be read as a command (`.OS`, `:!!`, `/`).
pub fn string_lit(s: &str, chr: &str, op: &str) -> String {
    // Tab stays: it ends no line.
    let special = |c: char| ((c as u32) < 0x20 && c != '\t') || c as u32 == 0x7f;
    if !s.chars().any(special) {
        return format!("'{}'", s.replace('\'', "''"));
    }
    let mut parts: Vec<String> = Vec::new();
    let mut text = String::new();
    for c in s.chars() {
        if special(c) {
            if !text.is_empty() {
                parts.push(format!(
                    "'{}'",
                    std::mem::take(&mut text).replace('\'', "''")
                ));
            }
            parts.push(format!("{chr}({})", c as u32));
        } else {
            text.push(c);
        }
    }
    if !text.is_empty() {
        parts.push(format!("'{}'", text.replace('\'', "''")));
    }
    format!("({})", parts.join(op))
}

/// `p1 IS NULL OR p2 IS NULL ...`: the NULL test of an explicit
/// NULL-propagating concatenation.
pub fn any_null(parts: &[String]) -> String {
    parts
        .iter()
        .map(|p| format!("{p} IS NULL"))
        .collect::<Vec<_>>()
        .join(" OR ")
}

/// `s` repeated `n` times where there is no REPEAT (Teradata, Oracle):
/// RPAD of `s` to `n` times its length (`len_s`).
pub fn repeat_by_rpad(s: &str, n: &str, len_s: &str) -> String {
    format!("(CASE WHEN {n} <= 0 THEN '' ELSE RPAD({s}, {n} * {len_s}, {s}) END)")
}

/// The base spelling of a type (see [`ExprRules::type_name`]).
pub fn base_type_name(t: ScalarType) -> String {
    match t {
        ScalarType::String => "VARCHAR(4000)".into(),
        ScalarType::Integer => "BIGINT".into(),
        ScalarType::Decimal { p, s } => format!("DECIMAL({p},{s})"),
        ScalarType::Float => "FLOAT".into(),
        ScalarType::Date => "DATE".into(),
        ScalarType::Time => "TIME".into(),
        ScalarType::Timestamp => "TIMESTAMP".into(),
    }
}

/// Date and timestamp parsing with `TO_DATE` / `TO_TIMESTAMP` and the
/// format `f` (an Oracle-style format, already a literal); a time through
/// a timestamp when `time`, else no translation.
pub fn parse_with_to_timestamp<R: ExprRules + ?Sized>(
    r: &R,
    s: &str,
    ty: ScalarType,
    f: &str,
    time: bool,
) -> Result<String, String> {
    Ok(match ty {
        ScalarType::Date => format!("TO_DATE({s}, {f})"),
        ScalarType::Timestamp => r.cast(&format!("TO_TIMESTAMP({s}, {f})"), ScalarType::Timestamp),
        _ if time => r.cast(&format!("TO_TIMESTAMP({s}, {f})"), ScalarType::Time),
        _ => return Err("no TIME parsing in this dialect".into()),
    })
}

/// The spellings the expression translator asks of a dialect.
pub trait ExprRules {
    // Types and literals.

    /// SQL type name for a cast or a typed NULL.
    fn type_name(&self, t: ScalarType) -> String {
        base_type_name(t)
    }

    fn cast(&self, x: &str, t: ScalarType) -> String {
        format!("CAST({x} AS {})", self.type_name(t))
    }

    /// A string literal of any text, on one line ([`string_lit`]: the
    /// spelling of character codes is the dialect's).
    fn literal(&self, s: &str) -> String {
        string_lit(s, "CHR", " || ")
    }

    fn date_lit(&self, iso: &str) -> String {
        format!("DATE '{iso}'")
    }

    /// The caveat of an expression holding an empty-string literal, where
    /// the dialect stores '' as NULL.
    fn empty_string_caveat(&self) -> Option<&'static str> {
        None
    }

    // Text.

    /// `a || b || ...` with NULL propagation in every dialect.
    fn concat(&self, parts: &[String]) -> String {
        if parts.len() == 1 {
            return parts[0].clone();
        }
        self.concat_all(parts)
    }

    /// [`ExprRules::concat`] of two or more parts.
    fn concat_all(&self, parts: &[String]) -> String {
        format!("({})", parts.join(" || "))
    }

    fn substr(&self, s: &str, start: &str, len: &str) -> String {
        format!("SUBSTR({s}, {start}, {len})")
    }

    /// Number of characters, trailing blanks included.
    fn length(&self, s: &str) -> String {
        format!("CHAR_LENGTH({s})")
    }

    fn replace(&self, s: &str, old: &str, new: &str) -> String {
        format!("REPLACE({s}, {old}, {new})")
    }

    /// Global regular-expression replace; `None` where the dialect has none.
    fn regexp_replace(&self, s: &str, pat: &str, rep: &str) -> Option<String> {
        let (pat, rep) = (self.literal(pat), self.literal(rep));
        Some(format!("REGEXP_REPLACE({s}, {pat}, {rep})"))
    }

    /// Predicate: s matches a POSIX regular expression; `None` where the
    /// dialect has none.
    fn regexp_match(&self, s: &str, pat: &str) -> Option<String> {
        Some(format!("REGEXP_LIKE({s}, {})", self.literal(pat)))
    }

    /// [`ExprRules::regexp_replace`], or why there is none.
    fn replace_re(&self, s: &str, pat: &str, rep: &str) -> Result<String, String> {
        self.regexp_replace(s, pat, rep)
            .ok_or_else(|| NO_REGEX.to_string())
    }

    /// 1 when `s` matches `pat`, 0 when not, NULL for NULL.
    fn matches(&self, s: &str, pat: &str) -> Result<String, String> {
        let m = self
            .regexp_match(s, pat)
            .ok_or_else(|| NO_REGEX.to_string())?;
        Ok(format!(
            "(CASE WHEN {s} IS NULL THEN NULL WHEN {m} THEN 1 ELSE 0 END)"
        ))
    }

    fn chr(&self, n: &str) -> String {
        format!("CHR({n})")
    }

    /// Blanks (space and tab) as a character set for LTRIM/RTRIM.
    fn blank_set(&self) -> String {
        "' ' || CHR(9)".into()
    }

    /// `s` repeated `n` times (`n <= 0` gives '').
    fn repeat(&self, s: &str, n: &str) -> String {
        format!("REPEAT({s}, {})", at_least(n, 0))
    }

    /// `Trim(s)`: blanks removed at both ends, inner runs collapsed.
    fn trim_collapse(&self, s: &str) -> Result<String, String> {
        Ok(format!("TRIM({})", self.replace_re(s, BLANKS, " ")?))
    }

    /// Every `cl` (a one-character literal) removed from one or both ends.
    fn trim_char(&self, s: &str, cl: &str, side: Side) -> String {
        let side = match side {
            Side::Both => "BOTH",
            Side::Leading => "LEADING",
            Side::Trailing => "TRAILING",
        };
        format!("TRIM({side} {cl} FROM {s})")
    }

    /// Spaces and tabs removed from one or both ends (TrimF, TrimB,
    /// TrimLeadingTrailing).
    fn trim_blanks(&self, s: &str, side: Side) -> String {
        let set = self.blank_set();
        match side {
            Side::Leading => format!("LTRIM({s}, {set})"),
            Side::Trailing => format!("RTRIM({s}, {set})"),
            Side::Both => format!("LTRIM(RTRIM({s}, {set}), {set})"),
        }
    }

    /// Position of the `k`th occurrence of `sub` in `s` (0 if none);
    /// `lit_re` is `sub` as a constant, escaped for a regular expression,
    /// or why it is not a constant.
    fn index(
        &self,
        s: &str,
        sub: &str,
        k: i64,
        _lit_re: Result<String, String>,
    ) -> Result<String, String> {
        if k == 1 {
            Ok(format!("POSITION({sub} IN {s})"))
        } else {
            Err(FIRST_ONLY.into())
        }
    }

    /// Character-wise translation (DataStage `Convert`).
    fn translate_chars(&self, s: &str, from: &str, to: &str) -> String {
        format!("TRANSLATE({s}, {from}, {to})")
    }

    /// `Num(s)`: 1 if s is a number or empty.
    fn is_num(&self, s: &str) -> Result<String, String> {
        self.matches(s, &format!("{NUMBER_RE}|^$"))
    }

    /// `Alpha(s)`: 1 if s is letters only (not empty).
    fn is_alpha(&self, s: &str) -> Result<String, String> {
        self.matches(s, "^[A-Za-z]+$")
    }

    /// A text compared byte by byte (DataStage's `Compare`).
    fn binary_collation(&self, x: &str) -> String {
        x.to_string()
    }

    /// Every space and tab removed.
    fn strip_blanks(&self, s: &str) -> Result<String, String> {
        self.replace_re(s, BLANKS, "")
    }

    /// How `Field` cuts a text.
    fn field_split(&self) -> FieldSplit {
        FieldSplit::Instr
    }

    // Dates and times.

    /// A date, time or timestamp parsed from `s` with a DataStage format:
    /// `iso` when the format is ISO-like, `f` its Oracle-style form as a
    /// literal, `style` the SQL Server CONVERT style for `ty`.
    fn parse_temporal(
        &self,
        s: &str,
        ty: ScalarType,
        _iso: bool,
        f: &str,
        _style: u32,
    ) -> Result<String, String> {
        parse_with_to_timestamp(self, s, ty, f, false)
    }

    fn date_format_style(&self) -> DateFormatStyle {
        DateFormatStyle::Oracle
    }

    /// A date, time or timestamp as text with the format literal `f` (in
    /// [`ExprRules::date_format_style`]).
    fn format_temporal(&self, x: &str, f: &str) -> String {
        format!("TO_CHAR({x}, {f})")
    }

    fn current_timestamp(&self) -> &'static str {
        "CURRENT_TIMESTAMP"
    }

    fn current_date(&self) -> &'static str {
        "CURRENT_DATE"
    }

    fn current_time(&self) -> &'static str {
        "CURRENT_TIME"
    }

    /// A date part as an integer.
    fn extract(&self, part: &str, x: &str) -> String {
        format!("EXTRACT({part} FROM {x})")
    }

    /// Seconds of a time with their fraction.
    fn seconds(&self, x: &str) -> String {
        self.extract("SECOND", x)
    }

    /// Day of the year, 1 = January 1st.
    fn day_of_year(&self, x: &str) -> String {
        self.extract("DOY", x)
    }

    /// Day of the week, Sunday = 0.
    fn day_of_week(&self, x: &str) -> String {
        self.extract("DOW", x)
    }

    fn add_days(&self, date: &str, n: &str) -> String {
        format!("({date} + {n})")
    }

    fn days_between(&self, a: &str, b: &str) -> String {
        format!("({a} - {b})")
    }

    /// A date from integer year, month and day.
    fn make_date(&self, y: &str, m: &str, d: &str) -> String {
        let t = |x: &str| self.cast(x, ScalarType::String);
        let text = self.concat(&[t(y), "'-'".into(), t(m), "'-'".into(), t(d)]);
        format!("TO_DATE({text}, 'YYYY-MM-DD')")
    }

    /// Seconds from timestamp `y` to `x`, with their fraction.
    fn seconds_between(&self, x: &str, y: &str) -> String {
        format!("EXTRACT(EPOCH FROM ({x} - {y}))")
    }

    // Numbers.

    /// Integer part toward zero of a number, as BIGINT.
    fn trunc_int(&self, x: &str) -> String {
        format!("CAST(TRUNC({x}) AS BIGINT)")
    }

    /// Remainder of x / y (y not 0).
    fn modulo(&self, x: &str, y: &str) -> String {
        format!("MOD({x}, {y})")
    }

    fn ln(&self, x: &str) -> String {
        format!("LN({x})")
    }

    fn ceil(&self, x: &str) -> String {
        format!("CEIL({x})")
    }

    /// `StringToNumber(x)`: a float from text.
    fn string_to_number(&self, x: &str) -> String {
        self.cast(x, ScalarType::Float)
    }

    /// `IsValid`: 1 if `trimmed` matches `re` (the text form of a `ty`).
    fn is_valid(&self, trimmed: &str, re: &str, _ty: ScalarType) -> Result<String, String> {
        let m = self
            .regexp_match(trimmed, re)
            .ok_or("no regular expressions")?;
        Ok(format!("(CASE WHEN {m} THEN 1 ELSE 0 END)"))
    }

    /// `@INROWNUM` / `@OUTROWNUM`: the row's number in the input order.
    fn row_number(&self) -> &'static str {
        "ROW_NUMBER() OVER ()"
    }
}
