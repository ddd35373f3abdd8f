//! The inputs of the differential test: every header, slot and 64-digit
//! key text in the test vectors, every file of the given corpus
//! directories, and generated hostile inputs.

use crate::rng::Rng;
use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::Path;

/// The most bytes of an input the test passes on. No verdict depends on
/// the bytes past 8 259 (a header is at most that long, Coq theorem
/// `header_length_bounds`; a slot at most 1 027), so cutting an input here
/// changes no verdict of the header and slot parsers: `parse` still sees
/// trailing data, `parse_prefix` and `Slot::parse` the same prefix.
pub const MAX_INPUT_BYTES: usize = 16 * 1024;

/// One input.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Input {
    /// Bytes, for the header and slot parsers (and, if they are UTF-8, also
    /// for the 64-digit key parser).
    Bytes(Vec<u8>),
    /// A 64-digit key text, for the key parser.
    Text(String),
    /// A backup key, for the key formatter.
    Key([u8; 32]),
}

/// The inputs, grouped by where they come from, without duplicates inside
/// a group.
#[derive(Debug, Default)]
pub struct Inputs {
    /// Origin -> inputs.
    pub groups: BTreeMap<String, Vec<Input>>,
}

impl Inputs {
    /// Adds `input` to the group `origin` (cut to [`MAX_INPUT_BYTES`]).
    pub fn add(&mut self, origin: &str, input: Input) {
        let input = match input {
            Input::Bytes(mut b) => {
                b.truncate(MAX_INPUT_BYTES);
                Input::Bytes(b)
            }
            other => other,
        };
        self.groups.entry(origin.to_owned()).or_default().push(input);
    }

    /// Sorts each group and removes duplicates.
    pub fn dedup(&mut self) {
        for v in self.groups.values_mut() {
            v.sort();
            v.dedup();
        }
    }

    /// How many inputs there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.groups.values().map(Vec::len).sum()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn hex_decode(s: &str) -> Result<Vec<u8>, String> {
    if !s.len().is_multiple_of(2) {
        return Err(format!("odd-length hex {s:.40}"));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2).unwrap_or(""), 16).map_err(|e| format!("{e}: {s:.40}")))
        .collect()
}

fn tests(path: &Path) -> Result<Vec<serde_json::Value>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let doc: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let groups = doc["testGroups"].as_array().ok_or_else(|| format!("{}: no testGroups", path.display()))?;
    Ok(groups.iter().filter_map(|g| g["tests"].as_array()).flatten().cloned().collect())
}

fn field(t: &serde_json::Value, key: &str) -> Option<Result<Vec<u8>, String>> {
    t[key].as_str().map(hex_decode)
}

/// Every input in the three vector files of `dir`: each file vector's file
/// (inflated) and, when the header parses, its header alone; each key-slot
/// vector's slot; each 64-digit key vector's text, and its key for the
/// formatter.
///
/// # Errors
///
/// A vector file is missing or malformed.
pub fn from_vectors(dir: &Path, inputs: &mut Inputs) -> Result<(), String> {
    for t in tests(&dir.join("ebak_v1_file_test.json"))? {
        let file = match (field(&t, "file"), field(&t, "fileZlib")) {
            (Some(f), _) => f?,
            (None, Some(z)) => {
                let mut out = Vec::new();
                flate2::read::ZlibDecoder::new(z?.as_slice())
                    .read_to_end(&mut out)
                    .map_err(|e| format!("file vector {}: {e}", t["tcId"]))?;
                out
            }
            (None, None) => return Err(format!("file vector {} has no file", t["tcId"])),
        };
        if let Some(len) = t["headerLength"].as_u64().and_then(|n| usize::try_from(n).ok())
            && let Some(header) = file.get(..len)
        {
            inputs.add("vectors: file headers", Input::Bytes(header.to_vec()));
        }
        inputs.add("vectors: whole files", Input::Bytes(file));
    }
    for t in tests(&dir.join("ebak_v1_keywrap_test.json"))? {
        let slot = field(&t, "slot").ok_or_else(|| format!("key-slot vector {} has no slot", t["tcId"]))??;
        inputs.add("vectors: key slots", Input::Bytes(slot));
    }
    for t in tests(&dir.join("ebak_v1_recovery_key_test.json"))? {
        let text = t["text"].as_str().ok_or_else(|| format!("64-digit key vector {} has no text", t["tcId"]))?;
        inputs.add("vectors: 64-digit key texts", Input::Text(text.to_owned()));
        if let Some(key) = field(&t, "key")
            && let Ok(key) = <[u8; 32]>::try_from(key?.as_slice())
        {
            inputs.add("vectors: 64-digit keys to format", Input::Key(key));
        }
    }
    Ok(())
}

