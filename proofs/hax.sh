#!/usr/bin/env bash
# proofs/hax.sh: extract ebak-core's hax contracts to F* and prove them.
#
#   proofs/hax.sh extract   # Rust -> F*, into proofs/fstar/extraction/
#   proofs/hax.sh prove     # F* checks the extracted modules (make -C proofs/fstar)
#   proofs/hax.sh check     # says which of the tools below are missing, and stops
#
# For a machine with the full hax toolchain. It is NOT run in CI: the hax
# engine is OCaml 5 built with opam, and F* and HACL* come from GitHub;
# none of them is on the registries CI can reach (proofs/hax/README.md).
# What CI does run is the type-check of the same contracts (--cfg hax) and
# the link-time panic-freedom check.
#
# Needs:
#   - cargo-hax and the hax engine, version $HAX_VERSION: the release tagged
#     cargo-hax-v$HAX_VERSION of the hax repository, installed with its
#     setup.sh (the Rust frontend with cargo, the engine with opam);
#   - F* (fstar.exe on PATH, or FSTAR_HOME) with Z3, in the versions that
#     hax release names;
#   - HACL* sources (HACL_HOME), whose lib/ hax's F* models build on.
# The hax F* proof libraries (core, rust_primitives, hax_lib) are the ones
# shipped inside the hax-lib crate the workspace already depends on; the
# script finds them with `cargo metadata`.
set -euo pipefail

# Must equal the hax-lib (and hax-lib-macros) version in Cargo.lock: the
# engine reads the attributes those macros write.
HAX_VERSION=0.4.2

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FSTAR_DIR="$ROOT/proofs/fstar"
OUT="$FSTAR_DIR/extraction"

# What is extracted (hax's -i syntax, applied left to right): the
# signature of every item of the crate, so that calls resolve; then the
# bodies of the modules whose functions carry contracts. Items marked
# #[hax_lib::opaque] (the calls into aes-gcm, sha2, hmac, argon2 and
# unicode-normalization) stay signatures whatever the filter says. Not
# extracted: cobblestone, file, secret, aead, hkdf (but its key padding),
# which are generic over the AEAD or call the primitives.
INCLUDES=(
    '-**'
    '+:ebak_core::**'
    '+!ebak_core::chunk::**'
    '+!ebak_core::codec::**'
    '+!ebak_core::kdf::**'
    '+!ebak_core::recovery_key::**'
    '+!ebak_core::slot::**'
    '+!ebak_core::header::**'
    '+!ebak_core::hkdf::padded_key'
)

die() {
    printf 'proofs/hax.sh: %s\n' "$*" >&2
    exit 1
}

usage() {
    sed -n '2,6p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit 2
}

# The hax-lib version the workspace is locked to.
locked_hax_lib_version() {
    awk '/^name = "hax-lib"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

check_hax() {
    local missing=0 locked
    locked=$(locked_hax_lib_version)
    if [ "$locked" != "$HAX_VERSION" ]; then
        echo "Cargo.lock has hax-lib $locked but this script pins hax $HAX_VERSION: update HAX_VERSION and the toolchain together" >&2
        missing=1
    fi
    if ! command -v cargo-hax >/dev/null 2>&1; then
        echo "missing: cargo-hax (install the hax release tagged cargo-hax-v$HAX_VERSION with its setup.sh)" >&2
        missing=1
    elif ! cargo hax --version 2>/dev/null | grep -qF "$HAX_VERSION"; then
        echo "wrong hax: '$(cargo hax --version 2>&1 | head -n 1)', this script needs $HAX_VERSION" >&2
        missing=1
    fi
    if [ -n "${HAX_ENGINE_BINARY:-}" ]; then
        [ -x "$HAX_ENGINE_BINARY" ] || {
            echo "HAX_ENGINE_BINARY=$HAX_ENGINE_BINARY is not an executable" >&2
            missing=1
        }
    elif ! command -v hax-engine >/dev/null 2>&1; then
        echo "missing: hax-engine (the OCaml engine of the same hax release, built with opam; or set HAX_ENGINE_BINARY)" >&2
        missing=1
    fi
    return "$missing"
}

fstar_bin() {
    if command -v fstar.exe >/dev/null 2>&1; then
        command -v fstar.exe
    elif [ -n "${FSTAR_HOME:-}" ] && [ -x "$FSTAR_HOME/bin/fstar.exe" ]; then
        echo "$FSTAR_HOME/bin/fstar.exe"
    fi
}

check_fstar() {
    local missing=0
    if [ -z "$(fstar_bin)" ]; then
        echo "missing: F* (fstar.exe on PATH, or FSTAR_HOME)" >&2
        missing=1
    fi
    if ! command -v z3 >/dev/null 2>&1; then
        echo "missing: z3 (the version the F* release asks for)" >&2
        missing=1
    fi
    if [ -z "${HACL_HOME:-}" ] || [ ! -d "$HACL_HOME/lib" ]; then
        echo "missing: HACL_HOME (a checkout of HACL*, whose lib/ the hax F* models include)" >&2
        missing=1
    fi
    return "$missing"
}

# The F* proof libraries shipped in the hax-lib crate the build uses.
hax_proof_libs() {
    local manifest
    manifest=$(cd "$ROOT" && cargo metadata --format-version 1 --locked 2>/dev/null |
        python3 -c 'import json, sys
for p in json.load(sys.stdin)["packages"]:
    if p["name"] == "hax-lib":
        print(p["manifest_path"])
        break') || true
    [ -n "$manifest" ] || die "cannot find the hax-lib crate with cargo metadata"
    local libs
    libs="$(dirname "$manifest")/proof-libs/fstar"
    [ -d "$libs/rust_primitives" ] || die "no F* proof libraries in $libs"
    echo "$libs"
}

extract() {
    check_hax || die "the hax toolchain is missing or has the wrong version (see above); nothing extracted"
    mkdir -p "$OUT"
    echo "extracting ebak-core into $OUT"
    (
        cd "$ROOT/core"
        cargo hax into -i "${INCLUDES[*]}" --output-dir "$OUT" fstar --z3rlimit 100
    )
    ls "$OUT"
}

prove() {
    check_fstar || die "F*, Z3 or HACL* is missing (see above); nothing proved"
    compgen -G "$OUT/*.fst" >/dev/null || die "no extracted modules in $OUT: run 'proofs/hax.sh extract' first"
    local libs
    libs=$(hax_proof_libs)
    make -C "$FSTAR_DIR" FSTAR="$(fstar_bin)" HAX_PROOF_LIBS="$libs" HACL_HOME="$HACL_HOME" verify
}

case "${1:-}" in
    extract) extract ;;
    prove) prove ;;
    check)
        ok=0
        check_hax || ok=1
        check_fstar || ok=1
        [ "$ok" -eq 0 ] && echo "the hax toolchain, F*, Z3 and HACL* are all here"
        exit "$ok"
        ;;
    *) usage ;;
esac
