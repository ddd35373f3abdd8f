//! The subcommands.

use crate::archive::{self, Compression, Content, Counter, Kind};
use crate::container::{self, Backend, HeaderRead};
use crate::error::{CliError, Exit};
use crate::progress::Progress;
use crate::secrets::{self, Sources, Unlock};
use ebak_core::chunk;
use ebak_core::file::{self, Unlocked};
use ebak_core::header::{Header, Slot};
use ebak_core::kdf::KdfParams;
use ebak_core::slot::{PasswordSlot, SLOT_TYPE_VAULT};
use ebak_core::{BackupKey, recovery_key};
use std::fs;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

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

/// A file being written beside its final path, renamed into place only when
/// everything succeeded (or standard output).
enum Target {
    Stdout(io::Stdout),
    File { temp: tempfile::NamedTempFile, path: PathBuf, force: bool },
}

impl Target {
    fn create(path: &Path, force: bool) -> Result<Self, CliError> {
        if is_stdio(path) {
            return Ok(Self::Stdout(io::stdout()));
        }
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
        Ok(Self::File { temp, path: path.to_path_buf(), force })
    }

    fn writer(&mut self) -> Box<dyn Write + Send + '_> {
        match self {
            Self::Stdout(_) => Box::new(BufWriter::with_capacity(1 << 20, io::stdout())),
            Self::File { temp, .. } => Box::new(BufWriter::with_capacity(1 << 20, temp.as_file_mut())),
        }
    }

    /// Makes the file durable and renames it into place.
    fn commit(self) -> Result<(), CliError> {
        match self {
            Self::Stdout(mut s) => s.flush().map_err(|e| CliError::io_plain("cannot write to standard output", &e)),
            Self::File { temp, path, force } => {
                temp.as_file().sync_all().map_err(|e| CliError::io(&path, "cannot write", &e))?;
                let result =
                    if force { temp.persist(&path).map(drop) } else { temp.persist_noclobber(&path).map(drop) };
                result.map_err(|e| CliError::io(&path, "cannot rename into place", &e.error))
            }
        }
    }
}

/// `ebak keygen`.
pub fn keygen() -> Result<(), CliError> {
    let key = new_key()?;
    println!("{}", recovery_key::format(&key).as_str());
    eprintln!("{KEY_WARNING}");
    Ok(())
}

/// `ebak backup`.
#[derive(Debug)]
pub struct BackupArgs {
    /// Files and directories, or `-` for standard input.
    pub paths: Vec<PathBuf>,
    /// The backup file, or `-`.
    pub output: PathBuf,
    /// Password and key sources.
    pub sources: Sources,
    /// Make a new key and show it.
    pub new_key: bool,
    /// The application context.
    pub context: String,
    /// Do not compress.
    pub no_compress: bool,
    /// Replace an existing output file.
    pub force: bool,
}

