//! The differential test: runs the model's driver and `ebak-core` on the
//! same inputs and compares their verdicts.

use crate::inputs::{Input, Inputs};
use crate::verdict;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};

/// The parsers compared, by the letter the driver uses.
pub const PARSERS: [(char, &str); 5] = [
    ('H', "Header::parse"),
    ('P', "Header::parse_prefix"),
    ('S', "Slot::parse"),
    ('K', "recovery_key::parse"),
    ('F', "recovery_key::format"),
];

/// What the test compared and found.
#[derive(Debug, Default)]
pub struct Report {
    /// Inputs per origin.
    pub inputs: BTreeMap<String, usize>,
    /// Verdicts compared per parser letter.
    pub compared: BTreeMap<char, usize>,
    /// Per parser letter, verdict kind ("ok", or the error's name) -> count.
    pub kinds: BTreeMap<char, BTreeMap<String, usize>>,
    /// The disagreements, each described on one line.
    pub mismatches: Vec<String>,
    /// Verdicts on either side saying a re-encoding differed from the input.
    pub noncanonical: Vec<String>,
}

fn code_points(text: &str) -> String {
    text.chars().map(|c| format!("{:x}", u32::from(c))).collect::<Vec<_>>().join(",")
}

fn kind(verdict: &str) -> String {
    match verdict.split_once(' ') {
        Some(("err", rest)) => rest.split(':').next().unwrap_or(rest).to_owned(),
        Some((first, _)) => first.to_owned(),
        None => verdict.to_owned(),
    }
}

fn short(s: &str) -> String {
    if s.len() > 160 {
        format!("{}... ({} bytes)", &s[..s.char_indices().nth(150).map_or(s.len(), |(i, _)| i)], s.len())
    } else {
        s.to_owned()
    }
}

