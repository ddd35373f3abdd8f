//! The corpus seeds: deterministic, from `vectors/*.json` and from a few
//! chosen structured inputs. Every seed is named `seed-<source>-<id>`; files
//! the fuzzer adds (named by libFuzzer, after their SHA-1) are left alone.

use ebak_core::header::{MAGIC, MAX_HEADER_SIZE};
use ebak_fuzz_harness::input::{FILE_SPEC_SIZE, FUZZ_KEY_TEXT, FileSpec, MUTATION_SIZE, Mutation};
use ebak_fuzz_harness::open_file::BuiltInput;
use ebak_fuzz_harness::slot::{SlotFields, SlotInput};
use ebak_fuzz_harness::stream::StreamInput;
use ebak_fuzz_harness::stream_open::{FIXED_SIZE, Fixed, StreamOpenInput};
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;

/// One corpus file.
pub struct Seed {
    pub target: &'static str,
    pub name: String,
    pub data: Vec<u8>,
}

/// Raw vector files longer than this are not seeds: the fixed fuzz key
/// never opens them, so past their header they add nothing but length
/// (and libFuzzer's default `-max_len` is the longest seed).
const MAX_RAW_FILE_SEED: usize = 8192;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn vectors(name: &str) -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vectors").join(name);
    let json: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    json["testGroups"].as_array().unwrap().iter().flat_map(|g| g["tests"].as_array().unwrap().clone()).collect()
}

fn file_of(t: &Value) -> Vec<u8> {
    if let Some(h) = t["file"].as_str() {
        return hex(h);
    }
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(&hex(t["fileZlib"].as_str().unwrap())[..]).read_to_end(&mut out).unwrap();
    out
}

fn spec(n: u8, slots: u8, length: u8, context: u8) -> FileSpec {
    FileSpec {
        slots,
        costs: n.wrapping_mul(9),
        kdf_salt: core::array::from_fn(|i| n ^ (i as u8).wrapping_mul(37)),
        wrap_salt: core::array::from_fn(|i| n.wrapping_add(0x40) ^ (i as u8).wrapping_mul(11)),
        payload_salt: core::array::from_fn(|i| n.wrapping_add(0x80) ^ (i as u8).wrapping_mul(5)),
        unknown_type: 2 + n,
        unknown_len: u16::from(n) * 97,
        context,
        length,
        length_extra: u16::from(n) * 1031,
        fill: n,
    }
}

const fn mutation(op: u8, region: u8, at: u32, value: u8) -> Mutation {
    Mutation { op: op | region << 3, at, value }
}

/// Built-mode files: every length class, every slot layout, every secret,
/// and one of each mutation kind in each region.
fn file_specs() -> Vec<(FileSpec, u8, Vec<Mutation>)> {
    let mut out = Vec::new();
    for (n, (slots, length)) in
        [(0, 0), (1, 8), (3, 10), (13, 12), (7, 14), (5, 1), (1, 6), (0, 15)].into_iter().enumerate()
    {
        let n = n as u8;
        for open in [0, 1, 3, 4, 2, 8] {
            out.push((spec(n, slots, length, n % 4), open, Vec::new()));
        }
    }
    let mut n: u8 = 20;
    for op in 0..8 {
        for region in 0..4 {
            n += 1;
            let m = mutation(op, region, u32::from(n) * 7919, n.wrapping_mul(13) | 1);
            out.push((
                spec(n, [1, 0, 5, 3][usize::from(region)], [14, 12, 1, 8][usize::from(op % 4)], 1),
                n % 2,
                vec![m],
            ));
        }
    }
    // Mutations that cancel out: still opens.
    out.push((spec(60, 1, 2, 0), 1, vec![mutation(0, 0, 99, 3), mutation(0, 0, 99, 3)]));
    out
}

