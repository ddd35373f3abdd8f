#!/usr/bin/env bash
# Mutation testing of ebak-core and ebak-stream with cargo-mutants, within a
# time budget (proofs/README.md, "Mutation testing").
#
#   bash proofs/mutants.sh          # what CI runs: the changed lines, and the sentinels
#   EBAK_MUTANTS_BASE=<rev> bash proofs/mutants.sh   # changed since <rev> (default HEAD^1)
#   EBAK_MUTANTS_MAX=60 bash proofs/mutants.sh       # more mutants of the diff (default 12 per crate)
#   bash proofs/mutants.sh --all    # every mutant of both crates (hours on 2 cores)
#
# What it mutates, and why this scope:
#
# 1. the lines of core/src and stream/src changed since the base revision
#    (cargo-mutants --in-diff). On main the base is HEAD^1, the main before
#    the landing under test: each landing's new or changed code is mutated
#    when it lands. When that is more than EBAK_MUTANTS_MAX mutants, a
#    deterministic share of them (a shard chosen by the commit) is run and
#    the script says so;
# 2. the sentinels: the survivors the outside audit named (issue 18), which
#    tests now catch: Decryptor::check_open, fill_random, Encryptor::
#    seal_final, BackupKey's equality and the Argon2 error mapping. They run
#    every time, so that a test that stopped defending one of these rules
#    fails CI even when the landing did not touch that code.
#
# A mutant that survives fails the script unless it is listed, with its
# reason, in proofs/mutants-equivalent.txt (a mutant that cannot change any
# observable behaviour). Installs cargo-mutants (pinned) only when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

version=27.1.0
if ! cargo mutants --version 2>/dev/null | grep -qx "cargo-mutants $version"; then
    cargo install cargo-mutants --locked --version "$version"
fi

# The Wycheproof vectors (../shared/wycheproof) are the only tests of some
# paths (random access among them): a mutated copy of the tree must find
# them too, or those tests are skipped and their mutants survive unseen.
if [ -z "${EBAK_WYCHEPROOF_DIR:-}" ] && [ -d ../shared/wycheproof ]; then
    EBAK_WYCHEPROOF_DIR=$(cd ../shared/wycheproof && pwd)
    export EBAK_WYCHEPROOF_DIR
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
max=${EBAK_MUTANTS_MAX:-12}
base=${EBAK_MUTANTS_BASE:-HEAD^1}
# In CI (a fresh clone) mutate in place and reuse the target directory; by
# hand, mutate a copy, so that an interrupted run cannot leave a mutant in
# the working tree.
# A mutant often leaves an unused variable or an unreachable match arm:
# under CI's RUSTFLAGS -D warnings it would not build and would count as
# "unviable", never tested (5 of the 14 sentinels did, 2026-12-04). Warnings
# are the lint step's business, not this one's.
RUSTFLAGS=${RUSTFLAGS:-}
RUSTFLAGS=${RUSTFLAGS//-D warnings/}
export RUSTFLAGS
# One mutant at a time either way (--in-place allows no other; a copy on
# 2 cores gains nothing from two builds at once).
place=(--jobs 1)
if [ "${CI:-}" = true ]; then place=(--in-place); fi
# The tests section already ran the suite unmutated: no baseline, and a
# fixed timeout per mutant (the core's tests take seconds).
common=(--baseline=skip --timeout 240 --build-timeout 600 "${place[@]}")

run() { # run NAME PACKAGE ARGS...: one cargo-mutants run; its survivors to $work/NAME.missed
    local name=$1 package=$2
    shift 2
    echo "--- $name ($package): $(cargo mutants -p "$package" --list "$@" 2>/dev/null | wc -l) mutants"
    local status=0
    cargo mutants -p "$package" "${common[@]}" -o "$work/$name" "$@" || status=$?
    # 0: all caught; 2: survivors; 3: timeouts (caught: the mutant hangs);
    # anything else is a failure of the tool or the build.
    case $status in 0 | 2 | 3) ;; *) echo "cargo-mutants failed ($status)" >&2; exit 1 ;; esac
    cat "$work/$name/mutants.out/missed.txt" >>"$work/missed" 2>/dev/null || true
    # An unviable mutant is one no test saw: name them.
    sed 's/^/  unviable (does not build): /' "$work/$name/mutants.out/unviable.txt" 2>/dev/null || true
    for outcome in caught missed timeout unviable; do
        printf '%s %s, ' "$(wc -l <"$work/$name/mutants.out/$outcome.txt" 2>/dev/null || echo 0)" "$outcome"
    done
    echo
}

: >"$work/missed"
start=$SECONDS
if [ "${1:-}" = --all ]; then
    run core ebak-core
    run stream ebak-stream
else
    for package in core stream; do
        git diff "$base" HEAD -- "$package/src" >"$work/$package.diff"
        if [ ! -s "$work/$package.diff" ]; then
            echo "--- $package: no change since $base"
            continue
        fi
        count=$(cargo mutants -p "ebak-$package" --list --in-diff "$work/$package.diff" 2>/dev/null | wc -l)
        shard=()
        if [ "$count" -gt "$max" ]; then
            n=$(((count + max - 1) / max))
            k=$(($(git rev-parse HEAD | cut -c1-6 | sed 's/^/0x/') % n))
            shard=(--shard "$k/$n")
            echo "--- $package: $count mutants in the diff, over the budget of $max: shard $k of $n"
        fi
        if [ "$count" -gt 0 ]; then
            run "$package-diff" "ebak-$package" --in-diff "$work/$package.diff" "${shard[@]}"
        fi
    done
    run sentinels ebak-core \
        -F 'Decryptor<A>>?::check_open|fill_random|Encryptor<A>>?::seal_final|PartialEq for BackupKey|kdf_error'
fi

# Survivors, without their line and column (which move as the code does),
# that are not listed as equivalent.
sed -E 's/^([^:]+):[0-9]+:[0-9]+: /\1: /' "$work/missed" | sort -u >"$work/survivors"
grep -v '^#' proofs/mutants-equivalent.txt | sed -E 's/ +#.*$//; /^$/d' | sort -u >"$work/equivalent"
comm -23 "$work/survivors" "$work/equivalent" >"$work/new"
echo "mutation testing: $((SECONDS - start)) s; $(wc -l <"$work/survivors") survivors, $(wc -l <"$work/new") not listed as equivalent"
if [ -s "$work/new" ]; then
    echo "mutants no test catches (write a test that states the rule they break, or list them with a reason in proofs/mutants-equivalent.txt):"
    sed 's/^/  /' "$work/new"
    exit 1
fi
