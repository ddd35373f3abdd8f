//! Patterns that leave paths out of a backup (`--exclude`,
//! `--exclude-file`), matched against the names entries get in the archive
//! (what `ebak ls` shows: `photos/2024/cat.jpg`).
//!
//! - A pattern without `/` is matched against each entry's own name (its
//!   last component), at any depth: `*.tmp`, `node_modules`, `.cache`.
//! - A pattern with a `/` is matched against the whole archive name, from
//!   its first component: `photos/cache`, `*/build`, `photos/**/*.raw`. A
//!   leading `/` is ignored (archive names are relative).
//! - A trailing `/` makes a pattern match directories only.
//! - `*` matches any run of characters but `/`, `?` one character but `/`,
//!   `[abc]`, `[a-z]` and `[!a-z]` one character of a set, `**` any run
//!   including `/`, and `**/` zero or more whole components; `\` takes the
//!   next character literally.
//!
//! An excluded directory is left out with everything under it.

use std::fmt;
use std::path::Path;

/// One element of a compiled pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    /// This byte.
    Byte(u8),
    /// `?`: one byte but `/`.
    One,
    /// `*`: a run of bytes without `/`.
    Star,
    /// `**`: any run of bytes.
    Any,
    /// `**/`: nothing, or any run that ends with `/`.
    Components,
    /// `[...]`: one byte (not `/`) in (or, negated, not in) the ranges.
    Class { ranges: Vec<(u8, u8)>, negated: bool },
}

/// A compiled pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Pattern {
    text: String,
    tokens: Vec<Token>,
    /// Matched against the whole archive name (the pattern has a `/`).
    anchored: bool,
    /// Matches directories only (the pattern ended with `/`).
    dirs_only: bool,
}

/// A pattern that does not compile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatternError {
    /// The pattern.
    pub pattern: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "exclude pattern {:?}: {}", self.pattern, self.reason)
    }
}

impl std::error::Error for PatternError {}

fn compile(text: &str) -> Result<Pattern, PatternError> {
    let err = |reason| PatternError { pattern: text.to_owned(), reason };
    let mut body = text.strip_prefix('/').unwrap_or(text);
    let dirs_only = body.len() > 1 && body.ends_with('/') && !body.ends_with("\\/");
    if dirs_only {
        body = body.strip_suffix('/').unwrap_or(body);
    }
    if body.is_empty() {
        return Err(err("it is empty"));
    }
    let anchored = body.contains('/');
    let mut tokens = Vec::new();
    let mut rest = body.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        rest = tail;
        match b {
            b'\\' => {
                let (&lit, tail) = rest.split_first().ok_or_else(|| err("it ends with a lone \\"))?;
                rest = tail;
                tokens.push(Token::Byte(lit));
            }
            b'?' => tokens.push(Token::One),
            b'*' => {
                if let Some(tail) = rest.strip_prefix(b"*") {
                    rest = tail;
                    if let Some(tail) = rest.strip_prefix(b"/") {
                        rest = tail;
                        tokens.push(Token::Components);
                    } else {
                        tokens.push(Token::Any);
                    }
                } else {
                    tokens.push(Token::Star);
                }
            }
            b'[' => {
                let (negated, mut inner) = match rest.split_first() {
                    Some((b'!' | b'^', tail)) => (true, tail),
                    _ => (false, rest),
                };
                let mut ranges = Vec::new();
                let mut first = true;
                loop {
                    let (&c, tail) = inner.split_first().ok_or_else(|| err("a [ is not closed"))?;
                    inner = tail;
                    if c == b']' && !first {
                        break;
                    }
                    first = false;
                    let lo = if c == b'\\' {
                        let (&e, tail) = inner.split_first().ok_or_else(|| err("a [ is not closed"))?;
                        inner = tail;
                        e
                    } else {
                        c
                    };
                    let hi = match inner {
                        [b'-', h, ..] if *h != b']' => {
                            inner = inner.get(2..).unwrap_or_default();
                            *h
                        }
                        _ => lo,
                    };
                    if hi < lo {
                        return Err(err("a range in [...] runs backwards"));
                    }
                    ranges.push((lo, hi));
                }
                rest = inner;
                tokens.push(Token::Class { ranges, negated });
            }
            other => tokens.push(Token::Byte(other)),
        }
    }
    Ok(Pattern { text: text.to_owned(), tokens, anchored, dirs_only })
}

/// Whether one-byte `token` accepts `c`.
fn accepts(token: &Token, c: u8) -> bool {
    match token {
        Token::Byte(b) => c == *b,
        Token::One => c != b'/',
        Token::Class { ranges, negated } => {
            c != b'/' && ranges.iter().any(|&(lo, hi)| (lo..=hi).contains(&c)) != *negated
        }
        Token::Star | Token::Any | Token::Components => false,
    }
}

