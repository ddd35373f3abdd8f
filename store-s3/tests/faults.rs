//! What goes wrong with a real server: wrong credentials, a missing
//! bucket, no server, the server killed in the middle of an upload, and
//! uploads aborted by a drop or from another thread.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "tests: a failure panics; sizes are small and fixed"
)]

mod common;

use common::BUCKET;
use ebak::store::{PutMode, Store, StoreError};
use ebak_store_s3::{Credentials, S3Store};
use std::io::{Read, Write};

fn assert_no_secret(text: &str, c: &Credentials) {
    assert!(!text.contains(c.secret_access_key.as_str()), "the secret key is in: {text}");
    assert!(!text.contains(&c.access_key_id), "the access key ID is in: {text}");
}

#[test]
fn a_wrong_secret_key_is_denied_with_a_reason_and_no_credential() {
    let server = server_or_skip!();
    let mut config = server.config(BUCKET);
    let wrong = Credentials::new(server.credentials.access_key_id.clone(), "not-the-secret-key-0123456789");
    config.credentials = Some(wrong.clone());
    let store = S3Store::open(config).unwrap();
    for result in [
        store.head("a.ebak").map(drop),
        store.put("a.ebak", PutMode::Create).map(drop),
        store.get("a.ebak").map(drop),
        store.list("").map(drop),
    ] {
        match result {
            Err(e @ StoreError::Denied { .. }) => {
                let text = e.to_string();
                assert!(text.contains("secret access key does not match"), "{text}");
                assert!(text.starts_with("s3://ebak-test"), "{text}");
                assert_no_secret(&text, &wrong);
                assert_no_secret(&format!("{e:?}"), &wrong);
            }
            other => panic!("a wrong secret key: {other:?}"),
        }
    }
}

#[test]
fn an_unknown_access_key_is_denied() {
    let server = server_or_skip!();
    let mut config = server.config(BUCKET);
    let wrong = Credentials::new("AKIDUNKNOWN0000", "whatever-secret-0123456789");
    config.credentials = Some(wrong.clone());
    let store = S3Store::open(config).unwrap();
    match store.put("a.ebak", PutMode::Create) {
        Err(e @ StoreError::Denied { .. }) => {
            let text = e.to_string();
            assert!(text.contains("access key"), "{text}");
            assert_no_secret(&text, &wrong);
        }
        other => panic!("an unknown access key: {:?}", other.map(drop)),
    }
}

#[test]
fn a_missing_bucket_is_not_found_and_named() {
    let server = server_or_skip!();
    let store = S3Store::open(server.config("no-such-bucket")).unwrap();
    let check = |r: Result<(), StoreError>| match r {
        Err(StoreError::NotFound { location }) => assert_eq!(location, "the bucket s3://no-such-bucket"),
        other => panic!("a missing bucket: {other:?}"),
    };
    check(store.put("a.ebak", PutMode::Create).map(drop));
    check(store.put("a.ebak", PutMode::Overwrite).map(drop));
    check(store.get("a.ebak").map(drop));
    check(store.head("a.ebak").map(drop));
    check(store.list("").map(drop));
    // A missing object in a bucket that exists is the object's.
    match server.store().get("missing.ebak").map(drop) {
        Err(StoreError::NotFound { location }) => assert_eq!(location, "s3://ebak-test/missing.ebak"),
        other => panic!("a missing object: {other:?}"),
    }
}

#[test]
fn no_server_is_an_io_error_that_says_so() {
    let mut server = server_or_skip!();
    let store = server.store();
    server.kill();
    match store.head("a.ebak") {
        Err(e @ StoreError::Io { .. }) => {
            let text = e.to_string();
            assert!(text.starts_with("cannot read s3://ebak-test/a.ebak: "), "{text}");
            assert!(text.to_lowercase().contains("connect"), "{text}");
        }
        other => panic!("no server: {other:?}"),
    }
}

