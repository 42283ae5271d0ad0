//! The function registry: one entry per built-in function with its
//! DataStage semantics and its support status per target. Both translators
//! consult it first (an `Unsupported` status always yields the named
//! placeholder, an `Approximate` one always reports its caveat), and the
//! coverage table in docs/expression-coverage.md is generated from it.

use super::translate::Dialect;
use super::types::Type;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Exact,
    /// Translated; the result differs from DataStage in the stated case.
    Approximate(&'static str),
    /// Not translated: a named placeholder is emitted and reported.
    Unsupported(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    PySpark,
    Sql(Dialect),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    String,
    Null,
    DateTime,
    Numeric,
    Conversion,
    TypeTest,
    Server,
}

impl Family {
    pub fn as_str(self) -> &'static str {
        match self {
            Family::String => "string",
            Family::Null => "null",
            Family::DateTime => "date/time",
            Family::Numeric => "numeric",
            Family::Conversion => "conversion",
            Family::TypeTest => "type test",
            Family::Server => "server (BASIC)",
        }
    }
}

/// Result type of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returns {
    Fixed(Type),
    /// Same type as argument i.
    Arg(usize),
    /// The first argument's numeric type, else float.
    Numeric,
    /// A decimal whose precision comes from the target column.
    DecimalArgs,
}

/// When the result is NULL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nulls {
    /// NULL if any argument is NULL.
    Propagate,
    /// NULL only if the first argument is (extra arguments are options).
    First,
    /// Never NULL (null-handling functions, type tests, clocks).
    Never,
    /// Always NULL (`SetNull`).
    Always,
}

#[derive(Debug, Clone, Copy)]
pub struct FunctionDef {
    pub name: &'static str,
    pub family: Family,
    pub min_args: usize,
    pub max_args: usize,
    pub returns: Returns,
    pub nulls: Nulls,
    /// DataStage semantics as implemented by the reference evaluator.
    pub semantics: &'static str,
    pub pyspark: Status,
    /// Status for every SQL dialect unless overridden below.
    pub sql: Status,
    pub sql_overrides: &'static [(Dialect, Status)],
}

impl FunctionDef {
    pub fn status(&self, target: Target) -> Status {
        match target {
            Target::PySpark => self.pyspark,
            Target::Sql(d) => self
                .sql_overrides
                .iter()
                .find(|(od, _)| *od == d)
                .map_or(self.sql, |(_, s)| *s),
        }
    }
}

/// Case-insensitive lookup (DataStage accepts `UPCASE`, `UpCase`...).
pub fn lookup(name: &str) -> Option<&'static FunctionDef> {
    FUNCTIONS.iter().find(|f| f.name.eq_ignore_ascii_case(name))
}

use Dialect::{Ansi, Oracle, Postgres, SqlServer, Teradata};
use Status::{Approximate as Approx, Exact, Unsupported as Unsup};

const S: Type = Type::STRING;
const I: Type = Type::Integer;

const ORACLE_EMPTY: Status = Approx("Oracle treats '' as NULL, so an empty result is NULL");
const NO_REGEX_MSSQL: Status = Unsup("SQL Server has no regular expressions");
const ANSI_NONSTD: Status = Approx("not in the ANSI standard: uses the common spelling");
const NO_TIME_ORACLE: Status = Unsup("Oracle has no TIME type");
const DATE_FMT_MSSQL: Status = Approx(
    "SQL Server parses only ISO-like formats (CONVERT style 120/126); others need TRY_PARSE by hand",
);

macro_rules! f {
    ($name:literal, $fam:ident, $min:literal..=$max:literal, $ret:expr, $nulls:ident,
     $sem:literal, py: $py:expr, sql: $sql:expr $(, $d:ident: $st:expr)* $(,)?) => {
        FunctionDef {
            name: $name,
            family: Family::$fam,
            min_args: $min,
            max_args: $max,
            returns: $ret,
            nulls: Nulls::$nulls,
            semantics: $sem,
            pyspark: $py,
            sql: $sql,
            sql_overrides: &[$(($d, $st)),*],
        }
    };
}

