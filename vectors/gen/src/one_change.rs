//! The mechanical check that every invalid vector breaks exactly one rule
//! (vectors/README.md, "Failure stages"; issue 18, part 5).
//!
//! For every invalid vector the check finds a **base**: a valid or
//! acceptable input from which the vector differs by **one change** of a
//! fixed catalogue, and requires that
//!
//! 1. the base opens with ebak-core under the v1 ceilings: undoing the
//!    change makes the vector valid;
//! 2. the change is the only difference: one secret, or one context, or a
//!    cut or an extension at the end, or one contiguous run of bytes inside
//!    **one region** of the base's layout (the magic, the version, the slot
//!    list, one part of one slot, the header MAC, the payload's salt and
//!    commitment, its chunks). An edit of the header counts as one change
//!    when the vector's header MAC is the right MAC over the edited header
//!    under the base's backup key (the edit was made as a writer holding the
//!    key would make it, and the MAC rule still holds), or when the edited
//!    slots claim more bytes than the file has, so that no MAC can follow;
//! 3. the change is one the stated failure stage covers (table in
//!    [`allowed`]): a change in the chunks is a Payload failure, a changed
//!    salt a Commitment failure, a header edit that keeps a correct MAC a
//!    HeaderParse or KdfLimits failure, and so on.
//!
//! For the Argon2id costs, the one rule is checked on the fields themselves:
//! a vector over the KDF ceilings breaks exactly one of them (m, t, p, or
//! the total; lanes over the ceiling with the least memory they allow,
//! m = 8p, count as one change, the lanes), and a vector with invalid Argon2id parameters breaks exactly
//! one of RFC 9106's conditions (those slots carry a stand-in KEK: no one
//! runs Argon2id at these costs, so their base is a valid slot with other
//! costs, and the change is the slot).
//!
//! The 64-digit key texts are not checked this way: spec 4.5 orders their
//! errors (the first invalid character wins over a wrong digit count), so a
//! text with an invalid character in place of a digit also has one digit
//! too few, by design; what each of those vectors tests is the reported
//! error, which the generator computes from a model of spec 4.5, and the
//! vectors whose point is the order are flagged `Precedence`.
//!
//! Each check returns a [`Report`]: one line per invalid vector (its base
//! and its change), and the problems. The generator refuses to write
//! vectors with a problem (`generate_all`).

use crate::model::{FileTest, KeyWrapTest, Stage, TestResult};
use crate::raw::{hmac_sha256, mac_key};
use ebak_core::aead::DefaultAead;
use ebak_core::header::{Header, Slot};
use ebak_core::kdf::{KdfLimits, KdfParams};
use ebak_core::slot::password::Unwrapped;
use ebak_core::{BackupKey, Secret, file};
use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;

/// The secret a file vector tries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Try {
    /// The backup key bytes.
    Key([u8; 32]),
    /// A password.
    Password(String),
}

/// A file vector, decoded.
#[derive(Clone, Debug)]
pub struct FileCase {
    /// Its tcId (0 for a base that is not a vector).
    pub tc_id: usize,
    /// The file.
    pub file: Vec<u8>,
    /// The secret tried.
    pub secret: Try,
    /// The application context.
    pub context: Vec<u8>,
    /// Its backup key (valid and acceptable inputs).
    pub backup_key: Option<[u8; 32]>,
}

/// One change of the catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Another secret, the same file and context.
    Secret,
    /// Another application context, the same file and secret.
    Context,
    /// The input cut at this length.
    Cut(usize),
    /// Bytes added at the end.
    Extended,
    /// One contiguous run of bytes changed inside one region; `resealed`:
    /// the header MAC was recomputed over the changed header.
    Bytes(Region, bool),
}

