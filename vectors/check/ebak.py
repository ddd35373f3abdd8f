"""ebak v1 files, written from spec/ebak-v1.md alone, for the vector checker.

The reader here follows spec section 6 step by step: parse the header
(step 1), obtain the backup key from a key or a password slot (step 2),
verify the header MAC (step 3), and open the payload as it streams in
(step 4, section 6.1). Every failure is an `OpenError` with the class of
spec section 9 as its `stage`. Intermediate values go into a `Trace`, so
that the checker can compare them with the vectors'.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from argon2.low_level import Type, hash_secret_raw
from cryptography.hazmat.primitives import constant_time, hashes, hmac

import cobblestone
from cobblestone import CobblestoneError, Derived

MAGIC = bytes.fromhex("896562616b0d0a1a0a")
VERSION = 0x01
MAX_SLOTS = 8
SLOT_RESERVED = 0x00
SLOT_PASSWORD = 0x01
PASSWORD_BODY_BYTES = 132
MAX_SLOT_BODY_BYTES = 1024
HEADER_MAC_BYTES = 32
MAX_HEADER_BYTES = 8259
MAX_CONTEXT_BYTES = 1024
KDF_SALT_BYTES = 16
WRAPPED_KEY_BYTES = 104
BACKUP_KEY_BYTES = 32

LABEL_HEADER_MAC = b"ebak/v1/header-mac"
LABEL_PAYLOAD = b"ebak/v1/payload"
LABEL_PASSWORD_SLOT = b"ebak/v1/password-slot"

# Spec 8: the reader ceilings (class KdfLimits).
MAX_MEMORY_KIB = 1 << 20
MAX_ITERATIONS = 16
MAX_PARALLELISM = 16
MAX_TOTAL_WORK_KIB_PASSES = 1 << 24
# Spec 8: the writing floor (a reader accepts slots below it).
MIN_WRITE_MEMORY_KIB = 65536
MIN_WRITE_ITERATIONS = 3
# Spec 4.3 / RFC 9106: valid Argon2id parameters.
MAX_ARGON2_LANES = (1 << 24) - 1

HEADER_PARSE = "HeaderParse"
KDF_LIMITS = "KdfLimits"
NO_SLOT_OPENS = "NoSlotOpens"
HEADER_MAC = "HeaderMac"
COMMITMENT = "Commitment"
PAYLOAD = "Payload"
STAGES = (HEADER_PARSE, KDF_LIMITS, NO_SLOT_OPENS, HEADER_MAC, COMMITMENT, PAYLOAD)


class OpenError(Exception):
    """A file that does not open: `stage` is its class (spec 9)."""

    def __init__(self, stage: str, reason: str) -> None:
        super().__init__(f"{stage}: {reason}")
        self.stage = stage
        self.reason = reason


class UsageError(Exception):
    """An input that is not a file's fault: a context over 1024 bytes, a password that is not Unicode."""


def u32(data: bytes) -> int:
    return int.from_bytes(data, "big")


def hmac_sha256(key: bytes, data: bytes) -> bytes:
    h = hmac.HMAC(key, hashes.SHA256())
    h.update(data)
    return h.finalize()


def nfc_utf8(password: str) -> bytes:
    """Spec 4.3: NFC, then UTF-8; nothing else (no trimming, no case folding)."""
    try:
        return unicodedata.normalize("NFC", password).encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError("the password is not a sequence of Unicode scalar values") from None


@functools.cache
def argon2id(password: bytes, salt: bytes, m: int, t: int, p: int) -> bytes:
    """Argon2id version 0x13, 32 bytes, empty secret and associated data."""
    # The checker must never run Argon2id past the ceilings: the reader's
    # KdfLimits step comes first. Fail loudly if it ever would.
    if not (m <= MAX_MEMORY_KIB and t <= MAX_ITERATIONS and p <= MAX_PARALLELISM):
        raise AssertionError("Argon2id called over the ceilings")
    return hash_secret_raw(
        secret=password, salt=salt, time_cost=t, memory_cost=m, parallelism=p, hash_len=32, type=Type.ID, version=19
    )


