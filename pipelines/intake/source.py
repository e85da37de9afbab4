"""Open a registry-portal export (docs/export-format.md#files) as one binary JSON stream.

Exports arrive as a bare ``.json`` document or as a ``.7z`` holding one. Everything
downstream reads a single forward-only byte stream, so the format question is settled
here once: a ``.json`` file is opened as it is; a ``.7z`` has its one JSON member
extracted into a scratch directory first (py7zr pushes members out to writers and has
no pull-style reader a streaming parser could consume; extraction is cheap next to the split,
BENCHMARKS.md), and the extracted copy is deleted when the caller is done, whether it
succeeded or not. ``ExportReader`` then counts the bytes the parser takes, so that a
complaint about a 3 GB file names the byte to look at.
"""

from __future__ import annotations

import lzma
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Final

import py7zr
import py7zr.callbacks
import py7zr.exceptions

from pipelines.core.exceptions import DiskSpaceError, ExportFormatError
from pipelines.core.progress import Meter, Progress

ACCEPTED_SUFFIXES: tuple[str, ...] = (".json", ".7z")


@dataclass(frozen=True)
class ExportStream:
    """An opened export: what to read, how big it is, and what to call it in messages."""

    name: str  # "export.json", or "export.7z/export.json" for an archive member
    path: Path  # the JSON file actually read (the export itself or the extracted member)
    size: int  # bytes of JSON: what the parser will read, and about what the spools need
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
def open_export(
    export: Path, *, work_dir: Path | None = None, progress: Progress | None = None
) -> Iterator[ExportStream]:
    """Yield the export's JSON as a binary stream; clean up any extracted copy on exit.

    ``work_dir`` is where a ``.7z`` member is extracted (default: the system temp
    directory); it must have room for the member's uncompressed size, checked first.
    ``progress`` hears how the extraction goes.
    """
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
    if work_dir is not None:
        Path(work_dir).mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".strata-extract-", dir=work_dir))
    try:
        member, member_name = _extract_json_member(export, scratch, progress or Progress())
        name = f"{export.name}/{member_name}"
        size = member.stat().st_size
        if size == 0:
            raise ExportFormatError(name, "byte 0", "empty file")
        with open(member, "rb", buffering=0) as stream:
            yield ExportStream(name, member, size, stream)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


class _ExtractMeter(py7zr.callbacks.ExtractCallback):
    """py7zr's extraction callback (it reports bytes since its last report, about every second)."""

    def __init__(self, meter: Meter) -> None:
        self.meter = meter

    def report_update(self, decompressed_bytes: str) -> None:
        self.meter.advance(int(decompressed_bytes))

    def report_start_preparation(self) -> None: ...
    def report_start(self, processing_file_path: str, processing_bytes: str) -> None: ...
    def report_end(self, processing_file_path: str, wrote_bytes: str) -> None: ...
    def report_warning(self, message: str) -> None: ...
    def report_postprocess(self) -> None: ...


def _extract_json_member(archive: Path, scratch: Path, progress: Progress) -> tuple[Path, str]:
    """Extract the archive's only ``.json`` member into ``scratch``: its path and name.

    The declared uncompressed size is checked against free space before anything is
    written, and also caps the extraction, so a lying header cannot fill the disk.
    """
    try:
        with py7zr.SevenZipFile(archive, "r") as z:
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
            needed = int(info.uncompressed or 0)
            check_free_space(scratch, needed, f"extracting {archive.name}/{info.filename}")
            z.max_extract_size = needed
            meter = progress.meter("extract", f"{archive.name}/{info.filename}", needed, "bytes")
            z.extract(path=scratch, targets=[info.filename], callback=_ExtractMeter(meter))
            meter.finish()
    except py7zr.exceptions.PasswordRequired as exc:  # headers encrypted too: refused on opening
        raise _encrypted(archive) from exc
    except (
        py7zr.exceptions.ArchiveError,
        lzma.LZMAError,
        EOFError,
        ValueError,
        KeyError,
    ) as exc:
        raise ExportFormatError(archive.name, "archive", f"not a readable 7z archive: {exc}") from exc
    member = (scratch / parts).resolve()
    if not member.is_relative_to(scratch.resolve()) or not member.is_file():
        raise ExportFormatError(archive.name, "archive", f"member {info.filename!r} was not extracted")
    return member, parts.as_posix()


def _encrypted(archive: Path) -> ExportFormatError:
    return ExportFormatError(
        archive.name,
        "archive",
        "the archive is encrypted (password-protected), Strata cannot read it: "
        "export it again without a password, or extract it and drop the .json",
    )


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
