//! Tar archives built block by block from content spec 6, without the
//! `tar` crate: the layout an ebak writer produces (6.4 to 6.7), and the
//! other forms a reader must accept or refuse (6.8, 6.9). The test at the
//! bottom checks the layout against `ebak::content::archive::write_tree`.

use sha2::{Digest, Sha256};

/// The block size.
pub const BLOCK: usize = 512;

/// GNU `magic || version` (content spec 6.2).
pub const GNU_MAGIC: &[u8; 8] = b"ustar  \0";
/// ustar `magic || version`.
pub const USTAR_MAGIC: &[u8; 8] = b"ustar\x0000";

/// One archive entry, as a writer describes it.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The name (6.6).
    pub name: Vec<u8>,
    /// The type flag (6.9).
    pub typeflag: u8,
    /// The `mode` field as written: the whole `st_mode` (6.4).
    pub mode: u32,
    /// Owner.
    pub uid: u64,
    /// Group.
    pub gid: u64,
    /// Seconds since 1970.
    pub mtime: i64,
    /// A regular file's content.
    pub data: Vec<u8>,
    /// A link's target.
    pub link: Vec<u8>,
}

/// The owner and group every generated entry has.
pub const UID: u64 = 1000;
/// See [`UID`].
pub const GID: u64 = 1000;

impl Entry {
    fn new(name: &str, typeflag: u8, mode: u32, mtime: i64) -> Self {
        Self {
            name: name.as_bytes().to_vec(),
            typeflag,
            mode,
            uid: UID,
            gid: GID,
            mtime,
            data: Vec::new(),
            link: Vec::new(),
        }
    }

    /// A regular file with permissions `perm`.
    #[must_use]
    pub fn file(name: &str, perm: u32, mtime: i64, data: &[u8]) -> Self {
        let mut e = Self::new(name, b'0', 0o100_000 | perm, mtime);
        e.data = data.to_vec();
        e
    }

    /// A directory with permissions `perm`.
    #[must_use]
    pub fn dir(name: &str, perm: u32, mtime: i64) -> Self {
        Self::new(name, b'5', 0o040_000 | perm, mtime)
    }

    /// A symlink to `target`.
    #[must_use]
    pub fn symlink(name: &str, target: &str, mtime: i64) -> Self {
        let mut e = Self::new(name, b'2', 0o120_777, mtime);
        e.link = target.as_bytes().to_vec();
        e
    }

    /// A hard link to the entry named `target` (content spec 6.10).
    #[must_use]
    pub fn hard_link(name: &str, target: &str, mtime: i64) -> Self {
        let mut e = Self::new(name, b'1', 0o100_644, mtime);
        e.link = target.as_bytes().to_vec();
        e
    }

    /// An entry of another type, with no data.
    #[must_use]
    pub fn other(name: &str, typeflag: u8, mode: u32, mtime: i64) -> Self {
        Self::new(name, typeflag, mode, mtime)
    }
}

/// A numeric field (content spec 6.3): `n - 1` octal digits and a NUL when
/// they suffice, base-256 otherwise.
pub fn numeric(field: &mut [u8], value: u64) {
    let n = field.len();
    let octal_max = 1u128 << (3 * (n - 1));
    if u128::from(value) < octal_max {
        let digits = format!("{value:0width$o}", width = n - 1);
        field[..n - 1].copy_from_slice(digits.as_bytes());
        field[n - 1] = 0;
    } else {
        field.fill(0);
        let bytes = value.to_be_bytes();
        field[n - 8..].copy_from_slice(&bytes);
        field[0] |= 0x80;
    }
}

/// A numeric field that may be negative (content spec 6.3): as
/// [`numeric`], and a negative number in base-256 as `0xFF` and its two's
/// complement over the whole field.
pub fn signed(field: &mut [u8], value: i64) {
    match u64::try_from(value) {
        Ok(v) => numeric(field, v),
        Err(_) => {
            let n = field.len();
            field.copy_from_slice(&i128::from(value).to_be_bytes()[16 - n..]);
        }
    }
}

/// Sets the checksum of a header block (content spec 6.2).
pub fn set_checksum(block: &mut [u8; BLOCK]) {
    block[148..156].fill(b' ');
    let sum: u64 = block.iter().map(|&b| u64::from(b)).sum();
    numeric(&mut block[148..156], sum);
}

