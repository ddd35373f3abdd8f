//! `ebak verify`.

use super::{Consumer, Global, drain, open_input, pipe_plaintext};
use crate::archive::{self, Compression, Kind};
use crate::container;
use crate::error::CliError;
use crate::secrets::Sources;
use std::io;
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
    container::payload_context(args.context.as_bytes())?;
    let (read, unlocked) = open_input(&args.file, &args.sources)?;
    let consume: Consumer<'_> = Box::new(|mut reader| {
        let werr = |e: io::Error| CliError::damaged(format!("the content inside the backup is malformed: {e}"));
        let (content, head) = archive::read_content_header(&mut reader).map_err(werr)?;
        let Some(content) = content else {
            let rest = io::copy(&mut reader, &mut io::sink()).map_err(werr)?;
            let n = rest.saturating_add(u64::try_from(head.len()).unwrap_or(0));
            return Ok(format!("{n} bytes of payload (not made by the ebak tool: not decoded)"));
        };
        let mut decoded = archive::decoder(&mut reader, content.compression).map_err(werr)?;
        let what = match content.kind {
            Kind::Tar => {
                let entries = archive::walk(&mut decoded)?;
                drain(&mut decoded)?;
                format!("a tar archive of {entries} entries")
            }
            Kind::Stream => {
                let n = io::copy(&mut decoded, &mut io::sink()).map_err(werr)?;
                format!("a stream of {n} bytes")
            }
        };
        drop(decoded);
        drain(reader)?;
        let compressed = if content.compression == Compression::Zstd { ", zstd-compressed" } else { "" };
        Ok(format!("{what}{compressed}"))
    });
    let summary = pipe_plaintext(&args.file, read, &unlocked, &args.context, global, "verify", consume)?;
    if !global.quiet {
        println!("{}: OK: every chunk authenticated; it holds {summary}", args.file.display());
    }
    Ok(())
}
