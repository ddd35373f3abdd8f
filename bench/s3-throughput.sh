#!/usr/bin/env bash
# Backup and restore of one file through a local S3-protocol server
# (s3s-fs on loopback, store-s3/tests/s3-server.sh) against the same to a
# local file, in the same run, with the peak RSS of each ebak process.
#
#   cargo build --release -p ebak-cli
#   bash store-s3/tests/s3-server.sh install
#   bash bench/s3-throughput.sh [EBAK_BINARY [SIZE_MIB]]   # default target/release/ebak, 1024
#
# Everything lives in one directory on the same disk (s3s-fs keeps objects
# as files, so a tmpfs would hide the server's own writes): the local file,
# the server's data, the restored trees; it is deleted at the end. The
# input is random and --no-compress is used; the 64-digit key (EBAK_KEY)
# unlocks, so no Argon2id run is in the timings. Each row is the best of
# three runs: the machine is shared.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/ebak}
mib=${2:-1024}
runs=3
dir=$(mktemp -d "${TMPDIR:-/tmp}/ebak-s3-bench.XXXXXX")
server=store-s3/tests/s3-server.sh
trap 'bash "$server" stop "$dir/s3" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
head -c "$((mib << 20))" /dev/urandom >"$dir/big"
EBAK_KEY=$("$bin" keygen 2>/dev/null | head -n 1)
export EBAK_KEY
mkdir -p "$dir/s3"
s3env=$(bash "$server" start "$dir/s3")
eval "$s3env"

# Runs a command (GNU time); prints "seconds peak_kib".
measure() {
    /usr/bin/time -o "$dir/time" -f '%e %M' "$@" >/dev/null
    cat "$dir/time"
}

best() { sort -n | head -n 1; }

row() {
    local where=$1 target=$2
    local b_best="" r_best="" b_rss=0 r_rss=0
    for _ in $(seq "$runs"); do
        rm -rf "$dir/out" "$dir/local.ebak"
        read -r bs brss < <(measure "$bin" -q backup --no-compress --force "$dir/big" -o "$target")
        read -r rs rrss < <(measure "$bin" -q restore "$target" -C "$dir/out")
        cmp "$dir/big" "$dir/out/big"
        b_best=$(printf '%s\n%s\n' "$bs" "${b_best:-$bs}" | best)
        r_best=$(printf '%s\n%s\n' "$rs" "${r_best:-$rs}" | best)
        [ "$brss" -gt "$b_rss" ] && b_rss=$brss
        [ "$rrss" -gt "$r_rss" ] && r_rss=$rrss
    done
    awk -v w="$where" -v b="$b_best" -v r="$r_best" -v bm="$b_rss" -v rm="$r_rss" -v n="$((mib << 20))" \
        'BEGIN { printf "| %s | %.2f s, %.0f MB/s, %d MiB | %.2f s, %.0f MB/s, %d MiB |\n", w, b, n / b / 1e6, bm / 1024, r, n / r / 1e6, rm / 1024 }'
    echo "$b_best $r_best" >>"$dir/times"
}

echo "$mib MiB, --no-compress, best of $runs; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| target | backup (time, rate, peak RSS) | restore -C (time, rate, peak RSS) |"
echo "|---|---|---|"
row "local file" "$dir/local.ebak"
row "s3s-fs on loopback" "s3://$EBAK_S3_BUCKET/bench/big.ebak"
awk 'NR == 1 { lb = $1; lr = $2 } NR == 2 { printf "\nRESULT: S3 / local time: backup %.2fx, restore %.2fx\n", $1 / lb, $2 / lr }' "$dir/times"
