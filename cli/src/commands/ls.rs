//! `ebak ls`: the entries of a tree backup, one a line, as `tar tv` shows
//! them (type and permissions, owner/group ids, size, modification time in
//! UTC, name), writing nothing else.

use super::{open_input, plaintext_len, with_progress};
use crate::error::{CliError, from_lib, printable};
use crate::global::Global;
use crate::progress::Progress;
use crate::secrets::Sources;
use ebak::content::extract::EntryInfo;
use ebak::restore;
use std::io::{self, Write};
use std::path::PathBuf;

/// `ebak ls`.
#[derive(Debug)]
pub struct LsArgs {
    /// The backup, or `-`.
    pub file: PathBuf,
    /// Secret sources.
    pub sources: Sources,
    /// The application context.
    pub context: String,
}

/// `ebak ls`.
pub fn ls(args: &LsArgs, global: Global) -> Result<(), CliError> {
    ebak_core::file::payload_context(args.context.as_bytes())
        .map_err(|e| CliError::usage(format!("--context: {e}")))?;
    let (input, unlocked, cx) = open_input(&args.file, &args.sources)?;
    let cx = crate::error::Context {
        raw_hint: "it cannot be listed (use restore --raw -o FILE)",
        refusal: "a restore would refuse it",
        ..cx
    };
    let bar = Progress::new(plaintext_len(&args.file, input.header_len()), true, "ls");
    let mut out = io::BufWriter::new(io::stdout().lock());
    let mut write_failed: Option<io::Error> = None;
    let mut each = |e: &EntryInfo| {
        if write_failed.is_none()
            && let Err(err) = writeln!(out, "{}", line(e))
        {
            write_failed = Some(err);
        }
    };
    let listed = input
        .open(&unlocked, args.context.as_bytes(), with_progress(global, &bar))
        .and_then(|payload| restore::list(payload, &mut each));
    bar.finish();
    let flushed = out.flush();
    listed.map_err(|e| from_lib(e, cx))?;
    if let Some(e) = write_failed.or(flushed.err()) {
        return Err(CliError::io_plain("cannot write to standard output", &e));
    }
    Ok(())
}

/// One line of the listing.
#[must_use]
pub fn line(e: &EntryInfo) -> String {
    let name = printable(&e.path.to_string_lossy());
    let link = match (&e.link, e.kind) {
        (Some(l), b'2') => format!(" -> {}", printable(&l.to_string_lossy())),
        (Some(l), b'1') => format!(" link to {}", printable(&l.to_string_lossy())),
        _ => String::new(),
    };
    let slash = if e.kind == b'5' && !name.ends_with('/') { "/" } else { "" };
    format!(
        "{} {:>11} {:>12} {} {name}{slash}{link}",
        mode_text(e.kind, e.mode),
        format!("{}/{}", e.uid, e.gid),
        e.size,
        time_text(e.mtime)
    )
}

/// `drwxr-xr-x`, as `ls -l` writes it.
fn mode_text(kind: u8, mode: u32) -> String {
    let kind = match kind {
        b'5' => 'd',
        b'2' => 'l',
        b'1' => 'h',
        b'3' => 'c',
        b'4' => 'b',
        b'6' => 'p',
        _ => '-',
    };
    let bit = |mask: u32, c: char| if mode & mask != 0 { c } else { '-' };
    let special = |x: bool, special: u32, set: char, unset: char| match (mode & special != 0, x) {
        (true, true) => set,
        (true, false) => unset,
        (false, true) => 'x',
        (false, false) => '-',
    };
    [
        kind,
        bit(0o400, 'r'),
        bit(0o200, 'w'),
        special(mode & 0o100 != 0, 0o4000, 's', 'S'),
        bit(0o040, 'r'),
        bit(0o020, 'w'),
        special(mode & 0o010 != 0, 0o2000, 's', 'S'),
        bit(0o004, 'r'),
        bit(0o002, 'w'),
        special(mode & 0o001 != 0, 0o1000, 't', 'T'),
    ]
    .iter()
    .collect()
}

/// `YYYY-MM-DD HH:MM` in UTC.
fn time_text(secs: i64) -> String {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}", rem / 3600, rem % 3600 / 60)
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard
/// Hinnant's `civil_from_days`).
#[expect(clippy::arithmetic_side_effects, reason = "bounded: days < 2^63 / 86400 keeps every step in range")]
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, u32::try_from(m).unwrap_or(1), u32::try_from(d).unwrap_or(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_modes() {
        assert_eq!(time_text(0), "1970-01-01 00:00");
        assert_eq!(time_text(1_600_000_000), "2020-09-13 12:26");
        assert_eq!(time_text(951_782_400), "2000-02-29 00:00");
        assert_eq!(time_text(-315_619_200), "1960-01-01 00:00");
        assert_eq!(time_text(-1), "1969-12-31 23:59");
        assert_eq!(mode_text(b'0', 0o644), "-rw-r--r--");
        assert_eq!(mode_text(b'5', 0o755), "drwxr-xr-x");
        assert_eq!(mode_text(b'0', 0o4755), "-rwsr-xr-x");
        assert_eq!(mode_text(b'5', 0o1777), "drwxrwxrwt");
        assert_eq!(mode_text(b'0', 0o2644), "-rw-r-Sr--");
    }
}