/// Every file under `dir`, recursively, as bytes.
///
/// # Errors
///
/// The directory cannot be read.
pub fn from_dir(dir: &Path, origin: &str, inputs: &mut Inputs) -> Result<usize, String> {
    let mut count = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| format!("{}: {e}", d.display()))?;
        let mut paths: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        paths.sort();
        for p in paths {
            if p.is_dir() {
                stack.push(p);
            } else {
                let bytes = std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?;
                inputs.add(origin, Input::Bytes(bytes));
                count += 1;
            }
        }
    }
    Ok(count)
}

// --- generated inputs ---------------------------------------------------

const MAGIC: [u8; 9] = [0x89, b'e', b'b', b'a', b'k', 0x0D, 0x0A, 0x1A, 0x0A];

/// A slot as a generator builds it, before encoding.
#[derive(Clone, Debug)]
struct GenSlot {
    ty: u8,
    /// The `body_len` field as written (may lie about the body).
    body_len: u16,
    body: Vec<u8>,
}

impl GenSlot {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.ty);
        out.extend_from_slice(&self.body_len.to_be_bytes());
        out.extend_from_slice(&self.body);
    }
}

fn password_body(rng: &mut Rng, m: u32, t: u32, p: u32) -> Vec<u8> {
    let mut body = rng.bytes(16);
    body.extend_from_slice(&m.to_be_bytes());
    body.extend_from_slice(&t.to_be_bytes());
    body.extend_from_slice(&p.to_be_bytes());
    body.extend(rng.bytes(104));
    body
}

/// Argon2id costs: mostly valid, sometimes right at or past an edge.
fn costs(rng: &mut Rng, valid: bool) -> (u32, u32, u32) {
    if valid {
        let any = rng.range(1, 64) as u32;
        let p = *rng.pick(&[1u32, 2, 4, 16, 0xFF_FFFF, any]);
        let min_m = p.saturating_mul(8);
        let m = *rng.pick(&[min_m, min_m.saturating_add(1), 65536, 262_144, 1_048_576, u32::MAX]);
        let t = *rng.pick(&[1u32, 3, 10, 16, 17, u32::MAX]);
        (m.max(min_m), t, p)
    } else {
        match rng.below(5) {
            0 => (65536, 0, 1),             // t = 0
            1 => (65536, 3, 0),             // p = 0
            2 => (u32::MAX, 3, 0x100_0000), // p = 2^24
            3 => (u32::MAX, 3, u32::MAX),   // p = 2^32 - 1
            _ => {
                let p = rng.range(1, 0xFF_FFFF) as u32; // m = 8p - 1
                (p * 8 - 1, 1, p)
            }
        }
    }
}

fn valid_slot(rng: &mut Rng) -> GenSlot {
    if rng.below(2) == 0 {
        let (m, t, p) = costs(rng, true);
        GenSlot { ty: 1, body_len: 132, body: password_body(rng, m, t, p) }
    } else {
        let any_type = rng.range(2, 255) as u8;
        let ty = *rng.pick(&[2u8, 3, 0x7f, 0x80, 0xfe, 0xff, any_type]);
        let any_len = rng.below(64) as usize;
        let len = *rng.pick(&[0usize, 1, 2, 16, 131, 132, 133, 1023, 1024, any_len]);
        GenSlot { ty, body_len: len as u16, body: rng.bytes(len) }
    }
}

fn encode_header(version: u8, count: u8, slots: &[GenSlot], mac_len: usize, rng: &mut Rng) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.push(version);
    out.push(count);
    for s in slots {
        s.encode(&mut out);
    }
    out.extend(rng.bytes(mac_len));
    out
}

fn valid_header(rng: &mut Rng) -> Vec<u8> {
    let n = if rng.below(3) == 0 { 8 } else { rng.below(9) as usize };
    let slots: Vec<GenSlot> = (0..n).map(|_| valid_slot(rng)).collect();
    encode_header(1, n as u8, &slots, 32, rng)
}

