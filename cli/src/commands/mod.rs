//! The subcommands.

mod backup;
mod inspect;
mod keygen;
mod ls;
mod passwd;
mod restore;
mod rotate;
mod verify;

pub use backup::{BackupArgs, backup};
pub use inspect::inspect;
pub use keygen::keygen;
pub use ls::{LsArgs, ls};
pub use passwd::{PasswdAction, PasswdArgs, passwd};
pub use restore::{RestoreArgs, restore};
pub use rotate::{RotateArgs, rotate};
pub use verify::{VerifyArgs, verify};

use crate::error::{CliError, Context, from_lib};
use crate::global::Global;
use crate::progress::Progress;
use crate::secrets::Sources;
use crate::target::is_stdio;
use ebak::{Locked, StreamOptions};
use ebak_core::chunk;
use ebak_core::file::Unlocked;
use std::fs;
use std::io::{self, Read};
use std::path::Path;

/// A backup file (or standard input), its header read.
pub(crate) type Input = Locked<Box<dyn Read + Send>>;

/// Opens the backup file (or standard input) and reads its header.
pub(crate) fn read_input(file: &Path) -> Result<Input, CliError> {
    let input: Box<dyn Read + Send> = if is_stdio(file) {
        Box::new(io::stdin())
    } else if let Some(remote) = crate::remote::parse(file)? {
        remote.reader()?
    } else {
        Box::new(fs::File::open(file).map_err(|e| CliError::io(file, "cannot open", &e))?)
    };
    Locked::read(input).map_err(|e| from_lib(e, Context::new(file)))
}

/// Opens the input file (or standard input), asks for the secret, and
/// unlocks it; returns the context its errors are told in (which secret).
pub(crate) fn open_input<'a>(file: &'a Path, sources: &Sources) -> Result<(Input, Unlocked, Context<'a>), CliError> {
    let input = read_input(file)?;
    let secret = sources.unlock()?;
    let password_slots =
        input.header().slots().iter().filter(|s| matches!(s, ebak_core::header::Slot::Password(_))).count();
    let cx = Context { by_key: secret.is_key(), password_slots: Some(password_slots), ..Context::new(file) };
    let unlock = || input.unlock(&secret);
    let unlocked = if secret.is_key() { unlock() } else { crate::progress::while_deriving(unlock) };
    let unlocked = unlocked.map_err(|e| from_lib(e, cx))?;
    Ok((input, unlocked, cx))
}

/// The plaintext length, if the input is a file (for the progress bar).
pub(crate) fn plaintext_len(file: &Path, header_len: u64) -> Option<u64> {
    let len = match crate::remote::parse(file) {
        Ok(Some(remote)) => remote.size().ok()?,
        _ => fs::metadata(file).ok()?.len(),
    };
    chunk::layout(len.checked_sub(header_len)?).ok().map(|l| l.message_len)
}

/// Stream options with a progress bar moved by the stream.
pub(crate) fn with_progress(global: Global, bar: &Progress) -> StreamOptions {
    let bar = bar.clone();
    StreamOptions { threads: global.threads, progress: Some(Box::new(move |n| bar.set(n))) }
}
