"""The backup key vault's client-side pieces, from the specs alone.

- ebak-v1 4.6: the vault slot body, decoded field by field in the order
  the spec checks it;
- ebak-vault v1 2.2: the key id of the pinned public keys;
- ebak-vault v1 4: the wrapping key from OPAQUE's export_key, the wrap
  context, and opening the wrapped key (Cobblestone-256, cobblestone.py).

And the checks of the two vault vector files.
"""

from __future__ import annotations

import hashlib
import hmac as std_hmac
import struct
from dataclasses import dataclass
from typing import Any

import cobblestone
import ebak
from cobblestone import CobblestoneError
from harness import Check

PROTOCOL_V1 = 0x01
FIXED_BYTES = 1 + 16 + 32 + 32 + 16 + 12 + 2  # 111, before the URL
MIN_URL, MAX_URL = 8, 512
KEY_ID_LABEL = b"ebak-vault/v1/key-id"
WRAPPING_KEY_LABEL = b"ebak-vault/v1/wrapping-key"
WRAPPED_KEY_LABEL = b"ebak-vault/v1/wrapped-key"


class SlotError(Exception):
    """A vault slot body that does not decode; `kind` is the rule it breaks."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


@dataclass(frozen=True)
class VaultSlot:
    vault_id: bytes
    opaque_pk: bytes
    signing_pk: bytes
    account: bytes
    m: int
    t: int
    p: int
    url: str


def valid_argon2id(m: int, t: int, p: int) -> bool:
    """ebak-v1 4.3: t >= 1, 1 <= p <= 2^24 - 1, m >= 8p."""
    return t >= 1 and 1 <= p <= (1 << 24) - 1 and m >= 8 * p


def valid_url(url: bytes) -> bool:
    """ebak-v1 4.6: printable ASCII, https:// or http:// and at least one more byte."""
    for scheme in (b"https://", b"http://"):
        if url.startswith(scheme) and len(url) > len(scheme):
            return all(0x21 <= b <= 0x7E for b in url)
    return False


def decode_slot(body: bytes) -> VaultSlot:
    """ebak-v1 4.6, checked in the spec's order."""
    if len(body) < 1:
        raise SlotError("Truncated")
    if body[0] != PROTOCOL_V1:
        raise SlotError("UnknownProtocol")
    if len(body) < FIXED_BYTES:
        raise SlotError("Truncated")
    m, t, p, url_len = struct.unpack(">IIIH", body[97:FIXED_BYTES])
    if not MIN_URL <= url_len <= MAX_URL:
        raise SlotError("InvalidUrl")
    if len(body) < FIXED_BYTES + url_len:
        raise SlotError("Truncated")
    if len(body) > FIXED_BYTES + url_len:
        raise SlotError("TrailingData")
    if not valid_argon2id(m, t, p):
        raise SlotError("InvalidKsf")
    url = body[FIXED_BYTES:]
    if not valid_url(url):
        raise SlotError("InvalidUrl")
    return VaultSlot(body[1:17], body[17:49], body[49:81], body[81:97], m, t, p, url.decode("ascii"))


def key_id(vault_id: bytes, opaque_pk: bytes, signing_pk: bytes) -> bytes:
    """ebak-vault v1 2.2."""
    return hashlib.sha512(KEY_ID_LABEL + b"\x00" + vault_id + opaque_pk + signing_pk).digest()[:16]


def wrapping_key(export_key: bytes) -> bytes:
    """ebak-vault v1 4: HKDF-Expand-SHA-512(export_key, label, 32), one block."""
    return std_hmac.new(export_key, WRAPPING_KEY_LABEL + b"\x01", hashlib.sha512).digest()[:32]


def wrap_context(vault_id: bytes, account: bytes, version: int) -> bytes:
    """ebak-vault v1 4."""
    return WRAPPED_KEY_LABEL + b"\x00" + vault_id + account + struct.pack(">Q", version)


def open_wrapped(export_key: bytes, vault_id: bytes, account: bytes, version: int, wrapped: bytes) -> bytes:
    """The backup key; CobblestoneError("Commitment") or ("Chunk") otherwise."""
    return cobblestone.open_final_chunk(wrapping_key(export_key), wrap_context(vault_id, account, version), wrapped)


def over_ceilings(m: int, t: int, p: int) -> bool:
    """ebak-v1 8's per-slot ceilings and work budget, for one slot."""
    return (
        m > ebak.MAX_MEMORY_KIB
        or t > ebak.MAX_ITERATIONS
        or p > ebak.MAX_PARALLELISM
        or m * t > ebak.MAX_TOTAL_WORK_KIB_PASSES
    )


