#!/usr/bin/env python3
"""Shows that the link-time panic-freedom check can fail, for every function.

The check (core/examples/no_panic.rs) passes when the release build links.
That alone does not show that each function marked `#[no_panic]` is really
linked and checked: a function the program never reaches would pass
vacuously. So this script copies the workspace to a temporary folder, puts a
panic path (one the optimizer cannot remove) at the top of every marked
function, builds the check there, and requires the build to fail naming
every one of them. It exits 0 only if each marked function was reported.

    python3 proofs/hax/no_panic_selftest.py

It reuses the workspace's target/ folder, so only ebak-core is rebuilt. The
linker stops after 20 errors, so the functions are done in batches.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The files whose functions carry the attribute: the core's (behind the
# feature) and the check program's wrappers of the `const fn`s.
MARKED_FILES = sorted((ROOT / "core" / "src").rglob("*.rs")) + [ROOT / "core" / "examples" / "no_panic.rs"]
ATTRIBUTE = re.compile(r'^\s*#\[(cfg_attr\(feature = "no-panic", no_panic::no_panic\)|no_panic)\]\s*$')
FN_NAME = re.compile(r"\bfn\s+([A-Za-z_][A-Za-z0-9_]*)")
# A panic path the optimizer cannot prove dead.
INJECTED = '    if ::core::hint::black_box(false) { ::core::panic!("no-panic self-test"); }\n'
REPORTED = re.compile(r"ERROR\[no-panic\]: detected panic in function `([A-Za-z0-9_]+)`")
BATCH = 12
BUILD = [
    "cargo", "build", "--profile", "no-panic", "-p", "ebak-core",
    "--features", "no-panic", "--example", "no_panic",
]  # fmt: skip


def inject(path: Path, only: set[str] | None) -> list[str]:
    """Adds the panic path to the marked functions of `path` (those named in
    `only`, or all); returns the names of all marked functions."""
    lines = path.read_text().splitlines(keepends=True)
    out, names, i = [], [], 0
    while i < len(lines):
        out.append(lines[i])
        if not ATTRIBUTE.match(lines[i]):
            i += 1
            continue
        # The signature follows (maybe after other attributes); the body
        # opens at the first line of it that ends with `{`.
        j = i + 1
        while j < len(lines) and not FN_NAME.search(lines[j]):
            out.append(lines[j])
            j += 1
        match = FN_NAME.search(lines[j]) if j < len(lines) else None
        if match is None:
            sys.exit(f"{path}:{i + 1}: no function after the attribute")
        names.append(match.group(1))
        while not lines[j].rstrip().endswith("{"):
            out.append(lines[j])
            j += 1
        out.append(lines[j])
        if only is None or match.group(1) in only:
            out.append(INJECTED)
        i = j + 1
    path.write_text("".join(out))
    return names


def main() -> int:
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    env = dict(os.environ, CARGO_TARGET_DIR=str(ROOT / "target"))
    with tempfile.TemporaryDirectory(prefix="ebak-no-panic-selftest-") as tmp:
        copy = Path(tmp) / "ws"
        for name in files:
            src = ROOT / name
            if src.is_file():
                dst = copy / name
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dst)
        # The marked functions, found without changing anything.
        expected = []
        for path in MARKED_FILES:
            expected += inject(copy / path.relative_to(ROOT), only=set())
        if not expected:
            print("no function is marked #[no_panic]")
            return 1
        if len(set(expected)) != len(expected):
            dupes = sorted({n for n in expected if expected.count(n) > 1})
            print(f"two marked functions share a name, the linker error cannot tell them apart: {dupes}")
            return 1
        for start in range(0, len(expected), BATCH):
            batch = set(expected[start : start + BATCH])
            for path in MARKED_FILES:
                shutil.copy2(path, copy / path.relative_to(ROOT))
                inject(copy / path.relative_to(ROOT), only=batch)
            build = subprocess.run(BUILD, cwd=copy, env=env, capture_output=True, text=True)
            if build.returncode == 0:
                print(f"the build with a panic in {sorted(batch)} linked: the check is not working")
                return 1
            reported = set(REPORTED.findall(build.stderr))
            missing = sorted(batch - reported)
            if missing:
                print(build.stderr[-4000:])
                print(f"not reported (so not linked, or not checked): {missing}")
                return 1
            print(f"batch {start // BATCH + 1}: all {len(batch)} reported: {' '.join(sorted(batch))}")
    print(f"no-panic self-test: each of the {len(expected)} marked functions fails the check when given a panic path")
    return 0


if __name__ == "__main__":
    sys.exit(main())