pub static FUNCTIONS: &[FunctionDef] = &[
    // ---- strings -------------------------------------------------------
    f!("Trim", String, 1..=3, Returns::Fixed(S), First,
       "Trim(s): strip leading/trailing spaces and tabs and collapse inner runs to one space. Trim(s,c,opt) with opt A (all c), B (both ends), D/R (ends + collapse runs of c), L/F (leading), T/E (trailing); c and opt must be literals to translate",
       py: Exact, sql: Exact, Oracle: ORACLE_EMPTY, SqlServer: Approx("SQL Server: inner runs of blanks are not collapsed (no regex)"), Ansi: Approx("inner blanks collapsed with REGEXP_REPLACE, not ANSI")),
    f!("TrimF", String, 1..=1, Returns::Fixed(S), Propagate,
       "remove leading spaces and tabs", py: Exact, sql: Exact, Oracle: ORACLE_EMPTY, Ansi: Approx("ANSI TRIM removes spaces only, not tabs")),
    f!("TrimB", String, 1..=1, Returns::Fixed(S), Propagate,
       "remove trailing spaces and tabs", py: Exact, sql: Exact, Oracle: ORACLE_EMPTY, Ansi: Approx("ANSI TRIM removes spaces only, not tabs")),
    f!("TrimLeadingTrailing", String, 1..=1, Returns::Fixed(S), Propagate,
       "remove leading and trailing spaces and tabs (inner blanks kept)", py: Exact, sql: Exact, Oracle: ORACLE_EMPTY, Ansi: Approx("ANSI TRIM removes spaces only, not tabs")),
    f!("Len", String, 1..=1, Returns::Fixed(I), Propagate,
       "number of characters (trailing blanks count)", py: Exact, sql: Exact, Oracle: Approx("Oracle: Len('') is NULL ('' is NULL)")),
    f!("Left", String, 2..=2, Returns::Fixed(S), Propagate,
       "first n characters; n <= 0 gives \"\"", py: Exact, sql: Exact, Oracle: ORACLE_EMPTY),
    f!("Right", String, 2..=2, Returns::Fixed(S), Propagate,
       "last n characters; n <= 0 gives \"\"", py: Exact, sql: Exact, Oracle: ORACLE_EMPTY),
    f!("Substrings", String, 3..=3, Returns::Fixed(S), Propagate,
       "same as s[start,len]: 1-based, start <= 0 treated as 1, len <= 0 or start past the end gives \"\"",
       py: Exact, sql: Exact, Oracle: ORACLE_EMPTY),
    f!("UpCase", String, 1..=1, Returns::Fixed(S), Propagate, "upper case", py: Exact, sql: Exact),
    f!("DownCase", String, 1..=1, Returns::Fixed(S), Propagate, "lower case", py: Exact, sql: Exact),
    f!("Index", String, 3..=3, Returns::Fixed(I), Propagate,
       "1-based position of the k-th occurrence of sub in s, 0 if absent (k < 1 treated as 1)",
       py: Exact, sql: Exact, SqlServer: Approx("SQL Server: only occurrence 1 (CHARINDEX); other occurrences are unsupported"), Ansi: Approx("ANSI POSITION: only occurrence 1")),
    f!("Count", String, 2..=2, Returns::Fixed(I), Propagate,
       "number of non-overlapping occurrences of sub in s; 0 when sub is \"\"",
       py: Exact, sql: Exact, SqlServer: Approx("SQL Server LEN ignores trailing blanks and REPLACE follows the collation's case rules")),
    f!("DCount", String, 2..=2, Returns::Fixed(I), Propagate,
       "number of delimited fields: Count(s,d)+1, 0 when s is \"\"",
       py: Exact, sql: Exact, SqlServer: Approx("SQL Server LEN ignores trailing blanks and REPLACE follows the collation's case rules"), Oracle: ORACLE_EMPTY),
    f!("Field", String, 3..=4, Returns::Fixed(S), Propagate,
       "k-th field of s split on delimiter d (whole d; k < 1 treated as 1); \"\" when there are fewer fields (Spark's split gives NULL); Field(s,d,k,m) returns m fields joined by d",
       py: Exact, sql: Exact, Oracle: ORACLE_EMPTY, SqlServer: Unsup("SQL Server has no split-part with ordinal before 2022 (STRING_SPLIT ordinal): translate by hand"), Ansi: ANSI_NONSTD),
    f!("Convert", String, 3..=3, Returns::Fixed(S), Propagate,
       "Convert(from, to, s): each character of s found in `from` is replaced by the character at the same position in `to`, or deleted if `to` is shorter. The subject is the LAST argument",
       py: Exact, sql: Exact, Oracle: Approx("Oracle TRANSLATE returns NULL when `to` is ''"), SqlServer: Approx("SQL Server TRANSLATE requires `from` and `to` of equal length"), Ansi: ANSI_NONSTD),
    f!("Ereplace", String, 3..=3, Returns::Fixed(S), Propagate,
       "replace every occurrence of old by new (3-argument form only); old = \"\" leaves s unchanged",
       py: Exact, sql: Exact, Oracle: ORACLE_EMPTY, SqlServer: Approx("SQL Server REPLACE follows the collation (usually case-insensitive)")),
    f!("Change", String, 3..=3, Returns::Fixed(S), Propagate,
       "same as Ereplace(s, old, new)",
       py: Exact, sql: Exact, Oracle: ORACLE_EMPTY, SqlServer: Approx("SQL Server REPLACE follows the collation (usually case-insensitive)")),
    f!("Str", String, 2..=2, Returns::Fixed(S), Propagate,
       "s repeated n times; n <= 0 gives \"\"", py: Exact, sql: Exact,
       Teradata: Approx("Teradata has no REPEAT: RPAD('', n*LENGTH(s), s)"), Oracle: ORACLE_EMPTY, Ansi: ANSI_NONSTD),
    f!("Space", String, 1..=1, Returns::Fixed(S), Propagate,
       "n spaces", py: Exact, sql: Exact, Teradata: Approx("Teradata: RPAD('', n, ' ')"), Oracle: ORACLE_EMPTY, Ansi: ANSI_NONSTD),
    f!("Char", String, 1..=1, Returns::Fixed(S), Propagate,
       "character with code n (Latin-1 range)", py: Approx("Spark chr() wraps codes above 255 modulo 256"), sql: Exact, Ansi: ANSI_NONSTD, Postgres: Approx("PostgreSQL chr(0) raises an error")),
    f!("Seq", String, 1..=1, Returns::Fixed(I), Propagate,
       "code of the first character", py: Exact, sql: Exact),
    f!("PadString", String, 3..=3, Returns::Fixed(S), Propagate,
       "PadString(s, c, n): append n copies of the first character of c", py: Exact, sql: Exact,
       Teradata: Approx("Teradata: RPAD to LENGTH(s)+n (CHAR columns are already padded)"), Oracle: ORACLE_EMPTY, Ansi: ANSI_NONSTD),
    f!("Num", String, 1..=1, Returns::Fixed(I), Propagate,
       "1 if s is a number (optional sign, digits, optional decimal point; \"\" counts as numeric as in BASIC), else 0",
       py: Exact, sql: Exact, SqlServer: Approx("SQL Server ISNUMERIC also accepts currency signs and exponents"), Ansi: Approx("SIMILAR TO is not universally supported")),
    f!("Alpha", String, 1..=1, Returns::Fixed(I), Propagate,
       "1 if s is non-empty and only letters A-Z/a-z, else 0",
       py: Exact, sql: Exact, SqlServer: Approx("SQL Server: LIKE '%[^A-Za-z]%' follows the collation"), Ansi: Approx("SIMILAR TO is not universally supported")),
    f!("Compare", String, 2..=2, Returns::Fixed(I), Propagate,
       "-1, 0 or 1 comparing two strings by code point (left-justified)",
       py: Exact, sql: Approx("string ordering follows the database collation"), Postgres: Exact),
    f!("CompactWhiteSpace", String, 1..=1, Returns::Fixed(S), Propagate,
       "collapse each run of spaces/tabs to one space (ends kept)", py: Exact, sql: Exact, SqlServer: NO_REGEX_MSSQL, Ansi: ANSI_NONSTD),
    f!("StripWhiteSpace", String, 1..=1, Returns::Fixed(S), Propagate,
       "remove every space and tab", py: Exact, sql: Exact, SqlServer: Approx("SQL Server: only spaces and tabs via REPLACE"), Oracle: ORACLE_EMPTY, Ansi: ANSI_NONSTD),
    f!("Squote", String, 1..=1, Returns::Fixed(S), Propagate, "s enclosed in single quotes", py: Exact, sql: Exact),
    f!("Dquote", String, 1..=1, Returns::Fixed(S), Propagate, "s enclosed in double quotes", py: Exact, sql: Exact),
    f!("Fmt", Server, 2..=2, Returns::Fixed(S), Propagate,
       "BASIC format mask (FMT); not modelled", py: Unsup("format masks are not translated"), sql: Unsup("format masks are not translated")),
    // ---- nulls ---------------------------------------------------------
    f!("IsNull", Null, 1..=1, Returns::Fixed(I), Never, "1 if x is NULL else 0", py: Exact, sql: Exact, Oracle: Approx("Oracle: '' is NULL, so IsNull('') is 1")),
    f!("IsNotNull", Null, 1..=1, Returns::Fixed(I), Never, "1 if x is not NULL else 0", py: Exact, sql: Exact, Oracle: Approx("Oracle: '' is NULL, so IsNotNull('') is 0")),
    f!("NullToValue", Null, 2..=2, Returns::Arg(0), Never, "x, or v when x is NULL (\"\" is not NULL)", py: Exact, sql: Exact, Oracle: Approx("Oracle: '' is NULL and gets replaced")),
    f!("NullToEmpty", Null, 1..=1, Returns::Fixed(S), Never, "x, or \"\" when x is NULL", py: Exact, sql: Exact, Oracle: Approx("Oracle: '' is NULL, the result stays NULL")),
    f!("NullToZero", Null, 1..=1, Returns::Numeric, Never, "x, or 0 when x is NULL", py: Exact, sql: Exact),
    f!("SetNull", Null, 0..=0, Returns::Fixed(Type::Unknown), Always, "NULL (typed by the target column)", py: Exact, sql: Exact),
    // ---- dates and times ----------------------------------------------
    f!("StringToDate", DateTime, 1..=2, Returns::Fixed(Type::Date), First,
       "parse s with a DataStage format (default %yyyy-%mm-%dd); invalid input gives NULL here (DataStage warns and may reject the row); the format must be a literal to translate",
       py: Approx("Spark cannot parse weekday names (%eee) and returns NULL on invalid input"), sql: Approx("invalid input raises an error instead of NULL"), SqlServer: DATE_FMT_MSSQL),
    f!("DateToString", DateTime, 1..=2, Returns::Fixed(S), First,
       "format d with a DataStage format (default %yyyy-%mm-%dd); format must be a literal to translate",
       py: Exact, sql: Exact, SqlServer: Approx("SQL Server FORMAT uses the session language for month and day names"), Ansi: ANSI_NONSTD),
    f!("StringToTimestamp", DateTime, 1..=2, Returns::Fixed(Type::Timestamp), First,
       "parse s with a DataStage format (default %yyyy-%mm-%dd %hh:%nn:%ss); invalid input gives NULL",
       py: Approx("Spark cannot parse weekday names (%eee) and returns NULL on invalid input"), sql: Approx("invalid input raises an error instead of NULL"), SqlServer: DATE_FMT_MSSQL),
    f!("TimestampToString", DateTime, 1..=2, Returns::Fixed(S), First,
       "format t (default %yyyy-%mm-%dd %hh:%nn:%ss)", py: Exact, sql: Exact, SqlServer: Approx("SQL Server FORMAT uses the session language for month and day names"), Ansi: ANSI_NONSTD),
    f!("StringToTime", DateTime, 1..=2, Returns::Fixed(Type::Time), First,
       "parse a time (default %hh:%nn:%ss)", py: Unsup("Spark has no TIME type"), sql: Approx("invalid input raises an error instead of NULL"), SqlServer: DATE_FMT_MSSQL, Oracle: NO_TIME_ORACLE),
    f!("TimeToString", DateTime, 1..=2, Returns::Fixed(S), First,
       "format a time (default %hh:%nn:%ss)", py: Unsup("Spark has no TIME type"), sql: Exact, SqlServer: Approx("SQL Server FORMAT on time needs escaped separators"), Ansi: ANSI_NONSTD, Oracle: NO_TIME_ORACLE),
    f!("CurrentDate", DateTime, 0..=0, Returns::Fixed(Type::Date), Never,
       "date when the job started (the evaluator uses the environment's date)", py: Approx("date of the Spark session's time zone at query start"), sql: Approx("date of the database session's time zone")),
    f!("CurrentTime", DateTime, 0..=0, Returns::Fixed(Type::Time), Never,
       "current time", py: Unsup("Spark has no TIME type"), sql: Approx("time of the database session's time zone"), Oracle: NO_TIME_ORACLE),
    f!("CurrentTimestamp", DateTime, 0..=0, Returns::Fixed(Type::Timestamp), Never,
       "current timestamp", py: Approx("Spark session time zone"), sql: Approx("database session time zone")),
    f!("DaysSinceFromDate", DateTime, 2..=2, Returns::Fixed(I), Propagate,
       "DaysSinceFromDate(a, b) = days from b to a (a - b); strings are parsed as %yyyy-%mm-%dd",
       py: Exact, sql: Exact, SqlServer: Exact),
    f!("DateFromDaysSince", DateTime, 1..=2, Returns::Fixed(Type::Date), Propagate,
       "base date + n days; base defaults to 1967-12-31 (the BASIC day 0)", py: Exact, sql: Exact),
    f!("YearFromDate", DateTime, 1..=1, Returns::Fixed(I), Propagate, "year", py: Exact, sql: Exact),
    f!("MonthFromDate", DateTime, 1..=1, Returns::Fixed(I), Propagate, "month 1-12", py: Exact, sql: Exact),
    f!("MonthDayFromDate", DateTime, 1..=1, Returns::Fixed(I), Propagate, "day of month", py: Exact, sql: Exact),
    f!("YeardayFromDate", DateTime, 1..=1, Returns::Fixed(I), Propagate, "day of year 1-366", py: Exact, sql: Exact),
    f!("WeekdayFromDate", DateTime, 1..=1, Returns::Fixed(I), Propagate,
       "day of week, Sunday = 0 (one-argument form)", py: Exact, sql: Exact, SqlServer: Approx("SQL Server DATEPART(weekday) depends on SET DATEFIRST (assumed 7)")),
    f!("JulianDayFromDate", DateTime, 1..=1, Returns::Fixed(I), Propagate, "Julian day number (2440588 = 1970-01-01)", py: Exact, sql: Exact),
    f!("HoursFromTime", DateTime, 1..=1, Returns::Fixed(I), Propagate, "hour of a time or timestamp", py: Exact, sql: Exact),
    f!("MinutesFromTime", DateTime, 1..=1, Returns::Fixed(I), Propagate, "minute of a time or timestamp", py: Exact, sql: Exact),
    f!("SecondsFromTime", DateTime, 1..=1, Returns::Fixed(Type::Float), Propagate, "seconds (with fraction) of a time or timestamp", py: Exact, sql: Exact),
    f!("TimestampToDate", DateTime, 1..=1, Returns::Fixed(Type::Date), Propagate, "date part of a timestamp", py: Exact, sql: Exact),
    f!("TimestampToTime", DateTime, 1..=1, Returns::Fixed(Type::Time), Propagate, "time part of a timestamp", py: Unsup("Spark has no TIME type"), sql: Exact, Oracle: NO_TIME_ORACLE),
    f!("DateFromComponents", DateTime, 3..=3, Returns::Fixed(Type::Date), Propagate, "date from year, month, day (NULL when invalid)", py: Exact, sql: Approx("invalid components raise an error instead of NULL")),
    f!("TimestampFromDateTime", DateTime, 2..=2, Returns::Fixed(Type::Timestamp), Propagate, "timestamp from a date and a time", py: Unsup("Spark has no TIME type"), sql: Unsup("only PostgreSQL adds a time to a date directly"), Postgres: Exact),
    f!("DateOffsetByDays", DateTime, 2..=2, Returns::Fixed(Type::Date), Propagate, "date + n days", py: Exact, sql: Exact),
    f!("SecondsSinceFromTimestamp", DateTime, 2..=2, Returns::Fixed(Type::Float), Propagate, "seconds from t2 to t1 (t1 - t2)", py: Exact, sql: Exact, Teradata: Unsup("Teradata interval arithmetic overflows for long spans: translate by hand"), Oracle: Approx("Oracle: fractional seconds are dropped (DATE arithmetic)")),
    // ---- numbers -------------------------------------------------------
    f!("Abs", Numeric, 1..=1, Returns::Numeric, Propagate, "absolute value", py: Exact, sql: Exact),
    f!("Mod", Numeric, 2..=2, Returns::Numeric, Propagate, "remainder with the sign of the dividend; Mod(x, 0) is NULL here (DataStage: runtime error)", py: Exact, sql: Exact),
    f!("Int", Numeric, 1..=1, Returns::Fixed(I), Propagate, "integer part (truncation toward zero)", py: Exact, sql: Exact),
    f!("Neg", Numeric, 1..=1, Returns::Numeric, Propagate, "-x", py: Exact, sql: Exact),
    f!("Sqrt", Numeric, 1..=1, Returns::Fixed(Type::Float), Propagate, "square root; negative gives NULL", py: Exact, sql: Exact),
    f!("Pwr", Numeric, 2..=2, Returns::Fixed(Type::Float), Propagate, "x raised to y", py: Exact, sql: Exact),
    f!("Exp", Numeric, 1..=1, Returns::Fixed(Type::Float), Propagate, "e^x", py: Exact, sql: Exact),
    f!("Ln", Numeric, 1..=1, Returns::Fixed(Type::Float), Propagate, "natural logarithm; x <= 0 gives NULL", py: Exact, sql: Exact),
    f!("Ceil", Numeric, 1..=1, Returns::Fixed(I), Propagate, "smallest integer >= x", py: Exact, sql: Exact),
    f!("Floor", Numeric, 1..=1, Returns::Fixed(I), Propagate, "largest integer <= x", py: Exact, sql: Exact),
    // ---- conversions ---------------------------------------------------
    f!("AsInteger", Conversion, 1..=1, Returns::Fixed(I), Propagate,
       "integer part, truncating toward zero (strings are parsed first); 64-bit here", py: Exact, sql: Exact),
    f!("AsFloat", Conversion, 1..=1, Returns::Fixed(Type::Float), Propagate, "double precision", py: Exact, sql: Exact),
    f!("AsDouble", Conversion, 1..=1, Returns::Fixed(Type::Float), Propagate, "double precision", py: Exact, sql: Exact),
    f!("AsString", Conversion, 1..=1, Returns::Fixed(S), Propagate,
       "text of a value: integers plain, decimals with their scale, dates ISO", py: Exact, sql: Exact,
       Teradata: Approx("Teradata CAST of a number to VARCHAR uses the column FORMAT (may pad)"), SqlServer: Approx("SQL Server CAST(float AS VARCHAR) rounds to 6 digits")),
    f!("StringToDecimal", Conversion, 1..=2, Returns::DecimalArgs, First,
       "decimal from text, truncating beyond the scale (trunc_zero); the scale comes from the target column (38,10 assumed here)",
       py: Approx("Spark rounds half-up beyond the scale"), sql: Approx("the database rounds beyond the scale")),
    f!("DecimalToDecimal", Conversion, 1..=2, Returns::DecimalArgs, First,
       "change precision/scale (target column), truncating", py: Approx("Spark rounds half-up beyond the scale"), sql: Approx("the database rounds beyond the scale")),
    f!("DecimalToString", Conversion, 1..=2, Returns::Fixed(S), First,
       "text of a decimal with its scale (DataStage pads with zeros to the full precision unless \"suppress_zero\")",
       py: Approx("no zero padding to the precision"), sql: Approx("no zero padding to the precision")),
    f!("DecimalToDFloat", Conversion, 1..=2, Returns::Fixed(Type::Float), First, "double from decimal", py: Exact, sql: Exact),
    f!("DFloatToDecimal", Conversion, 1..=2, Returns::DecimalArgs, First, "decimal from double", py: Approx("Spark rounds half-up beyond the scale"), sql: Approx("the database rounds beyond the scale")),
    f!("StringToNumber", Conversion, 1..=1, Returns::Fixed(Type::Float), Propagate, "double from text (NULL when not numeric)", py: Exact, sql: Approx("non-numeric text raises an error"), SqlServer: Exact),
    // ---- type tests ----------------------------------------------------
    f!("IsValid", TypeTest, 2..=2, Returns::Fixed(I), Never,
       "IsValid(type, s): 1 if s converts to type (int32, int64, dfloat, decimal, date, timestamp, string) with the default format; type must be a literal",
       py: Exact, sql: Approx("checked with a pattern: dates like 2024-02-30 pass"), SqlServer: Approx("TRY_CONVERT follows the session's language settings")),
    f!("IsValidDate", TypeTest, 1..=1, Returns::Fixed(I), Never, "1 if s is a valid %yyyy-%mm-%dd date", py: Exact, sql: Approx("checked with a pattern: dates like 2024-02-30 pass"), SqlServer: Exact),
    f!("IsValidTimestamp", TypeTest, 1..=1, Returns::Fixed(I), Never, "1 if s is a valid %yyyy-%mm-%dd %hh:%nn:%ss timestamp", py: Exact, sql: Approx("checked with a pattern: 2024-02-30 passes"), SqlServer: Exact),
    f!("IsValidDecimal", TypeTest, 1..=1, Returns::Fixed(I), Never, "1 if s is a decimal number", py: Exact, sql: Exact, SqlServer: Approx("TRY_CONVERT accepts some forms DataStage rejects")),
    // ---- server job (BASIC) conversions -------------------------------
    f!("Oconv", Server, 2..=2, Returns::Fixed(S), Propagate,
       "BASIC output conversion (D, MC, MR codes); not modelled", py: Unsup("conversion codes are not translated: write by hand"), sql: Unsup("conversion codes are not translated: write by hand")),
    f!("Iconv", Server, 2..=2, Returns::Fixed(S), Propagate,
       "BASIC input conversion; not modelled", py: Unsup("conversion codes are not translated: write by hand"), sql: Unsup("conversion codes are not translated: write by hand")),
];