/// `ebak backup`.
pub fn backup(args: &BackupArgs, global: Global) -> Result<(), CliError> {
    let from_stdin = args.paths.iter().any(|p| is_stdio(p));
    if from_stdin && args.paths.len() > 1 {
        return Err(CliError::usage("`-` (standard input) must be the only thing backed up"));
    }
    if !from_stdin {
        let mut names = std::collections::BTreeSet::new();
        for p in &args.paths {
            let name = archive::archive_name(p)?;
            if !names.insert(name.clone()) {
                return Err(CliError::usage(format!("two paths would both be stored as {}", name.display())));
            }
        }
    }
    if args.new_key && (args.sources.key || args.sources.key_file.is_some()) {
        return Err(CliError::usage("--new-key makes a new key; it cannot be combined with --key or --key-file"));
    }
    let given_key = if args.new_key { None } else { args.sources.key()? };
    let password = args.sources.password(true)?;
    if password.as_ref().is_some_and(|p| p.is_empty()) {
        return Err(CliError::usage("the password is empty"));
    }
    if given_key.is_none() && password.is_none() && !args.new_key {
        return Err(CliError::usage(format!(
            "nothing would open this backup: give a password (--password, --password-file or {}), a key (--key, --key-file or {}), or --new-key",
            secrets::ENV_PASSWORD,
            secrets::ENV_KEY
        )));
    }
    let show_key = given_key.is_none() && args.new_key;
    let key = match given_key {
        Some(k) => k,
        None => new_key()?,
    };
    let mut slots = Vec::new();
    if let Some(p) = &password {
        slots.push(Slot::Password(password_slot(&key, p)?));
    }
    let header = file::new_header(&key, slots).map_err(|e| CliError::usage(format!("cannot make the header: {e}")))?;

    let compression = if args.no_compress { Compression::None } else { Compression::Zstd };
    let total = if from_stdin { None } else { Some(archive::total_size(&args.paths)) };
    let bar = Progress::new(total, global.quiet, "backup");
    let counter = Counter::default();
    let progress = |_: u64| bar.set(counter.get());
    let options = ebak_stream::Options { threads: global.threads, progress: Some(&progress) };

    let mut target = Target::create(&args.output, args.force)?;
    {
        let mut out = target.writer();
        out.write_all(&header.to_bytes()).map_err(|e| CliError::io_plain("cannot write the backup", &e))?;
        let (reader, writer) = io::pipe().map_err(|e| CliError::io_plain("cannot make a pipe", &e))?;
        let (sealed, produced) = std::thread::scope(|s| {
            let producer = s.spawn(|| {
                if from_stdin {
                    archive::write_stream(io::stdin().lock(), writer, compression, &counter)
                } else {
                    archive::write_archive(&args.paths, writer, compression, &counter)
                }
            });
            let sealed = container::seal_payload(&key, args.context.as_bytes(), reader, &mut out, &options);
            (sealed, producer.join())
        });
        bar.finish();
        // The producer's failure is the cause when both fail (a closed pipe
        // is only the consequence).
        match produced {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e),
            Err(_) => return Err(CliError::io_plain("backup failed", &io::Error::other("archiver thread panicked"))),
        }
        sealed?;
        out.flush().map_err(|e| CliError::io_plain("cannot write the backup", &e))?;
    }
    target.commit()?;
    if show_key {
        let text = recovery_key::format(&key);
        if is_stdio(&args.output) {
            eprintln!("{}", text.as_str());
        } else {
            println!("{}", text.as_str());
        }
        eprintln!("{KEY_WARNING}");
    }
    if !global.quiet && !is_stdio(&args.output) {
        eprintln!("ebak: wrote {} ({} bytes read)", args.output.display(), counter.get());
    }
    Ok(())
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
type Consumer<'a> = Box<dyn FnOnce(io::PipeReader) -> Result<String, CliError> + Send + 'a>;

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
    consume: Consumer<'_>,
) -> Result<String, CliError> {
    let bar = Progress::new(plaintext_len(file, read.header_len), global.quiet, "verify");
    let progress = |n: u64| bar.set(n);
    let options = ebak_stream::Options { threads: global.threads, progress: Some(&progress) };
    let (reader, writer) = io::pipe().map_err(|e| CliError::io_plain("cannot make a pipe", &e))?;
    let header_len = read.header_len;
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
        (Err(e), _) if e.exit != Exit::Io => Err(e),
        (_, Err(e)) => Err(e),
        (Err(e), Ok(_)) => Err(e),
        (Ok(_), Ok(summary)) => Ok(summary),
    }
}

/// Reads the rest of a stream and throws it away (so the producer never
/// blocks on a full pipe).
fn drain(mut r: impl Read) -> Result<(), CliError> {
    io::copy(&mut r, &mut io::sink())
        .map(drop)
        .map_err(|e| CliError::damaged(format!("the content inside the backup is malformed: {e}")))
}

/// `ebak restore`.
#[derive(Debug)]
pub struct RestoreArgs {
    /// The backup, or `-`.
    pub file: PathBuf,
    /// `-C DIR`.
    pub dir: Option<PathBuf>,
    /// `-o OUT` (or `-`).
    pub output: Option<PathBuf>,
    /// Write the payload as it is, without decoding the content.
    pub raw: bool,
    /// Replace an existing target.
    pub force: bool,
    /// Secret sources.
    pub sources: Sources,
    /// The application context.
    pub context: String,
}

