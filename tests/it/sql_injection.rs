//! Hostile export text against the SQL target (issue 15, "safe by
//! construction"). A small clean export (a parallel job: file source,
//! database source with user SQL, database source with a table and a WHERE
//! clause, a Transformer, a database and a file target; and a sequence
//! running it) is written once with clean values and once per (hostile
//! string, field) with the string planted in that field: job, stage, link,
//! column and parameter names, a parameter default, the folder, the
//! description, a table name, a file name, the user SQL (SELECT, WHERE,
//! before SQL) and a derivation's string literal. The real binary builds
//! the lot in all five dialects. Then:
//! - every `.sql` parses with sqlglot in its dialect
//!   (`tests/harness/check_sql_files.py`) and has as many statements as
//!   the clean job's same file, not counting the failing `dsmig_stop`
//!   statement a job gets where it cannot run as generated (nor Teradata's
//!   volatile table of parameters, made only where one is read);
//! - every `.sh` passes `bash -n`;
//! - every `load/*.sh` and `run/*.sh` runs with fake database clients
//!   first on PATH, which also do what the real ones would do with a
//!   command line smuggled into their input (`.OS` in BTEQ, `\!` in psql,
//!   `HOST` / `!` in SQL*Plus, `:!!` in sqlcmd, for the files they are
//!   given too): no planted `PWNED` command runs (the sentinel writes a
//!   marker file, which must not exist).

use crate::glue;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use corpus_gen::dsx_writer::escape_into;

const DIALECTS: [&str; 5] = ["teradata", "postgres", "oracle", "sqlserver", "ansi"];

const FIELDS: [&str; 12] = [
    "job",
    "stage",
    "link",
    "column",
    "param",
    "default",
    "folder",
    "description",
    "table",
    "file",
    "sql",
    "literal",
];

/// The hostile strings: (label, text).
fn hostile() -> Vec<(&'static str, String)> {
    vec![
        (
            "quotes",
            "it's \"q\" `b` \u{2018}s\u{2019} \u{201c}d\u{201d} [b]] \"\" ''".into(),
        ),
        ("triple", "\"\"\"x'''y\"\"\"".into()),
        (
            "newline",
            "a\n.OS PWNED\nPWNED\n$(PWNED)\n:!! PWNED\nHOST PWNED\n!PWNED\n\\! PWNED\nb".into(),
        ),
        ("cr", "a\r.OS PWNED\rDROP TABLE x;\r-- c".into()),
        (
            "backslash",
            "C:\\new\\table\\\\ \\U0001 \\x41 \\' e\\".into(),
        ),
        (
            "shell",
            "${PWNED} $(PWNED) `PWNED` $PWNED ;PWNED; |PWNED &&PWNED".into(),
        ),
        ("sql", "'; DROP TABLE t; -- */ /* # }} {{x}} %{y}".into()),
        ("nul", "a\0b\u{1}c\u{7f}d".into()),
        ("bidi", "a\u{200f}b\u{202e}c\u{2028}d\u{85}e".into()),
        ("long", "x'\"".repeat(3334)),
        ("heredoc", "\nBTEQ\nSQL\nCTL\nEOF\nPWNED\n".into()),
        (
            "tools",
            "\nGO\n:r x\n&x\n/\n@x\n.QUIT 0;\n.OS PWNED;".into(),
        ),
    ]
}

fn dsx(s: &str) -> String {
    let mut out = String::new();
    escape_into(&mut out, s);
    out
}

/// A DataStage string literal holding `s` (a delimiter it does not hold).
fn ds_literal(s: &str) -> String {
    for q in ['"', '\'', '\\'] {
        if !s.contains(q) {
            return format!("{q}{s}{q}");
        }
    }
    format!("\"{}\"", s.replace('"', ""))
}

/// Values of the fields of one job (logical text, not yet DSX-escaped).
struct Values {
    job: String,
    seq: String,
    v: BTreeMap<&'static str, String>,
}

