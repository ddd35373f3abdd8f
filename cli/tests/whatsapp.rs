//! `ebak import-whatsapp` and `ebak inspect` on crypt15 files made by the
//! test encoder (crypt15/tests/common/encoder.rs, written from the public
//! facts): every variant, every key source, every failure with its exit
//! code, and nothing left behind on any failure.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code: a failed expectation is a test failure"
)]

#[path = "../../crypt15/tests/common/encoder.rs"]
#[allow(dead_code, reason = "the crypt15 tests use the rest")]
mod encoder;

use assert_cmd::Command;
use encoder::Fixture;
use predicates::prelude::*;
use std::fs;
use std::path::{Path, PathBuf};

const ROOT: [u8; 32] = [
    0x5e, 0x11, 0x8a, 0x03, 0xf2, 0x9c, 0x47, 0xd0, 0x21, 0x6b, 0xe4, 0x38, 0x90, 0x0f, 0x7a, 0xc5, 0x13, 0x52, 0xbe,
    0x6d, 0xa8, 0x04, 0xf9, 0x37, 0xcc, 0x81, 0x2e, 0x65, 0xd3, 0x1a, 0x97, 0x40,
];

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The key as WhatsApp shows it: 16 groups of 4, here with spaces.
fn grouped_key() -> String {
    let h = hex(&ROOT).to_uppercase();
    (0..16).map(|i| &h[i * 4..i * 4 + 4]).collect::<Vec<_>>().join(" ")
}

fn ebak() -> Command {
    let mut c = Command::cargo_bin("ebak").unwrap();
    for var in ["EBAK_PASSWORD", "EBAK_KEY", "EBAK_NEW_PASSWORD", "EBAK_WA_KEY"] {
        c.env_remove(var);
    }
    c
}

/// Everything in `dir` except the given names: the leftovers.
fn others(dir: &Path, expected: &[&str]) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !expected.contains(&n.as_str()))
        .collect()
}

struct Case {
    dir: tempfile::TempDir,
    db: Vec<u8>,
}

impl Case {
    fn new() -> Self {
        Self { dir: tempfile::tempdir().unwrap(), db: encoder::sqlite_like(300_000, 42) }
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path(name);
        fs::write(&p, bytes).unwrap();
        p
    }
    fn msgstore(&self) -> Vec<u8> {
        encoder::encrypt(&ROOT, &Fixture::msgstore(), &encoder::zlib(&self.db))
    }
    /// Runs import with `--key` to `out.db` and checks the failure leaves
    /// nothing behind.
    fn refused(&self, file: &[u8], code: i32, message: &str) {
        let input = self.write("in.crypt15", file);
        ebak()
            .args(["import-whatsapp", "--key", &hex(&ROOT), "-o"])
            .arg(self.path("out.db"))
            .arg(&input)
            .assert()
            .code(code)
            .stderr(predicate::str::contains(message));
        assert_eq!(others(self.dir.path(), &["in.crypt15"]), Vec::<String>::new(), "left behind");
    }
}

#[test]
fn msgstore_decrypts_byte_identically_with_every_key_source() {
    let c = Case::new();
    let input = c.write("msgstore.db.crypt15", &c.msgstore());
    let out = c.path("msgstore.db");
    ebak()
        .args(["import-whatsapp", "--key", &grouped_key(), "-o"])
        .arg(&out)
        .arg(&input)
        .assert()
        .success()
        .stderr(predicate::str::contains("GCM tag and MD5 verified").and(predicate::str::contains("300000 bytes")));
    assert_eq!(fs::read(&out).unwrap(), c.db);

    // The key file, the key as text in a file, the variable.
    let key_file = c.write("encrypted_backup.key", &encoder::key_file(&ROOT));
    let text_file = c.write("key.txt", format!("{}\n", hex(&ROOT)).as_bytes());
    for (i, (flag, value, env)) in [
        (Some("--key-file"), Some(key_file.clone()), None),
        (Some("--key-file"), Some(text_file.clone()), None),
        (None, None, Some(grouped_key().replace(' ', "-"))),
    ]
    .into_iter()
    .enumerate()
    {
        let out = c.path(&format!("out{i}.db"));
        let mut cmd = ebak();
        cmd.arg("import-whatsapp").arg(&input).arg("-o").arg(&out).arg("--quiet");
        if let (Some(flag), Some(value)) = (flag, value) {
            cmd.arg(flag).arg(value);
        }
        if let Some(env) = env {
            cmd.env("EBAK_WA_KEY", env);
        }
        cmd.assert().success().stderr("");
        assert_eq!(fs::read(&out).unwrap(), c.db, "source {i}");
    }
}

