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

use crate::archive::{self, Compression, Counter};
use crate::commands::Global;
use crate::container::{self, Backend};
use crate::error::{CliError, Exit};
use crate::progress::Progress;
use crate::secrets::{self, Sources};
use ebak_core::header::{MAGIC, Slot};
use ebak_core::kdf::KdfParams;
use ebak_core::slot::PasswordSlot;
use ebak_core::{BackupKey, file, recovery_key};
use ebak_crypt15::decrypt::Md5Check;
use ebak_crypt15::header::{MAX_HEADER_BYTES, key_type_name};
use ebak_crypt15::{ContentKind, DecryptError, HeaderError, ImportError, Layout, Report, RootKey};
use std::fs;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// The WhatsApp 64-digit key variable (kept apart from `EBAK_KEY`, the ebak
/// backup's own key).
pub const ENV_WA_KEY: &str = "EBAK_WA_KEY";

const STDIO: &str = "-";

/// `ebak import-whatsapp`'s arguments.
#[derive(Debug, clap::Args)]
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

fn is_stdio(p: &Path) -> bool {
    p.as_os_str() == STDIO
}

/// A file written beside its target and renamed into place by `commit`;
/// dropped uncommitted, it is removed.
struct Staged {
    temp: tempfile::NamedTempFile,
    path: PathBuf,
    force: bool,
}

impl Staged {
    fn create(path: &Path, force: bool) -> Result<Self, CliError> {
        if !force && fs::symlink_metadata(path).is_ok() {
            return Err(CliError::usage(format!("{} already exists; use --force to replace it", path.display())));
        }
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let temp = tempfile::Builder::new()
            .prefix(".ebak-")
            .suffix(".partial")
            .tempfile_in(&dir)
            .map_err(|e| CliError::io(&dir, "cannot create a file in", &e))?;
        Ok(Self { temp, path: path.to_path_buf(), force })
    }

    fn commit(self) -> Result<(), CliError> {
        self.temp.as_file().sync_all().map_err(|e| CliError::io(&self.path, "cannot write", &e))?;
        let path = self.path;
        let result =
            if self.force { self.temp.persist(&path).map(drop) } else { self.temp.persist_noclobber(&path).map(drop) };
        result.map_err(|e| CliError::io(&path, "cannot rename into place", &e.error))
    }
}

/// Parses 64 hexadecimal digits (spaces and dashes skipped) as a root key.
fn parse_hex(text: &str, source: &str) -> Result<RootKey, CliError> {
    let key = recovery_key::parse(text)
        .map_err(|e| CliError::usage(format!("{source}: {e} (a WhatsApp 64-digit key is 64 hexadecimal digits)")))?;
    Ok(RootKey::from_bytes(*key.expose_secret()))
}

/// The WhatsApp root key: `--key`, `--key-file`, `EBAK_WA_KEY`, or a prompt.
fn wa_key(args: &ImportArgs) -> Result<RootKey, CliError> {
    if let Some(text) = &args.key {
        return parse_hex(&Zeroizing::new(text.clone()), "--key");
    }
    if let Some(path) = &args.key_file {
        return read_key_file(path);
    }
    if let Ok(text) = std::env::var(ENV_WA_KEY) {
        return parse_hex(&Zeroizing::new(text), ENV_WA_KEY);
    }
    if secrets::interactive() {
        let text = rpassword::prompt_password("WhatsApp 64-digit key: ")
            .map(Zeroizing::new)
            .map_err(|e| CliError::io_plain("cannot read from the terminal", &e))?;
        return parse_hex(&text, "the 64-digit key");
    }
    Err(CliError::usage(format!(
        "no WhatsApp key: give --key-file encrypted_backup.key, set {ENV_WA_KEY} to the 64-digit key, or use --key"
    )))
}

/// A key file: the 59-byte Java-serialized `encrypted_backup.key`, or text
/// holding the 64 hexadecimal digits (one final line break removed).
fn read_key_file(path: &Path) -> Result<RootKey, CliError> {
    let bytes = Zeroizing::new(fs::read(path).map_err(|e| CliError::io(path, "cannot read key file", &e))?);
    let name = path.display();
    let binary = bytes.starts_with(&[0xac, 0xed]) || bytes.len() == ebak_crypt15::key::KEY_FILE_BYTES;
    if binary {
        return ebak_crypt15::parse_key_file(&bytes).map_err(|e| CliError::usage(format!("key file {name}: {e}")));
    }
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return Err(CliError::usage(format!(
            "key file {name}: neither a WhatsApp key file (encrypted_backup.key, {} bytes, Java-serialized) nor text with the 64-digit key",
            ebak_crypt15::key::KEY_FILE_BYTES
        )));
    };
    let text = text.strip_suffix("\r\n").or_else(|| text.strip_suffix('\n')).unwrap_or(text);
    parse_hex(text, &format!("key file {name}"))
}

