"""A mapped row's import digest, computed by the validation worker exactly as PostgreSQL would.

Every imported row stores ``import_digest``: the load compares it with the staged row's digest
to skip unchanged rows. Databases already hold digests PostgreSQL computed as
``md5(ROW(r.<data columns>)::text)::uuid`` over the raw staging row (every mapped column but
the ext_id, in ``Entity.columns`` order, each of its ``stage_types`` type). Computing it in
the load cost ~1.5 µs of backend CPU per row on the load's single critical backend; the
worker, in another process with slack, now computes it while it writes the row, and the
load copies it. It must be *exactly* PostgreSQL's: one differing character makes every
unchanged row look changed, rewrites it and adds a history row.

PostgreSQL's text of the record (``record_out``, src/backend/utils/adt/rowtypes.c):
``(`` fields joined by ``,`` ``)``; a NULL field is empty; a value is double-quoted when it
is empty or holds ``"``, ``\\``, ``(``, ``)``, ``,`` or a byte C's ``isspace`` accepts (the six
ASCII ones: Python's ``str.isspace`` is Unicode's and would be wrong), and inside the quotes
``"`` and ``\\`` are doubled. Each field is its type's output text for the value COPY read:

- ``text``: the value itself (COPY CSV keeps it byte for byte; csv.writer writes ``""``
  unquoted, which COPY reads as NULL, so an empty string digests as NULL here too);
- ``bigint``: the cell is ``str(int)`` of an id (lookups), which is int8out's text;
- ``date``: the cell is ``converters.iso_date``'s ``YYYY-MM-DD`` of a real day, years 1-9999,
  which is date_out's text under DateStyle ISO (the server's default; ``check_server``);
- ``numeric``: ``converters.decimal`` writes no exponent, no leading zeros, no ``-0``, so
  numeric_in keeps exactly the digits written and numeric_out prints them back;
- ``numeric(p,s)``: the value rounded to ``s`` decimals half away from zero, printed with
  exactly ``s`` decimals, never ``-0.00`` (apply_typmod / round_var, make_result's zero sign).

These never need quotes (digits, ``-`` and ``.`` only), so only text is scanned.
tests/contract/test_row_digest.py proves each case against a real server; any other type
is refused here, so a migration that adds one fails validation instead of drifting, and so
is a server whose encoding or DateStyle would change PostgreSQL's text (``check_server``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from hashlib import md5
from typing import Any, Final

import psycopg

from pipelines.contract.converters import scaled_text
from pipelines.contract.declarations import Entity, MappedColumn
from pipelines.core.exceptions import TerminalError
from pipelines.db.connection import one_row
from pipelines.db.sql_text import read_sql

DIGEST_COLUMN: Final = "digest"
DIGEST_TYPE: Final = "uuid"  # the CSV holds md5's 32 hex digits, which uuid_in reads
Format = Callable[[str], str]
Digest = Callable[[Sequence[Any]], str]

_QUOTED: Final = re.compile(r'[",\\() \t\n\r\x0b\x0c]')  # record_out's test; isspace in the C sense
_SCALED: Final = re.compile(r"numeric\(([0-9]+),([0-9]+)\)")
# No exponent, sign or leading zero to normalize, not a negative zero: padding is all it needs.
_PLAIN_DECIMAL: Final = re.compile(r"(?!-0(?:\.0*)?$)-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")


def stage_types(entity_columns: tuple[MappedColumn, ...], target: dict[str, str]) -> dict[str, str]:
    """Mapped columns take their target column's type; ext_id references stay text."""
    return {c.name: "text" if c.resolves else target[c.table_column] for c in entity_columns}


def read_stage_types(conn: psycopg.Connection, entity: Entity) -> dict[str, str]:
    """The raw staging table's column types for ``entity``, from the catalog (``format_type``)."""
    target: dict[str, str] = dict(conn.execute(read_sql("load/target_types"), (entity.table,)).fetchall())
    return stage_types(entity.mapped_columns, target)


