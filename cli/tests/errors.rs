//! Every error path of the `ebak` binary, as a table: the command, the
//! exit code `cli/README.md` documents, a fragment of the one line it must
//! print, and, for every case, that
//!
//! - standard error is exactly one line, `ebak: ...`, with no panic and no
//!   Rust debug dump (clap's own usage errors excepted: several lines);
//! - standard output is empty;
//! - no secret given to the command (passwords, keys in any spelling)
//!   appears in anything it printed;
//! - nothing is left behind: the scratch directory the case may write into
//!   is still empty, and every fixture file (including the backup that
//!   `passwd` or `rotate` failed to rewrite) is byte for byte as before.
//!
//! Cases marked `limited` run with a file-size limit (`ulimit -f`), so
//! writes fail with "File too large" part-way: the I/O error in the middle
//! of a backup, a restore or a rewrite. SIGXFSZ keeps its default action
//! (it kills the process) in the child: ebak itself must catch it and
//! handle EFBIG (issue 15), not rely on its parent having ignored it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code: a failed expectation is a test failure"
)]

mod common;

use common::*;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

const WRONG_PW: &str = "not the password 9f3a";
const NEW_PW: &str = "brand new secret 77";

/// A key with no repeated groups, so a leak of any part is recognisable.
fn key_bytes(seed: u8) -> [u8; 32] {
    core::array::from_fn(|i| (i as u8).wrapping_mul(37).wrapping_add(seed))
}

fn key_of(seed: u8) -> String {
    ebak_core::recovery_key::format(&ebak_core::BackupKey::from_bytes(key_bytes(seed))).to_string()
}

/// Where a case's environment variable comes from.
#[derive(Clone, Copy, Debug)]
enum Val {
    Pw,
    WrongPw,
    NewPw,
    Key,
    OtherKey,
    Text(&'static str),
}

struct Case {
    name: &'static str,
    code: i32,
    message: &'static str,
    /// Words of the command line after `ebak --quiet`; `{fx}` is the
    /// fixture directory, `{work}` the empty scratch directory.
    args: &'static str,
    env: &'static [(&'static str, Val)],
    limited: bool,
    clap: bool,
}

const fn case(
    name: &'static str,
    code: i32,
    message: &'static str,
    args: &'static str,
    env: &'static [(&'static str, Val)],
) -> Case {
    Case { name, code, message, args, env, limited: false, clap: false }
}

const fn limited(c: Case) -> Case {
    Case { limited: true, ..c }
}

const fn clap(c: Case) -> Case {
    Case { clap: true, ..c }
}

const K: &[(&str, Val)] = &[("EBAK_KEY", Val::Key)];
const OTHER: &[(&str, Val)] = &[("EBAK_KEY", Val::OtherKey)];
const P: &[(&str, Val)] = &[("EBAK_PASSWORD", Val::Pw)];
const NONE: &[(&str, Val)] = &[];

