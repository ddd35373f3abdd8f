//! `ebak_v1_recovery_key_test.json`: the 64-digit key as text (spec 4.5):
//! the spellings a reader accepts, and the ones it rejects with the error
//! the spec prescribes. The expected errors are computed here from the
//! spec's three rules, independently of `ebak-core`.

use crate::model::{Note, RecoveryKeyError, RecoveryKeyTest, Source, TestGroup, TestResult, VectorFile, assemble};
use crate::seed::{self, hex};

const NOTES: &[(&str, Note)] = &[
    (
        "Canonical",
        Note {
            bug_type: "BASIC",
            description: "The canonical spelling: 16 groups of 4 lowercase digits joined by dashes (spec 4.5).",
        },
    ),
    (
        "Lenient",
        Note {
            bug_type: "FUNCTIONALITY",
            description: "An accepted non-canonical spelling: upper or mixed case, spaces or dashes anywhere (or none), in any number.",
        },
    ),
    (
        "InvalidCharacter",
        Note {
            bug_type: "BASIC",
            description: "A character that is neither a hexadecimal digit (0-9, a-f, A-F), a space (U+0020) nor a dash (U+002D): tabs, line breaks, other Unicode spaces, dashes and digits included. The error names the first such character and its position, counting characters (code points) from 1.",
        },
    ),
    (
        "TooShort",
        Note {
            bug_type: "BASIC",
            description: "Fewer than 64 hexadecimal digits, and no invalid character: the error says how many are missing.",
        },
    ),
    (
        "TooLong",
        Note {
            bug_type: "BASIC",
            description: "More than 64 hexadecimal digits, and no invalid character: the error says how many are extra.",
        },
    ),
    (
        "Precedence",
        Note {
            bug_type: "EDGE_CASE",
            description: "The input is wrong in two ways: an invalid character is reported before a wrong length (spec 4.5).",
        },
    ),
    (
        "NonAscii",
        Note {
            bug_type: "EDGE_CASE",
            description: "The input has a non-ASCII character, counted as one character in the position (not as its UTF-8 or UTF-16 length).",
        },
    ),
];

const HEADER: &[&str] = &[
    "Test vectors of type EbakRecoveryKeyTest are 64-digit keys as a user types them (spec 4.5).",
    "A valid text parses to key (hex), and key formats to formatted. An invalid text is rejected with error: InvalidCharacter (character, position from 1), TooShort (missing) or TooLong (extra), in that precedence.",
    "See vectors/README.md. License: CC0.",
];

/// The reference parser of spec 4.5, written from the spec's three rules.
fn expected(text: &str) -> Result<Vec<u8>, RecoveryKeyError> {
    let mut digits = Vec::new();
    for (i, c) in text.chars().enumerate() {
        match c {
            ' ' | '-' => {}
            '0'..='9' | 'a'..='f' | 'A'..='F' => digits.push(c.to_digit(16).unwrap() as u8),
            _ => return Err(RecoveryKeyError::InvalidCharacter { character: c.to_string(), position: i + 1 }),
        }
    }
    match digits.len() {
        n if n < 64 => Err(RecoveryKeyError::TooShort { missing: 64 - n }),
        n if n > 64 => Err(RecoveryKeyError::TooLong { extra: n - 64 }),
        _ => Ok(digits.chunks(2).map(|p| p[0] << 4 | p[1]).collect()),
    }
}

/// The canonical formatting of a key.
fn format(key: &[u8]) -> String {
    hex(key).as_bytes().chunks(4).map(|g| std::str::from_utf8(g).unwrap()).collect::<Vec<_>>().join("-")
}

#[derive(Debug, Default)]
struct Gen {
    tests: Vec<RecoveryKeyTest>,
}