/// A part of the base's layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Region {
    /// The magic, and whatever follows a damaged one (a reader stops there).
    Magic,
    /// The version byte.
    Version,
    /// The slot count and slots together (slots added, removed, recounted).
    SlotList,
    /// A password slot's framing, Argon2id salt and costs, wrap salt and
    /// commitment: what decides whether the password's KEK matches.
    PasswordSlotKdf,
    /// A password slot's wrapped key and tag.
    PasswordSlotWrap,
    /// A whole password slot replaced by another one.
    PasswordSlot,
    /// A slot of another type.
    OtherSlot,
    /// The header MAC.
    Mac,
    /// The payload's salt and commitment.
    PayloadPrefix,
    /// The payload's chunks.
    Chunks,
    /// The whole payload replaced by another one.
    Payload,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Secret => f.write_str("another secret"),
            Self::Context => f.write_str("another context"),
            Self::Cut(at) => write!(f, "cut at {at} bytes"),
            Self::Extended => f.write_str("bytes appended"),
            Self::Bytes(region, true) => write!(f, "{region:?} changed, header MAC recomputed"),
            Self::Bytes(region, false) => write!(f, "{region:?} changed"),
        }
    }
}

/// What a check found.
#[derive(Debug, Default)]
pub struct Report {
    /// One line per invalid vector: its base and its change.
    pub lines: Vec<String>,
    /// Every broken expectation; empty when all is well.
    pub problems: Vec<String>,
}

/// The stages a change may be caught at (spec 6 and 9): the first step of
/// spec 6 that reads the changed part, given that everything else is as a
/// writer made it.
#[must_use]
pub fn allowed(change: Change) -> &'static [Stage] {
    use Region::{
        Chunks, Mac, Magic, OtherSlot, PasswordSlot, PasswordSlotKdf, PasswordSlotWrap, Payload, PayloadPrefix,
        SlotList, Version,
    };
    use Stage::{Commitment, HeaderMac, HeaderParse, KdfLimits, NoSlotOpens};
    match change {
        // Another key fails at the MAC, another password at the slots (or,
        // with a password, at the ceilings the key never reaches).
        Change::Secret => &[KdfLimits, NoSlotOpens, HeaderMac],
        Change::Context => &[Commitment],
        Change::Cut(_) | Change::Extended => &[],
        // A header edit with a correct MAC: the grammar, or the costs.
        Change::Bytes(Magic | Version | SlotList | PasswordSlot | PasswordSlotKdf | OtherSlot, true) => {
            &[HeaderParse, KdfLimits]
        }
        // A damaged magic: the reader stops before anything else.
        Change::Bytes(Magic, false) => &[HeaderParse],
        // The password's KEK no longer matches the slot's commitment.
        Change::Bytes(PasswordSlotKdf, false) => &[NoSlotOpens],
        // Anything else in the header without a new MAC: the MAC (or the
        // slot's own tag, class HeaderMac too).
        Change::Bytes(SlotList | PasswordSlotWrap | PasswordSlot | OtherSlot | Mac, false) => &[HeaderMac],
        Change::Bytes(PasswordSlotWrap | Mac, true) | Change::Bytes(Version, false) => &[],
        Change::Bytes(PayloadPrefix | Payload, _) => &[Commitment],
        Change::Bytes(Chunks, _) => &[Stage::Payload],
    }
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn key32(s: &str) -> [u8; 32] {
    hex(s).try_into().unwrap()
}

impl FileCase {
    /// Decodes a file vector.
    #[must_use]
    pub fn from_test(t: &FileTest) -> Self {
        let file = match (&t.file, &t.file_zlib) {
            (Some(h), _) => hex(h),
            (None, Some(z)) => {
                let mut out = Vec::new();
                flate2::read::ZlibDecoder::new(&hex(z)[..]).read_to_end(&mut out).unwrap();
                out
            }
            (None, None) => panic!("tcId {}: no file", t.tc_id),
        };
        let secret = match (&t.key, &t.password) {
            (Some(k), _) => Try::Key(key32(k)),
            (None, Some(p)) => Try::Password(p.clone()),
            (None, None) => panic!("tcId {}: no secret", t.tc_id),
        };
        Self { tc_id: t.tc_id, file, secret, context: hex(&t.context), backup_key: t.backup_key.as_deref().map(key32) }
    }