/// The cases that run no Argon2 (fast).
const FAST: &[Case] = &[
    // 2: usage, refusals, malformed key text, no secret.
    clap(case("unknown command", 2, "unrecognized subcommand", "frobnicate", K)),
    clap(case("backup without -o", 2, "--output <FILE>", "backup {fx}/tree", K)),
    // A backup never logs into a vault: the flag belongs to the commands
    // that open one.
    clap(case(
        "backup --spend-last-guess",
        2,
        "unexpected argument '--spend-last-guess'",
        "backup {fx}/tree -o {work}/b.ebak --spend-last-guess",
        K,
    )),
    case("backup with no secret", 2, "nothing would open this backup", "backup {fx}/tree -o {work}/b.ebak", NONE),
    case(
        "backup over a file",
        2,
        "existing.out already exists; use --force",
        "backup {fx}/tree -o {fx}/existing.out",
        K,
    ),
    case("backup onto a directory", 2, "adir is a directory", "backup {fx}/tree -o {fx}/adir --force", K),
    case("backup - and a path", 2, "must be the only thing backed up", "backup - {fx}/tree -o {work}/b.ebak", K),
    case("backup two paths, one name", 2, "would both be stored as tree", "backup {fx}/tree {fx}/tree -o {work}/b", K),
    case(
        "--new-key with a key",
        2,
        "cannot be combined",
        "backup {fx}/tree -o {work}/b --new-key --key-file {fx}/key.txt",
        NONE,
    ),
    case(
        "bad character in the key",
        2,
        "invalid character 'X' at position 19",
        "backup {fx}/tree -o {work}/b",
        &[("EBAK_KEY", Val::Text("0123-4567-89ab-cdeX"))],
    ),
    case("key too short", 2, "too short by 60 digits", "verify {fx}/key.ebak", &[("EBAK_KEY", Val::Text("0123"))]),
    case("key file malformed", 2, "key file", "verify {fx}/key.ebak --key-file {fx}/bad-key.txt", NONE),
    case(
        "empty password",
        2,
        "the password is empty",
        "backup {fx}/tree -o {work}/b",
        &[("EBAK_PASSWORD", Val::Text(""))],
    ),
    case(
        "password file not UTF-8",
        2,
        "is not valid UTF-8",
        "verify {fx}/key.ebak --password-file {fx}/binary-pw",
        NONE,
    ),
    case(
        "context too long",
        2,
        "--context: application context longer than 1024 bytes",
        "backup {fx}/tree -o {work}/b --context {ctx1025}",
        K,
    ),
    case("restore: where to", 2, "give -C DIR", "restore {fx}/key.ebak", K),
    case("restore: -C and -o", 2, "not both", "restore {fx}/key.ebak -C {work}/d -o {work}/f", K),
    case("restore: --raw with -C", 2, "--raw writes one stream", "restore {fx}/key.ebak --raw -C {work}/d", K),
    case("restore -C onto a file", 2, "exists and is not a directory", "restore {fx}/key.ebak -C {fx}/existing.out", K),
    case("restore over an entry", 2, "tree already exists; use --force", "restore {fx}/key.ebak -C {fx}/full", K),
    case(
        "restore -o over a file",
        2,
        "existing.out already exists; use --force",
        "restore {fx}/key.ebak -o {fx}/existing.out",
        K,
    ),
    case("restore -o onto a directory", 2, "adir is a directory", "restore {fx}/key.ebak -o {fx}/adir", K),
    case("stream backup into -C", 2, "single stream", "restore {fx}/stream.ebak -C {work}/d", K),
    case("no secret to open", 2, "no password or key: set EBAK_PASSWORD or EBAK_KEY", "verify {fx}/key.ebak", NONE),
    case("--key without a terminal", 2, "--key needs a terminal", "verify {fx}/key.ebak --key", NONE),
    case(
        "--password without a terminal",
        2,
        "no terminal to prompt for a password on",
        "verify {fx}/key.ebak --password",
        NONE,
    ),
    case("passwd on stdin", 2, "cannot work on standard input", "passwd -", K),
    case("rotate on stdin", 2, "cannot work on standard input", "rotate -", K),
    case("passwd: no such slot", 2, "slot 5 is not a password slot", "passwd {fx}/pw.ebak --slot 5", K),
    case("passwd: no new password", 2, "set EBAK_NEW_PASSWORD or use --new-password-file", "passwd {fx}/pw.ebak", K),
    case(
        "passwd: empty new password",
        2,
        "the new password is empty",
        "passwd {fx}/pw.ebak --new-password-file {fx}/empty-pw",
        K,
    ),
    case("rotate --no-password alone", 2, "--new-key is needed", "rotate {fx}/key.ebak --no-password", K),
    // 3: wrong secret.
    case("wrong key, verify", 3, "wrong password or key", "verify {fx}/key.ebak", OTHER),
    case("wrong key, restore -C", 3, "wrong password or key", "restore {fx}/key.ebak -C {work}/a/b/c", OTHER),
    case("wrong key, restore -o", 3, "wrong password or key", "restore {fx}/key.ebak -o {work}/out", OTHER),
    case(
        "password, file has none",
        3,
        "this backup has no password: open it with its 64-digit key",
        "verify {fx}/key.ebak",
        P,
    ),
    case("wrong key, rotate", 3, "wrong password or key", "rotate {fx}/key.ebak --no-password --new-key", OTHER),
    case("wrong key, passwd", 3, "wrong password or key", "passwd {fx}/pw.ebak --remove", OTHER),
    case("key, header tampered", 3, "wrong password or key", "verify {fx}/mac.ebak", K),
    // 4: damaged, tampered with, truncated, not ebak, hostile.
    case(
        "flipped bit",
        4,
        "file is damaged or was tampered with at byte 32899 (chunk 2)",
        "restore {fx}/flip.ebak -C {work}/a/b/c",
        K,
    ),
    case("flipped bit, -o", 4, "tampered with at byte 32899", "restore {fx}/flip.ebak -o {work}/out", K),
    case("flipped bit, rotate", 4, "tampered with at byte 32899", "rotate {fx}/flip.ebak --no-password --new-key", K),
    case("truncated", 4, "truncated: the final chunk is missing", "restore {fx}/trunc.ebak -C {work}/out", K),
    case(
        "appended chunk",
        4,
        "file is damaged or was tampered with at byte",
        "restore {fx}/append.ebak -C {work}/out",
        K,
    ),
    case("bad magic", 4, "not an ebak backup", "verify {fx}/magic.ebak", K),
    case("not ebak at all", 4, "not an ebak backup", "inspect {fx}/junk.txt", NONE),
    case("bad magic, passwd", 4, "not an ebak backup", "passwd {fx}/magic.ebak --remove", K),
    case("newer version", 4, "made by a newer ebak (format version 2", "verify {fx}/version.ebak", K),
    case("header cut short", 4, "truncated: the header is incomplete", "inspect {fx}/short-header.ebak", NONE),
    case("payload missing", 4, "truncated: the payload is missing", "verify {fx}/no-payload.ebak", K),
    case("commitment changed", 4, "does not belong to this key and context", "verify {fx}/commitment.ebak", K),
    case("wrong context", 4, "wrong --context", "verify {fx}/context.ebak", K),
    case(
        "Argon2 over the ceiling",
        4,
        "refusing to derive the key: Argon2 memory 4294967295 KiB",
        "verify {fx}/kdf.ebak",
        P,
    ),
    case("raw payload, no --raw", 4, "not made by the ebak tool", "restore {fx}/raw.ebak -o {work}/out", K),
    case(
        "hostile entry late",
        4,
        "refusing to restore: entry a/../../evil.txt",
        "restore {fx}/late.ebak -C {work}/out",
        K,
    ),
    case("hostile entry late, into a full dir", 4, "refusing to restore", "restore {fx}/late.ebak -C {fx}/keep", K),
    // A verify refuses what any restore would (content spec 7.7; `ls`
    // too, after listing the entries before); writing through a symlink
    // needs the file system: a restore finds it.
    case(
        "hostile entry late, verify",
        4,
        "a restore would refuse it: entry a/../../evil.txt is absolute or leaves the target with ..",
        "verify {fx}/late.ebak",
        K,
    ),
    case(
        "write through a symlink",
        4,
        "refusing to restore: entry up/x would be written through a symlink",
        "restore {fx}/symlink.ebak -C {work}/out",
        K,
    ),
    case(
        "bad exclude pattern",
        2,
        "--exclude: exclude pattern \"[z-a]\": a range in [...] runs backwards",
        "backup {fx}/tree -o {work}/b --exclude [z-a]",
        K,
    ),
    case(
        "restore --force: a directory where a file goes",
        2,
        "dirblock/tree/data.bin is a directory, and the backup holds a file there",
        "restore {fx}/key.ebak -C {fx}/dirblock --force",
        K,
    ),
    case("ls with the wrong key", 3, "wrong password or key", "ls {fx}/key.ebak", OTHER),
    case("restore a path not in it", 2, "nope is not in the backup", "restore {fx}/key.ebak nope -C {work}/out", K),
    case("restore PATH with -o", 2, "use it with -C DIR", "restore {fx}/key.ebak tree -o {work}/out", K),
    case("ls a stream backup", 2, "single stream", "ls {fx}/stream.ebak", K),
    // 5: I/O.
    case("backup a missing path", 5, "cannot back up", "backup {fx}/missing -o {work}/b", K),
    case("backup into a missing dir", 5, "cannot create a file in", "backup {fx}/tree -o {work}/no/such/b.ebak", K),
    case("restore a missing file", 5, "cannot open", "restore {fx}/missing -C {work}/out", K),
    case("inspect a missing file", 5, "cannot open", "inspect {fx}/missing", NONE),
    case(
        "missing exclude file",
        5,
        "cannot read exclude file",
        "backup {fx}/tree -o {work}/b --exclude-file {fx}/missing",
        K,
    ),
    case("inspect a directory", 5, "cannot read", "inspect {fx}/adir", NONE),
    case(
        "missing password file",
        5,
        "cannot read password file",
        "verify {fx}/key.ebak --password-file {fx}/missing",
        NONE,
    ),
    limited(case(
        "disk full, backup",
        5,
        "cannot write the backup: File too large",
        "backup {fx}/tree -o {work}/b.ebak --no-compress",
        K,
    )),
    limited(case(
        "disk full, restore -C",
        5,
        "cannot restore tree/data.bin: File too large",
        "restore {fx}/key.ebak -C {work}/out",
        K,
    )),
    limited(case(
        "disk full, restore -C into a full dir",
        5,
        "File too large",
        "restore {fx}/key.ebak -C {fx}/keep",
        K,
    )),
    limited(case(
        "disk full, restore -o",
        5,
        "cannot write the restored data: File too large",
        "restore {fx}/key.ebak -o {work}/out",
        K,
    )),
    limited(case("disk full, passwd", 5, "File too large", "passwd {fx}/pw.ebak --remove", K)),
    limited(case(
        "disk full, rotate",
        5,
        "cannot write the backup: File too large",
        "rotate {fx}/key.ebak --no-password --new-key",
        K,
    )),
];

