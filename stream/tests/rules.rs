//! Rules of the I/O layer that mutation testing (`proofs/mutants.sh`) found
//! no test defending. Each test names the rule.
#![allow(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failed expectation is a test failure"
)]

mod common;

use common::{CHUNK, CONTEXT, KEY, SALT, message};
use ebak_core::aead::DefaultAead as A;
use ebak_core::cobblestone::{self, PayloadError};
use ebak_stream::{Failure, OpenError, Options, SealError};
use std::error::Error;
use std::io::{self, Read};

/// A reader that is interrupted before every read that would return data.
struct Jumpy<'a> {
    data: &'a [u8],
    interrupt: bool,
}

impl Read for Jumpy<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.interrupt = !self.interrupt;
        if self.interrupt {
            return Err(io::Error::from(io::ErrorKind::Interrupted));
        }
        let n = buf.len().min(self.data.len()).min(1000);
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// A reader that fails, for good, with a real error.
struct Dead;

impl Read for Dead {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Err(io::Error::other("unplugged"))
    }
}

/// `Read`'s contract: `Interrupted` means "try again". Opening and sealing
/// retry it, and give the same bytes as an uninterrupted run.
#[test]
fn an_interrupted_read_is_retried() {
    let msg = message(3 * CHUNK + 5);
    let ct = cobblestone::seal::<A>(&KEY, &SALT, CONTEXT, &msg).unwrap();
    for threads in [1, 2] {
        let opts = Options { threads, progress: None };
        let mut out = Vec::new();
        let n = ebak_stream::open::<A>(&KEY, CONTEXT, Jumpy { data: &ct, interrupt: false }, &mut out, &opts).unwrap();
        assert_eq!((n, &out), (msg.len() as u64, &msg), "open, {threads} threads");
        let mut sealed = Vec::new();
        ebak_stream::seal::<A>(&KEY, &SALT, CONTEXT, Jumpy { data: &msg, interrupt: false }, &mut sealed, &opts)
            .unwrap();
        assert!(sealed == ct, "seal, {threads} threads");
    }
}

/// Any other read error is an error, reported, not retried for ever.
#[test]
fn a_failing_input_is_an_error() {
    for threads in [1, 2] {
        let opts = Options { threads, progress: None };
        let r = ebak_stream::open::<A>(&KEY, CONTEXT, Dead, io::sink(), &opts);
        assert!(matches!(r, Err(OpenError::Io(ref e)) if e.to_string().contains("unplugged")), "{r:?}");
        let r = ebak_stream::seal::<A>(&KEY, &SALT, CONTEXT, Dead, io::sink(), &opts);
        assert!(matches!(r, Err(SealError::Io(ref e)) if e.to_string().contains("unplugged")), "{r:?}");
    }
}

/// The errors say what failed, and lead to their cause (`source`), as an
/// application prints and inspects them.
#[test]
fn errors_say_what_failed_and_keep_their_cause() {
    let io_error = || io::Error::other("disk on fire");
    let payload = PayloadError::Chunk { index: 4 };
    let open_io = OpenError::Io(io_error());
    let open_payload = OpenError::Payload(payload);
    let seal_io = SealError::Io(io_error());
    let seal_refused = SealError::Payload(cobblestone::SealError::TooManyChunks);
    for (shown, cause) in [
        (open_io.to_string(), open_io.source().map(ToString::to_string)),
        (open_payload.to_string(), open_payload.source().map(ToString::to_string)),
        (seal_io.to_string(), seal_io.source().map(ToString::to_string)),
        (seal_refused.to_string(), seal_refused.source().map(ToString::to_string)),
    ] {
        assert!(shown.len() > 4, "{shown:?}");
        assert_eq!(cause.as_deref(), Some(shown.as_str()), "the cause is the error it wraps");
    }
    assert!(open_payload.to_string().contains('4'));
    let failures = [
        Failure::Payload(payload),
        Failure::Refused(cobblestone::SealError::Finished),
        Failure::Io { kind: io::ErrorKind::NotFound, message: "gone".into() },
        Failure::Worker,
    ];
    let shown: Vec<String> = failures.iter().map(ToString::to_string).collect();
    for s in &shown {
        assert!(s.len() >= 4, "{s:?}");
    }
    assert_eq!(shown[2], "gone");
    assert_eq!(shown.iter().collect::<std::collections::BTreeSet<_>>().len(), shown.len());
}