/// The slot seeds that do not come from the vectors: the genuine mode with
/// each field changed, and the fields mode at each parameter check.
fn slot_inputs() -> Vec<(String, SlotInput)> {
    let base = SlotFields {
        mode: 1,
        slot_type: 1,
        body_len: 132,
        frame: 0,
        cut: 0,
        kdf_salt: [0x5a; 16],
        memory_kib: 16,
        iterations: 1,
        parallelism: 2,
        wrap_salt: [0xa5; 24],
        tweak: 0,
        tweak_at: 0,
        tweak_xor: 0,
        password: 0,
        limits: [1 << 20, 16, 16],
        max_total_work: 1 << 24,
        others: [[65_536, 3, 1], [8, 1, 1]],
    };
    let wrapped: Vec<u8> = (0..104).collect();
    let with = |fields: SlotFields| SlotInput { fields, rest: wrapped.clone() };
    let mut out = Vec::new();
    for tweak in 0..9 {
        for password in 0..2 {
            let s = SlotFields {
                mode: 2,
                tweak,
                tweak_at: tweak * 5,
                tweak_xor: 0x41,
                password,
                memory_kib: u32::from(tweak),
                ..base.clone()
            };
            out.push((format!("genuine-{tweak}-{password}"), with(s)));
        }
    }
    let fields: [(&str, SlotFields); 12] = [
        ("valid", base.clone()),
        ("t0", SlotFields { iterations: 0, ..base.clone() }),
        ("p0", SlotFields { parallelism: 0, ..base.clone() }),
        ("m-below-8p", SlotFields { memory_kib: 15, ..base.clone() }),
        ("p-2-24", SlotFields { parallelism: 1 << 24, memory_kib: 1 << 27, ..base.clone() }),
        ("over-m", SlotFields { memory_kib: (1 << 20) + 1, ..base.clone() }),
        ("over-t", SlotFields { iterations: 17, ..base.clone() }),
        ("over-total", SlotFields { others: [[1 << 20, 16, 1], [8, 1, 1]], ..base.clone() }),
        ("len-131", SlotFields { frame: 1, body_len: 131, ..base.clone() }),
        ("type-0", SlotFields { slot_type: 0, ..base.clone() }),
        ("cut", SlotFields { frame: 2, cut: 100, ..base.clone() }),
        ("trailing", SlotFields { frame: 4, ..base.clone() }),
    ];
    out.extend(fields.into_iter().map(|(n, s)| (format!("fields-{n}"), with(s))));
    for len in [1024, 1025] {
        out.push((
            format!("fields-vault-{len}"),
            SlotInput { fields: SlotFields { slot_type: 2, ..base.clone() }, rest: vec![7; len] },
        ));
    }
    out
}

/// `stream_open` inputs: every length class on 1 to 4 threads with read
/// sizes around the chunk and the prefix, a wrong key and context, and one
/// of each mutation kind in each region.
fn stream_open_inputs() -> Vec<StreamOpenInput> {
    let reads = [[1, 16_400], [16_399, 16_401], [56, 4096], [0, 0], [65_535, 7], [16_400, 16_400]];
    let mut out = Vec::new();
    for n in 0..16u8 {
        let fixed = Fixed {
            length: n,
            length_extra: u16::from(n) * 4099,
            fill: n,
            flags: n % 4,
            reads: reads[usize::from(n) % reads.len()],
            write: [0, 1, 4096, 16_385][usize::from(n) % 4],
        };
        out.push(StreamOpenInput { fixed, mutations: Vec::new() });
    }
    for flags in [4, 8, 12] {
        let fixed = Fixed { length: 10, length_extra: 5000, fill: 1, flags, reads: [4096, 4096], write: 0 };
        out.push(StreamOpenInput { fixed, mutations: Vec::new() });
    }
    let mut n: u8 = 0;
    for op in 0..8 {
        for region in 0..4 {
            n += 1;
            let fixed = Fixed {
                length: [14, 12, 8, 15][usize::from(region)],
                length_extra: u16::from(n) * 613,
                fill: n,
                flags: n % 4,
                reads: reads[usize::from(n) % reads.len()],
                write: 0,
            };
            let m = mutation(op, region, u32::from(n) * 7919, n.wrapping_mul(13) | 1);
            out.push(StreamOpenInput { fixed, mutations: vec![m] });
        }
    }
    out
}

