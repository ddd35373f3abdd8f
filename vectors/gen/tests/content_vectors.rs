//! Runs `vectors/ebak_v1_content_test.json` against the `ebak` library:
//! every file is opened with its key and its payload read three ways, as
//! the CLI reads it: `restore::to_tree` into a temporary directory (the
//! restored tree's listing must be the vector's, file hashes included),
//! `restore::to_stream` (the body, or the payload as it is with `raw`),
//! and `restore::verify`. An invalid vector must be refused with its
//! class (content spec 8).
//!
//! The library departs from the spec in a few points (content spec 10,
//! "Known differences"); the vectors that show them are listed in
//! [`KNOWN_DIFFERENCES`] and must still disagree: when one starts to pass,
//! the run fails until it is taken off the list.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code: a failed expectation is a test failure"
)]

mod common;

use common::{Tally, hex_field, inflate, load, to_hex};
use ebak::content::ContentError;
use ebak::content::staged::StagedTree;
use ebak::restore::{self, Summary};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::Path;

const FILE: &str = "ebak_v1_content_test.json";

/// Vectors (by comment) on which the library is known not to follow the
/// spec yet, and why (content spec 10).
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[];

fn class_of(e: &ebak::Error) -> String {
    match e {
        ebak::Error::Content(ContentError::Unsupported { .. }) => "Unsupported".into(),
        ebak::Error::Content(ContentError::Malformed { .. }) => "Malformed".into(),
        ebak::Error::Content(ContentError::Refused { .. }) => "Refused".into(),
        other => format!("not a content class: {other}"),
    }
}

fn sha256_hex(data: &[u8]) -> String {
    to_hex(&Sha256::digest(data))
}

/// Opens the payload of `file` with `key` (content vectors have no slot).
fn payload<'a>(file: &'a [u8], key: &[u8; 32], context: &[u8]) -> ebak::Payload<&'a [u8]> {
    let key = ebak::BackupKey::from_bytes(*key);
    let locked = ebak::Locked::read(file).expect("the header parses");
    let unlocked = locked.unlock(&ebak::Secret::key(&key)).expect("the key opens it");
    locked.open(&unlocked, context, ebak::StreamOptions::default()).expect("the payload opens")
}

/// The restored tree under `root`, as the vectors list it.
fn listing(root: &Path) -> Vec<Value> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let mut out = Vec::new();
    let mut pending = vec![String::new()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(root.join(&dir)).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().into_string().expect("UTF-8 names in the vectors");
            let path = if dir.is_empty() { name } else { format!("{dir}/{name}") };
            let meta = std::fs::symlink_metadata(entry.path()).unwrap();
            let mut v = serde_json::Map::new();
            v.insert("path".into(), path.clone().into());
            if meta.file_type().is_symlink() {
                v.insert("type".into(), "symlink".into());
                let target = std::fs::read_link(entry.path()).unwrap();
                v.insert("target".into(), target.to_str().unwrap().into());
            } else {
                v.insert("type".into(), if meta.is_dir() { "directory" } else { "file" }.into());
                v.insert("mode".into(), (meta.permissions().mode() & 0o7777).into());
                v.insert("mtime".into(), meta.mtime().into());
                if meta.is_dir() {
                    pending.push(path);
                } else {
                    v.insert("size".into(), meta.len().into());
                    v.insert("sha256".into(), sha256_hex(&std::fs::read(entry.path()).unwrap()).into());
                    v.insert("ino".into(), meta.ino().into());
                }
            }
            out.push(Value::Object(v));
        }
    }
    out.sort_by(|a, b| a["path"].as_str().unwrap().as_bytes().cmp(b["path"].as_str().unwrap().as_bytes()));
    out
}