/// A reader or writer that claims to have moved more bytes than it was
/// given is broken: that is an I/O error, never bytes made up or skipped.
#[test]
fn a_reader_or_writer_that_claims_too_much_is_an_error() {
    struct Liar;
    impl Read for Liar {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            Ok(buf.len() + 1)
        }
        fn read_vectored(&mut self, bufs: &mut [io::IoSliceMut<'_>]) -> io::Result<usize> {
            Ok(bufs.iter().map(|b| b.len()).sum::<usize>() + 1)
        }
    }
    impl io::Write for Liar {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            Ok(buf.len() + 1)
        }
        fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
            Ok(bufs.iter().map(|b| b.len()).sum::<usize>() + 1)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let msg = message(2 * CHUNK + 9);
    let ct = cobblestone::seal::<A>(&KEY, &SALT, CONTEXT, &msg).unwrap();
    for threads in [1, 2] {
        let opts = Options { threads, progress: None };
        let r = ebak_stream::open::<A>(&KEY, CONTEXT, &ct[..], Liar, &opts);
        assert!(matches!(r, Err(OpenError::Io(_))), "open into a lying writer: {r:?}");
        let r = ebak_stream::seal::<A>(&KEY, &SALT, CONTEXT, Liar, io::sink(), &opts);
        assert!(matches!(r, Err(SealError::Io(_))), "seal from a lying reader: {r:?}");
        // Not checked yet: sealing into a lying writer. `SealWriter::with_key`
        // writes the 56-byte prefix with std's `Write::write_all`, which
        // panics on such a writer instead of failing.
    }
}

/// `SealWriter::plaintext_len` counts every byte it accepted, sealed or
/// still in flight on the workers, at any thread count.
#[test]
fn the_seal_writer_counts_what_it_accepted() {
    use ebak_stream::SealWriter;
    use std::io::Write;
    let msg = message(3 * ebak_stream::BATCH_CHUNKS * CHUNK + 1234);
    let ct = cobblestone::seal::<A>(&KEY, &SALT, CONTEXT, &msg).unwrap();
    for threads in [1, 2, 4] {
        let mut w = SealWriter::<_, A>::with_key(&KEY, &SALT, CONTEXT, Vec::new(), threads).unwrap();
        let mut given = 0;
        for piece in msg.chunks(100_003) {
            w.write_all(piece).unwrap();
            given += piece.len();
            assert_eq!(w.plaintext_len(), given as u64, "{threads} threads");
        }
        let (out, len) = w.finish().unwrap();
        assert_eq!(len, msg.len() as u64);
        assert!(out == ct, "{threads} threads: not the serial bytes");
    }
}

/// A writer interrupted part-way is written to again (`Interrupted` means
/// "try again"): the plaintext arrives whole.
#[test]
fn an_interrupted_write_is_retried() {
    struct Jumpy(Vec<u8>, bool);
    impl io::Write for Jumpy {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.1 = !self.1;
            if self.1 {
                return Err(io::Error::from(io::ErrorKind::Interrupted));
            }
            let n = buf.len().min(777);
            self.0.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
            let first = bufs.iter().find(|b| !b.is_empty()).map_or(&[][..], |b| &b[..]);
            self.write(first)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let msg = message(2 * CHUNK + 99);
    let ct = cobblestone::seal::<A>(&KEY, &SALT, CONTEXT, &msg).unwrap();
    for threads in [1, 2] {
        let mut out = Jumpy(Vec::new(), false);
        ebak_stream::open::<A>(&KEY, CONTEXT, &ct[..], &mut out, &Options { threads, progress: None }).unwrap();
        assert!(out.0 == msg, "{threads} threads");
    }
}

/// An `OpenReader` prints where it stands, not its keys or plaintext.
#[test]
fn an_open_reader_prints_its_state() {
    let ct = cobblestone::seal::<A>(&KEY, &SALT, CONTEXT, b"hello").unwrap();
    let reader = ebak_stream::OpenReader::<_, A>::with_key(&KEY, CONTEXT, &ct[..], 1).unwrap();
    let shown = format!("{reader:?}");
    assert!(
        shown.starts_with("OpenReader") && shown.contains("released: 0") && shown.contains("done: false"),
        "{shown}"
    );
    assert!(!shown.contains("hello"));
}
