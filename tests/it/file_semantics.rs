//! DataStage's file and ordering semantics, checked by running the
//! generated code on real files: small hand-written exports, input files
//! and the output files DataStage writes for them, derived from IBM's
//! documentation (not from dsmig):
//!
//! - Sequential File stage, Nullable field properties: "Null field value
//!   ... On reading, specifies the value given to a field containing a
//!   null": a field without one is never NULL, an empty field is an empty
//!   string; on writing, NULL becomes that value.
//! - Format tab, Type defaults > Decimal (Data Format text): "a leading
//!   space or '-' followed by decimal digits with an embedded decimal
//!   point if the scale is not zero", the digits filled to the column's
//!   precision and scale.
//! - Input link format tab defaults: "variable length columns contained
//!   within double quotes", comma-delimited; `quote=none` on a column
//!   writes it bare.
//! - Partitioning tab, Auto collection of a sequential-mode target: a
//!   sorted input is collected in its sort order; a Tail after a Sort
//!   keeps the last rows of that order.
//! - Hashed File stage: records are stored by key, a later row with the
//!   same key replaces the earlier one.
//!
//! The Glue job runs through `main()` with the awsglue stand-in on local
//! Spark (real reader and writer, local paths); the PostgreSQL files run on
//! the server of `$DSMIG_PG` (ddl, `load/<job>.sh load`, the job,
//! `load/<job>.sh unload`). Both must write the expected bytes.

use crate::glue;
use crate::sql;

use std::path::Path;
use std::process::Command;

use queries::expr::translate::Dialect;

const HEADER: &str = "BEGIN HEADER\n   CharacterSet \"CP1252\"\n   ServerVersion \"9.1\"\n   Date \"2024-01-01\"\nEND HEADER\n";

/// One column of a link: (name, SqlType, precision, scale, nullable, key,
/// APTFieldProp).
type Col<'a> = (&'a str, i32, u32, u32, bool, bool, &'a str);

fn columns(cols: &[Col]) -> String {
    let mut s = String::from("      Columns \"COutputColumn\"\n");
    for (name, ty, p, sc, nullable, key, fmt) in cols {
        s.push_str(&format!(
            "      BEGIN DSSUBRECORD\n         Name \"{name}\"\n         SqlType \"{ty}\"\n         Precision \"{p}\"\n         Scale \"{sc}\"\n         Nullable \"{}\"\n         KeyPosition \"{}\"\n{}      END DSSUBRECORD\n",
            u8::from(*nullable),
            u8::from(*key),
            if fmt.is_empty() {
                String::new()
            } else {
                format!("         APTFieldProp \"{fmt}\"\n")
            }
        ));
    }
    s
}

fn properties(props: &[(&str, &str)]) -> String {
    if props.is_empty() {
        return String::new();
    }
    let mut s = String::from("      Properties \"CCustomProperty\"\n");
    for (n, v) in props {
        s.push_str(&format!(
            "      BEGIN DSSUBRECORD\n         Name \"{n}\"\n         Value \"{v}\"\n      END DSSUBRECORD\n"
        ));
    }
    s
}

fn schema_format(f: &str) -> String {
    format!(
        "      MetaBag \"CMetaProperty\"\n      BEGIN DSSUBRECORD\n         Owner \"APT\"\n         Name \"SchemaFormat\"\n         Value \"{f}\"\n      END DSSUBRECORD\n"
    )
}

/// A `file` property tree holding one path.
fn file_prop(path: &str) -> String {
    format!("\\(2)\\(2)0\\(1)\\(3)file\\(2){path}\\(2)0")
}

struct Stage<'a> {
    id: &'a str,
    ole: &'a str,
    name: &'a str,
    stage_type: &'a str,
    props: Vec<(&'a str, String)>,
}

struct Pin<'a> {
    id: &'a str,
    ole: &'a str,
    link: &'a str,
    partner: &'a str,
    body: String,
}