    fn opens(&self) -> bool {
        let secret = match &self.secret {
            Try::Key(k) => Secret::key(&BackupKey::from_bytes(*k)),
            Try::Password(p) => Secret::password(p),
        };
        file::open::<DefaultAead>(&self.file, &secret, &self.context, &KdfLimits::V1).is_ok()
    }
}

/// The layout of a valid file: where each region is.
struct Layout {
    header_len: usize,
    /// `(start, end, is_password)` of every slot.
    slots: Vec<(usize, usize, bool)>,
}

impl Layout {
    fn of(file: &[u8]) -> Option<Self> {
        let (header, header_len) = Header::parse_prefix(file).ok()?;
        let mut slots = Vec::new();
        let mut at = 11;
        for slot in header.slots() {
            let len = 3 + usize::from(u16::from_be_bytes([file[at + 1], file[at + 2]]));
            slots.push((at, at + len, matches!(slot, Slot::Password(_))));
            at += len;
        }
        Some(Self { header_len, slots })
    }

    /// The region that holds every byte of `start..end` (a non-empty range,
    /// or an insertion point), in the header (`end <= header_len`) or the
    /// payload.
    fn region(&self, start: usize, end: usize) -> Option<Region> {
        let h = self.header_len;
        let mac = h - 32;
        let end = end.max(start + 1);
        if start < 9 {
            return Some(Region::Magic);
        }
        if end <= 10 {
            return Some(Region::Version);
        }
        if start >= 10 && end <= mac {
            // Inside one slot, or the slot list as a whole.
            for &(s, e, password) in &self.slots {
                if start >= s && end <= e {
                    if !password {
                        return Some(Region::OtherSlot);
                    }
                    // Type, body_len, kdf_salt, m, t, p, wrap salt and
                    // commitment: the first 3 + 84 bytes.
                    return Some(if end <= s + 87 {
                        Region::PasswordSlotKdf
                    } else if start >= s + 87 {
                        Region::PasswordSlotWrap
                    } else {
                        Region::PasswordSlot
                    });
                }
            }
            return Some(Region::SlotList);
        }
        if start >= mac && end <= h {
            return Some(Region::Mac);
        }
        if start >= h && end <= h + 56 {
            return Some(Region::PayloadPrefix);
        }
        if start >= h + 56 {
            return Some(Region::Chunks);
        }
        if start >= h {
            return Some(Region::Payload);
        }
        None
    }
}

/// The common prefix and suffix lengths of `a` and `b` (not overlapping).
fn common(a: &[u8], b: &[u8]) -> (usize, usize) {
    let p = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let max_s = a.len().min(b.len()) - p;
    let s = a.iter().rev().zip(b.iter().rev()).take(max_s).take_while(|(x, y)| x == y).count();
    (p, s)
}

/// The one change from `base` to `case`, if there is one.
fn change(base: &FileCase, case: &FileCase) -> Option<Change> {
    let same_secret = base.secret == case.secret;
    let same_context = base.context == case.context;
    if base.file == case.file {
        return match (same_secret, same_context) {
            (false, true) => Some(Change::Secret),
            (true, false) => Some(Change::Context),
            _ => None,
        };
    }
    if !same_secret || !same_context {
        return None;
    }
    let (b, v) = (&base.file, &case.file);
    if b.starts_with(v) {
        return Some(Change::Cut(v.len()));
    }
    if v.starts_with(b) {
        return Some(Change::Extended);
    }
    let layout = Layout::of(b)?;
    let h = layout.header_len;
    let (p, s) = common(b, v);
    let region = layout.region(p, b.len() - s);
    // A header edit with the MAC recomputed: the payload is the base's, the
    // MAC right over the edited header, and the edit (the MAC aside) lies
    // in one region.
    let payload = &b[h..];
    if v.ends_with(payload) && v.len() >= payload.len() + 32 {
        let hv = v.len() - payload.len();
        let key = base.backup_key?;
        let (auth, mac) = v[..hv].split_at(hv - 32);
        if hmac_sha256(&mac_key(&key), auth) == mac && auth != &b[..h - 32] {
            let (p, s) = common(&b[..h - 32], auth);
            let r = layout.region(p, h - 32 - s)?;
            return Some(Change::Bytes(r, true));
        }
    }
    // A slot list edited so that its slots claim more bytes than the file
    // has: no MAC can follow it, so there is no MAC rule to break (a reader
    // refuses the length before it needs the bytes).
    if matches!(region, Some(Region::SlotList | Region::Mac) | None)
        && p >= 10
        && p < h - 32
        && slot_list_end(v).is_none_or(|end| end + 32 > v.len())
    {
        return Some(Change::Bytes(Region::SlotList, true));
    }
    region.map(|r| Change::Bytes(r, false))
}

