//! Files whose header and secret are fine but whose payload is not: the
//! commitment (spec 6 step 4.2) and the chunks (4.1, 4.3).

use super::fixtures::{CONTEXT, Fixtures, PASSWORD_1, join};
use super::{Gen, Secret};
use crate::model::Stage::{Commitment, Payload};
use crate::payload;
use crate::seed;
use ebak_core::aead::DefaultAead;
use ebak_core::chunk::{ENCRYPTED_CHUNK_SIZE, PREFIX_SIZE};
use ebak_core::cobblestone::{self, ChunkCipher};
use ebak_core::file::payload_context;
use ebak_core::slot::PASSWORD_SLOT_LABEL;

pub fn add(g: &mut Gen, f: &Fixtures) {
    commitment(g, f);
    truncation(g, f);
    trailing_data(g, f);
    reordering_and_modification(g, f);
}

#[rustfmt::skip] // One vector per line.
fn commitment(g: &mut Gen, f: &Fixtures) {
    let k = Secret::Key(&f.key_a);
    let s = &f.short.bytes;
    let none = f.header_a(&[]);
    let file = join(&none, s);
    g.fails("wrong application context: empty instead of \"msgstore\"", &["WrongContext"], k, b"", &file, Commitment, Some(43));
    g.fails("wrong application context: \"msgstorf\"", &["WrongContext"], k, b"msgstorf", &file, Commitment, Some(43));
    g.fails("wrong application context: \"msgstore\" followed by a zero byte", &["WrongContext"], k, b"msgstore\x00", &file, Commitment, Some(43));
    let p = payload::seal(&f.key_a, &seed::array("file/payload-salt/empty-context"), b"", b"made with the empty context".to_vec());
    g.fails("wrong application context: \"msgstore\" for a file made with the empty context", &["WrongContext"], k, CONTEXT, &join(&none, &p.bytes), Commitment, Some(43));
    g.fails("wrong application context, opened with the password", &["WrongContext"], Secret::Password(PASSWORD_1), b"", &join(&f.header_a(&[&f.slot_1]), s), Commitment, Some(178));
    let mut m = file.clone();
    m[43] ^= 0x01;
    g.fails("first byte of the payload salt modified", &["ModifiedCiphertext"], k, CONTEXT, &m, Commitment, Some(43));
    let mut m = file.clone();
    m[43 + 55] ^= 0x80;
    g.fails("last byte of the payload commitment modified", &["ModifiedCiphertext"], k, CONTEXT, &m, Commitment, Some(43));
    let foreign = payload::seal(&f.key_b, &seed::array("file/payload-salt/foreign"), CONTEXT, b"sealed under another backup key".to_vec());
    g.fails("a valid header under the key, followed by a payload sealed under another key", &["ForeignPayload"], k, CONTEXT, &join(&none, &foreign.bytes), Commitment, Some(43));

    let salt: [u8; 24] = seed::array("file/payload-salt/writer-bug");
    let msg = b"writer bug";
    let mut no_separator = b"ebak/v1/payload".to_vec();
    no_separator.extend_from_slice(CONTEXT);
    let bug = cobblestone::seal::<DefaultAead>(&f.key_a, &salt, &no_separator, msg).unwrap();
    g.fails("writer bug: the payload context without the 0x00 after the label", &["WriterBug"], k, CONTEXT, &join(&none, &bug), Commitment, Some(43));
    let bug = cobblestone::seal::<DefaultAead>(&f.key_a, &salt, CONTEXT, msg).unwrap();
    g.fails("writer bug: the application context alone as the Cobblestone context (no label)", &["WriterBug"], k, CONTEXT, &join(&none, &bug), Commitment, Some(43));
    let mut wrong_label = PASSWORD_SLOT_LABEL.to_vec();
    wrong_label.push(0);
    wrong_label.extend_from_slice(CONTEXT);
    let bug = cobblestone::seal::<DefaultAead>(&f.key_a, &salt, &wrong_label, msg).unwrap();
    g.fails("writer bug: the payload sealed with the password-slot label", &["WriterBug"], k, CONTEXT, &join(&none, &bug), Commitment, Some(43));
    assert_ne!(payload_context(CONTEXT).unwrap(), wrong_label);
}