/// `ebak restore`.
pub fn restore(args: &RestoreArgs, global: Global) -> Result<(), CliError> {
    match (&args.dir, &args.output) {
        (Some(_), Some(_)) => return Err(CliError::usage("give either -C DIR or -o FILE, not both")),
        (None, None) => {
            return Err(CliError::usage("where to? give -C DIR (a directory) or -o FILE (- for standard output)"));
        }
        (Some(_), None) if args.raw => return Err(CliError::usage("--raw writes one stream: use it with -o")),
        _ => {}
    }
    if let Some(dir) = &args.dir {
        return restore_dir(args, dir, global);
    }
    let output = args.output.as_deref().unwrap_or(Path::new(STDIO));
    // Check the target before asking for a password.
    let mut target = Target::create(output, args.force)?;
    let (read, unlocked) = open_input(&args.file, &args.sources)?;
    let raw = args.raw;
    let summary = {
        let out = target.writer();
        let consume: Consumer<'_> = Box::new(move |mut reader| {
            let mut out = out;
            let werr = |e: io::Error| CliError::io_plain("cannot write the restored data", &e);
            if raw {
                let n = io::copy(&mut reader, &mut out).map_err(werr)?;
                out.flush().map_err(werr)?;
                return Ok(format!("{n} bytes"));
            }
            let (content, _) = archive::read_content_header(&mut reader).map_err(werr)?;
            let Some(content) = content else {
                drain(reader)?;
                return Err(CliError::damaged(
                    "this backup was not made by the ebak tool (its payload has no ebak content header); use --raw to get the payload as it is",
                ));
            };
            let mut decoded = archive::decoder(&mut reader, content.compression).map_err(werr)?;
            let n = io::copy(&mut decoded, &mut out)
                .map_err(|e| CliError::damaged(format!("the content inside the backup is malformed: {e}")))?;
            drop(decoded);
            drain(reader)?;
            out.flush().map_err(werr)?;
            Ok(format!("{n} bytes"))
        });
        pipe_plaintext(&args.file, read, &unlocked, &args.context, global, consume)?
    };
    target.commit()?;
    if !global.quiet && !is_stdio(output) {
        eprintln!("ebak: restored {summary} to {}", output.display());
    }
    Ok(())
}

fn restore_dir(args: &RestoreArgs, dir: &Path, global: Global) -> Result<(), CliError> {
    if fs::symlink_metadata(dir).is_ok_and(|m| !m.is_dir()) {
        return Err(CliError::usage(format!("{} exists and is not a directory", dir.display())));
    }
    let (read, unlocked) = open_input(&args.file, &args.sources)?;
    // The directories this restore creates, deepest first.
    let created: Vec<PathBuf> =
        dir.ancestors().take_while(|a| !a.as_os_str().is_empty() && !a.exists()).map(Path::to_path_buf).collect();
    fs::create_dir_all(dir).map_err(|e| CliError::io(dir, "cannot create", &e))?;
    let result = restore_into(args, dir, read, &unlocked, global);
    if result.is_err() {
        // Nothing left behind: the directories this restore created go too
        // (they are empty: the partial tree lived in the temporary directory).
        for d in &created {
            let _ = fs::remove_dir(d);
        }
    }
    let summary = result?;
    if !global.quiet {
        eprintln!("ebak: restored {summary} into {}", dir.display());
    }
    Ok(())
}

/// Restores into a temporary directory inside `dir`, then renames each
/// top-level entry into place once everything verified.
fn restore_into(
    args: &RestoreArgs,
    dir: &Path,
    read: HeaderRead<Box<dyn Read + Send>>,
    unlocked: &Unlocked,
    global: Global,
) -> Result<String, CliError> {
    let temp = tempfile::Builder::new()
        .prefix(".ebak-restore-")
        .tempdir_in(dir)
        .map_err(|e| CliError::io(dir, "cannot create a directory in", &e))?;
    let staging = temp.path().join("new");
    fs::create_dir(&staging).map_err(|e| CliError::io(&staging, "cannot create", &e))?;
    let dirs = std::sync::Mutex::new(Vec::new());
    let force = args.force;
    let check_top = |name: &std::ffi::OsStr| {
        let target = dir.join(name);
        if !force && fs::symlink_metadata(&target).is_ok() {
            return Err(CliError::usage(format!("{} already exists; use --force to replace it", target.display())));
        }
        Ok(())
    };
    let consume: Consumer<'_> = Box::new(|mut reader| {
        let werr = |e: io::Error| CliError::damaged(format!("the content inside the backup is malformed: {e}"));
        let (content, _) = archive::read_content_header(&mut reader).map_err(werr)?;
        let content = match content {
            Some(c @ Content { kind: Kind::Tar, .. }) => c,
            Some(_) => {
                drain(reader)?;
                return Err(CliError::usage(
                    "this backup holds a single stream, not files: restore it with -o FILE (or -o -)",
                ));
            }
            None => {
                drain(reader)?;
                return Err(CliError::damaged(
                    "this backup was not made by the ebak tool (its payload has no ebak content header); use --raw -o FILE",
                ));
            }
        };
        let mut decoded = archive::decoder(&mut reader, content.compression).map_err(werr)?;
        let extracted = archive::extract(&mut decoded, &staging, &check_top)?;
        drain(&mut decoded)?;
        drop(decoded);
        drain(reader)?;
        if let Ok(mut d) = dirs.lock() {
            *d = extracted.dirs;
        }
        Ok(format!("{} entries", extracted.entries))
    });
    // On any error, `temp` is dropped and removes the partial tree.
    let summary = pipe_plaintext(&args.file, read, unlocked, &args.context, global, consume)?;
    let dirs = dirs.into_inner().unwrap_or_default();
    if let Err(e) = put_in_place(dir, &staging, temp.path(), &dirs, force) {
        // Directory permissions may have been applied: make the partial
        // tree removable before `temp` removes it.
        make_writable(temp.path());
        return Err(e);
    }
    make_writable(temp.path());
    temp.close().map_err(|e| CliError::io(dir, "restored, but cannot remove the temporary directory in", &e))?;
    Ok(summary)
}

