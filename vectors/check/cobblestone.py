"""Cobblestone-256: c2sp.org/chunked-encryption with SHA-512 and AES-256-GCM.

Written from the Cobblestone specification (shared/c2sp/chunked-encryption.md)
alone, for the ebak v1 vector checker. The primitives come from the
`cryptography` package: HMAC-SHA-512 for HKDF-Expand, AES-256-GCM for the
chunks.

Two readers are here: `StreamOpener`, which takes the ciphertext in pieces of
any size and releases each chunk's plaintext only after its tag verifies
(the procedure of the Cobblestone implementation notes and ebak spec 6.1),
and `open_final_chunk`, the random-access check of the message length.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import constant_time, hashes, hmac
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

AEAD_NAME = b"AEAD_AES_256_GCM"
INFO_PREFIX = b"c2sp.org/chunked-encryption@v1+" + AEAD_NAME + b"\x00"
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
SALT_BYTES = 24
COMMITMENT_BYTES = 32
PREFIX_BYTES = SALT_BYTES + COMMITMENT_BYTES  # 56: salt || commitment
CHUNK_PLAINTEXT_BYTES = 16 * 1024
CHUNK_CIPHERTEXT_BYTES = CHUNK_PLAINTEXT_BYTES + TAG_BYTES  # 16 400
# "If the chunk counter reaches or exceeds 2^38 while encrypting or
# decrypting, implementations MUST abort."
MAX_CHUNKS = 1 << 38
SHA512_BYTES = 64


class CobblestoneError(Exception):
    """A ciphertext that does not open.

    `kind` is where it failed: "KeySize" (the input key is not 32 bytes),
    "Truncated" (shorter than salt and commitment), "Commitment", or "Chunk"
    (a chunk that does not verify, a final chunk shorter than a tag, or a
    chunk counter at 2^38). The first three happen before any chunk is
    decrypted ("HeaderFailure" in the Wycheproof vectors).
    """

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(f"{kind}: {reason}")
        self.kind = kind
        self.reason = reason

    @property
    def before_any_chunk(self) -> bool:
        return self.kind != "Chunk"


def hmac_sha512(key: bytes, data: bytes) -> bytes:
    h = hmac.HMAC(key, hashes.SHA512())
    h.update(data)
    return h.finalize()


def hkdf_expand_sha512(prk: bytes, info: bytes, length: int) -> bytes:
    """HKDF-Expand of RFC 5869 section 2.3 with SHA-512.

    Written out rather than taken from a library: the PRK here is 32 bytes,
    which RFC 5869 allows but some libraries refuse.
    """
    if not 0 <= length <= 255 * SHA512_BYTES:
        raise ValueError("HKDF-Expand output too long")
    okm = b""
    t = b""
    counter = 1
    while len(okm) < length:
        t = hmac_sha512(prk, t + info + bytes([counter]))
        okm += t
        counter += 1
    return okm[:length]


@dataclass(frozen=True)
class Derived:
    """The per-message values HKDF-Expand derives from the input key."""

    key: bytes
    base_nonce: bytes
    commitment: bytes


def derive(input_key: bytes, salt: bytes, context: bytes) -> Derived:
    """key || base nonce || commitment = HKDF-Expand(input key, info)."""
    if len(input_key) != KEY_BYTES:
        # "derived from an input key of len(key) bytes (i.e. the same key
        # size as the underlying AEAD)"
        raise CobblestoneError("KeySize", f"input key of {len(input_key)} bytes, not {KEY_BYTES}")
    if len(salt) != SALT_BYTES:
        raise ValueError("salt must be 24 bytes")
    okm = hkdf_expand_sha512(input_key, INFO_PREFIX + salt + context, KEY_BYTES + NONCE_BYTES + COMMITMENT_BYTES)
    return Derived(
        key=okm[:KEY_BYTES],
        base_nonce=okm[KEY_BYTES : KEY_BYTES + NONCE_BYTES],
        commitment=okm[KEY_BYTES + NONCE_BYTES :],
    )


def chunk_nonce(base_nonce: bytes, index: int) -> bytes:
    """The base nonce XOR'd with the chunk number, big-endian, as wide as the nonce."""
    if not 0 <= index < MAX_CHUNKS:
        raise CobblestoneError("Chunk", f"chunk counter {index} reached 2^38")
    return (int.from_bytes(base_nonce, "big") ^ index).to_bytes(NONCE_BYTES, "big")


def open_chunk(derived: Derived, index: int, sealed: bytes) -> bytes:
    """Decrypt one chunk (ciphertext || tag) at `index`, with empty AAD."""
    nonce = chunk_nonce(derived.base_nonce, index)
    if len(sealed) < TAG_BYTES:
        raise CobblestoneError("Chunk", f"chunk {index} of {len(sealed)} bytes is shorter than a tag")
    try:
        # AESGCM.decrypt checks the tag before it returns any plaintext.
        return AESGCM(derived.key).decrypt(nonce, sealed, None)
    except InvalidTag:
        raise CobblestoneError("Chunk", f"chunk {index} does not verify") from None