#[rustfmt::skip] // One vector per line.
fn truncation(g: &mut Gen, f: &Fixtures) {
    let k = Secret::Key(&f.key_a);
    let none = f.header_a(&[]);
    let s = &f.short;
    let file = join(&none, &s.bytes);
    for (len, what) in [
        (0, "the file ends right after the header: no payload"),
        (24, "payload of 24 bytes: the salt alone"),
        (55, "payload of 55 bytes: one byte short of salt and commitment"),
    ] {
        g.fails(&format!("payload truncated: {what}"), &["Truncation"], k, CONTEXT, &file[..43 + len], Payload, Some(43));
    }
    let key = &f.key_a;
    let empty = payload::seal(key, &seed::array("file/payload-salt/empty"), CONTEXT, Vec::new());
    g.fails_in_payload("empty message whose final chunk (a lone tag) is missing: salt and commitment only", &["Truncation", "EmptyMessage"], key, &none, &empty, &empty.bytes[..PREFIX_SIZE], 0);
    let n = s.bytes.len();
    g.fails_in_payload("single final chunk cut to 15 bytes, shorter than a tag", &["Truncation"], key, &none, s, &s.bytes[..PREFIX_SIZE + 15], 0);
    g.fails_in_payload("single final chunk missing its last byte", &["Truncation"], key, &none, s, &s.bytes[..n - 1], 0);

    let full1 = f.keystream_a("boundary-16384", 16_384);
    g.fails_in_payload("16 KiB message without its empty final chunk: it ends in a full-size chunk", &["Truncation", "PartialPlaintext", "ChunkBoundary", "KeystreamPlaintext"], key, &none, &full1, &full1.bytes[..PREFIX_SIZE + ENCRYPTED_CHUNK_SIZE], 1);
    let full2 = f.keystream_a("boundary-32768", 32_768);
    g.fails_in_payload("32 KiB message without its empty final chunk: two full chunks, then the end", &["Truncation", "PartialPlaintext", "ChunkBoundary", "KeystreamPlaintext"], key, &none, &full2, &full2.bytes[..PREFIX_SIZE + 2 * ENCRYPTED_CHUNK_SIZE], 2);
    let three = f.keystream_a("three", 2 * 16_384 + 1000);
    let t = &three.bytes;
    g.fails_in_payload("two full chunks and a final chunk, cut in the middle of chunk 1", &["Truncation", "PartialPlaintext", "KeystreamPlaintext"], key, &none, &three, &t[..PREFIX_SIZE + ENCRYPTED_CHUNK_SIZE + 8_000], 1);
    g.fails_in_payload("two full chunks and a final chunk, the final chunk missing", &["Truncation", "PartialPlaintext", "KeystreamPlaintext"], key, &none, &three, &t[..PREFIX_SIZE + 2 * ENCRYPTED_CHUNK_SIZE], 2);
    g.fails_in_payload("two full chunks and a final chunk missing its last byte", &["Truncation", "PartialPlaintext", "KeystreamPlaintext"], key, &none, &three, &t[..t.len() - 1], 2);
    let many = f.keystream_a("rollover", 256 * 16_384 + 1000);
    g.fails_in_payload("257 chunks, the final chunk (index 256) missing", &["Truncation", "PartialPlaintext", "CounterRollover", "KeystreamPlaintext"], key, &none, &many, &many.bytes[..PREFIX_SIZE + 256 * ENCRYPTED_CHUNK_SIZE], 256);
}

#[rustfmt::skip] // One vector per line.
fn trailing_data(g: &mut Gen, f: &Fixtures) {
    let key = &f.key_a;
    let none = f.header_a(&[]);
    let s = &f.short;
    let with = |p: &[u8], extra: &[u8]| { let mut v = p.to_vec(); v.extend_from_slice(extra); v };
    g.fails_in_payload("one zero byte after the final chunk", &["TrailingData"], key, &none, s, &with(&s.bytes, &[0]), 0);
    let pad = ENCRYPTED_CHUNK_SIZE - (s.bytes.len() - PREFIX_SIZE);
    g.fails_in_payload("trailing bytes that make the final chunk exactly 16400 bytes: read as a full chunk, which fails", &["TrailingData"], key, &none, s, &with(&s.bytes, &vec![0; pad]), 0);
    let three = f.keystream_a("three", 2 * 16_384 + 1000);
    g.fails_in_payload("20 bytes after the final chunk of a three-chunk message", &["TrailingData", "PartialPlaintext", "KeystreamPlaintext"], key, &none, &three, &with(&three.bytes, &seed::bytes("file/trailing/20", 20)), 2);
    // An extra chunk sealed at the next index (3), as if the message went on.
    let derived = cobblestone::derive(key, &three.bytes[..24].try_into().unwrap(), &payload_context(CONTEXT).unwrap());
    let mut extra = vec![0u8; 1000 + 16];
    ChunkCipher::<DefaultAead>::new(&derived).seal(3, &mut extra).unwrap();
    g.fails_in_payload("an encrypted chunk (index 3) after the final chunk", &["TrailingData", "PartialPlaintext", "KeystreamPlaintext"], key, &none, &three, &with(&three.bytes, &extra), 2);
    let full1 = f.keystream_a("boundary-16384", 16_384);
    let lone_tag = full1.chunks()[1].clone();
    g.fails_in_payload("16 KiB message: its empty final chunk (a lone tag) repeated", &["TrailingData", "PartialPlaintext", "ChunkBoundary", "KeystreamPlaintext"], key, &none, &full1, &with(&full1.bytes, &lone_tag), 1);
}

