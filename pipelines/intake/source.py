"""Open a registry-portal export (docs/export-format.md#files) as one binary JSON stream.

Exports arrive as a bare ``.json`` document or as a ``.7z`` holding one. Everything
downstream reads a single forward-only byte stream, so the format question is settled
here once: a ``.json`` file is opened as it is; a ``.7z`` has its one JSON member
decompressed in a thread while the caller reads it (pipelines.intake.sevenzip): nothing is
extracted to disk, and on two cores the decompression runs beside the parse.
``ExportReader`` then counts the bytes the parser takes, so that a complaint about a 3 GB
file names the byte to look at.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final

from pipelines.core.exceptions import DiskSpaceError, ExportFormatError
from pipelines.intake.sevenzip import streamed_json_member

ACCEPTED_SUFFIXES: tuple[str, ...] = (".json", ".7z")


@dataclass(frozen=True)
class ExportStream:
    """An opened export: what to read, how big it is, and what to call it in messages."""

    name: str  # "export.json", or "export.7z/export.json" for an archive member
    path: Path  # the file read: the export itself (a .7z's member is decompressed as it is read)
    size: int  # bytes of JSON (a member's declared size): what the parser will read
    stream: BinaryIO  # unbuffered: the parser asks for big blocks itself


def _human(n: int) -> str:
    """Bytes as a person reads them in an error message."""
    return f"{n / 1e6:,.1f} MB" if n >= 1e6 else f"{n:,} bytes"


def check_free_space(where: Path, needed: int, what: str) -> None:
    """Refuse before writing rather than fail half-way with a full disk."""
    free = shutil.disk_usage(where).free
    if free < needed:
        raise DiskSpaceError(
            f"{what} needs {needed:,} bytes ({_human(needed)}) in {where}, "
            f"but only {free:,} bytes ({_human(free)}) are free"
        )


@contextmanager
def open_export(export: Path) -> Iterator[ExportStream]:
    """Yield the export's JSON as a binary stream (a ``.7z`` member is decompressed as it is read)."""
    export = Path(export)
    suffix = export.suffix.lower()
    if suffix not in ACCEPTED_SUFFIXES:
        raise ExportFormatError(
            export.name,
            "file name",
            f"unsupported file type {export.suffix or '(none)'!r}: accepted are "
            + " and ".join(ACCEPTED_SUFFIXES),
        )
    size = export.stat().st_size
    if size == 0:
        raise ExportFormatError(export.name, "byte 0", "empty file")
    if suffix == ".json":
        with open(export, "rb", buffering=0) as stream:
            yield ExportStream(export.name, export, size, stream)
        return
    with streamed_json_member(export) as (member_name, size, stream):
        name = f"{export.name}/{member_name}"
        if size == 0:
            raise ExportFormatError(name, "byte 0", "empty file")
        yield ExportStream(name, export, size, stream)


UTF8_BOM: Final = b"\xef\xbb\xbf"
# Longest first: a UTF-32 LE mark starts with the UTF-16 LE one.
OTHER_BOMS: Final = (
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\xfe\xff", "UTF-16"),
    (b"\xff\xfe", "UTF-16"),
)
HEAD: Final = 4  # bytes that settle which byte-order mark, if any, opens the file


class ExportReader:
    """The export's bytes as the parser reads them, counted, so that every error names a byte.

    ``before_read`` runs before each block is read: a streaming consumer's chance to act
    between two blocks, when the parser is between two calls. The first byte that is
    not whitespace must open a JSON object: anything else is refused at once, before a
    parser could spend minutes building whatever a 3 GB file holds instead.

    A UTF-8 byte-order mark (Windows editors write one) is skipped, not handed to the
    parser, which would refuse it; byte numbers in errors still count from the file's
    first byte. A UTF-16 or UTF-32 mark is refused by name: exports are UTF-8.
    """

    def __init__(self, name: str, stream: BinaryIO, before_read: Callable[[], None]) -> None:
        self.name, self.stream, self.before_read = name, stream, before_read
        self.position = 0  # bytes of the file consumed so far (a skipped mark included)
        self.block, self.block_start = b"", 0  # the block being parsed, and its first byte's offset
        self._started = False
        self._pending: bytes | None = None  # None: the head was not looked at yet

    def _head(self) -> bytes:
        """The file's first bytes, enough to tell a byte-order mark; a UTF-8 mark is dropped."""
        head = b""
        while len(head) < HEAD and (more := self.stream.read(HEAD - len(head))):
            head += more
        if head.startswith(UTF8_BOM):
            self.position = len(UTF8_BOM)
            return head[len(UTF8_BOM) :]
        for mark, encoding in OTHER_BOMS:
            if head.startswith(mark):
                raise self.error(
                    f"the document is {encoding} (it starts with the byte-order mark {mark!r}): "
                    "exports must be UTF-8, save it as UTF-8",
                    at=1,
                )
        return head

    def _take(self, size: int) -> bytes:
        if self._pending is None:
            self._pending = self._head()
        if self._pending:
            block, self._pending = self._pending[:size], self._pending[size:]
            return block
        return self.stream.read(size)

    def read(self, size: int) -> bytes:
        self.before_read()
        block = self._take(size)
        self.block, self.block_start = block, self.position
        if block and not self._started:
            body = block.lstrip(b" \t\r\n")
            self._started = bool(body)
            if body and body[:1] != b"{":
                raise self.error(
                    f"the document must be a JSON object, it starts with {body[:1]!r}",
                    at=self.position + len(block) - len(body) + 1,
                )
        self.position += len(block)
        return block

    def error(self, detail: str, *, at: int | None = None) -> ExportFormatError:
        """An error at byte ``at``, by default at the bytes read so far."""
        return ExportFormatError(self.name, f"byte {self.position if at is None else at}", detail)

    def json_error(self, exc: Exception) -> ExportFormatError:
        """ijson's parse error, placed on the offending byte when yajl's snippet allows."""
        raw = exc.args[0] if exc.args else b""
        message = raw if isinstance(raw, bytes) else str(raw).encode("utf-8", "replace")
        headline = message.split(b"\n", 1)[0].decode("utf-8", "replace")
        if not self.block:
            return self.error(f"the JSON ends early (truncated?): {headline}")
        offset = locate_json_error(message, self.block)
        if offset is None:
            return self.error(f"not valid JSON within the {len(self.block):,} bytes up to here: {headline}")
        return self.error(f"not valid JSON: {headline}", at=self.block_start + offset)


def locate_json_error(message: bytes, block: bytes) -> int | None:
    """Where yajl's parse error points inside ``block``, if its snippet occurs there once.

    ijson only says what went wrong; a person with a 3 GB file needs the byte. yajl
    shows up to 30 bytes each side of where it stopped (newlines as spaces), padded so
    that the caret on the line below points there; the result counts the bytes up to
    and including the offending one, i.e. its 1-based position.
    """
    lines = message.split(b"\n")
    if len(lines) < 3 or b"^" not in lines[2]:
        return None
    snippet = lines[1].lstrip(b" ")
    column = lines[2].index(b"^") - (len(lines[1]) - len(snippet))
    haystack = block.replace(b"\n", b" ").replace(b"\r", b" ")
    at = haystack.find(snippet) if snippet else -1
    if at < 0 or haystack.find(snippet, at + 1) >= 0:
        return None
    return at + column