/// Compares a restored listing with the vector's `entries`: same paths,
/// same fields; a hard link shares its file's inode.
fn compare_listing(got: &[Value], want: &[Value]) -> Result<(), String> {
    let paths = |l: &[Value]| l.iter().map(|e| e["path"].as_str().unwrap_or("?").to_owned()).collect::<Vec<_>>();
    if paths(got) != paths(want) {
        return Err(format!("restored paths {:?}, expected {:?}", paths(got), paths(want)));
    }
    for (g, w) in got.iter().zip(want) {
        let w = w.as_object().ok_or("an entry is not an object")?;
        for (field, value) in w {
            if field == "linkedTo" {
                let to = got.iter().find(|e| e["path"] == *value).ok_or("linkedTo names no restored path")?;
                if to["ino"] != g["ino"] {
                    return Err(format!("{}: not a hard link to {value}", w["path"]));
                }
            } else if g.get(field) != Some(value) {
                return Err(format!("{}: {field} is {:?}, expected {value}", w["path"], g.get(field)));
            }
        }
        let extra = g.as_object().unwrap().keys().filter(|k| *k != "ino" && !w.contains_key(*k)).count();
        if extra > 0 {
            return Err(format!("{}: restored fields the vector does not list", w["path"]));
        }
    }
    Ok(())
}

fn check(t: &Value) -> Result<(), String> {
    let file = match (t.get("file"), t.get("fileZlib")) {
        (Some(_), None) => hex_field(t, "file")?,
        (None, Some(_)) => inflate(&hex_field(t, "fileZlib")?)?,
        _ => return Err("exactly one of file and fileZlib".into()),
    };
    if t["fileLength"].as_u64() != Some(file.len() as u64) {
        return Err("fileLength differs from the file".into());
    }
    let key: [u8; 32] = hex_field(t, "key")?.try_into().map_err(|_| "key is not 32 bytes")?;
    let context = hex_field(t, "context")?;
    let open = || payload(&file, &key, &context);

    // The payload as it is.
    let mut raw = Vec::new();
    restore::to_stream(open(), &mut raw, true).map_err(|e| format!("raw restore: {e}"))?;
    if Some(raw.len() as u64) != t["payloadLength"].as_u64()
        || Some(sha256_hex(&raw).as_str()) != t["payloadSha256"].as_str()
    {
        return Err("the payload differs from payloadLength/payloadSha256".into());
    }

    let mut stream = Vec::new();
    let streamed = restore::to_stream(open(), &mut stream, false);
    let verified = restore::verify(open());
    let dir = tempfile::tempdir().unwrap();
    let mut staged = StagedTree::new(dir.path(), false).unwrap();
    let tree = restore::to_tree(open(), &mut staged).and_then(|s| staged.commit().map(|()| s));

    // The body, wherever the vector gives it: what a stream restore writes.
    if let Some(want) = t["bodySha256"].as_str() {
        streamed.as_ref().map_err(|e| format!("stream restore failed: {e}"))?;
        if sha256_hex(&stream) != want || Some(stream.len() as u64) != t["bodyLength"].as_u64() {
            return Err("the stream restore wrote another body".into());
        }
    }

    match (t["result"].as_str(), t["contentKind"].as_str()) {
        (Some("valid" | "acceptable"), Some("tar")) => {
            match tree {
                Ok(Summary::Tree { .. }) => {}
                Ok(other) => return Err(format!("tree restore gave {other:?}")),
                Err(e) => return Err(format!("tree restore failed: {e}")),
            }
            compare_listing(&listing(dir.path()), t["entries"].as_array().ok_or("no entries")?)?;
            match verified {
                Ok(Summary::Tree { .. }) => Ok(()),
                other => Err(format!("verify gave {other:?}")),
            }
        }
        (Some("valid" | "acceptable"), Some("stream")) => {
            match verified {
                Ok(Summary::Stream { bytes, .. }) if Some(bytes) == t["bodyLength"].as_u64() => {}
                other => return Err(format!("verify gave {other:?}")),
            }
            match tree {
                Err(ebak::Error::Content(ContentError::WrongKind { .. })) => Ok(()),
                other => Err(format!("a tree restore of a stream gave {other:?}")),
            }
        }
        (Some("valid"), Some("raw")) => {
            match verified {
                Ok(Summary::Raw { bytes }) if Some(bytes) == t["payloadLength"].as_u64() => {}
                other => return Err(format!("verify gave {other:?}")),
            }
            for (what, r) in [("stream", streamed.map(|_| ())), ("tree", tree.map(|_| ()))] {
                if !matches!(r, Err(ebak::Error::Content(ContentError::NotEbakContent))) {
                    return Err(format!("a {what} restore of raw data gave {r:?}"));
                }
            }
            Ok(())
        }
        (Some("invalid"), Some("stream")) => {
            let class = t["failureClass"].as_str().ok_or("no failureClass")?;
            for (what, r) in [("stream restore", streamed), ("verify", verified)] {
                match r {
                    Err(e) if class_of(&e) == class => {}
                    other => return Err(format!("{what} gave {other:?}, expected {class}")),
                }
            }
            Ok(())
        }
        (Some("invalid"), _) => {
            let class = t["failureClass"].as_str().ok_or("no failureClass")?;
            match tree {
                Err(e) if class_of(&e) == class => {}
                Err(e) => return Err(format!("tree restore failed with {} ({e}), expected {class}", class_of(&e))),
                Ok(s) => return Err(format!("tree restore accepted it: {s:?}")),
            }
            if std::fs::read_dir(dir.path()).unwrap().next().is_some() {
                return Err("a refused restore left something in the target".into());
            }
            // A verify finds every structural failure, and every refusal
            // that needs no file system (content spec 7.7): all but 7.4's,
            // writing through a symlink.
            let through_symlink = t["flags"].as_array().is_some_and(|f| f.iter().any(|f| f == "WriteThroughSymlink"));
            if !through_symlink {
                match verified {
                    Err(e) if class_of(&e) == class => {}
                    other => return Err(format!("verify gave {other:?}, expected {class}")),
                }
            }
            if t.get("bodySha256").is_none() {
                match streamed {
                    Err(e) if class_of(&e) == class => {}
                    other => return Err(format!("stream restore gave {other:?}, expected {class}")),
                }
            }
            Ok(())
        }
        other => Err(format!("unexpected result and contentKind {other:?}")),
    }
}