/// After everything verified: directory times and permissions, then each
/// top-level entry renamed from `staging` into `dir` (replacing, with
/// `force`, what was there: it is moved into `temp` and removed with it).
fn put_in_place(
    dir: &Path,
    staging: &Path,
    temp: &Path,
    dirs: &[archive::DirMetadata],
    force: bool,
) -> Result<(), CliError> {
    archive::apply_dir_metadata(staging, dirs)?;
    let replaced = temp.join("replaced");
    let entries: Vec<_> = fs::read_dir(staging)
        .map_err(|e| CliError::io(staging, "cannot list", &e))?
        .collect::<Result<_, _>>()
        .map_err(|e| CliError::io(staging, "cannot list", &e))?;
    for entry in entries {
        let target = dir.join(entry.file_name());
        if fs::symlink_metadata(&target).is_ok() {
            if !force {
                return Err(CliError::usage(format!("{} already exists; use --force to replace it", target.display())));
            }
            fs::create_dir_all(&replaced).map_err(|e| CliError::io(&replaced, "cannot create", &e))?;
            fs::rename(&target, replaced.join(entry.file_name()))
                .map_err(|e| CliError::io(&target, "cannot move aside", &e))?;
        }
        fs::rename(entry.path(), &target).map_err(|e| CliError::io(&target, "cannot rename into place", &e))?;
    }
    Ok(())
}

/// Makes every directory under `root` writable by its owner, so a tree with
/// read-only directories can be removed.
fn make_writable(root: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(m) = fs::symlink_metadata(root)
            && m.is_dir()
        {
            let mode = m.permissions().mode() | 0o700;
            let _ = fs::set_permissions(root, fs::Permissions::from_mode(mode));
            if let Ok(entries) = fs::read_dir(root) {
                for e in entries.flatten() {
                    make_writable(&e.path());
                }
            }
        }
    }
}

/// `ebak verify`.
#[derive(Debug)]
pub struct VerifyArgs {
    /// The backup, or `-`.
    pub file: PathBuf,
    /// Secret sources.
    pub sources: Sources,
    /// The application context.
    pub context: String,
}

/// `ebak verify`: authenticates everything and decodes the content, writes
/// nothing.
pub fn verify(args: &VerifyArgs, global: Global) -> Result<(), CliError> {
    let (read, unlocked) = open_input(&args.file, &args.sources)?;
    let consume: Consumer<'_> = Box::new(|mut reader| {
        let werr = |e: io::Error| CliError::damaged(format!("the content inside the backup is malformed: {e}"));
        let (content, head) = archive::read_content_header(&mut reader).map_err(werr)?;
        let Some(content) = content else {
            let rest = io::copy(&mut reader, &mut io::sink()).map_err(werr)?;
            let n = rest.saturating_add(u64::try_from(head.len()).unwrap_or(0));
            return Ok(format!("{n} bytes of payload (not made by the ebak tool: not decoded)"));
        };
        let mut decoded = archive::decoder(&mut reader, content.compression).map_err(werr)?;
        let what = match content.kind {
            Kind::Tar => {
                let entries = archive::walk(&mut decoded)?;
                drain(&mut decoded)?;
                format!("a tar archive of {entries} entries")
            }
            Kind::Stream => {
                let n = io::copy(&mut decoded, &mut io::sink()).map_err(werr)?;
                format!("a stream of {n} bytes")
            }
        };
        drop(decoded);
        drain(reader)?;
        let compressed = if content.compression == Compression::Zstd { ", zstd-compressed" } else { "" };
        Ok(format!("{what}{compressed}"))
    });
    let summary = pipe_plaintext(&args.file, read, &unlocked, &args.context, global, consume)?;
    if !global.quiet {
        println!("{}: OK: every chunk authenticated; it holds {summary}", args.file.display());
    }
    Ok(())
}

