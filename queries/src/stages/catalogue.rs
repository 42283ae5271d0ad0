//! The stage catalogue: ONE table, one row per normalised stage type (the
//! names of `parse::stage_types`), giving the migration difficulty, the
//! class and a note. Unknown types (`Custom:*`, `Unknown`) fall back to
//! [`CUSTOM`]. What each target does with a type is not kept here: it is
//! derived from the stage registry (`generate::kinds::support`, which
//! sits above the generators' contexts; this table stays below them for
//! the analysis and the guesses).
//!
//! Difficulty (reference §5.1): 1 trivial, 2 simple, 3 needs care
//! (ordering, state, packing), 4 hard (CDC apply, SCD, messaging),
//! 5 manual (custom code, external programs, Java, BuildOps).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StageClass {
    /// Reads or writes data (files, datasets, databases).
    Io,
    /// Row-level processing.
    Processing,
    /// Change data capture / slowly changing dimensions.
    CdcScd,
    /// Debugging / sampling.
    Debug,
    /// User code or external programs: BuildOp, Java, wrapped, generic.
    Custom,
    /// Sequence control flow.
    Sequence,
    /// Container instance.
    Container,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageInfo {
    pub stage_type: &'static str,
    pub difficulty: u8,
    pub class: StageClass,
    pub note: &'static str,
}

const fn s(
    stage_type: &'static str,
    difficulty: u8,
    class: StageClass,
    note: &'static str,
) -> StageInfo {
    StageInfo {
        stage_type,
        difficulty,
        class,
        note,
    }
}

use StageClass::*;

/// The catalogue: one row per normalised stage type (uniqueness and
/// coverage are tested).
pub const CATALOGUE: &[StageInfo] = &[
    s(
        "Aggregator",
        1,
        Processing,
        "GROUP BY / groupBy().agg(); cast results to output metadata",
    ),
    s(
        "ChangeApply",
        4,
        CdcScd,
        "MERGE of change rows into the before set",
    ),
    s(
        "ChangeCapture",
        3,
        CdcScd,
        "FULL JOIN on keys + change_code",
    ),
    s("Checksum", 2, Processing, "hash of columns (md5/sha)"),
    s("ColumnExport", 3, Processing, "pack columns into one field"),
    s(
        "ColumnGenerator",
        1,
        Processing,
        "literal / generated columns",
    ),
    s(
        "ColumnImport",
        3,
        Processing,
        "split one field into columns",
    ),
    s("CombineRecords", 3, Processing, "subrecords / arrays"),
    s("Compare", 2, Processing, "FULL JOIN comparison"),
    s(
        "Compress",
        3,
        Processing,
        "compresses a data set through an external program",
    ),
    s(
        "Condition",
        2,
        Sequence,
        "sequence branch (Step Functions Choice)",
    ),
    s("Container", 2, Container, "inlined container"),
    s("Copy", 1, Processing, "reuse the data frame / CTE"),
    s("DB2Connector", 1, Io, "the SQL itself / JDBC"),
    s("DB2Legacy", 2, Io, "legacy DB2 stage: plain property names"),
    s(
        "DataSet",
        1,
        Io,
        "persisted data set: Parquet / staging table",
    ),
    s("Decode", 3, Processing, "pipes through an external decoder"),
    s("Difference", 2, Processing, "FULL JOIN difference"),
    s("Encode", 3, Processing, "pipes through an external encoder"),
    s(
        "EndLoopActivity",
        3,
        Sequence,
        "sequence loop (Step Functions Map)",
    ),
    s("ExceptionHandler", 2, Sequence, "sequence error path"),
    s(
        "ExecCommandActivity",
        3,
        Sequence,
        "shell command: review what it runs",
    ),
    s(
        "Expand",
        3,
        Processing,
        "decompresses through an external program",
    ),
    s(
        "ExternalFilter",
        5,
        Custom,
        "runs a shell program on the rows",
    ),
    s(
        "ExternalSource",
        5,
        Custom,
        "reads the output of a shell program",
    ),
    s("ExternalTarget", 5, Custom, "writes to a shell program"),
    s("FileSet", 1, Io, "file set: Parquet / staging table"),
    s(
        "Filter",
        2,
        Processing,
        "WHERE per output; first-match and reject",
    ),
    s("Funnel", 1, Processing, "UNION ALL / unionByName"),
    s("Generic", 5, Custom, "raw OSH operator"),
    s(
        "HashedFile",
        2,
        Io,
        "server key-value file: table with a primary key",
    ),
    s("Head", 1, Debug, "LIMIT"),
    s("JDBCConnector", 1, Io, "the SQL itself / JDBC"),
    s("JavaStage", 5, Custom, "user Java class"),
    s("Join", 1, Processing, "JOIN USING keys"),
    s(
        "JobActivity",
        2,
        Sequence,
        "runs a job (Step Functions task)",
    ),
    s(
        "Lookup",
        2,
        Processing,
        "LEFT JOIN / broadcast join with failure actions",
    ),
    s(
        "LookupFileSet",
        1,
        Io,
        "lookup file set: Parquet / staging table",
    ),
    s("MQConnector", 4, Io, "message queue: no batch equivalent"),
    s("MailActivity", 2, Sequence, "notification (SNS)"),
    s("MakeSubrecord", 3, Processing, "subrecords / structs"),
    s("MakeVector", 3, Processing, "vectors / arrays"),
    s(
        "Merge",
        2,
        Processing,
        "LEFT JOIN master/updates; rejects via anti-join",
    ),
    s(
        "Modify",
        2,
        Processing,
        "SELECT list with CAST / rename / drop",
    ),
    s("NetezzaConnector", 2, Io, "the SQL itself / JDBC"),
    s("ODBC", 2, Io, "server ODBC stage"),
    s("ODBCConnector", 1, Io, "the SQL itself / JDBC"),
    s("OracleConnector", 1, Io, "the SQL itself / JDBC"),
    s(
        "OracleLegacy",
        2,
        Io,
        "legacy Oracle stage: plain property names",
    ),
    s("Peek", 1, Debug, "debug output: dropped"),
    s(
        "Pivot",
        3,
        Processing,
        "UNPIVOT / stack(); Glue: horizontal pivot (inline of structs), vertical pivot a placeholder",
    ),
    s("PromoteSubrecord", 3, Processing, "subrecords / structs"),
    s(
        "RemoveDuplicates",
        2,
        Processing,
        "ROW_NUMBER() = 1 in the upstream order",
    ),
    s(
        "RoutineActivity",
        4,
        Sequence,
        "runs a server routine (BASIC)",
    ),
    s(
        "RowGenerator",
        1,
        Processing,
        "generate_series / spark.range",
    ),
    s("Sample", 1, Debug, "sampling"),
    s(
        "Sequencer",
        2,
        Sequence,
        "all/any join of sequence branches",
    ),
    s("SequentialFile", 1, Io, "CSV / fixed-width read and write"),
    s(
        "SlowlyChangingDimension",
        4,
        CdcScd,
        "type 1/2 dimension: MERGE + history",
    ),
    s("SnowflakeConnector", 1, Io, "the SQL itself / JDBC"),
    s(
        "Sort",
        1,
        Processing,
        "ORDER BY / window; key-change columns by row_number() over the key groups",
    ),
    s("SplitSubrecord", 3, Processing, "subrecords / structs"),
    s("SplitVector", 3, Processing, "vectors / arrays"),
    s(
        "StartLoopActivity",
        3,
        Sequence,
        "sequence loop (Step Functions Map)",
    ),
    s(
        "SurrogateKeyGenerator",
        3,
        Processing,
        "max(key) + row_number(); persist the state",
    ),
    s(
        "Switch",
        2,
        Processing,
        "CASE-based split; Glue: user-defined and hash mapping, auto mapping a placeholder",
    ),
    s("Tail", 1, Debug, "last rows"),
    s("TeradataConnector", 1, Io, "the SQL itself / JDBC"),
    s(
        "TeradataLegacy",
        2,
        Io,
        "legacy Teradata stage: plain property names",
    ),
    s("TerminatorActivity", 1, Sequence, "stops the sequence"),
    s(
        "Transformer",
        2,
        Processing,
        "derivations, constraints, stage variables",
    ),
    s("UserVariablesActivity", 2, Sequence, "sequence variables"),
    s(
        "WaitFileActivity",
        3,
        Sequence,
        "waits for a file (S3 sensor)",
    ),
    s(
        "WebServiceTransformer",
        5,
        Custom,
        "calls a web service per row",
    ),
    s("Wrapped", 5, Custom, "wrapped UNIX command"),
    s(
        "WriteRangeMap",
        3,
        Processing,
        "engine partitioning artefact",
    ),
    s("BuildOp", 5, Custom, "user C++ operator"),
];