#[test]
fn standard_input_is_read_as_a_stream() {
    let c = Case::new();
    let out = c.path("msgstore.db");
    ebak()
        .args(["import-whatsapp", "-", "--quiet", "--key", &hex(&ROOT), "-o"])
        .arg(&out)
        .write_stdin(c.msgstore())
        .assert()
        .success();
    assert_eq!(fs::read(&out).unwrap(), c.db);
}

#[test]
fn msgstore_without_the_feature_table_byte() {
    let c = Case::new();
    let f = Fixture { feature_table: false, features: vec![], ..Fixture::msgstore() };
    let input = c.write("old.crypt15", &encoder::encrypt(&ROOT, &f, &encoder::zlib(&c.db)));
    let out = c.path("old.db");
    ebak().args(["import-whatsapp", "--key", &hex(&ROOT), "-o"]).arg(&out).arg(&input).assert().success();
    assert_eq!(fs::read(&out).unwrap(), c.db);
}

#[test]
fn multi_file_backups_are_written_as_their_zip() {
    let c = Case::new();
    let zip = encoder::stored_zip(&[("a.webp", b"RIFF1234WEBP"), ("b.webp", &c.db[..5000])]);
    let input = c.write("stickers.db.crypt15", &encoder::encrypt(&ROOT, &Fixture::multi_file(), &zip));
    let out = c.path("stickers.zip");
    ebak().args(["import-whatsapp", "--key", &hex(&ROOT), "-o"]).arg(&out).arg(&input).assert().success().stderr(
        predicate::str::contains("no MD5")
            .and(predicate::str::contains("ZIP archive, written as it is"))
            .and(predicate::str::contains("the archive holds 2 entries"))
            .and(predicate::str::contains("  b.webp (5000 bytes)")),
    );
    assert_eq!(fs::read(&out).unwrap(), zip);
}

#[test]
fn a_wrong_key_is_exit_3_and_leaves_nothing() {
    let c = Case::new();
    let mut other = ROOT;
    other[31] ^= 1;
    let input = c.write("in.crypt15", &c.msgstore());
    ebak()
        .args(["import-whatsapp", "--key", &hex(&other), "-o"])
        .arg(c.path("out.db"))
        .arg(&input)
        .assert()
        .code(3)
        .stderr(
            predicate::str::contains("wrong key or damaged file").and(predicate::str::contains("the key is wrong")),
        );
    assert_eq!(others(c.dir.path(), &["in.crypt15"]), Vec::<String>::new());
    // A multi-file backup has no MD5: the message says what it can.
    let zip = encoder::stored_zip(&[("a", b"b")]);
    let input = c.write("in.crypt15", &encoder::encrypt(&ROOT, &Fixture::multi_file(), &zip));
    ebak()
        .args(["import-whatsapp", "--key", &hex(&other), "-o"])
        .arg(c.path("out.db"))
        .arg(&input)
        .assert()
        .code(3)
        .stderr(predicate::str::contains("wrong key or damaged file").and(predicate::str::contains("most likely")));
    assert_eq!(others(c.dir.path(), &["in.crypt15"]), Vec::<String>::new());
}

#[test]
fn flipped_bits_are_exit_4_and_leave_nothing() {
    let c = Case::new();
    let file = c.msgstore();
    let f = Fixture::msgstore();
    let iv_at = file.windows(16).position(|w| w == f.iv).unwrap();
    let header_len = encoder::header(&f).len();
    let n = file.len();
    for (at, message) in [
        (iv_at + 3, "the MD5 does not match, so the file is damaged"),
        (header_len + 10, "the MD5 does not match, so the file is damaged"),
        (n / 2, "the MD5 does not match, so the file is damaged"),
        (n - 20, "the MD5 does not match, so the file is damaged"),
        (n - 5, "the GCM tag verifies but the MD5 at the end of the file does not match"),
        (1, "not a WhatsApp crypt15 backup, or its header is damaged"),
    ] {
        let mut bad = file.clone();
        bad[at] ^= 0x10;
        c.refused(&bad, 4, message);
    }
    // In a multi-file backup, the key still looks right when the ZIP's
    // start decrypts: damaged, exit 4.
    let zip = encoder::stored_zip(&[("a.webp", &c.db[..20_000])]);
    let mut bad = encoder::encrypt(&ROOT, &Fixture::multi_file(), &zip);
    let mid = bad.len() / 2;
    bad[mid] ^= 1;
    c.refused(&bad, 4, "the key looks right and the file is damaged");
}

