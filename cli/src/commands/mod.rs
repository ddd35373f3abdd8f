//! The subcommands.

mod backup;
mod inspect;
mod keygen;
mod passwd;
mod restore;
mod rotate;
pub(crate) mod target;
mod verify;

use target::{NewFile, Target};

pub use backup::{BackupArgs, backup};
pub use inspect::inspect;
pub use keygen::keygen;
pub use passwd::{PasswdAction, PasswdArgs, passwd};
pub use restore::{RestoreArgs, restore};
pub use rotate::{RotateArgs, rotate};
pub use verify::{VerifyArgs, verify};

use crate::container::{self, Backend, HeaderRead};
use crate::error::{CliError, Exit};
use crate::progress::Progress;
use crate::secrets::Sources;
use ebak_core::BackupKey;
use ebak_core::chunk;
use ebak_core::file::Unlocked;
use ebak_core::kdf::KdfParams;
use ebak_core::slot::PasswordSlot;
use std::fs;
use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

/// Options every command shares.
#[derive(Debug, Clone, Copy)]
pub struct Global {
    /// `--quiet`: no progress bars, no notes.
    pub quiet: bool,
    /// `--threads`: 0 for all cores.
    pub threads: usize,
}

const STDIO: &str = "-";

fn is_stdio(p: &Path) -> bool {
    p.as_os_str() == STDIO
}

/// The warning that goes with every new 64-digit key.
pub const KEY_WARNING: &str = "Keep this 64-digit key safe: whoever has it can open your backups, and if you lose it and the password, the backup is lost for good.";

fn rng() -> getrandom::SysRng {
    getrandom::SysRng
}

fn new_key() -> Result<BackupKey, CliError> {
    BackupKey::generate(&mut rng()).map_err(|_| {
        CliError::io_plain("cannot make a key", &io::Error::other("the system random number generator failed"))
    })
}

fn password_slot(key: &BackupKey, password: &str) -> Result<PasswordSlot, CliError> {
    PasswordSlot::create_with_rng::<Backend, _>(key, password, KdfParams::DEFAULT, &mut rng())
        .map_err(|e| CliError::usage(format!("cannot protect with this password: {e}")))
}

/// Opens the input file (or standard input) and unlocks it.
fn open_input(file: &Path, sources: &Sources) -> Result<(HeaderRead<Box<dyn Read + Send>>, Unlocked), CliError> {
    let input: Box<dyn Read + Send> = if is_stdio(file) {
        Box::new(io::stdin())
    } else {
        Box::new(fs::File::open(file).map_err(|e| CliError::io(file, "cannot open", &e))?)
    };
    let read = container::read_header(file, input)?;
    let secret = sources.unlock()?;
    let unlocked = container::unlock(file, &read.header, &secret, read.header_len)?;
    Ok((read, unlocked))
}

/// The plaintext length, if the input is a file (for the progress bar).
fn plaintext_len(file: &Path, header_len: u64) -> Option<u64> {
    let len = fs::metadata(file).ok()?.len();
    chunk::layout(len.checked_sub(header_len)?).ok().map(|l| l.message_len)
}

/// What a consumer of the plaintext does with it.
type Consumer<'a> = Box<dyn FnOnce(crate::chan::PipeReader) -> Result<String, CliError> + Send + 'a>;

/// Streams the verified plaintext of `read` into `consume` (on another
/// thread) and returns the consumer's summary, or the failure that counts:
/// a payload that does not verify beats whatever the consumer made of the
/// truncated stream it saw.
fn pipe_plaintext(
    file: &Path,
    read: HeaderRead<Box<dyn Read + Send>>,
    unlocked: &Unlocked,
    context: &str,
    global: Global,
    label: &str,
    consume: Consumer<'_>,
) -> Result<String, CliError> {
    let bar = Progress::new(plaintext_len(file, read.header_len), global.quiet, label);
    let progress = |n: u64| bar.set(n);
    let options = ebak_stream::Options { threads: global.threads, progress: Some(&progress) };
    let (reader, writer) = crate::chan::pipe();
    let header_len = read.header_len;
    let consumer_gone = AtomicBool::new(false);
    let writer = Watched { inner: writer, failed: &consumer_gone };
    let (opened, consumed) = std::thread::scope(|s| {
        let consumer = s.spawn(move || consume(reader));
        let opened =
            container::open_payload(file, unlocked, context.as_bytes(), read.payload, writer, header_len, &options);
        (opened, consumer.join())
    });
    bar.finish();
    let consumed = consumed
        .unwrap_or_else(|_| Err(CliError::io_plain("restore failed", &io::Error::other("worker thread panicked"))));
    match (opened, consumed) {
        // A payload that does not verify is the cause of whatever the
        // consumer then made of the stream.
        (Err(e), _) if e.exit != Exit::Io => Err(e),
        // Reading the backup failed (not the consumer hanging up): that is
        // the cause, not the consumer's complaint about a short stream.
        (Err(e), Err(_)) if !consumer_gone.load(Ordering::Relaxed) => Err(e),
        (_, Err(e)) => Err(e),
        (Err(e), Ok(_)) => Err(e),
        (Ok(_), Ok(summary)) => Ok(summary),
    }
}

/// The pipe to the consumer, noting whether a write to it failed (the
/// consumer stopped reading).
struct Watched<'a, W> {
    inner: W,
    failed: &'a AtomicBool,
}

impl<W: Write> Write for Watched<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf).inspect_err(|_| self.failed.store(true, Ordering::Relaxed))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush().inspect_err(|_| self.failed.store(true, Ordering::Relaxed))
    }
}

/// Reads the rest of a stream and throws it away (so the producer never
/// blocks on a full pipe).
fn drain(mut r: impl Read) -> Result<(), CliError> {
    io::copy(&mut r, &mut io::sink())
        .map(drop)
        .map_err(|e| CliError::damaged(format!("the content inside the backup is malformed: {e}")))
}
