#!/usr/bin/env bash
# Issue 8's "done when": crypt15 files made by an independent encoder
# (wa-crypt-tools from PyPI, see requirements.txt) with a known key decrypt
# byte-identically through `ebak import-whatsapp`.
#
# Usage: crypt15/tests/wa-crypt-tools/check.sh VENV EBAK
#   VENV: a virtualenv with requirements.txt installed (CI: target/venv)
#   EBAK: the ebak binary (CI: target/release/ebak)
set -euo pipefail
venv=$(cd "$1" && pwd)
ebak=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
py="$venv/bin/python"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# The known key: 64 hexadecimal digits, and as WhatsApp shows it (16 groups).
key=c0ffee00112233445566778899aabbccddeeff0123456789abcdef0fedcba987
grouped=$(echo "$key" | sed 's/..../& /g; s/ $//' | tr a-f A-F)
iv=00112233445566778899aabbccddeeff

fail() { echo "crypt15 independent-encoder check FAILED: $*" >&2; exit 1; }
expect_code() { # expect_code CODE COMMAND...
    local want=$1; shift
    local got=0
    "$@" 2>"$work/stderr" || got=$?
    [ "$got" = "$want" ] || { cat "$work/stderr" >&2; fail "exit $got from '$*', expected $want"; }
}

# 1. A real SQLite database (Python's sqlite3), about 1 MiB.
"$py" - msgstore.db <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("CREATE TABLE message (_id INTEGER PRIMARY KEY, chat INTEGER, text TEXT, ts INTEGER)")
db.executemany("INSERT INTO message (chat, text, ts) VALUES (?, ?, ?)",
               ((i % 37, "message %d: %s" % (i, "lorem ipsum " * (i % 9)), 1700000000 + i) for i in range(12000)))
db.commit()
db.close()
PY

# 2. wa-crypt-tools encrypts it (crypt15, zlib level 1, a fixed IV) and
#    writes the key file for the same key.
"$venv/bin/waencrypt" --iv "$iv" "$key" msgstore.db msgstore.db.crypt15 2>/dev/null
"$venv/bin/wacreatekey" --hex "$key" >/dev/null 2>&1 # writes ./encrypted_backup.key
[ "$(wc -c < encrypted_backup.key)" = 59 ] || fail "wacreatekey wrote $(wc -c < encrypted_backup.key) bytes, expected 59"

# wa-crypt-tools' own decrypter agrees (a check of the tool, not of ebak).
"$venv/bin/wadecrypt" "$key" msgstore.db.crypt15 wadecrypt.db 2>/dev/null
cmp -s wadecrypt.db msgstore.db || fail "wadecrypt does not round-trip its own file"

# 3. ebak: the key as hex, as grouped text in the variable, and the key file.
"$ebak" --quiet import-whatsapp msgstore.db.crypt15 --key "$key" -o out-hex.db
cmp out-hex.db msgstore.db || fail "--key: output differs"
EBAK_WA_KEY="$grouped" "$ebak" --quiet import-whatsapp msgstore.db.crypt15 -o out-env.db
cmp out-env.db msgstore.db || fail "EBAK_WA_KEY: output differs"
"$ebak" --quiet import-whatsapp msgstore.db.crypt15 --key-file encrypted_backup.key -o out-keyfile.db
cmp out-keyfile.db msgstore.db || fail "--key-file: output differs"

# 4. What inspect reads from its header, without the key.
"$ebak" inspect --json msgstore.db.crypt15 > inspect.json
"$py" - inspect.json "$iv" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
want = {"format": "whatsapp-crypt15", "keyType": 1, "appVersion": "2.23.18.12", "variant": "msgstore",
        "featureTable": True, "md5Matches": True, "iv": sys.argv[2], "backupVersion": 0}
bad = {k: (v.get(k), w) for k, w in want.items() if v.get(k) != w}
assert not bad, "inspect --json: %r" % bad
PY

# 5. --to-ebak, then restore: the same bytes.
EBAK_WA_KEY="$key" EBAK_PASSWORD="ci passphrase" "$ebak" --quiet import-whatsapp msgstore.db.crypt15 --to-ebak msgstore.ebak
EBAK_PASSWORD="ci passphrase" "$ebak" --quiet restore msgstore.ebak -o restored.db
cmp restored.db msgstore.db || fail "--to-ebak then restore: output differs"

# 6. The multi-file variant: a ZIP (Python's zipfile) encrypted without zlib.
#    wa-crypt-tools always writes the feature-table byte and an MD5, which
#    multi-file backups do not have: remove those 17 bytes (the GCM tag
#    covers neither) to get the multi-file layout.
"$py" - stickers.zip <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", compression=zipfile.ZIP_DEFLATED) as z:
    for i in range(5):
        z.writestr(zipfile.ZipInfo("sticker%d.webp" % i, (2024, 1, 1, 0, 0, 0)), b"RIFF" + bytes(range(256)) * (i + 1))
PY
"$venv/bin/waencrypt" --no-compress --iv "$iv" "$key" stickers.zip with-md5.crypt15 2>/dev/null
"$py" - with-md5.crypt15 stickers.db.crypt15 <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
assert b[1] == 1, "expected wa-crypt-tools' feature-table byte"
open(sys.argv[2], "wb").write(b[:1] + b[2:-16])
PY
"$ebak" --quiet import-whatsapp stickers.db.crypt15 --key "$key" -o out-stickers.zip
cmp out-stickers.zip stickers.zip || fail "multi-file: output differs"
"$ebak" --quiet import-whatsapp with-md5.crypt15 --key "$key" -o out-stickers-md5.zip
cmp out-stickers-md5.zip stickers.zip || fail "ZIP with an MD5: output differs"

# 7. Failures: a wrong key (exit 3), a flipped ciphertext bit (exit 4); nothing left behind.
wrong=${key%?}0
expect_code 3 "$ebak" import-whatsapp msgstore.db.crypt15 --key "$wrong" -o wrong.db
grep -q "wrong key or damaged file" "$work/stderr" || fail "wrong key: message"
"$py" - msgstore.db.crypt15 flipped.crypt15 <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[len(b) // 2] ^= 1
open(sys.argv[2], "wb").write(b)
PY
expect_code 4 "$ebak" import-whatsapp flipped.crypt15 --key "$key" -o flipped.db
leftovers=$(ls -A | grep -E '^(wrong\.db|flipped\.db|\.ebak-)' || true)
[ -z "$leftovers" ] || fail "left behind: $leftovers"

size=$(wc -c < msgstore.db)
echo "crypt15 independent-encoder check: OK (wa-crypt-tools $("$py" -c 'import importlib.metadata as m; print(m.version("wa-crypt-tools"))'): msgstore $size bytes via --key, EBAK_WA_KEY, --key-file and --to-ebak; multi-file ZIP; wrong key exit 3; flipped bit exit 4)"