/// Runs `model` (the driver built from the extraction) on `inputs` and
/// compares with `ebak-core`.
///
/// # Errors
///
/// The model could not be run, or its output is not one verdict per
/// expected line.
pub fn run(model: &Path, inputs: &Inputs) -> Result<Report, String> {
    let mut report = Report::default();
    let mut frames = String::new();
    // (id, parser) -> (origin, Rust verdict, the input shown in a report)
    let mut expected: HashMap<(usize, char), (&str, String, String)> = HashMap::new();
    let mut id = 0usize;
    for (origin, list) in &inputs.groups {
        report.inputs.insert(origin.clone(), list.len());
        for input in list {
            id += 1;
            match input {
                Input::Bytes(b) => {
                    let hex = verdict::hex(b);
                    let _ = writeln!(frames, "B {id} {hex}");
                    expected.insert((id, 'H'), (origin, verdict::parse(b), hex.clone()));
                    expected.insert((id, 'P'), (origin, verdict::parse_prefix(b), hex.clone()));
                    expected.insert((id, 'S'), (origin, verdict::parse_slot(b), hex.clone()));
                    if let Ok(text) = std::str::from_utf8(b) {
                        let _ = writeln!(frames, "T {id} {}", code_points(text));
                        expected.insert((id, 'K'), (origin, verdict::parse_key(text), format!("{text:?}")));
                    }
                }
                Input::Text(t) => {
                    let _ = writeln!(frames, "T {id} {}", code_points(t));
                    expected.insert((id, 'K'), (origin, verdict::parse_key(t), format!("{t:?}")));
                }
                Input::Key(k) => {
                    let _ = writeln!(frames, "F {id} {}", verdict::hex(k));
                    expected.insert((id, 'F'), (origin, verdict::format_key(k), verdict::hex(k)));
                }
            }
        }
    }
    let frame_lines = frames.lines().count();

    let mut child = Command::new(model)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run the model {}: {e}", model.display()))?;
    let mut stdin = child.stdin.take().ok_or("no stdin for the model")?;
    let writer = std::thread::spawn(move || stdin.write_all(frames.as_bytes()));
    let stdout = child.stdout.take().ok_or("no stdout from the model")?;
    let mut got: HashMap<(usize, char), String> = HashMap::new();
    let mut end = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| format!("reading the model's output: {e}"))?;
        if let Some(n) = line.strip_prefix("END ") {
            end = n.parse::<usize>().ok();
            continue;
        }
        let mut parts = line.splitn(3, ' ');
        let (Some(i), Some(p), Some(v)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!("the model printed a line that is not a verdict: {}", short(&line)));
        };
        let i: usize = i.parse().map_err(|_| format!("bad id in the model's output: {}", short(&line)))?;
        let p = p.chars().next().ok_or("empty parser letter")?;
        if got.insert((i, p), v.to_owned()).is_some() {
            return Err(format!("the model gave two verdicts for input {i} parser {p}"));
        }
    }
    writer.join().map_err(|_| "writer thread panicked")?.map_err(|e| format!("writing to the model: {e}"))?;
    let status = child.wait().map_err(|e| format!("waiting for the model: {e}"))?;
    if !status.success() {
        return Err(format!("the model exited with {status}"));
    }
    if end != Some(frame_lines) {
        return Err(format!("the model read {end:?} input lines of {frame_lines}: its output is incomplete"));
    }
    if got.len() != expected.len() {
        return Err(format!("the model gave {} verdicts, the Rust side {}", got.len(), expected.len()));
    }

    let mut keys: Vec<_> = expected.keys().copied().collect();
    keys.sort_unstable();
    for key in keys {
        let (origin, rust, shown) = &expected[&key];
        let model = got.get(&key).map_or("(none)", String::as_str);
        *report.compared.entry(key.1).or_default() += 1;
        *report.kinds.entry(key.1).or_default().entry(kind(rust)).or_default() += 1;
        for (side, v) in [("Rust", rust.as_str()), ("model", model)] {
            if v.ends_with("NONCANONICAL") {
                report.noncanonical.push(format!(
                    "input {} ({origin}), {}: {side} re-encoding differs: {}",
                    key.0,
                    key.1,
                    short(shown)
                ));
            }
        }
        if model != rust {
            report.mismatches.push(format!(
                "input {} ({origin}), parser {}:\n    input: {}\n    Rust:  {}\n    model: {}",
                key.0,
                key.1,
                short(shown),
                short(rust),
                short(model)
            ));
        }
    }
    Ok(report)
}

impl Report {
    /// The report, for people.
    #[must_use]
    pub fn render(&self) -> String {
        let mut s = String::new();
        let total: usize = self.inputs.values().sum();
        let _ = writeln!(s, "inputs: {total}");
        for (origin, n) in &self.inputs {
            let _ = writeln!(s, "  {n:6}  {origin}");
        }
        let _ = writeln!(s, "verdicts compared (model vs ebak-core), by what both said:");
        for (letter, name) in PARSERS {
            let n = self.compared.get(&letter).copied().unwrap_or(0);
            let kinds = self.kinds.get(&letter).map_or_else(String::new, |k| {
                k.iter().map(|(kind, n)| format!("{kind} {n}")).collect::<Vec<_>>().join(", ")
            });
            let _ = writeln!(s, "  {n:6}  {name}: {kinds}");
        }
        let _ = writeln!(s, "disagreements: {}", self.mismatches.len());
        for m in self.mismatches.iter().take(20) {
            let _ = writeln!(s, "  {m}");
        }
        if !self.noncanonical.is_empty() {
            let _ = writeln!(s, "re-encodings that differ from the input: {}", self.noncanonical.len());
            for m in self.noncanonical.iter().take(20) {
                let _ = writeln!(s, "  {m}");
            }
        }
        s
    }

    /// Whether the model and the code agreed on everything.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.mismatches.is_empty() && self.noncanonical.is_empty() && !self.compared.is_empty()
    }
}
