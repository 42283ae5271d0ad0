//! A small, tolerant tokenizer for DataStage expressions (derivations,
//! constraints, stage variables, trigger expressions, BASIC snippets) and
//! the list of known built-in functions (reference §4.4 plus the parallel
//! and server function catalogues).
//!
//! Everything that needs to know "which functions exist" goes through
//! [`classify_function`], so this one file can later switch to the
//! registry of the expression module (`queries::expr`) without touching
//! the analyses.

/// A token of an expression. Text is borrowed from the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tok<'a> {
    /// Identifier, possibly dotted (`lnk.COL`, `DSU.MyRoutine`), or a
    /// keyword (`If`, `Then`, `And`...).
    Ident(&'a str),
    /// `@INROWNUM`, `@TRUE`...
    SysVar(&'a str),
    /// A quoted string, without its quotes.
    Str(&'a str),
    Num(&'a str),
    /// `#NAME#` job parameter reference (properties, SQL, file names), the
    /// name without the hashes.
    Param(&'a str),
    /// Any other character or operator (`(`, `:`, `<>`...).
    Punct(&'a str),
}

/// Tokenize `text`. Never fails: unknown bytes become punctuation, an
/// unterminated string runs to the end.
pub fn tokenize(text: &str) -> Vec<Tok<'_>> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'"' || c == b'\'' {
            let start = i + 1;
            let mut j = start;
            while j < b.len() && b[j] != c {
                j += 1;
            }
            out.push(Tok::Str(&text[start..j]));
            i = (j + 1).min(b.len());
        } else if c.is_ascii_digit() {
            let start = i;
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                i += 1;
            }
            out.push(Tok::Num(&text[start..i]));
        } else if c.is_ascii_alphabetic() || c == b'_' || c == b'$' {
            let start = i;
            while i < b.len()
                && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'_' | b'$' | b'.'))
            {
                i += 1;
            }
            // A trailing dot is punctuation, not part of the name.
            let mut end = i;
            while end > start + 1 && b[end - 1] == b'.' {
                end -= 1;
            }
            out.push(Tok::Ident(&text[start..end]));
            i = end;
        } else if c == b'@' {
            let start = i;
            i += 1;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            out.push(Tok::SysVar(&text[start..i]));
        } else if c == b'#' {
            // `#NAME#` or `#SET.NAME#`; a lone `#` is BASIC not-equal.
            let start = i + 1;
            let mut j = start;
            while j < b.len()
                && (b[j].is_ascii_alphanumeric() || matches!(b[j], b'_' | b'$' | b'.'))
            {
                j += 1;
            }
            if j < b.len() && b[j] == b'#' && j > start {
                out.push(Tok::Param(&text[start..j]));
                i = j + 1;
            } else {
                out.push(Tok::Punct(&text[i..i + 1]));
                i += 1;
            }
        } else {
            // Two-character operators first.
            let two = if i + 1 < b.len() {
                &b[i..i + 2]
            } else {
                &b[i..i + 1]
            };
            let n = if matches!(two, b"<>" | b"<=" | b">=" | b"==" | b"!=") {
                2
            } else {
                // Keep multi-byte UTF-8 characters whole.
                let mut n = 1;
                while i + n < b.len() && !text.is_char_boundary(i + n) {
                    n += 1;
                }
                n
            };
            out.push(Tok::Punct(&text[i..i + n]));
            i += n;
        }
    }
    out
}

/// Keywords of the expression language (never function calls, never
/// references).
pub fn is_keyword(word: &str) -> bool {
    const KW: &[&str] = &[
        "IF", "THEN", "ELSE", "AND", "OR", "NOT", "END", "CASE", "BEGIN", "CALL", "GOTO", "GOSUB",
        "RETURN", "LOCATE", "IN", "SETTING", "DEL", "FOR", "NEXT", "TO", "LOOP", "WHILE", "UNTIL",
        "REPEAT", "ON", "EQU", "LIT",
    ];
    KW.iter().any(|k| k.eq_ignore_ascii_case(word))
}

/// What a called name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FnClass {
    /// A built-in function the translators know.
    Known,
    /// `DSU.Name(...)`: a server routine call (BASIC).
    Routine,
    /// A name that is not a built-in: a user routine (parallel external
    /// routine or server routine) or a typo.
    Unknown,
    /// A DataStage built-in without a translation rule: the translators
    /// emit a named placeholder for it.
    Untranslatable,
}

