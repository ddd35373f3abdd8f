//! The library's own paths under hostile and failing input: what it
//! refuses, with which error, and what it leaves behind.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code: a failed expectation is a test failure"
)]

use ebak::content::archive::{self, ArchiveOptions};
use ebak::content::staged::StagedTree;
use ebak::content::{Compression, ContentError};
use ebak::random::RandomReader;
use ebak::restore::{self, Summary};
use ebak::{BackupKey, BackupWriter, Error, Locked, Secret, Stage, StreamOptions};
use ebak_core::cobblestone::PayloadError;
use ebak_core::error::{ErrorClass, OpenError};
use std::fs;
use std::io::{self, Cursor, Read, Write};

fn key(b: u8) -> BackupKey {
    BackupKey::from_bytes([b; 32])
}

/// A backup of one stream, opened with the key alone (no slots).
fn stream_backup(key: &BackupKey, data: &[u8], compression: Compression) -> Vec<u8> {
    let header = ebak::new_header(key, []).unwrap();
    let w = BackupWriter::new(Vec::new(), &header, key, b"ctx", StreamOptions::default()).unwrap();
    let w = archive::write_stream(data, w, compression, None).unwrap();
    w.finish().unwrap().0
}

/// A backup whose payload is `payload` as it is (no ebak content).
fn raw_backup(key: &BackupKey, payload: &[u8]) -> Vec<u8> {
    let header = ebak::new_header(key, []).unwrap();
    let mut w = BackupWriter::new(Vec::new(), &header, key, b"ctx", StreamOptions::default()).unwrap();
    w.write_all(payload).unwrap();
    w.finish().unwrap().0
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(151) ^ ((i >> 9) as u8)).collect()
}

fn open(file: &[u8], key: &BackupKey) -> Result<ebak::Payload<Cursor<Vec<u8>>>, Error> {
    let locked = Locked::read(Cursor::new(file.to_vec()))?;
    let unlocked = locked.unlock(&Secret::key(key))?;
    locked.open(&unlocked, b"ctx", StreamOptions::default())
}

fn restore_stream(file: &[u8], key: &BackupKey, raw: bool) -> Result<(Summary, Vec<u8>), Error> {
    let mut out = Vec::new();
    let summary = restore::to_stream(open(file, key)?, &mut out, raw)?;
    Ok((summary, out))
}

#[test]
fn a_stream_round_trips_compressed_or_not() {
    let data = pattern(200_000);
    for compression in [Compression::None, Compression::Zstd] {
        let file = stream_backup(&key(1), &data, compression);
        let (summary, out) = restore_stream(&file, &key(1), false).unwrap();
        assert_eq!(out, data);
        assert_eq!(summary, Summary::Stream { bytes: data.len() as u64, compression });
        assert_eq!(restore::verify(open(&file, &key(1)).unwrap()).unwrap(), summary);
    }
}

#[test]
fn hostile_headers_are_refused_before_any_key_is_tried() {
    for (input, what) in
        [(&b""[..], "empty"), (b"not an ebak file at all", "text"), (b"\x89ebak\r\n\x1a\n", "magic only")]
    {
        let e = Locked::read(Cursor::new(input.to_vec())).unwrap_err();
        assert_eq!(e.class(), Some(ErrorClass::HeaderParse), "{what}: {e:?}");
    }
    let file = stream_backup(&key(1), b"x", Compression::None);
    let e = open(&file, &key(2)).unwrap_err();
    assert_eq!(e.class(), Some(ErrorClass::HeaderMac), "a wrong key: {e:?}");
}

#[test]
fn a_damaged_chunk_is_named_with_its_offset_and_nothing_of_it_is_released() {
    let data = pattern(100_000);
    let mut file = stream_backup(&key(3), &data, Compression::None);
    let header_len = Locked::read(Cursor::new(file.clone())).unwrap().header_len();
    // Chunk 2 of the payload.
    let at = header_len as usize + 56 + 2 * 16_400 + 100;
    file[at] ^= 1;
    let mut out = Vec::new();
    let e = restore::to_stream(open(&file, &key(3)).unwrap(), &mut out, false).unwrap_err();
    assert!(matches!(e, Error::Open { error: OpenError::Payload(PayloadError::Chunk { index: 2 }), .. }), "{e:?}");
    assert_eq!(e.offset(), Some(header_len + 56 + 2 * 16_400));
    // Only chunks 0 and 1 were released (minus the 10-byte content header).
    assert!(out.len() <= 2 * 16_384 - 10, "{} bytes released", out.len());
    assert_eq!(out[..], data[..out.len()]);
}

#[test]
fn a_cut_or_extended_payload_never_ends_cleanly() {
    let data = pattern(50_000);
    let file = stream_backup(&key(4), &data, Compression::Zstd);
    for cut in [1, 17, 16_400, file.len() / 2] {
        let e = restore_stream(&file[..file.len() - cut], &key(4), false).unwrap_err();
        assert_eq!(e.class(), Some(ErrorClass::Payload), "cut {cut}: {e:?}");
    }
    let mut longer = file.clone();
    longer.extend_from_slice(&[0u8; 40]);
    let e = restore_stream(&longer, &key(4), false).unwrap_err();
    assert_eq!(e.class(), Some(ErrorClass::Payload), "extended: {e:?}");
}

