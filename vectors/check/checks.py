"""The checks of each kind of vector, against the implementations in this folder.

Each function takes a `Check` (one test) and reaches its own verdict from
the spec, then compares it, and every intermediate value, with the vector.
It returns the verdict's failure class (or None when the input is accepted)
for the tally.
"""

from __future__ import annotations

import hashlib
import os
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cobblestone
import content
import ebak
import recovery_key
from cobblestone import CobblestoneError
from ebak import OpenError
from harness import Check

# Two ways of feeding a file to a streaming reader: all at once, and in
# irregular pieces that straddle every boundary (magic, slots, salt,
# commitment, chunks). Both must release the same plaintext and fail alike.
WHOLE = None
IRREGULAR = (1, 8, 2, 13, 255, 4099, 16399, 16401, 65536)

EBAK_CEILINGS = {
    "maxMemoryKib": ebak.MAX_MEMORY_KIB,
    "maxIterations": ebak.MAX_ITERATIONS,
    "maxParallelism": ebak.MAX_PARALLELISM,
    "maxTotalWork": ebak.MAX_TOTAL_WORK_KIB_PASSES,
}


def pieces(data: bytes, sizes: tuple[int, ...] | None) -> list[bytes]:
    if sizes is None:
        return [data]
    out: list[bytes] = []
    pos = 0
    for size in itertools.cycle(sizes):
        if pos >= len(data):
            return out
        out.append(data[pos : pos + size])
        pos += size
    raise AssertionError("unreachable")


@dataclass
class Outcome:
    """What a streaming reader did with one input."""

    error: Exception | None
    chunks: list[bytes]  # the plaintext released, chunk by chunk
    keeps_failing: bool  # after a failure, a further call fails with the same error
    opener: Any

    @property
    def released(self) -> bytes:
        return b"".join(self.chunks)

    def same_as(self, other: Outcome) -> bool:
        def key(o: Outcome) -> tuple[Any, ...]:
            return (type(o.error), str(o.error), o.released)

        return key(self) == key(other)


def stream(make: Callable[[Callable[[bytes], None]], Any], data: bytes, sizes: tuple[int, ...] | None) -> Outcome:
    """Feed `data` to the reader `make(release)` in pieces, collecting what it releases."""
    chunks: list[bytes] = []
    opener = make(chunks.append)
    errors = (OpenError, CobblestoneError)
    try:
        for piece in pieces(data, sizes):
            opener.feed(piece)
        opener.finish()
    except errors as e:
        try:
            opener.finish()
            again = None
        except errors as e2:
            again = e2
        return Outcome(e, chunks, again is e or (again is not None and str(again) == str(e)), opener)
    return Outcome(None, chunks, True, opener)


def check_message(c: Check, outcome: Outcome, whole: bool) -> None:
    """msgLength and msgSha512: the whole message, or the streaming prefix (PartialPlaintext)."""
    released = outcome.released
    if whole:
        c.equal("msgLength", len(released))
        c.equal("msgSha512", hashlib.sha512(released).digest())
        return
    c.flag("PartialPlaintext", bool(released), "a streaming reader releasing a prefix")
    c.equal_if(bool(released), "msgLength", len(released), "when nothing is released")
    c.equal_if(bool(released), "msgSha512", hashlib.sha512(released).digest(), "when nothing is released")


def check_verdict(c: Check, error: Exception | None, stage: str | None) -> None:
    """The result; and for ebak files and slots (`stage` given), the failureStage."""
    if c.result in ("valid", "acceptable"):
        c.expect(error is None, f"the vector is {c.result}, but the checker rejects it: {error}")
    else:
        c.expect(error is not None, "the vector is invalid, but the checker accepts it")
    if stage is not None or error is None:
        c.equal_if(stage is not None, "failureStage", stage, "for an accepted vector")


