//! Golden routine cases, evaluator level. Each routine is written from
//! IBM's BASIC reference (InfoSphere DataStage BASIC, topics under
//! https://www.ibm.com/docs/SSZJPZ_11.7.0/com.ibm.swg.im.iis.ds.basic.doc/topics/)
//! and its expected result is derived by hand from the documented
//! semantics cited beside it, never by running dsmig.

use super::run::{Callable, Outcome, run};
use super::*;
use crate::expr::eval::{Env, Value, eval};
use crate::expr::parser;

fn routine(name: &str, args: &[&str], src: &str, rtype: &str) -> Routine {
    Routine {
        name: name.into(),
        folder: "Routines".into(),
        routine_type: rtype.into(),
        arguments: args.iter().map(|s| s.to_string()).collect(),
        source: src.into(),
        description: String::new(),
    }
}

fn s(x: &str) -> Value {
    Value::Str(x.into())
}

fn call(r: &Routine, args: Vec<Value>) -> Outcome {
    let p = parse::parse(&r.source);
    run(&p, &r.arguments, args, &|_| None).unwrap_or_else(|e| panic!("{}: {e}", r.name))
}

fn text(v: &Value) -> String {
    v.to_text().unwrap_or_default()
}

/// 1. A one-expression transform function: inlined, and the inlined
///    expression gives what the interpreter gives. Trim collapses inner
///    blanks ("Trim function": leading/trailing removed, multiple inner
///    spaces reduced to one).
#[test]
fn golden_01_inline_expression() {
    let r = routine("CleanName", &["Arg1"], "Ans = UpCase(Trim(Arg1))\n", "0");
    assert_eq!(text(&call(&r, vec![s("  ann   lee ")]).ans), "ANN LEE");
    let arg = parser::parse("in.NAME").unwrap();
    let e = inline(&r, &[arg]).expect("inlinable");
    let env = Env::new().with_column("in", "NAME", s("  ann   lee "));
    assert_eq!(text(&eval(&e, &env).unwrap()), "ANN LEE");
}

/// 2. Block IF / END ELSE / END ("IF statement": THEN and ELSE clauses as
///    blocks closed by END).
#[test]
fn golden_02_if_block() {
    let src = "If Arg1 >= 90 Then\n   Ans = \"A\"\nEnd Else\n   If Arg1 >= 75 Then Ans = \"B\" Else Ans = \"C\"\nEnd\n";
    let r = routine("Grade", &["Arg1"], src, "0");
    assert_eq!(text(&call(&r, vec![Value::Int(95)]).ans), "A");
    assert_eq!(text(&call(&r, vec![Value::Int(80)]).ans), "B");
    assert_eq!(text(&call(&r, vec![Value::Int(10)]).ans), "C");
    assert!(analyse(&r).blockers.is_empty());
    // Not a single expression: not inlined.
    assert!(inline(&r, &[parser::parse("1").unwrap()]).is_none());
}

/// 3. BEGIN CASE: the first true CASE runs; `CASE 1` is the catch-all
///    ("BEGIN CASE statement").
#[test]
fn golden_03_case() {
    let src = "Begin Case\n  Case Arg1 = \"M\"\n    Ans = \"Male\"\n  Case Arg1 = \"F\"\n    Ans = \"Female\"\n  Case 1\n    Ans = \"Unknown\"\nEnd Case\n";
    let r = routine("Gender", &["Arg1"], src, "0");
    assert_eq!(text(&call(&r, vec![s("F")]).ans), "Female");
    assert_eq!(text(&call(&r, vec![s("X")]).ans), "Unknown");
}

/// 4. FOR ... NEXT with Seq/Char-free digit arithmetic: the sum of the
///    digits of "40721" is 14 ("FOR statement"; `s[i,1]` substring).
#[test]
fn golden_04_for_next() {
    let src = "Total = 0\nFor I = 1 To Len(Arg1)\n  Total += Arg1[I,1]\nNext I\nAns = Total\n";
    let r = routine("DigitSum", &["Arg1"], src, "0");
    assert_eq!(text(&call(&r, vec![s("40721")]).ans), "14");
}

