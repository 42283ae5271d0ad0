//! The differential case table, shared by `expr_differential.rs` and
//! `expr_sqlglot.rs` (included with `#[path]`). Each expression runs on
//! the named standard rows of the input link `in`.
#![allow(dead_code)]

use queries::expr::eval::{Decimal, Env, Value};
use queries::expr::resolve::Scope;
use queries::expr::types::{Type, Typed};

/// Columns of link `in`: (name, type, spark type, PostgreSQL type).
pub const COLUMNS: &[(&str, &str, &str)] = &[
    ("S1", "string", "TEXT"),
    ("S2", "string", "TEXT"),
    ("S3", "string", "TEXT"),
    ("N1", "bigint", "BIGINT"),
    ("N2", "bigint", "BIGINT"),
    ("D1", "decimal(10,2)", "NUMERIC(10,2)"),
    ("F1", "double", "DOUBLE PRECISION"),
    ("DT", "date", "DATE"),
    ("TS", "timestamp", "TIMESTAMP"),
];

/// Standard rows: A ordinary, B empty strings and zero, C all NULL, D
/// boundaries (leap day, long strings).
pub const ROWS: &[(char, [Option<&str>; 9])] = &[
    (
        'A',
        [
            Some("  Hello   World\t"),
            Some("a,b,,d"),
            Some("abc"),
            Some("5"),
            Some("-3"),
            Some("12.34"),
            Some("2.5"),
            Some("2024-03-05"),
            Some("2024-03-05 14:03:09"),
        ],
    ),
    (
        'B',
        [
            Some(""),
            Some(""),
            Some("x"),
            Some("0"),
            Some("7"),
            Some("-0.50"),
            Some("-1.25"),
            Some("1999-12-31"),
            Some("1999-12-31 23:59:59"),
        ],
    ),
    ('C', [None, None, None, None, None, None, None, None, None]),
    (
        'D',
        [
            Some("abcdef"),
            Some("one|two|three"),
            Some("2024-02-29"),
            Some("2"),
            Some("10"),
            Some("100.00"),
            Some("0.1"),
            Some("2000-02-29"),
            Some("2000-02-29 00:00:00"),
        ],
    ),
];

pub fn scope() -> Scope {
    let mut s = Scope::new();
    for (name, ty, _) in COLUMNS {
        let t = match *ty {
            "string" => Type::String { len: 0 },
            "bigint" => Type::Integer,
            "decimal(10,2)" => Type::Decimal { p: 10, s: 2 },
            "double" => Type::Float,
            "date" => Type::Date,
            _ => Type::Timestamp,
        };
        s = s.with_column("in", name, Typed::new(t, true));
    }
    s.job_name = JOB.into();
    s.stage_name = STAGE.into();
    s
}

/// Job and stage the cases run in (for `DSJobName`, `DSStageName`).
pub const JOB: &str = "J_DIFF";
pub const STAGE: &str = "xf_diff";

fn value(ty: &str, text: Option<&str>) -> Value {
    let Some(t) = text else { return Value::Null };
    match ty {
        "string" => Value::Str(t.to_string()),
        "bigint" => Value::Int(t.parse().expect("int")),
        "decimal(10,2)" => Value::Dec(Decimal::parse(t).expect("decimal")),
        "double" => Value::Float(t.parse().expect("float")),
        "date" => Value::Date(days(t)),
        _ => {
            let (d, time) = t.split_once(' ').expect("timestamp");
            let secs: Vec<i64> = time.split(':').map(|x| x.parse().expect("time")).collect();
            Value::Timestamp(
                days(d) * 86_400_000_000 + (secs[0] * 3600 + secs[1] * 60 + secs[2]) * 1_000_000,
            )
        }
    }
}

fn days(iso: &str) -> i64 {
    let p: Vec<i64> = iso.split('-').map(|x| x.parse().expect("date")).collect();
    queries::expr::datefmt::days_from_civil(p[0], p[1] as u32, p[2] as u32)
}

pub fn env(row: char) -> Env {
    let (_, vals) = ROWS.iter().find(|(r, _)| *r == row).expect("row");
    let mut env = Env::new();
    for ((name, ty, _), v) in COLUMNS.iter().zip(vals) {
        env = env.with_column("in", name, value(ty, *v));
    }
    env.vars.insert("DSJobName".into(), Value::Str(JOB.into()));
    env.vars
        .insert("DSStageName".into(), Value::Str(STAGE.into()));
    env
}

