"""The checker's own tests: it must be able to fail.

Each mutation below breaks one thing in one real vector (a verdict, a
failure class, an intermediate value, a flag, a file byte) and requires the
checker to disagree with that vector, while the unmutated vector passes.
The end-to-end tests run check.py on a deliberately wrong vector file and
require exit status 1 and the tcId in its output. The streaming tests check
the reader itself on ciphertexts made here.

Run: python -m unittest discover -s vectors/check
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import tempfile
import unittest
from collections.abc import Callable
from pathlib import Path
from typing import Any

import check
import cobblestone
import content
import ebak

HERE = Path(__file__).resolve().parent
WYCHEPROOF = Path(os.environ.get("EBAK_WYCHEPROOF_DIR") or check.WORKSPACE.parent / "shared" / "wycheproof")


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


FILES = {
    "file": check.VECTORS / "ebak_v1_file_test.json",
    "keywrap": check.VECTORS / "ebak_v1_keywrap_test.json",
    "recovery": check.VECTORS / "ebak_v1_recovery_key_test.json",
    "content": check.VECTORS / "ebak_v1_content_test.json",
    "wycheproof": WYCHEPROOF / check.WYCHEPROOF_FILE,
    "vault-slot": check.VECTORS / "ebak_vault_v1_slot_test.json",
    "vault-wrap": check.VECTORS / "ebak_vault_v1_wrap_test.json",
}
_cache: dict[str, dict[str, Any]] = {}


def vector(which: str, tc_id: int) -> tuple[check.Kind, dict[str, Any]]:
    if which not in _cache:
        _cache[which] = load(FILES[which])
    data = _cache[which]
    for group in data["testGroups"]:
        for test in group["tests"]:
            if test["tcId"] == tc_id:
                return check.KINDS[data["algorithm"]], copy.deepcopy(test)
    raise KeyError(tc_id)


def flip_hex(value: str, at: int = -1) -> str:
    """Flip the low bit of the byte at `at` of a hex string."""
    raw = bytearray.fromhex(value)
    raw[at] ^= 0x01
    return raw.hex()


def set_field(name: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda t: t.__setitem__(name, value)


def flip_field(name: str, at: int = -1) -> Callable[[dict[str, Any]], None]:
    return lambda t: t.__setitem__(name, flip_hex(t[name], at))


def drop(*names: str) -> Callable[[dict[str, Any]], None]:
    def mutate(t: dict[str, Any]) -> None:
        for name in names:
            t.pop(name, None)

    return mutate


def drop_flag(flag: str) -> Callable[[dict[str, Any]], None]:
    return lambda t: t["flags"].remove(flag)


def add_flag(flag: str) -> Callable[[dict[str, Any]], None]:
    return lambda t: t["flags"].append(flag)


def both(*mutations: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def mutate(t: dict[str, Any]) -> None:
        for m in mutations:
            m(t)

    return mutate


# (file, tcId, what is broken, the mutation)
MUTATIONS: list[tuple[str, int, str, Callable[[dict[str, Any]], None]]] = [
    (
        "file",
        3,
        "a valid vector called invalid",
        both(set_field("result", "invalid"), set_field("failureStage", "Payload")),
    ),
    ("file", 24, "an acceptable vector called valid", set_field("result", "valid")),
    ("file", 40, "the wrong failure class", set_field("failureStage", "Commitment")),
    ("file", 96, "the wrong failure class (password)", set_field("failureStage", "HeaderMac")),
    ("file", 3, "headerMacKey", flip_field("headerMacKey")),
    ("file", 3, "payloadKey", flip_field("payloadKey", 0)),
    ("file", 3, "payloadBaseNonce", flip_field("payloadBaseNonce")),
    ("file", 3, "payloadCommitment", flip_field("payloadCommitment")),
    ("file", 3, "backupKey", flip_field("backupKey")),
    ("file", 3, "msgSha512", flip_field("msgSha512")),
    ("file", 3, "headerLength", set_field("headerLength", 44)),
    ("file", 3, "fileLength", set_field("fileLength", 174)),
    ("file", 3, "a file byte in the final chunk", flip_field("file")),
    ("file", 3, "a field the checker does not know", set_field("extraValue", "00")),
    ("file", 10, "msgSha512 of 257 chunks", flip_field("msgSha512", 0)),
    ("file", 19, "openedSlot", set_field("openedSlot", 1)),
    ("file", 21, "an NFD password without its flag", drop_flag("UnicodeNormalization")),
    ("file", 92, "a failure before the payload with a message", both(set_field("msgLength", 0))),
    ("file", 121, "the PartialPlaintext length", set_field("msgLength", 16385)),
    ("file", 121, "the PartialPlaintext hash", flip_field("msgSha512")),
    (
        "file",
        121,
        "a released prefix not declared",
        both(drop_flag("PartialPlaintext"), drop("msgLength", "msgSha512")),
    ),
    ("file", 120, "ValidFinalChunk missing", drop_flag("ValidFinalChunk")),
    ("file", 126, "ValidFinalChunk where the final chunk fails", add_flag("ValidFinalChunk")),
    ("file", 112, "the whole message given for an invalid vector", set_field("msgLength", 32768 + 1000)),
    ("keywrap", 1, "kek", flip_field("kek")),
    ("keywrap", 1, "wrapContext", flip_field("wrapContext", 22)),
    ("keywrap", 1, "wrapCommitment", flip_field("wrapCommitment")),
    ("keywrap", 1, "wrapKey", flip_field("wrapKey")),
    ("keywrap", 1, "memoryKib", set_field("memoryKib", 65535)),
    ("keywrap", 6, "passwordNfcUtf8", set_field("passwordNfcUtf8", "00")),
    ("keywrap", 10, "a slot below the floor called valid", set_field("result", "valid")),
    ("keywrap", 29, "KdfLimits called HeaderParse", set_field("failureStage", "HeaderParse")),
    ("keywrap", 44, "HeaderMac called NoSlotOpens", set_field("failureStage", "NoSlotOpens")),
    ("keywrap", 46, "an unknown slot type opened", set_field("result", "valid")),
    ("recovery", 1, "the key", flip_field("key")),
    ("recovery", 4, "the formatted key in upper case", set_field("formatted", "80D2" + "-0000" * 15)),
    (
        "recovery",
        22,
        "the error position",
        set_field("error", {"kind": "InvalidCharacter", "character": "x", "position": 3}),
    ),
    ("recovery", 16, "the error kind", set_field("error", {"kind": "TooLong", "extra": 1})),
    ("content", 1, "a file's content hash", lambda t: t["entries"][1].__setitem__("sha256", "00" * 32)),
    ("content", 1, "a directory's mode", lambda t: t["entries"][0].__setitem__("mode", 0o700)),
    ("content", 1, "a file's time", lambda t: t["entries"][4].__setitem__("mtime", 1_700_000_005)),
    ("content", 1, "an entry missing from the listing", lambda t: t["entries"].pop(3)),
    ("content", 1, "a symlink's target", lambda t: t["entries"][5].__setitem__("target", "hello")),
    ("content", 1, "a valid tree called invalid", both(set_field("result", "invalid"), set_field("failureClass", "Refused"), drop("entries"))),
    ("content", 1, "a file byte", flip_field("file", 100)),
    ("content", 3, "a long name", lambda t: t["entries"][1].__setitem__("path", t["entries"][1]["path"][:-1])),
    ("content", 6, "an absolute symlink target", lambda t: t["entries"][1].__setitem__("target", "/etc/shadow")),
    ("content", 9, "a stream's hash", flip_field("bodySha256")),
    ("content", 13, "raw data called a stream", set_field("contentKind", "stream")),
    ("content", 19, "a PAX-named file's time", lambda t: t["entries"][1].__setitem__("mtime", 1)),
    ("content", 26, "a hard link to the wrong file", lambda t: t["entries"][2].__setitem__("linkedTo", "hl")),
    ("content", 32, "Unsupported called Malformed", set_field("failureClass", "Malformed")),
    ("content", 57, "Malformed called Refused", set_field("failureClass", "Refused")),
    ("content", 62, "Refused called Malformed", set_field("failureClass", "Malformed")),
    ("content", 81, "a write through a symlink called valid", both(set_field("result", "valid"), drop("failureClass"))),
    ("vault-slot", 1, "the account", flip_field("account")),
    ("vault-slot", 1, "the key id", flip_field("keyId", 0)),
    ("vault-slot", 1, "the URL", set_field("url", "https://vault.example.org/ebaK")),
    ("vault-slot", 1, "m", set_field("m", 65537)),
    ("vault-slot", 1, "a body byte in the URL", flip_field("body")),
    ("vault-slot", 10, "OverCeilings missing", drop_flag("OverCeilings")),
    ("vault-slot", 1, "OverCeilings where the costs are within", add_flag("OverCeilings")),
    ("vault-slot", 2, "a valid body called invalid", both(set_field("result", "invalid"), set_field("error", "Truncated"))),
    ("vault-slot", 16, "the wrong rule", set_field("error", "Truncated")),
    ("vault-slot", 30, "a length error called a URL byte error", set_field("error", "Truncated")),
    ("vault-slot", 46, "the precedence of trailing data over costs", set_field("error", "InvalidKsf")),
    ("vault-wrap", 1, "the wrapping key", flip_field("wrappingKey")),
    ("vault-wrap", 1, "the wrap context", flip_field("wrapContext")),
    ("vault-wrap", 1, "the backup key", flip_field("backupKey")),
    ("vault-wrap", 1, "the version", set_field("version", 2)),
    ("vault-wrap", 5, "version 2^64 - 1 read as a float", set_field("version", 18446744073709551614)),
    ("vault-wrap", 7, "WrongKeyOrContext called Tampered", set_field("error", "Tampered")),
    ("vault-wrap", 20, "Tampered called WrongKeyOrContext", set_field("error", "WrongKeyOrContext")),
    ("wycheproof", 3, "aeadKey", flip_field("aeadKey")),
    ("wycheproof", 12, "the PartialPlaintext length", set_field("msgLength", 16383)),
    ("wycheproof", 15, "ValidFinalChunk missing", drop_flag("ValidFinalChunk")),
    ("wycheproof", 21, "HeaderFailure missing", drop_flag("HeaderFailure")),
]


class MutatedVectors(unittest.TestCase):
    def test_every_mutation_is_caught(self) -> None:
        for which, tc_id, what, mutate in MUTATIONS:
            with self.subTest(file=which, tcId=tc_id, broken=what):
                if which == "wycheproof" and not FILES[which].is_file():
                    self.skipTest(f"no {FILES[which]}")
                kind, test = vector(which, tc_id)
                _, problems = check.check_test(kind, test)
                self.assertEqual(problems, [], "the unmutated vector must pass")
                mutate(test)
                _, problems = check.check_test(kind, test)
                self.assertNotEqual(problems, [], f"tcId {tc_id} with {what} was not caught")


class WrongVectorFile(unittest.TestCase):
    """check.py itself must exit non-zero on a wrong file, naming the tcId."""

    def run_check(self, data: dict[str, Any], name: str) -> subprocess.CompletedProcess[str]:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            path.write_text(json.dumps(data), encoding="utf-8")
            return subprocess.run(
                [sys.executable, str(HERE / "check.py"), "--no-wycheproof", str(path)],
                capture_output=True,
                text=True,
                check=False,
            )

    def test_unchanged_file_passes(self) -> None:
        result = self.run_check(load(FILES["recovery"]), "ebak_v1_recovery_key_test.json")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("44 passed, 0 failed", result.stdout)

    def test_a_wrong_vector_fails_the_run(self) -> None:
        data = load(FILES["recovery"])
        data["testGroups"][0]["tests"][26]["error"]["position"] = 79  # tcId 27
        result = self.run_check(data, "ebak_v1_recovery_key_test.json")
        self.assertEqual(result.returncode, 1)
        self.assertIn("tcId 27:", result.stderr)
        self.assertIn("43 passed, 1 failed", result.stdout)

    def test_a_wrong_shape_fails_the_run(self) -> None:
        data = load(FILES["recovery"])
        data["numberOfTests"] += 1
        result = self.run_check(data, "ebak_v1_recovery_key_test.json")
        self.assertEqual(result.returncode, 1)
        self.assertIn("numberOfTests", result.stderr)

    def test_an_undefined_flag_fails_the_run(self) -> None:
        data = load(FILES["recovery"])
        data["testGroups"][0]["tests"][0]["flags"].append("NoSuchFlag")
        result = self.run_check(data, "ebak_v1_recovery_key_test.json")
        self.assertEqual(result.returncode, 1)
        self.assertIn("NoSuchFlag", result.stderr)


def seal(key: bytes, context: bytes, salt: bytes, message: bytes) -> bytes:
    """A Cobblestone-256 ciphertext, for the streaming tests."""
    derived = cobblestone.derive(key, salt, context)
    out = salt + derived.commitment
    size = cobblestone.CHUNK_PLAINTEXT_BYTES
    chunks = [message[i : i + size] for i in range(0, len(message) - len(message) % size, size)]
    chunks.append(message[len(chunks) * size :])
    for index, chunk in enumerate(chunks):
        out += cobblestone.seal_chunk(derived, index, chunk)
    return out


class StreamingReader(unittest.TestCase):
    KEY = bytes(range(32))
    SALT = bytes(range(100, 124))
    MESSAGE = bytes(i % 251 for i in range(3 * 16384 + 5))

    def open(self, ciphertext: bytes, piece: int) -> tuple[list[bytes], cobblestone.CobblestoneError | None]:
        released: list[bytes] = []
        opener = cobblestone.StreamOpener(self.KEY, b"ctx", released.append)
        try:
            for i in range(0, len(ciphertext), piece):
                opener.feed(ciphertext[i : i + piece])
            opener.finish()
        except cobblestone.CobblestoneError as e:
            with self.assertRaises(cobblestone.CobblestoneError) as again:
                opener.finish()
            self.assertIs(again.exception, e, "a reader that failed must keep failing with the same error")
            return released, e
        return released, None

    def test_round_trip_in_any_piece_size(self) -> None:
        ct = seal(self.KEY, b"ctx", self.SALT, self.MESSAGE)
        for piece in (7, 55, 56, 16400, 16401, len(ct)):
            released, error = self.open(ct, piece)
            self.assertIsNone(error)
            self.assertEqual(b"".join(released), self.MESSAGE)

    def test_truncated_inside_the_first_chunk(self) -> None:
        ct = seal(self.KEY, b"ctx", self.SALT, self.MESSAGE)
        released, error = self.open(ct[:200], 1)
        self.assertEqual((released, error.kind if error else None), ([], "Chunk"))

    def test_a_bad_chunk_releases_exactly_the_chunks_before_it(self) -> None:
        ct = bytearray(seal(self.KEY, b"ctx", self.SALT, self.MESSAGE))
        ct[56 + 2 * 16400 + 7] ^= 1  # chunk 2
        for piece in (1000, len(ct)):
            released, error = self.open(bytes(ct), piece)
            self.assertEqual(error.kind if error else None, "Chunk")
            self.assertEqual(b"".join(released), self.MESSAGE[: 2 * 16384])

    def test_a_full_size_last_chunk_is_a_truncation(self) -> None:
        ct = seal(self.KEY, b"ctx", self.SALT, self.MESSAGE[:16384])
        released, error = self.open(ct[:-16], 4096)  # drop the empty final chunk
        self.assertEqual(error.kind if error else None, "Chunk")
        self.assertEqual(b"".join(released), self.MESSAGE[:16384])

    def test_wrong_context_fails_before_any_chunk(self) -> None:
        ct = seal(self.KEY, b"other", self.SALT, self.MESSAGE)
        released, error = self.open(ct, 16400)
        self.assertEqual((released, error.kind if error else None), ([], "Commitment"))

    def test_counter_limit(self) -> None:
        derived = cobblestone.derive(self.KEY, self.SALT, b"")
        with self.assertRaises(cobblestone.CobblestoneError):
            cobblestone.open_chunk(derived, cobblestone.MAX_CHUNKS, bytes(16))


class Parsing(unittest.TestCase):
    def test_body_len_is_checked_before_the_body_is_read(self) -> None:
        # An unknown slot claiming 65535 bytes fails at once, without waiting for them.
        start = ebak.MAGIC + bytes([1, 1, 0x02, 0xFF, 0xFF])
        with self.assertRaises(ebak.OpenError) as e:
            ebak.parse_header(start, complete=False)
        self.assertEqual(e.exception.stage, ebak.HEADER_PARSE)

    def test_a_short_file_that_is_not_ebak_is_reported_as_such(self) -> None:
        with self.assertRaises(ebak.OpenError) as e:
            ebak.parse_header(b"PK\x03", complete=True)
        self.assertIn("magic", e.exception.reason)

    def test_an_incomplete_header_waits_for_more(self) -> None:
        self.assertIsNone(ebak.parse_header(ebak.MAGIC + bytes([1, 0]), complete=False))

    def test_usage_errors_come_before_the_file(self) -> None:
        # Spec 5 and 4.3: a context over 1024 bytes, a password with no UTF-8.
        with self.assertRaises(ebak.UsageError):
            ebak.FileOpener(ebak.Key(bytes(32)), bytes(1025), lambda _: None)
        with self.assertRaises(ebak.UsageError):
            ebak.FileOpener(ebak.Password("unpaired \ud800"), b"", lambda _: None)
        ebak.FileOpener(ebak.Key(bytes(32)), bytes(1024), lambda _: None)

    def test_kdf_work_budget(self) -> None:
        slot = ebak.PasswordSlot(bytes(16), 1 << 20, 16, 1, bytes(104), bytes(28))
        ebak.check_kdf_limits([slot])  # exactly 2^24: within the budget
        with self.assertRaises(ebak.OpenError) as e:
            ebak.check_kdf_limits([slot, ebak.PasswordSlot(bytes(16), 8, 1, 1, bytes(104), bytes(28))])
        self.assertEqual(e.exception.stage, ebak.KDF_LIMITS)


def tar_header(name: bytes, typeflag: bytes, size: int = 0, link: bytes = b"") -> bytes:
    """A GNU header block (content spec 6.4), for the restorer's tests."""
    b = bytearray(512)
    b[: len(name)] = name
    b[100:108] = b"0000644\x00"
    b[108:116] = b"0001750\x00"
    b[116:124] = b"0001750\x00"
    b[124:136] = b"%011o\x00" % size
    b[136:148] = b"%011o\x00" % 1_700_000_000
    b[156:157] = typeflag
    b[157 : 157 + len(link)] = link
    b[257:265] = b"ustar  \x00"
    b[148:156] = b" " * 8
    b[148:156] = b"%07o\x00" % sum(b)
    return bytes(b)