/// The message and exit code for an import failure.
fn import_error(file: &Path, out: &Path, e: ImportError) -> CliError {
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
            damaged(format!("{name}: truncated: {e}"))
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

fn open_input(file: &Path) -> Result<(Box<dyn Read + Send>, Option<u64>), CliError> {
    if is_stdio(file) {
        return Ok((Box::new(io::stdin()), None));
    }
    let f = fs::File::open(file).map_err(|e| CliError::io(file, "cannot open", &e))?;
    let len = f.metadata().ok().map(|m| m.len());
    Ok((Box::new(f), len))
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
    // Check the target before asking for the key.
    let target = Staged::create(output, args.force)?;
    let root = wa_key(args)?;
    let (input, len) = open_input(&args.file)?;
    let bar = Progress::new(len, global.quiet, "import");
    let input = BufReader::new(Counting { inner: input, read: 0, bar: &bar });
    let report = {
        let out = BufWriter::with_capacity(1 << 20, target.temp.as_file());
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
    }
    Ok(())
}

fn new_backup_key() -> Result<BackupKey, CliError> {
    BackupKey::generate(&mut getrandom::SysRng).map_err(|_| {
        CliError::io_plain("cannot make a key", &io::Error::other("the system random number generator failed"))
    })
}

/// `ebak import-whatsapp --to-ebak`: three stages joined by pipes, none of
/// them on disk: crypt15 decryption, the CLI's content encoding (a single
/// stream, zstd), Cobblestone sealing into a temporary file that is renamed
/// only once the crypt15 file verified.
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
        return Err(CliError::usage(
            "--new-key makes a new key; it cannot be combined with --ebak-key or --ebak-key-file",
        ));
    }
    let mut target = Staged::create(out_path, args.force)?;
    let root = wa_key(args)?;
    // The new backup's secrets, as `ebak backup` takes them.
    let given_key = if args.new_key { None } else { sources.key()? };
    let password = sources.password(true)?;
    if password.as_ref().is_some_and(|p| p.is_empty()) {
        return Err(CliError::usage("the password is empty"));
    }
    if given_key.is_none() && password.is_none() && !args.new_key {
        return Err(CliError::usage(format!(
            "nothing would open the new ebak backup: give a password (--password, --password-file or {}), an ebak key (--ebak-key, --ebak-key-file or {}), or --new-key",
            secrets::ENV_PASSWORD,
            secrets::ENV_KEY
        )));
    }
    let show_key = given_key.is_none() && args.new_key;
    let key = match given_key {
        Some(k) => k,
        None => new_backup_key()?,
    };
    let mut slots = Vec::new();
    if let Some(p) = &password {
        let slot = PasswordSlot::create_with_rng::<Backend, _>(&key, p, KdfParams::DEFAULT, &mut getrandom::SysRng)
            .map_err(|e| CliError::usage(format!("cannot protect with this password: {e}")))?;
        slots.push(Slot::Password(slot));
    }
    let header = file::new_header(&key, slots).map_err(|e| CliError::usage(format!("cannot make the header: {e}")))?;
    let context = args.context.clone().unwrap_or_default();
    let compression = if args.no_compress { Compression::None } else { Compression::Zstd };

    let (input, len) = open_input(&args.file)?;
    let bar = Progress::new(len, global.quiet, "import");
    let options = ebak_stream::Options { threads: global.threads, progress: None };
    let counter = Counter::default();
    let (imported, encoded, sealed) = {
        let mut out = BufWriter::with_capacity(1 << 20, target.temp.as_file_mut());
        out.write_all(&header.to_bytes()).map_err(|e| CliError::io(out_path, "cannot write", &e))?;
        let (plain_r, plain_w) = io::pipe().map_err(|e| CliError::io_plain("cannot make a pipe", &e))?;
        let (content_r, content_w) = io::pipe().map_err(|e| CliError::io_plain("cannot make a pipe", &e))?;
        let bar = &bar;
        let root = &root;
        let (imported, encoded, sealed) = std::thread::scope(|s| {
            let importer = s.spawn(move || {
                let input = BufReader::new(Counting { inner: input, read: 0, bar });
                ebak_crypt15::decrypt(root, input, BufWriter::new(plain_w))
            });
            let encoder = s.spawn(|| archive::write_stream(plain_r, content_w, compression, &counter));
            let sealed = container::seal_payload(&key, context.as_bytes(), content_r, &mut out, &options)
                .and_then(|n| out.flush().map(|()| n).map_err(|e| CliError::io(out_path, "cannot write", &e)));
            (importer.join(), encoder.join(), sealed)
        });
        (imported, encoded, sealed)
    };
    bar.finish();
    let panicked = || CliError::io_plain("import failed", &io::Error::other("a worker thread panicked"));
    let imported = imported.map_err(|_| panicked())?;
    let encoded = encoded.map_err(|_| panicked())?;
    // The failure that counts: the crypt15 verdict, unless it only saw a
    // closed pipe (then the sealer's or the encoder's error is the cause).
    let report = match imported {
        Ok(r) => r,
        Err(ImportError::Write(_)) if sealed.is_err() || encoded.is_err() => {
            sealed?;
            encoded?;
            return Err(panicked());
        }
        Err(e) => return Err(import_error(&args.file, out_path, e)),
    };
    encoded?;
    sealed?;
    target.commit()?;
    if show_key {
        println!("{}", recovery_key::format(&key).as_str());
        eprintln!("{}", crate::commands::KEY_WARNING);
    }
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

