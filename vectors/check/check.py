#!/usr/bin/env python3
"""Check the ebak v1 test vectors with an independent implementation.

Usage:
    python vectors/check/check.py [--wycheproof DIR | --no-wycheproof] [FILE ...]

Without FILE, checks the six files in vectors/ and Wycheproof's
Cobblestone-256 vectors (c2sp_chunked_encryption_aes_256_gcm_test.json) from
--wycheproof, $EBAK_WYCHEPROOF_DIR or ../shared/wycheproof beside the
workspace. Each file's kind is read from its "algorithm". Prints, per file,
how many vectors of each result (and failure class) it checked, and exits 1
naming the tcId of every vector it disagrees with (2 on a usage error).

Written from spec/ebak-v1.md, spec/ebak-content-v1.md, spec/ebak-vault-v1.md
and the Cobblestone specification only: see vectors/README.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import checks
import vault
from harness import Check, Tally, VectorFile

HERE = Path(__file__).resolve().parent
VECTORS = HERE.parent
WORKSPACE = VECTORS.parent
EBAK_FILES = (
    "ebak_v1_file_test.json",
    "ebak_v1_keywrap_test.json",
    "ebak_v1_recovery_key_test.json",
    "ebak_v1_content_test.json",
    "ebak_vault_v1_slot_test.json",
    "ebak_vault_v1_wrap_test.json",
)
WYCHEPROOF_FILE = "c2sp_chunked_encryption_aes_256_gcm_test.json"


@dataclass(frozen=True)
class Kind:
    schema: str | None
    strict: bool  # our own files: tcIds count from 1, every note is used
    group: Callable[[dict[str, Any], list[str]], None]
    test: Callable[[Check], str | None]


KINDS = {
    "ebak-v1-file": Kind("ebak_v1_file_test_schema.json", True, checks.check_file_group, checks.check_file_test),
    "ebak-v1-keywrap": Kind(
        "ebak_v1_keywrap_test_schema.json", True, checks.check_keywrap_group, checks.check_keywrap_test
    ),
    "ebak-v1-recovery-key": Kind(
        "ebak_v1_recovery_key_test_schema.json", True, checks.check_recovery_key_group, checks.check_recovery_key_test
    ),
    "ebak-v1-content": Kind(
        "ebak_v1_content_test_schema.json", True, checks.check_content_group, checks.check_content_test
    ),
    "ebak-vault-v1-slot": Kind(
        "ebak_vault_v1_slot_test_schema.json", True, vault.check_slot_group, vault.check_slot_test
    ),
    "ebak-vault-v1-wrap": Kind(
        "ebak_vault_v1_wrap_test_schema.json", True, vault.check_wrap_group, vault.check_wrap_test
    ),
    "Cobblestone-256": Kind(
        "c2sp_chunked_encryption_schema.json", False, checks.check_wycheproof_group, checks.check_wycheproof_test
    ),
}


def check_file(path: Path) -> Tally:
    """Check every vector of one file; the tally lists each disagreement."""
    tally = Tally()
    vf = VectorFile(path)
    kind = KINDS.get(vf.algorithm or "")
    if kind is None:
        tally.failures.append(f"unknown algorithm {vf.algorithm!r}")
        return tally
    vf.check_shape(kind.schema, kind.strict)
    for group in vf.groups():
        kind.group(group, vf.problems)
    tally.failures += vf.problems
    tally.shape_problems = len(vf.problems)
    for test in vf.tests():
        stage, problems = check_test(kind, test)
        tally.results[test.get("result", "")] += 1
        if stage is not None and test.get("result") == "invalid":
            tally.stages[stage] += 1
        tally.failures += [f"tcId {test.get('tcId')}: {p}" for p in problems]
        tally.failed_tests += bool(problems)
    return tally


def check_test(kind: Kind, test: dict[str, Any]) -> tuple[str | None, list[str]]:
    """Check one vector: the failure class the checker found, and every disagreement."""
    c = Check(test)
    try:
        stage = kind.test(c)
    except Exception as e:  # noqa: BLE001 (a crash on one vector is a disagreement, not the end of the run)
        c.problem(f"the checker crashed: {type(e).__name__}: {e}")
        stage = None
    return stage, c.finish()


def default_files(wycheproof: Path | None) -> list[Path]:
    files = [VECTORS / name for name in EBAK_FILES]
    if wycheproof is not None:
        files.append(wycheproof / WYCHEPROOF_FILE)
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="vector files (default: all of vectors/ and Wycheproof's)")
    parser.add_argument("--wycheproof", type=Path, help="the Wycheproof vectors folder")
    parser.add_argument("--no-wycheproof", action="store_true", help="skip Wycheproof's Cobblestone-256 vectors")
    args = parser.parse_args(argv)

    wycheproof: Path | None = None
    if not args.no_wycheproof:
        default = os.environ.get("EBAK_WYCHEPROOF_DIR") or str(WORKSPACE.parent / "shared" / "wycheproof")
        wycheproof = args.wycheproof or Path(default)
    files = args.files or default_files(wycheproof)
    for f in files:
        if not f.is_file():
            print(f"ebak vector check: no such file: {f}", file=sys.stderr)
            return 2

    failures: list[str] = []
    checked = failed = 0
    for f in files:
        start = time.monotonic()
        tally = check_file(f)
        seconds = time.monotonic() - start
        checked += tally.checked + tally.shape_problems
        failed += tally.failed_tests + tally.shape_problems
        print(f"{f.name}: {tally.line()} ({seconds:.1f} s)")
        failures += [f"{f.name}: {line}" for line in tally.failures]
    for line in failures:
        print(f"DISAGREE {line}", file=sys.stderr)
    # The closing line counts vectors (and each problem of a file's shape).
    print(f"vectors: {checked - failed} passed, {failed} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