fn clean_values(tag: &str) -> Values {
    let v: BTreeMap<&'static str, String> = [
        ("job", "x"),
        ("stage", "XF"),
        ("link", "LNK_OUT"),
        ("column", "NAME_OUT"),
        ("param", "P_ONE"),
        ("default", "abc"),
        ("folder", "\\Jobs\\Clean"),
        ("description", "A clean job"),
        ("table", "T_OUT"),
        ("file", "in.csv"),
        ("sql", "SELECT ID, AMOUNT FROM SRC_TABLE"),
        ("literal", "lit"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_string()))
    .collect();
    Values {
        job: format!("J{tag}_{}", v["job"]),
        seq: format!("Q{tag}"),
        v,
    }
}

fn planted(tag: &str, field: &'static str, text: &str) -> Values {
    let mut vals = clean_values(tag);
    vals.v.insert(field, text.to_string());
    vals.job = format!("J{tag}_{}", vals.v["job"]);
    vals
}

fn connector_xml(generate: bool, table: &str, select: &str, where_: &str) -> String {
    format!(
        "<?xml version='1.0' encoding='UTF-16'?><Properties version='1.1'><Common><Context type='int'>1</Context></Common><Usage><GenerateSQL modified='1' type='bool'><![CDATA[{}]]></GenerateSQL><TableName modified='1' type='string'><![CDATA[{table}]]></TableName><SQL><SelectStatement modified='1' type='string'><![CDATA[{select}]]></SelectStatement><WhereClause type='string'><![CDATA[{where_}]]></WhereClause></SQL><WriteMode type='int'><![CDATA[0]]></WriteMode><BeforeAfter type='bool'><![CDATA[1]]><BeforeSQL type='string'><![CDATA[{select}]]></BeforeSQL></BeforeAfter></Usage></Properties >",
        u8::from(generate)
    )
}

fn stage(id: &str, name: &str, ty: &str, pins: &str, xml: Option<String>) -> String {
    let mut s = format!(
        "   BEGIN DSRECORD\n      Identifier \"{id}\"\n      OLEType \"CCustomStage\"\n      Name \"{}\"\n      StageType \"{ty}\"\n{pins}",
        dsx(name)
    );
    if let Some(x) = xml {
        s.push_str(&format!(
            "      Properties \"CCustomProperty\"\n      BEGIN DSSUBRECORD\n         Name \"XMLProperties\"\n         Value \"{}\"\n      END DSSUBRECORD\n",
            dsx(&x)
        ));
    }
    s.push_str("   END DSRECORD\n");
    s
}

fn column(
    name: &str,
    sql_type: u32,
    precision: u32,
    key: bool,
    derivation: Option<&str>,
) -> String {
    format!(
        "      BEGIN DSSUBRECORD\n         Name \"{}\"\n         SqlType \"{sql_type}\"\n         Precision \"{precision}\"\n         Scale \"{}\"\n         Nullable \"{}\"\n         KeyPosition \"{}\"\n{}      END DSSUBRECORD\n",
        dsx(name),
        if sql_type == 3 { 2 } else { 0 },
        u8::from(!key),
        u8::from(key),
        derivation
            .map(|d| format!("         Derivation \"{}\"\n", dsx(d)))
            .unwrap_or_default()
    )
}

fn file_prop(path: &str) -> String {
    format!(
        "      Properties \"CCustomProperty\"\n      BEGIN DSSUBRECORD\n         Name \"file\"\n         Value \"\\(2)\\(2)0\\(1)\\(3)file\\(2){}\\(2)0\"\n      END DSSUBRECORD\n",
        dsx(path)
    )
}

fn pin(id: &str, ole: &str, name: &str, partner: &str, body: &str) -> String {
    format!(
        "   BEGIN DSRECORD\n      Identifier \"{id}\"\n      OLEType \"{ole}\"\n      Name \"{}\"\n      Partner \"{partner}\"\n{body}   END DSRECORD\n",
        dsx(name)
    )
}

fn params(v: &Values) -> String {
    format!(
        "      Parameters \"CParameters\"\n      BEGIN DSSUBRECORD\n         Name \"SRC_DIR\"\n         Default \"/data/in\"\n         ParamType \"0\"\n      END DSSUBRECORD\n      BEGIN DSSUBRECORD\n         Name \"{}\"\n         Default \"{}\"\n         ParamType \"0\"\n      END DSSUBRECORD\n",
        dsx(&v.v["param"]),
        dsx(&v.v["default"])
    )
}

