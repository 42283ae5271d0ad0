//! `dsmig gen-corpus` (hidden): write a synthetic corpus with ground truth.

use corpus_gen::{GenOptions, generate};

use crate::cli::GenCorpusArgs;

pub fn run(args: &GenCorpusArgs) -> Result<i32, String> {
    let opts = if args.clustered {
        GenOptions::clustered(args.count, args.seed)
    } else if args.small {
        GenOptions::small(args.count, args.seed)
    } else {
        GenOptions::realistic(args.count, args.seed)
    };
    let truth = generate(&opts, &args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
    eprintln!(
        "wrote {} jobs in {} files to {} (ground truth: ground_truth.json)",
        truth.job_count,
        truth.files.len(),
        args.out.display()
    );
    Ok(0)
}
