//! Prints the worked example of `spec/ebak-v1.md` section 12: one file
//! sealed with fixed inputs, with every intermediate value in hex.
//!
//! `cargo run -p ebak-core --example worked_example`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "example program"
)]

use ebak_core::BackupKey;
use ebak_core::aead::DefaultAead;
use ebak_core::cobblestone;
use ebak_core::file::{self, Secret};
use ebak_core::header::{Header, Slot, header_mac_key};
use ebak_core::kdf::{KdfLimits, KdfParams};
use ebak_core::recovery_key;
use ebak_core::slot::PasswordSlot;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn seq<const N: usize>(start: u8) -> [u8; N] {
    core::array::from_fn(|i| start.wrapping_add(i as u8))
}

fn main() {
    let backup_key = BackupKey::from_bytes(seq::<32>(0x00));
    let password = "correct horse battery staple";
    let params = KdfParams { memory_kib: 65_536, iterations: 3, parallelism: 1 };
    let kdf_salt = seq::<16>(0x40);
    let wrap_salt = seq::<24>(0x50);
    let payload_salt = seq::<24>(0x70);
    let app_context = b"msgstore";
    let plaintext = b"Hello, ebak!";

    let slot = PasswordSlot::create::<DefaultAead>(&backup_key, password, params, kdf_salt, wrap_salt).unwrap();
    let kek = slot.kek(password, &KdfLimits::V1).unwrap();
    let wrap_ctx = slot.wrap_context();
    let wrap = cobblestone::derive(kek.expose_secret(), &wrap_salt, &wrap_ctx);
    let file = file::seal::<DefaultAead>(
        &backup_key,
        vec![Slot::Password(slot.clone())],
        app_context,
        &payload_salt,
        plaintext,
    )
    .unwrap();
    let (header, payload) = file::split(&file).unwrap();
    let mac_key = header_mac_key(&backup_key);
    let payload_ctx = file::payload_context(app_context).unwrap();
    let p = cobblestone::derive(backup_key.expose_secret(), &payload_salt, &payload_ctx);

    println!("backup key            {}", hex(backup_key.expose_secret()));
    println!("64-digit key          {}", recovery_key::format(&backup_key).as_str());
    println!("password              {password:?} (UTF-8, already NFC)");
    println!("kdf_salt              {}", hex(&kdf_salt));
    println!("m, t, p               {}, {}, {}", params.memory_kib, params.iterations, params.parallelism);
    println!("KEK                   {}", hex(kek.expose_secret()));
    println!("wrap context          {}", hex(&wrap_ctx));
    println!("wrap salt             {}", hex(&wrap_salt));
    println!("wrap AEAD key         {}", hex(wrap.key().expose_secret()));
    println!("wrap base nonce       {}", hex(wrap.base_nonce()));
    println!("wrap commitment       {}", hex(wrap.commitment()));
    println!("wrapped key           {}", hex(slot.wrapped_key()));
    println!("header MAC key        {}", hex(mac_key.expose_secret()));
    println!("header (w/o MAC)      {}", hex(&header.authenticated_bytes()));
    println!("header MAC            {}", hex(header.mac()));
    println!("application context   {}", hex(app_context));
    println!("payload context       {}", hex(&payload_ctx));
    println!("payload salt          {}", hex(&payload_salt));
    println!("payload AEAD key      {}", hex(p.key().expose_secret()));
    println!("payload base nonce    {}", hex(p.base_nonce()));
    println!("payload commitment    {}", hex(p.commitment()));
    println!("plaintext             {}", hex(plaintext));
    println!("payload               {}", hex(payload));
    println!("file ({} bytes)", file.len());
    for line in hex(&file).as_bytes().chunks(64) {
        println!("  {}", std::str::from_utf8(line).unwrap());
    }

    // The example opens both ways.
    let limits = KdfLimits::V1;
    assert_eq!(file::open::<DefaultAead>(&file, &Secret::password(password), app_context, &limits).unwrap(), plaintext);
    assert_eq!(file::open::<DefaultAead>(&file, &Secret::key(&backup_key), app_context, &limits).unwrap(), plaintext);
    assert_eq!(Header::parse(&header.to_bytes()).unwrap(), header);
}
