//! Computes each phase's code digest (see `src/engine/code_digest.rs`) into
//! `$OUT_DIR/code_digests.rs`.

include!("src/engine/code_digest.rs");

fn main() {
    let crate_dir =
        std::path::PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let mut code = String::from(
        "/// (phase name, digest of the code that computes it).\npub const CODE_DIGESTS: &[(&str, [u8; 16])] = &[\n",
    );
    for (phase, paths) in PHASE_SOURCES {
        for p in *paths {
            println!("cargo:rerun-if-changed={p}");
        }
        let mut files = collect_files(&crate_dir, paths);
        code.push_str(&format!(
            "    ({phase:?}, {:?}),\n",
            digest_files(&mut files)
        ));
    }
    code.push_str("];\n");
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"));
    std::fs::write(out.join("code_digests.rs"), code).expect("write code_digests.rs");
}