#[test]
fn raw_and_newer_content_are_told_apart() {
    let raw = raw_backup(&key(5), b"some other app's data");
    assert!(matches!(restore_stream(&raw, &key(5), false), Err(Error::Content(ContentError::NotEbakContent))));
    let (summary, out) = restore_stream(&raw, &key(5), true).unwrap();
    assert_eq!((summary, out.as_slice()), (Summary::Raw { bytes: 21 }, &b"some other app's data"[..]));
    assert_eq!(restore::verify(open(&raw, &key(5)).unwrap()).unwrap(), Summary::Raw { bytes: 21 });
    let newer = raw_backup(&key(5), b"ebakcli1\x07\x00later");
    let e = restore_stream(&newer, &key(5), false).unwrap_err();
    assert!(matches!(e, Error::Content(ContentError::Unsupported { field: "kind", value: 7 })), "{e:?}");
    let bad_zstd = raw_backup(&key(5), b"ebakcli1\x02\x01not zstd");
    let e = restore_stream(&bad_zstd, &key(5), false).unwrap_err();
    assert!(matches!(e, Error::Content(ContentError::Malformed { .. })), "{e:?}");
}

#[test]
fn a_failing_source_and_a_failing_sink_are_told_apart() {
    /// Fails after `left` bytes.
    #[derive(Debug)]
    struct Failing {
        left: usize,
    }
    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.left == 0 {
                return Err(io::Error::other("disk gone"));
            }
            let n = buf.len().min(self.left);
            buf[..n].fill(7);
            self.left -= n;
            Ok(n)
        }
    }
    impl Write for Failing {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.left == 0 {
                return Err(io::Error::new(io::ErrorKind::StorageFull, "full"));
            }
            let n = buf.len().min(self.left);
            self.left -= n;
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let file = stream_backup(&key(6), &pattern(300_000), Compression::None);
    // Reading the backup fails part-way, after five good chunks.
    let input = Cursor::new(file[..100_000].to_vec()).chain(Failing { left: 0 });
    let locked = Locked::read(input).unwrap();
    let unlocked = locked.unlock(&Secret::key(&key(6))).unwrap();
    let payload = locked.open(&unlocked, b"ctx", StreamOptions::default()).unwrap();
    let e = restore::to_stream(payload, &mut Vec::new(), false).unwrap_err();
    assert!(matches!(e, Error::Io { stage: Stage::ReadBackup, .. }), "{e:?}");
    // Writing the restored data fails.
    let e = restore::to_stream(open(&file, &key(6)).unwrap(), &mut Failing { left: 5000 }, false).unwrap_err();
    assert!(matches!(e, Error::Io { stage: Stage::WriteRestored, .. }), "{e:?}");
    // Writing a backup fails.
    let header = ebak::new_header(&key(6), []).unwrap();
    let w = BackupWriter::new(Failing { left: 100_000 }, &header, &key(6), b"", StreamOptions::default()).unwrap();
    let e = archive::write_stream(&pattern(300_000)[..], w, Compression::None, None)
        .and_then(BackupWriter::finish)
        .unwrap_err();
    assert!(matches!(e, Error::Io { stage: Stage::WriteBackup, .. }), "{e:?}");
    // Reading what is backed up fails.
    let w = BackupWriter::new(Vec::new(), &header, &key(6), b"", StreamOptions::default()).unwrap();
    let e = archive::write_stream(Failing { left: 70_000 }, w, Compression::None, None).unwrap_err();
    assert!(matches!(e, Error::Io { stage: Stage::ReadSource, .. }), "{e:?}");
}

#[test]
fn random_access_reads_only_verified_chunks() {
    let data = pattern(5 * 16_384 + 123);
    let raw = raw_backup(&key(7), &data);
    let locked = Locked::read(Cursor::new(raw.clone())).unwrap();
    let unlocked = locked.unlock(&Secret::key(&key(7))).unwrap();
    let header_len = locked.header_len();
    let mut reader = RandomReader::new(Cursor::new(raw.clone()), header_len, &unlocked, b"ctx").unwrap();
    assert_eq!(reader.verify_len().unwrap(), data.len() as u64);
    for (offset, len) in [(0, 10), (16_380, 10), (3 * 16_384 - 1, 16_386), (data.len() - 5, 100)] {
        let mut buf = vec![0u8; len];
        let n = reader.read_at(offset as u64, &mut buf).unwrap();
        let end = (offset + len).min(data.len());
        assert_eq!(&buf[..n], &data[offset..end], "offset {offset}");
    }
    // A modified chunk fails alone; the others still read.
    let mut bad = raw.clone();
    bad[header_len as usize + 56 + 3 * 16_400 + 5] ^= 0x80;
    let mut reader = RandomReader::new(Cursor::new(bad), header_len, &unlocked, b"ctx").unwrap();
    let e = reader.read_chunk(3).unwrap_err();
    assert!(matches!(e, Error::Open { error: OpenError::Payload(PayloadError::Chunk { index: 3 }), .. }), "{e:?}");
    assert_eq!(reader.read_chunk(2).unwrap(), &data[2 * 16_384..3 * 16_384]);
    // A truncated file: the final chunk (hence the length) does not verify.
    let cut = &raw[..raw.len() - 16_400];
    let mut reader = RandomReader::new(Cursor::new(cut.to_vec()), header_len, &unlocked, b"ctx").unwrap();
    assert_eq!(reader.verify_len().unwrap_err().class(), Some(ErrorClass::Payload));
    // The wrong context: the commitment.
    let e = RandomReader::new(Cursor::new(raw), header_len, &unlocked, b"other").unwrap_err();
    assert_eq!(e.class(), Some(ErrorClass::Commitment));
}

