//! Who holds the store. redb's own file lock does the excluding (it is
//! released by the OS when a process dies, even by SIGKILL); this pid file
//! only lets the refused process say who holds it.

use std::path::{Path, PathBuf};

const PID_FILE: &str = "owner.pid";

pub struct PidFile {
    path: PathBuf,
}

impl PidFile {
    /// Called after redb granted the lock, so no other live process writes it.
    pub fn write(dir: &Path) -> PidFile {
        let path = dir.join(PID_FILE);
        // Best effort: without it the "in use" message just lacks the pid.
        let _ = std::fs::write(&path, std::process::id().to_string());
        PidFile { path }
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

pub fn read_pid(dir: &Path) -> Option<u32> {
    std::fs::read_to_string(dir.join(PID_FILE))
        .ok()?
        .trim()
        .parse()
        .ok()
}
