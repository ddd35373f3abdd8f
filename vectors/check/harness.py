"""What every vector file gets, whatever its algorithm.

`Check` wraps one test: it records which fields were read, so that a field
this checker does not check is itself a disagreement (a vector cannot carry
a value nobody verifies). `VectorFile` checks the Wycheproof shape:
`numberOfTests`, unique `tcId`s, flags defined in `notes`, known results.
"""

from __future__ import annotations

import json
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RESULTS = ("valid", "acceptable", "invalid")
ALWAYS_READ = {"tcId", "comment", "flags", "result"}
# The order failure classes are printed in: spec 6's steps, then spec 4.5's
# precedence, then where Cobblestone fails.
STAGE_ORDER = (
    "HeaderParse", "KdfLimits", "NoSlotOpens", "HeaderMac", "Commitment", "Payload",
    "InvalidCharacter", "TooShort", "TooLong",
    "KeySize", "Truncated", "Commitment", "Chunk",
    "Unsupported", "Malformed", "Refused",
    "UnknownProtocol", "InvalidUrl", "TrailingData", "InvalidKsf", "WrongKeyOrContext", "Tampered",
)  # fmt: skip


class Check:
    """One test vector being checked: its fields and the disagreements found."""

    def __init__(self, test: dict[str, Any]) -> None:
        self.test = test
        self.tc_id = test.get("tcId")
        self.flags: set[str] = set(test.get("flags", []))
        self.result: str = test.get("result", "")
        self.read: set[str] = set(ALWAYS_READ)
        self.problems: list[str] = []

    # Reading fields.

    def has(self, name: str) -> bool:
        return name in self.test

    def get(self, name: str) -> Any:
        self.read.add(name)
        return self.test.get(name)

    def need(self, name: str) -> Any:
        if name not in self.test:
            self.problem(f"field {name} is missing")
        return self.get(name)

    def hex(self, name: str) -> bytes | None:
        value = self.get(name)
        if value is None:
            return None
        try:
            return bytes.fromhex(value)
        except (TypeError, ValueError):
            self.problem(f"field {name} is not hex")
            return None

    def need_hex(self, name: str) -> bytes:
        value = self.hex(name)
        if value is None:
            self.problem(f"field {name} is missing")
            return b""
        return value

    def zlib_hex(self, name: str) -> bytes | None:
        raw = self.hex(name)
        if raw is None:
            return None
        try:
            return zlib.decompress(raw)
        except zlib.error:
            self.problem(f"field {name} does not inflate")
            return None

    # Judging.

    def problem(self, message: str) -> None:
        self.problems.append(message)

    def expect(self, condition: bool, message: str) -> None:
        if not condition:
            self.problem(message)

    def equal(self, name: str, computed: Any) -> None:
        """The vector's field `name` must be present and equal `computed` (bytes compare as hex)."""
        if name not in self.test:
            self.problem(f"field {name} is missing (computed {_show(computed)})")
            return
        given = self.get(name)
        if isinstance(computed, (bytes, bytearray)):
            computed = bytes(computed).hex()
        if given != computed:
            self.problem(f"{name}: the vector says {_show(given)}, the checker computes {_show(computed)}")

    def equal_if(self, present: bool, name: str, computed: Any, why: str) -> None:
        """`name` must be present (and equal) exactly when `present`."""
        if present:
            self.equal(name, computed)
        else:
            self.absent(name, why)

    def absent(self, name: str, why: str) -> None:
        if name in self.test:
            self.read.add(name)
            self.problem(f"field {name} must be absent {why}")

    def flag(self, name: str, holds: bool, what: str) -> None:
        """The flag `name` is set exactly when `holds`."""
        if (name in self.flags) != holds:
            said = "has" if name in self.flags else "lacks"
            self.problem(f"the vector {said} flag {name}, but {what} is {holds}")

    def finish(self) -> list[str]:
        for name in sorted(set(self.test) - self.read):
            self.problem(f"field {name} is not checked by this checker")
        return self.problems


def _show(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).hex()
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:70] + f"...({len(text)} chars)"


@dataclass
class Tally:
    """How many vectors of each result (and each failure class) were checked."""

    results: Counter[str] = field(default_factory=Counter)
    stages: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    failed_tests: int = 0  # vectors with at least one disagreement
    shape_problems: int = 0  # problems of the file itself (numberOfTests, notes)

    @property
    def checked(self) -> int:
        return sum(self.results.values())

    def line(self) -> str:
        total = self.checked
        parts = [f"{self.results[r]} {r}" for r in RESULTS if self.results[r]]
        text = f"{total} vectors: " + ", ".join(parts)
        if self.stages:
            stages = sorted(self.stages, key=lambda s: (STAGE_ORDER.index(s) if s in STAGE_ORDER else 99, s))
            text += " (" + ", ".join(f"{s} {self.stages[s]}" for s in stages) + ")"
        return text + f"; {len(self.failures)} disagree"


class VectorFile:
    """A Wycheproof-shaped vector file and the checks of its shape."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        self.algorithm = self.data.get("algorithm")
        self.problems: list[str] = []

    def groups(self) -> list[dict[str, Any]]:
        return list(self.data.get("testGroups", []))

    def tests(self) -> list[dict[str, Any]]:
        return [t for g in self.groups() for t in g.get("tests", [])]

    def check_shape(self, schema: str | None, strict_notes: bool) -> None:
        """numberOfTests, tcIds, results, flags and notes."""
        tests = self.tests()
        if schema is not None and self.data.get("schema") != schema:
            self.problems.append(f"schema is {self.data.get('schema')!r}, expected {schema!r}")
        if self.data.get("numberOfTests") != len(tests):
            self.problems.append(f"numberOfTests is {self.data.get('numberOfTests')}, the file has {len(tests)} tests")
        ids = [t.get("tcId") for t in tests]
        if len(set(ids)) != len(ids):
            self.problems.append("tcIds are not unique")
        if strict_notes and ids != list(range(1, len(ids) + 1)):
            self.problems.append("tcIds do not count from 1 in order")
        notes = self.data.get("notes", {})
        for name, note in notes.items():
            if not isinstance(note, dict) or not note.get("bugType") or not note.get("description"):
                self.problems.append(f"note {name} lacks a bugType or a description")
        used: set[str] = set()
        for t in tests:
            if t.get("result") not in RESULTS:
                self.problems.append(f"tcId {t.get('tcId')}: unknown result {t.get('result')!r}")
            flags = t.get("flags", [])
            if len(set(flags)) != len(flags):
                self.problems.append(f"tcId {t.get('tcId')}: a flag is repeated")
            for f in flags:
                used.add(f)
                if f not in notes:
                    self.problems.append(f"tcId {t.get('tcId')}: flag {f} is not defined in notes")
        if strict_notes:
            for name in sorted(set(notes) - used):
                self.problems.append(f"note {name} is used by no test")