#[test]
fn a_tree_restore_that_fails_leaves_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    fs::create_dir_all(src.join("sub")).unwrap();
    fs::write(src.join("sub/a"), pattern(70_000)).unwrap();
    fs::write(src.join("b"), b"bee").unwrap();
    let header = ebak::new_header(&key(8), []).unwrap();
    let w = BackupWriter::new(Vec::new(), &header, &key(8), b"ctx", StreamOptions::default()).unwrap();
    let options = ArchiveOptions { compression: Compression::None, ..ArchiveOptions::default() };
    let mut file = archive::write_tree(std::slice::from_ref(&src), w, &options).unwrap().finish().unwrap().0;
    let dest = tmp.path().join("dest");
    fs::create_dir(&dest).unwrap();
    // Whole: restores.
    let mut staged = StagedTree::new(&dest, false).unwrap();
    let summary = restore::to_tree(open(&file, &key(8)).unwrap(), &mut staged).unwrap();
    staged.commit().unwrap();
    assert_eq!(summary, Summary::Tree { entries: 4, compression: Compression::None });
    assert_eq!(fs::read(dest.join("src/sub/a")).unwrap(), pattern(70_000));
    // Again without force: refused, nothing changed.
    let mut staged = StagedTree::new(&dest, false).unwrap();
    let e = restore::to_tree(open(&file, &key(8)).unwrap(), &mut staged).unwrap_err();
    assert!(matches!(e, Error::Content(ContentError::Exists { .. })), "{e:?}");
    drop(staged);
    // Damaged in its last chunk: the tree was unpacked into the staging
    // directory, then the payload failed; dropping it leaves nothing.
    let last = file.len() - 20;
    file[last] ^= 1;
    let dest2 = tmp.path().join("dest2");
    fs::create_dir(&dest2).unwrap();
    let mut staged = StagedTree::new(&dest2, false).unwrap();
    let e = restore::to_tree(open(&file, &key(8)).unwrap(), &mut staged).unwrap_err();
    assert_eq!(e.class(), Some(ErrorClass::Payload), "{e:?}");
    drop(staged);
    assert_eq!(fs::read_dir(&dest2).unwrap().count(), 0, "a failed restore left something behind");
    let names: Vec<_> = fs::read_dir(&dest).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["src"], "a refused restore left something behind");
}

#[test]
fn a_new_header_keeps_the_payload_and_a_rotation_changes_the_key() {
    let data = pattern(40_000);
    let file = stream_backup(&key(9), &data, Compression::Zstd);
    let locked = Locked::read(Cursor::new(file.clone())).unwrap();
    let unlocked = locked.unlock(&Secret::key(&key(9))).unwrap();
    let password = ebak::Password::from("a password for the test");
    let slot = ebak_core::slot::PasswordSlot::create_without_floor::<ebak::Backend>(
        &key(9),
        password.expose_secret(),
        ebak_core::kdf::KdfParams { memory_kib: 8, iterations: 1, parallelism: 1 },
        [1; 16],
        [2; 24],
    )
    .unwrap();
    let new_header = unlocked.adding(slot).unwrap();
    let old_len = locked.header_len() as usize;
    let rewritten = ebak::seal::replace_header(locked, &new_header, Vec::new()).unwrap();
    let new_len = new_header.to_bytes().len();
    assert_eq!(rewritten[new_len..], file[old_len..], "the payload bytes changed");
    let (_, out) = restore_stream(&rewritten, &key(9), false).unwrap();
    assert_eq!(out, data);

    let locked = Locked::read(Cursor::new(file)).unwrap();
    let unlocked = locked.unlock(&Secret::key(&key(9))).unwrap();
    let rotated_header = ebak::new_header(&key(10), []).unwrap();
    let (rotated, n) =
        ebak::seal::rotate(locked, &unlocked, b"ctx", &key(10), &rotated_header, Vec::new(), StreamOptions::default())
            .unwrap();
    assert_eq!(restore_stream(&rotated, &key(10), false).unwrap().1, data);
    assert!(n > 0);
    assert_eq!(open(&rotated, &key(9)).unwrap_err().class(), Some(ErrorClass::HeaderMac));
}
