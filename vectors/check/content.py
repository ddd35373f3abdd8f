"""The ebak content format, written from spec/ebak-content-v1.md alone.

What the ebak tool puts inside a payload: the content header (spec 3),
zstd framing (4.2, with libzstd through `zstandard` for the frames
themselves), the tar archive read block by block (6), and a restorer that
writes a tree under a directory following section 7. Python's `tarfile`
is not used: it applies PAX global headers and extracts unknown types as
files, which the spec forbids, so the headers are read here.

Every failure is a `ContentError` whose `cls` is a class of spec 8.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import zstandard

MAGIC = b"ebakcli1"
HEADER_BYTES = 10
KINDS = {0x01: "tar", 0x02: "stream"}
COMPRESSIONS = {0x00: "none", 0x01: "zstd"}

UNSUPPORTED = "Unsupported"
MALFORMED = "Malformed"
REFUSED = "Refused"

# Spec 4.2 and 9.
ZSTD_MAGIC = bytes.fromhex("28b52ffd")
MAX_WINDOW_BYTES = 1 << 27
# Spec 6.
BLOCK = 512
MAX_RECORD_BYTES = 1 << 20
MAX_SIZE = 1 << 63
GNU_MAGIC = b"ustar  \x00"
USTAR_MAGIC = b"ustar\x0000"


class ContentError(Exception):
    """Content a reader refuses: `cls` is Unsupported, Malformed or Refused (spec 8)."""

    def __init__(self, cls: str, reason: str) -> None:
        super().__init__(f"{cls}: {reason}")
        self.cls = cls
        self.reason = reason


# Spec 3.4: the content header.


@dataclass(frozen=True)
class Content:
    kind: str  # "tar", "stream" or "raw"
    compression: str | None
    body: bytes  # the stored body (compressed); the payload itself when raw


def parse_content(payload: bytes) -> Content:
    if not payload.startswith(MAGIC):
        return Content("raw", None, payload)  # rule 1
    if len(payload) < HEADER_BYTES:
        raise ContentError(MALFORMED, "the content header is cut short")  # rule 2
    kind, compression = payload[8], payload[9]
    if kind not in KINDS:
        raise ContentError(UNSUPPORTED, f"unknown kind 0x{kind:02x}")  # rule 3
    if compression not in COMPRESSIONS:
        raise ContentError(UNSUPPORTED, f"unknown compression 0x{compression:02x}")
    return Content(KINDS[kind], COMPRESSIONS[compression], payload[HEADER_BYTES:])


# Spec 4: decompression.


def frame_window(data: bytes) -> int:
    """RFC 8878 3.1.1.1: the frame's Window_Size, and the header checks of spec 4.2."""
    if len(data) < 5:
        raise ContentError(MALFORMED, "a zstd frame header cut short")
    fhd = data[4]
    fcs_flag, single, reserved, dict_flag = fhd >> 6, (fhd >> 5) & 1, (fhd >> 3) & 1, fhd & 3
    if reserved:
        raise ContentError(MALFORMED, "the reserved bit of a zstd frame header is set")
    pos = 5
    window = None
    if not single:
        if len(data) < pos + 1:
            raise ContentError(MALFORMED, "a zstd frame header cut short")
        wd = data[pos]
        exponent, mantissa = wd >> 3, wd & 7
        base = 1 << (10 + exponent)
        window = base + (base // 8) * mantissa
        pos += 1
    dict_bytes = (0, 1, 2, 4)[dict_flag]
    if len(data) < pos + dict_bytes:
        raise ContentError(MALFORMED, "a zstd frame header cut short")
    if int.from_bytes(data[pos : pos + dict_bytes], "little") != 0:
        raise ContentError(MALFORMED, "a zstd frame that needs a dictionary")
    pos += dict_bytes
    fcs_bytes = (1 if single else 0, 2, 4, 8)[fcs_flag]
    if len(data) < pos + fcs_bytes:
        raise ContentError(MALFORMED, "a zstd frame header cut short")
    fcs = int.from_bytes(data[pos : pos + fcs_bytes], "little") + (256 if fcs_bytes == 2 else 0)
    if window is None:
        window = fcs  # Single_Segment: the window is the content size
    return window


def zstd_decompress(body: bytes) -> bytes:
    """Spec 4.2: one or more frames and skippable frames, and nothing else."""
    out: list[bytes] = []
    frames = 0
    rest = body
    if not rest:
        raise ContentError(MALFORMED, "no zstd frame")
    while rest:
        if len(rest) < 4:
            raise ContentError(MALFORMED, "bytes after the last zstd frame")
        if rest[0] & 0xF0 == 0x50 and rest[1:4] == b"\x2a\x4d\x18":  # RFC 8878 3.1.2
            if len(rest) < 8:
                raise ContentError(MALFORMED, "a skippable frame cut short")
            size = int.from_bytes(rest[4:8], "little")
            if len(rest) < 8 + size:
                raise ContentError(MALFORMED, "a skippable frame cut short")
            rest = rest[8 + size :]
            continue
        if rest[:4] != ZSTD_MAGIC:
            raise ContentError(MALFORMED, "bytes after the last zstd frame that are not a frame")
        if frame_window(rest) > MAX_WINDOW_BYTES:
            raise ContentError(MALFORMED, "a zstd window over 128 MiB")  # before decoding anything
        decoder = zstandard.ZstdDecompressor(max_window_size=MAX_WINDOW_BYTES).decompressobj()
        try:
            out.append(decoder.decompress(rest))
        except zstandard.ZstdError as e:
            raise ContentError(MALFORMED, f"zstd: {e}") from None
        if not decoder.eof:
            raise ContentError(MALFORMED, "a zstd frame cut short")
        frames += 1
        rest = decoder.unused_data
    if frames == 0:
        raise ContentError(MALFORMED, "no zstd frame, only skippable frames")
    return b"".join(out)


def decompress(content: Content) -> bytes:
    if content.compression == "none":
        return content.body
    return zstd_decompress(content.body)


# Spec 6: the tar archive.


def number(field: bytes, what: str) -> int:
    """Spec 6.3: octal digits (spaces around, NUL-terminated) or base-256."""
    if field[:1] == b"\x80":
        return int.from_bytes(field[1:], "big")
    if field[:1] == b"\xff":
        return int.from_bytes(field, "big", signed=True)
    text = field.split(b"\x00", 1)[0].strip(b" ")
    if not text or any(c not in b"01234567" for c in text):
        raise ContentError(MALFORMED, f"the {what} field is not a number: {field!r}")
    return int(text, 8)


def text_field(field: bytes) -> bytes:
    return field.split(b"\x00", 1)[0]


def parse_pax(data: bytes) -> dict[str, bytes]:
    """Spec 6.8: records `LEN KEY=VALUE\\n`, LEN counting the whole record."""
    records: dict[str, bytes] = {}
    pos = 0
    while pos < len(data):
        space = data.find(b" ", pos)
        digits = data[pos:space] if space > pos else b""
        if not digits or not digits.isdigit():
            raise ContentError(MALFORMED, "a PAX record without its length")
        length = int(digits)
        record = data[pos : pos + length]
        if length <= len(digits) + 1 or len(record) != length or not record.endswith(b"\n"):
            raise ContentError(MALFORMED, "a PAX record whose length is wrong")
        key, eq, value = record[len(digits) + 1 : -1].partition(b"=")
        if not eq or not key:
            raise ContentError(MALFORMED, "a PAX record without a keyword")
        name = key.decode("utf-8", "surrogateescape")
        if name in records:
            raise ContentError(MALFORMED, f"the PAX keyword {name} twice in one header")
        records[name] = value
        pos += length
    return records


@dataclass
class Entry:
    name: bytes
    typeflag: int
    mode: int
    mtime: int
    data: bytes
    link: bytes
    pax: dict[str, bytes] = field(default_factory=dict)


def read_tar(body: bytes) -> Iterator[Entry]:
    """Spec 6.1 to 6.9: the entries, in order; a structural fault raises Malformed where it is."""
    pos = 0
    long_name: bytes | None = None
    long_link: bytes | None = None
    pax: dict[str, bytes] | None = None
    while True:
        if pos == len(body):
            raise ContentError(MALFORMED, "the archive ends without its end-of-archive marker")
        if pos + BLOCK > len(body):
            raise ContentError(MALFORMED, "the archive ends inside a header")
        block = body[pos : pos + BLOCK]
        if not any(block):  # spec 6.7
            if long_name is not None or long_link is not None or pax is not None:
                raise ContentError(MALFORMED, "an extension record that no entry follows")
            if any(body[pos + BLOCK :]):
                raise ContentError(MALFORMED, "bytes other than zeros after the end of the archive")
            return
        checksum = sum(block[:148]) + 8 * 0x20 + sum(block[156:])
        if number(block[148:156], "chksum") != checksum:
            raise ContentError(MALFORMED, "a header checksum does not match")
        magic = block[257:265]
        if magic not in (GNU_MAGIC, USTAR_MAGIC):
            raise ContentError(MALFORMED, "a header that is neither GNU nor ustar")
        typeflag = block[156]
        size = number(block[124:136], "size")
        if not 0 <= size < MAX_SIZE:
            raise ContentError(MALFORMED, f"an entry size out of range: {size}")
        start = pos + BLOCK
        if typeflag in b"LKxg":
            if size > MAX_RECORD_BYTES:
                raise ContentError(MALFORMED, "an extension record over 1 MiB")
            data = body[start : start + size]
            if len(data) != size:
                raise ContentError(MALFORMED, "the archive ends inside an extension record")
            pos = start + -(-size // BLOCK) * BLOCK
            if typeflag in b"LK":
                value = data[:-1] if data.endswith(b"\x00") else data
                if typeflag == ord("L"):
                    if long_name is not None:
                        raise ContentError(MALFORMED, "two long name records before one entry")
                    long_name = value
                else:
                    if long_link is not None:
                        raise ContentError(MALFORMED, "two long link records before one entry")
                    long_link = value
            elif typeflag == ord("x"):
                if pax is not None:
                    raise ContentError(MALFORMED, "two PAX headers before one entry")
                pax = parse_pax(data)
            else:
                if long_name is not None or long_link is not None or pax is not None:
                    # spec 6.8: readers disagree on what these apply to.
                    raise ContentError(MALFORMED, "an extension record before a global header, not an entry")
                parse_pax(data)  # a global header: checked, then ignored
            continue
        records = pax or {}
        if "size" in records:
            size_text = records["size"]
            if not size_text.isdigit():
                raise ContentError(MALFORMED, "a PAX size that is not a number")
            size = int(size_text)
            if size >= MAX_SIZE:
                raise ContentError(MALFORMED, "a PAX size out of range")
        if long_name is not None and "path" in records:
            raise ContentError(MALFORMED, "both a long name record and a PAX path")
        if long_link is not None and "linkpath" in records:
            raise ContentError(MALFORMED, "both a long link record and a PAX linkpath")
        if long_name is not None:
            name = long_name
        elif "path" in records:
            name = records["path"]
        elif magic == USTAR_MAGIC and text_field(block[345:500]):
            name = text_field(block[345:500]) + b"/" + text_field(block[0:100])
        else:
            name = text_field(block[0:100])
        if long_link is not None:
            link = long_link
        else:
            link = records.get("linkpath", text_field(block[157:257]))
        mtime = number(block[136:148], "mtime")
        if "mtime" in records:
            mtime = int(records["mtime"].split(b".", 1)[0])
        data = body[start : start + size]
        if len(data) != size:
            raise ContentError(MALFORMED, "the archive ends inside an entry's data")
        pos = start + -(-size // BLOCK) * BLOCK
        mode = number(block[100:108], "mode")
        number(block[108:116], "uid")  # spec 6.3: read (for 6.10), so it must be a number
        number(block[116:124], "gid")
        yield Entry(name=name, typeflag=typeflag, mode=mode, mtime=mtime, data=data, link=link, pax=records)
        long_name = long_link = pax = None


# Spec 7: restoring a tree.


def path_of(name: bytes) -> str:
    """Spec 7.1: a relative path of plain components, or Refused."""
    if name.startswith(b"/"):
        raise ContentError(REFUSED, f"an absolute name {name!r}")
    parts = [p for p in name.split(b"/") if p not in (b"", b".")]
    if b".." in parts:
        raise ContentError(REFUSED, f"a name with .. {name!r}")
    if not parts:
        raise ContentError(REFUSED, f"a name with no component {name!r}")
    return os.fsdecode(b"/".join(parts))


FILE_TYPES = (ord("0"), 0, ord("7"))


@dataclass
class Restorer:
    """Restores entries under `root` (an empty directory), never through a symlink."""

    root: Path
    created: dict[str, str] = field(default_factory=dict)  # path -> "file", "directory", "symlink", "implicit"
    times: list[tuple[str, int, int]] = field(default_factory=list)  # (path, mode, mtime) of files
    dirs: dict[str, tuple[int, int]] = field(default_factory=dict)

    def full(self, path: str) -> str:
        return str(self.root / path)

    def parents(self, path: str) -> None:
        """Spec 7.2 and 7.4: every parent is a real directory, made here if missing."""
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            parent = "/".join(parts[:i])
            kind = self.created.get(parent)
            if kind is None:
                os.mkdir(self.full(parent))
                self.created[parent] = "implicit"
            elif kind not in ("directory", "implicit"):
                raise ContentError(REFUSED, f"{path} would be written through the {kind} {parent}")
            # Check the object itself, not the name (spec 7.4).
            if not stat.S_ISDIR(os.lstat(self.full(parent)).st_mode):
                raise ContentError(REFUSED, f"{parent} is not a directory")

    def restore(self, e: Entry) -> None:
        if any(k.startswith("GNU.sparse.") for k in e.pax):
            raise ContentError(REFUSED, "a PAX sparse entry")
        if e.typeflag not in (*FILE_TYPES, ord("5"), ord("2"), ord("1")):
            raise ContentError(REFUSED, f"entry type {chr(e.typeflag)!r} is not restored")
        path = path_of(e.name)
        previous = self.created.get(path)
        if previous is not None and not (previous in ("directory", "implicit") and e.typeflag == ord("5")):
            raise ContentError(REFUSED, f"{path} appears twice")
        self.parents(path)
        full = self.full(path)
        perm = e.mode & 0o7777
        if e.typeflag in FILE_TYPES:
            fd = os.open(full, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(e.data)
            self.created[path] = "file"
            self.times.append((path, perm, e.mtime))
        elif e.typeflag == ord("5"):
            if previous is None:
                os.mkdir(full)
            self.created[path] = "directory"
            self.dirs[path] = (perm, e.mtime)
        elif e.typeflag == ord("2"):
            if not e.link:
                raise ContentError(REFUSED, f"{path}: a symlink with an empty target")
            os.symlink(e.link, os.fsencode(full))  # spec 7.3: the target is data
            self.created[path] = "symlink"
        else:
            target = path_of(e.link)
            if self.created.get(target) != "file":
                raise ContentError(REFUSED, f"{path}: a hard link to {e.link!r}, not an earlier file")
            os.link(self.full(target), full, follow_symlinks=False)
            self.created[path] = "file"

    def finish(self) -> None:
        """Spec 7.5: modes and times, directories last and deepest first."""
        for path, perm, mtime in self.times:
            full = self.full(path)
            os.chmod(full, perm, follow_symlinks=False)
            os.utime(full, (mtime, mtime), follow_symlinks=False)
        for path in sorted(self.dirs, key=lambda p: -p.count("/")):
            perm, mtime = self.dirs[path]
            os.utime(self.full(path), (mtime, mtime), follow_symlinks=False)
            os.chmod(self.full(path), perm, follow_symlinks=False)


def restore_tree(body: bytes, root: Path) -> None:
    """Reads the archive and restores it under `root`, stopping at the first failure."""
    r = Restorer(root)
    for entry in read_tar(body):
        r.restore(entry)
    r.finish()


def listing(root: Path) -> list[dict[str, object]]:
    """The restored tree, as the vectors list it (with each file's inode, for hard links)."""
    import hashlib

    out: list[dict[str, object]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            st = os.lstat(full)
            if stat.S_ISLNK(st.st_mode):
                out.append({"path": rel, "type": "symlink", "target": os.readlink(full)})
            elif stat.S_ISDIR(st.st_mode):
                out.append({"path": rel, "type": "directory", "mode": st.st_mode & 0o7777, "mtime": st.st_mtime_ns // 10**9})
            else:
                with open(full, "rb") as f:
                    digest = hashlib.sha256(f.read()).hexdigest()
                entry = {"path": rel, "type": "file", "mode": st.st_mode & 0o7777, "mtime": st.st_mtime_ns // 10**9}
                entry.update({"size": st.st_size, "sha256": digest, "ino": st.st_ino})
                out.append(entry)
    out.sort(key=lambda e: str(e["path"]).encode("utf-8", "surrogateescape"))
    return out
