//! Reads the constants out of a WhyML file: every `let constant` and
//! `constant` declaration with a literal value, with the module it is in.

/// One constant of a WhyML model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Constant {
    /// The module that declares it.
    pub module: String,
    /// Its name, as written.
    pub name: String,
    /// Its type, as written (`uint64`, `usize`, `B64.t`, ...).
    pub ty: String,
    /// Its value.
    pub value: u128,
}

/// Removes WhyML comments, `(* ... *)`, which nest.
#[must_use]
pub fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut depth = 0usize;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '(' && chars.peek() == Some(&'*') {
            chars.next();
            depth += 1;
        } else if depth > 0 && c == '*' && chars.peek() == Some(&')') {
            chars.next();
            depth -= 1;
        } else if depth == 0 || c == '\n' {
            out.push(c);
        }
    }
    out
}

/// Parses a WhyML integer literal: decimal or `0x` hexadecimal, with `_`
/// separators, optionally in a cast `(LIT:TYPE)`.
#[must_use]
pub fn parse_literal(text: &str) -> Option<u128> {
    let t = text.trim();
    let t = t.strip_prefix('(').map_or(t, |inner| inner.split(':').next().unwrap_or(inner));
    let digits: String = t.trim().chars().filter(|&c| c != '_').collect();
    if let Some(hex) = digits.strip_prefix("0x") { u128::from_str_radix(hex, 16).ok() } else { digits.parse().ok() }
}

/// Every constant declared with a literal value, in file order.
///
/// # Errors
///
/// A declaration whose value is not a literal (the check could not compare
/// it), or a constant declared outside a module.
pub fn constants(source: &str) -> Result<Vec<Constant>, String> {
    let code = strip_comments(source);
    let mut module: Option<String> = None;
    let mut out = Vec::new();
    for (n, line) in code.lines().enumerate() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("module ") {
            module = rest.split_whitespace().next().map(str::to_owned);
            continue;
        }
        let decl = line.strip_prefix("let constant ").or_else(|| line.strip_prefix("constant "));
        let Some(decl) = decl else { continue };
        let lineno = n + 1;
        let (lhs, value) = decl.split_once('=').ok_or_else(|| format!("line {lineno}: constant without a value"))?;
        let (name, ty) = lhs.split_once(':').ok_or_else(|| format!("line {lineno}: constant without a type"))?;
        let value = parse_literal(value).ok_or_else(|| format!("line {lineno}: {value:?} is not a literal"))?;
        let module = module.clone().ok_or_else(|| format!("line {lineno}: constant outside a module"))?;
        out.push(Constant { module, name: name.trim().to_owned(), ty: ty.trim().to_owned(), value });
    }
    Ok(out)
}

/// The `pub const NAME: TYPE = ...;` declarations of a Rust source file:
/// their names and types, in file order.
#[must_use]
pub fn rust_consts(source: &str) -> Vec<(String, String)> {
    source
        .lines()
        .filter_map(|line| line.trim().strip_prefix("pub const "))
        .filter_map(|decl| {
            let (name, rest) = decl.split_once(':')?;
            let ty = rest.split('=').next()?.trim();
            Some((name.trim().to_owned(), ty.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_constants_and_skips_comments() {
        let src = "(* let constant fake : uint64 = 1 *)\nmodule M\n  (** doc (* nested *) *)\n  \
                   let constant a : uint64 = 0x40_0000_0000\n  constant b : B64.t = (0xff:B64.t)\nend\n";
        let cs = constants(src).unwrap();
        assert_eq!(cs.len(), 2);
        assert_eq!(cs[0], Constant { module: "M".into(), name: "a".into(), ty: "uint64".into(), value: 1 << 38 });
        assert_eq!(cs[1].value, 255);
        assert!(constants("module M\n let constant c : uint64 = f x\nend").is_err());
    }

    #[test]
    fn reads_rust_consts() {
        let src = "/// doc\npub const A: u64 = 1 << 38;\n    pub const B: usize = 12;\nconst C: u8 = 1;";
        assert_eq!(rust_consts(src), [("A".into(), "u64".into()), ("B".into(), "usize".into())]);
    }
}