fn job(name: &str, job_type: u8, stages: &[Stage], pins: &[Pin]) -> String {
    let mut s = format!(
        "BEGIN DSJOB\n   Identifier \"{name}\"\n   DateModified \"2020-01-01\"\n   BEGIN DSRECORD\n      Identifier \"ROOT\"\n      OLEType \"CJobDefn\"\n      Name \"{name}\"\n      JobType \"{job_type}\"\n   END DSRECORD\n"
    );
    for st in stages {
        let ins: Vec<&str> = pins
            .iter()
            .filter(|p| p.id.starts_with(&format!("{}P", st.id)) && p.ole.contains("Input"))
            .map(|p| p.id)
            .collect();
        let outs: Vec<&str> = pins
            .iter()
            .filter(|p| p.id.starts_with(&format!("{}P", st.id)) && !p.ole.contains("Input"))
            .map(|p| p.id)
            .collect();
        let props: Vec<(&str, &str)> = st.props.iter().map(|(n, v)| (*n, v.as_str())).collect();
        s.push_str(&format!(
            "   BEGIN DSRECORD\n      Identifier \"{}\"\n      OLEType \"{}\"\n      Name \"{}\"\n      StageType \"{}\"\n{}{}{}   END DSRECORD\n",
            st.id,
            st.ole,
            st.name,
            st.stage_type,
            if ins.is_empty() {
                String::new()
            } else {
                format!("      InputPins \"{}\"\n", ins.join("|"))
            },
            if outs.is_empty() {
                String::new()
            } else {
                format!("      OutputPins \"{}\"\n", outs.join("|"))
            },
            properties(&props)
        ));
    }
    for p in pins {
        s.push_str(&format!(
            "   BEGIN DSRECORD\n      Identifier \"{}\"\n      OLEType \"{}\"\n      Name \"{}\"\n      Partner \"{}\"\n{}   END DSRECORD\n",
            p.id, p.ole, p.link, p.partner, p.body
        ));
    }
    s.push_str("END DSJOB\n");
    s
}

const FORMAT: &str = "final_delim=end, delim=',', quote=double";

/// ID integer (bare), NAME string (no null field value), NOTE string
/// (null field value `NULL`), AMT decimal(7,2) (bare).
fn people() -> Vec<Col<'static>> {
    vec![
        ("ID", 4, 10, 0, false, false, "quote=none"),
        ("NAME", 12, 20, 0, true, false, ""),
        ("NOTE", 12, 20, 0, true, false, "null_field='NULL'"),
        ("AMT", 3, 7, 2, true, false, "quote=none"),
    ]
}

fn file_pin<'a>(id: &'a str, link: &'a str, partner: &'a str, input: bool, path: &str) -> Pin<'a> {
    let mut body = columns(&people());
    let mut props = vec![
        ("file", file_prop(path)),
        ("firstLineColumnNames", "firstLineColumnNames".to_string()),
    ];
    if input {
        props.push(("append\\\\overwrite", "overwrite".to_string()));
    }
    let props: Vec<(&str, &str)> = props.iter().map(|(n, v)| (*n, v.as_str())).collect();
    body.push_str(&properties(&props));
    body.push_str(&schema_format(FORMAT));
    if input {
        body.push_str("      LinkType \"1\"\n");
    }
    Pin {
        id,
        ole: if input {
            "CCustomInput"
        } else {
            "CCustomOutput"
        },
        link,
        partner,
        body,
    }
}

fn plain_pin<'a>(id: &'a str, link: &'a str, partner: &'a str, input: bool) -> Pin<'a> {
    let mut body = columns(&people());
    if input {
        body.push_str("      LinkType \"1\"\n");
    }
    Pin {
        id,
        ole: if input {
            "CCustomInput"
        } else {
            "CCustomOutput"
        },
        link,
        partner,
        body,
    }
}

/// Source file → Sort (on `sort_key`) → [Tail 2] → target file.
fn sorted_job(name: &str, sort_key: &str, tail: bool) -> String {
    let mut stages = vec![
        Stage {
            id: "V0S1",
            ole: "CCustomStage",
            name: "src",
            stage_type: "PxSequentialFile",
            props: vec![],
        },
        Stage {
            id: "V0S2",
            ole: "CCustomStage",
            name: "srt",
            stage_type: "PxSort",
            props: vec![("key", sort_key.to_string())],
        },
        Stage {
            id: "V0S3",
            ole: "CCustomStage",
            name: "dst",
            stage_type: "PxSequentialFile",
            props: vec![],
        },
    ];
    let mut pins = vec![
        file_pin("V0S1P1", "lnk_src", "V0S2|V0S2P1", false, "in/people.csv"),
        plain_pin("V0S2P1", "lnk_src", "V0S1|V0S1P1", true),
    ];
    if tail {
        stages.push(Stage {
            id: "V0S4",
            ole: "CCustomStage",
            name: "tl",
            stage_type: "PxTail",
            props: vec![("nrecs", "2".to_string())],
        });
        pins.push(plain_pin("V0S2P2", "lnk_sorted", "V0S4|V0S4P1", false));
        pins.push(plain_pin("V0S4P1", "lnk_sorted", "V0S2|V0S2P2", true));
        pins.push(plain_pin("V0S4P2", "lnk_out", "V0S3|V0S3P1", false));
        pins.push(file_pin(
            "V0S3P1",
            "lnk_out",
            "V0S4|V0S4P2",
            true,
            "out/result.csv",
        ));
    } else {
        pins.push(plain_pin("V0S2P2", "lnk_out", "V0S3|V0S3P1", false));
        pins.push(file_pin(
            "V0S3P1",
            "lnk_out",
            "V0S2|V0S2P2",
            true,
            "out/result.csv",
        ));
    }
    job(name, 3, &stages, &pins)
}