# The vector checks.

SLOT_FIELDS = ("vaultId", "opaquePk", "signingPk", "keyId", "account", "m", "t", "p", "url")


def check_slot_test(c: Check) -> str | None:
    """ebak_vault_v1_slot_test.json."""
    body = c.need_hex("body")
    c.expect(len(body) <= 1024, "a body over 1024 bytes is not a slot at all (ebak-v1 4.2)")
    try:
        slot, error = decode_slot(body), None
    except SlotError as e:
        slot, error = None, e
    if c.result == "valid":
        c.expect(error is None, f"the vector is valid, but the checker rejects it: {error}")
    else:
        c.expect(error is not None, "the vector is invalid, but the checker accepts it")
    if slot is not None:
        c.equal("vaultId", slot.vault_id)
        c.equal("opaquePk", slot.opaque_pk)
        c.equal("signingPk", slot.signing_pk)
        c.equal("keyId", key_id(slot.vault_id, slot.opaque_pk, slot.signing_pk))
        c.equal("account", slot.account)
        c.equal("m", slot.m)
        c.equal("t", slot.t)
        c.equal("p", slot.p)
        c.equal("url", slot.url)
        c.flag("OverCeilings", over_ceilings(slot.m, slot.t, slot.p), "the costs being over the ceilings")
        c.absent("error", "for a body that decodes")
    else:
        for name in SLOT_FIELDS:
            c.absent(name, "for a body that does not decode")
        c.equal("error", error.kind if error else None)
        c.flag(error.kind if error else "", True, "the rule the body breaks")
    return error.kind if error else None


def check_slot_group(group: dict[str, Any], problems: list[str]) -> None:
    if group.get("type") != "EbakVaultSlotTest":
        problems.append(f"group type {group.get('type')!r}, expected EbakVaultSlotTest")
    ceilings = {
        "maxMemoryKib": ebak.MAX_MEMORY_KIB,
        "maxIterations": ebak.MAX_ITERATIONS,
        "maxParallelism": ebak.MAX_PARALLELISM,
        "maxTotalWork": ebak.MAX_TOTAL_WORK_KIB_PASSES,
    }
    if group.get("kdfCeilings") != ceilings:
        problems.append(f"kdfCeilings {group.get('kdfCeilings')} differ from ebak-v1 8's {ceilings}")


def check_wrap_test(c: Check) -> str | None:
    """ebak_vault_v1_wrap_test.json."""
    export_key = c.need_hex("exportKey")
    vault_id = c.need_hex("vaultId")
    account = c.need_hex("account")
    version = c.need("version")
    if not isinstance(version, int) or not 0 <= version < 1 << 64:
        c.problem(f"version {version!r} is not a u64")
        return None
    wrapped = c.need_hex("wrappedKey")
    c.expect(len(export_key) == 64 and len(vault_id) == 16 and len(account) == 16, "input sizes")
    c.expect(len(wrapped) == 104, "a wrapped key is 104 bytes")
    c.equal("wrappingKey", wrapping_key(export_key))
    c.equal("wrapContext", wrap_context(vault_id, account, version))
    try:
        key, error = open_wrapped(export_key, vault_id, account, version, wrapped), None
    except CobblestoneError as e:
        key, error = None, e
    kind = None
    if error is not None:
        kind = "WrongKeyOrContext" if error.kind == "Commitment" else "Tampered"
    if c.result == "valid":
        c.expect(error is None, f"the vector is valid, but the checker rejects it: {error}")
    else:
        c.expect(error is not None, "the vector is invalid, but the checker accepts it")
    c.equal_if(key is not None, "backupKey", key, "for a wrapped key that does not open")
    c.equal_if(key is not None, "wrapSalt", wrapped[:24], "for a wrapped key that does not open")
    if key is not None:
        # Sealing again with the same salt gives the same bytes (Cobblestone
        # is deterministic given the salt): a one-chunk message.
        derived = cobblestone.derive(wrapping_key(export_key), wrapped[:24], wrap_context(vault_id, account, version))
        again = wrapped[:24] + derived.commitment + cobblestone.seal_chunk(derived, 0, key)
        c.expect(again == wrapped, "sealing the key again with wrapSalt does not give wrappedKey")
    c.equal_if(kind is not None, "error", kind, "for a wrapped key that opens")
    return kind


def check_wrap_group(group: dict[str, Any], problems: list[str]) -> None:
    if group.get("type") != "EbakVaultWrapTest":
        problems.append(f"group type {group.get('type')!r}, expected EbakVaultWrapTest")
