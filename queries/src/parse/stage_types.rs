//! Normalised stage type names. One table: the raw identifiers seen in DSX
//! (`StageType`, else `OLEType`), XML (`Type`) and ISX (`stageType`) map to
//! one name per kind of stage. Later phases (catalogue, generators) dispatch
//! on the normalised name only.

/// (raw identifier, normalised name). Matching ignores ASCII case and a
/// leading `C` class prefix on OLE types.
const TABLE: &[(&str, &str)] = &[
    ("TransformerStage", "Transformer"),
    ("CTransformerStage", "Transformer"),
    ("PxSequentialFile", "SequentialFile"),
    ("SeqFileStage", "SequentialFile"),
    ("PxDataSet", "DataSet"),
    ("PxFileSet", "FileSet"),
    ("PxLookupFileSet", "LookupFileSet"),
    ("PxJoin", "Join"),
    ("PxLookup", "Lookup"),
    ("PxMerge", "Merge"),
    ("PxAggregator", "Aggregator"),
    ("AGGREGATOR", "Aggregator"),
    ("PxFilter", "Filter"),
    ("PxSwitch", "Switch"),
    ("PxSort", "Sort"),
    ("PxRemDup", "RemoveDuplicates"),
    ("PxFunnel", "Funnel"),
    ("PxCopy", "Copy"),
    ("PxModify", "Modify"),
    ("PxChangeCapture", "ChangeCapture"),
    ("PxChangeApply", "ChangeApply"),
    ("PxSCD", "SlowlyChangingDimension"),
    ("PxSurrogateKeyGenerator", "SurrogateKeyGenerator"),
    ("PxSurrogateKeyGeneratorN", "SurrogateKeyGenerator"),
    ("PxColumnGenerator", "ColumnGenerator"),
    ("PxRowGenerator", "RowGenerator"),
    ("PxPivot", "Pivot"),
    ("PivotPX", "Pivot"),
    ("PxPeek", "Peek"),
    ("PxHead", "Head"),
    ("PxTail", "Tail"),
    ("PxSample", "Sample"),
    ("PxCompare", "Compare"),
    ("PxDifference", "Difference"),
    ("PxEncode", "Encode"),
    ("PxDecode", "Decode"),
    ("PxColumnImport", "ColumnImport"),
    ("PxColumnExport", "ColumnExport"),
    ("PxPromoteSubRec", "PromoteSubrecord"),
    ("PxMakeSubRec", "MakeSubrecord"),
    ("PxSplitSubRec", "SplitSubrecord"),
    ("PxCombineRecords", "CombineRecords"),
    ("PxMakeVector", "MakeVector"),
    ("PxSplitVector", "SplitVector"),
    ("PxExternalSource", "ExternalSource"),
    ("PxExternalTarget", "ExternalTarget"),
    ("PxExternalFilter", "ExternalFilter"),
    ("PxGeneric", "Generic"),
    ("PxWriteRangeMap", "WriteRangeMap"),
    ("PxChecksum", "Checksum"),
    ("PxCompress", "Compress"),
    ("PxExpand", "Expand"),
    ("PxBuildOp", "BuildOp"),
    ("PxWrapped", "Wrapped"),
    ("JavaStagePX", "JavaStage"),
    ("JavaClientStage", "JavaStage"),
    ("OracleConnectorPX", "OracleConnector"),
    ("OracleConnector", "OracleConnector"),
    ("DB2ConnectorPX", "DB2Connector"),
    ("TeradataConnectorPX", "TeradataConnector"),
    ("ODBCConnectorPX", "ODBCConnector"),
    ("JDBCConnectorPX", "JDBCConnector"),
    ("NetezzaConnectorPX", "NetezzaConnector"),
    ("SnowflakeConnectorPX", "SnowflakeConnector"),
    ("MQConnectorPX", "MQConnector"),
    ("WSTransformerPX", "WebServiceTransformer"),
    ("PxOracle", "OracleLegacy"),
    ("ORAOCI9", "OracleLegacy"),
    ("ORAOCI8", "OracleLegacy"),
    ("ORAOCIBL", "OracleLegacy"),
    ("PxDB2", "DB2Legacy"),
    ("PxTeradata", "TeradataLegacy"),
    ("TDMLoadPX", "TeradataLegacy"),
    ("Teradata", "TeradataLegacy"),
    // API / Enterprise stages of older releases: the same legacy readers
    // (`stages::props::db_table` reads every layout of their SQL).
    ("DB2UDBAPI", "DB2Legacy"),
    ("DB2API", "DB2Legacy"),
    ("TeradataAPI", "TeradataLegacy"),
    ("PxODBC", "ODBC"),
    ("HashedFileStage", "HashedFile"),
    ("ODBCStage", "ODBC"),
    ("ContainerStage", "Container"),
    ("SharedContainer", "Container"),
    ("JSJobActivity", "JobActivity"),
    ("JobActivity", "JobActivity"),
    ("JSCondition", "Condition"),
    ("Condition", "Condition"),
    ("JSSequencer", "Sequencer"),
    ("Sequencer", "Sequencer"),
    ("JSRoutineActivity", "RoutineActivity"),
    ("RoutineActivity", "RoutineActivity"),
    ("JSExecCmdActivity", "ExecCommandActivity"),
    ("ExecCmdActivity", "ExecCommandActivity"),
    ("JSUserVarsActivity", "UserVariablesActivity"),
    ("UserVarsActivity", "UserVariablesActivity"),
    ("JSTerminatorActivity", "TerminatorActivity"),
    ("TerminatorActivity", "TerminatorActivity"),
    ("JSExceptionHandler", "ExceptionHandler"),
    ("ExceptionHandler", "ExceptionHandler"),
    ("JSStartLoopActivity", "StartLoopActivity"),
    ("StartLoopActivity", "StartLoopActivity"),
    ("JSEndLoopActivity", "EndLoopActivity"),
    ("EndLoopActivity", "EndLoopActivity"),
    ("JSMailActivity", "MailActivity"),
    ("MailActivity", "MailActivity"),
    ("JSWaitFileActivity", "WaitFileActivity"),
    ("WaitFileActivity", "WaitFileActivity"),
];

