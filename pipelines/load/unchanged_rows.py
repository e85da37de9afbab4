"""Leave out of a load the rows its validation chain says are unchanged, only when that is proven.

A validation worker that validates layers in a row writes ``chain.json`` beside the mapped rows
(its own validation id and the ids of the layers before it, oldest first) and, per table, the
byte ranges of the rows that still need staging (``<table>.staged``, little-endian uint64
``[start, end)`` pairs). The other rows equal what the chain's loads wrote, but only if those
loads are exactly the ones committed since the chain's first, and nothing else wrote the
imported tables since: ``loader_load`` and ``loader_manual_write`` (migration 0021) say so.
When that cannot be shown the load copies every row, as a load without a chain does.
"""

from __future__ import annotations

import mmap
import sys
import uuid
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import psycopg

from pipelines.core.exceptions import TerminalError
from pipelines.db.connection import one_row
from pipelines.db.sql_text import read_sql
from pipelines.validation.chain_store import ChainClaim, chain_holds
from pipelines.validation.import_chain import CLAIM


@dataclass(frozen=True)
class Chain:
    """What ``chain.json`` says: this validation, and the validations before it in its chain."""

    validation: uuid.UUID | None
    after: tuple[uuid.UUID, ...] = ()


def read_chain(folder: Path) -> Chain:
    """The folder's chain; none (no id, nothing before) for validations older than chain.json."""
    try:
        text = (folder / CLAIM).read_bytes()
    except FileNotFoundError:
        return Chain(None)
    try:
        chain = orjson.loads(text)
        return Chain(uuid.UUID(chain["validation"]), tuple(uuid.UUID(v) for v in chain.get("after") or ()))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise TerminalError(
            f"{folder / CLAIM}: not a validation chain ({exc}): validate the layer again"
        ) from None


def record_load(conn: psycopg.Connection, report_id: int, chain: Chain) -> ChainClaim:
    """Insert this load's ``loader_load`` row, then decide whether the chain's claim holds.

    The row goes in first so that its snapshot is no later than what the check reads: a manual
    write committed in between is seen by the check (and refused) or missed by the snapshot
    (and refused by the next load of the chain)."""
    (load_id,) = one_row(
        conn, read_sql("load/record_load"), {"report_id": report_id, "validation": chain.validation}
    )
    return chain_holds(conn, chain.after, load_id)


@dataclass(frozen=True)
class TableRows:
    """What a load copies of one table's mapped CSV: every row, or only its staged byte ranges.

    ``ranges`` is flat ``[start, end, start, end, ...]``; None copies the whole file."""

    path: Path
    rows: int
    ranges: array | None = None
    staged_rows: int | None = None

    @property
    def left_out(self) -> int:
        return 0 if self.staged_rows is None else self.rows - self.staged_rows

    @property
    def description(self) -> str:
        if self.staged_rows is None:
            return f"{self.rows:,} rows"
        return f"{self.staged_rows:,} of {self.rows:,} rows, the rest unchanged"

    def blocks(self, block: int) -> Iterator[bytes]:
        """The bytes to COPY, in blocks of about ``block`` bytes."""
        if self.ranges is None:
            with open(self.path, "rb") as f:
                while data := f.read(block):
                    yield data
        else:
            yield from _range_blocks(self.path, self.ranges, block)

    def counted(self, copied: int) -> int:
        """The rows staged as a load counts them (those left out included); the ranges must have
        given the rows the manifest promised, or the counts (and the rows) would be wrong."""
        if self.staged_rows is not None and copied != self.staged_rows:
            raise TerminalError(
                f"{self.path}: its staged ranges gave {copied:,} rows, the manifest promises "
                f"{self.staged_rows:,}: validate the layer again"
            )
        return copied + self.left_out


def table_rows(folder: Path, entry: dict, leave_out: bool) -> TableRows:
    """The rows of a manifest entry to copy: its staged ranges when ``leave_out`` and it has them."""
    path, staged = folder / entry["file"], entry.get("staged")
    if not leave_out or staged is None:
        return TableRows(path, entry["rows"])
    ranges = array("Q")
    ranges_path = folder / staged["file"]
    ranges.frombytes(ranges_path.read_bytes())
    if sys.byteorder != "little":
        ranges.byteswap()
    if len(ranges) % 2:
        raise TerminalError(f"{ranges_path}: not pairs of byte offsets: validate the layer again")
    return TableRows(path, entry["rows"], ranges, staged["rows"])


def _range_blocks(path: Path, ranges: array, block: int) -> Iterator[bytes]:
    """Rows are a few hundred bytes each: gathering many ranges per block keeps COPY's writes few."""
    with open(path, "rb") as f:
        size = f.seek(0, 2)
        if size == 0:  # mmap refuses an empty file
            if any(ranges):
                raise TerminalError(f"{path}: byte ranges past the end of an empty file: validate again")
            return
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            pending = bytearray()
            previous_end = 0
            for i in range(0, len(ranges), 2):
                start, end = ranges[i], ranges[i + 1]
                if not previous_end <= start <= end <= size:
                    raise TerminalError(
                        f"{path}: byte range [{start}, {end}) is out of order or past the end of the "
                        "file: validate the layer again"
                    )
                previous_end = end
                pending += mapped[start:end]
                if len(pending) >= block:
                    yield bytes(pending)
                    pending.clear()
            if pending:
                yield bytes(pending)