/// 5. LOOP / WHILE / REPEAT with Field and DCount: the longest of the
///    comma-separated words ("LOOP statement", "FIELD function",
///    "DCOUNT function").
#[test]
fn golden_05_loop_field_dcount() {
    let src = "N = DCount(Arg1, \",\")\nI = 0\nBest = \"\"\nLoop\n  I = I + 1\nWhile I <= N Do\n  W = Field(Arg1, \",\", I)\n  If Len(W) > Len(Best) Then Best = W\nRepeat\nAns = Best\n";
    let r = routine("Longest", &["Arg1"], src, "0");
    assert_eq!(text(&call(&r, vec![s("ab,abcd,abc")]).ans), "abcd");
}

/// 6. GOSUB / RETURN inside a routine ("GOSUB statement": RETURN goes back
///    to the statement after the GOSUB).
#[test]
fn golden_06_gosub() {
    let src =
        "GoSub Clean\nAns = Work : \"!\"\nReturn(Ans)\n\nClean:\n  Work = Trim(Arg1)\nReturn\n";
    let r = routine("Shout", &["Arg1"], src, "0");
    assert_eq!(text(&call(&r, vec![s("  hi ")]).ans), "hi!");
}

/// 7. CONVERT statement: characters of the first list become the ones at
///    the same position in the second; no counterpart means deleted
///    ("CONVERT statement").
#[test]
fn golden_07_convert_statement() {
    let src = "X = Arg1\nConvert \"-/ \" To \"..\" In X\nAns = X\n";
    let r = routine("DotDate", &["Arg1"], src, "0");
    assert_eq!(text(&call(&r, vec![s("2024-01/05 x")]).ans), "2024.01.05x");
}

/// 8. Dynamic arrays: `X<f>` assignment pads with field marks, `X<2>`
///    extracts ("Dynamic Arrays"; a missing element is "").
#[test]
fn golden_08_dynamic_array() {
    let src =
        "X = \"\"\nX<3> = Arg1\nX<1> = \"a\"\nAns = DCount(X, @FM) : \"/\" : X<3> : \"/\" : X<2>\n";
    let r = routine("Dyn", &["Arg1"], src, "0");
    assert_eq!(text(&call(&r, vec![s("c")]).ans), "3/c/");
}

/// 9. LOCATE ... BY "AL" SETTING: found → THEN with its position; not
///    found → ELSE with the insertion position ("LOCATE statement").
#[test]
fn golden_09_locate() {
    let src = "L = \"apple\" : @FM : \"cherry\" : @FM : \"plum\"\nLocate Arg1 In L By \"AL\" Setting P Then Ans = \"found \" : P Else Ans = \"insert at \" : P\n";
    let r = routine("Where", &["Arg1"], src, "0");
    assert_eq!(text(&call(&r, vec![s("cherry")]).ans), "found 2");
    assert_eq!(text(&call(&r, vec![s("banana")]).ans), "insert at 2");
    assert_eq!(text(&call(&r, vec![s("zebra")]).ans), "insert at 4");
}

/// 10. ICONV/OCONV dates: "12/31/2023" is US month/day/year input
///     ("Date Conversion"); day 0 is 31 Dec 1967, so 31 Dec 2023 is day
///     20454; `D-YMD[4,2,2]` writes it ISO style.
#[test]
fn golden_10_date_reformat() {
    let src = "Internal = Iconv(Arg1, \"D\")\nAns = Oconv(Internal, \"D-YMD[4,2,2]\")\n";
    let r = routine("UsToIso", &["Arg1"], src, "0");
    assert_eq!(text(&call(&r, vec![s("12/31/2023")]).ans), "2023-12-31");
    assert!(analyse(&r).blockers.is_empty());
}

/// 11. Masked decimal output: `OCONV(987654,"MD2,$")` is `$9,876.54` (the
///     example of "OCONV function").
#[test]
fn golden_11_money() {
    let r = routine(
        "Money",
        &["Arg1"],
        "Ans = Oconv(Arg1 * 100, \"MD2,$\")\n",
        "0",
    );
    assert_eq!(text(&call(&r, vec![s("9876.54")]).ans), "$9,876.54");
}