def check_server(conn: psycopg.Connection) -> None:
    """Refuse a server whose settings would make PostgreSQL's digest differ from this module's:
    md5 hashes the text in the server's encoding (here: UTF-8), and date_out follows DateStyle."""
    encoding, datestyle = one_row(
        conn, "SELECT current_setting('server_encoding'), current_setting('DateStyle')"
    )
    if encoding != "UTF8" or not str(datestyle).startswith("ISO"):
        raise TerminalError(
            f"the server has server_encoding {encoding} and DateStyle {datestyle}: the import digests "
            "are computed for UTF8 and ISO dates (pipelines/contract/row_digest.py)"
        )


def data_columns(entity: Entity) -> tuple[str, ...]:
    """The columns the digest covers, in order: every mapped column but the ext_id."""
    return tuple(c for c in entity.columns if c != entity.ext_id)


def digest_types(entity: Entity, types: dict[str, str]) -> list[str]:
    """The staging types of the digested columns, as the manifest records them for the loader."""
    return [types[c] for c in data_columns(entity)]


def quote_text(value: str) -> str:
    """One text field as record_out writes it (the value is not empty: that is NULL here)."""
    return value if _QUOTED.search(value) is None else _in_quotes(value)


def _in_quotes(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '""') + '"'


def scaled_numeric(scale: int) -> Format:
    """numeric(p, scale)'s output for a decimal cell: rounded half away from zero, ``scale`` decimals.

    A plain decimal with at most ``scale`` decimals (most amounts) is padded with zeros as text;
    others (more decimals to round, a negative zero, any other spelling) go through
    ``converters.scaled_text``, the rounding money's size check uses too."""

    def shown(value: str) -> str:
        point = value.find(".")
        decimals = 0 if point < 0 else len(value) - point - 1
        if decimals <= scale and _PLAIN_DECIMAL.fullmatch(value) is not None:
            return value + ("." if point < 0 and scale else "") + "0" * (scale - decimals)
        return scaled_text(value, scale)

    return shown


def field_format(stage_type: str) -> Format | None:
    """How a cell of this staging type becomes its record_out field; None: the cell as it is."""
    if stage_type == "text":
        return quote_text
    if stage_type in ("bigint", "date", "numeric"):
        return None
    scaled = _SCALED.fullmatch(stage_type)
    if scaled:
        return scaled_numeric(int(scaled[2]))
    raise ValueError(
        f"no digest rule for column type {stage_type!r}: add one to pipelines/contract/row_digest.py "
        "(with its test against PostgreSQL) before importing such a column"
    )


def md5_hex(text: str) -> str:
    """``md5(text)``'s hex (of the UTF-8 bytes: the server's encoding); COPY's uuid_in reads the
    32 digits without hyphens as ``md5(text)::uuid``."""
    return md5(text.encode(), usedforsecurity=False).hexdigest()


def row_digest(entity: Entity, types: dict[str, str]) -> Digest:
    """The digest of one mapped row of ``entity`` (its cells in ``Entity.columns`` order).

    Millions of rows pass through here: the fields are the cells as written, then only the text
    columns are tested for quotes and only numeric(p,s) columns are reformatted."""
    columns = entity.columns
    positions = tuple(columns.index(c) for c in data_columns(entity))
    formats = [field_format(types[c]) for c in data_columns(entity)]
    texts = tuple(i for i, f in enumerate(formats) if f is quote_text)
    scaled = tuple((i, f) for i, f in enumerate(formats) if f is not None and f is not quote_text)
    needs_quotes = _QUOTED.search

    def digest(row: Sequence[Any]) -> str:  # the cells: str, or None for NULL ("" is NULL too)
        fields = [row[at] or "" for at in positions]
        for i in texts:
            if needs_quotes(fields[i]) is not None:
                fields[i] = _in_quotes(fields[i])
        for i, shown in scaled:
            if fields[i]:
                fields[i] = shown(fields[i])
        return md5_hex("(" + ",".join(fields) + ")")

    return digest