#[test]
fn truncation_and_a_bad_md5_are_exit_4_and_leave_nothing() {
    let c = Case::new();
    let file = c.msgstore();
    for len in [0, 1, 10, file.len() / 2, file.len() - 17, file.len() - 16, file.len() - 1] {
        c.refused(&file[..len], 4, "");
    }
    c.refused(&file[..file.len() - 16], 4, "ends right after the GCM tag");
    let mut bad = file.clone();
    let n = bad.len();
    bad[n - 16..].copy_from_slice(&[0xee; 16]);
    c.refused(&bad, 4, "MD5 at the end of the file does not match");
    // An authenticated file whose content is neither zlib nor ZIP.
    let raw = encoder::encrypt(&ROOT, &Fixture::msgstore(), b"SQLite format 3\0 raw");
    c.refused(&raw, 4, "unknown variant");
}

#[test]
fn key_files_are_checked() {
    let c = Case::new();
    let input = c.write("in.crypt15", &c.msgstore());
    let good = encoder::key_file(&ROOT);
    let mut long = good.clone();
    long.push(0);
    let mut wrong_magic = good.clone();
    wrong_magic[0] = 0xab;
    let mut c14 = good[..23].to_vec();
    c14.extend(131u32.to_be_bytes());
    c14.extend([1u8; 131]);
    for (name, bytes, message) in [
        ("long.key", long, "the key file is 60 bytes long; a crypt15 key file is 59 bytes"),
        ("short.key", good[..58].to_vec(), "the key file is 58 bytes long"),
        ("magic.key", wrong_magic, "Java serialization magic"),
        ("zeros.key", vec![0u8; 59], "Java serialization magic"),
        ("c14.key", c14, "crypt12/crypt14 key file"),
        ("text.key", b"0123 4567 zz".to_vec(), "invalid character 'z'"),
        ("binary.key", vec![0xffu8; 10], "neither a WhatsApp key file"),
    ] {
        let kf = c.write(name, &bytes);
        ebak()
            .args(["import-whatsapp", "-o"])
            .arg(c.path("out.db"))
            .arg(&input)
            .arg("--key-file")
            .arg(&kf)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(message));
        assert!(!c.path("out.db").exists());
    }
    // No key at all, and a malformed --key.
    ebak()
        .args(["import-whatsapp", "-o"])
        .arg(c.path("out.db"))
        .arg(&input)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("EBAK_WA_KEY"));
    ebak()
        .args(["import-whatsapp", "--key", "00ff", "-o"])
        .arg(c.path("out.db"))
        .arg(&input)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("too short by 60 digits"));
}

#[test]
fn existing_targets_and_standard_output_are_refused() {
    let c = Case::new();
    let input = c.write("in.crypt15", &c.msgstore());
    let out = c.write("out.db", b"precious");
    ebak()
        .args(["import-whatsapp", "--key", &hex(&ROOT), "-o"])
        .arg(&out)
        .arg(&input)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists; use --force"));
    assert_eq!(fs::read(&out).unwrap(), b"precious");
    // A failed --force import leaves the old file alone.
    let mut bad = c.msgstore();
    bad[500] ^= 1;
    let bad_in = c.write("bad.crypt15", &bad);
    ebak().args(["import-whatsapp", "--force", "--key", &hex(&ROOT), "-o"]).arg(&out).arg(&bad_in).assert().code(4);
    assert_eq!(fs::read(&out).unwrap(), b"precious");
    ebak().args(["import-whatsapp", "--force", "--key", &hex(&ROOT), "-o"]).arg(&out).arg(&input).assert().success();
    assert_eq!(fs::read(&out).unwrap(), c.db);
    ebak()
        .args(["import-whatsapp", "--key", &hex(&ROOT), "-o", "-"])
        .arg(&input)
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("-o - is refused"));
    ebak()
        .args(["import-whatsapp", "--key", &hex(&ROOT), "--password", "-o"])
        .arg(c.path("x"))
        .arg(&input)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("use it with --to-ebak"));
    assert_eq!(others(c.dir.path(), &["in.crypt15", "out.db", "bad.crypt15"]), Vec::<String>::new());
}

