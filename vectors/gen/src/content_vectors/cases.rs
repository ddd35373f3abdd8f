//! The content vectors, in order: valid trees, streams and raw payloads;
//! the forms a reader must also accept; then one invalid vector per rule.

use super::tar::{self, BLOCK, Entry, USTAR_MAGIC};
use super::zstd::{self, raw_frame, skippable, window_descriptor, writer_frame};
use super::{Class, Gen, KIND_STREAM, KIND_TAR, NONE, ZSTD, content};
use crate::model::TestResult::{Acceptable, Valid};
use crate::seed;

/// The modification time most entries have.
pub const T: i64 = 1_700_000_000;

/// The small tree of the first vectors, as an ebak writer archives it
/// (the order is the writer's: content spec 6.6).
#[must_use]
pub fn small_tree() -> Vec<Entry> {
    vec![
        Entry::dir("tree", 0o755, T),
        Entry::file("tree/caf\u{e9} \u{2615}.txt", 0o644, T + 1, "un caf\u{e9}, s'il vous pla\u{ee}t\n".as_bytes()),
        Entry::file("tree/empty", 0o600, T + 2, b""),
        Entry::dir("tree/empty-dir", 0o755, T + 3),
        Entry::file("tree/hello.txt", 0o644, T + 4, b"Hello, ebak!\n"),
        Entry::symlink("tree/link", "hello.txt", T + 5),
        Entry::file("tree/run.sh", 0o755, T + 6, b"#!/bin/sh\necho hi\n"),
        Entry::dir("tree/sub", 0o700, T + 7),
        Entry::file("tree/sub/data.bin", 0o640, T + 8, &seed::bytes("content/data.bin", 1500)),
    ]
}

/// Long names and a long symlink target (content spec 6.5).
#[must_use]
/// A file from before 1970 (1960-01-01): a negative `mtime`, in base-256
/// as `0xFF` and its two's complement (content spec 6.3).
pub fn old_tree() -> Vec<Entry> {
    vec![Entry::dir("old", 0o755, T), Entry::file("old/1960.txt", 0o644, -315_619_200, b"from 1960\n")]
}

pub fn long_tree() -> Vec<Entry> {
    let a = format!("long/{}", "a".repeat(120));
    let b = format!("long/{}", "b".repeat(95));
    let c = format!("long/{}", "c".repeat(110));
    let e = format!("long/{}", "\u{e9}".repeat(60));
    vec![
        Entry::dir("long", 0o755, T),
        Entry::file(&a, 0o644, T + 1, b"a long name\n"),
        Entry::file(&b, 0o644, T + 2, b"a name of exactly 100 bytes\n"),
        Entry::symlink(&c, &"d/".repeat(70), T + 3),
        Entry::file(&e, 0o644, T + 4, b"a long UTF-8 name, cut at a character boundary in the header\n"),
    ]
}

fn zst(body: &[u8]) -> Vec<u8> {
    writer_frame(body)
}

