//! # ebak
//!
//! End-to-end encrypted backups for applications to embed: the std layer
//! over [`ebak_core`] (the format, `spec/ebak-v1.md`) and [`ebak_stream`]
//! (Cobblestone-256 over `Read`/`Write`), as the `age` crate sits under
//! `rage`. The `ebak` command-line tool is a thin binary over it.
//!
//! Back up a directory with a password and restore it elsewhere:
//!
//! ```
//! # fn main() -> Result<(), ebak::Error> {
//! # let tmp = tempfile::tempdir().unwrap();
//! # let photos = tmp.path().join("photos");
//! # std::fs::create_dir(&photos).unwrap();
//! # std::fs::write(photos.join("cat.jpg"), b"meow").unwrap();
//! # let (backup_path, restored) = (tmp.path().join("photos.ebak"), tmp.path().join("restored"));
//! use ebak::{content::archive, store::{LocalDir, PutMode, Store}};
//! let key = ebak::new_key()?;
//! let password = ebak::Password::from("correct horse battery staple");
//! let header = ebak::new_header(&key, [ebak::password_slot(&key, &password)?.into()])?;
//! let store = LocalDir::new(tmp.path());
//! let upload = store.put("photos.ebak", PutMode::Create)?;
//! let writer = ebak::BackupWriter::new(upload, &header, &key, b"", Default::default())?;
//! let writer = archive::write_tree(&[photos], writer, &archive::ArchiveOptions::default())?;
//! writer.finish()?.0.commit()?; // nothing is under the name until here
//!
//! let locked = ebak::Locked::read(store.get("photos.ebak")?)?;
//! let unlocked = locked.unlock(&ebak::Secret::Password(password))?;
//! let payload = locked.open(&unlocked, b"", Default::default())?;
//! std::fs::create_dir(&restored).unwrap();
//! let mut staged = ebak::content::staged::StagedTree::new(&restored, false)?;
//! ebak::restore::to_tree(payload, &mut staged)?;
//! staged.commit()?; // only a backup that verified whole lands in `restored`
//! assert_eq!(std::fs::read(restored.join("photos/cat.jpg")).unwrap(), b"meow");
//! # Ok(()) }
//! ```
//!
//! The modules:
//!
//! - [`open`]: a backup read from any `Read`: header, unlock, and the
//!   payload as a reader of verified plaintext; [`random`] for `Read +
//!   Seek`, chunk by chunk;
//! - [`seal`]: a backup written to any `Write`, and the rewrites (a new
//!   password over the same payload, a new key);
//! - [`content`]: the content format inside a payload (files and trees as
//!   tar, one stream, zstd), and extraction that refuses to escape its
//!   target; [`restore`] ties it to a payload;
//! - [`store`]: where backup files live, with staged writes that never
//!   leave a partial object under its final name;
//! - [`error`]: the typed errors every operation returns.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod content;
pub mod error;
mod io_util;
pub mod open;
pub mod random;
mod registry;
pub mod restore;
pub mod seal;
pub mod store;

pub use ebak_core::{BackupKey, Password, Secret};
pub use error::{Error, Stage};
pub use open::{Locked, Payload};
pub use seal::BackupWriter;

use ebak_core::file;
use ebak_core::header::{Header, Slot};
use ebak_core::kdf::KdfParams;
use ebak_core::slot::PasswordSlot;
use std::fmt;

/// The AEAD backend: RustCrypto's `aes-gcm` by default, AWS-LC's with the
/// `aws-lc` feature. Both write and read the same bytes.
#[cfg(not(feature = "aws-lc"))]
pub type Backend = ebak_core::aead::DefaultAead;
/// The AEAD backend: AWS-LC's (the `aws-lc` feature), which writes and
/// reads the same bytes as the default, about 3x faster.
#[cfg(feature = "aws-lc")]
pub type Backend = ebak_core::aead::AwsLcAes256Gcm;

/// Told the plaintext bytes processed so far, as a stream goes.
pub type Progress = Box<dyn FnMut(u64) + Send>;

/// How to seal or open a payload.
#[derive(Default)]
pub struct StreamOptions {
    /// Threads for the AEAD work: 0 for one per core, 1 for the calling
    /// thread only.
    pub threads: usize,
    /// Called with the plaintext bytes so far, after each batch.
    pub progress: Option<Progress>,
}

impl fmt::Debug for StreamOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamOptions")
            .field("threads", &self.threads)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// A fresh backup key from the operating system's CSPRNG.
///
/// # Errors
///
/// The system RNG failed ([`Stage::Random`]).
pub fn new_key() -> Result<BackupKey, Error> {
    BackupKey::generate(&mut getrandom::SysRng)
        .map_err(|_| Error::io(Stage::Random, std::io::Error::other("the system random number generator failed")))
}

/// A password slot for `key` under `password`, with the default Argon2id
/// costs (about a second on a 2-core machine) and fresh salts.
///
/// # Errors
///
/// The password is empty, or Argon2id could not run ([`Error::Slot`]).
pub fn password_slot(key: &BackupKey, password: &Password) -> Result<PasswordSlot, Error> {
    PasswordSlot::create_with_rng::<Backend, _>(
        key,
        password.expose_secret(),
        KdfParams::DEFAULT,
        &mut getrandom::SysRng,
    )
    .map_err(Error::Slot)
}

/// The header of a new backup with `slots`, its MAC computed under `key`.
///
/// # Errors
///
/// Too many slots, duplicates, or costs over what readers accept
/// ([`Error::Seal`]).
pub fn new_header(key: &BackupKey, slots: impl IntoIterator<Item = Slot>) -> Result<Header, Error> {
    file::new_header(key, slots.into_iter().collect()).map_err(Error::Seal)
}
