#!/usr/bin/env bash
# The differential test: the OCaml extraction of the Coq model and ebak-core
# must reach the same verdict on every input (proofs/README.md).
#
#   bash proofs/diff.sh [ebak-proofs diff options, e.g. --scale 20000 --seed 7]
#
# Builds the model first (proofs/coq/check.sh) when it is missing or older
# than its sources. Replays every corpus directory under fuzz/corpus/ when
# that directory exists.
set -euo pipefail
cd "$(dirname "$0")/.."
model=proofs/coq/_build/model
if [ ! -x "$model" ] || [ -n "$(find proofs/coq -maxdepth 2 \( -name '*.v' -o -name '*.ml' \) \
        -not -path '*/_build/*' -newer "$model")" ]; then
    bash proofs/coq/check.sh
fi
cargo run -q -p ebak-proofs -- diff --model "$model" --corpora fuzz/corpus "$@"