def keystream_ciphertext_is_zero(payload: bytes, chunks: int) -> bool:
    """KeystreamPlaintext: every ciphertext byte outside the tags is zero."""
    body = payload[cobblestone.PREFIX_BYTES :]
    for i in range(chunks):
        chunk = body[i * cobblestone.CHUNK_CIPHERTEXT_BYTES : (i + 1) * cobblestone.CHUNK_CIPHERTEXT_BYTES]
        if any(chunk[: -cobblestone.TAG_BYTES]):
            return False
    return True


def check_file_group(group: dict[str, Any], problems: list[str]) -> None:
    if group.get("type") != "EbakFileTest":
        problems.append(f"group type {group.get('type')!r}, expected EbakFileTest")
    if group.get("kdfCeilings") != EBAK_CEILINGS:
        problems.append(f"kdfCeilings {group.get('kdfCeilings')} differ from spec 8's {EBAK_CEILINGS}")


def check_file_test(c: Check) -> str | None:
    """ebak_v1_file_test.json: open the file as spec 6 says, streaming."""
    context = c.need_hex("context")
    if c.has("file") == c.has("fileZlib"):
        c.problem("exactly one of file and fileZlib must be given")
    data = c.hex("file") if c.has("file") else c.zlib_hex("fileZlib")
    data = data if data is not None else b""
    c.equal("fileLength", len(data))
    c.expect(c.has("fileZlib") == (len(data) > 4096), "files longer than 4096 bytes, and only they, use fileZlib")

    secret_type = c.need("secretType")
    secret: ebak.Key | ebak.Password
    if secret_type == "key":
        secret = ebak.Key(c.need_hex("key"))
        c.absent("password", "with secretType key")
        c.absent("passwordUtf8", "with secretType key")
    else:
        c.expect(secret_type == "password", f"unknown secretType {secret_type!r}")
        password = c.need("password")
        c.equal("passwordUtf8", password.encode("utf-8"))
        c.absent("key", "with secretType password")
        secret = ebak.Password(password)
        c.flag("UnicodeNormalization", ebak.nfc_utf8(password) != password.encode("utf-8"), "a password not in NFC")

    def make(release: Callable[[bytes], None]) -> ebak.FileOpener:
        return ebak.FileOpener(secret, context, release)

    outcome = stream(make, data, WHOLE)
    other = stream(make, data, IRREGULAR)
    c.expect(outcome.same_as(other), f"fed in pieces, the file gives another outcome: {other.error}")
    c.expect(outcome.keeps_failing, "after failing, the reader does not keep failing with the same error")
    trace: ebak.Trace = outcome.opener.trace
    error = outcome.error
    stage = error.stage if isinstance(error, OpenError) else None
    check_verdict(c, error, stage)
    accepted = error is None

    header = trace.header
    c.equal_if(header is not None, "headerLength", header.length if header else None, "when the header does not parse")
    if header is not None:
        c.flag("MaxHeader", header.length == ebak.MAX_HEADER_BYTES, "a header of 8259 bytes")
        pw_slots = [s.password for s in header.slots if s.password is not None]
        below = any(s.m < ebak.MIN_WRITE_MEMORY_KIB or s.t < ebak.MIN_WRITE_ITERATIONS for s in pw_slots)
        over = any(
            s.m > ebak.MAX_MEMORY_KIB or s.t > ebak.MAX_ITERATIONS or s.p > ebak.MAX_PARALLELISM for s in pw_slots
        )
        if accepted:
            # acceptable: made only by a non-conforming writer (a slot below
            # the floor, or over the ceilings and unused), yet it opens.
            c.expect((c.result == "acceptable") == (below or over), "acceptable must mean a slot no writer makes")
    c.flag("LongContext", len(context) == ebak.MAX_CONTEXT_BYTES, "a context of 1024 bytes")

    # The intermediate values of an accepted file.
    c.equal_if(accepted, "backupKey", trace.backup_key, "for an invalid vector")
    c.equal_if(accepted, "headerMacKey", trace.header_mac_key, "for an invalid vector")
    p = trace.payload
    c.equal_if(accepted, "payloadKey", p.key if p else None, "for an invalid vector")
    c.equal_if(accepted, "payloadBaseNonce", p.base_nonce if p else None, "for an invalid vector")
    c.equal_if(accepted, "payloadCommitment", p.commitment if p else None, "for an invalid vector")
    is_password = isinstance(secret, ebak.Password)
    c.equal_if(accepted and is_password, "openedSlot", trace.opened_slot, "for a key or an invalid vector")
    check_message(c, outcome, accepted)

    payload = data[header.length :] if header is not None else b""
    if accepted:
        c.flag("CounterRollover", len(outcome.chunks) > 256, "more than 256 chunks")
        if "KeystreamPlaintext" in c.flags:
            c.expect(keystream_ciphertext_is_zero(payload, len(outcome.chunks)), "KeystreamPlaintext, but not zero")
    # Random access (spec 6.1): the final chunk the length designates.
    if accepted or stage == ebak.PAYLOAD:
        assert trace.backup_key is not None
        try:
            final = cobblestone.open_final_chunk(trace.backup_key, ebak.payload_context(context), payload)
            final_ok = True
        except CobblestoneError:
            final = None
            final_ok = False
        if accepted:
            c.expect(final_ok and final == outcome.chunks[-1], "random access does not find the final chunk")
        c.flag("ValidFinalChunk", not accepted and final_ok, "the final chunk verifying at its index")
    else:
        c.flag("ValidFinalChunk", False, "a failure before the payload")
    return stage


