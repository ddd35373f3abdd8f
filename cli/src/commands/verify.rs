//! `ebak verify`.

use super::{open_input, plaintext_len, with_progress};
use crate::error::{CliError, from_lib};
use crate::global::Global;
use crate::progress::Progress;
use crate::secrets::Sources;
use ebak::content::Compression;
use ebak::restore::{self, Summary};
use std::path::PathBuf;

/// `ebak verify`.
#[derive(Debug)]
pub struct VerifyArgs {
    /// The backup, or `-`.
    pub file: PathBuf,
    /// Secret sources.
    pub sources: Sources,
    /// The application context.
    pub context: String,
}

/// `ebak verify`: authenticates everything and decodes the content, writes
/// nothing.
pub fn verify(args: &VerifyArgs, global: Global) -> Result<(), CliError> {
    ebak_core::file::payload_context(args.context.as_bytes())
        .map_err(|e| CliError::usage(format!("--context: {e}")))?;
    let (input, unlocked, cx) = open_input(&args.file, &args.sources)?;
    let bar = Progress::new(plaintext_len(&args.file, input.header_len()), global.quiet, "verify");
    let verified =
        input.open(&unlocked, args.context.as_bytes(), with_progress(global, &bar)).and_then(restore::verify);
    bar.finish();
    let cx = crate::error::Context { refusal: "a restore would refuse it", ..cx };
    let summary = verified.map_err(|e| from_lib(e, cx))?;
    let zstd = |c: Compression| if c == Compression::Zstd { ", zstd-compressed" } else { "" };
    let holds = match summary {
        Summary::Tree { entries, compression } => format!("a tar archive of {entries} entries{}", zstd(compression)),
        Summary::Stream { bytes, compression } => format!("a stream of {bytes} bytes{}", zstd(compression)),
        Summary::Raw { bytes } => format!("{bytes} bytes of payload (not made by the ebak tool: not decoded)"),
        _ => String::from("content of a newer kind"),
    };
    if !global.quiet {
        println!("{}: OK: every chunk authenticated; it holds {holds}", args.file.display());
    }
    Ok(())
}