impl Gen {
    fn add(&mut self, comment: &str, flags: &[&'static str], text: &str) {
        let (result, key, formatted, error) = match expected(text) {
            Ok(key) => (TestResult::Valid, Some(hex(&key)), Some(format(&key)), None),
            Err(e) => (TestResult::Invalid, None, None, Some(e)),
        };
        self.tests.push(RecoveryKeyTest {
            tc_id: self.tests.len() + 1,
            comment: comment.to_owned(),
            text: text.to_owned(),
            key,
            formatted,
            result,
            error,
            flags: flags.to_vec(),
        });
    }
}

/// Builds the file.
#[must_use]
#[rustfmt::skip] // One vector per line.
pub fn generate() -> VectorFile<RecoveryKeyTest> {
    let mut g = Gen::default();
    let key: [u8; 32] = seed::array("recovery-key/key");
    let canonical = format(&key);
    let digits = hex(&key);
    let groups: Vec<&str> = canonical.split('-').collect();

    g.add("canonical spelling", &["Canonical"], &canonical);
    g.add("canonical spelling of the all-zero key", &["Canonical"], &format(&[0; 32]));
    g.add("canonical spelling of the all-0xff key", &["Canonical"], &format(&[0xff; 32]));
    g.add("upper case", &["Lenient"], &canonical.to_uppercase());
    let mixed: String = canonical.chars().enumerate().map(|(i, c)| if i % 2 == 0 { c.to_ascii_uppercase() } else { c }).collect();
    g.add("mixed case", &["Lenient"], &mixed);
    g.add("64 digits, no separators", &["Lenient"], &digits);
    g.add("groups separated by spaces", &["Lenient"], &groups.join(" "));
    g.add("groups separated by \" - \"", &["Lenient"], &groups.join(" - "));
    g.add("groups of 8 digits separated by dashes", &["Lenient"], &digits.as_bytes().chunks(8).map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>().join("-"));
    g.add("a dash between every two digits", &["Lenient"], &digits.chars().map(String::from).collect::<Vec<_>>().join("-"));
    g.add("leading and trailing spaces and dashes", &["Lenient"], &format!("  --{canonical}- - "));
    g.add("runs of spaces and dashes between groups", &["Lenient"], &groups.join("  ---  "));
    g.add("four lines of four groups, joined by spaces (as copied from paper)", &["Lenient"], &groups.chunks(4).map(|l| l.join("-")).collect::<Vec<_>>().join(" "));

    g.add("empty input", &["TooShort"], "");
    g.add("only spaces and dashes", &["TooShort"], " - - ");
    g.add("63 digits: the last digit missing", &["TooShort"], &canonical[..canonical.len() - 1]);
    g.add("60 digits: the last group missing", &["TooShort"], &groups[..15].join("-"));
    g.add("32 digits (a 128-bit key)", &["TooShort"], &digits[..32]);
    g.add("65 digits: one digit extra", &["TooLong"], &format!("{canonical}0"));
    g.add("68 digits: a 17th group", &["TooLong"], &format!("{canonical}-abcd"));
    g.add("128 digits: the key typed twice", &["TooLong"], &format!("{canonical} {canonical}"));

    g.add("a 0x prefix", &["InvalidCharacter"], &format!("0x{digits}"));
    g.add("'g' in the second group", &["InvalidCharacter"], &format!("{}-g{}-{}", groups[0], &groups[1][1..], groups[2..].join("-")));
    g.add("groups separated by underscores", &["InvalidCharacter"], &groups.join("_"));
    g.add("groups separated by dots", &["InvalidCharacter"], &groups.join("."));
    g.add("groups separated by tabs", &["InvalidCharacter"], &groups.join("\t"));
    g.add("a trailing line feed (from a file)", &["InvalidCharacter"], &format!("{canonical}\n"));
    g.add("a trailing CR LF", &["InvalidCharacter"], &format!("{canonical}\r\n"));
    g.add("two lines", &["InvalidCharacter"], &format!("{}\n{}", groups[..8].join("-"), groups[8..].join("-")));
    g.add("a U+0000 after the key", &["InvalidCharacter"], &format!("{canonical}\u{0}"));
    g.add("groups separated by U+00A0 NO-BREAK SPACE", &["InvalidCharacter", "NonAscii"], &groups.join("\u{a0}"));
    g.add("groups separated by U+2010 HYPHEN", &["InvalidCharacter", "NonAscii"], &groups.join("\u{2010}"));
    g.add("groups separated by U+2013 EN DASH (as word processors replace dashes)", &["InvalidCharacter", "NonAscii"], &groups.join("\u{2013}"));
    g.add("groups separated by U+2212 MINUS SIGN", &["InvalidCharacter", "NonAscii"], &groups.join("\u{2212}"));
    g.add("a U+200B ZERO WIDTH SPACE after the first group", &["InvalidCharacter", "NonAscii"], &format!("{}\u{200b}-{}", groups[0], groups[1..].join("-")));
    g.add("a fullwidth digit U+FF10 in place of the first digit", &["InvalidCharacter", "NonAscii"], &format!("\u{ff10}{}", &canonical[1..]));
    g.add("an Arabic-Indic digit U+0660 in place of the last digit", &["InvalidCharacter", "NonAscii"], &format!("{}\u{660}", &canonical[..canonical.len() - 1]));
    g.add("a Latin small letter e with acute in the third group", &["InvalidCharacter", "NonAscii"], &format!("{}-{}-{}\u{e9}-{}", groups[0], groups[1], &groups[2][..3], groups[3..].join("-")));
    g.add("a combining acute accent U+0301 after the digit 'e': reported alone, at its own code point position", &["InvalidCharacter", "NonAscii"], &format!("{}-e\u{301}{}", groups[0], &groups[1][1..]));
    g.add("an emoji (outside the BMP: one character, four UTF-8 bytes, two UTF-16 units) after the key", &["InvalidCharacter", "NonAscii"], &format!("{canonical} \u{1f511}"));
    g.add("a fullwidth digit zero U+FF10 after 16 valid digits", &["InvalidCharacter", "NonAscii"], &format!("{}\u{ff10}", groups[..4].join("")));

    g.add("an invalid character and too few digits: the character is reported", &["InvalidCharacter", "Precedence"], "12z4");
    g.add("an invalid character after 70 digits: the character is reported, not the length", &["InvalidCharacter", "Precedence"], &format!("{digits}012345x"));
    g.add("a lone 'x'", &["InvalidCharacter", "Precedence"], "x");

    // Cross-check the reference parser against ebak-core's.
    for t in &g.tests {
        let core = ebak_core::recovery_key::parse(&t.text);
        match (&core, &t.error) {
            (Ok(k), None) => {
                assert_eq!(Some(hex(k.expose_secret())), t.key);
                assert_eq!(Some(ebak_core::recovery_key::format(k).to_string()), t.formatted);
            }
            (Err(_), Some(_)) => {}
            _ => panic!("tcId {}: ebak-core gives {core:?}, the spec {:?}", t.tc_id, t.error),
        }
    }

    let group = TestGroup {
        group_type: "EbakRecoveryKeyTest",
        source: Source { name: "ebak-vectors", version: crate::GENERATOR_VERSION },
        kdf_ceilings: None,
        tests: g.tests,
    };
    assemble("ebak-v1-recovery-key", "ebak_v1_recovery_key_test_schema.json", HEADER.to_vec(), NOTES, group, |t| &t.flags)
}