def tar(*members: tuple[bytes, bytes, bytes, bytes]) -> bytes:
    out = b""
    for name, typeflag, data, link in members:
        out += tar_header(name, typeflag, len(data), link) + data + bytes(-len(data) % 512)
    return out + bytes(1024)


class ContentReader(unittest.TestCase):
    """content.py itself, on archives made here."""

    def restore(self, body: bytes) -> tuple[Path, content.ContentError | None]:
        tmp = Path(tempfile.mkdtemp())
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", str(tmp)], check=False))
        root = tmp / "target"
        root.mkdir()
        try:
            content.restore_tree(body, root)
        except content.ContentError as e:
            return tmp, e
        return tmp, None

    def test_a_plain_archive_restores(self) -> None:
        tmp, error = self.restore(tar((b"d", b"5", b"", b""), (b"d/f", b"0", b"hello", b""), (b"d/s", b"2", b"", b"../../x")))
        self.assertIsNone(error)
        self.assertEqual((tmp / "target/d/f").read_bytes(), b"hello")
        self.assertEqual(os.readlink(tmp / "target/d/s"), "../../x")

    def test_nothing_is_written_through_a_symlink_or_outside(self) -> None:
        for members, why in [
            (((b"out", b"2", b"", b".."), (b"out/escaped", b"0", b"x", b"")), "through a symlink"),
            (((b"../escaped", b"0", b"x", b""),), "with .."),
            (((b"/tmp/ebak-check-escaped", b"0", b"x", b""),), "absolute"),
            (((b"h", b"1", b"", b"../escaped"),), "a hard link out"),
        ]:
            with self.subTest(why):
                tmp, error = self.restore(tar(*members))
                self.assertEqual(error.cls if error else None, content.REFUSED)
                self.assertFalse((tmp / "escaped").exists())
        self.assertFalse(Path("/tmp/ebak-check-escaped").exists())

    def test_structure_faults_are_malformed(self) -> None:
        good = tar((b"f", b"0", b"data", b""))
        for body, why in [
            (good[:-1024], "no end marker"),
            (good + b"x", "bytes after the end"),
            (good[:600], "cut inside the data"),
            (good[:1] + bytes([good[1] ^ 1]) + good[2:], "a bad checksum"),
            (tar((b"././@LongLink", b"L", b"a\x00", b"")), "a long name record with no entry"),
        ]:
            with self.subTest(why):
                _, error = self.restore(body)
                self.assertEqual(error.cls if error else None, content.MALFORMED)

    def test_content_header_and_zstd_framing(self) -> None:
        self.assertEqual(content.parse_content(b"ebakcli").kind, "raw")
        with self.assertRaises(content.ContentError) as e:
            content.parse_content(b"ebakcli1\x05\x00")
        self.assertEqual(e.exception.cls, content.UNSUPPORTED)
        frame = bytes.fromhex("28b52ffd") + bytes([0x00, 0x50]) + (1 | (3 << 3)).to_bytes(3, "little") + b"abc"
        self.assertEqual(content.zstd_decompress(frame + frame), b"abcabc")
        for body in (b"", frame + b"\x00", frame[:-1]):
            with self.assertRaises(content.ContentError) as e:
                content.zstd_decompress(body)
            self.assertEqual(e.exception.cls, content.MALFORMED)

    def test_numbers(self) -> None:
        self.assertEqual(content.number(b"0000644\x00", "mode"), 0o644)
        self.assertEqual(content.number(b"  100644", "mode"), 0o100644)
        self.assertEqual(content.number(b"\x80" + bytes(10) + b"\x05", "size"), 5)
        self.assertLess(content.number(b"\xff" * 12, "size"), 0)
        for bad in (b"\x00" * 8, b"0000x44\x00", b"        "):
            with self.assertRaises(content.ContentError):
                content.number(bad, "mode")


if __name__ == "__main__":
    unittest.main()