/// 12. Masked character conversions: MCT capitalises each word, MCN keeps
///     digits ("Masked Character Conversion").
#[test]
fn golden_12_mask_chars() {
    let src = "Ans = Oconv(Arg1, \"MCT\") : \" \" : Oconv(Arg2, \"MCN\")\n";
    let r = routine("Card", &["Arg1", "Arg2"], src, "0");
    assert_eq!(
        text(&call(&r, vec![s("mary ANN"), s("(01) 234-5")]).ans),
        "Mary Ann 012345"
    );
}

/// 13. A before-job subroutine: logs and sets ErrorCode, its output
///     argument ("DSLogInfo function"; a non-zero ErrorCode stops the job).
#[test]
fn golden_13_before_job_subroutine() {
    let src = "SUBROUTINE CheckArg(InputArg, ErrorCode)\n$INCLUDE DSINCLUDE JOBCONTROL.H\nErrorCode = 0\nIf Trim(InputArg) = \"\" Then\n   Call DSLogWarn(\"no input\", \"CheckArg\")\n   ErrorCode = 1\nEnd Else\n   Call DSLogInfo(\"input \" : InputArg, \"CheckArg\")\nEnd\nRETURN\n";
    let r = routine("CheckArg", &["InputArg", "ErrorCode"], src, "1");
    assert_eq!(kind(&r), RoutineKind::BeforeAfterSubroutine);
    let out = call(&r, vec![s(" "), Value::Int(0)]);
    assert_eq!(text(&out.args[1]), "1");
    assert_eq!(out.log, vec!["WARNING: no input"]);
    let out = call(&r, vec![s("x"), Value::Int(0)]);
    assert_eq!(text(&out.args[1]), "0");
    assert_eq!(out.log, vec!["INFO: input x"]);
    assert!(analyse(&r).blockers.is_empty());
}

/// 14. One routine calling another, through DEFFUN ("DEFFUN statement")
///     and as `DSU.X(...)`.
#[test]
fn golden_14_routine_calls_routine() {
    let inner = routine(
        "Pad3",
        &["Arg1"],
        "Ans = Str(\"0\", 3 - Len(Arg1)) : Arg1\n",
        "0",
    );
    let outer_src =
        "Deffun Pad3(A) Calling \"DSU.Pad3\"\nAns = Pad3(Arg1) : \"-\" : DSU.Pad3(Arg2)\n";
    let outer = routine("Code", &["Arg1", "Arg2"], outer_src, "0");
    let inner_p = parse::parse(&inner.source);
    let lib = |n: &str| {
        n.eq_ignore_ascii_case("Pad3").then(|| Callable {
            program: &inner_p,
            params: &inner.arguments,
        })
    };
    let p = parse::parse(&outer.source);
    let out = run(&p, &outer.arguments, vec![s("7"), s("42")], &lib).unwrap();
    assert_eq!(text(&out.ans), "007-042");
    assert_eq!(analyse(&outer).calls, vec!["PAD3"]);
}

/// 15. DSLogFatal stops the routine (and the job) with its message.
#[test]
fn golden_15_log_fatal() {
    let r = routine(
        "Guard",
        &["Arg1"],
        "If Arg1 < 0 Then Call DSLogFatal(\"negative\", \"Guard\")\nAns = Arg1\n",
        "0",
    );
    let p = parse::parse(&r.source);
    let err = run(&p, &r.arguments, vec![Value::Int(-1)], &|_| None).unwrap_err();
    assert!(err.contains("DSLogFatal: negative"), "{err}");
    assert_eq!(text(&call(&r, vec![Value::Int(3)]).ans), "3");
}

/// 16. EQ/NE keyword operators and `;*` comments ("Relational operators").
#[test]
fn golden_16_keyword_operators() {
    let src = "* header comment\nIf Arg1 EQ \"Y\" Then Ans = 1 Else Ans = 0 ;* flag\n";
    let r = routine("Flag", &["Arg1"], src, "0");
    assert_eq!(text(&call(&r, vec![s("Y")]).ans), "1");
    assert_eq!(text(&call(&r, vec![s("N")]).ans), "0");
}