/// Normalised name of a raw stage type. Unknown types keep their raw name
/// prefixed with `Custom:` so they are never mistaken for a known stage.
pub fn normalise(raw: &str) -> String {
    let raw = raw.trim();
    let bare = crate::parse::raw::normalise_class(raw);
    for (k, v) in TABLE {
        if k.eq_ignore_ascii_case(raw) || k.eq_ignore_ascii_case(bare) {
            return (*v).to_string();
        }
    }
    if raw.is_empty() {
        return "Unknown".to_string();
    }
    format!("Custom:{raw}")
}

/// Whether a record class is a stage (as opposed to a pin, view, job...).
pub fn is_stage_class(class: &str) -> bool {
    let c = crate::parse::raw::normalise_class(class);
    c.ends_with("Stage")
        || c.starts_with("JS")
        || matches!(
            c,
            "JobActivity"
                | "Condition"
                | "Sequencer"
                | "RoutineActivity"
                | "ExecCmdActivity"
                | "UserVarsActivity"
                | "TerminatorActivity"
                | "ExceptionHandler"
                | "StartLoopActivity"
                | "EndLoopActivity"
                | "MailActivity"
                | "WaitFileActivity"
        )
}

/// Whether a record class is an output pin (source side of a link).
pub fn is_output_pin_class(class: &str) -> bool {
    crate::parse::raw::normalise_class(class).ends_with("Output")
}

/// Whether a record class is an input pin (target side of a link).
pub fn is_input_pin_class(class: &str) -> bool {
    crate::parse::raw::normalise_class(class).ends_with("Input")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_across_formats() {
        assert_eq!(normalise("CTransformerStage"), "Transformer");
        assert_eq!(normalise("TransformerStage"), "Transformer");
        assert_eq!(normalise("PxAggregator"), "Aggregator");
        assert_eq!(normalise("CJSJobActivity"), "JobActivity");
        assert_eq!(normalise("JSJobActivity"), "JobActivity");
        assert_eq!(normalise("MyBuildOp"), "Custom:MyBuildOp");
        assert!(is_stage_class("CSeqFileStage"));
        assert!(is_output_pin_class("CTrxOutput"));
        assert!(is_input_pin_class("CustomInput"));
        assert!(!is_stage_class("CTrxOutput"));
    }
}
