//! `ebak inspect`.

use crate::error::{CliError, Context, from_lib};
use crate::target::is_stdio;
use ebak::Locked;
use ebak_core::chunk;
use ebak_core::header::Slot;
use ebak_core::slot::SLOT_TYPE_VAULT;
use std::fs;
use std::io::{self, Read};
use std::path::Path;

/// `ebak inspect`.
pub fn inspect(file: &Path, json: bool) -> Result<(), CliError> {
    let remote = crate::remote::parse(file)?;
    let input: Box<dyn Read + Send> = if is_stdio(file) {
        Box::new(io::stdin())
    } else if let Some(remote) = &remote {
        remote.reader()?
    } else {
        Box::new(fs::File::open(file).map_err(|e| CliError::io(file, "cannot open", &e))?)
    };
    // A WhatsApp crypt15 file is described by the whatsapp module.
    let Some(input) = crate::whatsapp::inspect_if_crypt15(file, input, json)? else { return Ok(()) };
    let read = Locked::read(input).map_err(|e| from_lib(e, Context::new(file)))?;
    let (header, header_len) = (read.header().clone(), read.header_len());
    let payload_len = match &remote {
        // The length the store tells: the payload is not downloaded.
        Some(remote) => remote.size()?.saturating_sub(header_len),
        None => {
            io::copy(&mut read.into_payload(), &mut io::sink()).map_err(|e| CliError::io(file, "cannot read", &e))?
        }
    };
    let layout = chunk::layout(payload_len).ok();
    let header = &header;
    if json {
        let slots: Vec<serde_json::Value> = header
            .slots()
            .iter()
            .map(|s| match s {
                Slot::Password(p) => serde_json::json!({
                    "type": "password", "kdf": "argon2id",
                    "memoryKib": p.params().memory_kib, "iterations": p.params().iterations,
                    "parallelism": p.params().parallelism,
                }),
                Slot::Other(o) => serde_json::json!({
                    "type": if o.slot_type() == SLOT_TYPE_VAULT { "vault" } else { "unknown" },
                    "typeByte": o.slot_type(), "bodyLength": o.body().len(),
                }),
            })
            .collect();
        let value = serde_json::json!({
            "format": "ebak", "version": 1,
            "headerLength": header_len, "slots": slots,
            "payloadLength": payload_len,
            "chunkCount": layout.map(|l| l.chunk_count),
            "plaintextLength": layout.map(|l| l.message_len),
            "payloadLengthValid": layout.is_some(),
        });
        println!("{value:#}");
        return Ok(());
    }
    println!("{}: ebak backup, format version 1", file.display());
    println!(
        "header: {} bytes, {} key slot{}",
        header_len,
        header.slots().len(),
        if header.slots().len() == 1 { "" } else { "s" }
    );
    for (i, s) in header.slots().iter().enumerate() {
        match s {
            Slot::Password(p) => {
                let k = p.params();
                println!(
                    "  slot {i}: password (Argon2id, m = {} KiB ({} MiB), t = {}, p = {})",
                    k.memory_kib,
                    k.memory_kib / 1024,
                    k.iterations,
                    k.parallelism
                );
            }
            Slot::Other(o) if o.slot_type() == SLOT_TYPE_VAULT => {
                println!("  slot {i}: vault ({} bytes; not supported by this version, skipped)", o.body().len());
            }
            Slot::Other(o) => {
                println!("  slot {i}: unknown type {} ({} bytes; skipped)", o.slot_type(), o.body().len());
            }
        }
    }
    if header.slots().is_empty() {
        println!("  (no slots: only the 64-digit key opens it)");
    }
    match layout {
        Some(l) => println!(
            "payload: {payload_len} bytes in {} chunk{}, {} bytes once decrypted",
            l.chunk_count,
            if l.chunk_count == 1 { "" } else { "s" },
            l.message_len
        ),
        None => println!("payload: {payload_len} bytes: not a valid Cobblestone length (truncated or extended)"),
    }
    Ok(())
}