/// Where the slot list of `file` ends, by its declared lengths (`None` if
/// the file ends first).
fn slot_list_end(file: &[u8]) -> Option<usize> {
    let count = *file.get(10)?;
    let mut at = 11;
    for _ in 0..count {
        let l = file.get(at + 1..at + 3)?;
        at += 3 + usize::from(u16::from_be_bytes([l[0], l[1]]));
    }
    (at <= file.len()).then_some(at)
}

/// The stage a cut or an extension is caught at: in the header, its
/// grammar; in the payload, the payload.
fn cut_stage(base: &FileCase, change: Change) -> Option<Stage> {
    let h = Layout::of(&base.file)?.header_len;
    match change {
        Change::Cut(at) if at < h => Some(Stage::HeaderParse),
        Change::Cut(_) | Change::Extended => Some(Stage::Payload),
        _ => None,
    }
}

/// Exactly one of spec 8's ceilings broken (m, t, p, or the total over the
/// slots), or exactly one of RFC 9106's conditions on Argon2id parameters.
fn one_cost_rule(params: &[KdfParams], stage: Stage) -> Result<(), String> {
    let c = KdfLimits::V1;
    let broken: Vec<String> = if stage == Stage::KdfLimits {
        let mut b = Vec::new();
        for p in params {
            if p.memory_kib > c.max_memory_kib {
                b.push(format!("m = {}", p.memory_kib));
            }
            if p.iterations > c.max_iterations {
                b.push(format!("t = {}", p.iterations));
            }
            if p.parallelism > c.max_parallelism {
                b.push(format!("p = {}", p.parallelism));
            }
        }
        // More lanes than the ceiling force more memory than the ceiling
        // when m is the least those lanes allow (m = 8p, RFC 9106): one
        // change (the lane count), not two.
        if let [p] = params
            && p.parallelism > c.max_parallelism
            && u64::from(p.memory_kib) == 8 * u64::from(p.parallelism)
        {
            b.retain(|x| !x.starts_with("m = "));
        }
        let total: u64 = params.iter().map(|p| u64::from(p.memory_kib) * u64::from(p.iterations)).sum();
        // The total is a rule of its own only when no slot alone is over.
        if b.is_empty() && total > c.max_total_work {
            b.push(format!("total {total}"));
        }
        b
    } else {
        let mut b = Vec::new();
        for p in params {
            if p.iterations == 0 {
                b.push("t = 0".into());
            }
            if p.parallelism == 0 {
                b.push("p = 0".into());
            }
            if p.parallelism >= 1 << 24 {
                b.push(format!("p = {}", p.parallelism));
            }
            if u64::from(p.memory_kib) < 8 * u64::from(p.parallelism.max(1)) {
                b.push(format!("m = {} < 8p", p.memory_kib));
            }
        }
        b
    };
    if broken.len() == 1 { Ok(()) } else { Err(format!("breaks {} cost rules: {broken:?}", broken.len())) }
}

/// The Argon2id costs of the password slots in a header's slot list (read
/// by hand: the header may not parse).
fn header_costs(file: &[u8]) -> Vec<KdfParams> {
    let mut out = Vec::new();
    let Some(&count) = file.get(10) else { return out };
    let mut at = 11;
    for _ in 0..count {
        let (Some(&t), Some(l)) = (file.get(at), file.get(at + 1..at + 3)) else { break };
        let len = usize::from(u16::from_be_bytes([l[0], l[1]]));
        if t == 1
            && let Some(body) = file.get(at + 3..at + 3 + len)
        {
            out.extend(body_costs(body));
        }
        at += 3 + len;
    }
    out
}