def header_mac_key(backup_key: bytes) -> bytes:
    return cobblestone.hkdf_expand_sha512(backup_key, LABEL_HEADER_MAC, 32)


def payload_context(application_context: bytes) -> bytes:
    return LABEL_PAYLOAD + b"\x00" + application_context


@dataclass(frozen=True)
class PasswordSlot:
    kdf_salt: bytes
    m: int
    t: int
    p: int
    wrapped_key: bytes
    params: bytes  # body[0..28]: kdf_salt || u32(m) || u32(t) || u32(p)

    @property
    def wrap_context(self) -> bytes:
        return LABEL_PASSWORD_SLOT + b"\x00" + bytes([SLOT_PASSWORD]) + self.params

    @property
    def wrap_salt(self) -> bytes:
        return self.wrapped_key[: cobblestone.SALT_BYTES]


@dataclass(frozen=True)
class Slot:
    slot_type: int
    body: bytes
    password: PasswordSlot | None  # set for slot type 0x01


@dataclass(frozen=True)
class Header:
    slots: list[Slot]
    mac: bytes
    length: int
    mac_input: bytes  # header[0 .. len - 32]


class _NeedMore(Exception):
    pass


class _Cursor:
    """Reads the header's fields; running out of input is a truncated header."""

    def __init__(self, data: bytes, complete: bool) -> None:
        self.data = data
        self.pos = 0
        self.complete = complete

    def take(self, n: int, what: str) -> bytes:
        if len(self.data) - self.pos < n:
            if self.complete:
                raise OpenError(HEADER_PARSE, f"truncated header: {what}")
            raise _NeedMore
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out


def parse_password_body(body: bytes) -> PasswordSlot:
    """Spec 4.3: the 132-byte body; the costs must be valid Argon2id parameters."""
    m, t, p = u32(body[16:20]), u32(body[20:24]), u32(body[24:28])
    if t < 1:
        raise OpenError(HEADER_PARSE, "invalid Argon2id parameters: t = 0")
    if not 1 <= p <= MAX_ARGON2_LANES:
        raise OpenError(HEADER_PARSE, f"invalid Argon2id parameters: p = {p}")
    if m < 8 * p:
        raise OpenError(HEADER_PARSE, f"invalid Argon2id parameters: m = {m} < 8p")
    return PasswordSlot(kdf_salt=body[:16], m=m, t=t, p=p, wrapped_key=body[28:], params=body[:28])


def parse_slot(cur: _Cursor) -> Slot:
    """Spec 6 step 1.4: type, then body_len checked before the body is read."""
    slot_type = cur.take(1, "slot type")[0]
    if slot_type == SLOT_RESERVED:
        raise OpenError(HEADER_PARSE, "reserved slot type 0x00")
    body_len = int.from_bytes(cur.take(2, "slot body_len"), "big")
    if slot_type == SLOT_PASSWORD and body_len != PASSWORD_BODY_BYTES:
        raise OpenError(HEADER_PARSE, f"password slot with body_len {body_len}")
    if body_len > MAX_SLOT_BODY_BYTES:
        raise OpenError(HEADER_PARSE, f"slot body_len {body_len} over 1024")
    body = cur.take(body_len, "slot body")
    password = parse_password_body(body) if slot_type == SLOT_PASSWORD else None
    return Slot(slot_type=slot_type, body=body, password=password)