/// Any type not in the table: `Custom:*` plugin stages and `Unknown`.
pub const CUSTOM: StageInfo = s(
    "Custom",
    5,
    Custom,
    "unknown or plugin stage type: no rules",
);

/// The catalogue entry of a normalised stage type.
pub fn lookup(stage_type: &str) -> &'static StageInfo {
    CATALOGUE
        .iter()
        .find(|e| e.stage_type == stage_type)
        .unwrap_or(&CUSTOM)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every normalised name of `parse::stage_types` has its own row, read
    /// from that file's source so a new stage type cannot be forgotten.
    #[test]
    fn covers_every_normalised_stage_type() {
        let src = include_str!("../parse/stage_types.rs");
        let mut missing = Vec::new();
        for line in src.lines() {
            let l = line.trim();
            if !l.starts_with("(\"") || !l.ends_with("),") {
                continue;
            }
            let parts: Vec<&str> = l.split('"').collect();
            if parts.len() >= 4 {
                let norm = parts[3];
                if !CATALOGUE.iter().any(|e| e.stage_type == norm) {
                    missing.push(norm.to_string());
                }
            }
        }
        assert!(missing.is_empty(), "no catalogue row for {missing:?}");
    }

    #[test]
    fn unique_and_sane() {
        let mut names: Vec<&str> = CATALOGUE.iter().map(|e| e.stage_type).collect();
        names.sort();
        let n = names.len();
        names.dedup();
        assert_eq!(n, names.len(), "duplicate rows");
        for e in CATALOGUE {
            assert!((1..=5).contains(&e.difficulty), "{}", e.stage_type);
        }
        assert_eq!(lookup("Custom:MyPlugin").difficulty, 5);
        assert_eq!(lookup("Transformer").difficulty, 2);
    }
}
