//! `dsmig gen-corpus` (hidden): write a synthetic corpus.

use crate::cli::GenCorpusArgs;

pub fn run(_args: &GenCorpusArgs) -> Result<i32, String> {
    Err("the corpus generator is not part of this build yet".into())
}