fn body_costs(body: &[u8]) -> Option<KdfParams> {
    let word = |i: usize| Some(u32::from_be_bytes(body.get(16 + 4 * i..20 + 4 * i)?.try_into().ok()?));
    Some(KdfParams { memory_kib: word(0)?, iterations: word(1)?, parallelism: word(2)? })
}

/// Checks every invalid file vector against the valid ones and `extra`
/// (valid files the generator changed that are not vectors themselves).
#[must_use]
pub fn check_file_vectors(tests: &[FileTest], extra: &[FileCase]) -> Report {
    let mut report = Report::default();
    let mut bases: Vec<FileCase> = tests
        .iter()
        .filter(|t| t.result != Some(TestResult::Invalid))
        .map(FileCase::from_test)
        .chain(extra.iter().cloned())
        .collect();
    bases.sort_by_key(|b| b.file.len());
    let mut opens: BTreeMap<usize, bool> = BTreeMap::new();
    for t in tests.iter().filter(|t| t.result == Some(TestResult::Invalid)) {
        let case = FileCase::from_test(t);
        let stage = t.failure_stage.unwrap();
        // Every base one change away whose change the stage covers; the
        // smallest change wins (a truncation is also a change of a longer
        // file whose prefix it shares).
        let mut found: Option<(usize, (u8, usize), Change)> = None;
        for (i, base) in bases.iter().enumerate() {
            let Some(c) = change(base, &case) else { continue };
            let fits = match c {
                Change::Cut(_) | Change::Extended => cut_stage(base, c) == Some(stage),
                _ => allowed(c).contains(&stage),
            };
            // The simplest explanation first: a secret or a context, then a
            // cut or an extension, then bytes, then bytes with a new MAC;
            // among equals, the fewest bytes.
            let (p, s) = common(&base.file, &case.file);
            let bytes = base.file.len().max(case.file.len()) - p - s;
            let size = match c {
                Change::Secret | Change::Context => (0, 0),
                Change::Cut(_) | Change::Extended => (1, bytes),
                Change::Bytes(_, false) => (2, bytes),
                Change::Bytes(_, true) => (3, bytes),
            };
            if fits && found.is_none_or(|(_, best, _)| size < best) {
                found = Some((i, size, c));
            }
        }
        let found = found.map(|(i, _, c)| (i, c));
        let Some((i, c)) = found else {
            report.problems.push(format!(
                "tcId {} ({stage:?}, {:?}): no valid vector is one change away in a part that stage covers",
                t.tc_id, t.flags
            ));
            continue;
        };
        let base = &bases[i];
        let base_opens = *opens.entry(i).or_insert_with(|| base.opens());
        if !base_opens {
            report.problems.push(format!("tcId {}: its base (tcId {}) does not open", t.tc_id, base.tc_id));
        }
        if (stage == Stage::KdfLimits || t.flags.contains(&"InvalidKdfParams"))
            && let Err(e) = one_cost_rule(&header_costs(&case.file), stage)
        {
            report.problems.push(format!("tcId {}: {e}", t.tc_id));
        }
        let base_id =
            if base.tc_id == 0 { "a sealed file that is not a vector".into() } else { format!("tcId {}", base.tc_id) };
        report.lines.push(format!("tcId {:3} {stage:?}: {base_id}, {c}", t.tc_id));
    }
    report
}

/// The regions of a lone slot (`type || body_len || body`).
fn slot_region(base: &[u8], start: usize, end: usize) -> Region {
    let end = end.max(start + 1);
    let password = base.first() == Some(&1);
    if start < 3 {
        return Region::SlotList;
    }
    match (password, end <= 87, start >= 87) {
        (false, _, _) => Region::OtherSlot,
        (true, true, _) => Region::PasswordSlotKdf,
        (true, _, true) => Region::PasswordSlotWrap,
        _ => Region::PasswordSlot,
    }
}

