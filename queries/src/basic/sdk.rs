//! The SDK routines IBM ships with DataStage (category `sdk\...` in the
//! repository), called by name from derivations and before/after
//! properties. They have no source in customer exports, so dsmig knows
//! them from this table: what each does and how a migration must treat it.
//! None has a translation rule yet: a call stays a `RoutineCall` blocking
//! item (`analysis::complexity`), now naming the SDK routine and the
//! strategy instead of "unknown function (user routine?)".

pub struct SdkRoutine {
    pub name: &'static str,
    pub category: &'static str,
    /// What the routine does, and what a rule-based translation needs.
    pub note: &'static str,
}

pub const SDK: &[SdkRoutine] = &[
    // Built-in before/after subroutines (Job properties, "Before-job
    // subroutine": ExecDOS, ExecSH, ExecSHSilent, ExecTCL, DSSendMail...).
    SdkRoutine {
        name: "ExecSH",
        category: "built-in before/after subroutine",
        note: "runs the UNIX command given as its input value, logging its output: a step of the orchestration target (the command is export text, migrated by hand)",
    },
    SdkRoutine {
        name: "ExecSHSilent",
        category: "built-in before/after subroutine",
        note: "runs the UNIX command given as its input value without logging: a step of the orchestration target",
    },
    SdkRoutine {
        name: "ExecDOS",
        category: "built-in before/after subroutine",
        note: "runs the Windows command given as its input value: a step of the orchestration target",
    },
    SdkRoutine {
        name: "ExecTCL",
        category: "built-in before/after subroutine",
        note: "runs an engine (TCL) command: no equivalent outside the DataStage engine",
    },
    SdkRoutine {
        name: "KeyMgtGetNextValue",
        category: r"sdk\KeyMgt",
        note: "next value of a named surrogate-key sequence kept in the SDKSequences hashed file; the sequence's current value is runtime state outside the export: map to a target-side sequence / identity (SQL) or max(target key) + row number (Glue) once the key column and its table are confirmed",
    },
    SdkRoutine {
        name: "KeyMgtGetNextValueConcurrent",
        category: r"sdk\KeyMgt",
        note: "next value of a named surrogate-key sequence, safe for concurrent jobs (SDKSequences hashed file, record locks); the current value is runtime state outside the export: map to a target-side sequence / identity (SQL) or max(target key) + row number (Glue) once the key column and its table are confirmed",
    },
    SdkRoutine {
        name: "KeyMgtGetMaxKeyValue",
        category: r"sdk\KeyMgt",
        note: "current maximum of a surrogate-key sequence (SDKSequences hashed file): runtime state outside the export",
    },
    SdkRoutine {
        name: "UtilityHashLookup",
        category: r"sdk\Utility",
        note: "reads a record of a hashed file by key: becomes a lookup join against that file's migrated table",
    },
    SdkRoutine {
        name: "UtilityMessageToLog",
        category: r"sdk\Utility",
        note: "writes an informational message to the job log",
    },
    SdkRoutine {
        name: "UtilityWarningToLog",
        category: r"sdk\Utility",
        note: "writes a warning to the job log",
    },
    SdkRoutine {
        name: "UtilityAbortToLog",
        category: r"sdk\Utility",
        note: "writes a fatal message to the job log and aborts the job",
    },
    SdkRoutine {
        name: "UtilityRunJob",
        category: r"sdk\Utility",
        note: "runs another job and waits (job control): belongs to the orchestration target",
    },
    SdkRoutine {
        name: "UtilityGetRunJobInfo",
        category: r"sdk\Utility",
        note: "reads the status of a job run by UtilityRunJob (job control)",
    },
];

/// The SDK routine called `name` (case-insensitive, `DSU.` ignored).
pub fn lookup(name: &str) -> Option<&'static SdkRoutine> {
    let bare = name
        .strip_prefix("DSU.")
        .or_else(|| name.strip_prefix("dsu."))
        .unwrap_or(name);
    SDK.iter().find(|r| r.name.eq_ignore_ascii_case(bare))
}