/// A GNU header block with these fields; the checksum set.
#[must_use]
#[allow(clippy::too_many_arguments, reason = "one argument per header field, in the block's order")]
pub fn header(
    name: &[u8],
    mode: u32,
    uid: u64,
    gid: u64,
    size: u64,
    mtime: i64,
    typeflag: u8,
    link: &[u8],
) -> [u8; BLOCK] {
    let mut b = [0u8; BLOCK];
    let name = &name[..name.len().min(100)];
    b[..name.len()].copy_from_slice(name);
    numeric(&mut b[100..108], u64::from(mode));
    numeric(&mut b[108..116], uid);
    numeric(&mut b[116..124], gid);
    numeric(&mut b[124..136], size);
    signed(&mut b[136..148], mtime);
    b[156] = typeflag;
    b[157..157 + link.len()].copy_from_slice(link);
    b[257..265].copy_from_slice(GNU_MAGIC);
    numeric(&mut b[329..337], 0);
    numeric(&mut b[337..345], 0);
    set_checksum(&mut b);
    b
}

/// Data padded with NULs to a block boundary.
pub fn padded(data: &[u8]) -> Vec<u8> {
    let mut v = data.to_vec();
    v.resize(data.len().div_ceil(BLOCK) * BLOCK, 0);
    v
}

/// A GNU long name (`'L'`) or long link (`'K'`) record (content spec 6.5).
#[must_use]
pub fn long_record(typeflag: u8, value: &[u8]) -> Vec<u8> {
    let mut b = [0u8; BLOCK];
    b[..13].copy_from_slice(b"././@LongLink");
    numeric(&mut b[100..108], 0o644);
    numeric(&mut b[108..116], 0);
    numeric(&mut b[116..124], 0);
    numeric(&mut b[124..136], value.len() as u64 + 1);
    numeric(&mut b[136..148], 0);
    b[156] = typeflag;
    b[257..265].copy_from_slice(GNU_MAGIC);
    set_checksum(&mut b);
    let mut out = b.to_vec();
    let mut data = value.to_vec();
    data.push(0);
    out.extend(padded(&data));
    out
}

/// The name field of an entry with a long name: its longest valid UTF-8
/// prefix of at most 100 bytes (content spec 6.5).
fn truncated_name(name: &[u8]) -> &[u8] {
    let cut = &name[..name.len().min(100)];
    match std::str::from_utf8(cut) {
        Ok(_) => cut,
        Err(e) => &cut[..e.valid_up_to()],
    }
}

/// The linkname field of an entry with a long link target: what the
/// writer's tar library copied, component by component, before it ran out
/// of room (content spec 6.5: informative only). For relative targets
/// without `.` components or repeated slashes.
fn link_prefix(target: &[u8]) -> Vec<u8> {
    assert!(!target.starts_with(b"/") && !target.windows(2).any(|w| w == b"//"));
    let mut out = Vec::new();
    let components: Vec<&[u8]> = target.split(|&b| b == b'/').filter(|c| !c.is_empty()).collect();
    for (i, c) in components.iter().enumerate() {
        assert_ne!(*c, b".");
        if i > 0 {
            if out.len() + 1 > 100 {
                return out;
            }
            out.push(b'/');
        }
        if out.len() + c.len() > 100 {
            return out;
        }
        out.extend_from_slice(c);
    }
    if target.ends_with(b"/") && out.len() < 100 {
        out.push(b'/');
    }
    out
}

/// The blocks of one entry, as an ebak writer lays them out: long name and
/// long link records as needed, the header, the data and its padding.
#[must_use]
pub fn entry_blocks(e: &Entry) -> Vec<u8> {
    let mut out = Vec::new();
    let name_field = if e.name.len() > 100 {
        out.extend(long_record(b'L', &e.name));
        truncated_name(&e.name)
    } else {
        &e.name
    };
    let link_field = if e.link.len() > 100 {
        out.extend(long_record(b'K', &e.link));
        link_prefix(&e.link)
    } else {
        e.link.clone()
    };
    let h = header(name_field, e.mode, e.uid, e.gid, e.data.len() as u64, e.mtime, e.typeflag, &link_field);
    out.extend_from_slice(&h);
    out.extend(padded(&e.data));
    out
}

/// The end-of-archive marker (content spec 6.7).
#[must_use]
pub fn end() -> Vec<u8> {
    vec![0u8; 2 * BLOCK]
}

/// A whole archive: the entries, then the end-of-archive marker.
#[must_use]
pub fn archive(entries: &[Entry]) -> Vec<u8> {
    let mut out: Vec<u8> = entries.iter().flat_map(entry_blocks).collect();
    out.extend(end());
    out
}

/// A PAX extended header (`'x'`) or global header (`'g'`) with `records`
/// (content spec 6.8).
#[must_use]
pub fn pax_header(typeflag: u8, records: &[(&str, &[u8])]) -> Vec<u8> {
    let mut data = Vec::new();
    for (key, value) in records {
        data.extend(pax_record(key, value));
    }
    pax_raw(typeflag, &data)
}