/// For `ebak inspect`: if `input` is a crypt15 file, describes it and
/// returns `None`; otherwise returns a reader that yields the whole input
/// again, for the ebak path.
///
/// # Errors
///
/// A file that is named `*.crypt15` (or has a crypt14 header) but does not
/// parse, and I/O errors.
pub fn inspect_if_crypt15(
    file: &Path,
    mut input: Box<dyn Read + Send>,
    json: bool,
) -> Result<Option<Box<dyn Read + Send>>, CliError> {
    let mut head = Vec::with_capacity(MAX_HEADER_BYTES);
    input
        .by_ref()
        .take(u64::try_from(MAX_HEADER_BYTES).unwrap_or(u64::MAX))
        .read_to_end(&mut head)
        .map_err(|e| CliError::io(file, "cannot read", &e))?;
    let named_crypt15 = file.extension().is_some_and(|e| e.eq_ignore_ascii_case("crypt15"));
    let parsed = ebak_crypt15::Header::parse(&head);
    match parsed {
        _ if head.starts_with(&MAGIC) => {}
        Ok(_) => {
            let all = io::Cursor::new(head).chain(input);
            let survey = ebak_crypt15::survey(all).map_err(|e| import_error(file, file, e))?;
            print_survey(file, &survey, json);
            return Ok(None);
        }
        Err(e @ HeaderError::Crypt14) => return Err(import_error(file, file, ImportError::Header(e))),
        Err(e) if named_crypt15 => return Err(import_error(file, file, ImportError::Header(e))),
        Err(_) => {}
    }
    Ok(Some(Box::new(io::Cursor::new(head).chain(input))))
}

fn print_survey(file: &Path, s: &ebak_crypt15::Survey, json: bool) {
    let h = &s.header;
    let info = h.prefix.info.as_ref();
    let md5 = s.md5 == Md5Check::Matches;
    let trailer: u64 = if md5 { 32 } else { 16 };
    let ciphertext = s.body_len.checked_sub(trailer);
    let variant = match (md5, h.feature_table) {
        (true, _) => "msgstore",
        (false, true) => "msgstore-damaged",
        (false, false) => "multi-file-or-damaged",
    };
    let features: Vec<u32> = info.map(|i| i.features.enabled().collect()).unwrap_or_default();
    if json {
        let iv: String = h.prefix.iv.iter().map(|b| format!("{b:02x}")).collect();
        let value = serde_json::json!({
            "format": "whatsapp-crypt15",
            "headerLength": s.header_len,
            "featureTable": h.feature_table,
            "keyType": h.prefix.key_type,
            "keyTypeName": h.prefix.key_type.and_then(key_type_name),
            "appVersion": h.app_version(),
            "backupVersion": info.and_then(|i| i.backup_version),
            "featureFlags": features,
            "iv": iv,
            "bodyLength": s.body_len,
            "md5Matches": md5,
            "ciphertextLength": ciphertext,
            "variant": variant,
            "headerAuthenticated": false,
        });
        println!("{value:#}");
        return;
    }
    println!(
        "{}: WhatsApp crypt15 backup (not an ebak file; `ebak import-whatsapp` opens it with the 64-digit key)",
        file.display()
    );
    println!(
        "header: {} bytes, feature table flag: {} (not authenticated: these fields are what the file claims)",
        s.header_len,
        if h.feature_table { "yes" } else { "no" }
    );
    match h.prefix.key_type {
        Some(k) => println!("key type: {k} ({})", key_type_name(k).unwrap_or("unknown")),
        None => println!("key type: not given"),
    }
    match h.app_version() {
        Some(v) => println!("app version: {v:?}"),
        None => println!("app version: not given"),
    }
    if let Some(b) = info.and_then(|i| i.backup_version) {
        println!("backup version: {b}");
    }
    if !features.is_empty() {
        println!("feature flags: {} set", features.len());
    }
    let v = match variant {
        "msgstore" => {
            "msgstore database: ends with a GCM tag and an MD5 of the rest, and the MD5 matches (the file is intact; the MD5 is not keyed, so this says nothing about who made it)"
        }
        "msgstore-damaged" => {
            "msgstore database by its header, but the MD5 at the end does not match: damaged or truncated"
        }
        _ => {
            "no matching MD5 at the end: a multi-file backup (stickers, wallpapers: a ZIP, tag only), or a damaged file"
        }
    };
    println!("variant: {v}");
    match ciphertext {
        Some(c) => println!(
            "payload: {} bytes after the header: {c} bytes of AES-256-GCM ciphertext, a 16-byte tag{}",
            s.body_len,
            if md5 { ", a 16-byte MD5" } else { "" }
        ),
        None => println!("payload: {} bytes after the header: too short for a tag (truncated)", s.body_len),
    }
}
