//! Every invalid vector breaks exactly one rule: the generator's check
//! (`ebak_vectors::one_change`) finds, for each, a valid input one change
//! away in a part its failure stage covers, and the base opens. And the
//! check itself bites: a vector with two changes, or a change its stage
//! does not cover, is reported.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "test code: a failed expectation is a test failure"
)]

use ebak_vectors::{file_vectors, keywrap_vectors};

#[test]
fn every_invalid_vector_is_one_change_from_a_valid_one() {
    let (file, report) = file_vectors::generate_checked();
    for l in &report.lines {
        println!("file {l}");
    }
    assert!(report.problems.is_empty(), "{}", report.problems.join("\n"));
    let invalid = file.test_groups[0].tests.iter().filter(|t| t.failure_stage.is_some()).count();
    assert_eq!(report.lines.len(), invalid, "every invalid file vector was checked");

    let (slots, report) = keywrap_vectors::generate_checked();
    for l in &report.lines {
        println!("keywrap {l}");
    }
    assert!(report.problems.is_empty(), "{}", report.problems.join("\n"));
    let invalid = slots.test_groups[0].tests.iter().filter(|t| t.failure_stage.is_some()).count();
    assert_eq!(report.lines.len(), invalid, "every invalid key-slot vector was checked");
}

mod bites {
    //! The check reports what it must: two changes at once, and a change
    //! its stage does not cover.
    use ebak_core::aead::DefaultAead;
    use ebak_core::{BackupKey, file};
    use ebak_vectors::model::{FileTest, SecretType, Stage, TestResult};
    use ebak_vectors::one_change::check_file_vectors;
    use ebak_vectors::seed::hex;

    const KEY: [u8; 32] = [0x42; 32];

    /// A valid file opened with its key (the base), as a vector.
    fn test(tc_id: usize, file: &[u8], context: &[u8], stage: Option<Stage>) -> FileTest {
        FileTest {
            tc_id,
            secret_type: Some(SecretType::Key),
            key: Some(hex(&KEY)),
            context: hex(context),
            file: Some(hex(file)),
            file_length: file.len(),
            backup_key: stage.is_none().then(|| hex(&KEY)),
            result: Some(if stage.is_some() { TestResult::Invalid } else { TestResult::Valid }),
            failure_stage: stage,
            ..FileTest::default()
        }
    }

    fn sealed() -> Vec<u8> {
        let key = BackupKey::from_bytes(KEY);
        file::seal::<DefaultAead>(&key, Vec::new(), b"ctx", &[7; 24], &[1; 40_000]).unwrap()
    }

    fn problems(invalid: &[u8], context: &[u8], stage: Stage) -> Vec<String> {
        let base = sealed();
        let tests = [test(1, &base, b"ctx", None), test(2, invalid, context, Some(stage))];
        check_file_vectors(&tests, &[]).problems
    }

    #[test]
    fn one_change_in_a_part_its_stage_covers_passes() {
        let mut m = sealed();
        m[43 + 56 + 100] ^= 1; // a chunk byte
        assert!(problems(&m, b"ctx", Stage::Payload).is_empty());
        assert!(problems(&sealed(), b"other", Stage::Commitment).is_empty());
        let mut m = sealed();
        m[42] ^= 1; // the header MAC
        assert!(problems(&m, b"ctx", Stage::HeaderMac).is_empty());
    }

    #[test]
    fn two_changes_are_reported() {
        let mut m = sealed();
        m[42] ^= 1; // the header MAC
        m[43 + 56 + 100] ^= 1; // and a chunk byte
        assert_eq!(problems(&m, b"ctx", Stage::HeaderMac).len(), 1);
        // A changed file tried in another context.
        let mut m = sealed();
        m[43 + 56 + 100] ^= 1;
        assert_eq!(problems(&m, b"other", Stage::Commitment).len(), 1);
    }

    #[test]
    fn a_change_the_stage_does_not_cover_is_reported() {
        let mut m = sealed();
        m[43 + 56 + 100] ^= 1; // a chunk byte, said to fail at the commitment
        assert_eq!(problems(&m, b"ctx", Stage::Commitment).len(), 1);
        let mut m = sealed();
        m[43 + 3] ^= 1; // the payload salt, said to fail in the chunks
        assert_eq!(problems(&m, b"ctx", Stage::Payload).len(), 1);
        // The header MAC, said to be a header grammar failure: a parse
        // failure must keep a correct MAC.
        let mut m = sealed();
        m[42] ^= 1;
        assert_eq!(problems(&m, b"ctx", Stage::HeaderParse).len(), 1);
    }
}
