//! Validates every vector file against its JSON Schema (draft-07) in
//! `vectors/schema/`, and checks that the schemas are strict: a copy of
//! each file with one field too many, or one required field missing, must
//! be rejected. Also checks that `vectors/README.md` lists every flag and
//! the right test counts.
//!
//! A custom harness, so that the counts are always printed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code: a failed expectation is a test failure"
)]

mod common;

use common::vectors_dir;
use serde_json::Value;

/// The vector files, their schemas, and for the strictness checks: a field
/// every valid test must have, and one every invalid test must have.
const FILES: &[(&str, &str, &str, &str)] = &[
    ("ebak_v1_file_test.json", "ebak_v1_file_test_schema.json", "backupKey", "failureStage"),
    ("ebak_v1_keywrap_test.json", "ebak_v1_keywrap_test_schema.json", "kek", "failureStage"),
    ("ebak_v1_recovery_key_test.json", "ebak_v1_recovery_key_test_schema.json", "formatted", "error"),
    ("ebak_v1_content_test.json", "ebak_v1_content_test_schema.json", "entries", "failureClass"),
    ("ebak_vault_v1_slot_test.json", "ebak_vault_v1_slot_test_schema.json", "keyId", "error"),
    ("ebak_vault_v1_wrap_test.json", "ebak_vault_v1_wrap_test_schema.json", "backupKey", "error"),
];

fn read(path: &std::path::Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The errors of `instance` against `validator`, as text.
fn errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator.iter_errors(instance).map(|e| format!("at {}: {e}", e.instance_path())).collect()
}

/// The first test whose result is `result`.
fn first_test<'a>(doc: &'a mut Value, result: &str) -> &'a mut serde_json::Map<String, Value> {
    doc["testGroups"][0]["tests"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|t| t["result"] == result)
        .unwrap_or_else(|| panic!("no {result} test"))
        .as_object_mut()
        .unwrap()
}

fn main() {
    let mut ok = true;
    let readme = std::fs::read_to_string(vectors_dir().join("README.md")).expect("vectors/README.md");
    for &(file, schema_file, valid_field, invalid_field) in FILES {
        let schema = read(&vectors_dir().join("schema").join(schema_file));
        let validator = jsonschema::draft7::new(&schema).unwrap_or_else(|e| panic!("{schema_file}: {e}"));
        let doc = read(&vectors_dir().join(file));
        assert_eq!(doc["schema"], schema_file, "{file} names another schema");

        let errs = errors(&validator, &doc);
        for e in errs.iter().take(20) {
            eprintln!("FAIL {file}: {e}");
        }
        let tests = doc["testGroups"]
            .as_array()
            .map_or(0, |g| g.iter().map(|g| g["tests"].as_array().map_or(0, Vec::len)).sum());

        // Strictness: each mutation must be rejected.
        let mut mutations: Vec<(&str, Value)> = Vec::new();
        let mut m = doc.clone();
        m.as_object_mut().unwrap().insert("unexpected".into(), Value::Null);
        mutations.push(("an unknown top-level field", m));
        let mut m = doc.clone();
        first_test(&mut m, "valid").insert("unexpected".into(), Value::Bool(true));
        mutations.push(("an unknown test field", m));
        let mut m = doc.clone();
        first_test(&mut m, "valid").remove(valid_field).unwrap();
        mutations.push(("a valid test without its required result field", m));
        let mut m = doc.clone();
        first_test(&mut m, "invalid").remove(invalid_field).unwrap();
        mutations.push(("an invalid test without its failure field", m));
        let mut m = doc.clone();
        first_test(&mut m, "invalid").insert(valid_field.into(), Value::String("00".repeat(32)));
        mutations.push(("an invalid test with a valid test's field", m));
        let mut m = doc.clone();
        first_test(&mut m, "valid").insert("result".into(), Value::String("maybe".into()));
        mutations.push(("an unknown result", m));
        let mut rejected = 0;
        for (what, m) in &mutations {
            if validator.is_valid(m) {
                eprintln!("FAIL {schema_file}: accepts {what}");
            } else {
                rejected += 1;
            }
        }
        // The README documents every flag and the number of tests.
        let mut documented = true;
        for flag in doc["notes"].as_object().unwrap().keys() {
            if !readme.contains(&format!("| `{flag}` |")) {
                eprintln!("FAIL vectors/README.md: no row for the flag {flag} of {file}");
                documented = false;
            }
        }
        if !readme.contains(&format!("[`{file}`]({file}) | {tests} |")) {
            eprintln!("FAIL vectors/README.md: the table does not say {file} has {tests} tests");
            documented = false;
        }
        let passed = errs.is_empty() && rejected == mutations.len() && documented;
        println!(
            "{file}: {} against {schema_file} ({tests} tests, {} errors); {rejected} of {} mutations rejected",
            if errs.is_empty() { "valid" } else { "INVALID" },
            errs.len(),
            mutations.len()
        );
        ok &= passed;
    }
    if !ok {
        eprintln!("schemas: FAILED");
        std::process::exit(1);
    }
}