def parse_header(data: bytes, complete: bool) -> Header | None:
    """Spec 6 step 1 on the start of `data`.

    Returns None if `data` ends inside the header and more may follow
    (`complete` false); raises OpenError(HeaderParse) for any broken rule.
    """
    # Step 1.1: compare the magic bytes we have before saying "too short",
    # so that a short file that is not ebak is reported as not ebak.
    have = data[: len(MAGIC)]
    if not MAGIC.startswith(have):
        raise OpenError(HEADER_PARSE, "not an ebak file (bad magic)")
    cur = _Cursor(data, complete)
    try:
        cur.take(len(MAGIC), "magic")
        version = cur.take(1, "version")[0]
        if version != VERSION:
            raise OpenError(HEADER_PARSE, f"unknown version 0x{version:02x}")
        count = cur.take(1, "slot count")[0]
        if count > MAX_SLOTS:
            raise OpenError(HEADER_PARSE, f"{count} slots, more than 8")
        slots = [parse_slot(cur) for _ in range(count)]
        # Step 1.5 (spec 4.2): no identical slots, no shared kdf_salt.
        seen: set[tuple[int, bytes]] = set()
        salts: set[bytes] = set()
        for slot in slots:
            if (slot.slot_type, slot.body) in seen:
                raise OpenError(HEADER_PARSE, "duplicate slots")
            seen.add((slot.slot_type, slot.body))
            if slot.password is not None:
                if slot.password.kdf_salt in salts:
                    raise OpenError(HEADER_PARSE, "password slots share a kdf_salt")
                salts.add(slot.password.kdf_salt)
        # Step 1.6.
        mac = cur.take(HEADER_MAC_BYTES, "header MAC")
    except _NeedMore:
        return None
    assert cur.pos <= MAX_HEADER_BYTES
    return Header(slots=slots, mac=mac, length=cur.pos, mac_input=data[: cur.pos - HEADER_MAC_BYTES])


def parse_single_slot(data: bytes) -> Slot:
    """One slot alone, checked as in a one-slot header: nothing may follow it."""
    cur = _Cursor(data, complete=True)
    slot = parse_slot(cur)
    if cur.pos != len(data):
        raise OpenError(HEADER_PARSE, "bytes after the slot")
    return slot


@dataclass
class SlotTrace:
    """What trying a password on one slot computed."""

    index: int
    kek: bytes
    wrap_context: bytes
    wrap: Derived
    commitment_matched: bool


@dataclass
class Trace:
    header: Header | None = None
    kdf_limits_checked: bool = False
    password_nfc_utf8: bytes | None = None
    slots_tried: list[SlotTrace] = field(default_factory=list)
    opened_slot: int | None = None
    backup_key: bytes | None = None
    header_mac_key: bytes | None = None
    payload: Derived | None = None


def check_kdf_limits(slots: list[PasswordSlot]) -> None:
    """Spec 6 step 2.1: every password slot, and their sum, before any Argon2id."""
    for s in slots:
        if s.m > MAX_MEMORY_KIB or s.t > MAX_ITERATIONS or s.p > MAX_PARALLELISM:
            raise OpenError(KDF_LIMITS, f"slot costs m = {s.m}, t = {s.t}, p = {s.p} over the ceilings")
    work = sum(s.m * s.t for s in slots)  # Python integers do not overflow
    if work > MAX_TOTAL_WORK_KIB_PASSES:
        raise OpenError(KDF_LIMITS, f"total Argon2id work {work} KiB-passes over 2^24")


def try_password_slot(index: int, slot: PasswordSlot, password: bytes, trace: Trace) -> bytes | None:
    """Spec 6 step 2.3 for one slot: the backup key, or None if the commitment differs."""
    kek = argon2id(password, slot.kdf_salt, slot.m, slot.t, slot.p)
    wrap = cobblestone.derive(kek, slot.wrap_salt, slot.wrap_context)
    matched = constant_time.bytes_eq(wrap.commitment, slot.wrapped_key[24:56])
    trace.slots_tried.append(SlotTrace(index, kek, slot.wrap_context, wrap, matched))
    if not matched:
        return None
    try:
        # One final chunk, index 0: 32 bytes of ciphertext and a tag.
        return cobblestone.open_chunk(wrap, 0, slot.wrapped_key[56:])
    except CobblestoneError:
        raise OpenError(HEADER_MAC, "the password slot's wrapped key does not authenticate") from None