/// The cases that run Argon2 (about a second each).
const ARGON2: &[Case] = &[
    case(
        "wrong password, restore",
        3,
        "wrong password, or the key slot is damaged",
        "restore {fx}/pw.ebak -C {work}/out",
        &[("EBAK_PASSWORD", Val::WrongPw)],
    ),
    case(
        "wrong password, passwd",
        3,
        "wrong password, or the key slot is damaged",
        "passwd {fx}/pw.ebak",
        &[("EBAK_PASSWORD", Val::WrongPw), ("EBAK_NEW_PASSWORD", Val::NewPw)],
    ),
    case("password, header tampered", 4, "the header was tampered with", "verify {fx}/mac.ebak", P),
    case("passwd: removing the only password", 2, "this is the only password", "passwd {fx}/pw.ebak --remove", P),
    limited(case(
        "disk full, passwd with a new password",
        5,
        "File too large",
        "passwd {fx}/pw.ebak",
        &[("EBAK_KEY", Val::Key), ("EBAK_NEW_PASSWORD", Val::NewPw)],
    )),
];

struct Fixture {
    _root: tempfile::TempDir,
    fx: PathBuf,
    work: PathBuf,
    key: String,
    other_key: String,
}

fn run_setup(cmd: &mut assert_cmd::Command) {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "fixture: {}", String::from_utf8_lossy(&out.stderr));
}

