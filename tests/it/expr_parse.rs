//! Parser: syntax of datastage-reference §4.1, DataStage precedence,
//! error positions, and never a panic on arbitrary input.

use proptest::prelude::*;
use queries::expr::ast::{BinOp, ExprKind, SubstringForm, UnaryOp};
use queries::expr::{Expr, parse};

fn ok(src: &str) -> Expr {
    parse(src).unwrap_or_else(|e| panic!("{src}: {e}"))
}

fn bin(e: &Expr) -> (BinOp, Expr, Expr) {
    match &e.kind {
        ExprKind::Binary { op, lhs, rhs } => (*op, (**lhs).clone(), (**rhs).clone()),
        other => panic!("not binary: {other:?}"),
    }
}

#[test]
fn literals_references_and_variables() {
    assert_eq!(ok("\"a'b\"").kind, ExprKind::Str("a'b".into()));
    assert_eq!(ok("'x\"y'").kind, ExprKind::Str("x\"y".into()));
    assert_eq!(ok("12.50").kind, ExprKind::Num("12.50".into()));
    assert_eq!(
        ok("lnk_in.CUST_ID").kind,
        ExprKind::Column {
            link: "lnk_in".into(),
            column: "CUST_ID".into()
        }
    );
    assert_eq!(ok("svCounter").kind, ExprKind::Name("svCounter".into()));
    assert_eq!(ok("#pRunDate#").kind, ExprKind::Param("pRunDate".into()));
    assert_eq!(
        ok("#PS_ETL.TargetDb#").kind,
        ExprKind::Param("PS_ETL.TargetDb".into())
    );
    assert_eq!(ok("@inrownum").kind, ExprKind::SysVar("INROWNUM".into()));
    assert_eq!(ok("@NULL").kind, ExprKind::SysVar("NULL".into()));
}

#[test]
fn precedence_follows_basic() {
    // `:` is below arithmetic: a : (b + 1)
    let (op, _, rhs) = bin(&ok("a : b + 1"));
    assert_eq!(op, BinOp::Concat);
    assert_eq!(bin(&rhs).0, BinOp::Add);
    // ... and above comparison: (a : b) = "x"
    let (op, lhs, _) = bin(&ok("a : b = \"x\""));
    assert_eq!(op, BinOp::Eq);
    assert_eq!(bin(&lhs).0, BinOp::Concat);
    // * over +, AND over OR
    let (op, _, rhs) = bin(&ok("1 + 2 * 3"));
    assert_eq!((op, bin(&rhs).0), (BinOp::Add, BinOp::Mul));
    let (op, _, rhs) = bin(&ok("a = 1 or b = 2 AND c = 3"));
    assert_eq!((op, bin(&rhs).0), (BinOp::Or, BinOp::And));
    // `#` is not-equal; NOT covers a comparison
    assert_eq!(bin(&ok("a # 1")).0, BinOp::Ne);
    assert_eq!(bin(&ok("a >< 1")).0, BinOp::Ne);
    match ok("Not a = 1").kind {
        ExprKind::Unary {
            op: UnaryOp::Not,
            operand,
        } => assert_eq!(bin(&operand).0, BinOp::Eq),
        other => panic!("{other:?}"),
    }
    // left associativity
    let (op, lhs, _) = bin(&ok("10 - 2 - 3"));
    assert_eq!((op, bin(&lhs).0), (BinOp::Sub, BinOp::Sub));
}

#[test]
fn if_then_else_chains_and_multi_line() {
    let src = "IF a >= b AND\n   c < d THEN\n   \"x\"\nELSE\nIf e Then \"y\" Else \"z\"";
    match ok(src).kind {
        ExprKind::If { cond, els, .. } => {
            assert_eq!(bin(&cond).0, BinOp::And);
            assert!(matches!(els.kind, ExprKind::If { .. }));
        }
        other => panic!("{other:?}"),
    }
    // If as an operand
    assert_eq!(bin(&ok("1 + If a Then 1 Else 2")).0, BinOp::Add);
    // lower-case keywords
    assert!(matches!(ok("if x then 1 else 0").kind, ExprKind::If { .. }));
}