#[test]
fn without_credentials_opening_fails_before_any_request() {
    let server = server_or_skip!();
    let mut config = server.config(BUCKET);
    config.credentials = None;
    // (Only if the environment has none either, as in the tests.)
    if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
        match S3Store::open(config) {
            Err(StoreError::Denied { reason, .. }) => assert!(reason.contains("no credentials"), "{reason}"),
            other => panic!("no credentials: {other:?}"),
        }
    }
}

#[test]
fn killed_mid_upload_leaves_nothing_under_the_name_and_a_rerun_works() {
    let mut server = server_or_skip!();
    let store = server.store();
    let part = vec![0x5a_u8; 5 << 20];
    let mut up = store.put("phone/killed.ebak", PutMode::Create).unwrap();
    // Two parts sent (the second on the write that follows it).
    up.write_all(&part).unwrap();
    up.write_all(&part).unwrap();
    up.write_all(b"x").unwrap();
    assert!(!server.staged_parts().is_empty(), "no multipart upload was started");
    server.kill();
    let mut failed = None;
    for _ in 0..4 {
        if let Err(e) = up.write_all(&part) {
            failed = Some(e);
            break;
        }
    }
    let message = match failed {
        Some(e) => e.to_string(),
        None => up.commit().unwrap_err().to_string(),
    };
    eprintln!("killed mid-upload: {message}");
    assert!(message.contains("s3://ebak-test/phone/killed.ebak"), "{message}");
    assert!(message.to_lowercase().contains("connect"), "{message}");
    server.restart();
    assert!(
        matches!(store.head("phone/killed.ebak"), Err(StoreError::NotFound { .. })),
        "an object is under the final name after the server was killed"
    );
    assert!(server.object_files().is_empty(), "files in the bucket: {:?}", server.object_files());
    // The same backup again, to the same name: it works.
    let mut up = store.put("phone/killed.ebak", PutMode::Create).unwrap();
    up.write_all(&part).unwrap();
    up.write_all(&part).unwrap();
    up.commit().unwrap();
    assert_eq!(store.head("phone/killed.ebak").unwrap().size, 10 << 20);
}

#[test]
fn a_dropped_upload_and_an_abort_from_another_thread_free_the_parts() {
    let server = server_or_skip!();
    let store = server.store();
    let part = vec![1u8; 5 << 20];
    {
        let mut up = store.put("dropped.ebak", PutMode::Create).unwrap();
        up.write_all(&part).unwrap();
        up.write_all(&part).unwrap();
        assert!(!server.staged_parts().is_empty(), "no multipart upload was started");
    }
    assert!(server.staged_parts().is_empty(), "a drop left parts: {:?}", server.staged_parts());

    let mut up = store.put("interrupted.ebak", PutMode::Create).unwrap();
    up.write_all(&part).unwrap();
    up.write_all(&part).unwrap();
    let handle = up.abort_handle();
    std::thread::spawn(move || handle.abort()).join().unwrap();
    assert!(server.staged_parts().is_empty(), "an abort left parts: {:?}", server.staged_parts());
    assert!(up.write_all(&part).is_err(), "an aborted upload took more bytes");
    assert!(up.commit().is_err(), "an aborted upload committed");
    assert!(matches!(store.head("interrupted.ebak"), Err(StoreError::NotFound { .. })));
}

#[test]
fn a_get_cut_short_by_the_server_is_an_error_not_an_end() {
    let mut server = server_or_skip!();
    let store = server.store();
    let mut up = store.put("long.ebak", PutMode::Create).unwrap();
    up.write_all(&vec![3u8; 64 << 20]).unwrap();
    up.commit().unwrap();
    let mut r = store.get("long.ebak").unwrap();
    let mut buf = vec![0u8; 1 << 20];
    r.read_exact(&mut buf).unwrap();
    server.kill();
    let mut rest = Vec::new();
    let result = r.read_to_end(&mut rest);
    // The server may have sent everything before it died (socket
    // buffers); if not, the reader must fail, never end short.
    if let Ok(n) = result {
        assert_eq!(n as u64 + (1 << 20), 64 << 20, "a cut body read as a short object");
    }
}
