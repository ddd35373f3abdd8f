//! The `stream` target: a file fed to a streaming opener in arbitrary
//! pieces, with arbitrary corruption, against the one-shot opener
//! (spec 6.1).
//!
//! The input decodes to a [`StreamInput`]: the target seals a file with the
//! fixed key, applies the mutations, and opens the result twice: in one
//! shot with [`ebak_core::file::open`], and as a streaming reader does,
//! with a [`FileStream`] fed pieces of the sizes the input chooses. It
//! checks that
//!
//! - both give the same verdict: the same plaintext, or the same error;
//! - after every piece, the plaintext released so far is exactly the
//!   plaintext of the chunks verified so far (16 KiB each), and is a prefix
//!   of the sealed plaintext: nothing past the last verified chunk, and
//!   nothing that was not sealed;
//! - once it failed, the stream keeps failing with the same error;
//! - an unchanged file gives what [`crate::input::expected_unchanged`] says.

use crate::input::{self, FileSpec, Mutation, Opener};
use arbitrary::{Arbitrary, Unstructured};
use ebak_core::aead::DefaultAead as A;
use ebak_core::chunk::CHUNK_SIZE;
use ebak_core::cobblestone::StreamOpener;
use ebak_core::error::OpenError;
use ebak_core::file::{self, Secret};
use ebak_core::header::{Header, HeaderError, MAX_HEADER_SIZE};
use ebak_core::kdf::KdfLimits;

/// The most mutations applied to one file (the rest are ignored).
pub const MAX_MUTATIONS: usize = 8;
/// The most pieces a file is fed in (the last one takes the rest).
pub const MAX_PIECES: usize = 1024;

/// A streaming reader of whole files, built from the core's parts the way
/// an I/O layer uses them: collect bytes until the header parses (spec 4.1:
/// never more than [`MAX_HEADER_SIZE`]), unlock it, then push the payload
/// through a [`StreamOpener`].
#[derive(Debug)]
pub struct FileStream<'a> {
    secret: Secret,
    context: &'a [u8],
    limits: KdfLimits,
    state: State,
}

#[derive(Debug)]
enum State {
    Header(Vec<u8>),
    Payload(Box<StreamOpener<A>>),
    Failed(OpenError),
}

impl<'a> FileStream<'a> {
    /// A reader for one file.
    #[must_use]
    pub const fn new(secret: Secret, context: &'a [u8], limits: KdfLimits) -> Self {
        Self { secret, context, limits, state: State::Header(Vec::new()) }
    }

    /// Chunks verified so far.
    #[must_use]
    pub const fn chunks_verified(&self) -> u64 {
        match &self.state {
            State::Payload(opener) => opener.chunks_verified(),
            State::Header(_) | State::Failed(_) => 0,
        }
    }

    fn fail(&mut self, e: OpenError) -> OpenError {
        self.state = State::Failed(e);
        e
    }

    /// Takes the next piece of the file; appends verified plaintext to `out`.
    ///
    /// # Errors
    ///
    /// The file does not open (spec 6), or an earlier piece failed.
    pub fn push(&mut self, piece: &[u8], out: &mut Vec<u8>) -> Result<(), OpenError> {
        match &mut self.state {
            State::Failed(e) => Err(*e),
            State::Payload(opener) => {
                let r = opener.push(piece, out).map_err(OpenError::from);
                r.map_err(|e| self.fail(e))
            }
            State::Header(buffer) => {
                buffer.extend_from_slice(piece);
                let (header, len) = match Header::parse_prefix(buffer) {
                    Ok(parsed) => parsed,
                    Err(HeaderError::Truncated) => {
                        // Spec 4.1: a header is at most MAX_HEADER_SIZE bytes,
                        // so that many always decide it.
                        assert!(buffer.len() < MAX_HEADER_SIZE, "header still truncated after {} bytes", buffer.len());
                        return Ok(());
                    }
                    Err(e) => return Err(self.fail(e.into())),
                };
                let rest = buffer.split_off(len);
                let opened = file::unlock::<A>(&header, &self.secret, &self.limits)
                    .and_then(|unlocked| unlocked.stream_opener::<A>(self.context));
                let mut opener = match opened {
                    Ok(opener) => opener,
                    Err(e) => return Err(self.fail(e)),
                };
                let r = opener.push(&rest, out).map_err(OpenError::from);
                self.state = State::Payload(Box::new(opener));
                r.map_err(|e| self.fail(e))
            }
        }
    }

    /// Ends the file.
    ///
    /// # Errors
    ///
    /// The file does not open, or an earlier piece failed.
    pub fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), OpenError> {
        match &mut self.state {
            State::Failed(e) => Err(*e),
            State::Payload(opener) => {
                let r = opener.finish(out).map_err(OpenError::from);
                r.map_err(|e| self.fail(e))
            }
            State::Header(buffer) => {
                // The whole file is shorter than its header.
                let e = Header::parse_prefix(buffer).err().unwrap_or(HeaderError::Truncated);
                Err(self.fail(e.into()))
            }
        }
    }
}

