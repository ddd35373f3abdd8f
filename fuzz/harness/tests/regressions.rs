//! Inputs that once failed a fuzz target, kept forever (fuzz/README.md,
//! "Minimizing, and turning a crash into a regression test"). Each test
//! runs the target's own checks on the file, then asserts what the input
//! is about.

use ebak::Error;
use ebak::content::ContentError;

/// Found by the `content` target in CI (2026-12-04): a PAX global header
/// (`'g'`) whose second record's length is wrong, before a good file. A
/// restore parsed the global header's records and refused the archive as
/// malformed; a verify skipped them and accepted it (content spec 6.8 and
/// 7.7: both must refuse it).
#[test]
fn content_global_header_with_a_malformed_record_is_refused_by_verify_and_restore() {
    let data = include_bytes!("../../regressions/content/global-header-malformed-record");
    ebak_fuzz_harness::content::run(data);
    let (verified, restored) = ebak_fuzz_harness::content::outcomes(data);
    for (what, outcome) in [("verify", verified), ("restore", restored)] {
        assert!(matches!(outcome, Err(Error::Content(ContentError::Malformed { .. }))), "{what}: {outcome:?}");
    }
}