/// Whether `tokens` match all of `text`: a dynamic program over the text,
/// one row per token, so that no pattern takes more than
/// tokens x text steps (no backtracking).
fn matches(tokens: &[Token], text: &[u8]) -> bool {
    // row[j]: the tokens so far match text[..j].
    let mut row = vec![false; text.len().saturating_add(1)];
    if let Some(first) = row.first_mut() {
        *first = true;
    }
    for token in tokens {
        let mut next = vec![false; row.len()];
        let byte_before = |j: usize| j.checked_sub(1).and_then(|b| text.get(b)).copied();
        match token {
            Token::Star | Token::Any => {
                let any = matches!(token, Token::Any);
                let mut run = false;
                for (j, (slot, &here)) in next.iter_mut().zip(&row).enumerate() {
                    let extends = byte_before(j).is_some_and(|c| any || c != b'/');
                    run = here || (run && extends);
                    *slot = run;
                }
            }
            Token::Components => {
                // Nothing, or text[k..j] for a matched k < j, ending in `/`.
                let mut seen = false;
                for (j, (slot, &here)) in next.iter_mut().zip(&row).enumerate() {
                    *slot = here || (seen && byte_before(j) == Some(b'/'));
                    seen |= here;
                }
            }
            _ => {
                for ((slot, &prev), &c) in next.iter_mut().skip(1).zip(&row).zip(text) {
                    *slot = prev && accepts(token, c);
                }
            }
        }
        row = next;
    }
    row.last().copied().unwrap_or(false)
}

/// The patterns that leave paths out of a backup. The default excludes
/// nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Exclude {
    patterns: Vec<Pattern>,
}

impl Exclude {
    /// Adds a pattern.
    ///
    /// # Errors
    ///
    /// The pattern is empty, ends with a lone `\`, or has an unclosed or
    /// backwards `[...]`.
    pub fn add(&mut self, pattern: &str) -> Result<(), PatternError> {
        self.patterns.push(compile(pattern)?);
        Ok(())
    }

    /// Adds the patterns of an exclude file: one per line; empty lines and
    /// lines that start with `#` are skipped; a final `\r` is removed (a
    /// file written on Windows). Nothing else is trimmed: a space is part
    /// of a name.
    ///
    /// # Errors
    ///
    /// As [`Exclude::add`], for the first pattern that does not compile.
    pub fn add_lines(&mut self, text: &str) -> Result<(), PatternError> {
        for line in text.lines() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            self.add(line)?;
        }
        Ok(())
    }

    /// Whether there are no patterns.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Whether the entry named `name` in the archive (a directory if
    /// `is_dir`) is left out.
    #[must_use]
    pub fn excludes(&self, name: &Path, is_dir: bool) -> bool {
        if self.patterns.is_empty() {
            return false;
        }
        let full = name.as_os_str().as_encoded_bytes();
        let last = name.file_name().map_or(full, |n| n.as_encoded_bytes());
        self.patterns
            .iter()
            .any(|p| (is_dir || !p.dirs_only) && matches(&p.tokens, if p.anchored { full } else { last }))
    }

    /// The patterns as given.
    pub fn patterns(&self) -> impl Iterator<Item = &str> {
        self.patterns.iter().map(|p| p.text.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(patterns: &[&str]) -> Exclude {
        let mut e = Exclude::default();
        for p in patterns {
            e.add(p).unwrap();
        }
        e
    }

    #[test]
    fn names_and_anchored_paths() {
        let e = ex(&["*.tmp", "node_modules", "photos/cache", "build/"]);
        assert!(e.excludes(Path::new("a/b/x.tmp"), false));
        assert!(e.excludes(Path::new("x.tmp"), false));
        assert!(!e.excludes(Path::new("x.tmp.keep"), false));
        assert!(e.excludes(Path::new("src/node_modules"), true));
        assert!(e.excludes(Path::new("photos/cache"), true));
        assert!(!e.excludes(Path::new("old/photos/cache"), true));
        assert!(e.excludes(Path::new("p/build"), true));
        assert!(!e.excludes(Path::new("p/build"), false), "build/ is for directories only");
    }

    #[test]
    fn wildcards() {
        let m = |p: &str, t: &str| matches(&compile(p).unwrap().tokens, t.as_bytes());
        assert!(m("*", "abc"));
        assert!(m("*", ""));
        assert!(!m("*", "a/b"));
        assert!(m("a/*/c", "a/b/c"));
        assert!(!m("a/*/c", "a/b/x/c"));
        assert!(m("a/**/c", "a/c"));
        assert!(m("a/**/c", "a/b/x/c"));
        assert!(!m("a/**/c", "ab/c"));
        assert!(m("a**", "a/b/c"));
        assert!(m("**/c", "c"));
        assert!(m("**/c", "x/y/c"));
        assert!(!m("**/c", "xc"));
        assert!(m("?.txt", "a.txt"));
        assert!(!m("?.txt", "/.txt"));
        assert!(m("[a-c]x", "bx"));
        assert!(!m("[!a-c]x", "bx"));
        assert!(m("[!a-c]x", "dx"));
        assert!(m("[]]", "]"));
        assert!(m("\\*", "*"));
        assert!(!m("\\*", "a"));
        assert!(m("*.*.*", "a.b.c"));
        assert!(!m("*.*.*", "a.b"));
        // No backtracking blow-up.
        assert!(!m(&"*a".repeat(30), &"a".repeat(29)));
    }

    #[test]
    fn bad_patterns_are_refused() {
        for p in ["", "/", "a\\", "[abc", "[z-a]"] {
            assert!(compile(p).is_err(), "{p:?}");
        }
    }

    #[test]
    fn exclude_files() {
        let mut e = Exclude::default();
        e.add_lines("# comment\n\n*.o\r\nkeep me \n").unwrap();
        assert_eq!(e.patterns().collect::<Vec<_>>(), ["*.o", "keep me "]);
        assert!(e.excludes(Path::new("x/keep me "), false));
        assert!(!e.excludes(Path::new("x/keep me"), false));
    }
}