/// A header that breaks one rule (or a few), at a place a parser must check.
fn edge_header(rng: &mut Rng) -> Vec<u8> {
    let n = rng.below(4) as usize;
    let mut slots: Vec<GenSlot> = (0..n).map(|_| valid_slot(rng)).collect();
    let mut version = 1u8;
    let mut count: Option<u8> = None;
    let mut mac_len = 32;
    match rng.below(12) {
        0 => version = *rng.pick(&[0u8, 2, 0x10, 0xff]),
        1 => count = Some(*rng.pick(&[9u8, 10, 0x7f, 0x80, 0xff])),
        2 => count = Some((n as u8).wrapping_add(1 + rng.below(2) as u8)), // more slots announced than present
        3 if n > 0 => count = Some(n as u8 - 1),                           // fewer
        4 => slots.push(GenSlot { ty: 0, body_len: rng.below(8) as u16, body: rng.bytes(4) }),
        5 => {
            let len = *rng.pick(&[0u16, 1, 131, 133, 1024, 0xffff]);
            let body = rng.bytes(usize::from(len.min(200)));
            slots.push(GenSlot { ty: 1, body_len: len, body });
        }
        6 => {
            let len = *rng.pick(&[1025u16, 1026, 0x8000, 0xffff]);
            let body = rng.bytes(usize::from(len.min(1100)));
            slots.push(GenSlot { ty: rng.range(2, 255) as u8, body_len: len, body });
        }
        7 => {
            let (m, t, p) = costs(rng, false);
            slots.push(GenSlot { ty: 1, body_len: 132, body: password_body(rng, m, t, p) });
        }
        8 => {
            // An exact duplicate of a slot.
            let s = valid_slot(rng);
            slots.push(s.clone());
            slots.push(s);
        }
        9 => {
            // Two password slots with one salt and different costs or keys.
            let (m, t, p) = costs(rng, true);
            let a = password_body(rng, m, t, p);
            let mut b = password_body(rng, m, t.saturating_add(1).max(1), p);
            b.splice(..16, a.get(..16).unwrap_or(&[]).iter().copied());
            slots.push(GenSlot { ty: 1, body_len: 132, body: a });
            slots.push(GenSlot { ty: 1, body_len: 132, body: b });
        }
        10 => {
            // Same body under two types, or two bodies under one type: not duplicates.
            let body = rng.bytes_below(20);
            slots.push(GenSlot { ty: 2, body_len: body.len() as u16, body: body.clone() });
            slots.push(GenSlot { ty: 3, body_len: body.len() as u16, body });
        }
        _ => mac_len = rng.below(32) as usize,
    }
    let count = count.unwrap_or(slots.len().min(255) as u8);
    let mut out = encode_header(version, count, &slots, mac_len, rng);
    if rng.below(4) == 0 {
        out.extend(rng.bytes_between(1, 40 + 1)); // trailing data, or the payload
    }
    out
}

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    if v.is_empty() {
        return rng.bytes_below(8);
    }
    let at = rng.below(v.len() as u64) as usize;
    match rng.below(7) {
        0 => v[at] ^= 1 << rng.below(8),
        1 => v[at] = *rng.pick(&[0u8, 1, 2, 0x7f, 0x80, 0xff]),
        2 => v.truncate(at),
        3 => {
            v.remove(at);
        }
        4 => v.insert(at, rng.byte()),
        5 => v.extend(rng.bytes_between(1, 16 + 1)),
        _ => {
            // Flip a bit in the structure: magic, version, count, or the
            // first slot's type and length.
            let pos = rng.below(14.min(v.len() as u64)) as usize;
            v[pos] ^= 1 << rng.below(8);
        }
    }
    v
}

/// Hostile and valid byte inputs, `scale` of each kind (about 9 * scale in
/// all, plus every truncation of a few headers).
pub fn generated_bytes(rng: &mut Rng, scale: usize, inputs: &mut Inputs) {
    let mut headers = Vec::new();
    for _ in 0..scale {
        let h = valid_header(rng);
        inputs.add("generated: valid headers", Input::Bytes(h.clone()));
        headers.push(h);
    }
    for _ in 0..scale {
        inputs.add("generated: headers breaking a rule", Input::Bytes(edge_header(rng)));
    }
    for h in headers.iter().take(scale) {
        let mut v = h.clone();
        for _ in 0..=rng.below(3) {
            v = mutate(rng, &v);
        }
        inputs.add("generated: mutated headers", Input::Bytes(v));
        let mut with_payload = h.clone();
        with_payload.extend(rng.bytes_below(100));
        inputs.add("generated: headers with a payload after them", Input::Bytes(with_payload));
    }
    // Every truncation of a few headers with slots of both kinds.
    for h in headers.iter().filter(|h| h.len() > 43 && h.len() < 1500).take(8) {
        for len in 0..h.len() {
            inputs.add("generated: every truncation of 8 headers", Input::Bytes(h[..len].to_vec()));
        }
    }
    for _ in 0..scale {
        let s = if rng.below(4) == 0 {
            let (m, t, p) = costs(rng, false);
            GenSlot { ty: 1, body_len: 132, body: password_body(rng, m, t, p) }
        } else {
            valid_slot(rng)
        };
        let mut out = Vec::new();
        s.encode(&mut out);
        if rng.below(2) == 0 {
            out = mutate(rng, &out);
        }
        inputs.add("generated: slots alone", Input::Bytes(out));
    }
    for _ in 0..scale {
        let len = rng.below(64) as usize;
        inputs.add("generated: random bytes", Input::Bytes(rng.bytes(len)));
        let mut m = MAGIC[..rng.below(10) as usize].to_vec();
        m.extend(rng.bytes_below(48));
        inputs.add("generated: magic prefix and random bytes", Input::Bytes(m));
        let mut m = MAGIC.to_vec();
        m.push(1);
        m.extend(rng.bytes_below(300));
        inputs.add("generated: magic, version and random bytes", Input::Bytes(m));
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Characters that are not a hex digit, a space or a dash, some of them
/// lookalikes.
const INVALID: &[char] = &[
    'g',
    'G',
    'x',
    'z',
    '_',
    '.',
    ':',
    '+',
    '\t',
    '\n',
    '\r',
    '\0',
    '\u{7f}',
    '\u{a0}',
    '\u{2010}',
    '\u{2011}',
    '\u{2212}',
    '\u{ff0d}',
    '\u{3000}',
    '\u{200b}',
    '\u{feff}',
    'é',
    '\u{301}',
    '\u{ff10}',
    '\u{ff41}',
    '\u{660}',
    '\u{966}',
    '😀',
    '\u{10ffff}',
    'ß',
    'İ',
];

fn canonical_text(key: &[u8; 32]) -> String {
    let mut s = String::new();
    for (i, b) in key.iter().enumerate() {
        if i > 0 && i % 2 == 0 {
            s.push('-');
        }
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 15)]));
    }
    s
}