fn patched(from: &Path, to: &Path, f: impl FnOnce(&mut Vec<u8>)) {
    let mut bytes = fs::read(from).unwrap();
    f(&mut bytes);
    fs::write(to, bytes).unwrap();
}

fn sealed_plaintext(path: &Path, key: [u8; 32], plaintext: &[u8]) {
    let key = ebak_core::BackupKey::from_bytes(key);
    let sealed = ebak_core::file::seal::<ebak_core::DefaultAead>(&key, vec![], b"", &[1; 24], plaintext).unwrap();
    fs::write(path, sealed).unwrap();
}

fn cli_tar(path: &Path, key: [u8; 32], build: impl FnOnce(&mut tar::Builder<Vec<u8>>)) {
    let mut builder = tar::Builder::new(Vec::new());
    build(&mut builder);
    let mut plaintext = b"ebakcli1\x01\x00".to_vec();
    plaintext.extend_from_slice(&builder.into_inner().unwrap());
    sealed_plaintext(path, key, &plaintext);
}

impl Fixture {
    fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        let fx = root.path().join("fx");
        let work = root.path().join("work");
        fs::create_dir(&fx).unwrap();
        let key = key_of(1);
        let other_key = key_of(2);
        make_tree(&fx);
        fs::write(fx.join("key.txt"), format!("{key}\n")).unwrap();
        let with = |vars: &[(&str, &str)]| {
            let mut c = ebak();
            for (k, v) in vars {
                c.env(k, v);
            }
            c
        };
        let k = [("EBAK_KEY", key.as_str())];
        // 43-byte header (no slot), uncompressed: chunk offsets are known.
        run_setup(with(&k).arg("backup").arg(fx.join("tree")).arg("-o").arg(fx.join("key.ebak")).arg("--no-compress"));
        // A password slot too: 178-byte header.
        run_setup(
            with(&[("EBAK_KEY", &key), ("EBAK_PASSWORD", PW)])
                .arg("backup")
                .arg(fx.join("tree"))
                .arg("-o")
                .arg(fx.join("pw.ebak"))
                .arg("--no-compress"),
        );
        run_setup(
            with(&k)
                .arg("backup")
                .arg(fx.join("tree"))
                .arg("-o")
                .arg(fx.join("context.ebak"))
                .args(["--context", "app"]),
        );
        run_setup(with(&k).args(["backup", "-", "-o"]).arg(fx.join("stream.ebak")).write_stdin("some data"));
        let key_ebak = fx.join("key.ebak");
        let chunk2 = 43 + 56 + 2 * 16_400;
        patched(&key_ebak, &fx.join("flip.ebak"), |b| b[chunk2 + 100] ^= 0x80);
        patched(&key_ebak, &fx.join("trunc.ebak"), |b| b.truncate(43 + 56 + 3 * 16_400));
        patched(&key_ebak, &fx.join("append.ebak"), |b| {
            let last = b[b.len() - 16_400..].to_vec();
            b.extend_from_slice(&last);
        });
        patched(&key_ebak, &fx.join("magic.ebak"), |b| b[3] = b'X');
        patched(&key_ebak, &fx.join("version.ebak"), |b| b[9] = 2);
        patched(&key_ebak, &fx.join("commitment.ebak"), |b| b[43 + 30] ^= 1);
        patched(&key_ebak, &fx.join("short-header.ebak"), |b| b.truncate(20));
        patched(&key_ebak, &fx.join("no-payload.ebak"), |b| b.truncate(43));
        let pw_ebak = fx.join("pw.ebak");
        patched(&pw_ebak, &fx.join("mac.ebak"), |b| b[177] ^= 1);
        // spec 4.3: the slot's Argon2 memory, at offset 16 of its body.
        patched(&pw_ebak, &fx.join("kdf.ebak"), |b| b[30..34].copy_from_slice(&[0xff; 4]));
        sealed_plaintext(&fx.join("raw.ebak"), key_bytes(1), b"another application's bytes");
        cli_tar(&fx.join("late.ebak"), key_bytes(1), |b| {
            // Several chunks of honest data are extracted before the
            // hostile entry comes.
            raw_entry(b, b"a/big.bin", tar::EntryType::Regular, None, &pattern(200_000, 3));
            raw_entry(b, b"a/../../evil.txt", tar::EntryType::Regular, None, b"x");
        });
        cli_tar(&fx.join("symlink.ebak"), key_bytes(1), |b| {
            raw_entry(b, b"up", tar::EntryType::Symlink, Some(b"../.."), b"");
            raw_entry(b, b"up/x", tar::EntryType::Regular, None, b"x");
        });
        fs::write(fx.join("junk.txt"), "just some text\n").unwrap();
        fs::write(fx.join("binary-pw"), [0xff, 0xfe, 0x0a]).unwrap();
        fs::write(fx.join("empty-pw"), "\n").unwrap();
        fs::write(fx.join("bad-key.txt"), "1234\n").unwrap();
        fs::write(fx.join("existing.out"), "keep me").unwrap();
        fs::create_dir(fx.join("adir")).unwrap();
        fs::create_dir_all(fx.join("full/tree")).unwrap();
        fs::create_dir_all(fx.join("dirblock/tree/data.bin")).unwrap();
        fs::create_dir(fx.join("keep")).unwrap();
        fs::write(fx.join("keep/mine.txt"), "mine").unwrap();
        Self { _root: root, fx, work, key, other_key }
    }

    fn value(&self, v: Val) -> String {
        match v {
            Val::Pw => PW.to_owned(),
            Val::WrongPw => WRONG_PW.to_owned(),
            Val::NewPw => NEW_PW.to_owned(),
            Val::Key => self.key.clone(),
            Val::OtherKey => self.other_key.clone(),
            Val::Text(t) => t.to_owned(),
        }
    }

    /// Every spelling of every secret the cases use.
    fn secrets(&self) -> Vec<String> {
        let mut out = vec![PW.to_owned(), WRONG_PW.to_owned(), NEW_PW.to_owned()];
        for k in [&self.key, &self.other_key] {
            let bare = k.replace('-', "");
            out.extend([k.clone(), k.to_uppercase(), bare.clone(), bare.to_uppercase(), k[..14].to_owned()]);
        }
        out
    }
}