def unlock_with_password(header: Header, password: str, trace: Trace) -> bytes:
    """Spec 6 step 2 with a password."""
    slots = [(i, s.password) for i, s in enumerate(header.slots) if s.password is not None]
    check_kdf_limits([s for _, s in slots])
    trace.kdf_limits_checked = True
    pw = nfc_utf8(password)
    trace.password_nfc_utf8 = pw
    for index, slot in slots:
        key = try_password_slot(index, slot, pw, trace)
        if key is not None:
            trace.opened_slot = index
            return key
    raise OpenError(NO_SLOT_OPENS, "no password slot opens with this password")


def verify_header_mac(header: Header, backup_key: bytes, trace: Trace) -> None:
    """Spec 6 step 3 (4.4), in constant time."""
    mac_key = header_mac_key(backup_key)
    trace.header_mac_key = mac_key
    if not constant_time.bytes_eq(hmac_sha256(mac_key, header.mac_input), header.mac):
        raise OpenError(HEADER_MAC, "the header MAC does not verify")


@dataclass(frozen=True)
class Key:
    """The backup key, as a 64-digit key parses to (spec 4.5)."""

    key: bytes


@dataclass(frozen=True)
class Password:
    password: str


def _payload_error(e: CobblestoneError) -> OpenError:
    if e.kind == "Commitment":
        return OpenError(COMMITMENT, e.reason)
    if e.kind in ("Truncated", "Chunk"):
        return OpenError(PAYLOAD, e.reason)
    raise AssertionError(f"unexpected Cobblestone error for a 32-byte key: {e}")


class FileOpener:
    """Opens an ebak v1 file as it streams in (spec 6 and 6.1).

    `feed` takes the next bytes of the file, in pieces of any size; each
    chunk's plaintext goes to `release` as soon as it verifies; `finish`
    says the input ended. The header is buffered (at most 8 259 bytes) until
    it is complete; then the backup key is obtained and the header MAC
    verified before any payload byte is looked at. After a failure every
    call raises the same error.
    """

    def __init__(self, secret: Key | Password, context: bytes, release: Callable[[bytes], None]) -> None:
        if len(context) > MAX_CONTEXT_BYTES:
            raise UsageError("application context over 1024 bytes")
        if isinstance(secret, Key) and len(secret.key) != BACKUP_KEY_BYTES:
            raise UsageError("a backup key is 32 bytes")
        if isinstance(secret, Password):
            nfc_utf8(secret.password)  # spec 4.3: refused before the file is read
        self._secret = secret
        self._context = context
        self._release = release
        self._buf = b""
        self._payload: cobblestone.StreamOpener | None = None
        self._error: OpenError | None = None
        self.trace = Trace()

    def feed(self, data: bytes) -> None:
        self._run(data, complete=False)

    def finish(self) -> None:
        self._run(b"", complete=True)

    def _run(self, data: bytes, complete: bool) -> None:
        if self._error is not None:
            raise self._error
        try:
            self._step(data, complete)
        except OpenError as e:
            self._error = e
            raise

    def _step(self, data: bytes, complete: bool) -> None:
        if self._payload is None:
            self._buf += data
            header = parse_header(self._buf, complete)
            if header is None:
                return
            self.trace.header = header
            self._unlock(header)
            rest, self._buf = self._buf[header.length :], b""
            self._payload = cobblestone.StreamOpener(self._secret_key(), payload_context(self._context), self._release)
            data = rest
        try:
            self._payload.feed(data)
            if complete:
                self._payload.finish()
        except CobblestoneError as e:
            raise _payload_error(e) from None
        finally:
            if self._payload.derived is not None:
                self.trace.payload = self._payload.derived

    def _unlock(self, header: Header) -> None:
        if isinstance(self._secret, Key):
            # Step 2 with the 64-digit key: no slot is used or checked.
            backup_key = self._secret.key
        else:
            backup_key = unlock_with_password(header, self._secret.password, self.trace)
        self.trace.backup_key = backup_key
        verify_header_mac(header, backup_key, self.trace)

    def _secret_key(self) -> bytes:
        assert self.trace.backup_key is not None
        return self.trace.backup_key