#[test]
fn to_ebak_then_restore_gives_the_same_bytes() {
    let c = Case::new();
    let input = c.write("msgstore.db.crypt15", &c.msgstore());
    let sealed = c.path("msgstore.ebak");
    ebak()
        .args(["import-whatsapp", "--quiet", "--to-ebak"])
        .arg(&sealed)
        .arg(&input)
        .env("EBAK_WA_KEY", grouped_key())
        .env("EBAK_PASSWORD", "a long passphrase")
        .assert()
        .success()
        .stdout("");
    let restored = c.path("restored.db");
    ebak()
        .arg("restore")
        .arg(&sealed)
        .arg("-o")
        .arg(&restored)
        .env("EBAK_PASSWORD", "a long passphrase")
        .assert()
        .success();
    assert_eq!(fs::read(&restored).unwrap(), c.db);

    // With --new-key, the new key is printed once and opens it.
    let sealed2 = c.path("k.ebak");
    let out = ebak()
        .args(["import-whatsapp", "--quiet", "--new-key", "--no-compress", "--context", "msgstore", "--to-ebak"])
        .arg(&sealed2)
        .arg(&input)
        .args(["--key", &hex(&ROOT)])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let key = String::from_utf8(out.stdout).unwrap();
    let key_file = c.write("ebak.key", key.as_bytes());
    let restored2 = c.path("restored2.db");
    ebak()
        .arg("restore")
        .arg(&sealed2)
        .arg("-o")
        .arg(&restored2)
        .args(["--context", "msgstore", "--key-file"])
        .arg(&key_file)
        .assert()
        .success();
    assert_eq!(fs::read(&restored2).unwrap(), c.db);

    // The multi-file ZIP goes in as it is.
    let zip = encoder::stored_zip(&[("w.jpg", &c.db[..1000])]);
    let zin = c.write("wallpaper.crypt15", &encoder::encrypt(&ROOT, &Fixture::multi_file(), &zip));
    let zsealed = c.path("wallpaper.ebak");
    // An ebak key of its own (from the variable, as `ebak backup` takes it).
    let ebak_key = "0123-4567-89ab-cdef-0011-2233-4455-6677-8899-aabb-ccdd-eeff-f0e1-d2c3-b4a5-9687";
    ebak()
        .args(["import-whatsapp", "--to-ebak"])
        .arg(&zsealed)
        .arg(&zin)
        .args(["--key", &hex(&ROOT)])
        .env("EBAK_KEY", ebak_key)
        .assert()
        .success();
    let zout = c.path("wallpaper.zip");
    ebak().arg("restore").arg(&zsealed).arg("-o").arg(&zout).env("EBAK_KEY", ebak_key).assert().success();
    assert_eq!(fs::read(&zout).unwrap(), zip);
}

#[test]
fn to_ebak_failures_leave_nothing_behind() {
    let c = Case::new();
    let mut bad = c.msgstore();
    let n = bad.len();
    bad[n / 2] ^= 4;
    let input = c.write("in.crypt15", &bad);
    let ebak_key = c.write("ebak.key", b"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n");
    let sealed = c.path("out.ebak");
    ebak()
        .args(["import-whatsapp", "--to-ebak"])
        .arg(&sealed)
        .arg(&input)
        .args(["--key", &hex(&ROOT)])
        .arg("--ebak-key-file")
        .arg(&ebak_key)
        .assert()
        .code(4)
        .stderr(predicate::str::contains("wrong key or damaged file"));
    let mut other = ROOT;
    other[0] ^= 0x80;
    ebak()
        .args(["import-whatsapp", "--to-ebak"])
        .arg(&sealed)
        .arg(c.write("good.crypt15", &c.msgstore()))
        .args(["--key", &hex(&other)])
        .arg("--ebak-key-file")
        .arg(&ebak_key)
        .assert()
        .code(3);
    // A file that is not crypt15 is refused before any secret is asked for.
    let junk = c.write("junk.bin", b"not a WhatsApp backup at all, just text");
    ebak()
        .args(["import-whatsapp", "--to-ebak"])
        .arg(&sealed)
        .arg(&junk)
        .assert()
        .code(4)
        .stderr(predicate::str::contains("not a WhatsApp crypt15 backup"));
    // No secret for the new backup.
    ebak()
        .args(["import-whatsapp", "--to-ebak"])
        .arg(&sealed)
        .arg(&input)
        .args(["--key", &hex(&ROOT)])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nothing would open the new ebak backup"));
    assert_eq!(others(c.dir.path(), &["in.crypt15", "good.crypt15", "ebak.key", "junk.bin"]), Vec::<String>::new());
}