/// The input file: a header line, quoted and bare empty fields, a field
/// holding the null field value, an embedded quote, decimals written
/// short.
const PEOPLE: &str = "ID,NAME,NOTE,AMT\n\
1,\"Ann\",\"\",12.50\n\
2,\"\",NULL,-3.25\n\
3,\"Bob\",\"x\",0.10\n\
4,\"\",\"a\"\"b\",100\n\
5,,,7\n";

/// Sorted on AMT descending: strings quoted (an empty one as `""`), ID
/// and AMT bare, NOTE's NULL as its null field value, decimals with a
/// leading space or `-` and 5 + 2 digits.
const SORTED_BY_AMT_DESC: &str = "ID,NAME,NOTE,AMT\n\
4,\"\",\"a\"\"b\", 00100.00\n\
1,\"Ann\",\"\", 00012.50\n\
5,\"\",\"\", 00007.00\n\
3,\"Bob\",\"x\", 00000.10\n\
2,\"\",NULL,-00003.25\n";

/// Sorted on ID, the last two rows.
const TAIL_BY_ID: &str = "ID,NAME,NOTE,AMT\n\
4,\"\",\"a\"\"b\", 00100.00\n\
5,\"\",\"\", 00007.00\n";

const SORT_AMT_DESC: &str =
    "\\(2)\\(2)0\\(1)\\(3)key\\(2)AMT\\(2)0\\(1)\\(3)\\(3)asc\\\\desc\\(2)desc\\(2)0";
const SORT_ID: &str = "\\(2)\\(2)0\\(1)\\(3)key\\(2)ID\\(2)0";

fn cases() -> Vec<(&'static str, String, &'static str)> {
    vec![
        (
            "FS_SORTED",
            sorted_job("FS_SORTED", SORT_AMT_DESC, false),
            SORTED_BY_AMT_DESC,
        ),
        ("FS_TAIL", sorted_job("FS_TAIL", SORT_ID, true), TAIL_BY_ID),
    ]
}

fn read(dsx: &str, dir: &Path) -> Vec<(queries::ir::Job, String, String)> {
    let path = dir.join("export.dsx");
    std::fs::write(&path, format!("{HEADER}{dsx}")).unwrap();
    let jobs = glue::read_jobs(&[path]);
    assert_eq!(jobs.len(), 1, "the export holds one job");
    jobs
}

/// The bytes of a file Spark wrote as a folder of part files (or a file).
fn written(path: &Path) -> String {
    if path.is_file() {
        return std::fs::read_to_string(path).unwrap();
    }
    let mut parts: Vec<_> = std::fs::read_dir(path)
        .unwrap_or_else(|e| panic!("{} not written: {e}", path.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("part-"))
        })
        .collect();
    parts.sort();
    parts
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

const RUN_MAIN: &str = r#"
import importlib.util, os, sys
out, stem, data = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, os.path.join(out, "tests"))
os.environ["TZ"] = "UTC"
from pyspark.sql import SparkSession
spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
         .config("spark.sql.shuffle.partitions", "3").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
spec = importlib.util.spec_from_file_location("job", os.path.join(out, "glue_jobs", stem + ".py"))
job = importlib.util.module_from_spec(spec)
spec.loader.exec_module(job)
sys.argv = [stem + ".py", "--JOB_NAME", "t", "--DSMIG_DATA_ROOT", data]
job.main()
"#;

