#!/usr/bin/env bash
# Checks the Coq proofs and builds the extracted model:
#
#   1. no Admitted, admit, Axiom, Parameter, Conjecture or Abort in the sources;
#   2. coqc compiles every file (every proof is checked);
#   3. Print Assumptions on the main theorems, each of which must be
#      "Closed under the global context" (no axiom at all);
#   4. the extraction to OCaml and the driver, built with ocamlfind/ocamlopt,
#      into proofs/coq/_build/model.
#
#   bash proofs/coq/check.sh
#
# Needs coqc (8.16) and ocamlopt (Debian: apt-get install coq ocaml-nox).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
sources=(Bytes.v Header.v RecoveryKey.v)
build=_build

for tool in coqc ocamlopt; do
    command -v "$tool" >/dev/null || { echo "check.sh: $tool is not installed" >&2; exit 1; }
done
echo "$(coqc --version | head -1), OCaml $(ocamlopt -version)"

# 1. Nothing assumed in the sources (comments included: a word there fails
#    too, which is the safe side).
if grep -nwE 'Admitted|admit|Axiom|Axioms|Parameter|Parameters|Conjecture|Hypothesis|Hypotheses|Abort' \
        "${sources[@]}" Extract.v Assumptions.v; then
    echo "check.sh: the Coq sources assume something (see above)" >&2
    exit 1
fi

# 2. Compile, in a build directory so that the sources stay clean.
rm -rf "$build"
mkdir -p "$build"
cp "${sources[@]}" Extract.v Assumptions.v "$build/"
cd "$build"
for f in "${sources[@]}"; do
    coqc -q -Q . Ebak "$f"
done
echo "coqc: ${sources[*]} compiled: every proof checked"

# 3. Print Assumptions, each answer under the theorem's name (a Locate
#    before each Print Assumptions of Assumptions.v marks where it starts).
sed -E 's/^Print Assumptions ([A-Za-z_.]+)\.$/Locate \1.\nPrint Assumptions \1./' Assumptions.v >Marked.v
coqc -q -Q . Ebak Marked.v >assumptions.txt
expected=$(grep -c '^Print Assumptions ' Assumptions.v)
echo "Print Assumptions ($expected theorems):"
awk '/^Constant / { if (name) print name "\t" answer; name = $2; sub(/^Ebak\./, "", name); answer = ""; next }
     /^  \(shorter name/ { next }
     NF { answer = answer (answer ? " " : "") $0 }
     END { if (name) print name "\t" answer }' assumptions.txt >answers.tsv
awk -F'\t' '{ printf "  %-40s %s\n", $1, $2 }' answers.tsv
closed=$(awk -F'\t' '$2 == "Closed under the global context"' answers.tsv | wc -l)
if [ "$(wc -l <answers.tsv)" -ne "$expected" ] || [ "$closed" -ne "$expected" ]; then
    echo "check.sh: $((expected - closed)) of $expected theorems are not closed under the global context" >&2
    exit 1
fi

# 4. Extract and build the model's driver.
coqc -q -Q . Ebak Extract.v
cp ../driver/driver.ml .
ocamlopt -w -a -o model ebak_model.mli ebak_model.ml driver.ml
echo "extraction: $(wc -l < ebak_model.ml) lines of OCaml; driver built: $here/$build/model"