/// The real before-job subroutine of the corpus (NSIT-BIM isxer,
/// `RtTnrGetKeys.srt`): job control and PERFORM keep it blocked, each
/// named with its line.
#[test]
fn real_job_control_subroutine_is_blocked_by_line() {
    let src = "SUBROUTINE RtTnrGetKeys(InputArg,ErrorCode)\n$INCLUDE DSINCLUDE DSD.H\n$INCLUDE DSINCLUDE JOBCONTROL.H\n\nDeffun GetEnv(Var) Calling \"DSD.GetEnv\"\nKeys=DSGetParamInfo(DSJ.ME , \"keys\",DSJ.PARAMVALUE)\nIf Keys<>''\nThen\n Call DSLogInfo(Keys,\"KEYS\")\n PERFORM 'ENV SET MdKeys=':Keys\nEnd\nErrorCode = 0      ;* set this to non-zero to stop the stage/job\n\nRETURN";
    let r = routine("RtTnrGetKeys", &["InputArg", "ErrorCode"], src, "1");
    let a = analyse(&r);
    assert_eq!(a.kind, RoutineKind::BeforeAfterSubroutine);
    let lines: Vec<u32> = a.blockers.iter().map(|b| b.line).collect();
    assert!(lines.contains(&6), "{:?}", a.blockers);
    assert!(lines.contains(&10), "{:?}", a.blockers);
    assert!(a.blockers.iter().any(|b| b.what.contains("DSGetParamInfo")));
}

#[test]
fn unknown_statement_names_its_line_and_is_an_error_when_run() {
    let r = routine(
        "Odd",
        &["Arg1"],
        "Ans = 1\nREAD X FROM F, Arg1 ELSE X = ''\n",
        "0",
    );
    let a = analyse(&r);
    assert_eq!(a.blockers.len(), 1);
    assert_eq!(a.blockers[0].line, 2);
    let p = parse::parse(&r.source);
    assert!(run(&p, &r.arguments, vec![s("k")], &|_| None).is_err());
}

#[test]
fn endless_loop_is_an_error_not_a_hang() {
    let r = routine("Spin", &[], "Loop\nRepeat\n", "0");
    let p = parse::parse(&r.source);
    assert!(run(&p, &[], vec![], &|_| None).is_err());
}

#[test]
fn kinds() {
    assert_eq!(
        kind(&routine("a", &[], "Ans = 1", "0")),
        RoutineKind::TransformFunction
    );
    assert_eq!(
        kind(&routine("a", &[], "", "parallel")),
        RoutineKind::ParallelExternal
    );
    assert_eq!(
        kind(&routine("a", &[], "SUBROUTINE a(x,y)", "")),
        RoutineKind::BeforeAfterSubroutine
    );
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    const WORDS: &[&str] = &[
        "IF",
        "THEN",
        "ELSE",
        "END",
        "BEGIN",
        "CASE",
        "FOR",
        "TO",
        "STEP",
        "NEXT",
        "LOOP",
        "WHILE",
        "UNTIL",
        "DO",
        "REPEAT",
        "GOSUB",
        "RETURN",
        "CALL",
        "CONVERT",
        "IN",
        "LOCATE",
        "BY",
        "SETTING",
        "DEFFUN",
        "CALLING",
        "X",
        "Ans",
        "=",
        "<",
        ">",
        ",",
        "(",
        ")",
        "1",
        "\"",
        "'",
        ":",
        ";",
        "*",
        "\n",
        "L1:",
        "<1,2>",
        "EQ",
        "+=",
        "Oconv(X,\"D\")",
        "DSU.R(1)",
    ];

    proptest! {
        /// Any sequence of BASIC-ish tokens parses, analyses and runs
        /// without a panic, and a run ends (value or error).
        #[test]
        fn never_panics(idx in proptest::collection::vec(0..WORDS.len(), 0..40)) {
            let src: Vec<&str> = idx.iter().map(|&i| WORDS[i]).collect();
            let src = src.join(" ");
            let r = routine("F", &["X"], &src, "0");
            let a = analyse(&r);
            let _ = inline(&r, &[crate::expr::parser::parse("1").unwrap()]);
            let _ = run(&a.program, &r.arguments, vec![Value::Int(1)], &|_| None);
        }
    }
}

#[test]
fn deep_nesting_is_refused_not_a_stack_overflow() {
    let src = "If X Then ".repeat(5000) + "Ans = 1";
    let r = routine("Deep", &["X"], &src, "0");
    let a = analyse(&r);
    assert!(
        a.blockers
            .iter()
            .any(|b| b.what.contains("nested too deeply"))
    );
}