fn root(name: &str, kind: u8, v: &Values) -> String {
    format!(
        "BEGIN DSJOB\n   Identifier \"{n}\"\n   DateModified \"2020-01-01\"\n   BEGIN DSRECORD\n      Identifier \"ROOT\"\n      OLEType \"CJobDefn\"\n      Name \"{n}\"\n      Description \"{}\"\n      JobType \"{kind}\"\n      Category \"{}\"\n{}   END DSRECORD\n",
        dsx(&v.v["description"]),
        dsx(&v.v["folder"]),
        params(v),
        n = dsx(name),
    )
}

/// The parallel job and its sequence.
fn export_of(v: &Values) -> String {
    let f = |k: &str| v.v[k].as_str();
    let (where_clean, sql) = if f("sql") == "SELECT ID, AMOUNT FROM SRC_TABLE" {
        ("AMOUNT > 0", f("sql"))
    } else {
        (f("sql"), f("sql"))
    };
    let mut s = root(&v.job, 3, v);
    // File source → Transformer → database target.
    s.push_str(&stage(
        "V0S1",
        "SRC_FILE",
        "PxSequentialFile",
        "      OutputPins \"V0S1P1\"\n",
        None,
    ));
    s.push_str(&pin(
        "V0S1P1",
        "CCustomOutput",
        "LNK_IN",
        "V0S3|V0S3P1",
        &format!(
            "{}      Columns \"COutputColumn\"\n{}{}",
            file_prop(&format!("#SRC_DIR#/{}", f("file"))),
            column("ID", 4, 10, true, None),
            column("NAME", 12, 30, false, None)
        ),
    ));
    s.push_str(&format!(
        "   BEGIN DSRECORD\n      Identifier \"V0S3\"\n      OLEType \"CTransformerStage\"\n      Name \"{}\"\n      StageType \"CTransformerStage\"\n      InputPins \"V0S3P1\"\n      OutputPins \"V0S3P2\"\n   END DSRECORD\n",
        dsx(f("stage"))
    ));
    s.push_str(&pin(
        "V0S3P1",
        "CTrxInput",
        "LNK_IN",
        "V0S1|V0S1P1",
        "      LinkType \"1\"\n",
    ));
    s.push_str(&pin(
        "V0S3P2",
        "CTrxOutput",
        f("link"),
        "V0S4|V0S4P1",
        &format!(
            "      Columns \"COutputColumn\"\n{}{}{}",
            column("ID", 4, 10, true, Some("LNK_IN.ID")),
            column(
                f("column"),
                12,
                200,
                false,
                Some(&format!("LNK_IN.NAME : {}", ds_literal(f("literal"))))
            ),
            column("P_COL", 12, 200, false, Some(f("param")))
        ),
    ));
    s.push_str(&stage(
        "V0S4",
        "TGT_DB",
        "ODBCConnectorPX",
        "      InputPins \"V0S4P1\"\n",
        Some(connector_xml(true, f("table"), "", "")),
    ));
    s.push_str(&pin(
        "V0S4P1",
        "CCustomInput",
        f("link"),
        "V0S3|V0S3P2",
        "      LinkType \"1\"\n",
    ));
    // Database source with user SQL → file target.
    s.push_str(&stage(
        "V0S2",
        "SRC_DB",
        "ODBCConnectorPX",
        "      OutputPins \"V0S2P1\"\n",
        Some(connector_xml(false, "", sql, "")),
    ));
    s.push_str(&pin(
        "V0S2P1",
        "CCustomOutput",
        "LNK_DB",
        "V0S6|V0S6P1",
        &format!(
            "      Columns \"COutputColumn\"\n{}{}",
            column("ID", 4, 10, true, None),
            column("AMOUNT", 3, 10, false, None)
        ),
    ));
    s.push_str(&stage(
        "V0S6",
        "TGT_FILE",
        "PxSequentialFile",
        "      InputPins \"V0S6P1\"\n",
        None,
    ));
    s.push_str(&pin(
        "V0S6P1",
        "CCustomInput",
        "LNK_DB",
        "V0S2|V0S2P1",
        &format!(
            "      LinkType \"1\"\n{}",
            file_prop(&format!("#SRC_DIR#/out_{}", f("file")))
        ),
    ));
    // Database source with a table and a WHERE clause → database target.
    s.push_str(&stage(
        "V0S5",
        "SRC_TAB",
        "ODBCConnectorPX",
        "      OutputPins \"V0S5P1\"\n",
        Some(connector_xml(true, f("table"), "", where_clean)),
    ));
    s.push_str(&pin(
        "V0S5P1",
        "CCustomOutput",
        "LNK_TAB",
        "V0S7|V0S7P1",
        &format!(
            "      Columns \"COutputColumn\"\n{}{}",
            column("ID", 4, 10, true, None),
            column("AMOUNT", 3, 10, false, None)
        ),
    ));
    s.push_str(&stage(
        "V0S7",
        "TGT_TAB",
        "ODBCConnectorPX",
        "      InputPins \"V0S7P1\"\n",
        Some(connector_xml(true, "T_OUT2", "", "")),
    ));
    s.push_str(&pin(
        "V0S7P1",
        "CCustomInput",
        "LNK_TAB",
        "V0S5|V0S5P1",
        "      LinkType \"1\"\n",
    ));
    s.push_str("END DSJOB\n");
    // The sequence: one job activity, a parameter passed on by reference
    // and one set to a literal (`ParamValue`: the key dsmig reads; exports
    // spell it `ValueExpression`, which the parser does not read yet).
    s.push_str(&root(&v.seq, 2, v));
    s.push_str(&format!(
        "   BEGIN DSRECORD\n      Identifier \"V0S1\"\n      OLEType \"CJSJobActivity\"\n      Name \"{}\"\n      StageType \"CJSJobActivity\"\n      Jobname \"{}\"\n      ParamValues \"CJSParamValue\"\n      BEGIN DSSUBRECORD\n         Name \"{p}\"\n         ParamValue \"{p}\"\n      END DSSUBRECORD\n      BEGIN DSSUBRECORD\n         Name \"SRC_DIR\"\n         ParamValue \"{}\"\n      END DSSUBRECORD\n   END DSRECORD\nEND DSJOB\n",
        dsx(f("stage")),
        dsx(&v.job),
        dsx(&ds_literal(f("literal"))),
        p = dsx(f("param")),
    ));
    s
}

