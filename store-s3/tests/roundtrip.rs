//! A real backup through the library into S3 and back: written with
//! `BackupWriter` into an upload, restored from a GET, and opened at random
//! through ranged GETs that fetch only the header and the chunks asked for.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "tests: a failure panics; sizes are small and fixed"
)]

mod common;

use ebak::content::archive::{self, ArchiveOptions};
use ebak::random::RandomReader;
use ebak::store::{ObjectInfo, PutMode, RangedReader, Store, StoreError, Upload};
use ebak::{BackupWriter, Locked, Secret};
use ebak_core::chunk::{CHUNK_SIZE_BYTES, PREFIX_SIZE};
use ebak_core::header::MAX_HEADER_SIZE;
use std::io::{Read, Write};
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Pseudo-random bytes (incompressible, so the backup spans several parts).
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
fn a_tree_backed_up_to_s3_restores_byte_identically() {
    let server = server_or_skip!();
    let store = server.store();
    let src = tempfile::tempdir().unwrap();
    let tree = src.path().join("chats");
    std::fs::create_dir_all(tree.join("media")).unwrap();
    std::fs::write(tree.join("msgstore.db"), noise(12 << 20, 7)).unwrap();
    std::fs::write(tree.join("media/cat.jpg"), noise(300_000, 8)).unwrap();
    std::fs::write(tree.join("notes.txt"), b"hello\n").unwrap();

    let key = ebak::new_key().unwrap();
    let header = ebak::new_header(&key, []).unwrap();
    let upload = store.put("phone/chats.ebak", PutMode::Create).unwrap();
    let writer = BackupWriter::new(upload, &header, &key, b"", Default::default()).unwrap();
    let writer = archive::write_tree(std::slice::from_ref(&tree), writer, &ArchiveOptions::default()).unwrap();
    let (upload, _) = writer.finish().unwrap();
    assert!(store.list("").unwrap().is_empty(), "visible before the commit");
    upload.commit().unwrap();
    assert!(server.staged_parts().is_empty(), "parts left: {:?}", server.staged_parts());
    assert!(store.head("phone/chats.ebak").unwrap().size > 12 << 20);

    let locked = Locked::read(store.get("phone/chats.ebak").unwrap()).unwrap();
    let unlocked = locked.unlock(&Secret::key(&key)).unwrap();
    let payload = locked.open(&unlocked, b"", Default::default()).unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut staged = ebak::content::staged::StagedTree::new(out.path(), false).unwrap();
    ebak::restore::to_tree(payload, &mut staged).unwrap();
    staged.commit().unwrap();
    for file in ["msgstore.db", "media/cat.jpg", "notes.txt"] {
        let a = std::fs::read(tree.join(file)).unwrap();
        let b = std::fs::read(out.path().join("chats").join(file)).unwrap();
        assert!(a == b, "{file} differs after the round trip");
    }
}

/// A store that counts the bytes its ranged reads deliver (the real S3
/// store underneath).
#[derive(Debug)]
struct Counting<'a> {
    inner: &'a dyn Store,
    bytes: Arc<AtomicU64>,
    requests: Arc<AtomicU64>,
}

struct CountingRead {
    inner: Box<dyn Read + Send>,
    bytes: Arc<AtomicU64>,
}

impl Read for CountingRead {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl Store for Counting<'_> {
    fn describe(&self, name: &str) -> String {
        self.inner.describe(name)
    }
    fn put(&self, name: &str, mode: PutMode) -> Result<Box<dyn Upload>, StoreError> {
        self.inner.put(name, mode)
    }
    fn get(&self, name: &str) -> Result<Box<dyn Read + Send>, StoreError> {
        panic!("a random reader asked for the whole object {name}");
    }
    fn get_range(&self, name: &str, range: Range<u64>) -> Result<Box<dyn Read + Send>, StoreError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let inner = self.inner.get_range(name, range)?;
        Ok(Box::new(CountingRead { inner, bytes: Arc::clone(&self.bytes) }))
    }
    fn head(&self, name: &str) -> Result<ObjectInfo, StoreError> {
        self.inner.head(name)
    }
    fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, StoreError> {
        self.inner.list(prefix)
    }
    fn delete(&self, name: &str) -> Result<(), StoreError> {
        self.inner.delete(name)
    }
}

#[test]
fn random_access_fetches_only_the_header_and_the_chunks_asked_for() {
    let server = server_or_skip!();
    let store = server.store();
    let plaintext = noise(8 << 20, 9);
    let key = ebak::new_key().unwrap();
    let header = ebak::new_header(&key, []).unwrap();
    let mut writer =
        BackupWriter::new(store.put("big.ebak", PutMode::Create).unwrap(), &header, &key, b"", Default::default())
            .unwrap();
    writer.write_all(&plaintext).unwrap();
    writer.finish().unwrap().0.commit().unwrap();
    let object_len = store.head("big.ebak").unwrap().size;

    let counting = Counting { inner: &store, bytes: Arc::default(), requests: Arc::default() };
    let mut ranged = RangedReader::new(&counting, "big.ebak").unwrap();
    let locked = Locked::read(&mut ranged).unwrap();
    let header_len = locked.header_len();
    let unlocked = locked.unlock(&Secret::key(&key)).unwrap();
    drop(locked);
    let mut random = RandomReader::new(ranged, header_len, &unlocked, b"").unwrap();
    let chunk = CHUNK_SIZE_BYTES as usize;
    for index in [3u64, 300] {
        let got = random.read_chunk(index).unwrap().to_vec();
        let at = index as usize * chunk;
        assert!(got == plaintext[at..at + chunk], "chunk {index}");
    }
    // The header read asks for the largest header there can be; then the
    // prefix; then two chunks of 16 KiB and their 16-byte tags.
    let expected = MAX_HEADER_SIZE as u64 + PREFIX_SIZE as u64 + 2 * (CHUNK_SIZE_BYTES + 16);
    let fetched = counting.bytes.load(Ordering::Relaxed);
    assert_eq!(fetched, expected, "bytes fetched");
    // The header in two GETs (std's read_to_end asks for 8 KiB first, the
    // largest header is a little more), the prefix, the two chunks.
    assert_eq!(counting.requests.load(Ordering::Relaxed), 5, "ranged GETs");
    assert!(fetched * 100 < object_len, "{fetched} of {object_len} bytes fetched");
    eprintln!("random access: {fetched} of {object_len} bytes fetched in 5 ranged GETs");
}