/// What kind of name a [`VariableDef`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarKind {
    /// `@NAME` system variable.
    System,
    /// `DSJobName`... engine macro.
    Macro,
    /// `link.NOTFOUND`... link variable.
    Link,
}

impl VarKind {
    pub fn as_str(self) -> &'static str {
        match self {
            VarKind::System => "system variable",
            VarKind::Macro => "macro",
            VarKind::Link => "link variable",
        }
    }
}

/// A system variable, macro or link variable with its semantics and its
/// status per target (the same rule as functions: `Unsupported` = a
/// named placeholder and a blocking item; `Approximate` = translated with
/// a reported caveat, and a blocking item too: a value that may differ
/// from DataStage's is never silent).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VariableDef {
    /// As written (`@INROWNUM`, `DSJobName`, `link.NOTFOUND`).
    pub name: &'static str,
    pub kind: VarKind,
    pub ty: Type,
    pub semantics: &'static str,
    pub pyspark: Status,
    pub sql: Status,
}

impl VariableDef {
    pub fn status(&self, target: Target) -> Status {
        match target {
            Target::PySpark => self.pyspark,
            Target::Sql(_) => self.sql,
        }
    }
}

const PARTITIONS: Status =
    Unsup("the target's partitions are not DataStage partitions: the value would differ");