const HEADER: &str = "BEGIN HEADER\n   CharacterSet \"CP1252\"\n   ServerVersion \"9.1\"\n   Date \"2024-01-01\"\nEND HEADER\n";

/// Fake database clients: each exits 0, and first runs what the real
/// tool would run as a shell command from its input (stdin, `-c` / `-Q`
/// text, `-f` / `-i` files, SQL*Plus `@file` lines).
const FAKE_CLIENT: &str = r#"#!/bin/sh
input=$(mktemp)
[ -t 0 ] || cat >> "$input"
while [ $# -gt 0 ]; do
  case "$1" in
    -c|-Q) printf '%s\n' "$2" >> "$input"; shift ;;
    -f|-i) [ -f "$2" ] && cat "$2" >> "$input"; shift ;;
    queryout) shift ;;
  esac
  shift
done
# SQL*Plus runs the scripts named by @file lines.
for f in $(sed -n 's/^[[:space:]]*@\([^[:space:]]*\).*/\1/p' "$input"); do
  [ -f "$f" ] && cat "$f" >> "$input"
done
# Shell escapes at the start of a line: BTEQ .OS, psql \!, SQL*Plus HOST
# and !, sqlcmd :!!.
sed -n -e 's/^[[:space:]]*\.[Oo][Ss][[:space:]]\(.*\)$/\1/p' \
       -e 's/^[[:space:]]*\\!\(.*\)$/\1/p' \
       -e 's/^[[:space:]]*[Hh][Oo][Ss][Tt][[:space:]]\(.*\)$/\1/p' \
       -e 's/^[[:space:]]*!\(.*\)$/\1/p' \
       -e 's/^[[:space:]]*:!!\(.*\)$/\1/p' "$input" > "$input.cmds"
while IFS= read -r cmd; do
  sh -c "$cmd" >/dev/null 2>&1 || true
done < "$input.cmds"
rm -f "$input" "$input.cmds"
exit 0
"#;