def check_keywrap_test(c: Check) -> str | None:
    """ebak_v1_keywrap_test.json: one slot, checked as in a one-slot header."""
    data = c.need_hex("slot")
    password = c.need("password")
    c.equal("passwordUtf8", password.encode("utf-8"))
    trace = ebak.Trace()
    slot: ebak.Slot | None = None
    error: OpenError | None = None
    key = None
    try:
        slot = ebak.parse_single_slot(data)
        if slot.password is None:
            raise OpenError(ebak.NO_SLOT_OPENS, "not a password slot: skipped")
        ebak.check_kdf_limits([slot.password])
        nfc = ebak.nfc_utf8(password)
        trace.password_nfc_utf8 = nfc
        key = ebak.try_password_slot(0, slot.password, nfc, trace)
        if key is None:
            raise OpenError(ebak.NO_SLOT_OPENS, "the commitment does not match")
    except OpenError as e:
        error = e
    check_verdict(c, error, error.stage if error else None)
    accepted = error is None
    ps = slot.password if slot is not None else None
    tried = trace.slots_tried[0] if trace.slots_tried else None
    why = "for an invalid vector"
    c.equal_if(accepted, "passwordNfcUtf8", trace.password_nfc_utf8, why)
    c.equal_if(accepted, "kdfSalt", ps.kdf_salt if ps else None, why)
    c.equal_if(accepted, "memoryKib", ps.m if ps else None, why)
    c.equal_if(accepted, "iterations", ps.t if ps else None, why)
    c.equal_if(accepted, "parallelism", ps.p if ps else None, why)
    c.equal_if(accepted, "wrapSalt", ps.wrap_salt if ps else None, why)
    c.equal_if(accepted, "kek", tried.kek if tried else None, why)
    c.equal_if(accepted, "wrapContext", tried.wrap_context if tried else None, why)
    c.equal_if(accepted, "wrapKey", tried.wrap.key if tried else None, why)
    c.equal_if(accepted, "wrapBaseNonce", tried.wrap.base_nonce if tried else None, why)
    c.equal_if(accepted, "wrapCommitment", tried.wrap.commitment if tried else None, why)
    c.equal_if(accepted, "backupKey", key, why)
    if ps is not None and accepted:
        below = ps.m < ebak.MIN_WRITE_MEMORY_KIB or ps.t < ebak.MIN_WRITE_ITERATIONS
        c.expect((c.result == "acceptable") == below, "acceptable must mean a slot below the writing floor")
        c.flag("BelowWritingFloor", below, "a slot below the writing floor")
        c.flag("Argon2Lanes", ps.p > 1 or ps.m % (4 * ps.p) != 0, "p > 1 or m not a multiple of 4p")
        c.flag("UnicodeNormalization", ebak.nfc_utf8(password) != password.encode("utf-8"), "a password not in NFC")
    return error.stage if error else None


