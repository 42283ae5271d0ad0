//! Shared by `incremental` and `hand_edits`: a temporary project folder
//! with an `in/` folder of small DSX jobs, and the real binary run in it.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

pub fn job(name: &str, derivation: &str) -> String {
    format!(
        "BEGIN DSJOB\n   Identifier \"{name}\"\n   DateModified \"2020-01-01\"\n   BEGIN DSRECORD\n      Identifier \"ROOT\"\n      OLEType \"CJobDefn\"\n      Name \"{name}\"\n      JobType \"3\"\n   END DSRECORD\n   BEGIN DSRECORD\n      Identifier \"V0S1\"\n      OLEType \"CCustomStage\"\n      Name \"src\"\n      StageType \"PxSequentialFile\"\n      OutputPins \"V0S1P1\"\n   END DSRECORD\n   BEGIN DSRECORD\n      Identifier \"V0S1P1\"\n      OLEType \"CCustomOutput\"\n      Name \"in_{name}\"\n      Partner \"V0S2|V0S2P1\"\n      Columns \"COutputColumn\"\n      BEGIN DSSUBRECORD\n         Name \"A\"\n         SqlType \"12\"\n         Precision \"10\"\n      END DSSUBRECORD\n   END DSRECORD\n   BEGIN DSRECORD\n      Identifier \"V0S2\"\n      OLEType \"CTransformerStage\"\n      Name \"xf\"\n      InputPins \"V0S2P1\"\n      OutputPins \"V0S2P2\"\n   END DSRECORD\n   BEGIN DSRECORD\n      Identifier \"V0S2P1\"\n      OLEType \"CTrxInput\"\n      Name \"in_{name}\"\n      Partner \"V0S1|V0S1P1\"\n      LinkType \"1\"\n   END DSRECORD\n   BEGIN DSRECORD\n      Identifier \"V0S2P2\"\n      OLEType \"CTrxOutput\"\n      Name \"out\"\n      Partner \"V0S3|V0S3P1\"\n      Columns \"COutputColumn\"\n      BEGIN DSSUBRECORD\n         Name \"B\"\n         SqlType \"12\"\n         Derivation \"{derivation}\"\n      END DSSUBRECORD\n   END DSRECORD\n   BEGIN DSRECORD\n      Identifier \"V0S3\"\n      OLEType \"CCustomStage\"\n      Name \"dst\"\n      StageType \"PxPeek\"\n      InputPins \"V0S3P1\"\n   END DSRECORD\n   BEGIN DSRECORD\n      Identifier \"V0S3P1\"\n      OLEType \"CCustomInput\"\n      Name \"out\"\n      Partner \"V0S2|V0S2P2\"\n      LinkType \"1\"\n   END DSRECORD\nEND DSJOB\n"
    )
}

pub const HEADER: &str = "BEGIN HEADER\n   CharacterSet \"CP1252\"\n   ServerVersion \"9.1\"\n   Date \"2024-01-01\"\nEND HEADER\n";

pub fn export(jobs: &[(&str, &str)]) -> String {
    let mut s = HEADER.to_string();
    for (n, d) in jobs {
        s.push_str(&job(n, d));
    }
    s
}

pub struct Project {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
}

impl Project {
    pub fn new() -> Project {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().to_path_buf();
        std::fs::create_dir_all(root.join("in")).expect("mkdir");
        Project { _dir: dir, root }
    }

    pub fn write(&self, rel: &str, text: &str) {
        std::fs::write(self.root.join("in").join(rel), text).expect("write");
    }

    pub fn cmd(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_dsmig"))
            .current_dir(&self.root)
            .args(args)
            .output()
            .expect("dsmig runs")
    }
}
