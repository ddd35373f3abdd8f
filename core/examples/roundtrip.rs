//! Seals a real file with a password and the default Argon2id costs,
//! streaming it chunk by chunk, then reopens it with the password and with
//! the 64-digit key and checks that both give the original bytes.
//!
//! ```text
//! EBAK_PASSWORD='a long passphrase' cargo run --release -p ebak-core --example roundtrip -- FILE
//! ```
//!
//! It writes `FILE.ebak` beside the input and prints the 64-digit key once.
#![allow(clippy::arithmetic_side_effects, reason = "example program")]

use ebak_core::aead::DefaultAead as A;
use ebak_core::chunk::{CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE, TAG_SIZE};
use ebak_core::cobblestone::Encryptor;
use ebak_core::file::{self, Secret};
use ebak_core::header::Slot;
use ebak_core::kdf::{KdfLimits, KdfParams};
use ebak_core::slot::PasswordSlot;
use ebak_core::{BackupKey, recovery_key};
use getrandom::SysRng;
use std::io::{Read, Write};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: roundtrip FILE (password in EBAK_PASSWORD)")?;
    let password = std::env::var("EBAK_PASSWORD").map_err(|_| "set EBAK_PASSWORD")?;
    let out_path = format!("{path}.ebak");
    let mut rng = SysRng;

    let backup_key = BackupKey::generate(&mut rng)?;
    let t = Instant::now();
    let slot = PasswordSlot::create_with_rng::<A, _>(&backup_key, &password, KdfParams::DEFAULT, &mut rng)?;
    eprintln!("password slot: Argon2id {:?} took {:.2?}", KdfParams::DEFAULT, t.elapsed());
    let header = file::new_header(&backup_key, vec![Slot::Password(slot)])?;

    // Stream the payload: read 16 KiB, seal in place, write 16 400 bytes.
    let mut input = std::fs::File::open(&path)?;
    let mut output = std::io::BufWriter::new(std::fs::File::create(&out_path)?);
    output.write_all(&header.to_bytes())?;
    let salt: [u8; 24] = {
        let mut s = [0u8; 24];
        getrandom::fill(&mut s)?;
        s
    };
    let context = file::payload_context(b"")?;
    let (mut encryptor, prefix) = Encryptor::<A>::new(backup_key.expose_secret(), &salt, &context);
    output.write_all(&prefix)?;
    let mut buf = vec![0u8; ENCRYPTED_CHUNK_SIZE];
    let mut total = 0usize;
    loop {
        let mut filled = 0;
        while filled < CHUNK_SIZE {
            let n = input.read(buf.get_mut(filled..CHUNK_SIZE).ok_or("buffer")?)?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        total += filled;
        if filled == CHUNK_SIZE {
            encryptor.seal_chunk(&mut buf)?;
            output.write_all(&buf)?;
        } else {
            let last = buf.get_mut(..filled + TAG_SIZE).ok_or("buffer")?;
            encryptor.seal_final(last)?;
            output.write_all(last)?;
            break;
        }
    }
    output.flush()?;
    drop(output);
    eprintln!("sealed {total} bytes of {path} into {out_path}");
    println!("64-digit key (shown once; losing it and the password loses the backup):");
    println!("{}", recovery_key::format(&backup_key).as_str());

    let sealed = std::fs::read(&out_path)?;
    let original = std::fs::read(&path)?;
    let t = Instant::now();
    let by_password = file::open::<A>(&sealed, &Secret::password(&password), b"", &KdfLimits::V1)?;
    eprintln!("reopened with the password in {:.2?}", t.elapsed());
    let key = recovery_key::parse(&recovery_key::format(&backup_key))?;
    let by_key = file::open::<A>(&sealed, &Secret::key(&key), b"", &KdfLimits::V1)?;
    if by_password != original || by_key != original {
        return Err("round trip gave different bytes".into());
    }
    eprintln!("round trip OK: both the password and the 64-digit key give the original {} bytes", original.len());
    Ok(())
}