const ROW_COUNTER: Status = Approx(
    "numbered in the input link's order over all rows; DataStage numbers per partition (equal when the Transformer runs sequentially)",
);
const CONTROL_ROW: Status =
    Approx("read from the control table row of that name: NULL unless the run writes that row");
const RUN_UNKNOWN: Status =
    Unsup("the DataStage engine's own state has no equivalent in the target run");

macro_rules! var {
    ($name:literal, $kind:ident, $ty:expr, $sem:literal, py: $py:expr, sql: $sql:expr) => {
        VariableDef {
            name: $name,
            kind: VarKind::$kind,
            ty: $ty,
            semantics: $sem,
            pyspark: $py,
            sql: $sql,
        }
    };
}

/// System variables (IBM, server job "System Variables"; parallel
/// "Supported macros and system variables"), the macros of IBM's "Job
/// Status Macros" and "Macros in DataStage" lists, and link variables.
pub static VARIABLES: &[VariableDef] = &[
    var!("@NULL", System, Type::Unknown, "the null value", py: Exact, sql: Exact),
    var!("@TRUE", System, I, "1", py: Exact, sql: Exact),
    var!("@FALSE", System, I, "0", py: Exact, sql: Exact),
    var!("@FM", System, S, "field mark Char(254)", py: Exact, sql: Exact),
    var!("@VM", System, S, "value mark Char(253)", py: Exact, sql: Exact),
    var!("@SM", System, S, "subvalue mark Char(252)", py: Exact, sql: Exact),
    var!("@TM", System, S, "text mark Char(251)", py: Exact, sql: Exact),
    var!("@DATE", System, Type::Date, "the date the job started (same value on every row)",
         py: Exact, sql: Exact),
    var!("@TIME", System, Type::Time, "the time the job started", py: Exact, sql: Exact),
    var!("@TIMESTAMP", System, Type::Timestamp, "date and time the job started", py: Exact, sql: Exact),
    var!("@INROWNUM", System, I, "input row counter, from 1 (per partition)", py: ROW_COUNTER, sql: ROW_COUNTER),
    var!("@OUTROWNUM", System, I, "output row counter of the link being written (per partition)", py: ROW_COUNTER, sql: ROW_COUNTER),
    var!("@PARTITIONNUM", System, I, "number of the partition running this instance, from 0", py: PARTITIONS, sql: PARTITIONS),
    var!("@NUMPARTITIONS", System, I, "number of partitions the stage runs in", py: PARTITIONS, sql: PARTITIONS),
    var!("@ITERATION", System, I, "loop iteration counter (Transformer loops)", py: Unsup("Transformer loops are not translated"), sql: Unsup("Transformer loops are not translated")),
    var!("@NULL.STR", System, S, "internal representation of null, Char(128)", py: Exact, sql: Exact),
    var!("@LOGNAME", System, S, "the user login name", py: RUN_UNKNOWN, sql: RUN_UNKNOWN),
    var!("@PATH", System, S, "path of the DataStage project", py: RUN_UNKNOWN, sql: RUN_UNKNOWN),
    var!("@WHO", System, S, "the DataStage project directory", py: RUN_UNKNOWN, sql: RUN_UNKNOWN),
    var!("@USERNO", System, I, "the user number", py: RUN_UNKNOWN, sql: RUN_UNKNOWN),
    var!("@SCHEMA", System, S, "schema name of the project", py: RUN_UNKNOWN, sql: RUN_UNKNOWN),
    var!("@DAY", System, I, "day of month of @DATE", py: Exact, sql: Exact),
    var!("@MONTH", System, I, "month of @DATE", py: Exact, sql: Exact),
    var!("@YEAR", System, I, "year of @DATE", py: Exact, sql: Exact),
    var!("DSJobName", Macro, S, "name of the job", py: Exact, sql: Exact),
    var!("DSStageName", Macro, S, "name of the stage evaluating the expression", py: Exact, sql: Exact),
    var!("DSJobStartDate", Macro, Type::Date, "date the job started, YYYY-MM-DD", py: Exact, sql: Exact),
    var!("DSJobStartTime", Macro, Type::Time, "time the job started, HH:MM:SS", py: Exact, sql: Exact),
    var!("DSJobStartTimestamp", Macro, Type::Timestamp, "date and time the job started, YYYY-MM-DD HH:MM:SS", py: Exact, sql: Exact),
    var!("DSJobInvocationId", Macro, S,
         "invocation id of a multi-instance job run, else \"\" (a job with AllowMultipleInvocations 0 gives \"\"; a multi-instance job's id is not passed to the target run: a placeholder)",
         py: Exact, sql: Exact),
    var!("DSHostName", Macro, S, "host name of the engine running the job",
         py: Exact, sql: CONTROL_ROW),
    var!("DSProjectName", Macro, S, "name of the DataStage project",
         py: Unsup("a Glue job has no DataStage project: pass the name by hand"), sql: CONTROL_ROW),
    var!("DSJobController", Macro, S, "name of the sequence (job) that started this job",
         py: Unsup("the controlling sequence's name is not passed to a Glue run"), sql: CONTROL_ROW),
    var!("DSJobWaveNo", Macro, I, "wave number of the run", py: RUN_UNKNOWN, sql: RUN_UNKNOWN),
    var!("DSJobStatus", Macro, I, "status of the running job", py: RUN_UNKNOWN, sql: RUN_UNKNOWN),
    var!("DSJobInvocations", Macro, S, "invocations of the job", py: RUN_UNKNOWN, sql: RUN_UNKNOWN),
    var!("DSStageType", Macro, S, "type of the stage", py: RUN_UNKNOWN, sql: RUN_UNKNOWN),
    var!("DSStageInRowNum", Macro, I, "input row number of the stage", py: RUN_UNKNOWN, sql: RUN_UNKNOWN),
    var!("DSStageVarList", Macro, S, "stage variable names", py: RUN_UNKNOWN, sql: RUN_UNKNOWN),
    var!("DSStageLastErr", Macro, S, "last error of the stage", py: RUN_UNKNOWN, sql: RUN_UNKNOWN),
    var!("DSLinkRowCount", Macro, I, "rows on the link", py: RUN_UNKNOWN, sql: RUN_UNKNOWN),
    var!("DSLinkLastErr", Macro, S, "last error on the link", py: RUN_UNKNOWN, sql: RUN_UNKNOWN),
    var!("DSLinkName", Macro, S, "name of the link", py: RUN_UNKNOWN, sql: RUN_UNKNOWN),
    var!("DSProjectDirectory", Macro, S, "project directory", py: RUN_UNKNOWN, sql: RUN_UNKNOWN),
    var!("DSFlowName", Macro, S, "flow name (DataStage on Cloud Pak)", py: RUN_UNKNOWN, sql: RUN_UNKNOWN),
    var!("DSProjectId", Macro, S, "project id (Cloud Pak)", py: RUN_UNKNOWN, sql: RUN_UNKNOWN),
    var!("DSJobRunId", Macro, S, "run id (Cloud Pak)", py: RUN_UNKNOWN, sql: RUN_UNKNOWN),
    var!("DSJobId", Macro, S, "job id (Cloud Pak)", py: RUN_UNKNOWN, sql: RUN_UNKNOWN),
    var!("link.NOTFOUND", Link, I,
         "1 when the lookup on reference link `link` found no row for the current input row, else 0",
         py: Exact, sql: Exact),
    var!("link.REJECTED", Link, I,
         "1 when output link `link` did not take the current row (its constraint was false); write failures are not modelled: the target raises instead",
         py: Exact, sql: Exact),
    var!("link.REJECTEDCODE", Link, I, "error code of a failed write on the link",
         py: Unsup("write failures raise in Spark: no per-row error code"),
         sql: Unsup("write failures raise in the database: no per-row error code")),
    var!("link.DBMSCODE", Link, S, "database error code of a failed write",
         py: Unsup("write failures raise in Spark: no per-row error code"),
         sql: Unsup("write failures raise in the database: no per-row error code")),
    var!("link.LASTERR", Link, S, "last error on the link",
         py: Unsup("write failures raise in Spark: no per-row error code"),
         sql: Unsup("write failures raise in the database: no per-row error code")),
];

/// The system variable (`@NAME`, `name` without the `@`), macro or link
/// variable (`NOTFOUND`) of that name, case-insensitively.
pub fn variable(kind: VarKind, name: &str) -> Option<&'static VariableDef> {
    VARIABLES.iter().find(|v| {
        v.kind == kind
            && match kind {
                VarKind::System => v.name[1..].eq_ignore_ascii_case(name),
                VarKind::Macro => v.name.eq_ignore_ascii_case(name),
                VarKind::Link => v.name[5..].eq_ignore_ascii_case(name),
            }
    })
}
