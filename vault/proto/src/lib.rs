//! # ebak-vault-proto
//!
//! The ebak backup key vault protocol (`spec/ebak-vault-v1.md`), sans-IO:
//! the client and the server share this crate, and neither it nor its
//! callers' tests need a network to run a whole protocol.
//!
//! - [`msg`]: every request and response, byte by byte, with parsers that
//!   take hostile input (fixed sizes, no trailing bytes, ranges checked);
//! - [`suite`]: the OPAQUE cipher suite (opaque-ke 4.0.1: ristretto255,
//!   3DH with SHA-512, Argon2id with checked costs);
//! - [`keys`]: the public keys a client pins, the response signatures, the
//!   server's secret key set;
//! - [`wrap`]: the backup key wrapped under OPAQUE's export key;
//! - [`client`] and [`server`]: the protocol steps of each side;
//! - [`ids`] and [`labels`]: names and domain-separation labels.
//!
//! The guess counter, the records and the HTTP transport live in the
//! `ebak-vault` server crate; this crate decides nothing about them.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

extern crate alloc;

pub mod client;
mod codec;
pub mod ids;
pub mod keys;
pub mod labels;
pub mod msg;
pub mod server;
pub mod suite;
pub mod wrap;

pub use ids::{AccountId, KeyId, SessionId, VaultId};
pub use keys::{PublicKeys, ServerKeys};
pub use suite::{DEFAULT_KSF, Ksf};
