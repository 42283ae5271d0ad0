// The code each phase runs, as a digest that is part of the phase's keys:
// an upgrade that changes a generator, a parser or a template recomputes
// what that code made, without anyone remembering to bump a number.
// Shared by `queries/build.rs` (which computes the digests at build time,
// `include!`d there) and the tests (which recompute them from the tree).
// No dependencies: build scripts compile before the crate's own.

/// Folders and files (relative to the `queries/` crate) whose bytes make a
/// phase's code digest. A phase lists the code that computes its value;
/// its inputs' code is covered by the upstream keys it hashes.
pub const PHASE_SOURCES: &[(&str, &[&str])] = &[
    ("split", &["src/parse"]),
    ("job_ir", &["src/parse", "src/ir"]),
    (
        "complexity",
        &["src/analysis", "src/expr", "src/dialects", "src/stages"],
    ),
    (
        "prediction",
        &["src/analysis", "src/expr", "src/dialects", "src/stages"],
    ),
    (
        "artifacts",
        &[
            "src/generate",
            "src/stages",
            "src/expr",
            "src/dialects",
            "src/escape.rs",
            "src/ir",
            "src/engine/artifacts.rs",
            "../templates/glue",
        ],
    ),
];

/// 128-bit FNV-1a of the files, in path order: (path, bytes) pairs. Not a
/// cryptographic hash: it only has to change when the code does.
pub fn digest_files(files: &mut [(String, Vec<u8>)]) -> [u8; 16] {
    files.sort();
    let mut a: u64 = 0xcbf2_9ce4_8422_2325;
    let mut b: u64 = 0x6c62_272e_07bb_0142;
    let mut feed = |bytes: &[u8]| {
        for &x in bytes {
            a = (a ^ u64::from(x)).wrapping_mul(0x0000_0100_0000_01b3);
            b = (b ^ u64::from(x))
                .wrapping_mul(0x0000_0100_0000_01b3)
                .rotate_left(5);
        }
    };
    for (path, bytes) in files.iter() {
        feed(path.as_bytes());
        feed(&(bytes.len() as u64).to_le_bytes());
        feed(bytes);
    }
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&a.to_le_bytes());
    out[8..].copy_from_slice(&b.to_le_bytes());
    out
}

/// Every file under `paths` (relative to `crate_dir`), with its path
/// relative to the crate and `/` separators.
pub fn collect_files(crate_dir: &std::path::Path, paths: &[&str]) -> Vec<(String, Vec<u8>)> {
    fn walk(dir: &std::path::Path, rel: &str, out: &mut Vec<(String, Vec<u8>)>) {
        if dir.is_file() {
            if let Ok(bytes) = std::fs::read(dir) {
                out.push((rel.to_string(), bytes));
            }
            return;
        }
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            walk(&e.path(), &format!("{rel}/{name}"), out);
        }
    }
    let mut out = Vec::new();
    for p in paths {
        walk(&crate_dir.join(p), p, &mut out);
    }
    out
}