/// `ebak inspect`.
pub fn inspect(file: &Path, json: bool) -> Result<(), CliError> {
    let input: Box<dyn Read + Send> = if is_stdio(file) {
        Box::new(io::stdin())
    } else {
        Box::new(fs::File::open(file).map_err(|e| CliError::io(file, "cannot open", &e))?)
    };
    // A WhatsApp crypt15 file is described by the whatsapp module.
    let Some(input) = crate::whatsapp::inspect_if_crypt15(file, input, json)? else { return Ok(()) };
    let mut read = container::read_header(file, input)?;
    let payload_len =
        io::copy(&mut read.payload, &mut io::sink()).map_err(|e| CliError::io(file, "cannot read", &e))?;
    let layout = chunk::layout(payload_len).ok();
    let header = &read.header;
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
            "headerLength": read.header_len, "slots": slots,
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
        read.header_len,
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

/// Copies the payload of `read` after `header`'s bytes into a new file
/// beside `file`, and renames it over `file`.
fn rewrite_with_header(file: &Path, new_header: &Header, payload: &mut impl Read) -> Result<(), CliError> {
    let mut target = Target::create(file, true)?;
    {
        let mut out = target.writer();
        out.write_all(&new_header.to_bytes()).map_err(|e| CliError::io(file, "cannot write", &e))?;
        io::copy(payload, &mut out).map_err(|e| CliError::io(file, "cannot copy the payload of", &e))?;
        out.flush().map_err(|e| CliError::io(file, "cannot write", &e))?;
    }
    target.commit()
}

/// What `passwd` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswdAction {
    /// Replace a password (the one that opened the file, or `--slot`).
    Change,
    /// Add a password.
    Add,
    /// Remove a password.
    Remove,
}

/// `ebak passwd`.
#[derive(Debug)]
pub struct PasswdArgs {
    /// The backup file.
    pub file: PathBuf,
    /// What to do.
    pub action: PasswdAction,
    /// Which slot.
    pub slot: Option<usize>,
    /// Current secret sources.
    pub sources: Sources,
    /// `--new-password-file`.
    pub new_password_file: Option<PathBuf>,
}

fn password_slots(header: &Header) -> Vec<usize> {
    header.slots().iter().enumerate().filter(|(_, s)| matches!(s, Slot::Password(_))).map(|(i, _)| i).collect()
}

/// `ebak passwd`: a new header, the same payload bytes.
pub fn passwd(args: &PasswdArgs, global: Global) -> Result<(), CliError> {
    if is_stdio(&args.file) {
        return Err(CliError::usage("passwd rewrites a file in place; it cannot work on standard input"));
    }
    let input = fs::File::open(&args.file).map_err(|e| CliError::io(&args.file, "cannot open", &e))?;
    let mut read = container::read_header(&args.file, input)?;
    let secret = args.sources.unlock()?;
    let by_key = matches!(secret, Unlock::Key(_));
    let unlocked = container::unlock(&args.file, &read.header, &secret, read.header_len)?;
    let slots = password_slots(unlocked.header());
    let chosen = match args.slot {
        Some(i) if slots.contains(&i) => Some(i),
        Some(i) => return Err(CliError::usage(format!("slot {i} is not a password slot (see `ebak inspect`)"))),
        None => unlocked.opened_slot(),
    };
    let bad = |e: file::SealError| CliError::usage(format!("cannot write the new header: {e}"));
    let (new_header, what) = match args.action {
        PasswdAction::Add => {
            let p = secrets::new_password(args.new_password_file.as_deref())?;
            (unlocked.adding(password_slot(unlocked.backup_key(), &p)?).map_err(bad)?, "added a password")
        }
        PasswdAction::Change => {
            let index = match (chosen, slots.as_slice()) {
                (Some(i), _) => Some(i),
                (None, []) => None,
                (None, [only]) => Some(*only),
                (None, _) => {
                    return Err(CliError::usage(
                        "this file has several passwords: say which with --slot N (see `ebak inspect`)",
                    ));
                }
            };
            let p = secrets::new_password(args.new_password_file.as_deref())?;
            let slot = password_slot(unlocked.backup_key(), &p)?;
            match index {
                Some(i) => (unlocked.replacing(i, slot).map_err(bad)?, "changed the password"),
                None => (unlocked.adding(slot).map_err(bad)?, "added a password (the file had none)"),
            }
        }
        PasswdAction::Remove => {
            let index = chosen.or(if slots.len() == 1 { slots.first().copied() } else { None }).ok_or_else(|| {
                CliError::usage("say which password to remove: open with it, or give --slot N (see `ebak inspect`)")
            })?;
            if slots.len() == 1 && !by_key {
                return Err(CliError::usage(
                    "this is the only password: without it only the 64-digit key opens the file. Prove you have the key (open with --key) to remove it",
                ));
            }
            (unlocked.removing(index).map_err(bad)?, "removed the password")
        }
    };
    rewrite_with_header(&args.file, &new_header, &mut read.payload)?;
    if !global.quiet {
        eprintln!("ebak: {what} of {}; the payload is unchanged", args.file.display());
    }
    Ok(())
}

