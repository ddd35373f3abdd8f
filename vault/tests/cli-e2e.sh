#!/usr/bin/env bash
# Issue 16's "done when", run as a user runs it: a real `ebak-vault serve
# --db` on loopback, the `ebak` binary against it. A backup made with
# --vault restores with the password; 10 wrong passwords destroy the
# record; the 11th attempt, with the right password, fails; the 64-digit
# key still restores the file.
#
#   bash vault/tests/cli-e2e.sh EBAK_VAULT_BINARY EBAK_BINARY
set -euo pipefail
vault_bin=$(realpath "$1")
ebak_bin=$(realpath "$2")
work=$(mktemp -d)
vault_pid=
cleanup() {
    [ -n "$vault_pid" ] && kill "$vault_pid" 2>/dev/null && wait "$vault_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

"$vault_bin" serve --db vault.sqlite --listen 127.0.0.1:0 > vault.log 2>&1 &
vault_pid=$!
for _ in $(seq 1 100); do
    grep -q '"event":"listening"' vault.log 2>/dev/null && break
    sleep 0.1
done
addr=$(grep -o '"addr":"[^"]*"' vault.log | head -n 1 | cut -d'"' -f4)
[ -n "$addr" ] || { echo "the vault did not start:" >&2; cat vault.log >&2; exit 1; }
url="http://$addr"
echo "vault at $url"

mkdir data data/sub
echo hello > data/a
seq 1 100000 > data/sub/b
export EBAK_PASSWORD='a vault passphrase for CI'
"$ebak_bin" backup data -o v.ebak --vault "$url" > key.txt
test "$(head -c 79 key.txt | tr -d '0-9a-f-' | wc -c)" -eq 0
"$ebak_bin" vault status v.ebak
"$ebak_bin" restore v.ebak -C out
diff -r data out/data
echo "restored with the password through the vault: identical"

for i in $(seq 1 10); do
    rc=0
    EBAK_PASSWORD="wrong guess $i" "$ebak_bin" verify v.ebak --spend-last-guess 2> err.txt || rc=$?
    [ "$rc" -eq 3 ] || { echo "wrong guess $i: exit $rc, expected 3" >&2; cat err.txt >&2; exit 1; }
    tail -n 1 err.txt
done
rc=0
"$ebak_bin" verify v.ebak 2> err.txt || rc=$?
[ "$rc" -eq 3 ] || { echo "the right password after destruction: exit $rc, expected 3" >&2; exit 1; }
grep -q "destroyed" err.txt || { cat err.txt >&2; exit 1; }
echo "the right password after 10 wrong ones: refused (exit 3): $(tail -n 1 err.txt)"
"$ebak_bin" vault status v.ebak | tail -n 1
EBAK_PASSWORD='' "$ebak_bin" restore v.ebak -C out-key --key-file key.txt
diff -r data out-key/data
echo "restored with the 64-digit key after the record was destroyed: identical"
