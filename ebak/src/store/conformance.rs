//! The rules of [`Store`](super::Store), as a test suite that every
//! implementation runs against a real backend (a temporary directory, a
//! real S3-protocol server): enable the `store-conformance` feature in
//! dev-dependencies and call [`run`] on an empty store.
//!
//! Each check panics with a message naming the rule it found broken.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "a test suite: a broken rule panics")]
#![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects, reason = "a test suite over small fixed data")]

use super::{PutMode, Store, StoreError};
use std::io::{Read, Write};

/// Bytes that differ at every offset, so a misplaced range shows.
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ ((i >> 8) as u8)).collect()
}

fn write(store: &dyn Store, name: &str, mode: PutMode, bytes: &[u8]) -> Result<(), StoreError> {
    let mut up = store.put(name, mode)?;
    // Several writes of odd sizes, as a stream writer would make.
    for piece in bytes.chunks(7919) {
        up.write_all(piece).expect("writing to an upload");
    }
    up.commit()
}

fn read(store: &dyn Store, name: &str) -> Vec<u8> {
    let mut out = Vec::new();
    store.get(name).unwrap().read_to_end(&mut out).unwrap();
    out
}

fn read_range(store: &dyn Store, name: &str, range: std::ops::Range<u64>) -> Vec<u8> {
    let mut out = Vec::new();
    store.get_range(name, range).unwrap().read_to_end(&mut out).unwrap();
    out
}

fn absent(store: &dyn Store, name: &str) -> bool {
    matches!(store.head(name), Err(StoreError::NotFound { .. }))
        && matches!(store.get(name).map(drop), Err(StoreError::NotFound { .. }))
        && store.list("").unwrap().iter().all(|o| o.name != name)
}

/// Runs every check on `store`, which must be empty, with a large object
/// of 9 MiB (more than one part of a multipart upload).
pub fn run(store: &dyn Store) {
    run_with(store, 9 << 20);
}

/// [`run`] with a large object of `large_bytes`.
pub fn run_with(store: &dyn Store, large_bytes: usize) {
    assert!(store.list("").unwrap().is_empty(), "the store under test must start empty");

    // Staged writes: nothing under the name before the commit.
    let small = pattern(100_003, 1);
    let mut up = store.put("dir/small.ebak", PutMode::Create).unwrap();
    up.write_all(&small).unwrap();
    up.flush().unwrap();
    assert!(absent(store, "dir/small.ebak"), "an uncommitted upload is visible under its name");
    up.commit().unwrap();
    assert_eq!(read(store, "dir/small.ebak"), small, "get returns the committed bytes");
    assert_eq!(store.head("dir/small.ebak").unwrap().size, small.len() as u64, "head gives the length");

    // Ranges.
    assert_eq!(read_range(store, "dir/small.ebak", 10..20), small[10..20], "a middle range");
    assert_eq!(read_range(store, "dir/small.ebak", 0..0), b"", "an empty range");
    assert_eq!(
        read_range(store, "dir/small.ebak", 100_000..200_000),
        small[100_000..],
        "a range past the end is clamped"
    );
    assert_eq!(read_range(store, "dir/small.ebak", 200_000..200_010), b"", "a range beyond the end reads nothing");

    // Dropped and aborted uploads leave nothing.
    {
        let mut up = store.put("dropped.ebak", PutMode::Create).unwrap();
        up.write_all(&small).unwrap();
    }
    assert!(absent(store, "dropped.ebak"), "a dropped upload left an object");
    let mut up = store.put("aborted.ebak", PutMode::Create).unwrap();
    up.write_all(&small).unwrap();
    up.abort().unwrap();
    assert!(absent(store, "aborted.ebak"), "an aborted upload left an object");
    let mut up = store.put("interrupted.ebak", PutMode::Create).unwrap();
    up.write_all(&small).unwrap();
    let handle = up.abort_handle();
    handle.abort();
    handle.abort();
    let _ = up.write_all(&small);
    assert!(up.commit().is_err(), "an upload aborted through its handle still committed");
    assert!(absent(store, "interrupted.ebak"), "an upload aborted through its handle left an object");

    // No clobbering.
    let other = pattern(5000, 2);
    match write(store, "dir/small.ebak", PutMode::Create, &other) {
        Err(StoreError::AlreadyExists { .. }) => {}
        other => panic!("Create over an existing object: {other:?}"),
    }
    assert_eq!(read(store, "dir/small.ebak"), small, "a refused Create changed the object");
    // Two writers racing for one name: the first commit wins.
    let mut first = store.put("race.ebak", PutMode::Create).unwrap();
    let second = store.put("race.ebak", PutMode::Create);
    first.write_all(&small).unwrap();
    first.commit().unwrap();
    if let Ok(mut second) = second {
        second.write_all(&other).unwrap();
        match second.commit() {
            Err(StoreError::AlreadyExists { .. }) => {}
            other => panic!("the second of two racing Creates: {other:?}"),
        }
    }
    assert_eq!(read(store, "race.ebak"), small, "the losing writer clobbered the winner");

    // Overwrite replaces, atomically.
    write(store, "race.ebak", PutMode::Overwrite, &other).unwrap();
    assert_eq!(read(store, "race.ebak"), other, "Overwrite replaces the object");

    // A large object, written in pieces.
    let large = pattern(large_bytes, 3);
    write(store, "large.ebak", PutMode::Create, &large).unwrap();
    assert_eq!(store.head("large.ebak").unwrap().size, large.len() as u64, "the large object's length");
    let mid = large_bytes / 2;
    assert_eq!(read_range(store, "large.ebak", mid as u64..mid as u64 + 4096), large[mid..mid + 4096]);
    assert!(read(store, "large.ebak") == large, "the large object reads back whole");

    // An empty object.
    write(store, "empty.ebak", PutMode::Create, b"").unwrap();
    assert_eq!(read(store, "empty.ebak"), b"", "an empty object");

    // Listing: sorted, by prefix, committed objects only.
    let names: Vec<String> = store.list("").unwrap().into_iter().map(|o| o.name).collect();
    assert_eq!(
        names,
        ["dir/small.ebak", "empty.ebak", "large.ebak", "race.ebak"],
        "list shows exactly the committed objects, sorted"
    );
    let names: Vec<String> = store.list("dir/").unwrap().into_iter().map(|o| o.name).collect();
    assert_eq!(names, ["dir/small.ebak"], "list by prefix");
    assert!(store.list("nothing-here/").unwrap().is_empty(), "an empty prefix lists nothing");

    // Delete.
    store.delete("race.ebak").unwrap();
    assert!(absent(store, "race.ebak"), "a deleted object is gone");
    assert!(matches!(store.delete("race.ebak"), Err(StoreError::NotFound { .. })), "deleting a missing object");
    assert!(matches!(store.get("missing.ebak").map(drop), Err(StoreError::NotFound { .. })), "a missing object");

    // Names that would escape the store.
    for bad in ["", "/abs.ebak", "a//b", "../up.ebak", "a/../b", "./a", "a/.", "nul\0.ebak"] {
        assert!(
            matches!(store.put(bad, PutMode::Create).map(drop), Err(StoreError::InvalidName { .. })),
            "the name {bad:?} was accepted"
        );
        assert!(matches!(store.get(bad).map(drop), Err(StoreError::InvalidName { .. })), "get({bad:?})");
    }

    for o in store.list("").unwrap() {
        store.delete(&o.name).unwrap();
    }
}
