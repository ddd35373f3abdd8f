//! # ebak-crypt15
//!
//! Reads WhatsApp's end-to-end encrypted backups (`*.crypt15`) with the key
//! their owner holds: the 64-digit key (64 hexadecimal digits) or the
//! `encrypted_backup.key` file. The format, as far as it is publicly known,
//! and what this crate checks and cannot check, are in
//! `spec/whatsapp-crypt15.md`.
//!
//! ```text
//! file   = N || [0x01] || BackupPrefix (N bytes of protobuf, holds the IV)
//!          || AES-256-GCM(key, IV, no AAD, zlib stream or ZIP)
//!          || tag (16 bytes) || [MD5 of everything before it (16 bytes)]
//! key    = HKDF-SHA-256(ikm = root key, salt = "", info = "backup encryption", 32)
//! ```
//!
//! - [`header`]: a bounded, panic-free protobuf reader for the header
//!   ([`proto`] is the wire format); nothing in it recurses.
//! - [`key`]: the root key, the derived encryption key, the key file.
//! - [`decrypt`]: the sans-IO decryptor. One GCM tag covers the whole file,
//!   so nothing it yields is authenticated until [`decrypt::Decryptor::finish`]
//!   succeeds.
//! - [`stream`]: the std layer: [`stream::decrypt`] streams a file from a
//!   `Read` to a `Write` in constant memory, inflating the zlib stream;
//!   [`stream::survey`] reads what can be known without the key.
//! - [`zip`]: lists a multi-file backup's ZIP from its central directory.
//! - [`fuzzing`]: the invariants the fuzz target checks.
//!
//! The header is not authenticated (the GCM tag covers only the ciphertext,
//! and the MD5 is unkeyed): what `inspect` shows from it is what the file
//! claims, nothing more.

pub mod content;
pub mod decrypt;
pub mod fuzzing;
mod gcm;
pub mod header;
pub mod key;
pub mod proto;
pub mod stream;
pub mod zip;

pub use content::{ContentError, ContentKind};
pub use decrypt::{DecryptError, Layout, Md5Check};
pub use gcm::MAX_CIPHERTEXT_BYTES;
pub use header::{Header, HeaderError};
pub use key::{KeyFileError, RootKey, parse_key_file};
pub use stream::{ImportError, Report, Survey, decrypt, survey};
