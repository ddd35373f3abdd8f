//! `ebak-proofs diff`: the differential test of the extracted Coq model
//! against `ebak-core`. See `proofs/README.md`.

use ebak_proofs::{diff, inputs, rng::Rng};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "usage: ebak-proofs diff --model DRIVER [--vectors DIR] [--corpus DIR]... [--corpora ROOT]
                          [--scale N] [--seed N]

Runs DRIVER (the OCaml program built from the Coq extraction, proofs/coq/check.sh
builds it) and ebak-core on the same inputs and fails on any disagreement:

  --vectors DIR   the test vectors (default: the workspace's vectors/)
  --corpus DIR    every file under DIR (repeatable; DIR must exist)
  --corpora ROOT  every subdirectory of ROOT as a corpus, if ROOT exists
                  (for fuzz/corpus, whose targets come and go)
  --scale N       how many generated inputs of each kind (default 3000)
  --seed N        the generator's seed (default 1)";

struct Args {
    model: PathBuf,
    vectors: PathBuf,
    corpora: Vec<PathBuf>,
    roots: Vec<PathBuf>,
    scale: usize,
    seed: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    if it.next().as_deref() != Some("diff") {
        return Err(USAGE.to_owned());
    }
    let mut args = Args {
        model: PathBuf::new(),
        vectors: Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vectors"),
        corpora: Vec::new(),
        roots: Vec::new(),
        scale: 3000,
        seed: 1,
    };
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value\n\n{USAGE}"));
        match flag.as_str() {
            "--model" => args.model = value()?.into(),
            "--vectors" => args.vectors = value()?.into(),
            "--corpus" => args.corpora.push(value()?.into()),
            "--corpora" => args.roots.push(value()?.into()),
            "--scale" => args.scale = value()?.parse().map_err(|e| format!("--scale: {e}"))?,
            "--seed" => args.seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--help" | "-h" => return Err(USAGE.to_owned()),
            _ => return Err(format!("unknown argument {flag}\n\n{USAGE}")),
        }
    }
    if args.model.as_os_str().is_empty() {
        return Err(format!("--model is required\n\n{USAGE}"));
    }
    Ok(args)
}

fn run() -> Result<bool, String> {
    let args = parse_args()?;
    let mut all = inputs::Inputs::default();
    inputs::from_vectors(&args.vectors, &mut all)?;
    let mut corpora = args.corpora.clone();
    for root in &args.roots {
        if root.is_dir() {
            let mut subdirs: Vec<PathBuf> = std::fs::read_dir(root)
                .map_err(|e| format!("{}: {e}", root.display()))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect();
            subdirs.sort();
            if subdirs.is_empty() {
                println!("note: {} has no corpus directories", root.display());
            }
            corpora.extend(subdirs);
        } else {
            println!("note: {} does not exist: no fuzz corpus to replay", root.display());
        }
    }
    for dir in &corpora {
        let name = format!("corpus: {}", dir.display());
        inputs::from_dir(dir, &name, &mut all)?;
    }
    let mut rng = Rng::new(args.seed);
    inputs::generated_bytes(&mut rng, args.scale, &mut all);
    inputs::generated_keys(&mut rng, args.scale, &mut all);
    all.dedup();
    println!("model: {}; generated inputs: scale {}, seed {}", args.model.display(), args.scale, args.seed);
    let report = diff::run(&args.model, &all)?;
    print!("{}", report.render());
    Ok(report.passed())
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => {
            println!("differential test: the extracted model and ebak-core agree on every input");
            ExitCode::SUCCESS
        }
        Ok(false) => {
            eprintln!("differential test FAILED: the extracted model and ebak-core disagree (see above)");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("ebak-proofs: {e}");
            ExitCode::from(2)
        }
    }
}
