//! `ebak import-whatsapp`: opens a WhatsApp end-to-end encrypted backup
//! (`*.crypt15`) with the user's 64-digit key and writes the decrypted
//! database, or re-seals it into an ebak backup without the plaintext
//! touching the disk; and `ebak inspect`'s view of a crypt15 file.
//!
//! The format is `spec/whatsapp-crypt15.md`; the crate is `ebak-crypt15`.
//! One GCM tag covers the whole file, so everything is written to a
//! temporary file beside the target and renamed into place only after the
//! tag (and the MD5, when the file has one) verified; on any failure the
//! temporary file is removed and nothing is left behind.

use crate::error::{CliError, Context, Exit, from_lib};
use crate::global::Global;
use crate::progress::Progress;
use crate::secrets::{KeyFlags, Sources, new_backup_secrets, show_new_key};
use crate::target::{Target, is_stdio};
use ebak::content::Compression;
use ebak::{BackupWriter, StreamOptions};
use ebak_crypt15::decrypt::Md5Check;
use ebak_crypt15::{ContentKind, DecryptError, HeaderError, ImportError, Layout, Report};
use std::fs;
use std::io::{self, BufReader, BufWriter, Read};
use std::path::{Path, PathBuf};

/// The WhatsApp 64-digit key variable (kept apart from `EBAK_KEY`, the ebak
/// backup's own key).
pub const ENV_WA_KEY: &str = "EBAK_WA_KEY";

mod inspect;
mod key;

pub use inspect::inspect_if_crypt15;
use key::wa_key;

/// `ebak import-whatsapp`'s arguments. `Debug` leaves the key out.
#[derive(clap::Args)]
pub struct ImportArgs {
    /// The WhatsApp backup: msgstore.db.crypt15, or a multi-file backup (stickers, wallpapers); `-` for standard input.
    pub file: PathBuf,
    /// The WhatsApp 64-digit key: 64 hexadecimal digits, spaces or dashes allowed. Other users can see it in `ps`: prefer EBAK_WA_KEY or --key-file.
    #[arg(long, value_name = "HEX", conflicts_with = "key_file")]
    pub key: Option<String>,
    /// The key file (encrypted_backup.key, 59 bytes), or a text file holding the 64 hexadecimal digits.
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// Write the decrypted database (for a multi-file backup: its ZIP archive, as it is) to this file.
    #[arg(short, long, value_name = "FILE", required_unless_present = "to_ebak", conflicts_with = "to_ebak")]
    pub output: Option<PathBuf>,
    /// Re-seal the decrypted content straight into a new ebak backup (restore it with `ebak restore OUT -o FILE`).
    #[arg(long, value_name = "OUT")]
    pub to_ebak: Option<PathBuf>,
    /// Replace the output file if it exists.
    #[arg(long)]
    pub force: bool,
    /// --to-ebak: protect the new backup with a password (prompted twice unless EBAK_PASSWORD or --password-file gives it).
    #[arg(long)]
    pub password: bool,
    /// --to-ebak: read the new backup's password from this file (one final line break is removed).
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// --to-ebak: protect the new backup with an ebak 64-digit key (prompted unless EBAK_KEY or --ebak-key-file gives it).
    #[arg(long)]
    pub ebak_key: bool,
    /// --to-ebak: read the new backup's ebak 64-digit key from this file.
    #[arg(long, value_name = "FILE")]
    pub ebak_key_file: Option<PathBuf>,
    /// --to-ebak: make a new ebak 64-digit key for the new backup and print it once.
    #[arg(long)]
    pub new_key: bool,
    /// --to-ebak: application context bound into the payload (must be given again to restore).
    #[arg(long, value_name = "TEXT")]
    pub context: Option<String>,
    /// --to-ebak: do not compress (zstd is used by default).
    #[arg(long)]
    pub no_compress: bool,
}

impl std::fmt::Debug for ImportArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportArgs")
            .field("file", &self.file)
            .field("key", &self.key.as_ref().map(|_| "[redacted]"))
            .field("key_file", &self.key_file)
            .field("output", &self.output)
            .field("to_ebak", &self.to_ebak)
            .field("force", &self.force)
            .finish_non_exhaustive()
    }
}