#[test]
fn glue_jobs_read_and_write_files_as_datastage() {
    let mut failures = Vec::new();
    for (name, dsx, want) in cases() {
        let out = glue::out_dir(&format!("file_semantics_glue_{name}"));
        let dir = out.path();
        let jobs = read(&dsx, dir);
        let generated = glue::generate(&jobs, dir);
        let stem = generated.jobs.keys().next().unwrap().clone();
        let data = dir.join("data");
        std::fs::create_dir_all(data.join("in")).unwrap();
        std::fs::write(data.join("in/people.csv"), PEOPLE).unwrap();
        let run = Command::new(glue::python())
            .arg("-c")
            .arg(RUN_MAIN)
            .arg(dir)
            .arg(&stem)
            .arg(&data)
            .output()
            .unwrap();
        if !run.status.success() {
            failures.push(format!(
                "{name}: the Glue job failed:\n{}",
                String::from_utf8_lossy(&run.stderr)
                    .lines()
                    .filter(|l| !l.trim_start().starts_with("at "))
                    .collect::<Vec<_>>()
                    .join("\n")
            ));
            continue;
        }
        let got = written(&data.join("out/result.csv"));
        if got != want {
            failures.push(format!("{name}: Glue wrote\n{got}\nwanted\n{want}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn pg() -> Option<String> {
    std::env::var("DSMIG_PG").ok()
}

/// libpq variables of a `key=value ...` connection string, for psql.
fn pg_env(conn: &str) -> Vec<(String, String)> {
    conn.split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .filter_map(|(k, v)| {
            let var = match k {
                "host" => "PGHOST",
                "port" => "PGPORT",
                "user" => "PGUSER",
                "dbname" => "PGDATABASE",
                "password" => "PGPASSWORD",
                _ => return None,
            };
            Some((var.to_string(), v.to_string()))
        })
        .collect()
}

#[test]
fn postgres_jobs_load_and_unload_files_as_datastage() {
    let Some(conn) = pg() else {
        panic!("DSMIG_PG is not set: run the tests with scripts/test");
    };
    let mut failures = Vec::new();
    for (name, dsx, want) in cases() {
        let out = glue::out_dir(&format!("file_semantics_pg_{name}"));
        let dir = out.path();
        let jobs = read(&dsx, dir);
        let generated = sql::generate(&jobs, Dialect::Postgres, dir);
        let stem = generated.jobs.keys().next().unwrap().clone();
        std::fs::create_dir_all(dir.join("in")).unwrap();
        std::fs::write(dir.join("in/people.csv"), PEOPLE).unwrap();
        std::fs::create_dir_all(dir.join("out")).unwrap();
        // A schema of its own per case: the tables do not meet other tests'.
        let schema = format!("dsmig_fs_{}", name.to_ascii_lowercase());
        let script = format!(
            "set -eu\nexport PGOPTIONS='-c search_path={schema}'\npsql -q -v ON_ERROR_STOP=1 -c 'DROP SCHEMA IF EXISTS {schema} CASCADE' -c 'CREATE SCHEMA {schema}'\npsql -q -v ON_ERROR_STOP=1 -f ddl/dsmig_job_params.sql\npsql -q -v ON_ERROR_STOP=1 -f ddl/{stem}.sql\nsh load/{stem}.sh load\npsql -q -v ON_ERROR_STOP=1 -f sql/{stem}.sql\nsh load/{stem}.sh unload\npsql -q -c 'DROP SCHEMA {schema} CASCADE'\n"
        );
        let run = Command::new("sh")
            .arg("-c")
            .arg(&script)
            .current_dir(dir)
            .envs(pg_env(&conn))
            .output()
            .unwrap();
        if !run.status.success() {
            failures.push(format!(
                "{name}: the PostgreSQL run failed:\n{}\n{}",
                String::from_utf8_lossy(&run.stdout),
                String::from_utf8_lossy(&run.stderr)
            ));
            continue;
        }
        let got = std::fs::read_to_string(dir.join("out/result.csv")).unwrap_or_default();
        if got != want {
            failures.push(format!("{name}: PostgreSQL wrote\n{got}\nwanted\n{want}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Head / Tail after a Sort: every dialect numbers the rows in the sort's
/// order (no TOP / FETCH FIRST over an unordered table).
#[test]
fn tail_after_a_sort_keeps_the_order_in_every_dialect() {
    let (_, dsx, _) = cases().remove(1);
    let tmp = tempfile::tempdir().unwrap();
    let jobs = read(&dsx, tmp.path());
    for d in [
        Dialect::Teradata,
        Dialect::Postgres,
        Dialect::Oracle,
        Dialect::SqlServer,
        Dialect::Ansi,
    ] {
        let out = tempfile::tempdir().unwrap();
        let generated = sql::generate(&jobs, d, out.path());
        let stem = generated.jobs.keys().next().unwrap().clone();
        let script = std::fs::read_to_string(out.path().join(format!("sql/{stem}.sql"))).unwrap();
        assert!(
            script.contains("ROW_NUMBER() OVER (ORDER BY x.\"ID\" DESC")
                && script.contains("\"dsmig_rn\" <= 2"),
            "{d:?}: the Tail does not take the last rows of the sort order:\n{script}"
        );
        assert!(!script.contains("FETCH FIRST") && !script.contains(" TOP "));
    }
}

/// A server job: sequential file → Transformer → hashed file keyed on ID
/// (`ClearFile`): a later row with the same key replaces the earlier one.
fn hashed_job() -> String {
    let cols_src = columns(&[
        ("ID", 4, 10, 0, false, false, ""),
        ("NAME", 12, 20, 0, true, false, ""),
    ]);
    let mut cols_out = String::from("      Columns \"COutputColumn\"\n");
    for (name, ty, key) in [("ID", 4, 1), ("NAME", 12, 0)] {
        cols_out.push_str(&format!(
            "      BEGIN DSSUBRECORD\n         Name \"{name}\"\n         SqlType \"{ty}\"\n         Precision \"10\"\n         Scale \"0\"\n         Nullable \"{}\"\n         KeyPosition \"{key}\"\n         Derivation \"lnk_src.{name}\"\n      END DSSUBRECORD\n",
            u8::from(key == 0)
        ));
    }
    let stages = [
        Stage {
            id: "V0S1",
            ole: "CSeqFileStage",
            name: "src",
            stage_type: "CSeqFileStage",
            props: vec![],
        },
        Stage {
            id: "V0S2",
            ole: "CTransformerStage",
            name: "xf",
            stage_type: "CTransformerStage",
            props: vec![],
        },
        Stage {
            id: "V0S3",
            ole: "CHashedFileStage",
            name: "hsh",
            stage_type: "CHashedFileStage",
            props: vec![],
        },
    ];
    let pins = [
        Pin {
            id: "V0S1P1",
            ole: "CSeqOutput",
            link: "lnk_src",
            partner: "V0S2|V0S2P1",
            body: format!(
                "{cols_src}      FileName \"in/names.txt\"\n      Delimiter \",\"\n      QuoteChar \"000\"\n      ColHeaders \"1\"\n      FixedWidth \"0\"\n"
            ),
        },
        Pin {
            id: "V0S2P1",
            ole: "CTrxInput",
            link: "lnk_src",
            partner: "V0S1|V0S1P1",
            body: "      LinkType \"1\"\n".into(),
        },
        Pin {
            id: "V0S2P2",
            ole: "CTrxOutput",
            link: "lnk_hash",
            partner: "V0S3|V0S3P1",
            body: cols_out,
        },
        Pin {
            id: "V0S3P1",
            ole: "CHashedInput",
            link: "lnk_hash",
            partner: "V0S2|V0S2P2",
            body: "      FileName \"HASH_NAMES\"\n      ClearFile \"1\"\n".into(),
        },
    ];
    job("FS_HASHED", 0, &stages, &pins)
}

const READ_PARQUET: &str = r#"
import sys
from pyspark.sql import SparkSession
spark = SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false").getOrCreate()
for r in spark.read.parquet(sys.argv[1]).orderBy("ID").collect():
    print("%s,%s" % (r["ID"], r["NAME"]))
"#;

#[test]
fn glue_hashed_file_write_keeps_the_last_row_of_each_key() {
    let out = glue::out_dir("file_semantics_glue_hashed");
    let dir = out.path();
    let jobs = read(&hashed_job(), dir);
    let generated = glue::generate(&jobs, dir);
    let stem = generated.jobs.keys().next().unwrap().clone();
    let script = std::fs::read_to_string(dir.join(format!("glue_jobs/{stem}.py"))).unwrap();
    assert!(
        script.contains("write_hashed(") && script.contains("keys=[\"ID\"], clear=True"),
        "hashed file not written by key:\n{script}"
    );
    let data = dir.join("data");
    std::fs::create_dir_all(data.join("in")).unwrap();
    std::fs::write(
        data.join("in/names.txt"),
        "ID,NAME\n1,a\n2,b\n1,c\n3,\n2,d\n",
    )
    .unwrap();
    let run = Command::new(glue::python())
        .arg("-c")
        .arg(RUN_MAIN)
        .arg(dir)
        .arg(&stem)
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "the Glue job failed:\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let hashed = std::fs::read_dir(&data)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.to_string_lossy().contains("HASH_NAMES"))
        .unwrap_or_else(|| panic!("no hashed file under {}", data.display()));
    let rows = Command::new(glue::python())
        .arg("-c")
        .arg(READ_PARQUET)
        .arg(&hashed)
        .output()
        .unwrap();
    assert!(
        rows.status.success(),
        "{}",
        String::from_utf8_lossy(&rows.stderr)
    );
    // Key 1: "c" replaced "a"; key 2: "d" replaced "b"; key 3: an empty
    // field is an empty string.
    assert_eq!(String::from_utf8_lossy(&rows.stdout), "1,c\n2,d\n3,\n");
}