fn write_exec(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn files_under(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == ext) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The (hostile index, field index) of a generated file, from its stem
/// (`J03_07_...`, `test_J03_07_...`, `Q03_07...`); `None`: the clean job.
fn owner(path: &Path) -> Option<(usize, usize)> {
    let name = path.file_name()?.to_str()?;
    let name = name.strip_prefix("test_").unwrap_or(name);
    let rest = name.strip_prefix('J').or_else(|| name.strip_prefix('Q'))?;
    let s: usize = rest.get(0..2)?.parse().ok()?;
    let f: usize = rest.get(3..5)?.parse().ok()?;
    Some((s, f))
}

/// The folder (`sql`, `ddl`...) of a file, and its kind (`sql/x`).
fn kind(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap();
    let dir = rel.iter().nth(1).unwrap().to_string_lossy().to_string();
    let job = path.file_name().unwrap().to_string_lossy().starts_with('Q');
    format!("{dir}/{}", if job { "sequence" } else { "job" })
}

struct Work(PathBuf);

impl Work {
    fn path(&self) -> &Path {
        &self.0
    }
}

#[test]
fn hostile_export_text_stays_inert_in_every_sql_target_file() {
    // DSMIG_INJECTION_KEEP=DIR keeps the exports and outputs in DIR.
    let kept = std::env::var_os("DSMIG_INJECTION_KEEP").map(PathBuf::from);
    let temp = tempfile::tempdir().unwrap();
    if let Some(k) = &kept {
        let _ = std::fs::remove_dir_all(k);
        std::fs::create_dir_all(k).unwrap();
    }
    let work = Work(kept.unwrap_or_else(|| temp.path().to_path_buf()));
    let input = work.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    let strings = hostile();
    let mut text = HEADER.to_string();
    text.push_str(&export_of(&clean_values("cc")));
    for (si, (_, s)) in strings.iter().enumerate() {
        for (fi, f) in FIELDS.iter().enumerate() {
            text.push_str(&export_of(&planted(&format!("{si:02}_{fi:02}"), f, s)));
        }
    }
    std::fs::write(input.join("hostile.dsx"), &text).unwrap();

    let out = work.path().join("out");
    for d in DIALECTS {
        let r = Command::new(env!("CARGO_BIN_EXE_dsmig"))
            .current_dir(work.path())
            .args([
                "build",
                "--no-llm",
                "--target",
                "sql",
                "--dialect",
                d,
                "--store",
            ])
            .arg(work.path().join(format!("store_{d}")))
            .arg("--output-dir")
            .arg(out.join(d))
            .arg(&input)
            .output()
            .expect("dsmig runs");
        assert!(
            r.status.success(),
            "{d}: {}",
            String::from_utf8_lossy(&r.stderr)
        );
    }

    // Every job and sequence got its files (a planted value loses none).
    let jobs = strings.len() * FIELDS.len();
    for d in DIALECTS {
        let sql = files_under(&out.join(d).join("sql"), "sql");
        let runs = files_under(&out.join(d).join("run"), "sh");
        assert_eq!(sql.len(), jobs + 1, "{d}: sql/ files");
        assert_eq!(runs.len(), jobs + 1, "{d}: run/ files");
    }

    // sqlglot, every file in its dialect; statement counts vs the clean job.
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/harness/check_sql_files.py");
    let r = Command::new(glue::python())
        .arg(script)
        .arg(&out)
        .output()
        .expect("python runs");
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).expect("harness JSON");
    let failures = v["failures"].as_object().cloned().unwrap_or_default();
    let per_file = v["per_file"].as_object().cloned().unwrap_or_default();
    let mut clean: BTreeMap<String, u64> = BTreeMap::new();
    // Statements, less the failing stops and Teradata's parameter table (a
    // parameter that is not a name leaves its derivation untranslated: the
    // job stops and reads no parameter).
    let count = |x: &serde_json::Value| {
        x[0].as_u64().unwrap_or(0) - x[1].as_u64().unwrap_or(0) - x[2].as_u64().unwrap_or(0)
    };
    for (rel, x) in &per_file {
        let p = out.join(rel);
        if owner(&p).is_none() && p.file_name().unwrap().to_string_lossy().contains("cc") {
            clean.insert(
                format!("{}:{}", rel.split('/').next().unwrap(), kind(&out, &p)),
                count(x),
            );
        }
    }
    assert!(clean.len() >= 5 * 4, "clean files: {clean:?}");
    let mut count_diffs = Vec::new();
    for (rel, x) in &per_file {
        let p = out.join(rel);
        if owner(&p).is_none() {
            continue;
        }
        let key = format!("{}:{}", rel.split('/').next().unwrap(), kind(&out, &p));
        match clean.get(&key) {
            Some(&n) if n == count(x) => {}
            Some(&n) => count_diffs.push(format!("{rel}: {} statements, clean {n}", count(x))),
            None => count_diffs.push(format!("{rel}: no clean counterpart ({key})")),
        }
    }

    // bash -n, then a run with fake clients and the PWNED sentinel.
    let bin = work.path().join("fakebin");
    std::fs::create_dir_all(&bin).unwrap();
    for tool in [
        "psql",
        "bteq",
        "sqlplus",
        "sqlldr",
        "bcp",
        "sqlcmd",
        "fake_sql_client",
    ] {
        write_exec(&bin.join(tool), FAKE_CLIENT);
    }
    let marker = work.path().join("PWNED.marker");
    write_exec(
        &bin.join("PWNED"),
        &format!("#!/bin/sh\necho \"$0 $*\" >> '{}'\n", marker.display()),
    );
    let path = format!("{}:/usr/bin:/bin", bin.display());
    let tmp = work.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let mut syntax = Vec::new();
    let mut injections = Vec::new();
    let mut scripts = 0;
    for d in DIALECTS {
        let root = out.join(d);
        let mut sh = files_under(&root.join("load"), "sh");
        sh.extend(files_under(&root.join("run"), "sh"));
        for p in sh {
            scripts += 1;
            let n = Command::new("bash").arg("-n").arg(&p).output().unwrap();
            if !n.status.success() {
                syntax.push(format!(
                    "{}: {}",
                    p.display(),
                    String::from_utf8_lossy(&n.stderr)
                ));
            }
            let _ = std::fs::remove_file(&marker);
            let run = Command::new("sh")
                .arg(&p)
                .current_dir(&root)
                .env_clear()
                .env("PATH", &path)
                .env("HOME", work.path())
                .env("TMPDIR", &tmp)
                .env("SRC_DIR", work.path().join("data"))
                .env("SQLLDR_PARFILE", work.path().join("parfile"))
                .env("SQLPLUS_CONNECT", work.path().join("connect.sql"))
                .env("DSMIG_SQL_CLIENT", bin.join("fake_sql_client"))
                .stdin(std::process::Stdio::null())
                .output()
                .unwrap();
            if marker.exists() {
                injections.push(format!(
                    "{} (exit {:?}): {}",
                    p.display(),
                    run.status.code(),
                    std::fs::read_to_string(&marker).unwrap_or_default().trim()
                ));
            }
        }
    }

    let total = strings.len() * FIELDS.len() * DIALECTS.len();
    eprintln!(
        "sql injection: {} strings x {} fields x {} dialects = {total} planted builds; {} SQL files, {} statements; {} parse failures, {} statement-count differences; {scripts} scripts: {} bash -n failures, {} injections",
        strings.len(),
        FIELDS.len(),
        DIALECTS.len(),
        v["files"],
        v["statements"],
        failures.len(),
        count_diffs.len(),
        syntax.len(),
        injections.len()
    );
    let label = |p: &str| {
        owner(Path::new(p))
            .map(|(s, f)| format!(" [{} in {}]", strings[s].0, FIELDS[f]))
            .unwrap_or_default()
    };
    let mut report = Vec::new();
    for (k, e) in failures.iter().take(30) {
        report.push(format!(
            "parse: {k}{}: {}",
            label(k),
            e.as_str().unwrap_or("")
        ));
    }
    for k in count_diffs.iter().take(30) {
        report.push(format!(
            "count: {k}{}",
            label(k.split(':').next().unwrap_or(""))
        ));
    }
    for k in syntax.iter().take(30) {
        report.push(format!("bash -n: {k}"));
    }
    for k in &injections {
        report.push(format!("injection: {k}"));
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
}
