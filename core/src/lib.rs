//! # ebak-core
//!
//! The ebak v1 backup format (`spec/ebak-v1.md`): a header with key slots
//! and a MAC, followed by a Cobblestone-256 payload.
//!
//! This crate is the minimal, auditable part: `no_std` with `alloc`, no
//! `unsafe`, no I/O (the caller hands it bytes and chunks), and no panics
//! (no indexing, no unchecked arithmetic, no unwrap; enforced by the
//! workspace lints). Every random input is a parameter, so that test
//! vectors are reproducible; the `*_with_rng` helpers draw them from a
//! caller-supplied CSPRNG.
//!
//! The modules, bottom up:
//!
//! - [`chunk`]: chunk arithmetic (sizes, counts, offsets, nonces);
//! - [`aead`]: the AEAD trait and the default AES-256-GCM backend;
//! - [`cobblestone`]: Cobblestone-256 sealing and opening, streaming,
//!   by chunk and by random access;
//! - [`recovery_key`]: the 64-digit key codec;
//! - [`kdf`] and [`slot`]: Argon2id and the key slots (the key wrap), one
//!   module per slot type;
//! - [`header`]: the header codec;
//! - [`file`]: the flows a client needs: seal, unlock, open, re-key;
//! - [`error`]: the error classes every failure belongs to;
//! - [`limits`]: the format's limits on counts and lengths;
//! - [`secret`]: the backup key, passwords, and what unlocks a file.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

extern crate alloc;

pub mod aead;
pub mod chunk;
pub mod cobblestone;
mod codec;
pub mod error;
pub mod file;
pub mod header;
mod hkdf;
pub mod kdf;
pub mod limits;
pub mod recovery_key;
pub mod secret;
pub mod slot;

pub use aead::{Aead, DefaultAead};
pub use error::{ErrorClass, OpenError};
pub use secret::{BackupKey, Password, Secret};
