//! zstd bodies (content spec 4.2, RFC 8878): the frame an ebak writer
//! makes (libzstd, level 3, through the `zstd` crate), and frames built by
//! hand from RFC 8878 section 3.1 for the framing rules a reader checks.

/// The level the ebak tool compresses at (not part of the format).
pub const LEVEL: i32 = 3;

/// The frame an ebak writer makes of `body`.
#[must_use]
pub fn writer_frame(body: &[u8]) -> Vec<u8> {
    zstd::encode_all(body, LEVEL).unwrap()
}

/// A frame with a content checksum and the content size in its header.
#[must_use]
pub fn frame_with_checksum(body: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = zstd::stream::Encoder::new(Vec::new(), LEVEL).unwrap();
    e.include_checksum(true).unwrap();
    e.include_contentsize(true).unwrap();
    e.set_pledged_src_size(Some(body.len() as u64)).unwrap();
    e.write_all(body).unwrap();
    e.finish().unwrap()
}

/// The frame magic number, little-endian.
pub const FRAME_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];

/// A hand-made frame (RFC 8878 3.1.1) holding `body` in one raw block:
/// `descriptor` is the Frame_Header_Descriptor, followed by `rest` (the
/// Window_Descriptor, Dictionary_ID and Frame_Content_Size fields the
/// descriptor announces), then the block. No checksum.
#[must_use]
pub fn raw_frame(descriptor: u8, rest: &[u8], body: &[u8]) -> Vec<u8> {
    assert!(body.len() < 128 * 1024);
    let mut out = FRAME_MAGIC.to_vec();
    out.push(descriptor);
    out.extend_from_slice(rest);
    // Block header: Last_Block = 1, Block_Type = 0 (raw), Block_Size.
    let header = 1u32 | ((body.len() as u32) << 3);
    out.extend_from_slice(&header.to_le_bytes()[..3]);
    out.extend_from_slice(body);
    out
}

/// The Window_Descriptor for a window of 2^`log` bytes.
#[must_use]
pub const fn window_descriptor(log: u8) -> u8 {
    (log - 10) << 3
}

/// A skippable frame (RFC 8878 3.1.2) with `data`.
#[must_use]
pub fn skippable(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x50, 0x2A, 0x4D, 0x18];
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(data);
    out
}
