//! The `content` target: the ebak content reader (content spec 3 to 7) on
//! any payload, through the library's own entry points, as the tool runs
//! them.
//!
//! The input is a decrypted payload: the content header, then a body that
//! may be zstd and a tar archive, all hostile. The target seals it as an
//! ebak file under the fixed fuzz key (so the AEAD lets every byte
//! through), then reads it twice: with [`restore::verify`] (what `ebak
//! verify` and `ebak ls` run) and with [`restore::to_tree`] into a fresh
//! temporary directory (what `ebak restore -C` runs). It checks that
//!
//! - neither panics, and each answers with a result;
//! - a restore refused for a reason that needs no file system (a name
//!   that leaves the target, a link without a target, a hard link to no
//!   earlier file, a type ebak does not restore) was refused by the
//!   verify too: a verify refuses what any restore would (content spec
//!   7.7);
//! - a verify that accepts a tree is followed by a restore that accepts
//!   it, or that fails only on what depends on the file system (writing
//!   through a symlink the archive made, the archive library's refusal to
//!   write over what an earlier entry put there, an I/O error such as a
//!   name too long), or refuses a payload that holds no tree;
//! - a restore that accepts a tree was accepted by the verify, with the
//!   same number of entries;
//! - nothing is written outside the temporary directory's staging area: a
//!   refused or failed restore leaves the target directory empty.

use crate::input;
use ebak::content::staged::StagedTree;
use ebak::content::{ContentError, Refusal};
use ebak::restore::{self, Summary};
use ebak::{Backend, Error, Locked, StreamOptions};
use ebak_core::secret::Secret;

/// The fixed payload salt.
const SALT: [u8; 24] = [0x5a; 24];

fn payload<'a>(file: &'a [u8], secret: &Secret) -> ebak::Payload<&'a [u8]> {
    let locked = Locked::read(file).expect("the target's own header parses");
    let unlocked = locked.unlock(secret).expect("the fuzz key opens the target's own file");
    let serial = StreamOptions { threads: 1, progress: None };
    locked.open(&unlocked, b"", serial).expect("the target's own payload prefix checks")
}

/// A refusal that needs no file system: a verify must find it too.
const fn archive_only(reason: &Refusal) -> bool {
    matches!(
        reason,
        Refusal::LeavesTarget
            | Refusal::NoLinkTarget
            | Refusal::HardLinkOutside
            | Refusal::HardLinkMissing
            | Refusal::UnsupportedType(_)
    )
}

/// What a restore may fail on after a verify accepted the payload.
fn allowed_after_verify(e: &Error) -> bool {
    match e {
        Error::Content(ContentError::Refused { reason, .. }) => {
            matches!(reason, Refusal::ThroughSymlink | Refusal::Unpack(_))
        }
        Error::Content(ContentError::WrongKind { .. } | ContentError::NotEbakContent) | Error::Io { .. } => true,
        _ => false,
    }
}

/// What a verify and a restore (into a temporary directory, then dropped)
/// answer on the payload `data`, sealed under the fuzz key.
///
/// # Panics
///
/// The restore left anything in its target.
pub fn outcomes(data: &[u8]) -> (Result<Summary, Error>, Result<Summary, Error>) {
    let key = input::fuzz_key();
    let file = ebak_core::file::seal::<Backend>(&key, Vec::new(), b"", &SALT, data).expect("seal");
    let secret = Secret::key(&key);
    let verified = restore::verify(payload(&file, &secret));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let target = dir.path().join("target");
    std::fs::create_dir(&target).expect("the target directory");
    let restored = {
        let mut staged = StagedTree::new(&target, false).expect("the staging directory");
        restore::to_tree(payload(&file, &secret), &mut staged)
        // Dropped without commit: the staging directory goes with it.
    };
    let left: Vec<_> = std::fs::read_dir(&target).expect("the target").collect();
    assert!(left.is_empty(), "the restore left {} entries in the target", left.len());
    (verified, restored)
}

/// Runs the target on one input.
pub fn run(data: &[u8]) {
    let (verified, restored) = outcomes(data);
    match (&verified, &restored) {
        (Ok(Summary::Tree { entries: v, .. }), Ok(Summary::Tree { entries: r, .. })) => {
            assert_eq!(v, r, "verify and restore counted different entries");
        }
        (_, Ok(Summary::Tree { .. })) => panic!("a restore accepted a tree the verify refused: {verified:?}"),
        (Ok(_), Err(e)) => {
            assert!(allowed_after_verify(e), "the verify accepted what the restore refused: {e:?}");
        }
        (Err(_), _) | (Ok(_), Ok(_)) => {}
    }
    if let Err(Error::Content(ContentError::Refused { reason, .. })) = &restored
        && archive_only(reason)
    {
        assert!(verified.is_err(), "the restore refused ({reason:?}) what the verify accepted");
    }
}