#[rustfmt::skip] // One vector per line.
fn reordering_and_modification(g: &mut Gen, f: &Fixtures) {
    let key = &f.key_a;
    let none = f.header_a(&[]);
    let three = f.keystream_a("three", 2 * 16_384 + 1000);
    let four = f.keystream_a("four", 3 * 16_384 + 1000);
    let c3 = three.chunks();
    let c4 = four.chunks();
    let re = |p: &payload::Payload, order: &[usize]| {
        let c = p.chunks();
        p.with_chunks(&order.iter().map(|&i| c[i].clone()).collect::<Vec<_>>())
    };
    assert_eq!((c3.len(), c4.len()), (3, 4));
    g.fails_in_payload("chunks 0 and 1 swapped", &["ChunkReordering", "ValidFinalChunk", "KeystreamPlaintext"], key, &none, &three, &re(&three, &[1, 0, 2]), 0);
    g.fails_in_payload("chunks 1 and 2 swapped (of three full chunks and a final one)", &["ChunkReordering", "PartialPlaintext", "ValidFinalChunk", "KeystreamPlaintext"], key, &none, &four, &re(&four, &[0, 2, 1, 3]), 1);
    g.fails_in_payload("chunk 0 in place of chunk 1", &["ChunkReordering", "PartialPlaintext", "ValidFinalChunk", "KeystreamPlaintext"], key, &none, &three, &re(&three, &[0, 0, 2]), 1);
    g.fails_in_payload("chunk 0 repeated before chunk 1 (one chunk more)", &["ChunkReordering", "PartialPlaintext", "KeystreamPlaintext"], key, &none, &three, &re(&three, &[0, 0, 1, 2]), 1);
    g.fails_in_payload("chunk 1 dropped (of three full chunks and a final one)", &["ChunkReordering", "PartialPlaintext", "KeystreamPlaintext"], key, &none, &four, &re(&four, &[0, 2, 3]), 1);
    let other = f.keystream_a("three-other", 2 * 16_384 + 1000);
    let mut mixed = c3.clone();
    mixed[2] = other.chunks()[2].clone();
    g.fails_in_payload("the final chunk taken from another message under the same key", &["ChunkReordering", "PartialPlaintext", "KeystreamPlaintext"], key, &none, &three, &three.with_chunks(&mixed), 2);

    let s = &f.short;
    let flip = |p: &[u8], at: usize| { let mut v = p.to_vec(); v[at] ^= 0x01; v };
    g.fails_in_payload("single final chunk: first ciphertext byte modified", &["ModifiedCiphertext"], key, &none, s, &flip(&s.bytes, PREFIX_SIZE), 0);
    g.fails_in_payload("single final chunk: last tag byte modified", &["ModifiedCiphertext"], key, &none, s, &flip(&s.bytes, s.bytes.len() - 1), 0);
    let empty = payload::seal(key, &seed::array("file/payload-salt/empty"), CONTEXT, Vec::new());
    g.fails_in_payload("empty message: its lone tag modified", &["ModifiedCiphertext", "EmptyMessage"], key, &none, &empty, &flip(&empty.bytes, PREFIX_SIZE), 0);
    let t = &three.bytes;
    g.fails_in_payload("chunk 0's tag modified", &["ModifiedCiphertext", "ValidFinalChunk", "KeystreamPlaintext"], key, &none, &three, &flip(t, PREFIX_SIZE + ENCRYPTED_CHUNK_SIZE - 1), 0);
    g.fails_in_payload("a ciphertext byte of chunk 1 modified", &["ModifiedCiphertext", "PartialPlaintext", "ValidFinalChunk", "KeystreamPlaintext"], key, &none, &three, &flip(t, PREFIX_SIZE + ENCRYPTED_CHUNK_SIZE + 100), 1);
    g.fails_in_payload("the final chunk's tag modified", &["ModifiedCiphertext", "PartialPlaintext", "KeystreamPlaintext"], key, &none, &three, &flip(t, t.len() - 1), 2);
    let many = f.keystream_a("rollover", 256 * 16_384 + 1000);
    g.fails_in_payload("257 chunks, a byte of the final chunk (index 256) modified", &["ModifiedCiphertext", "PartialPlaintext", "CounterRollover", "KeystreamPlaintext"], key, &none, &many, &flip(&many.bytes, many.bytes.len() - 20), 256);
}