def check_keywrap_group(group: dict[str, Any], problems: list[str]) -> None:
    if group.get("type") != "EbakKeyWrapTest":
        problems.append(f"group type {group.get('type')!r}, expected EbakKeyWrapTest")
    if group.get("kdfCeilings") != EBAK_CEILINGS:
        problems.append(f"kdfCeilings {group.get('kdfCeilings')} differ from spec 8's {EBAK_CEILINGS}")


def check_recovery_key_test(c: Check) -> str | None:
    """ebak_v1_recovery_key_test.json: parse the text as spec 4.5 says."""
    text = c.need("text")
    try:
        key = recovery_key.parse(text)
        error = None
    except recovery_key.KeyTextError as e:
        key, error = None, e
    check_verdict(c, error, None)
    c.absent("failureStage", "for a 64-digit key (it has error)")
    c.equal_if(key is not None, "key", key, "for a rejected text")
    formatted = recovery_key.format_key(key) if key is not None else None
    c.equal_if(key is not None, "formatted", formatted, "for a rejected text")
    if key is not None:
        c.expect(recovery_key.parse(formatted or "") == key, "the formatted key does not parse back")
        c.flag("Canonical", text == formatted, "the canonical spelling")
    c.equal_if(error is not None, "error", error.as_json() if error else None, "for an accepted text")
    return error.kind if error else None


def check_recovery_key_group(group: dict[str, Any], problems: list[str]) -> None:
    if group.get("type") != "EbakRecoveryKeyTest":
        problems.append(f"group type {group.get('type')!r}, expected EbakRecoveryKeyTest")


def check_wycheproof_group(group: dict[str, Any], problems: list[str]) -> None:
    for name, value in (("type", "ChunkedEncryption"), ("aead", "AEAD_AES_256_GCM"), ("sha", "SHA-512")):
        if group.get(name) != value:
            problems.append(f"group {name} is {group.get(name)!r}, expected {value!r}")


def check_wycheproof_test(c: Check) -> str | None:
    """Wycheproof's Cobblestone-256 vectors, through cobblestone.py alone."""
    key = c.need_hex("key")
    context = c.need_hex("ctx")
    data = c.zlib_hex("ct")
    data = data if data is not None else b""

    def make(release: Callable[[bytes], None]) -> cobblestone.StreamOpener:
        return cobblestone.StreamOpener(key, context, release)

    outcome = stream(make, data, WHOLE)
    other = stream(make, data, IRREGULAR)
    c.expect(outcome.same_as(other), f"fed in pieces, the ciphertext gives another outcome: {other.error}")
    c.expect(outcome.keeps_failing, "after failing, the reader does not keep failing with the same error")
    error = outcome.error
    check_verdict(c, error, None)
    accepted = error is None
    derived = outcome.opener.derived
    early = isinstance(error, CobblestoneError) and error.before_any_chunk
    c.flag("HeaderFailure", early, "a failure before any chunk")
    # aeadKey and baseNonce are given whenever the commitment verifies.
    c.equal_if(derived is not None, "aeadKey", derived.key if derived else None, "when the header fails")
    c.equal_if(derived is not None, "baseNonce", derived.base_nonce if derived else None, "when the header fails")
    check_message(c, outcome, accepted)
    try:
        final = cobblestone.open_final_chunk(key, context, data)
        final_ok = True
    except CobblestoneError:
        final, final_ok = None, False
    if accepted:
        c.expect(final_ok and final == outcome.chunks[-1], "random access does not find the final chunk")
    c.flag("ValidFinalChunk", not accepted and final_ok, "the final chunk verifying at its index")
    return error.kind if isinstance(error, CobblestoneError) else None


def open_payload(key: bytes, context: bytes, data: bytes) -> bytes:
    """Opens an ebak file with its backup key (spec 6) and returns the payload plaintext."""
    chunks: list[bytes] = []
    opener = ebak.FileOpener(ebak.Key(key), context, chunks.append)
    opener.feed(data)
    opener.finish()
    return b"".join(chunks)


