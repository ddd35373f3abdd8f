#!/usr/bin/env bash
# 100 000 tiny files: `ebak backup` and `ebak restore -C` against
# `tar -c | zstd` and `zstd -d | tar -x` on the same tree (the CLI issue's
# target: within 2x of tar | zstd), one run of each, in the order
# tar+zstd, ebak, for backup then restore.
#
#   cargo build --release -p ebak-cli
#   bash bench/tiny-files.sh [path/to/ebak]      # default: target/release/ebak
#
# The tree: 1000 directories of 100 files each, 0 to 511 bytes of text
# (a mail folder, a source tree, a chat app's media thumbnails' metadata).
# It lives on a tmpfs (/dev/shm, else /tmp) and is deleted at the end.
# Both sides compress with zstd at level 3 and use what they use by
# default otherwise (tar: one process, zstd: another; ebak: its threads).
# The 64-digit key (EBAK_KEY) unlocks, so no Argon2id run is in the
# timings. Restores run as the calling user: as root, both tar and ebak
# also set owners. Each restore is compared with the tree (diff -r,
# outside the timings). Wall-clock time is what the target is about; the
# CPU time (user + system, both processes of the tar pipeline) is printed
# beside it because on a shared machine it is the steadier of the two.
set -euo pipefail
bin=${1:-target/release/ebak}
command -v zstd >/dev/null || { echo "zstd is not installed (apt-get install zstd)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is not installed (apt-get install time)" >&2; exit 1; }
base=/dev/shm
[ -d "$base" ] && [ -w "$base" ] || base=/tmp
dir=$(mktemp -d "$base/ebak-tiny.XXXXXX")
trap 'rm -rf "$dir"' EXIT

mkdir "$dir/src"
(
    cd "$dir/src"
    line="the quick brown fox jumps over the lazy dog 0123456789 "
    text=$(printf '%s' "$line$line$line$line$line$line$line$line$line$line")
    for d in $(seq -w 0 999); do
        mkdir "tree-$d"
        for f in $(seq -w 0 99); do
            n=$(( (10#$d * 100 + 10#$f) * 7919 % 512 ))
            printf '%s' "${text:0:$n}" > "tree-$d/file-$f.txt"
        done
    done
)
files=$(find "$dir/src" -type f | wc -l)
bytes=$(du -sb "$dir/src" | cut -f1)
EBAK_KEY=$("$bin" keygen 2>/dev/null | head -n 1)
export EBAK_KEY

# Wall-clock seconds, then CPU seconds (user + system, children included),
# of a command run by sh.
timed() {
    /usr/bin/time -f '%e %U %S' -o "$dir/time" sh -c "$1"
    awk '{ printf "%.2f %.2f\n", $1, $2 + $3 }' "$dir/time"
}

sync
read -r tar_backup tar_backup_cpu < <(timed "tar -C '$dir' -cf - src | zstd -q -3 -o '$dir/src.tar.zst'")
read -r ebak_backup ebak_backup_cpu < <(timed "'$bin' -q backup '$dir/src' -o '$dir/src.ebak'")
mkdir "$dir/tar-out" "$dir/ebak-out"
read -r tar_restore tar_restore_cpu < <(timed "zstd -q -d -c '$dir/src.tar.zst' | tar -C '$dir/tar-out' -xf -")
read -r ebak_restore ebak_restore_cpu < <(timed "'$bin' -q restore '$dir/src.ebak' -C '$dir/ebak-out'")
diff -r "$dir/src" "$dir/tar-out/src"
diff -r "$dir/src" "$dir/ebak-out/src"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
size() { stat -c %s "$1"; }
echo "$files files, $bytes bytes on disk (du -sb), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| | tar + zstd -3: wall (CPU) | ebak: wall (CPU) | ebak / tar: wall (CPU) |"
echo "|---|---|---|---|"
echo "| backup | $tar_backup s ($tar_backup_cpu s) | $ebak_backup s ($ebak_backup_cpu s) | $(ratio "$ebak_backup" "$tar_backup") ($(ratio "$ebak_backup_cpu" "$tar_backup_cpu")) |"
echo "| restore (-C DIR) | $tar_restore s ($tar_restore_cpu s) | $ebak_restore s ($ebak_restore_cpu s) | $(ratio "$ebak_restore" "$tar_restore") ($(ratio "$ebak_restore_cpu" "$tar_restore_cpu")) |"
echo "| output size | $(size "$dir/src.tar.zst") B | $(size "$dir/src.ebak") B | |"