fn main() {
    let started = std::time::Instant::now();
    let (_, tests) = load(FILE, "ebak-v1-content", "EbakContentTest");
    let mut tally = Tally::default();
    let mut known = 0;
    let mut stale = Vec::new();
    for t in &tests {
        let comment = t["comment"].as_str().unwrap_or_default();
        let outcome = check(t);
        if let Some((_, why)) = KNOWN_DIFFERENCES.iter().find(|(c, _)| *c == comment) {
            match outcome {
                Err(e) => {
                    println!("known difference, tcId {} ({comment}): {why}: {e}", t["tcId"]);
                    known += 1;
                }
                Ok(()) => {
                    stale.push(format!("tcId {} ({comment}) now passes: take it off KNOWN_DIFFERENCES", t["tcId"]))
                }
            }
            continue;
        }
        tally.record(FILE, "ebak", t, outcome);
    }
    for c in KNOWN_DIFFERENCES {
        if !tests.iter().any(|t| t["comment"] == c.0) {
            stale.push(format!("KNOWN_DIFFERENCES names no vector: {}", c.0));
        }
    }
    let ok = tally.report(FILE, "ebak");
    println!("{known} known differences (content spec 10) ({:.1} s)", started.elapsed().as_secs_f64());
    for s in &stale {
        eprintln!("FAIL {FILE}: {s}");
    }
    if !ok || !stale.is_empty() {
        eprintln!("{FILE}: FAILED");
        std::process::exit(1);
    }
}