#[test]
fn inspect_reports_key_type_app_version_and_variant() {
    let c = Case::new();
    let msgstore = c.write("msgstore.db.crypt15", &c.msgstore());
    ebak().arg("inspect").arg(&msgstore).assert().success().stdout(
        predicate::str::contains("WhatsApp crypt15 backup")
            .and(predicate::str::contains("key type: 1 (HSM_CONTROLLED)"))
            .and(predicate::str::contains("app version: \"2.24.1.6\""))
            .and(predicate::str::contains("variant: msgstore database"))
            .and(predicate::str::contains("the MD5 matches")),
    );
    let out = ebak().args(["inspect", "--json"]).arg(&msgstore).output().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["format"], "whatsapp-crypt15");
    assert_eq!(v["keyType"], 1);
    assert_eq!(v["appVersion"], "2.24.1.6");
    assert_eq!(v["variant"], "msgstore");
    assert_eq!(v["featureTable"], true);
    assert_eq!(v["iv"], hex(&Fixture::msgstore().iv));
    assert_eq!(v["headerAuthenticated"], false);

    let zip = encoder::stored_zip(&[("a", b"b")]);
    let multi = c.write("stickers.db.crypt15", &encoder::encrypt(&ROOT, &Fixture::multi_file(), &zip));
    let out = ebak().args(["inspect", "--json"]).arg(&multi).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["variant"], "multi-file-or-damaged");
    assert_eq!(v["ciphertextLength"], zip.len());

    // Standard input works too.
    ebak()
        .args(["inspect", "-"])
        .write_stdin(c.msgstore())
        .assert()
        .success()
        .stdout(predicate::str::contains("variant: msgstore database"));

    // A damaged MD5: the header still says msgstore.
    let mut bad = c.msgstore();
    let n = bad.len();
    bad[n - 1] ^= 1;
    let damaged = c.write("damaged.crypt15", &bad);
    ebak().arg("inspect").arg(&damaged).assert().success().stdout(predicate::str::contains("does not match"));

    // A .crypt15 whose header does not parse, and a crypt14 header.
    let junk = c.write("junk.crypt15", &[0x05, 0x01, 0x08, 0x01, 0x1a, 0x10, 0x0a]);
    ebak().arg("inspect").arg(&junk).assert().code(4).stderr(predicate::str::contains("crypt15"));
    let c14 = c.write("x.bin", &[0x04, 0x12, 0x02, 0x0a, 0x00, 1, 2, 3]);
    ebak().arg("inspect").arg(&c14).assert().code(4).stderr(predicate::str::contains("crypt14"));
    // Other files still get ebak's answer.
    let other = c.write("other.bin", b"hello, this is not a backup at all");
    ebak().arg("inspect").arg(&other).assert().code(4).stderr(predicate::str::contains("not an ebak backup"));
}

#[test]
fn ebak_files_still_inspect_as_ebak() {
    let c = Case::new();
    let src = c.write("data.txt", b"some data");
    let sealed = c.path("data.ebak");
    ebak().args(["backup", "--quiet", "--new-key", "-o"]).arg(&sealed).arg(&src).assert().success();
    ebak()
        .arg("inspect")
        .arg(&sealed)
        .assert()
        .success()
        .stdout(predicate::str::contains("ebak backup, format version 1"));
}

#[test]
fn the_key_never_reaches_debug_output() {
    use clap::Parser;
    #[derive(clap::Parser, Debug)]
    struct Wrap {
        #[command(flatten)]
        args: ebak_cli::whatsapp::ImportArgs,
    }
    let w = Wrap::try_parse_from(["x", "f.crypt15", "--key", &hex(&ROOT), "-o", "out"]).unwrap();
    let shown = format!("{w:?}");
    assert!(shown.contains("[redacted]"), "{shown}");
    assert!(!shown.to_lowercase().contains(&hex(&ROOT)[..16]), "{shown}");
}
