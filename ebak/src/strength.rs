//! A rough estimate of how hard a new password is to guess, to warn about
//! weak ones before they protect a backup.
//!
//! The method is a length and variety floor, not a model of how people
//! choose passwords: the estimate is the number of characters that do not
//! merely repeat or continue a run (`aaaa`, `1234`, `abcd` count as two),
//! times log2 of the size of the character classes used (lowercase 26,
//! uppercase 26, digits 10, ASCII punctuation and space 33, anything else
//! 100). It flags what is short or simple; it cannot know that a long
//! password is a dictionary word or a famous phrase (`password1234`
//! passes). zxcvbn would catch those, with some 30 000 words of frequency
//! lists compiled into the tool and their parser: for a backup tool whose
//! password is stretched by Argon2id (256 MiB, 3 passes, about a second a
//! guess on a laptop), the floor catches the passwords that stretching
//! cannot save, and needs nothing.

/// Below this many estimated bits, a new password is weak: about what a
/// GPU farm, at Argon2id's cost, still guesses within years (4 random
/// words from a 7 776-word list give 51.7 bits; the floor counts letters,
/// so such a passphrase scores far higher).
pub const WEAK_BELOW_BITS: u32 = 60;

/// The estimated strength of `password`, in bits (see the module's
/// documentation for what it does and does not see).
#[must_use]
pub fn estimated_bits(password: &str) -> u32 {
    let (mut lower, mut upper, mut digit, mut punct, mut other) = (false, false, false, false, false);
    let mut effective = 0u32;
    let (mut prev, mut step): (Option<u32>, Option<i64>) = (None, None);
    for c in password.chars() {
        match c {
            'a'..='z' => lower = true,
            'A'..='Z' => upper = true,
            '0'..='9' => digit = true,
            ' '..='~' => punct = true,
            _ => other = true,
        }
        let code = u32::from(c);
        let this_step = prev.map(|p| i64::from(code).saturating_sub(i64::from(p)));
        // A repeat (step 0), or a run (the same step of +-1 again), adds
        // nothing.
        let continues =
            matches!(this_step, Some(0)) || (this_step.is_some() && this_step == step && matches!(step, Some(1 | -1)));
        if !continues {
            effective = effective.saturating_add(1);
        }
        step = this_step;
        prev = Some(code);
    }
    let classes: [(bool, u32); 5] = [(lower, 26), (upper, 26), (digit, 10), (punct, 33), (other, 100)];
    let charset: u32 = classes.iter().filter(|(used, _)| *used).map(|(_, n)| n).fold(0, |a, n| a.saturating_add(*n));
    if charset < 2 {
        return 0;
    }
    let bits = f64::from(effective) * f64::from(charset).log2();
    // Finite and non-negative; `as` saturates.
    bits.floor() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_and_strong() {
        for weak in [
            "",
            "a",
            "password",
            "Password1",
            "correcthorse",
            "aaaaaaaaaaaaaaaaaaaa",
            "abcdefghijklmnopqrstu",
            "letmein123456",
            "12345678901234567890",
        ] {
            assert!(estimated_bits(weak) < WEAK_BELOW_BITS, "{weak:?}: {}", estimated_bits(weak));
        }
        for strong in ["correct horse battery staple", "Tr0ub4dor&3xq", "brand new secret 77", "xq7!mZp2#Lw9"] {
            assert!(estimated_bits(strong) >= WEAK_BELOW_BITS, "{strong:?}: {}", estimated_bits(strong));
        }
    }
}