#[test]
fn substring_forms_and_calls() {
    let form = |src: &str| match ok(src).kind {
        ExprKind::Substring { form, .. } => form,
        other => panic!("{other:?}"),
    };
    assert!(matches!(form("s[1, 3]"), SubstringForm::Range { .. }));
    assert!(matches!(form("lnk.s[4]"), SubstringForm::Last { .. }));
    assert!(matches!(
        form("s[\",\", 2, 1]"),
        SubstringForm::Field { .. }
    ));
    assert!(matches!(form("Trim(s)[1,2]"), SubstringForm::Range { .. }));
    match ok("UPCASE(x)").kind {
        ExprKind::Call { name, args } => assert_eq!((name.as_str(), args.len()), ("UpCase", 1)),
        other => panic!("{other:?}"),
    }
    assert!(matches!(ok("CurrentDate()").kind, ExprKind::Call { .. }));
    match ok("DSU.MyRoutine(a, 1)").kind {
        ExprKind::Routine { name, .. } => assert_eq!(name, "DSU.MyRoutine"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        ok("UtilityHashLookup(\"X\", a, 5)").kind,
        ExprKind::Routine { .. }
    ));
}

#[test]
fn errors_carry_line_and_column() {
    let e = parse("a +").unwrap_err();
    assert_eq!((e.line, e.column), (1, 4));
    let e = parse("If a Then\n  1\n  2").unwrap_err();
    assert_eq!((e.line, e.column), (3, 3), "{e}");
    let e = parse("Left(\"abc, 2)").unwrap_err();
    assert_eq!((e.line, e.column), (1, 6));
    assert!(e.message.contains("unterminated"));
    let e = parse("a ~ b").unwrap_err();
    assert_eq!(e.column, 3);
    assert!(parse("").is_err());
    assert!(parse("s[1,2,3,4]").is_err());
    assert!(
        parse(&"(".repeat(10_000)).is_err(),
        "deep nesting is an error, not a stack overflow"
    );
    assert!(parse(&"-".repeat(10_000)).is_err());
    assert!(parse(&format!("{}1{}", "(".repeat(60), ")".repeat(60))).is_ok());
    // Else If chains are parsed in a loop, but the tree they make is as
    // high as they are long, and every later pass recurses over it: past
    // the height limit they are an error too (a 2000-arm chain used to
    // parse, then overflow the stack in the Glue translator).
    let arms = |n: usize| -> String {
        let chain: String = (0..n)
            .map(|i| format!("If a = {i} Then {i} Else "))
            .collect();
        format!("{chain}0")
    };
    assert!(parse(&arms(200)).is_ok());
    let e = parse(&arms(2000)).unwrap_err();
    assert!(e.message.contains("more than 256"), "{e}");
}

#[test]
fn trees_higher_than_the_limit_are_errors_not_overflows() {
    use queries::expr::parser::MAX_HEIGHT;
    // n chained operators make a tree n + 1 high.
    let chain = |op: &str, n: usize| vec!["a"; n + 1].join(op);
    for op in [" + ", " : ", " * ", " AND ", " = "] {
        assert!(parse(&chain(op, MAX_HEIGHT - 1)).is_ok(), "{op}");
        let e = parse(&chain(op, MAX_HEIGHT)).unwrap_err();
        assert!(e.message.contains("too deep"), "{op}: {e}");
        let e = parse(&chain(op, 100_000)).unwrap_err();
        assert!(e.message.contains("too deep"), "{op}: {e}");
    }
    assert!(parse(&format!("a{}", "[1,2]".repeat(MAX_HEIGHT - 1))).is_ok());
    assert!(parse(&format!("a{}", "[1,2]".repeat(100_000))).is_err());
    assert!(
        parse(&format!(
            "{}a{}",
            "Abs(".repeat(100_000),
            ")".repeat(100_000)
        ))
        .is_err()
    );
    assert!(parse(&format!("{}a{}", "(".repeat(100_000), ")".repeat(100_000))).is_err());
    // A tree at the limit is walked without recursion.
    let e = parse(&chain(" + ", MAX_HEIGHT - 1)).expect("parses");
    let mut nodes = 0;
    e.walk(&mut |_| nodes += 1);
    assert_eq!(nodes, 2 * MAX_HEIGHT - 1);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Fuzz target kept as a property test (cargo-fuzz needs nightly):
    /// arbitrary text never panics.
    #[test]
    fn never_panics_on_arbitrary_text(s in "\\PC{0,80}") {
        let _ = parse(&s);
    }

    /// Text made of the language's own tokens never panics either.
    #[test]
    fn never_panics_on_token_soup(parts in proptest::collection::vec(
        prop_oneof![
            Just("If "), Just(" Then "), Just(" Else "), Just("("), Just(")"), Just("["),
            Just("]"), Just(","), Just(":"), Just("+"), Just("-"), Just("#"), Just("#P#"),
            Just("@NULL"), Just("a.b"), Just("x"), Just("\""), Just("'s'"), Just("1.5"),
            Just("Trim("), Just(" AND "), Just(" Not "), Just("<="), Just("\n"),
        ], 0..40)) {
        let _ = parse(&parts.concat());
    }
}