/// Built-in DataStage functions (parallel transformer, server BASIC
/// functions commonly used in derivations, and job-control functions),
/// upper-cased, sorted for binary search.
const KNOWN: &[&str] = &[
    "ABS",
    "ACOS",
    "ALNUM",
    "ALPHA",
    "ASCII",
    "ASDOUBLE",
    "ASFLOAT",
    "ASIN",
    "ASINTEGER",
    "ATAN",
    "ATAN2",
    "BITAND",
    "BITCOMPRESS",
    "BITEXPAND",
    "BITOR",
    "BITXOR",
    "CATS",
    "CEIL",
    "CHANGE",
    "CHAR",
    "COMPACTWHITESPACE",
    "COMPARE",
    "COMPARENOCASE",
    "COMPARENUM",
    "COMPARENUMNOCASE",
    "CONVERT",
    "COS",
    "COSH",
    "COUNT",
    "CURRENTDATE",
    "CURRENTTIME",
    "CURRENTTIMEMS",
    "CURRENTTIMESTAMP",
    "CURRENTTIMESTAMPMS",
    "DATE",
    "DATEFROMCOMPONENTS",
    "DATEFROMDAYSSINCE",
    "DATEFROMDAYSSINCE2",
    "DATEFROMJULIANDAY",
    "DATEOFFSETBYCOMPONENTS",
    "DATEOFFSETBYDAYS",
    "DATETODECIMAL",
    "DATETOSTRING",
    "DAYSINMONTH",
    "DAYSINYEAR",
    "DAYSSINCEFROMDATE",
    "DAYSSINCEFROMDATE2",
    "DCOUNT",
    "DECIMALTODATE",
    "DECIMALTODECIMAL",
    "DECIMALTODFLOAT",
    "DECIMALTOSTRING",
    "DECIMALTOTIME",
    "DECIMALTOTIMESTAMP",
    "DFLOATTODECIMAL",
    "DFLOATTOSTRINGNOEXP",
    "DIV",
    "DOWNCASE",
    "DQUOTE",
    "DSATTACHJOB",
    "DSDETACHJOB",
    "DSGETJOBINFO",
    "DSGETLINKINFO",
    "DSGETPARAMINFO",
    "DSGETPROJECTINFO",
    "DSGETSTAGEINFO",
    "DSLOGFATAL",
    "DSLOGINFO",
    "DSLOGWARN",
    "DSMAKEMSG",
    "DSRUNJOB",
    "DSSETJOBLIMIT",
    "DSSETPARAM",
    "DSSETUSERSTATUS",
    "DSWAITFORJOB",
    "EBCDIC",
    "ELEMENTAT",
    "EREPLACE",
    "EXCHANGE",
    "EXP",
    "FABS",
    "FIELD",
    "FLOOR",
    "FMT",
    "GETENVIRONMENT",
    "GETSAVEDINPUTRECORD",
    "HOURSFROMTIME",
    "ICONV",
    "IF",
    "INDEX",
    "INT",
    "ISNOTNULL",
    "ISNULL",
    "ISVALID",
    "ISVALIDDATE",
    "ISVALIDDECIMAL",
    "ISVALIDTIME",
    "ISVALIDTIMESTAMP",
    "JULIANDAYFROMDATE",
    "LASTROW",
    "LASTROWINGROUP",
    "LDEXP",
    "LEFT",
    "LEN",
    "LLABS",
    "LN",
    "LOG10",
    "MAKENULL",
    "MANTISSAFROMDECIMAL",
    "MANTISSAFROMDFLOAT",
    "MAX",
    "MICROSECONDSFROMTIME",
    "MIDNIGHTSECONDSFROMTIME",
    "MIN",
    "MINUTESFROMTIME",
    "MOD",
    "MONTHDAYFROMDATE",
    "MONTHFROMDATE",
    "NEG",
    "NEXTSKCHAIN",
    "NEXTSURROGATEKEY",
    "NEXTWEEKDAYFROMDATE",
    "NOT",
    "NTHWEEKDAYFROMDATE",
    "NULLTOEMPTY",
    "NULLTOVALUE",
    "NULLTOZERO",
    "NUM",
    "OCONV",
    "PADSTRING",
    "PREVIOUSWEEKDAYFROMDATE",
    "PREVSKCHAIN",
    "PWR",
    "RAND",
    "RANDOM",
    "RAWLENGTH",
    "RIGHT",
    "RND",
    "SAVEINPUTRECORD",
    "SECONDSFROMTIME",
    "SECONDSSINCEFROMTIMESTAMP",
    "SECONDSSINCEFROMTIMESTAMP2",
    "SEQ",
    "SEQAT",
    "SETNULL",
    "SIN",
    "SINH",
    "SOUNDEX",
    "SPACE",
    "SQRT",
    "SQUOTE",
    "SRANDOM",
    "STR",
    "STRINGTODATE",
    "STRINGTODECIMAL",
    "STRINGTORAW",
    "STRINGTOTIME",
    "STRINGTOTIMESTAMP",
    "STRINGTOUSTRING",
    "STRIPWHITESPACE",
    "TAN",
    "TANH",
    "TIME",
    "TIMEDATE",
    "TIMEFROMCOMPONENTS",
    "TIMEFROMMIDNIGHTSECONDS",
    "TIMEOFFSETBYCOMPONENTS",
    "TIMEOFFSETBYSECONDS",
    "TIMESTAMPFROMDATETIME",
    "TIMESTAMPFROMSECONDSSINCE",
    "TIMESTAMPFROMSECONDSSINCE2",
    "TIMESTAMPFROMTIMET",
    "TIMESTAMPOFFSETBYCOMPONENTS",
    "TIMESTAMPOFFSETBYSECONDS",
    "TIMESTAMPTODATE",
    "TIMESTAMPTODECIMAL",
    "TIMESTAMPTOSTRING",
    "TIMESTAMPTOTIME",
    "TIMETFROMTIMESTAMP",
    "TIMETODECIMAL",
    "TIMETOSTRING",
    "TRIM",
    "TRIMB",
    "TRIMF",
    "TRIMLEADINGTRAILING",
    "TRIMS",
    "UPCASE",
    "USTRINGTOSTRING",
    "WEEKDAYFROMDATE",
    "YEARDAYFROMDATE",
    "YEARFROMDATE",
    "YEARWEEKFROMDATE",
];

