"""A ``.7z`` export's one JSON member, decompressed while it is read: nothing is extracted to disk.

py7zr has no pull-style reader a streaming parser could consume, but it writes members to a
custom writer (``SevenZipFile.extract(factory=...)``, a ``WriterFactory`` making a ``Py7zIO``):
the extraction runs in a thread whose writer hands each decompressed block through a bounded
queue to the reading side. The parse and LZMA (which releases the GIL) run side by side on two
cores, and the free-space check of a registration counts the spools only (BENCHMARKS.md).
An encrypted archive is refused by name, before or while reading.
"""

from __future__ import annotations

import io
import lzma
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Final

import py7zr
import py7zr.exceptions
import py7zr.io

from pipelines.core.exceptions import ExportFormatError

PIPE_BLOCKS: Final = 4  # decompressed blocks in flight between py7zr's thread and the reader
JOIN_SECONDS: Final = 10.0  # a cancelled extraction stops at its next block; never wait longer
_UNREADABLE: Final = (py7zr.exceptions.ArchiveError, lzma.LZMAError, EOFError, ValueError, KeyError)


class _Cancelled(Exception):
    """Raised inside py7zr's extraction when the reader went away (the split failed or ended)."""


class _MemberPipe(py7zr.io.Py7zIO):
    """py7zr's writer for the member: hands the decompressed blocks to the reading thread.

    A bounded queue keeps memory at a few decompressed blocks; when the reader is gone the
    next write raises, which ends the extraction thread."""

    def __init__(self, blocks: queue.Queue[bytes | BaseException | None], gone: threading.Event) -> None:
        self.blocks, self.gone, self.written = blocks, gone, 0

    def write(self, s: bytes | bytearray) -> int:
        data = bytes(s)
        while not self.gone.is_set():
            try:
                self.blocks.put(data, timeout=0.1)
                self.written += len(data)
                return len(data)
            except queue.Full:
                continue
        raise _Cancelled

    def read(self, size: int | None = None) -> bytes:
        return b""

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0

    def seekable(self) -> bool:
        return False  # py7zr's MemIO rewinds seekable writers when done

    def flush(self) -> None: ...

    def size(self) -> int:
        return self.written


class _PipeFactory(py7zr.io.WriterFactory):
    def __init__(self, pipe: _MemberPipe) -> None:
        self.pipe = pipe

    def create(self, filename: str) -> py7zr.io.Py7zIO:
        return self.pipe


class _MemberStream(io.RawIOBase):
    """The member's bytes as a forward-only stream, read while another thread decompresses them."""

    def __init__(self, blocks: queue.Queue[bytes | BaseException | None]) -> None:
        self.blocks, self.pending, self.ended = blocks, memoryview(b""), False

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if not self.pending and not self.ended:
            item = self.blocks.get()
            if isinstance(item, BaseException):
                self.ended = True
                raise item
            if item is None:
                self.ended = True
            else:
                self.pending = memoryview(item)
        if size < 0:
            size = len(self.pending)
        block, self.pending = bytes(self.pending[:size]), self.pending[size:]
        return block


@contextmanager
def streamed_json_member(archive: Path) -> Iterator[tuple[str, int, BinaryIO]]:
    """The archive's only ``.json`` member, decompressed by py7zr in a thread as it is read.

    Nothing is extracted to disk: py7zr writes the member to a custom writer
    (``extract(factory=...)``), which passes each block on through a bounded queue. The
    declared uncompressed size caps the extraction, so a lying header cannot make it run
    on; a CRC error or a truncated stream reaches the reader as an error at the end."""
    try:
        z = py7zr.SevenZipFile(archive, "r")
    except py7zr.exceptions.PasswordRequired as exc:  # headers encrypted too: refused on opening
        raise _encrypted(archive) from exc
    except _UNREADABLE as exc:
        raise ExportFormatError(archive.name, "archive", f"not a readable 7z archive: {exc}") from exc
    blocks: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=PIPE_BLOCKS)
    gone = threading.Event()
    worker: threading.Thread | None = None
    try:
        info, member_name = _json_member(archive, z)
        needed = int(info.uncompressed or 0)
        z.max_extract_size = needed
        pipe = _MemberPipe(blocks, gone)

        def extract() -> None:
            try:
                z.extract(targets=[info.filename], factory=_PipeFactory(pipe))
                if pipe.written != needed:
                    raise EOFError(f"the member holds {pipe.written:,} bytes, its header says {needed:,}")
                outcome: BaseException | None = None
            except _Cancelled:
                return
            except py7zr.exceptions.PasswordRequired:
                outcome = _encrypted(archive)
            except _UNREADABLE as exc:
                outcome = ExportFormatError(archive.name, "archive", f"not a readable 7z archive: {exc}")
            except BaseException as exc:  # handed to the reader, which raises it
                outcome = exc
            while not gone.is_set():
                try:
                    blocks.put(outcome, timeout=0.1)
                    return
                except queue.Full:
                    continue

        worker = threading.Thread(target=extract, name=f"7z {archive.name}", daemon=True)
        worker.start()
        yield member_name, needed, _MemberStream(blocks)  # type: ignore[misc]
    finally:
        gone.set()
        if worker is not None:
            worker.join(timeout=JOIN_SECONDS)
        z.close()


def _json_member(archive: Path, z: py7zr.SevenZipFile) -> tuple[py7zr.FileInfo, str]:
    """The archive's only ``.json`` member and its safe name; encrypted archives are refused."""
    if z.needs_password():
        raise _encrypted(archive)
    members = [m for m in z.list() if not m.is_directory and m.filename.lower().endswith(".json")]
    if len(members) != 1:
        found = ", ".join(m.filename for m in members) or "none"
        raise ExportFormatError(
            archive.name,
            "archive",
            f"a .7z export must hold exactly one .json member, found {len(members)} ({found})",
        )
    info = members[0]
    parts = PurePosixPath(info.filename.replace("\\", "/"))
    if parts.is_absolute() or ".." in parts.parts:
        raise ExportFormatError(archive.name, "archive", f"unsafe member name {info.filename!r}")
    return info, parts.as_posix()


def _encrypted(archive: Path) -> ExportFormatError:
    return ExportFormatError(
        archive.name,
        "archive",
        "the archive is encrypted (password-protected), Strata cannot read it: "
        "export it again without a password, or extract it and drop the .json",
    )