def compare_listing(c: Check, got: list[dict[str, Any]], want: Any) -> None:
    """The restored tree against `entries`: the same paths and values; hard links share an inode."""
    if not isinstance(want, list):
        c.problem("entries is not a list")
        return
    got_paths = [e["path"] for e in got]
    want_paths = [e.get("path") for e in want]
    if got_paths != want_paths:
        c.problem(f"restored paths {got_paths}, the vector lists {want_paths}")
        return
    for g, w in zip(got, want):
        for name, value in w.items():
            if name == "linkedTo":
                to = next((e for e in got if e["path"] == value), None)
                c.expect(to is not None and to.get("ino") == g.get("ino"), f"{w['path']}: not a hard link to {value}")
            elif g.get(name) != value:
                c.problem(f"{w['path']}: {name} is {g.get(name)!r}, the vector says {value!r}")
        extra = set(g) - set(w) - {"ino"}
        c.expect(not extra, f"{w['path']}: restored {sorted(extra)} that the vector does not list")


def check_content_group(group: dict[str, Any], problems: list[str]) -> None:
    if group.get("type") != "EbakContentTest":
        problems.append(f"group type {group.get('type')!r}, expected EbakContentTest")


def check_content_test(c: Check) -> str | None:
    """ebak_v1_content_test.json: open the file, then read and restore its content (content spec)."""
    import tempfile
    from pathlib import Path

    key = c.need_hex("key")
    context = c.need_hex("context")
    if c.has("file") == c.has("fileZlib"):
        c.problem("exactly one of file and fileZlib must be given")
    data = c.hex("file") if c.has("file") else c.zlib_hex("fileZlib")
    data = data if data is not None else b""
    c.equal("fileLength", len(data))
    c.expect(c.has("fileZlib") == (len(data) > 4096), "files longer than 4096 bytes, and only they, use fileZlib")
    try:
        payload = open_payload(key, context, data)
    except (ebak.OpenError, cobblestone.CobblestoneError) as e:
        c.problem(f"the file does not open: {e}")
        return None
    c.equal("payloadLength", len(payload))
    c.equal("payloadSha256", hashlib.sha256(payload).hexdigest())

    error: content.ContentError | None = None
    parsed: content.Content | None = None
    body: bytes | None = None
    got: list[dict[str, Any]] | None = None
    try:
        parsed = content.parse_content(payload)
        if parsed.kind != "raw":
            body = content.decompress(parsed)
        if parsed.kind == "tar":
            assert body is not None
            with tempfile.TemporaryDirectory() as tmp:
                root = Path(tmp) / "target"
                root.mkdir()
                try:
                    content.restore_tree(body, root)
                    got = content.listing(root)
                finally:
                    for dirpath, _, _ in os.walk(root):
                        os.chmod(dirpath, 0o700)
    except content.ContentError as e:
        error = e
    check_verdict(c, error, None)
    cls = error.cls if error else None
    c.equal_if(cls is not None, "failureClass", cls, "for an accepted vector")
    kind = parsed.kind if parsed else None
    c.equal_if(kind is not None, "contentKind", kind, "when the content header does not decode")
    compression = parsed.compression if parsed else None
    c.equal_if(compression is not None, "compression", compression, "without a tar or stream content header")
    c.equal_if(body is not None, "bodyLength", len(body) if body is not None else None, "when the body does not decompress")
    c.equal_if(body is not None, "bodySha256", hashlib.sha256(body).hexdigest() if body is not None else None, "when the body does not decompress")
    if got is not None:
        compare_listing(c, got, c.need("entries"))
    else:
        c.absent("entries", "unless a tree restores")
    c.flag("RawPayload", kind == "raw", "a payload without the content header")
    c.flag("StreamKind", kind == "stream", "a stream")
    c.flag("NoCompression", compression == "none" and error is None and kind != "raw", "an accepted body stored uncompressed")
    return cls
