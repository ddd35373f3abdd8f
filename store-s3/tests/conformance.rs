//! The Store rules (ebak::store::conformance) against a real S3-protocol
//! server on loopback.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "tests: a failure panics; sizes are small and fixed"
)]

mod common;

use ebak::store::{PutMode, Store, StoreError};
use std::io::Write;

#[test]
fn the_shared_suite_passes_against_s3s_fs() {
    let server = server_or_skip!();
    let store = server.store();
    // 9 MiB: two parts of 5 MiB and 4 MiB, so Create and Overwrite go
    // through CompleteMultipartUpload as well as PutObject.
    ebak::store::conformance::run(&store);
    assert!(server.staged_parts().is_empty(), "multipart uploads left on the server: {:?}", server.staged_parts());
}

#[test]
fn two_multipart_creates_of_one_name_the_second_completion_is_refused() {
    let server = server_or_skip!();
    let store = server.store();
    let a = vec![b'a'; 6 << 20];
    let b = vec![b'b'; 6 << 20];
    // Both pass the early check (the name is free), both send a part.
    let mut first = store.put("race.ebak", PutMode::Create).unwrap();
    let mut second = store.put("race.ebak", PutMode::Create).unwrap();
    first.write_all(&a).unwrap();
    second.write_all(&b).unwrap();
    first.commit().unwrap();
    match second.commit() {
        Err(StoreError::AlreadyExists { location }) => assert_eq!(location, "s3://ebak-test/race.ebak"),
        other => panic!("the second completion: {other:?}"),
    }
    let mut got = Vec::new();
    std::io::Read::read_to_end(&mut store.get("race.ebak").unwrap(), &mut got).unwrap();
    assert!(got == a, "the losing writer's bytes are under the name");
    assert!(server.staged_parts().is_empty(), "the refused upload's parts stayed: {:?}", server.staged_parts());
}

#[test]
fn names_list_by_string_prefix_across_directories() {
    let server = server_or_skip!();
    let store = server.store();
    for name in ["phone/2026-12-01.ebak", "phone/2026-12-04.ebak", "phone2/x.ebak", "laptop/y.ebak"] {
        let mut up = store.put(name, PutMode::Create).unwrap();
        up.write_all(name.as_bytes()).unwrap();
        up.commit().unwrap();
    }
    let names = |p: &str| store.list(p).unwrap().into_iter().map(|o| o.name).collect::<Vec<_>>();
    assert_eq!(names("phone/2026-12-0"), ["phone/2026-12-01.ebak", "phone/2026-12-04.ebak"]);
    assert_eq!(names("phone"), ["phone/2026-12-01.ebak", "phone/2026-12-04.ebak", "phone2/x.ebak"]);
    assert_eq!(names("laptop/"), ["laptop/y.ebak"]);
    assert_eq!(store.list("phone/").unwrap()[0].size, "phone/2026-12-01.ebak".len() as u64);
}

#[test]
fn a_reader_and_an_upload_outlive_the_store_they_came_from() {
    let server = server_or_skip!();
    let mut up = {
        let store = server.store();
        store.put("outlives.ebak", PutMode::Create).unwrap()
    };
    up.write_all(&vec![9u8; 6 << 20]).unwrap();
    up.write_all(b"end").unwrap();
    up.commit().unwrap();
    let mut reader = {
        let store = server.store();
        store.get("outlives.ebak").unwrap()
    };
    let mut got = Vec::new();
    std::io::Read::read_to_end(&mut reader, &mut got).unwrap();
    assert_eq!(got.len(), (6 << 20) + 3);
    assert!(got.ends_with(b"end"));
}
