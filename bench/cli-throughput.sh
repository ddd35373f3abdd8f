#!/usr/bin/env bash
# End-to-end throughput of `ebak backup` and `ebak restore` on one 1 GiB
# file, for each ebak binary given (default: target/release/ebak), with
# --no-compress and with the default zstd, against `cat` of the same file
# on the same file system in the same run (issue 19: >= 0.8 of cat with
# aws-lc, --no-compress).
#
#   cargo build --release -p ebak-cli && cp target/release/ebak /tmp/ebak-default
#   cargo build --release -p ebak-cli --features aws-lc && cp target/release/ebak /tmp/ebak-aws-lc
#   bash bench/cli-throughput.sh /tmp/ebak-default /tmp/ebak-aws-lc
#
# ROUNDS (default 3) rounds; each round times `cat big > copy` and then
# every binary's backup and restore, so that a neighbour's burst hits both
# sides; the table gives the median time of each, its throughput, and its
# ratio to the median `cat` (a backup and a restore read 1 GiB and write
# 1 GiB, as `cat` does; they also seal or open it).
#
# The files live on a tmpfs (/dev/shm, else /tmp) and are deleted at the
# end. The input is random, so zstd finds nothing to compress: its cost is
# what is left. The 64-digit key (EBAK_KEY) unlocks, so no Argon2id run is
# in the timings. `--threads` is the CLI's default (0: every core).
set -euo pipefail
bins=("$@")
[ ${#bins[@]} -gt 0 ] || bins=(target/release/ebak)
rounds=${ROUNDS:-3}
base=/dev/shm
[ -d "$base" ] && [ -w "$base" ] || base=/tmp
dir=$(mktemp -d "$base/ebak-cli-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
bytes=$((1 << 30))
head -c "$bytes" /dev/urandom > "$dir/big"
EBAK_KEY=$("${bins[0]}" keygen 2>/dev/null | head -n 1)
export EBAK_KEY

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { print b - a }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A times
for ((r = 1; r <= rounds; r++)); do
    rm -f "$dir/copy"
    t=$(now)
    cat "$dir/big" > "$dir/copy"
    times[cat]+="$(since "$t") "
    rm -f "$dir/copy"
    for bin in "${bins[@]}"; do
        for mode in --no-compress zstd; do
            flags=()
            [ "$mode" = zstd ] || flags=(--no-compress)
            rm -rf "$dir/backup.ebak" "$dir/out"
            t=$(now)
            "$bin" -q backup "$dir/big" -o "$dir/backup.ebak" "${flags[@]}"
            times["$bin $mode backup"]+="$(since "$t") "
            t=$(now)
            "$bin" -q restore "$dir/backup.ebak" -C "$dir/out"
            times["$bin $mode restore"]+="$(since "$t") "
            cmp "$dir/big" "$dir/out/big"
        done
    done
done

med() { tr ' ' '\n' <<< "${times[$1]}" | grep . | median; }
cat_s=$(med cat)
cell() {
    awk -v b="$bytes" -v s="$1" -v c="$cat_s" 'BEGIN { printf "%.2f s, %.2f GB/s, %.2fx cat", s, b / s / 1e9, c / s }'
}
echo "cat big > copy (same tmpfs): $(awk -v b="$bytes" -v s="$cat_s" 'BEGIN { printf "%.2f s, %.2f GB/s", s, b / s / 1e9 }') (median of $rounds)"
echo
echo "| binary | compression | backup | restore (-C DIR) |"
echo "|---|---|---|---|"
for bin in "${bins[@]}"; do
    for mode in --no-compress zstd; do
        echo "| $(basename "$bin") | $mode | $(cell "$(med "$bin $mode backup")") | $(cell "$(med "$bin $mode restore")") |"
    done
done