/// The message and exit code for an import failure.
pub(crate) fn import_error(file: &Path, out: &Path, e: ImportError) -> CliError {
    let name = file.display();
    let damaged = |m: String| CliError::damaged(m);
    let wrong = |m: String| CliError { exit: Exit::WrongSecret, message: m };
    match e {
        ImportError::Read(e) => CliError::io(file, "cannot read", &e),
        ImportError::Write(e) => CliError::io(out, "cannot write", &e),
        ImportError::Header(HeaderError::Crypt14) => damaged(format!(
            "{name}: this is a crypt14 backup (the format before end-to-end encryption), not crypt15: not supported"
        )),
        ImportError::Header(e @ (HeaderError::Empty | HeaderError::Truncated { .. })) => {
            damaged(format!("{name}: truncated, or not a WhatsApp crypt15 backup: {e}"))
        }
        ImportError::Header(e) => {
            damaged(format!("{name}: not a WhatsApp crypt15 backup, or its header is damaged: {e}"))
        }
        ImportError::Decrypt { error, feature_table, content_looked_right, zlib_unfinished } => {
            let truncated =
                if zlib_unfinished { "; it decrypts cleanly up to where it stops, so it looks truncated" } else { "" };
            match error {
                DecryptError::Authentication { md5: Md5Check::Matches } => wrong(format!(
                    "{name}: wrong key or damaged file: the GCM tag does not verify, but the MD5 of the file matches, so the file is intact and the key is wrong"
                )),
                DecryptError::Authentication { md5: Md5Check::Differs } if feature_table => damaged(format!(
                    "{name}: wrong key or damaged file: the GCM tag does not verify and the MD5 does not match, so the file is damaged (a msgstore backup ends with an MD5 of the rest){truncated}"
                )),
                DecryptError::Authentication { md5: Md5Check::Differs } if content_looked_right => damaged(format!(
                    "{name}: wrong key or damaged file: the GCM tag does not verify (this file has no MD5 to tell them apart), but the data decrypts to a plausible zlib stream or ZIP, so the key looks right and the file is damaged{truncated}"
                )),
                DecryptError::Authentication { md5: Md5Check::Differs } => wrong(format!(
                    "{name}: wrong key or damaged file: the GCM tag does not verify (this file has no MD5 to tell them apart), and the decrypted data is not a zlib stream or ZIP, so the key is most likely wrong"
                )),
                other => damaged(format!("{name}: {other}")),
            }
        }
        ImportError::Content(e) => damaged(format!("{name}: the GCM tag verifies, but {e}")),
        other => damaged(format!("{name}: {other}")),
    }
}

/// Counts the bytes read, for the progress bar.
struct Counting<'a, R> {
    inner: R,
    read: u64,
    bar: &'a Progress,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read = self.read.saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
        self.bar.set(self.read);
        Ok(n)
    }
}

/// Opens the input and checks its header, so that a file that is not
/// crypt15 is refused before any secret is asked for; the reader returned
/// yields the whole file again.
fn open_input(file: &Path) -> Result<(Box<dyn Read + Send>, Option<u64>), CliError> {
    let (mut input, len): (Box<dyn Read + Send>, _) = if is_stdio(file) {
        (Box::new(io::stdin()), None)
    } else {
        let f = fs::File::open(file).map_err(|e| CliError::io(file, "cannot open", &e))?;
        let len = f.metadata().ok().map(|m| m.len());
        (Box::new(f), len)
    };
    let head = ebak_crypt15::stream::read_header(&mut input).map_err(|e| import_error(file, file, e))?;
    let mut start = head.raw;
    start.extend_from_slice(&head.rest);
    Ok((Box::new(io::Cursor::new(start).chain(input)), len))
}

fn describe(report: &Report) -> (&'static str, &'static str) {
    let verified = match report.layout {
        Layout::TagAndMd5 => "GCM tag and MD5 verified",
        Layout::TagOnly => "GCM tag verified (this file has no MD5)",
    };
    let what = match report.content {
        ContentKind::Zlib => "the inflated database",
        ContentKind::Zip => "a ZIP archive, written as it is",
    };
    (verified, what)
}

/// `ebak import-whatsapp`.
pub fn import(args: &ImportArgs, global: Global) -> Result<(), CliError> {
    if let Some(out) = &args.to_ebak {
        return import_to_ebak(args, out, global);
    }
    let ebak_only = [
        (args.password, "--password"),
        (args.password_file.is_some(), "--password-file"),
        (args.ebak_key, "--ebak-key"),
        (args.ebak_key_file.is_some(), "--ebak-key-file"),
        (args.new_key, "--new-key"),
        (args.context.is_some(), "--context"),
        (args.no_compress, "--no-compress"),
    ];
    if let Some((_, flag)) = ebak_only.iter().find(|(given, _)| *given) {
        return Err(CliError::usage(format!("{flag} is for the new ebak backup: use it with --to-ebak OUT")));
    }
    let output = args.output.as_deref().ok_or_else(|| CliError::usage("give -o FILE or --to-ebak OUT"))?;
    if is_stdio(output) {
        return Err(CliError::usage(
            "-o - is refused: one GCM tag covers the whole file, so nothing is authenticated before the end; write to a file (renamed into place once verified) or use --to-ebak",
        ));
    }
    // Check the target and the input's header before asking for the key;
    // create the temporary file after.
    Target::check_staged(output, args.force)?;
    let (input, len) = open_input(&args.file)?;
    let root = wa_key(args)?;
    let mut target = Target::staged(output, args.force)?;
    let bar = Progress::new(len, global.quiet, "import");
    let input = BufReader::new(Counting { inner: input, read: 0, bar: &bar });
    let report = {
        let out = target.writer();
        ebak_crypt15::decrypt(&root, input, out)
    };
    bar.finish();
    let report = report.map_err(|e| import_error(&args.file, output, e))?;
    target.commit()?;
    if !global.quiet {
        let (verified, what) = describe(&report);
        eprintln!(
            "ebak: {}: {verified}; wrote {} ({} bytes: {what})",
            args.file.display(),
            output.display(),
            report.output_len
        );
        if report.content == ContentKind::Zip {
            print_zip_listing(output);
        }
    }
    Ok(())
}