/// Checks every invalid key-slot vector against the valid and acceptable
/// ones: one change (another password; a cut or an extension, caught by
/// the slot grammar; bytes in one part of the slot), and the base opens.
#[must_use]
pub fn check_keywrap_vectors(tests: &[KeyWrapTest], extra: &[(Vec<u8>, String)]) -> Report {
    struct Base {
        tc_id: usize,
        slot: Vec<u8>,
        password: String,
    }
    let mut report = Report::default();
    let bases: Vec<Base> = tests
        .iter()
        .filter(|t| t.result != Some(TestResult::Invalid))
        .map(|t| Base { tc_id: t.tc_id, slot: hex(&t.slot), password: t.password.clone() })
        .chain(extra.iter().map(|(slot, password)| Base { tc_id: 0, slot: slot.clone(), password: password.clone() }))
        .collect();
    let mut opens: BTreeMap<usize, bool> = BTreeMap::new();
    for t in tests.iter().filter(|t| t.result == Some(TestResult::Invalid)) {
        let stage = t.failure_stage.unwrap();
        let v = hex(&t.slot);
        let mut found = None;
        for (i, base) in bases.iter().enumerate() {
            let b = base.slot.clone();
            let c = if b == v {
                (base.password != t.password).then_some(Change::Secret)
            } else if base.password != t.password {
                None
            } else if b.starts_with(&v) {
                Some(Change::Cut(v.len()))
            } else if v.starts_with(&b) {
                Some(Change::Extended)
            } else {
                let (p, s) = common(&b, &v);
                Some(Change::Bytes(slot_region(&b, p, b.len() - s), false))
            };
            let Some(c) = c else { continue };
            let fits = match c {
                // A slot alone: whatever is cut or added breaks its grammar.
                Change::Cut(_) | Change::Extended => stage == Stage::HeaderParse,
                Change::Secret => stage == Stage::NoSlotOpens,
                // The type or body_len: the grammar; or an unknown type,
                // which is no password slot at all.
                Change::Bytes(Region::SlotList, _) => matches!(stage, Stage::HeaderParse | Stage::NoSlotOpens),
                Change::Bytes(Region::PasswordSlotKdf | Region::PasswordSlot, _) => {
                    matches!(stage, Stage::HeaderParse | Stage::KdfLimits | Stage::NoSlotOpens | Stage::HeaderMac)
                }
                Change::Bytes(Region::PasswordSlotWrap, _) => stage == Stage::HeaderMac,
                _ => false,
            };
            if fits {
                found = Some((i, base, c));
                break;
            }
        }
        let Some((i, base, c)) = found else {
            report.problems.push(format!(
                "tcId {} ({stage:?}, {:?}): no valid vector is one change away in a part that stage covers",
                t.tc_id, t.flags
            ));
            continue;
        };
        let base_opens = *opens.entry(i).or_insert_with(|| {
            let Ok(Slot::Password(slot)) = Slot::parse(&base.slot) else { return false };
            matches!(slot.unwrap::<DefaultAead>(&base.password, &KdfLimits::V1), Ok(Unwrapped::Key(_)))
        });
        if !base_opens {
            report.problems.push(format!("tcId {}: its base (tcId {}) does not open", t.tc_id, base.tc_id));
        }
        if (stage == Stage::KdfLimits || t.flags.contains(&"InvalidKdfParams"))
            && let Err(e) =
                one_cost_rule(&body_costs(v.get(3..).unwrap_or_default()).into_iter().collect::<Vec<_>>(), stage)
        {
            report.problems.push(format!("tcId {}: {e}", t.tc_id));
        }
        // The finer regions must agree with the stage: the KEK side fails
        // before the MAC side is read.
        if let Change::Bytes(Region::PasswordSlotKdf, _) = c
            && stage == Stage::HeaderMac
        {
            report.problems.push(format!("tcId {}: a change before the wrapped key caught as HeaderMac", t.tc_id));
        }
        let base_id =
            if base.tc_id == 0 { "a slot that is not a vector".into() } else { format!("tcId {}", base.tc_id) };
        report.lines.push(format!("tcId {:3} {stage:?}: {base_id}, {c}", t.tc_id));
    }
    report
}
