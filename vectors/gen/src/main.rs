//! Writes the ebak v1 test vectors.
//!
//! ```text
//! cargo run -p ebak-vectors [-- OUTPUT_DIR]
//! ```
//!
//! OUTPUT_DIR defaults to `vectors/` in the workspace. The output depends
//! only on fixed seeds: running it twice writes identical bytes.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let dir =
        std::env::args_os().nth(1).map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".."), PathBuf::from);
    for (name, json) in ebak_vectors::generate_all() {
        let path = dir.join(name);
        if let Err(e) = std::fs::write(&path, json.as_bytes()) {
            eprintln!("ebak-vectors: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!("wrote {} ({} bytes)", path.display(), json.len());
    }
    ExitCode::SUCCESS
}