/// A header block with a field replaced (the checksum set again).
fn patched(mut block: [u8; BLOCK], at: usize, bytes: &[u8]) -> Vec<u8> {
    block[at..at + bytes.len()].copy_from_slice(bytes);
    tar::set_checksum(&mut block);
    block.to_vec()
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn blocks(entries: &[Entry]) -> Vec<u8> {
    entries.iter().flat_map(tar::entry_blocks).collect()
}

#[allow(clippy::too_many_lines, reason = "the list of vectors, one call each")]
pub fn all(g: &mut Gen) {
    valid(g);
    acceptable(g);
    unsupported_and_header(g);
    zstd_framing(g);
    tar_structure(g);
    refused(g);
    added_2026_12(g);
}

fn valid(g: &mut Gen) {
    let small = small_tree();
    let small_tar = tar::archive(&small);
    g.tree(
        "a small tree as the ebak writer archives it, zstd",
        &["WriterLayout"],
        Valid,
        ZSTD,
        &zst(&small_tar),
        &small_tar,
        &small,
    );
    g.tree(
        "the same tree, not compressed",
        &["WriterLayout", "NoCompression"],
        Valid,
        NONE,
        &small_tar,
        &small_tar,
        &small,
    );
    let long = long_tree();
    let long_tar = tar::archive(&long);
    g.tree(
        "long names and a long symlink target (GNU 'L' and 'K' records), a name of exactly 100 bytes",
        &["WriterLayout", "GnuLongName", "GnuLongLink", "NameBoundary"],
        Valid,
        ZSTD,
        &zst(&long_tar),
        &long_tar,
        &long,
    );
    let mut big = Entry::file("future.txt", 0o644, 8_589_934_600, b"owned by uid 3000000, from the year 2242\n");
    big.uid = 3_000_000;
    big.gid = 3_000_001;
    let big = vec![big];
    let big_tar = tar::archive(&big);
    assert_eq!(big_tar[108], 0x80, "uid in base-256");
    g.tree(
        "uid, gid and mtime too large for octal: base-256",
        &["WriterLayout", "Base256"],
        Valid,
        ZSTD,
        &zst(&big_tar),
        &big_tar,
        &big,
    );
    let empty = tar::archive(&[]);
    g.tree("an archive with no entry", &["WriterLayout", "EmptyArchive"], Valid, ZSTD, &zst(&empty), &empty, &[]);
    for (comment, target, flags) in [
        ("a symlink to an absolute path", "/etc/passwd", &["SymlinkTargetData"][..]),
        ("a symlink that leaves the tree", "../../outside", &["SymlinkTargetData"][..]),
        ("a dangling symlink", "missing/file", &["SymlinkTargetData"][..]),
    ] {
        let e = vec![Entry::dir("links", 0o755, T), Entry::symlink("links/s", target, T)];
        let t = tar::archive(&e);
        g.tree(comment, flags, Valid, ZSTD, &zst(&t), &t, &e);
    }

    let text: Vec<u8> = (0..3000u32).flat_map(|i| format!("line {i}\n").into_bytes()).collect();
    g.stream("a stream, zstd", &["StreamKind"], Valid, ZSTD, &zst(&text), &text);
    g.stream("a stream, not compressed", &["StreamKind", "NoCompression"], Valid, NONE, &text[..1000], &text[..1000]);
    g.stream("an empty stream, not compressed", &["StreamKind", "NoCompression", "EmptyBody"], Valid, NONE, b"", b"");
    g.stream("an empty stream, zstd (one frame)", &["StreamKind", "EmptyBody"], Valid, ZSTD, &zst(b""), b"");

    g.raw("a raw payload", &["RawPayload"], b"Hello, raw payload of another application");
    g.raw("an empty payload", &["RawPayload", "EmptyBody"], b"");
    g.raw("the magic's first 7 bytes only", &["RawPayload", "MagicPrefix"], b"ebakcli");
    g.raw("a magic that differs in its last byte", &["RawPayload", "MagicPrefix"], b"ebakcli2\x01\x00abc");
    g.raw("the magic in upper case", &["RawPayload", "MagicPrefix"], b"EBAKCLI1\x01\x00abc");
}

fn acceptable(g: &mut Gen) {
    // ustar, with a name split into prefix and name.
    let dir = format!("ustar/{}", "p".repeat(120));
    let entries = vec![
        Entry::dir("ustar", 0o755, T),
        Entry::dir(&dir, 0o755, T),
        Entry::file(&format!("{dir}/file.txt"), 0o644, T, b"in a ustar header\n"),
    ];
    let mut h = tar::header(b"file.txt", 0o100_644, 1000, 1000, 18, T, b'0', b"");
    h[257..265].copy_from_slice(USTAR_MAGIC);
    h[345..345 + dir.len()].copy_from_slice(dir.as_bytes());
    tar::set_checksum(&mut h);
    let body = cat(&[&blocks(&entries[..2]), &h, &tar::padded(b"in a ustar header\n"), &tar::end()]);
    g.tree("a ustar header with a prefix", &["UstarHeader"], Acceptable, ZSTD, &zst(&body), &body, &entries);

    // PAX path, linkpath and size, with keywords to ignore.
    let long_path = format!("pax/{}.txt", "q".repeat(150));
    let target = "target/".repeat(30);
    let entries = vec![
        Entry::dir("pax", 0o755, T),
        Entry::file(&long_path, 0o644, T, b"named by PAX\n"),
        Entry::symlink("pax/link", &target, T),
        Entry::file("pax/sized.txt", 0o644, T, b"eleven byte"),
    ];
    let body = cat(&[
        &tar::entry_blocks(&entries[0]),
        &tar::pax_header(
            b'x',
            &[
                ("path", long_path.as_bytes()),
                ("SCHILY.xattr.user.comment", b"not restored"),
                ("LIBARCHIVE.creationtime", b"1700000000"),
                ("uid", b"3000000"),
            ],
        ),
        &tar::header(b"pax/not-this-name", 0o100_644, 1000, 1000, 13, T, b'0', b""),
        &tar::padded(b"named by PAX\n"),
        &tar::pax_header(b'x', &[("linkpath", target.as_bytes())]),
        &tar::header(b"pax/link", 0o120_777, 1000, 1000, 0, T, b'2', b"not-this-target"),
        &tar::pax_header(b'x', &[("size", b"11")]),
        &tar::header(b"pax/sized.txt", 0o100_644, 1000, 1000, 0, T, b'0', b""),
        &tar::padded(b"eleven byte"),
        &tar::end(),
    ]);
    g.tree(
        "PAX path, linkpath and size, and keywords to ignore",
        &["PaxHeader", "PaxSize"],
        Acceptable,
        ZSTD,
        &zst(&body),
        &body,
        &entries,
    );

    let entries = vec![Entry::file("g.txt", 0o644, T, b"after a global header\n")];
    let body = cat(&[
        &tar::pax_header(b'g', &[("path", b"renamed-by-global"), ("comment", b"ignored")]),
        &tar::archive(&entries),
    ]);
    g.tree("a PAX global header, ignored", &["PaxGlobal"], Acceptable, ZSTD, &zst(&body), &body, &entries);

    let mut e1 = Entry::file("old-nul.txt", 0o644, T, b"type NUL\n");
    e1.typeflag = 0;
    let mut e2 = Entry::file("contiguous.txt", 0o644, T, b"type 7\n");
    e2.typeflag = b'7';
    let entries = vec![e1, e2];
    let body = tar::archive(&entries);
    g.tree("type flags NUL and '7': regular files", &["OldTypeflag"], Acceptable, ZSTD, &zst(&body), &body, &entries);

    let entries = vec![Entry::file("small.txt", 0o644, T, b"abcde")];
    let h = tar::header(b"small.txt", 0o100_644, 1000, 1000, 5, T, b'0', b"");
    let mut size = [0u8; 12];
    size[0] = 0x80;
    size[11] = 5;
    let mut mtime = [0u8; 12];
    mtime[0] = 0x80;
    mtime[8..].copy_from_slice(&(T as u32).to_be_bytes());
    let mut h2: [u8; BLOCK] = patched(h, 124, &size).try_into().unwrap();
    h2[136..148].copy_from_slice(&mtime);
    tar::set_checksum(&mut h2);
    let body = cat(&[&h2, &tar::padded(b"abcde"), &tar::end()]);
    g.tree(
        "size and mtime in base-256 although octal fits",
        &["Base256"],
        Acceptable,
        ZSTD,
        &zst(&body),
        &body,
        &entries,
    );

    let entries = vec![Entry::file("spelled.txt", 0o644, T, b"other spellings\n")];
    let mut h = tar::header(b"spelled.txt", 0o100_644, 1000, 1000, 16, T, b'0', b"");
    h[100..108].copy_from_slice(b"  100644");
    h[108..116].copy_from_slice(b"001750 \0");
    h[124..136].copy_from_slice(b"00000000020 ");
    h[148..156].fill(b' ');
    let sum: u64 = h.iter().map(|&b| u64::from(b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let body = cat(&[&h, &tar::padded(b"other spellings\n"), &tar::end()]);
    g.tree(
        "octal fields with spaces, GNU tar's checksum spelling",
        &["NumericSpelling"],
        Acceptable,
        ZSTD,
        &zst(&body),
        &body,
        &entries,
    );

    let entries = vec![Entry::file("lone.txt", 0o644, T, b"one zero block\n")];
    let full = tar::archive(&entries);
    let body = full[..full.len() - BLOCK].to_vec();
    g.tree(
        "a lone zero block at the end",
        &["LoneZeroBlock", "NoCompression"],
        Acceptable,
        NONE,
        &body,
        &body,
        &entries,
    );
    let mut body = full.clone();
    body.resize(10240, 0);
    g.tree("zero padding to a 10240-byte record", &["RecordPadding"], Acceptable, ZSTD, &zst(&body), &body, &entries);

    let entries = vec![
        Entry::dir("hl", 0o755, T),
        Entry::file("hl/a.txt", 0o644, T, b"linked\n"),
        Entry::hard_link("hl/b.txt", "hl/a.txt", T),
    ];
    let body = tar::archive(&entries);
    g.tree("a hard link to an earlier file", &["HardLink"], Acceptable, ZSTD, &zst(&body), &body, &entries);

    let entries =
        vec![Entry::dir("rd", 0o755, T), Entry::file("rd/x", 0o644, T, b"x\n"), Entry::dir("rd", 0o700, T + 5)];
    let body = tar::archive(&entries);
    g.tree(
        "a directory entry repeated: the later one applies",
        &["RepeatedDirectory"],
        Acceptable,
        ZSTD,
        &zst(&body),
        &body,
        &entries,
    );

    let small = small_tree();
    let small_tar = tar::archive(&small);
    let half = small_tar.len() / 2;
    let two = cat(&[&writer_frame(&small_tar[..half]), &writer_frame(&small_tar[half..])]);
    g.tree("two zstd frames", &["ZstdFrames"], Acceptable, ZSTD, &two, &small_tar, &small);
    let skip = cat(&[&skippable(b"before"), &writer_frame(&small_tar), &skippable(b""), &skippable(b"after")]);
    g.tree("skippable frames before and after the frame", &["ZstdFrames"], Acceptable, ZSTD, &skip, &small_tar, &small);
    g.tree(
        "a frame with a checksum and the content size",
        &["ZstdChecksum"],
        Valid,
        ZSTD,
        &zstd::frame_with_checksum(&small_tar),
        &small_tar,
        &small,
    );
    let frame = raw_frame(0x00, &[window_descriptor(23)], &small_tar);
    g.tree("a frame with an 8 MiB window", &["ZstdWindow"], Valid, ZSTD, &frame, &small_tar, &small);
}

fn unsupported_and_header(g: &mut Gen) {
    let body = tar::archive(&small_tree());
    for (comment, kind, flag) in [
        ("kind 0x00 (reserved)", 0x00, "UnknownKind"),
        ("kind 0x03", 0x03, "UnknownKind"),
        ("kind 0xff", 0xFF, "UnknownKind"),
    ] {
        g.fails(comment, &[flag], Class::Unsupported, &content(kind, NONE, &body), None, None);
    }
    for (comment, compression) in [("compression 0x02", 0x02), ("compression 0xff", 0xFF)] {
        g.fails(
            comment,
            &["UnknownCompression"],
            Class::Unsupported,
            &content(KIND_TAR, compression, &body),
            None,
            None,
        );
    }
    g.fails("the magic alone", &["HeaderCutShort"], Class::Malformed, b"ebakcli1", None, None);
    g.fails(
        "the magic and a kind, no compression byte",
        &["HeaderCutShort"],
        Class::Malformed,
        b"ebakcli1\x01",
        None,
        None,
    );
}

fn zstd_framing(g: &mut Gen) {
    let entries = vec![Entry::file("z.txt", 0o644, T, b"inside a zstd frame\n")];
    let body = tar::archive(&entries);
    let frame = writer_frame(&body);
    let tar_zstd = Some((KIND_TAR, ZSTD));
    let v = |g: &mut Gen, comment: &str, flag: &'static str, bytes: Vec<u8>| {
        g.fails(comment, &[flag], Class::Malformed, &content(KIND_TAR, ZSTD, &bytes), tar_zstd, None);
    };
    v(g, "garbage after the zstd frame", "ZstdTrailingData", cat(&[&frame, b"garbage"]));
    v(g, "zero bytes after the zstd frame", "ZstdTrailingData", cat(&[&frame, &[0u8; 8]]));
    v(g, "a zstd frame cut short", "ZstdTruncated", frame[..frame.len() - 3].to_vec());
    v(g, "a skippable frame cut short after the frame", "ZstdTruncated", cat(&[&frame, &skippable(b"abcdef")[..10]]));
    v(g, "an empty zstd body", "ZstdNoFrame", Vec::new());
    v(g, "a frame with a 256 MiB window", "ZstdWindow", raw_frame(0x00, &[window_descriptor(28)], &body));
    let mut bad = zstd::frame_with_checksum(&body);
    let n = bad.len();
    bad[n - 1] ^= 0x01;
    v(g, "a frame whose content checksum does not match", "ZstdChecksum", bad);
    // Single_Segment with a 1-byte Frame_Content_Size: 0x20.
    let short = &body[..200];
    v(g, "a Frame_Content_Size one more than the content", "ZstdContentSize", raw_frame(0x20, &[201], short));
    v(
        g,
        "the reserved bit of the frame header descriptor set",
        "ZstdReservedBit",
        raw_frame(0x08, &[window_descriptor(20)], &body),
    );
    v(g, "a frame that needs dictionary 1", "ZstdDictionary", raw_frame(0x01, &[window_descriptor(20), 1], &body));
    let text = b"a stream with garbage after its frame\n";
    g.fails(
        "a stream with garbage after the zstd frame",
        &["ZstdTrailingData", "StreamKind"],
        Class::Malformed,
        &content(KIND_STREAM, ZSTD, &cat(&[&writer_frame(text), b"junk"])),
        Some((KIND_STREAM, ZSTD)),
        None,
    );
}

fn tar_structure(g: &mut Gen) {
    let entries = vec![Entry::file("a.txt", 0o644, T, b"hello\n"), Entry::file("b.txt", 0o644, T, b"world\n")];
    let good = tar::archive(&entries);
    let mut bad = good.clone();
    bad[0] ^= 0x01;
    g.bad_tar("a header whose checksum does not match", &["BadChecksum"], Class::Malformed, &bad);
    let h = tar::header(b"a.txt", 0o100_644, 1000, 1000, 6, T, b'0', b"");
    let body = cat(&[&patched(h, 124, b"0000000x006\0"), &tar::padded(b"hello\n"), &tar::end()]);
    g.bad_tar("a size field that is not octal", &["BadNumber"], Class::Malformed, &body);
    let mut negative = [0xFFu8; 12];
    negative[11] = 0xFA;
    let body = cat(&[&patched(h, 124, &negative), &tar::padded(b"hello\n"), &tar::end()]);
    g.bad_tar("a negative size in base-256", &["BadNumber"], Class::Malformed, &body);
    g.bad_tar(
        "the body ends inside the second header",
        &["TruncatedArchive"],
        Class::Malformed,
        &good[..2 * BLOCK + 300],
    );
    g.bad_tar(
        "the body ends inside the first entry's data",
        &["TruncatedArchive"],
        Class::Malformed,
        &good[..BLOCK + 3],
    );
    g.bad_tar("no end-of-archive marker", &["NoEndMarker"], Class::Malformed, &good[..4 * BLOCK]);
    g.bad_tar("an empty tar body", &["NoEndMarker"], Class::Malformed, b"");
    g.bad_tar("bytes after the end-of-archive marker", &["TarTrailingData"], Class::Malformed, &cat(&[&good, b"junk"]));
    let mut after = good.clone();
    after.resize(good.len() + BLOCK, 0);
    let n = after.len();
    after[n - 1] = 1;
    g.bad_tar("a non-zero byte in the padding after the marker", &["TarTrailingData"], Class::Malformed, &after);
    g.bad_tar(
        "a long name record that no entry follows",
        &["DanglingRecord"],
        Class::Malformed,
        &cat(&[&tar::long_record(b'L', b"orphan"), &tar::end()]),
    );
    g.bad_tar(
        "two long name records before one entry",
        &["RepeatedRecord"],
        Class::Malformed,
        &cat(&[&tar::long_record(b'L', b"first"), &tar::long_record(b'L', b"second"), &good]),
    );
    g.bad_tar(
        "a PAX record whose length is wrong",
        &["PaxMalformed"],
        Class::Malformed,
        &cat(&[&tar::pax_raw(b'x', b"99 path=a.txt\n"), &good]),
    );
}

fn refused(g: &mut Gen) {
    let file = |name: &str| Entry::file(name, 0o644, T, b"x\n");
    let r = |g: &mut Gen, comment: &str, flag: &'static str, entries: &[Entry]| {
        g.bad_tar(comment, &[flag], Class::Refused, &tar::archive(entries));
    };
    r(g, "an absolute name", "AbsoluteName", &[file("/tmp/ebak-content-vector/absolute.txt")]);
    r(g, "a name that climbs out with ..", "DotDot", &[file("a/../../escaped.txt")]);
    r(g, "a name with .. that stays inside", "DotDot", &[Entry::dir("a", 0o755, T), file("a/../inside.txt")]);
    r(g, "a name with no component but .", "EmptyName", &[Entry::dir("./", 0o755, T)]);
    r(g, "a character device", "SpecialFile", &[Entry::other("tty", b'3', 0o020_644, T)]);
    r(g, "a block device", "SpecialFile", &[Entry::other("disk", b'4', 0o060_644, T)]);
    r(g, "a FIFO", "SpecialFile", &[Entry::other("fifo", b'6', 0o010_644, T)]);
    r(g, "an unknown type flag 'X'", "UnknownType", &[Entry::other("x", b'X', 0o100_644, T)]);
    r(g, "a GNU volume label 'V'", "UnknownType", &[Entry::other("label", b'V', 0o100_644, T)]);
    // A GNU sparse header with no data and an empty map: realsize 0.
    let h = tar::header(b"sparse", 0o100_644, 1000, 1000, 0, T, b'S', b"");
    let sparse = cat(&[&patched(h, 483, b"00000000000\0"), &tar::end()]);
    g.bad_tar("an empty GNU sparse entry 'S'", &["SparseEntry"], Class::Refused, &sparse);
    let sparse = cat(&[
        &tar::pax_header(b'x', &[("GNU.sparse.major", b"1"), ("GNU.sparse.minor", b"0")]),
        &tar::archive(&[file("sparse.txt")]),
    ]);
    g.bad_tar("a PAX GNU.sparse keyword", &["SparseEntry"], Class::Refused, &sparse);
    r(g, "a hard link to a name not in the archive", "HardLinkTarget", &[Entry::hard_link("h", "missing", T)]);
    r(g, "a hard link out of the tree", "HardLinkTarget", &[Entry::hard_link("h", "../outside", T)]);
    r(g, "a hard link to an absolute path", "HardLinkTarget", &[Entry::hard_link("h", "/etc/passwd", T)]);
    r(g, "a hard link to a directory", "HardLinkTarget", &[Entry::dir("d", 0o755, T), Entry::hard_link("h", "d", T)]);
    r(g, "a file twice", "RepeatedName", &[file("twice.txt"), file("twice.txt")]);
    r(g, "a directory, then a file of the same name", "RepeatedName", &[Entry::dir("same", 0o755, T), file("same")]);
    r(g, "a symlink with an empty target", "EmptyLinkTarget", &[Entry::symlink("s", "", T)]);
    r(
        g,
        "a file through a symlink that leaves the tree",
        "WriteThroughSymlink",
        &[Entry::symlink("out", "..", T), file("out/escaped.txt")],
    );
    r(
        g,
        "a file through a symlink that stays inside",
        "WriteThroughSymlink",
        &[Entry::dir("d", 0o755, T), Entry::symlink("s", "d", T), file("s/through.txt")],
    );
}

/// Vectors added after the first 81, appended so that the earlier tcIds
/// stay what other implementations may have recorded: a PAX global
/// header's name and records (82, 83; found by the `content` fuzz target,
/// on which ebak's restore and verify disagreed), and the 1 MiB bound on
/// extension records (84 to 87), numeric fields that are not numbers (88
/// to 91), a header without the magic and an entry named twice (92 to 94),
/// records that a global header separates from their entry (95, 96), and
/// base-256 sizes a reader must read whole (98, 99) after a time before
/// 1970 (97).
fn added_2026_12(g: &mut Gen) {
    // A global header is not an entry: its own name is not a path (7.1),
    // whatever it holds.
    let entries = vec![Entry::file("g.txt", 0o644, T, b"after a global header\n")];
    let global = tar::pax_named(b'g', b"/pax_global_header", &tar::pax_record("comment", b"ignored"));
    let body = cat(&[&global, &tar::archive(&entries)]);
    g.tree(
        "a PAX global header with an absolute name of its own, ignored",
        &["PaxGlobal"],
        Acceptable,
        ZSTD,
        &zst(&body),
        &body,
        &entries,
    );
    // The records of a global header are checked as an 'x' header's are.
    let good = tar::archive(&[Entry::file("a.txt", 0o644, T, b"a\n")]);
    g.bad_tar(
        "a PAX global header record whose length is wrong",
        &["PaxMalformed"],
        Class::Malformed,
        &cat(&[&tar::pax_raw(b'g', b"26 path=renamed-by-global\n2x comment=x\n"), &good]),
    );

    // The 1 MiB bound on extension records (content spec 9), both sides
    // of it, zstd-compressed so that the files stay small.
    const MIB: usize = 1 << 20;
    let entries = vec![Entry::file("after.txt", 0o644, T, b"after a 1 MiB PAX header\n")];
    let body = cat(&[&tar::pax_raw(b'x', &comment_record(MIB)), &tar::archive(&entries)]);
    g.tree(
        "a PAX extended header of exactly 1 MiB",
        &["ExtensionTooLarge"],
        Acceptable,
        ZSTD,
        &zst(&body),
        &body,
        &entries,
    );
    let over: [(&str, Vec<u8>); 3] = [
        ("a PAX extended header of 1 MiB and one byte", tar::pax_raw(b'x', &comment_record(MIB + 1))),
        ("a PAX global header of 1 MiB and one byte", tar::pax_raw(b'g', &comment_record(MIB + 1))),
        ("a GNU long name record of 1 MiB and one byte", tar::long_record(b'L', &vec![b'n'; MIB])),
    ];
    for (comment, record) in over {
        let body = cat(&[&record, &good]);
        let payload = content(KIND_TAR, ZSTD, &zst(&body));
        g.fails(comment, &["ExtensionTooLarge"], Class::Malformed, &payload, Some((KIND_TAR, ZSTD)), Some(&body));
    }

    // Every numeric field of an entry's header that a reader reads must
    // be a number (content spec 6.3): none reads as 0.
    let h = tar::header(b"a.txt", 0o100_644, 1000, 1000, 6, T, b'0', b"");
    let numbers: [(&str, usize, &[u8]); 4] = [
        ("a mode field that is not octal", 100, b"0000x44\0"),
        ("a uid field that is not octal", 108, b"00017x0\0"),
        ("a gid field left empty", 116, b"\0\0\0\0\0\0\0\0"),
        ("an mtime field of spaces", 136, b"           \0"),
    ];
    for (comment, at, field) in numbers {
        let body = cat(&[&patched(h, at, field), &tar::padded(b"hello\n"), &tar::end()]);
        g.bad_tar(comment, &["BadNumber"], Class::Malformed, &body);
    }

    // content spec 6.8: a header without the GNU or ustar magic (SHOULD
    // be refused; ebak and the Python checker refuse it), and an entry
    // with both a GNU record and the PAX keyword for the same field.
    let body = cat(&[&patched(h, 257, &[0; 8]), &tar::padded(b"hello\n"), &tar::end()]);
    g.bad_tar("a v7 header: neither GNU nor ustar magic", &["NoMagic"], Class::Malformed, &body);
    let file = tar::archive(&[Entry::file("short.txt", 0o644, T, b"x\n")]);
    let body =
        cat(&[&tar::long_record(b'L', b"long-name.txt"), &tar::pax_header(b'x', &[("path", b"pax-name.txt")]), &file]);
    g.bad_tar(
        "a GNU long name record and a PAX path keyword for one entry",
        &["RecordAndKeyword"],
        Class::Malformed,
        &body,
    );
    let link = tar::archive(&[Entry::symlink("s", "short", T)]);
    let body =
        cat(&[&tar::pax_header(b'x', &[("linkpath", b"pax-target")]), &tar::long_record(b'K', b"long-target"), &link]);
    g.bad_tar(
        "a PAX linkpath keyword and a GNU long link record for one entry",
        &["RecordAndKeyword"],
        Class::Malformed,
        &body,
    );
    let global = tar::pax_header(b'g', &[("comment", b"between")]);
    let body = cat(&[&tar::long_record(b'L', b"long-name.txt"), &global, &file]);
    g.bad_tar(
        "a GNU long name record, then a PAX global header, then the entry",
        &["RecordBeforeGlobal"],
        Class::Malformed,
        &body,
    );
    let body = cat(&[&tar::pax_header(b'x', &[("path", b"pax-name.txt")]), &global, &file]);
    g.bad_tar(
        "a PAX extended header, then a PAX global header, then the entry",
        &["RecordBeforeGlobal"],
        Class::Malformed,
        &body,
    );
    let old = old_tree();
    let old_tar = tar::archive(&old);
    g.tree(
        "a file from before 1970: a negative mtime in base-256",
        &["WriterLayout", "NegativeTime"],
        Valid,
        ZSTD,
        &zst(&old_tar),
        &old_tar,
        &old,
    );
    // A base-256 size is read whole (content spec 6.3): a reader that
    // reads only its last 8 bytes takes both of these for 6.
    let sizes: [(&str, &[u8]); 2] = [
        ("a base-256 size of 2^64 + 6", b"\x80\0\0\x01\0\0\0\0\0\0\0\x06"),
        ("a size field whose first byte is 0x81", b"\x81\0\0\0\0\0\0\0\0\0\0\x06"),
    ];
    for (comment, field) in sizes {
        let body = cat(&[&patched(h, 124, field), &tar::padded(b"hello\n"), &tar::end()]);
        g.bad_tar(comment, &["BadNumber"], Class::Malformed, &body);
    }
}

/// A PAX header's data of exactly `len` bytes: one `comment` record.
fn comment_record(len: usize) -> Vec<u8> {
    let digits = len.to_string().len();
    let value = vec![b'c'; len - digits - " comment=\n".len()];
    let record = tar::pax_record("comment", &value);
    assert_eq!(record.len(), len);
    record
}
