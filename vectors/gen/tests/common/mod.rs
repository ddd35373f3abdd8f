//! Helpers shared by the vector runners: loading a vector file, decoding
//! its fields, and counting results.
#![allow(dead_code, reason = "each runner uses a different subset")]

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The directory holding the vector files (`vectors/`).
pub fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Loads `vectors/<name>` and checks the Wycheproof frame: the algorithm,
/// the test count, unique tcIds from 1, and a note for every flag.
pub fn load(name: &str, algorithm: &str, group_type: &str) -> (Value, Vec<Value>) {
    let path = vectors_dir().join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc: Value = serde_json::from_slice(&bytes).expect("valid JSON");
    assert_eq!(doc["algorithm"], algorithm, "{name}: algorithm");
    let notes = doc["notes"].as_object().expect("notes");
    let mut tests = Vec::new();
    for group in doc["testGroups"].as_array().expect("testGroups") {
        assert_eq!(group["type"], group_type, "{name}: group type");
        for t in group["tests"].as_array().expect("tests") {
            for f in t["flags"].as_array().expect("flags") {
                assert!(
                    notes.contains_key(f.as_str().expect("flag")),
                    "{name}: tcId {}: flag {f} has no note",
                    t["tcId"]
                );
            }
            tests.push(t.clone());
        }
    }
    assert_eq!(doc["numberOfTests"].as_u64(), Some(tests.len() as u64), "{name}: numberOfTests");
    for (i, t) in tests.iter().enumerate() {
        assert_eq!(t["tcId"].as_u64(), Some(i as u64 + 1), "{name}: tcIds must count from 1");
    }
    (doc, tests)
}

/// Decodes lowercase hex; `Err` on anything else.
pub fn hex(s: &str) -> Result<Vec<u8>, String> {
    if !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Err(format!("not lowercase hex: {s:.40}"));
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|e| e.to_string())).collect()
}

/// Encodes lowercase hex.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A hex field of a test.
pub fn hex_field(t: &Value, key: &str) -> Result<Vec<u8>, String> {
    hex(t[key].as_str().ok_or_else(|| format!("missing {key}"))?)
}

/// Inflates a zlib stream.
pub fn inflate(bytes: &[u8]) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(bytes).read_to_end(&mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

/// SHA-512, as hex.
pub fn sha512_hex(data: &[u8]) -> String {
    use sha2::Digest;
    to_hex(&sha2::Sha512::digest(data))
}

/// Whether a test has `flag`.
pub fn has_flag(t: &Value, flag: &str) -> bool {
    t["flags"].as_array().is_some_and(|f| f.iter().any(|x| x == flag))
}

/// Tally of checked vectors, by result and, for invalid ones, by stage.
#[derive(Debug, Default)]
pub struct Tally {
    pub total: usize,
    pub passed: usize,
    pub by_result: BTreeMap<String, usize>,
    pub by_stage: BTreeMap<String, usize>,
}

impl Tally {
    /// Records the outcome of one vector; prints the tcId of a failure.
    pub fn record(&mut self, file: &str, backend: &str, t: &Value, outcome: Result<(), String>) {
        self.total += 1;
        match outcome {
            Ok(()) => {
                self.passed += 1;
                let result = t["result"].as_str().unwrap_or("?").to_owned();
                *self.by_result.entry(result).or_default() += 1;
                // The stage that rejects an invalid vector (or, for 64-digit
                // keys, the kind of error).
                let stage = t
                    .get("failureStage")
                    .or_else(|| t.get("failureClass"))
                    .or_else(|| t.get("error").and_then(|e| e.get("kind")));
                if let Some(stage) = stage.and_then(Value::as_str) {
                    *self.by_stage.entry(stage.to_owned()).or_default() += 1;
                }
            }
            Err(why) => eprintln!("FAIL {file} tcId {} [{backend}]: {why} ({})", t["tcId"], t["comment"]),
        }
    }

    /// Prints the summary line; true if every vector passed.
    pub fn report(&self, file: &str, backend: &str) -> bool {
        let count = |k: &str| self.by_result.get(k).copied().unwrap_or(0);
        let stages: Vec<String> = self.by_stage.iter().map(|(s, n)| format!("{n} {s}")).collect();
        let stages = if stages.is_empty() { String::new() } else { format!(": {}", stages.join(", ")) };
        println!(
            "{file} [{backend}]: {} of {} passed ({} valid, {} acceptable, {} invalid{stages})",
            self.passed,
            self.total,
            count("valid"),
            count("acceptable"),
            count("invalid"),
        );
        self.passed == self.total && self.total > 0
    }
}