def seal_chunk(derived: Derived, index: int, plaintext: bytes) -> bytes:
    """Encrypt one chunk; the checker uses it only to test the keystream claim."""
    return AESGCM(derived.key).encrypt(chunk_nonce(derived.base_nonce, index), plaintext, None)


def check_commitment(input_key: bytes, context: bytes, prefix: bytes) -> Derived:
    """Derive from salt = prefix[0..24] and compare prefix[24..56] in constant time."""
    derived = derive(input_key, prefix[:SALT_BYTES], context)
    if not constant_time.bytes_eq(derived.commitment, prefix[SALT_BYTES:PREFIX_BYTES]):
        raise CobblestoneError("Commitment", "the commitment does not match")
    return derived


class StreamOpener:
    """Opens a ciphertext that arrives in pieces of any size.

    After the 56-byte salt and commitment (the commitment is checked as soon
    as they are in), every full piece of 16 400 bytes is opened as the next
    chunk the moment it is complete: a full piece is never the final chunk,
    because the final chunk is always shorter than 16 KiB. At the end of the
    input the remaining 0 to 16 399 bytes are the final chunk. Each chunk's
    plaintext goes to `release` the moment its tag verifies, in order (so a
    call that fails has already released the chunks before the failure);
    once a call has failed, every later call fails with the same error.
    """

    def __init__(self, input_key: bytes, context: bytes, release: Callable[[bytes], None]) -> None:
        self._release = release
        self._input_key = input_key
        self._context = context
        self._buf = bytearray()
        self._derived: Derived | None = None
        self._index = 0
        self._error: CobblestoneError | None = None
        self._finished = False

    @property
    def derived(self) -> Derived | None:
        """The derived key, base nonce and commitment, once the commitment verified."""
        return self._derived

    @property
    def chunks_opened(self) -> int:
        return self._index

    def _check_key_size(self) -> None:
        if len(self._input_key) != KEY_BYTES:
            raise CobblestoneError("KeySize", f"input key of {len(self._input_key)} bytes, not {KEY_BYTES}")

    def _guard(self, step: Callable[[], None]) -> None:
        if self._error is not None:
            raise self._error
        if self._finished:
            raise RuntimeError("the stream was already finished")
        try:
            return step()
        except CobblestoneError as e:
            self._error = e
            raise

    def feed(self, data: bytes) -> None:
        self._guard(lambda: self._feed(data))

    def _feed(self, data: bytes) -> None:
        self._check_key_size()
        self._buf += data
        if self._derived is None:
            if len(self._buf) < PREFIX_BYTES:
                return
            # "When decrypting, implementations MUST check the commitment
            # matches the derived value before continuing."
            self._derived = check_commitment(self._input_key, self._context, bytes(self._buf[:PREFIX_BYTES]))
            del self._buf[:PREFIX_BYTES]
        while len(self._buf) >= CHUNK_CIPHERTEXT_BYTES:
            piece = bytes(self._buf[:CHUNK_CIPHERTEXT_BYTES])
            plaintext = open_chunk(self._derived, self._index, piece)
            del self._buf[:CHUNK_CIPHERTEXT_BYTES]
            self._index += 1
            self._release(plaintext)

    def finish(self) -> None:
        self._guard(self._finish)
        self._finished = True

    def _finish(self) -> None:
        self._check_key_size()
        if self._derived is None:
            raise CobblestoneError("Truncated", f"{len(self._buf)} bytes, shorter than salt and commitment")
        # The remainder (0 to 16 399 bytes) is the final chunk; fewer than a
        # tag's 16 bytes is a truncation (an empty remainder: the final chunk
        # is missing, as after a full-size last chunk).
        final = bytes(self._buf)
        self._buf.clear()
        plaintext = open_chunk(self._derived, self._index, final)
        self._index += 1
        self._release(plaintext)


def open_final_chunk(input_key: bytes, context: bytes, ciphertext: bytes) -> bytes:
    """Random access: authenticate the message length by opening the final chunk.

    With n = len - 56, the final chunk has index n // 16400 and encrypted
    length n % 16400, which must be at least a tag. The commitment is checked
    first.
    """
    if len(input_key) != KEY_BYTES:
        raise CobblestoneError("KeySize", f"input key of {len(input_key)} bytes, not {KEY_BYTES}")
    if len(ciphertext) < PREFIX_BYTES:
        raise CobblestoneError("Truncated", "shorter than salt and commitment")
    derived = check_commitment(input_key, context, ciphertext[:PREFIX_BYTES])
    n = len(ciphertext) - PREFIX_BYTES
    index, length = divmod(n, CHUNK_CIPHERTEXT_BYTES)
    if length < TAG_BYTES:
        raise CobblestoneError("Chunk", f"the final chunk would be {length} bytes, shorter than a tag")
    offset = PREFIX_BYTES + index * CHUNK_CIPHERTEXT_BYTES
    return open_chunk(derived, index, ciphertext[offset:])