/// Every seed, in a fixed order.
pub fn all() -> Vec<Seed> {
    let mut seeds = Vec::new();
    let mut push = |target: &'static str, name: String, data: Vec<u8>| seeds.push(Seed { target, name, data });

    for t in vectors("ebak_v1_file_test.json") {
        let id = t["tcId"].as_u64().unwrap();
        let file = file_of(&t);
        let header = match t["headerLength"].as_u64() {
            Some(len) => file[..len as usize].to_vec(),
            None => file[..file.len().min(MAX_HEADER_SIZE + 16)].to_vec(),
        };
        push("header", format!("seed-file-tc{id:03}"), header);
        if file.len() <= MAX_RAW_FILE_SEED {
            push("open_file", format!("seed-file-tc{id:03}"), [&[0x00][..], &file].concat());
        }
    }
    for t in vectors("ebak_v1_keywrap_test.json") {
        let id = t["tcId"].as_u64().unwrap();
        let slot = hex(t["slot"].as_str().unwrap());
        // A header around the slot (its MAC is not checked by the parser).
        let header = [&MAGIC[..], &[1, 1], &slot, &[0; 32]].concat();
        push("header", format!("seed-keywrap-tc{id:03}"), header);
        let fields = SlotFields { mode: 0, ..slot_inputs().remove(0).1.fields };
        push("slot", format!("seed-keywrap-tc{id:03}"), SlotInput { fields, rest: slot }.encode());
    }
    for t in vectors("ebak_v1_recovery_key_test.json") {
        let id = t["tcId"].as_u64().unwrap();
        push("recovery_key", format!("seed-rk-tc{id:03}"), t["text"].as_str().unwrap().as_bytes().to_vec());
    }
    push("recovery_key", "seed-fuzz-key".into(), FUZZ_KEY_TEXT.as_bytes().to_vec());
    push(
        "recovery_key",
        "seed-fuzz-key-upper-spaced".into(),
        FUZZ_KEY_TEXT.to_uppercase().replace('-', " ").into_bytes(),
    );

    for (n, (spec, open, mutations)) in file_specs().into_iter().enumerate() {
        let built = BuiltInput { spec: spec.clone(), open, mutations: mutations.clone() };
        push("open_file", format!("seed-built-{n:03}"), built.encode());
        let pieces = [[1, 16_400, 7, 65_535], [16_399, 16_401, 56, 43], [4096, 4096, 4096, 4096], [0, 0, 0, 0]][n % 4];
        push("stream", format!("seed-built-{n:03}"), StreamInput { spec, open, pieces, mutations }.encode());
    }
    for (name, input) in slot_inputs() {
        push("slot", format!("seed-{name}"), input.encode());
    }
    for t in vectors("ebak_vault_v1_slot_test.json") {
        let id = t["tcId"].as_u64().unwrap();
        push(
            "vault_messages",
            format!("seed-vault-slot-tc{id:03}"),
            [&[4u8][..], &hex(t["body"].as_str().unwrap())].concat(),
        );
    }
    for (name, input) in ebak_fuzz_harness::vault_messages::seed_inputs() {
        push("vault_messages", format!("seed-{name}"), input);
    }
    for (n, input) in stream_open_inputs().into_iter().enumerate() {
        push("stream_open", format!("seed-{n:03}"), input.encode());
    }
    for t in vectors("ebak_v1_content_test.json") {
        // The decrypted payload: what the `content` target seals and reads.
        let id = t["tcId"].as_u64().unwrap();
        let key = ebak_core::BackupKey::from_bytes(hex(t["key"].as_str().unwrap()).try_into().unwrap());
        let payload = ebak_core::file::open::<ebak_core::DefaultAead>(
            &file_of(&t),
            &ebak_core::Secret::key(&key),
            t["context"].as_str().unwrap().as_bytes(),
            &ebak_core::kdf::KdfLimits::V1,
        )
        .unwrap();
        push("content", format!("seed-content-tc{id:03}"), payload);
    }
    // Content duplicates within a target add nothing.
    let mut seen = BTreeSet::new();
    seeds.retain(|s| seen.insert((s.target, s.data.clone())));
    seeds
}

/// The encoders write what `arbitrary` reads.
pub fn check_encoders() {
    assert_eq!(FILE_SPEC_SIZE, {
        let mut v = Vec::new();
        spec(1, 1, 1, 1).encode(&mut v);
        v.len()
    });
    let mut m = Vec::new();
    mutation(1, 2, 3, 4).encode(&mut m);
    assert_eq!(m.len(), MUTATION_SIZE);
    for (spec, open, mutations) in file_specs() {
        let built = BuiltInput { spec: spec.clone(), open, mutations: mutations.clone() };
        let bytes = built.encode();
        assert_eq!(BuiltInput::decode(&bytes[1..]).unwrap(), built);
        let stream = StreamInput { spec, open, pieces: [1, 2, 3, 4], mutations };
        assert_eq!(StreamInput::decode(&stream.encode()).unwrap(), stream);
    }
    for (_, input) in slot_inputs() {
        assert_eq!(SlotInput::decode(&input.encode()).unwrap(), input);
    }
    for input in stream_open_inputs() {
        let bytes = input.encode();
        assert_eq!(bytes.len(), FIXED_SIZE + MUTATION_SIZE * input.mutations.len());
        assert_eq!(StreamOpenInput::decode(&bytes).unwrap(), input);
    }
}