/// Classify a called name against the expression language's function
/// registry (what the translators can do), so that AUTO means "every
/// expression translates": a built-in the registry marks unsupported for
/// PySpark, or a built-in the registry does not have, gets a placeholder.
pub fn classify_function(name: &str) -> FnClass {
    let upper = name.to_ascii_uppercase();
    if upper.starts_with("DSU.") {
        return FnClass::Routine;
    }
    match crate::expr::functions::lookup(name) {
        Some(def) if matches!(def.pyspark, crate::expr::functions::Status::Unsupported(_)) => {
            FnClass::Untranslatable
        }
        Some(_) => FnClass::Known,
        None if KNOWN.binary_search(&upper.as_str()).is_ok() => FnClass::Untranslatable,
        None => FnClass::Unknown,
    }
}

/// Names called in `text` (identifier directly followed by `(`), in order
/// of appearance, with duplicates.
pub fn called_functions(text: &str) -> Vec<String> {
    let toks = tokenize(text);
    let mut out = Vec::new();
    for w in toks.windows(2) {
        if let (Tok::Ident(name), Tok::Punct("(")) = (w[0], w[1])
            && !is_keyword(name)
        {
            out.push(name.to_string());
        }
    }
    out
}

/// Bare identifiers referenced in `text` that are not function names or
/// keywords (`lnk.COL`, stage variables, parameters, macros).
pub fn references(text: &str) -> Vec<&str> {
    let toks = tokenize(text);
    let mut out = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        if let Tok::Ident(name) = t {
            let called = matches!(toks.get(i + 1), Some(Tok::Punct("(")));
            if !called && !is_keyword(name) {
                out.push(*name);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_list_is_sorted_and_unique() {
        for w in KNOWN.windows(2) {
            assert!(w[0] < w[1], "{} >= {}", w[0], w[1]);
        }
    }

    #[test]
    fn tokenizes_derivations() {
        let t = tokenize("If IsNull(lnk.A) Then 'x' Else lnk.A : \"y\" <> 3.5 #P#");
        assert_eq!(t[0], Tok::Ident("If"));
        assert_eq!(t[1], Tok::Ident("IsNull"));
        assert_eq!(t[3], Tok::Ident("lnk.A"));
        assert!(t.contains(&Tok::Str("x")));
        assert!(t.contains(&Tok::Punct("<>")));
        assert!(t.contains(&Tok::Num("3.5")));
        assert!(t.contains(&Tok::Param("P")));
    }

    #[test]
    fn finds_and_classifies_calls() {
        let calls =
            called_functions("Trim(DSU.MyRtn(a.b)) : MyUdf(x) : Not(y) : If (a) Then b Else c");
        assert_eq!(calls, vec!["Trim", "DSU.MyRtn", "MyUdf"]);
        assert_eq!(classify_function("trim"), FnClass::Known);
        assert_eq!(classify_function("DSU.MyRtn"), FnClass::Routine);
        assert_eq!(classify_function("MyUdf"), FnClass::Unknown);
        assert_eq!(references("a.b + svX - Len(c)"), vec!["a.b", "svX", "c"]);
    }

    #[test]
    fn never_panics_on_odd_text() {
        for s in ["\"unterminated", "#", "##", "é(ü)", "a..", "@", "1.2.3e"] {
            let _ = tokenize(s);
            let _ = called_functions(s);
        }
    }
}