/// The entries of the ZIP just written (at most [`LISTED_ENTRIES`]), on
/// standard error; a directory that cannot be read is noted, not fatal: the
/// archive is what the backup held, authenticated.
fn print_zip_listing(path: &Path) {
    let listing = fs::File::open(path).map_err(ebak_crypt15::zip::ZipError::Io).and_then(ebak_crypt15::zip::list);
    match listing {
        Ok(l) => {
            eprintln!("ebak: the archive holds {} entries:", l.entries.len());
            for e in l.entries.iter().take(LISTED_ENTRIES) {
                eprintln!("  {} ({} bytes)", e.name.escape_debug(), e.size);
            }
            if l.entries.len() > LISTED_ENTRIES {
                eprintln!("  ... and {} more", l.entries.len().saturating_sub(LISTED_ENTRIES));
            }
        }
        Err(e) => eprintln!("ebak: note: cannot list the archive: {e}"),
    }
}

/// How many ZIP entries the summary names.
const LISTED_ENTRIES: usize = 20;

const FLAGS: KeyFlags = KeyFlags {
    key_flags: "--ebak-key or --ebak-key-file",
    key_sources: "--ebak-key, --ebak-key-file or EBAK_KEY",
    what: "the new ebak backup",
    a_key: "an ebak key",
    prompt_if_none: false,
};

/// `ebak import-whatsapp --to-ebak`: crypt15 decryption, the content
/// encoding (a single stream, zstd) and Cobblestone sealing in one pass,
/// the plaintext never on disk, into a file staged beside the target and
/// renamed only once the crypt15 file verified.
fn import_to_ebak(args: &ImportArgs, out_path: &Path, global: Global) -> Result<(), CliError> {
    if is_stdio(out_path) {
        return Err(CliError::usage("--to-ebak needs a file (it is renamed into place once everything verified)"));
    }
    let sources = Sources {
        password: args.password,
        password_file: args.password_file.clone(),
        key: args.ebak_key,
        key_file: args.ebak_key_file.clone(),
    };
    if args.new_key && (args.ebak_key || args.ebak_key_file.is_some()) {
        // Refused before the input is read or a key asked for.
        return Err(CliError::usage(
            "--new-key makes a new key; it cannot be combined with --ebak-key or --ebak-key-file",
        ));
    }
    Target::check_staged(out_path, args.force)?;
    let (input, len) = open_input(&args.file)?;
    let root = wa_key(args)?;
    // The new backup's secrets, as `ebak backup` takes them.
    let (key, header, show_key) = new_backup_secrets(&sources, args.new_key, FLAGS)?;
    let context = args.context.clone().unwrap_or_default();
    let compression = if args.no_compress { Compression::None } else { Compression::Zstd };
    let cx = Context::new(out_path);
    let mut target = Target::staged(out_path, args.force)?;

    let bar = Progress::new(len, global.quiet, "import");
    let options = StreamOptions { threads: global.threads, progress: None };
    let sealed = (|| {
        let writer = BackupWriter::new(target.writer(), &header, &key, context.as_bytes(), options)
            .map_err(|e| from_lib(e, cx))?;
        let body = ebak::content::encoder(
            writer,
            ebak::content::ContentHeader { kind: ebak::content::Kind::Stream, compression },
        )
        .map_err(|e| CliError::io(out_path, "cannot write", &e))?;
        let input = BufReader::new(Counting { inner: input, read: 0, bar: &bar });
        let mut body = BufWriter::new(body);
        let report =
            ebak_crypt15::decrypt(&root, input, &mut body).map_err(|e| import_error(&args.file, out_path, e))?;
        let body = body.into_inner().map_err(|e| CliError::io(out_path, "cannot write", e.error()))?;
        let writer = body.finish().map_err(|e| CliError::io(out_path, "cannot write", &e))?;
        writer.finish().map_err(|e| from_lib(e, cx))?;
        Ok(report)
    })();
    bar.finish();
    let report = sealed?;
    target.commit_then(|| {
        if show_key {
            show_new_key(&key, false);
        }
    })?;
    if !global.quiet {
        let (verified, what) = describe(&report);
        eprintln!(
            "ebak: {}: {verified}; sealed {} bytes ({what}) into {}; restore with `ebak restore {} -o FILE`",
            args.file.display(),
            report.output_len,
            out_path.display(),
            out_path.display()
        );
    }
    Ok(())
}
