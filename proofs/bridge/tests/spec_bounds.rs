//! The arithmetic of spec 10.1 ("Quantitative bounds"), redone: every
//! advantage and probability in its two tables is recomputed from the
//! formula the section states, and must be the figure printed (as a power
//! of two, to the precision printed). This checks the arithmetic, not the
//! bounds themselves, which are the standard ones for the primitives.
#![allow(
    clippy::cast_precision_loss,
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code over the spec's text (floating-point figures): a failed expectation is a test failure"
)]

use ebak_proofs::spec;
use std::path::PathBuf;

fn section() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../spec/ebak-v1.md");
    let text = std::fs::read_to_string(path).unwrap();
    spec::section(&text, "### 10.1 Quantitative bounds").expect("spec section 10.1").to_owned()
}

/// The exponent of the last `2^x` in `cell` (`2^-97`, `2^-162.7`).
fn last_power(cell: &str) -> f64 {
    let at = cell.rfind("2^").unwrap_or_else(|| panic!("no power of two in {cell:?}"));
    let digits: String = cell[at + 2..].chars().take_while(|c| c.is_ascii_digit() || *c == '-' || *c == '.').collect();
    digits.parse().unwrap_or_else(|_| panic!("{cell:?}"))
}

/// Whether `got` is `want` to the precision `want` is printed with.
fn close(got: f64, printed: f64) -> bool {
    let decimals = if printed.fract() == 0.0 { 0.5 } else { 0.05 };
    (got - printed).abs() <= decimals
}

/// The bytes of a message size as the table writes it.
fn size_bytes(cell: &str) -> f64 {
    match cell.split_whitespace().next().unwrap() {
        "1" if cell.contains("MiB") => 2f64.powi(20),
        "1" if cell.contains("GiB") => 2f64.powi(30),
        "1" if cell.contains("TiB") => 2f64.powi(40),
        _ if cell.starts_with("2^52 - 1") => 2f64.powi(52) - 1.0,
        _ => panic!("unknown size {cell:?}"),
    }
}

#[test]
fn the_aes_gcm_table_is_sigma_squared_over_2_129() {
    let text = section();
    let rows: Vec<Vec<String>> = spec::table_rows(&text)
        .into_iter()
        .filter(|r| r.len() == 4 && r[0].contains("iB") || r[0].starts_with("2^52"))
        .collect();
    assert_eq!(rows.len(), 4, "{rows:?}");
    for r in rows {
        let bytes = size_bytes(&r[0]);
        let blocks = bytes / 16.0;
        let chunks = (bytes / 16_384.0).floor() + 1.0;
        // Plaintext blocks plus one block per chunk for the tag.
        let sigma = blocks + chunks;
        let advantage = 2.0 * sigma.log2() - 129.0;
        assert!(close(advantage, last_power(&r[3])), "{}: computed 2^{advantage:.2}, printed {}", r[0], r[3]);
        assert!(close(blocks.log2(), last_power(&r[1])), "{}: blocks", r[0]);
    }
}

#[test]
fn the_salt_table_is_n_squared_over_2_193() {
    let text = section();
    let rows: Vec<Vec<String>> =
        spec::table_rows(&text).into_iter().filter(|r| r.len() == 2 && r[0].starts_with("N = ")).collect();
    assert_eq!(rows.len(), 4, "{rows:?}");
    for r in rows {
        let n: f64 = if r[0].starts_with("N = 36 525") { 36_525.0 } else { 2f64.powf(last_power(&r[0])) };
        let probability = (n * (n - 1.0)).log2() - 193.0;
        assert!(close(probability, last_power(&r[1])), "{}: computed 2^{probability:.2}, printed {}", r[0], r[1]);
    }
}

#[test]
fn the_prose_figures_are_right() {
    let text = section().split_whitespace().collect::<Vec<_>>().join(" ");
    let log = f64::log2;
    // One chunk forgery: 1 026 / 2^128.
    assert!(close(log(1026.0) - 128.0, -118.0));
    assert!(text.contains("1 026 / 2^128 ≈ 2^-118"));
    // Commitment collisions: q(q - 1) / 2^257.
    for (q, printed) in [(64, -129.0), (80, -97.0), (100, -57.0)] {
        assert!(close(2.0 * f64::from(q) - 257.0, printed));
        assert!(
            text.contains(&format!("2^{q} derivations, 2^{printed}")) || text.contains(&format!("2^{q}, 2^{printed}"))
        );
    }
    // A key's lifetime: 36 525 daily backups of 1 GiB, and at the limit.
    let n = log(36_525.0);
    let gib = 2.0 * log(2f64.powi(30) / 16.0 + 2f64.powi(16)) - 129.0;
    assert!(close(n + gib, -61.8), "{}", n + gib);
    assert!(close(n - 33.0, -17.8), "{}", n - 33.0);
    assert!(text.contains("2^-61.8") && text.contains("2^-17.8"));
    // The budget: 2^-32 / 2^-33 payloads at the limit, 2^-32 / 2^-77 of 1 GiB.
    assert!(text.contains("2^-32 / 2^-33 = 2") && text.contains("2^-32 / 2^-77 = 2^45"));
}
