#!/usr/bin/env bash
# Proves every goal of the WhyML models in proofs/why3/ with Z3 and CVC4 and
# fails unless each goal is proved by at least one of them.
#
#   bash proofs/why3/prove.sh                         # all models
#   Z3_TIME_LIMIT=30 CVC4_TIME_LIMIT=30 bash proofs/why3/prove.sh
#
# The time limits are per goal, in seconds (default 10 for Z3, 5 for CVC4:
# every goal CVC4 proves takes it under 2 s, and the goals it cannot prove
# would otherwise cost 10 s each).
#
# Needs why3 (1.5), z3 and cvc4 on PATH (Debian: apt-get install why3 z3 cvc4).
# The provers' configuration goes to a temporary file, not ~/.why3.conf.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
declare -A limit=([z3]=${Z3_TIME_LIMIT:-10} [cvc4]=${CVC4_TIME_LIMIT:-5})
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for tool in why3 z3 cvc4 python3; do
    command -v "$tool" >/dev/null || { echo "prove.sh: $tool is not installed" >&2; exit 1; }
done
why3 -C "$work/why3.conf" config detect >"$work/detect.log" 2>&1 || { cat "$work/detect.log" >&2; exit 1; }
# One prover at a time per why3 process: the two processes (Z3, CVC4) then
# use the two cores without competing, so the time limit means the same on a
# busy machine as on an idle one.
sed -i 's/^running_provers_max = .*/running_provers_max = 1/' "$work/why3.conf"
for prover in Z3 CVC4; do
    grep -q "name = \"$prover\"" "$work/why3.conf" || { echo "prove.sh: why3 did not detect $prover" >&2; cat "$work/detect.log" >&2; exit 1; }
done
echo "why3 $(why3 --version | sed 's/.*version //'), $(z3 --version), $(cvc4 --version | head -1 | sed 's/This is //')"
echo "time limit per goal: Z3 ${limit[z3]} s, CVC4 ${limit[cvc4]} s"

status=0
for model in *.mlw; do
    echo
    echo "--- $model"
    # Both provers on every goal, side by side (the machine has two cores).
    for prover in z3 cvc4; do
        why3 -C "$work/why3.conf" prove -L . -a split_vc -P "$prover" -t "${limit[$prover]}" "$model" \
            >"$work/$model.$prover" 2>&1 &
    done
    wait
    python3 goals.py "$model" z3="$work/$model.z3" cvc4="$work/$model.cvc4" || status=1
done
exit $status