fn key_text_variant(rng: &mut Rng, key: &[u8; 32]) -> String {
    let canon = canonical_text(key);
    let mut chars: Vec<char> = canon.chars().collect();
    match rng.below(10) {
        0 => {}
        1 => chars = canon.to_uppercase().chars().collect(),
        2 => {
            for c in &mut chars {
                if rng.below(2) == 0 {
                    *c = c.to_ascii_uppercase();
                }
            }
        }
        3 => chars.retain(|&c| c != '-'),
        4 => {
            // Spaces and dashes anywhere.
            for _ in 0..rng.range(1, 20) {
                let at = rng.below(chars.len() as u64 + 1) as usize;
                chars.insert(at, *rng.pick(&[' ', '-']));
            }
        }
        5 => {
            // Digits missing.
            for _ in 0..rng.range(1, 4) {
                let digits: Vec<usize> = (0..chars.len()).filter(|&i| chars[i].is_ascii_hexdigit()).collect();
                if !digits.is_empty() {
                    chars.remove(*rng.pick(&digits));
                }
            }
        }
        6 => {
            // Digits too many.
            for _ in 0..rng.range(1, 4) {
                let at = rng.below(chars.len() as u64 + 1) as usize;
                chars.insert(at, char::from(*rng.pick(HEX)));
            }
        }
        7 => {
            // One invalid character somewhere, maybe with a length problem too.
            let at = rng.below(chars.len() as u64 + 1) as usize;
            chars.insert(at, *rng.pick(INVALID));
            if rng.below(2) == 0 {
                chars.truncate(rng.below(chars.len() as u64 + 1) as usize);
            }
        }
        8 => {
            // Two invalid characters: the first must be reported.
            for _ in 0..2 {
                let at = rng.below(chars.len() as u64 + 1) as usize;
                chars.insert(at, *rng.pick(INVALID));
            }
        }
        _ => {
            // Cut anywhere.
            chars.truncate(rng.below(chars.len() as u64 + 1) as usize);
        }
    }
    chars.into_iter().collect()
}

/// 64-digit key texts (valid spellings, and each way of being wrong) and
/// keys to format, `scale` of each kind.
pub fn generated_keys(rng: &mut Rng, scale: usize, inputs: &mut Inputs) {
    for i in 0..scale {
        let key: [u8; 32] = match i {
            0 => [0; 32],
            1 => [0xff; 32],
            _ if i < 258 => [(i - 2) as u8; 32],
            _ => rng.array(),
        };
        inputs.add("generated: keys to format", Input::Key(key));
        inputs.add("generated: 64-digit key spellings", Input::Text(key_text_variant(rng, &key)));
        inputs.add("generated: 64-digit key spellings", Input::Text(key_text_variant(rng, &key)));
        // Random strings over digits, separators and invalid characters.
        let len = rng.below(90) as usize;
        let text: String = (0..len)
            .map(|_| match rng.below(20) {
                0 => *rng.pick(INVALID),
                1 | 2 => *rng.pick(&[' ', '-']),
                3 => char::from(rng.pick(HEX).to_ascii_uppercase()),
                _ => char::from(*rng.pick(HEX)),
            })
            .collect();
        inputs.add("generated: random key-like texts", Input::Text(text));
    }
}