/// Names, types, modes and content hashes of everything under `root`.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for e in fs::read_dir(&dir).unwrap() {
            let path = e.unwrap().path();
            let meta = fs::symlink_metadata(&path).unwrap();
            #[cfg(unix)]
            let mode = std::os::unix::fs::PermissionsExt::mode(&meta.permissions());
            #[cfg(not(unix))]
            let mode = 0;
            let what = if meta.file_type().is_symlink() {
                format!("link {:?}", fs::read_link(&path).unwrap())
            } else if meta.is_dir() {
                pending.push(path.clone());
                format!("dir {mode:o}")
            } else {
                format!("file {mode:o} {:?}", Sha256::digest(fs::read(&path).unwrap()).as_slice())
            };
            out.insert(path.strip_prefix(root).unwrap().to_path_buf(), what);
        }
    }
    out
}

fn run_table(cases: &[Case]) {
    let f = Fixture::new();
    let before = snapshot(&f.fx);
    let secrets = f.secrets();
    let bin = assert_cmd::cargo::cargo_bin("ebak");
    let mut failures = Vec::new();
    for c in cases {
        if f.work.exists() {
            fs::remove_dir_all(&f.work).unwrap();
        }
        fs::create_dir(&f.work).unwrap();
        let args: Vec<String> = c
            .args
            .split(' ')
            .map(|w| {
                w.replace("{fx}", f.fx.to_str().unwrap())
                    .replace("{work}", f.work.to_str().unwrap())
                    .replace("{ctx1025}", &"x".repeat(1025))
            })
            .collect();
        let mut cmd = if c.limited {
            // 64 blocks (32 or 64 KiB, as the shell counts): far less than
            // the 300 kB file in the tree.
            let mut sh = std::process::Command::new("sh");
            sh.args(["-c", "ulimit -f 64; exec \"$0\" \"$@\""]).arg(&bin);
            sh
        } else {
            std::process::Command::new(&bin)
        };
        cmd.arg("--quiet").args(&args).stdin(std::process::Stdio::null());
        for var in ["EBAK_PASSWORD", "EBAK_KEY", "EBAK_NEW_PASSWORD"] {
            cmd.env_remove(var);
        }
        for (k, v) in c.env {
            cmd.env(k, f.value(*v));
        }
        let out = cmd.output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let mut problems = Vec::new();
        if out.status.code() != Some(c.code) {
            problems.push(format!("exit code {:?}, expected {}", out.status.code(), c.code));
        }
        if !stderr.contains(c.message) {
            problems.push(format!("message lacks {:?}", c.message));
        }
        let one_line = stderr.starts_with("ebak: ") && stderr.ends_with('\n') && stderr.lines().count() == 1;
        if !c.clap && !one_line {
            problems.push("not exactly one line 'ebak: ...'".to_owned());
        }
        for dump in ["panicked", "RUST_BACKTRACE", "Os {", "Error {", "Custom {", "kind:"] {
            if stderr.contains(dump) {
                problems.push(format!("debug output ({dump:?})"));
            }
        }
        if !stdout.is_empty() {
            problems.push(format!("standard output not empty: {stdout:?}"));
        }
        for s in &secrets {
            if stdout.contains(s.as_str()) || stderr.contains(s.as_str()) {
                problems.push(format!("printed a secret ({s:?})"));
            }
        }
        let left: Vec<_> = fs::read_dir(&f.work).unwrap().map(|e| e.unwrap().file_name()).collect();
        if !left.is_empty() {
            problems.push(format!("left behind in the scratch directory: {left:?}"));
        }
        let now = snapshot(&f.fx);
        if now != before {
            let changed: Vec<_> = before
                .iter()
                .filter(|(k, v)| now.get(*k) != Some(v))
                .map(|(k, _)| k.clone())
                .chain(now.keys().filter(|k| !before.contains_key(*k)).cloned())
                .collect();
            problems.push(format!("fixture changed: {changed:?}"));
        }
        if !problems.is_empty() {
            failures.push(format!("{}: {}\n    stderr: {stderr:?}", c.name, problems.join("; ")));
        }
        println!("ok: {} (exit {}): {}", c.name, c.code, stderr.lines().next().unwrap_or(""));
    }
    assert!(failures.is_empty(), "{} of {} error cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

#[test]
fn error_paths_without_argon2() {
    run_table(FAST);
}

#[test]
fn error_paths_that_run_argon2() {
    run_table(ARGON2);
}
