//! Reads numbers out of the spec (`spec/ebak-v1.md`): its sections, the
//! rows of its tables, and the numbers in a piece of text, written the way
//! the spec writes them (`8 259`, `2^38`, `2^52 - 1`).

/// The text of the section whose heading line starts with `heading` (for
/// example `"## 8. Limits"`), up to the next heading of the same or a higher
/// level.
#[must_use]
pub fn section<'a>(spec: &'a str, heading: &str) -> Option<&'a str> {
    let level = heading.chars().take_while(|&c| c == '#').count();
    let is_heading_at_most = |line: &str| {
        let hashes = line.chars().take_while(|&c| c == '#').count();
        hashes > 0 && hashes <= level && line.chars().nth(hashes) == Some(' ')
    };
    let mut offset = 0;
    let mut start = None;
    for line in spec.split_inclusive('\n') {
        match start {
            None if line.starts_with(heading) => start = Some(offset),
            Some(from) if is_heading_at_most(line) => return spec.get(from..offset),
            _ => {}
        }
        offset += line.len();
    }
    start.and_then(|from| spec.get(from..))
}

/// The cells of every table row of `text` (header and rule rows included),
/// trimmed, without the outer pipes.
#[must_use]
pub fn table_rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix('|'))
        .map(|l| l.strip_suffix('|').unwrap_or(l).split('|').map(|c| c.trim().to_owned()).collect())
        .collect()
}

/// The cells of the row whose first cell is `label`, or `None`.
#[must_use]
pub fn row(text: &str, label: &str) -> Option<Vec<String>> {
    table_rows(text).into_iter().find(|r| r.first().map(String::as_str) == Some(label))
}

/// Parses a number at the start of `s`: digits in groups separated by
/// single spaces (`8 259`, `1 048 576`: a space is a thousands separator
/// only before exactly three digits), then optionally `^` and an exponent,
/// then optionally ` - ` and a number to subtract. Returns the value and the
/// bytes consumed.
fn number_at(s: &[u8]) -> Option<(u128, usize)> {
    let digits = |from: usize| s.iter().skip(from).take_while(|b| b.is_ascii_digit()).count();
    let value_of =
        |from: usize, len: usize| -> Option<u128> { std::str::from_utf8(s.get(from..from + len)?).ok()?.parse().ok() };
    let first = digits(0);
    if first == 0 {
        return None;
    }
    let mut value = value_of(0, first)?;
    let mut i = first;
    // Thousands groups: " ddd" not followed by another digit.
    while s.get(i) == Some(&b' ') && digits(i + 1) == 3 {
        value = value.checked_mul(1000)?.checked_add(value_of(i + 1, 3)?)?;
        i += 4;
    }
    if s.get(i) == Some(&b'^') {
        let e = digits(i + 1);
        if e > 0 {
            value = value.checked_pow(u32::try_from(value_of(i + 1, e)?).ok()?)?;
            i += 1 + e;
        }
        if s.get(i..i + 3) == Some(b" - ")
            && let Some((sub, n)) = number_at(s.get(i + 3..)?)
        {
            value = value.checked_sub(sub)?;
            i += 3 + n;
        }
    }
    Some((value, i))
}

/// Every number in `text`, in order (see [`number_at`] for the notation).
/// Digits that are part of a word or a section number (`4.1`, `v1`) are
/// skipped.
#[must_use]
pub fn numbers(text: &str) -> Vec<u128> {
    let s = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let prev_is_word = i > 0 && s.get(i - 1).is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'.' || *b == b'_');
        match number_at(&s[i..]) {
            Some((v, n)) if !prev_is_word => {
                let next_is_dot_digit = s.get(i + n) == Some(&b'.') && s.get(i + n + 1).is_some_and(u8::is_ascii_digit);
                if !next_is_dot_digit {
                    out.push(v);
                }
                i += n.max(1);
                // Skip the rest of a dotted section number.
                while s.get(i).is_some_and(|b| b.is_ascii_digit() || *b == b'.') {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    out
}

/// The first number in `text` after the first occurrence of `marker`.
#[must_use]
pub fn number_after(text: &str, marker: &str) -> Option<u128> {
    let at = text.find(marker)? + marker.len();
    numbers(text.get(at..)?).first().copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_spec_notation() {
        assert_eq!(numbers("43 to 8 259 bytes"), [43, 8259]);
        assert_eq!(
            numbers("0 to 2^52 - 1 bytes (2^38 chunks of 16 KiB, the last one short)"),
            [0, (1 << 52) - 1, 1 << 38, 16]
        );
        assert_eq!(numbers("65 536 to 1 048 576 KiB (64 MiB to 1 GiB)"), [65536, 1_048_576, 64, 1]);
        assert_eq!(numbers("sum of m * t at most 2^24 KiB-passes"), [1 << 24]);
        assert_eq!(numbers("section 4.1, v1, x2, 12"), [12]);
        assert_eq!(numbers("`m >= 65536` (64 MiB), `t >= 3`"), [65536, 64, 3]);
        assert_eq!(number_after("pieces of 16 400 bytes", "pieces of "), Some(16400));
    }

    #[test]
    fn finds_sections_and_rows() {
        let doc = "# T\n## 1. A\n| x | y |\n|---|---|\n| k | 8 259 |\n### 1.1 B\ntext 5\n## 2. C\n| k | 9 |\n";
        let a = section(doc, "## 1. A").unwrap();
        assert!(a.contains("text 5") && !a.contains("## 2."));
        assert_eq!(row(a, "k").unwrap(), ["k", "8 259"]);
        assert_eq!(section(doc, "### 1.1 B").unwrap(), "### 1.1 B\ntext 5\n");
        assert!(section(doc, "## 3.").is_none());
    }
}
