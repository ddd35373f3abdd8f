//! Helpers shared by the CLI's integration tests.
#![allow(dead_code, reason = "each test binary uses a different subset of the helpers")]

use assert_cmd::Command;
use std::fs;
use std::path::{Path, PathBuf};

pub const PW: &str = "correct horse battery staple";

/// The binary with a clean environment (no secrets inherited).
pub fn ebak() -> Command {
    let mut c = Command::cargo_bin("ebak").unwrap();
    for var in ["EBAK_PASSWORD", "EBAK_KEY", "EBAK_NEW_PASSWORD"] {
        c.env_remove(var);
    }
    c.arg("--quiet");
    c
}

pub fn key_text(b: u8) -> String {
    ebak_core::recovery_key::format(&ebak_core::BackupKey::from_bytes([b; 32])).to_string()
}

/// Entries of a directory that look like ebak's temporaries.
pub fn leftovers(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".ebak-"))
        .collect()
}

/// A deterministic byte pattern that does not compress (xorshift64, eight
/// bytes a step: 100 MiB in well under a second even unoptimized).
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = vec![0u8; len];
    for chunk in out.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
    out
}

#[cfg(unix)]
pub fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
}

/// A tree with unicode names, an empty file, an empty directory, a
/// symlink, an executable and set modification times.
pub fn make_tree(root: &Path) -> PathBuf {
    let top = root.join("tree");
    fs::create_dir_all(top.join("über/naïve 文件")).unwrap();
    fs::create_dir_all(top.join("empty dir")).unwrap();
    fs::write(top.join("über/naïve 文件/🦀 notes.txt"), "grüße\n").unwrap();
    fs::write(top.join("empty"), b"").unwrap();
    fs::write(top.join("data.bin"), pattern(300_000, 7)).unwrap();
    fs::write(top.join("run.sh"), "#!/bin/sh\necho hi\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::{PermissionsExt, symlink};
        fs::set_permissions(top.join("run.sh"), fs::Permissions::from_mode(0o750)).unwrap();
        fs::set_permissions(top.join("data.bin"), fs::Permissions::from_mode(0o600)).unwrap();
        symlink("über/naïve 文件/🦀 notes.txt", top.join("link to notes")).unwrap();
    }
    let t = filetime::FileTime::from_unix_time(1_600_000_000, 0);
    filetime::set_file_mtime(top.join("data.bin"), t).unwrap();
    filetime::set_file_mtime(top.join("empty dir"), t).unwrap();
    top
}

/// Modification time in whole seconds (tar headers keep whole seconds).
/// Seconds since 1970, negative before.
pub fn mtime_secs(m: &fs::Metadata) -> i64 {
    let t = m.modified().unwrap();
    match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap(),
        Err(before) => -i64::try_from(before.duration().as_secs_f64().ceil() as u64).unwrap(),
    }
}

/// Compares two trees: names, types, contents, symlink targets, modes and
/// modification times (to the second).
pub fn assert_same_tree(a: &Path, b: &Path) {
    let mut names_a: Vec<_> = fs::read_dir(a).unwrap().map(|e| e.unwrap().file_name()).collect();
    let mut names_b: Vec<_> = fs::read_dir(b).unwrap().map(|e| e.unwrap().file_name()).collect();
    names_a.sort();
    names_b.sort();
    assert_eq!(names_a, names_b, "entries of {}", a.display());
    for name in names_a {
        let (pa, pb) = (a.join(&name), b.join(&name));
        let (ma, mb) = (fs::symlink_metadata(&pa).unwrap(), fs::symlink_metadata(&pb).unwrap());
        assert_eq!(ma.file_type(), mb.file_type(), "{}", pa.display());
        #[cfg(unix)]
        if !ma.file_type().is_symlink() {
            assert_eq!(mode(&pa), mode(&pb), "mode of {}", pa.display());
        }
        if ma.is_dir() {
            assert_same_tree(&pa, &pb);
            assert_eq!(mtime_secs(&ma), mtime_secs(&mb), "mtime of {}", pa.display());
        } else if ma.file_type().is_symlink() {
            assert_eq!(fs::read_link(&pa).unwrap(), fs::read_link(&pb).unwrap());
        } else {
            assert_eq!(fs::read(&pa).unwrap(), fs::read(&pb).unwrap(), "content of {}", pa.display());
            assert_eq!(mtime_secs(&ma), mtime_secs(&mb), "mtime of {}", pa.display());
        }
    }
}

pub fn backup_with_key(src: &Path, out: &Path, key: &str) {
    ebak().env("EBAK_KEY", key).arg("backup").arg(src).arg("-o").arg(out).assert().success();
}

/// Seals a hand-made tar archive as a CLI backup, to test what restore
/// refuses.
pub fn hostile_backup(dir: &Path, build: impl FnOnce(&mut tar::Builder<Vec<u8>>)) -> PathBuf {
    let mut builder = tar::Builder::new(Vec::new());
    build(&mut builder);
    let tar_bytes = builder.into_inner().unwrap();
    let mut plaintext = b"ebakcli1\x01\x00".to_vec();
    plaintext.extend_from_slice(&tar_bytes);
    let key = ebak_core::BackupKey::from_bytes([6; 32]);
    let sealed = ebak_core::file::seal::<ebak_core::DefaultAead>(&key, vec![], b"", &[1; 24], &plaintext).unwrap();
    let file = dir.join("hostile.ebak");
    fs::write(&file, sealed).unwrap();
    file
}

pub fn raw_entry(
    builder: &mut tar::Builder<Vec<u8>>,
    name: &[u8],
    kind: tar::EntryType,
    link: Option<&[u8]>,
    data: &[u8],
) {
    let mut header = tar::Header::new_gnu();
    // Write the name bytes directly: the tar crate's setters refuse `..`
    // and absolute paths, and an attacker's archive would not.
    header.as_old_mut().name[..name.len()].copy_from_slice(name);
    if let Some(l) = link {
        header.as_old_mut().linkname[..l.len()].copy_from_slice(l);
    }
    header.set_entry_type(kind);
    header.set_size(data.len() as u64);
    header.set_mode(0o644);
    // Every numeric field a reader reads must hold a number (content spec 6.3).
    header.set_mtime(0);
    header.set_uid(0);
    header.set_gid(0);
    header.set_cksum();
    builder.append(&header, data).unwrap();
}
