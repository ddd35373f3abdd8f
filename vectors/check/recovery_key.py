"""The 64-digit key as text (spec 4.5), written from the spec alone."""

from __future__ import annotations

HEX_DIGITS = "0123456789abcdefABCDEF"
IGNORED = " -"  # U+0020 SPACE and U+002D HYPHEN-MINUS, wherever they appear
KEY_DIGITS = 64


class KeyTextError(Exception):
    """A rejected text: `kind` and its detail, shaped like the vectors' `error`."""

    def __init__(self, kind: str, **detail: object) -> None:
        super().__init__(f"{kind} {detail}")
        self.kind = kind
        self.detail = detail

    def as_json(self) -> dict[str, object]:
        return {"kind": self.kind, **self.detail}


def parse(text: str) -> bytes:
    """Parse a 64-digit key: either case, spaces and dashes ignored anywhere.

    The first character (a code point, counted from 1) that is neither a
    hex digit nor ignored is reported first; then too few or too many
    digits.
    """
    digits = []
    for position, character in enumerate(text, start=1):
        if character in IGNORED:
            continue
        # Only ASCII hex digits: str.isdigit or int(c, 16) would accept other
        # Unicode digits, which the spec excludes.
        if character not in HEX_DIGITS:
            raise KeyTextError("InvalidCharacter", character=character, position=position)
        digits.append(character)
    if len(digits) < KEY_DIGITS:
        raise KeyTextError("TooShort", missing=KEY_DIGITS - len(digits))
    if len(digits) > KEY_DIGITS:
        raise KeyTextError("TooLong", extra=len(digits) - KEY_DIGITS)
    return bytes.fromhex("".join(digits))


def format_key(key: bytes) -> str:
    """16 groups of 4 lowercase digits joined by single dashes: 79 characters."""
    if len(key) != KEY_DIGITS // 2:
        raise ValueError("a backup key is 32 bytes")
    digits = key.hex()
    return "-".join(digits[i : i + 4] for i in range(0, KEY_DIGITS, 4))
