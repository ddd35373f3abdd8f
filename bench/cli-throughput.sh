#!/usr/bin/env bash
# End-to-end throughput of `ebak backup` and `ebak restore` on one 1 GiB
# file (the CLI issue's figure), for each ebak binary given (default:
# target/release/ebak), with --no-compress and with the default zstd.
#
#   cargo build --release -p ebak-cli && cp target/release/ebak /tmp/ebak-default
#   cargo build --release -p ebak-cli --features aws-lc && cp target/release/ebak /tmp/ebak-aws-lc
#   bash bench/cli-throughput.sh /tmp/ebak-default /tmp/ebak-aws-lc
#
# The files live on a tmpfs (/dev/shm, else /tmp) and are deleted at the
# end. The input is random, so zstd finds nothing to compress: its cost is
# what is left. The 64-digit key (EBAK_KEY) unlocks, so no Argon2id run is
# in the timings.
set -euo pipefail
bins=("$@")
[ ${#bins[@]} -gt 0 ] || bins=(target/release/ebak)
base=/dev/shm
[ -d "$base" ] && [ -w "$base" ] || base=/tmp
dir=$(mktemp -d "$base/ebak-cli-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
bytes=$((1 << 30))
head -c "$bytes" /dev/urandom > "$dir/big"
EBAK_KEY=$("${bins[0]}" keygen 2>/dev/null | head -n 1)
export EBAK_KEY

now() { date +%s.%N; }
rate() { awk -v b="$bytes" -v s="$1" 'BEGIN { printf "%.2f s, %.2f GB/s", s, b / s / 1e9 }'; }

echo "| binary | compression | backup | restore (-C DIR) |"
echo "|---|---|---|---|"
for bin in "${bins[@]}"; do
    for mode in --no-compress zstd; do
        flags=()
        [ "$mode" = zstd ] || flags=(--no-compress)
        rm -rf "$dir/backup.ebak" "$dir/out"
        t0=$(now)
        "$bin" -q backup "$dir/big" -o "$dir/backup.ebak" "${flags[@]}"
        t1=$(now)
        "$bin" -q restore "$dir/backup.ebak" -C "$dir/out"
        t2=$(now)
        cmp "$dir/big" "$dir/out/big"
        backup=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
        restore=$(awk -v a="$t1" -v b="$t2" 'BEGIN { print b - a }')
        echo "| $(basename "$bin") | $mode | $(rate "$backup") | $(rate "$restore") |"
    done
done