/// `ebak rotate`.
#[derive(Debug)]
pub struct RotateArgs {
    /// The backup file.
    pub file: PathBuf,
    /// Current secret sources.
    pub sources: Sources,
    /// `--new-password-file`.
    pub new_password_file: Option<PathBuf>,
    /// `--no-password`: the new file has no password slot.
    pub no_password: bool,
    /// `--new-key`: show the new key.
    pub new_key: bool,
    /// The application context.
    pub context: String,
}

/// `ebak rotate`: a new backup key and a re-encrypted payload.
pub fn rotate(args: &RotateArgs, global: Global) -> Result<(), CliError> {
    if is_stdio(&args.file) {
        return Err(CliError::usage("rotate rewrites a file in place; it cannot work on standard input"));
    }
    if args.no_password && !args.new_key {
        return Err(CliError::usage(
            "with --no-password, --new-key is needed: otherwise nothing would open the new file",
        ));
    }
    let (read, unlocked) = open_input(&args.file, &args.sources)?;
    let dropped = unlocked.header().slots().iter().filter(|s| !matches!(s, Slot::Password(_))).count();
    let new_password =
        if args.no_password { None } else { Some(secrets::new_password(args.new_password_file.as_deref())?) };
    let key = new_key()?;
    let mut slots = Vec::new();
    if let Some(p) = &new_password {
        slots.push(Slot::Password(password_slot(&key, p)?));
    }
    let header = file::new_header(&key, slots).map_err(|e| CliError::usage(format!("cannot make the header: {e}")))?;
    let mut target = Target::create(&args.file, true)?;
    {
        let mut out = target.writer();
        out.write_all(&header.to_bytes()).map_err(|e| CliError::io_plain("cannot write", &e))?;
        let bar = Progress::new(plaintext_len(&args.file, read.header_len), global.quiet, "rotate");
        let progress = |n: u64| bar.set(n);
        let options = ebak_stream::Options { threads: global.threads, progress: Some(&progress) };
        let quiet = ebak_stream::Options { threads: global.threads, progress: None };
        let (reader, writer) = io::pipe().map_err(|e| CliError::io_plain("cannot make a pipe", &e))?;
        let header_len = read.header_len;
        let (opened, sealed) = std::thread::scope(|s| {
            let opener = s.spawn(|| {
                container::open_payload(
                    &args.file,
                    &unlocked,
                    args.context.as_bytes(),
                    read.payload,
                    writer,
                    header_len,
                    &options,
                )
            });
            let sealed = container::seal_payload(&key, args.context.as_bytes(), reader, &mut out, &quiet);
            (opener.join(), sealed)
        });
        bar.finish();
        match opened {
            Ok(r) => r?,
            Err(_) => return Err(CliError::io_plain("rotate failed", &io::Error::other("worker thread panicked"))),
        };
        sealed?;
        out.flush().map_err(|e| CliError::io_plain("cannot write", &e))?;
    }
    target.commit()?;
    if args.new_key {
        println!("{}", recovery_key::format(&key).as_str());
        eprintln!("{KEY_WARNING}");
    }
    if !global.quiet {
        eprintln!(
            "ebak: {} now has a new backup key; old copies still open with the old secrets: delete them",
            args.file.display()
        );
        if dropped > 0 {
            eprintln!("ebak: dropped {dropped} slot(s) of other types (they wrapped the old key)");
        }
    }
    Ok(())
}