/// The target's input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamInput {
    /// The file to seal.
    pub spec: FileSpec,
    /// The secret and context to open with ([`input::opener`]).
    pub open: u8,
    /// Piece sizes, used in turn (0 counts as 1; after [`MAX_PIECES`]
    /// pieces, the rest of the file is one piece).
    pub pieces: [u16; 4],
    /// The changes made to the sealed file, in order.
    pub mutations: Vec<Mutation>,
}

impl StreamInput {
    /// Decodes the input.
    #[must_use]
    pub fn decode(data: &[u8]) -> Option<Self> {
        let mut u = Unstructured::new(data);
        let spec = FileSpec::arbitrary(&mut u).ok()?;
        let open = u8::arbitrary(&mut u).ok()?;
        let pieces = <[u16; 4]>::arbitrary(&mut u).ok()?;
        Some(Self { spec, open, pieces, mutations: input::decode_mutations(u, MAX_MUTATIONS) })
    }

    /// The target input that decodes to this.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.spec.encode(&mut out);
        out.push(self.open);
        for p in self.pieces {
            out.extend_from_slice(&p.to_le_bytes());
        }
        input::encode_mutations(&self.mutations, &mut out);
        out
    }
}

/// The target.
pub fn run(data: &[u8]) {
    if let Some(input) = StreamInput::decode(data) {
        check(&input);
    }
}

fn check(input: &StreamInput) {
    let built = input.spec.build();
    let mut file = built.file.clone();
    for m in &input.mutations {
        m.apply(&mut file, built.header_len);
    }
    let (opener, other_context) = input::opener(input.open);
    let context =
        if other_context { input::context(input.spec.context.wrapping_add(1)) } else { built.context.clone() };
    let one_shot = input::open_with(&file, opener, &context);

    let key = input::fuzz_key();
    let wrong = input::wrong_key();
    let secret = match opener {
        Opener::Key => Secret::key(&key),
        Opener::WrongKey => Secret::key(&wrong),
        Opener::Password => Secret::password(input::FUZZ_PASSWORD),
        Opener::OtherPassword => Secret::password(input::OTHER_PASSWORD),
        Opener::WrongPassword => Secret::password(input::WRONG_PASSWORD),
    };
    let mut stream = FileStream::new(secret, &context, input::FUZZ_LIMITS);
    let mut released = Vec::new();
    let mut verdict = Ok(());
    let mut rest: &[u8] = &file;
    let mut turn = 0;
    let mut checked = 0;
    while !rest.is_empty() {
        // After MAX_PIECES pieces the rest goes in one: tiny pieces of a big
        // file would cost a push per byte.
        let size = if turn + 1 < MAX_PIECES { usize::from(input.pieces[turn % 4]).max(1) } else { rest.len() };
        let size = size.min(rest.len());
        turn += 1;
        let (piece, later) = rest.split_at(size);
        rest = later;
        verdict = stream.push(piece, &mut released);
        // Spec 6.1: only whole verified chunks are released, in order, and
        // only what was sealed. (A failed stream no longer counts chunks.)
        if verdict.is_ok() {
            let verified = usize::try_from(stream.chunks_verified()).expect("a small count");
            assert_eq!(released.len(), verified * CHUNK_SIZE, "released bytes past the verified chunks");
        }
        assert_eq!(released.len() % CHUNK_SIZE, 0, "released part of a chunk before the end");
        // Compared as it grows (comparing all of it per piece is quadratic).
        assert!(
            built.plaintext.get(checked..released.len()) == released.get(checked..),
            "released plaintext that was not sealed"
        );
        checked = released.len();
        if verdict.is_err() {
            break;
        }
    }
    if verdict.is_ok() {
        verdict = stream.finish(&mut released);
    }
    match (&one_shot, &verdict) {
        (Ok(plaintext), Ok(())) => assert!(plaintext == &released, "streaming and one-shot plaintexts differ"),
        (Err(a), Err(b)) => assert_eq!(a, b, "streaming and one-shot verdicts differ"),
        (a, b) => panic!("one-shot {:?} but streaming {b:?}", a.as_ref().map(Vec::len)),
    }
    if let Err(e) = verdict {
        // Spec 6.1: a reader that has failed keeps failing with the same error.
        let before = released.len();
        assert_eq!(stream.push(&file, &mut released), Err(e), "the stream did not keep failing");
        assert_eq!(stream.finish(&mut released), Err(e), "the stream did not keep failing");
        assert_eq!(released.len(), before, "a failed stream released more");
    }
    if file == built.file {
        input::check_unchanged(&built, opener, other_context, &one_shot);
    } else {
        assert!(one_shot.is_err(), "a changed file opened");
    }
}