/// (expression, rows it runs on).
pub const EXPRESSIONS: &[(&str, &str)] = &[
    // strings
    ("Trim(in.S1)", "ABCD"),
    ("TRIM(in.S2)", "ABCD"),
    ("Trim(in.S2, \",\", \"A\")", "ABCD"),
    ("Trim(in.S1, \" \", \"L\")", "ABCD"),
    ("Trim(in.S1, \" \", \"T\")", "ABCD"),
    ("Trim(in.S1, \" \", \"B\")", "ABD"),
    ("Trim(in.S2, \",\", \"R\")", "ABCD"),
    ("Trim(in.S1, \" \", \"D\")", "AD"),
    ("TrimF(in.S1)", "ABCD"),
    ("TrimB(in.S1)", "ABCD"),
    ("TrimLeadingTrailing(in.S1)", "ABCD"),
    ("Len(in.S1)", "ABCD"),
    ("Len(in.S3)", "ABD"),
    ("Left(in.S3, 2)", "ABCD"),
    ("Left(in.S1, in.N2)", "ABCD"),
    ("Right(in.S3, 2)", "ABCD"),
    ("Right(in.S1, in.N1)", "ABCD"),
    ("in.S1[3, 5]", "ABCD"),
    ("in.S3[in.N2, 2]", "ABCD"),
    ("in.S3[0, 2]", "ABD"),
    ("in.S3[5, 3]", "ABD"),
    ("in.S3[2, -1]", "AD"),
    ("in.S3[2]", "ABCD"),
    ("in.S1[in.N1]", "ABCD"),
    ("Substrings(in.S3, 2, 10)", "ABCD"),
    ("UpCase(in.S3)", "ABCD"),
    ("DownCase(in.S1)", "ABCD"),
    ("Index(in.S2, \",\", 1)", "ABCD"),
    ("Index(in.S2, \",\", 2)", "ABCD"),
    ("Index(in.S2, \",\", 3)", "ABD"),
    ("Index(in.S3, \"b\", 1)", "ABD"),
    ("INDEX(in.S2, \"|\", 2)", "AD"),
    ("Count(in.S2, \",\")", "ABCD"),
    ("Count(in.S1, \"l\")", "ABCD"),
    ("DCount(in.S2, \",\")", "ABCD"),
    ("DCount(in.S2, \"|\")", "AD"),
    ("Field(in.S2, \",\", 1)", "ABCD"),
    ("Field(in.S2, \",\", 3)", "ABD"),
    ("Field(in.S2, \",\", 9)", "ABD"),
    ("Field(in.S2, \",\", 2, 2)", "ABD"),
    ("Field(in.S2, \"|\", 2)", "ABCD"),
    ("Field(in.S2, \"|\", 0)", "AD"),
    ("Field(in.S1, Char(9), 1)", "AD"),
    ("in.S2[\",\", 2, 1]", "ABD"),
    ("Convert(\"abc\", \"xy\", in.S3)", "ABCD"),
    ("Convert(\",\", \";\", in.S2)", "ABCD"),
    ("Ereplace(in.S2, \",\", \";\")", "ABCD"),
    ("Change(in.S1, \"l\", \"LL\")", "ABCD"),
    ("Ereplace(in.S3, \"\", \"z\")", "AD"),
    ("Str(in.S3, 3)", "ABCD"),
    ("Str(\"-\", in.N2)", "ABCD"),
    ("Space(in.N1) : \"|\"", "ABCD"),
    ("Char(65)", "A"),
    ("Char(in.N1 + 64)", "ABCD"),
    ("Char(300)", "A"),
    ("Seq(in.S3)", "ABCD"),
    ("Seq(\"A\")", "A"),
    ("PadString(in.S3, \"*\", 3)", "ABCD"),
    ("PadString(in.S3, \"xy\", in.N1)", "ABCD"),
    ("Num(in.S3)", "ABCD"),
    ("Num(in.S2)", "ABD"),
    ("Num(\"12.5\")", "A"),
    ("Num(\"-.5\")", "A"),
    ("Num(\"1e5\")", "A"),
    ("Num(\".\")", "A"),
    ("Alpha(in.S3)", "ABCD"),
    ("Alpha(in.S1)", "ABD"),
    ("Compare(in.S3, \"abc\")", "ABCD"),
    ("Compare(in.S1, in.S3)", "ABD"),
    ("Compare(\"B\", \"a\")", "A"),
    ("CompactWhiteSpace(in.S1)", "ABCD"),
    ("StripWhiteSpace(in.S1)", "ABCD"),
    ("Squote(in.S3)", "ABC"),
    ("Dquote(in.S3)", "ABC"),
    // nulls
    ("IsNull(in.S1)", "ABC"),
    // system variables and macros
    ("If in.N1 > 1 Then @TRUE Else @FALSE", "ABCD"),
    ("@TRUE + @FALSE", "A"),
    ("IsNull(@NULL)", "A"),
    ("NullToValue(@NULL, in.S3)", "AC"),
    ("DSJobName : \"/\" : DSStageName", "A"),
    ("Len(DSJobName)", "A"),
    ("IsNotNull(in.N1)", "AC"),
    ("NullToValue(in.S3, \"dflt\")", "AC"),
    ("NullToValue(in.N1, -1)", "AC"),
    ("NullToEmpty(in.S3)", "AC"),
    ("NullToZero(in.N1)", "AC"),
    ("NullToZero(in.D1)", "AC"),
    ("IsNull(SetNull())", "A"),
    ("If IsNull(@NULL) Then 1 Else 0", "A"),
    // dates and times
    ("StringToDate(\"2024-03-05\")", "A"),
    ("StringToDate(in.S3)", "CD"),
    ("StringToDate(\"05/03/2024\", \"%dd/%mm/%yyyy\")", "A"),
    ("StringToDate(\"5 Mar 2024\", \"%d %mmm %yyyy\")", "A"),
    ("StringToDate(\"2024-1-5\")", "A"),
    ("DateToString(in.DT)", "ABCD"),
    ("DateToString(in.DT, \"%dd/%mm/%yyyy\")", "ABCD"),
    ("DateToString(in.DT, \"%d %mmmm %yyyy\")", "ABD"),
    ("DateToString(in.DT, \"%eee %mmm %d\")", "ABD"),
    ("DateToString(in.DT, \"%eeee\")", "ABD"),
    ("DateToString(in.DT, \"%yyyy%mm%dd\")", "ABD"),
    ("DateToString(in.DT, \"%ddd\")", "ABD"),
    ("DateToString(in.DT, \"%yy-%m\")", "ABD"),
    ("StringToTimestamp(\"2024-03-05 14:03:09\")", "A"),
    (
        "StringToTimestamp(\"05.03.2024 14:03\", \"%dd.%mm.%yyyy %hh:%nn\")",
        "A",
    ),
    ("TimestampToString(in.TS)", "ABCD"),
    ("TimestampToString(in.TS, \"%hh%nn%ss\")", "ABD"),
    (
        "TimestampToString(in.TS, \"%yyyy-%mm-%ddT%hh:%nn:%ss.3\")",
        "ABD",
    ),
    (
        "DaysSinceFromDate(in.DT, StringToDate(\"2000-01-01\"))",
        "ABCD",
    ),
    ("DaysSinceFromDate(\"2024-01-01\", in.DT)", "ABCD"),
    ("DateFromDaysSince(in.N1, in.DT)", "ABCD"),
    ("DateFromDaysSince(10)", "A"),
    ("DateOffsetByDays(in.DT, in.N2)", "ABCD"),
    ("YearFromDate(in.DT)", "ABCD"),
    ("MonthFromDate(in.DT)", "ABCD"),
    ("MonthDayFromDate(in.DT)", "ABCD"),
    ("YeardayFromDate(in.DT)", "ABCD"),
    ("WeekdayFromDate(in.DT)", "ABCD"),
    ("JulianDayFromDate(in.DT)", "ABCD"),
    ("HoursFromTime(in.TS)", "ABCD"),
    ("MinutesFromTime(in.TS)", "ABCD"),
    ("SecondsFromTime(in.TS)", "ABCD"),
    ("TimestampToDate(in.TS)", "ABCD"),
    ("DateFromComponents(2024, 2, 29)", "A"),
    ("DateFromComponents(in.N2 + 2000, in.N1 + 1, 1)", "ABCD"),
    (
        "SecondsSinceFromTimestamp(in.TS, StringToTimestamp(\"2024-01-01 00:00:00\"))",
        "ABCD",
    ),
    ("IsNotNull(CurrentDate())", "A"),
    ("IsNotNull(CurrentTimestamp())", "A"),
    ("in.DT > \"2000-01-01\"", "ABCD"),
    (
        "in.TS >= StringToTimestamp(\"2000-01-01 00:00:00\")",
        "ABCD",
    ),
    // numbers
    ("Abs(in.N2)", "ABCD"),
    ("Abs(in.D1)", "ABCD"),
    ("Mod(in.N2, 4)", "ABCD"),
    ("Mod(in.N1, 0)", "A"),
    ("Mod(-7, 2)", "A"),
    ("Int(in.F1)", "ABCD"),
    ("Int(in.D1)", "ABCD"),
    ("Neg(in.N1)", "ABCD"),
    ("Sqrt(in.N2)", "ABCD"),
    ("Pwr(in.N1, 2)", "ABCD"),
    ("Exp(0)", "A"),
    ("Ln(in.F1)", "ABCD"),
    ("Ceil(in.F1)", "ABCD"),
    ("Floor(in.F1)", "ABCD"),
    ("Floor(in.D1)", "ABCD"),
    // conversions
    ("AsInteger(in.D1)", "ABCD"),
    ("AsInteger(\"2.7\")", "A"),
    ("AsInteger(in.F1)", "ABCD"),
    ("AsInteger(-2.7)", "A"),
    ("AsFloat(in.N1)", "ABCD"),
    ("AsDouble(in.D1)", "ABCD"),
    ("AsString(in.N1)", "ABCD"),
    ("AsString(in.D1)", "ABCD"),
    ("AsString(in.F1)", "ABCD"),
    ("AsString(in.F1 * 4)", "AD"),
    ("AsString(in.DT)", "AC"),
    ("StringToDecimal(\"12.345\")", "A"),
    ("StringToDecimal(in.S3)", "C"),
    ("DecimalToDecimal(in.D1)", "ABCD"),
    ("DecimalToString(in.D1)", "ABCD"),
    ("DecimalToDFloat(in.D1)", "ABCD"),
    ("DFloatToDecimal(in.F1)", "ABCD"),
    ("StringToNumber(\"3.25\")", "A"),
    // type tests
    ("IsValid(\"int32\", in.S3)", "ABCD"),
    ("IsValid(\"int32\", \" 42 \")", "A"),
    ("IsValid(\"decimal\", \"1.5\")", "A"),
    ("IsValid(\"date\", in.S3)", "ABCD"),
    ("IsValid(\"timestamp\", \"2024-03-05 14:03:09\")", "A"),
    ("IsValid(\"string\", in.S3)", "AC"),
    ("IsValidDate(in.S3)", "ABCD"),
    ("IsValidDecimal(in.S3)", "ABCD"),
    ("IsValidDecimal(\"-1.50\")", "A"),
    ("IsValidTimestamp(\"2024-03-05 14:03:09\")", "A"),
    // operators and precedence
    ("in.S3 : \"-\" : in.N1", "ABCD"),
    ("in.S1 : in.S3", "ABC"),
    ("\"n=\" : in.D1", "ABCD"),
    ("in.N1 + in.N2", "ABCD"),
    ("in.N1 - in.D1", "ABCD"),
    ("in.D1 * 2", "ABCD"),
    ("in.N2 / 4", "ABCD"),
    ("in.N1 * in.F1", "ABCD"),
    ("-in.N1", "ABCD"),
    ("in.N1 ^ 2", "ABCD"),
    ("1 + 2 * 3 - 4 / 2", "A"),
    ("in.S3 : in.N1 + 1", "ABCD"),
    ("in.N1 > in.N2", "ABCD"),
    ("in.S3 = \"abc\"", "ABCD"),
    ("in.S3 <> \"abc\"", "ABCD"),
    ("in.S3 # \"abc\"", "ABD"),
    ("in.S3 < \"b\"", "ABCD"),
    ("in.N1 >= 5 And in.N2 < 0", "ABCD"),
    ("in.N1 = 0 or IsNull(in.N1)", "ABCD"),
    ("NOT(in.N1 > 2)", "ABCD"),
    ("in.N1 = 5 Or in.N2 = 7 And in.N1 = 0", "ABCD"),
    ("in.N1 = \"5\"", "ABD"),
    ("If in.N1 > 2 Then \"big\" Else \"small\"", "ABCD"),
    (
        "If in.N1 > 4 Then \"big\" Else If in.N1 > 1 Then \"mid\" Else \"small\"",
        "ABCD",
    ),
    ("if IsNull(in.S1) then \"null\" else in.S1", "ABC"),
    ("If in.N1 Then 1 Else 0", "ABCD"),
    ("IF in.S3 = \"x\" THEN @TRUE ELSE @FALSE", "ABCD"),
    (
        "If Len(Trim(in.S1)) = 0 Then \"blank\" Else UpCase(Trim(in.S1))",
        "ABCD",
    ),
    (
        "Field(Trim(in.S2), \",\", 2) : \"/\" : Left(in.S3, 1)",
        "ABCD",
    ),
    (
        "If Index(in.S2, \",\", 1) > 0 Then Field(in.S2, \",\", 2) Else \"none\"",
        "ABCD",
    ),
];

/// All (expression, row) cases.
pub fn cases() -> Vec<(&'static str, char)> {
    EXPRESSIONS
        .iter()
        .flat_map(|(e, rows)| rows.chars().map(move |r| (*e, r)))
        .collect()
}
