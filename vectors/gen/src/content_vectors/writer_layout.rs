//! The vectors' archives are what the ebak writer writes: the same trees,
//! made on disk with the same modes and times and archived by
//! `ebak::content::archive::write_tree`, give the same blocks, except the
//! owner and group (the test's user, not the vectors' fixed 1000) and so
//! the checksum.

use super::cases::{long_tree, old_tree, small_tree};
use super::tar::{self, BLOCK, Entry};
use std::fs;
use std::path::Path;

/// Makes `entries` under `root`: files, directories and symlinks with
/// their permissions and times (directories' times last, deepest first).
fn make(root: &Path, entries: &[Entry]) {
    use std::os::unix::fs::PermissionsExt;
    let path = |e: &Entry| root.join(std::str::from_utf8(&e.name).unwrap());
    for e in entries {
        let p = path(e);
        match e.typeflag {
            b'5' => fs::create_dir(&p).unwrap(),
            b'0' => fs::write(&p, &e.data).unwrap(),
            b'2' => std::os::unix::fs::symlink(std::str::from_utf8(&e.link).unwrap(), &p).unwrap(),
            other => panic!("type {other}"),
        }
    }
    for e in entries.iter().rev() {
        let p = path(e);
        let time = filetime::FileTime::from_unix_time(e.mtime, 0);
        if e.typeflag == b'2' {
            filetime::set_symlink_file_times(&p, time, time).unwrap();
        } else {
            fs::set_permissions(&p, fs::Permissions::from_mode(e.mode & 0o7777)).unwrap();
            filetime::set_file_times(&p, time, time).unwrap();
        }
    }
}

/// The blocks with the owner, group and checksum fields blanked.
fn masked(archive: &[u8], headers: &[usize]) -> Vec<u8> {
    let mut out = archive.to_vec();
    for &h in headers {
        out[h + 108..h + 124].fill(b'?');
        out[h + 148..h + 156].fill(b'?');
    }
    out
}

/// The offsets of the entry headers (not of 'L' and 'K' records, whose
/// owner is always 0) in an archive.
fn entry_headers(archive: &[u8]) -> Vec<usize> {
    let mut at = 0;
    let mut out = Vec::new();
    while at + BLOCK <= archive.len() && archive[at..at + BLOCK].iter().any(|&b| b != 0) {
        let size = u64::from_str_radix(std::str::from_utf8(&archive[at + 124..at + 135]).unwrap(), 8).unwrap() as usize;
        if !matches!(archive[at + 156], b'L' | b'K') {
            out.push(at);
        }
        at += BLOCK + size.div_ceil(BLOCK) * BLOCK;
    }
    out
}

fn check(entries: &[Entry]) {
    let dir = tempfile::tempdir().unwrap();
    make(dir.path(), entries);
    let top = dir.path().join(std::str::from_utf8(&entries[0].name).unwrap());
    let options =
        ebak::content::archive::ArchiveOptions { compression: ebak::content::Compression::None, ..Default::default() };
    let written = ebak::content::archive::write_tree(&[top], Vec::new(), &options).unwrap();
    assert_eq!(&written[..10], b"ebakcli1\x01\x00");
    let written = &written[10..];
    let expected = tar::archive(entries);
    let headers = entry_headers(&expected);
    assert_eq!(headers.len(), entries.len());
    assert_eq!(entry_headers(written), headers, "the entries are not at the same offsets");
    let (w, e) = (masked(written, &headers), masked(&expected, &headers));
    for (i, (a, b)) in w.chunks(BLOCK).zip(e.chunks(BLOCK)).enumerate() {
        assert_eq!(
            a,
            b,
            "block {i} differs:\nwriter {:?}\nvector {:?}",
            String::from_utf8_lossy(a),
            String::from_utf8_lossy(b)
        );
    }
    assert_eq!(w.len(), e.len());
}

#[test]
fn the_writer_lays_out_the_small_tree_as_the_vectors_do() {
    check(&small_tree());
}

#[test]
fn the_writer_lays_out_long_names_as_the_vectors_do() {
    check(&long_tree());
}

#[test]
fn the_writer_lays_out_a_time_before_1970_as_the_vectors_do() {
    check(&old_tree());
}
