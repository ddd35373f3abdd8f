//! The fuzz corpora, without the fuzzer: every file under
//! `fuzz/corpus/<target>/` and `fuzz/regressions/<target>/` is replayed
//! through the target's `run` function, the very code the libFuzzer binary
//! runs. Also checks that the checked-in seeds are exactly what the vectors
//! give (`EBAK_WRITE_FUZZ_SEEDS=1 cargo test -p ebak-fuzz-harness --test
//! corpus` rewrites them), and that the targets are declared consistently.
#![allow(
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed expectation is a test failure"
)]

mod seeds;

use ebak_fuzz_harness::TARGETS;
use std::collections::BTreeSet;
use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The files of a directory, sorted by name (none if it does not exist).
fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else { return Vec::new() };
    let mut out: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect();
    out.sort();
    out
}

#[test]
fn every_corpus_and_regression_file_passes_its_target() {
    let mut failures = Vec::new();
    for target in TARGETS {
        let corpus = files(&fuzz_dir().join("corpus").join(target.name));
        let regressions = files(&fuzz_dir().join("regressions").join(target.name));
        assert!(!corpus.is_empty(), "fuzz/corpus/{} is empty: seed it", target.name);
        for path in corpus.iter().chain(&regressions) {
            let data = fs::read(path).unwrap();
            if let Err(e) = catch_unwind(AssertUnwindSafe(|| (target.run)(&data))) {
                let msg =
                    e.downcast_ref::<String>().cloned().or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()));
                failures.push(format!("{}: {}", path.display(), msg.unwrap_or_default()));
            }
        }
        println!("{}: {} corpus files, {} regression files replayed", target.name, corpus.len(), regressions.len());
    }
    assert!(failures.is_empty(), "{} inputs broke a property:\n{}", failures.len(), failures.join("\n"));
}

/// Targets whose seeds are not drawn from `vectors/` but written and checked
/// by their own crate's tests: `crypt15_header`'s come from ebak-crypt15's
/// test encoder (`cargo test -p ebak-crypt15 --test hostile` requires the
/// checked-in files to be exactly what it writes).
const SEEDED_ELSEWHERE: &[&str] = &["crypt15_header"];

#[test]
fn the_checked_in_seeds_are_what_the_vectors_give() {
    let want = seeds::all();
    let write = std::env::var_os("EBAK_WRITE_FUZZ_SEEDS").is_some();
    let mut problems = Vec::new();
    for target in TARGETS.iter().filter(|t| !SEEDED_ELSEWHERE.contains(&t.name)) {
        let dir = fuzz_dir().join("corpus").join(target.name);
        let expected: Vec<&seeds::Seed> = want.iter().filter(|s| s.target == target.name).collect();
        assert!(!expected.is_empty(), "no seeds for target {}", target.name);
        let names: BTreeSet<&str> = expected.iter().map(|s| s.name.as_str()).collect();
        if write {
            fs::create_dir_all(&dir).unwrap();
        }
        for path in files(&dir) {
            let name = path.file_name().unwrap().to_str().unwrap();
            if name.starts_with("seed-") && !names.contains(name) {
                if write {
                    fs::remove_file(&path).unwrap();
                } else {
                    problems.push(format!("stale seed {}", path.display()));
                }
            }
        }
        for seed in expected {
            let path = dir.join(&seed.name);
            if fs::read(&path).ok().as_deref() != Some(&seed.data[..]) {
                if write {
                    fs::write(&path, &seed.data).unwrap();
                } else {
                    problems.push(format!("missing or different seed {}", path.display()));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "the corpus seeds differ from the vectors (EBAK_WRITE_FUZZ_SEEDS=1 cargo test -p ebak-fuzz-harness \
         --test corpus rewrites them):\n{}",
        problems.join("\n")
    );
    let total: usize = want.iter().map(|s| s.data.len()).sum();
    println!("{} seeds, {total} bytes", want.len());
    assert!(total < 2 << 20, "the seeds should stay small ({total} bytes)");
}

#[test]
fn structured_seeds_decode_to_what_they_encode() {
    // The seeds are written with hand-written encoders of the `arbitrary`
    // layout; if `arbitrary` changes how it reads bytes, this says so.
    seeds::check_encoders();
}

#[test]
fn targets_are_declared_in_all_four_places() {
    let names: BTreeSet<&str> = TARGETS.iter().map(|t| t.name).collect();
    assert_eq!(names.len(), TARGETS.len(), "duplicate target names");
    let sources: BTreeSet<String> = files(&fuzz_dir().join("fuzz_targets"))
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .map(|p| p.file_stem().unwrap().to_str().unwrap().to_string())
        .collect();
    assert_eq!(sources.iter().map(String::as_str).collect::<BTreeSet<_>>(), names, "fuzz/fuzz_targets/*.rs");
    let manifest = fs::read_to_string(fuzz_dir().join("Cargo.toml")).unwrap();
    let bins: BTreeSet<&str> = manifest
        .split("\n[[bin]]\n")
        .skip(1)
        .map(|b| b.split("name = \"").nth(1).unwrap().split('"').next().unwrap())
        .collect();
    assert_eq!(bins, names, "[[bin]] entries of fuzz/Cargo.toml");
    for name in &names {
        let src = fs::read_to_string(fuzz_dir().join("fuzz_targets").join(format!("{name}.rs"))).unwrap();
        assert!(
            src.contains(&format!("ebak_fuzz_harness::{name}::run(data)")),
            "fuzz_targets/{name}.rs must be a thin wrapper around ebak_fuzz_harness::{name}::run"
        );
        assert!(manifest.contains(&format!("path = \"fuzz_targets/{name}.rs\"")), "[[bin]] {name} path");
    }
}