/// A PAX header whose data is `data` as it is.
#[must_use]
pub fn pax_raw(typeflag: u8, data: &[u8]) -> Vec<u8> {
    pax_named(typeflag, b"PaxHeaders/entry", data)
}

/// A PAX header named `name` (its own `name` field) whose data is `data`.
#[must_use]
pub fn pax_named(typeflag: u8, name: &[u8], data: &[u8]) -> Vec<u8> {
    let h = header(name, 0o644, 0, 0, data.len() as u64, 0, typeflag, b"");
    let mut out = h.to_vec();
    out.extend(padded(data));
    out
}

/// One PAX record, `LEN " " KEY "=" VALUE "\n"`.
#[must_use]
pub fn pax_record(key: &str, value: &[u8]) -> Vec<u8> {
    let body_len = 1 + key.len() + 1 + value.len() + 1;
    let mut len = body_len + 1;
    while len != body_len + len.to_string().len() {
        len = body_len + len.to_string().len();
    }
    let mut r = format!("{len} {key}=").into_bytes();
    r.extend_from_slice(value);
    r.push(b'\n');
    assert_eq!(r.len(), len);
    r
}

/// What a restorer makes of an entry (content spec 7): the expected
/// listing of a restored tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Restored {
    /// The path, `/`-separated, relative to the target.
    pub path: String,
    /// `file`, `directory` or `symlink`.
    pub kind: &'static str,
    /// `mode & 0o7777` (files and directories).
    pub mode: Option<u32>,
    /// Seconds (files and directories).
    pub mtime: Option<i64>,
    /// Length (files).
    pub size: Option<u64>,
    /// SHA-256 of the content (files).
    pub sha256: Option<String>,
    /// The link's target (symlinks).
    pub target: Option<String>,
    /// For a hard link: the path of the file it links to.
    pub linked_to: Option<String>,
}

/// The listing a restorer produces from `entries` (valid archives only:
/// every parent directory is an entry), sorted by path.
#[must_use]
pub fn listing(entries: &[Entry]) -> Vec<Restored> {
    let mut out: Vec<Restored> = Vec::new();
    for e in entries {
        let path = normalized(&e.name);
        let perm = e.mode & 0o7777;
        let r = match e.typeflag {
            b'0' | 0 | b'7' => Restored {
                path,
                kind: "file",
                mode: Some(perm),
                mtime: Some(e.mtime),
                size: Some(e.data.len() as u64),
                sha256: Some(crate::seed::hex(&Sha256::digest(&e.data))),
                target: None,
                linked_to: None,
            },
            b'5' => Restored {
                path,
                kind: "directory",
                mode: Some(perm),
                mtime: Some(e.mtime),
                size: None,
                sha256: None,
                target: None,
                linked_to: None,
            },
            b'2' => Restored {
                path,
                kind: "symlink",
                mode: None,
                mtime: None,
                size: None,
                sha256: None,
                target: Some(String::from_utf8(e.link.clone()).unwrap()),
                linked_to: None,
            },
            b'1' => {
                let to = normalized(&e.link);
                let file = out.iter().find(|r| r.path == to && r.kind == "file").expect("hard link to an earlier file");
                Restored { path, linked_to: Some(to), ..file.clone() }
            }
            other => panic!("listing of type {other}"),
        };
        // content spec 7.1: a repeated directory, the later one applies.
        out.retain(|x| x.path != r.path);
        out.push(r);
    }
    out.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
    out
}

/// A name as content spec 7.1 steps 2 and 3 turn it into a path (for
/// valid names).
fn normalized(name: &[u8]) -> String {
    let s = String::from_utf8(name.to_vec()).unwrap();
    let parts: Vec<&str> = s.split('/').filter(|c| !c.is_empty() && *c != ".").collect();
    assert!(!parts.is_empty() && !parts.contains(&".."), "not a valid name: {s}");
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_fields_are_octal_then_base_256() {
        let mut f = [0u8; 8];
        numeric(&mut f, 0o644);
        assert_eq!(&f, b"0000644\0");
        numeric(&mut f, 2_097_151);
        assert_eq!(&f, b"7777777\0");
        numeric(&mut f, 2_097_152);
        assert_eq!(f, [0x80, 0, 0, 0, 0, 0x20, 0, 0]);
        let mut f = [0u8; 12];
        numeric(&mut f, 8_589_934_592);
        assert_eq!(f, [0x80, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0]);
        assert_eq!(pax_record("path", b"a"), b"9 path=a\n");
        assert_eq!(pax_record("k", &[b'v'; 5]).len(), 11);
        assert_eq!(pax_record("k", &[b'v'; 4]), b"9 k=vvvv\n");
    }
}
