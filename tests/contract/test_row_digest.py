"""The worker's row digest equals PostgreSQL's ``md5(ROW(...)::text)::uuid``, value by value.

Rows of awkward values of every staging type are written exactly as the worker writes them
(csv.writer, the mapped files' dialect), COPYed into a table of the staging types on a real
server, and PostgreSQL's digest of each row is compared with the Python one. Numeric, money and
date cells are what the converters write for awkward inputs, since the digest relies on their
canonical text (pipelines/contract/row_digest.py says which type needs formatting and which not).
"""

from __future__ import annotations

import csv
import io
from datetime import date

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql

from pipelines.contract.analyst_errors import Blank, Invalid
from pipelines.contract.converters import Converter, decimal, iso_date, money, text
from pipelines.contract.declarations import Entity, Field
from pipelines.contract.row_digest import check_server, field_format, quote_text, row_digest, scaled_numeric
from pipelines.core.exceptions import TerminalError
from pipelines.db.connection import one_row
from pipelines.validation.mapped_files import LINE_END

# One column of every staging type the declarations use; ext_id first, as in every entity.
TYPES = {
    "ext_id": "text",
    "label": "text",
    "ref_ext_id": "text",
    "code_id": "bigint",
    "day": "date",
    "amount": "numeric",
    "cost": "numeric(14,2)",
    "note": "text",
}
ENTITY = Entity(kind="probe", table="probe", items=tuple(Field(c) for c in TYPES if c != "ext_id"))
RAW = "CREATE TEMP TABLE probe_raw ({}, digest uuid)"  # a session table: kept across commits

AWKWARD_VALUES = [
    '"', "\\", "(", ")", ",", " ", "\t", "\n", "\r", "\r\n", "\x0b", "\x0c", "\u00a0", "\u2003", "\x85", "é",
    "€", "😀", "NULL", "\\N", "\\.", "''", "a,b", '""', "()",
]  # fmt: skip
AWKWARD = st.sampled_from(AWKWARD_VALUES)


TEXTS = st.one_of(
    st.text(st.characters(blacklist_characters="\x00", blacklist_categories=["Cs"]), max_size=12),
    st.lists(st.one_of(AWKWARD, st.text("ab1 ", max_size=2)), max_size=6).map("".join),
)
NUMBER_TEXT = st.from_regex(r"\s?[+-]?0{0,3}[0-9]{0,20}([.,][0-9]{0,20}0{0,3})?\s?", fullmatch=True)
NUMBERS = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, -0.0, 1e-7, -1e-7, 1e22, 5e-324, 1.5, -2.50, 123456789012.345]),
    NUMBER_TEXT,
    st.sampled_from(["-0", "-0.000", "007.50", ".5", "5.", "1,25", "+3", "-000.0100"]),
)
MONEY = st.one_of(
    st.decimals(min_value=-(10**12) + 1, max_value=10**12 - 1, allow_nan=False, places=4).map(str),
    st.sampled_from(["0.005", "-0.005", "-0.004", "0.015", "2.675", "999999999999.994", "-1.5", "0"]),
    st.floats(min_value=-1e11, max_value=1e11),
)


def _converted(convert: Converter, value: object) -> str | None:
    """What the worker writes for ``value``: the converter's cell, or empty for a rejected value."""
    try:
        return convert(value)
    except (Blank, Invalid):
        return None


ROWS = st.lists(
    st.tuples(
        st.one_of(st.none(), TEXTS).map(lambda v: None if v is None else _converted(text, v)),
        st.one_of(st.none(), TEXTS.filter(lambda v: "\x00" not in v)),
        st.one_of(st.none(), st.integers(min_value=-(2**63), max_value=2**63 - 1).map(str)),
        st.one_of(st.none(), st.dates(date(1, 1, 1), date(9999, 12, 31)).map(lambda d: iso_date(d.isoformat()))),
        st.one_of(st.none(), NUMBERS).map(lambda v: None if v is None else _converted(decimal, v)),
        st.one_of(st.none(), MONEY).map(lambda v: None if v is None else _converted(money, v)),
        st.one_of(st.none(), TEXTS),
    ),
    min_size=1,
    max_size=25,
)  # fmt: skip


def _mismatches(conn: psycopg.Connection, rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    """Rows whose Python digest differs from PostgreSQL's over the same COPYed cells."""
    digest = row_digest(ENTITY, TYPES)
    buffer = io.StringIO()
    write = csv.writer(buffer, lineterminator=LINE_END).writerow  # as the mapped files are written
    for n, values in enumerate(rows):
        row: list[object] = [f"x{n}", *values]
        write([*row, digest(row)])
    data = sql.SQL(", ").join(sql.Identifier("r", c) for c in TYPES if c != "ext_id")
    query = sql.SQL(
        "SELECT r.ext_id, ROW({data})::text, r.digest, md5(ROW({data})::text)::uuid FROM probe_raw r "
        "WHERE r.digest IS DISTINCT FROM md5(ROW({data})::text)::uuid ORDER BY r.ext_id"
    ).format(data=data)
    with conn.transaction(force_rollback=True):  # a failed example leaves the next one a clean table
        with conn.cursor().copy("COPY probe_raw FROM STDIN (FORMAT csv)") as copy:
            copy.write(buffer.getvalue())
        assert one_row(conn, "SELECT count(*) FROM probe_raw")[0] == len(rows)
        return conn.execute(query).fetchall()


@pytest.fixture
def probe(conn: psycopg.Connection) -> psycopg.Connection:
    columns = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(t)) for c, t in TYPES.items()
    )
    conn.execute(sql.SQL(RAW).format(columns))
    conn.commit()
    return conn


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=ROWS)
def test_the_python_digest_is_postgresqls_for_awkward_rows(
    probe: psycopg.Connection, rows: list[tuple[object, ...]]
) -> None:
    assert _mismatches(probe, rows) == []


def test_every_awkward_value_alone(probe: psycopg.Connection) -> None:
    """Each awkward character and every numeric corner as the one non-NULL field of its column."""
    samples = ["", *AWKWARD_VALUES, "plain", " lead", "trail ", "x" * 3000]
    numbers = [decimal(v) for v in ["-0", "0.000", "-0.5", 1e-7, 1e22, -0.0, "00012.3400", "-" + "9" * 40]]
    amounts = [
        money(v)
        for v in [
            "0.005",
            "-0.005",
            "-0.004",
            "2.675",
            "1.005",
            "-1.015",
            "999999999999.99",
            "12",
            "-7.5",
            "0.5",
            "-0.05",
            "-0.001",
        ]
    ]
    rows: list[tuple[object, ...]] = [(v, None, None, None, None, None, v) for v in samples]
    rows += [(None, None, None, None, n, None, None) for n in numbers]
    rows += [(None, None, None, None, None, a, None) for a in amounts]
    rows += [
        (None, None, str(i), d, None, None, None)
        for i, d in [(-(2**63), "0001-01-01"), (2**63 - 1, "9999-12-31")]
    ]
    rows.append((None,) * 7)
    assert _mismatches(probe, rows) == []


def test_postgresql_prints_the_converters_cells_unchanged(conn: psycopg.Connection) -> None:
    """bigint, date and plain numeric cells need no formatting: PostgreSQL prints them back as written."""
    cells = [
        ("numeric", decimal(v)) for v in ["-0", "-0.000", "007.50", ".5", "1,25", "+3", 1e-7, -0.0, 2.5e-300, "12345678901234567890.5"]
    ] + [("date", iso_date(d)) for d in ["0001-01-01", "0099-12-31", "2024-02-29"]] + [
        ("bigint", str(i)) for i in [0, -1, 2**63 - 1, -(2**63)]
    ]  # fmt: skip
    for stage_type, cell in cells:
        assert field_format(stage_type) is None
        printed = conn.execute(sql.SQL("SELECT %s::{}::text").format(sql.SQL(stage_type)), (cell,)).fetchone()
        assert printed == (cell,), (stage_type, cell)


def test_numeric_with_scale_prints_as_postgresql_for_any_spelling(conn: psycopg.Connection) -> None:
    """The text path (padding) and the Decimal path (rounding, other spellings) of numeric(p,s)."""
    spellings = ["0", "-0", "-0.00", "-0.001", "007.5", "5.", ".5", "+3.1", "1e3", "-2.5e-3", "12.345",
                 "-12.345", "12.3449", "99.995", "-99.995", "123", "-1.5", "0.05"]  # fmt: skip
    for scale in (0, 1, 2, 4):
        shown = scaled_numeric(scale)
        for value in spellings:
            printed = one_row(
                conn, sql.SQL("SELECT %s::numeric(20,{})::text").format(sql.Literal(scale)), (value,)
            )
            assert shown(value) == printed[0], (scale, value)


def test_record_out_quoting_by_hand() -> None:
    """The rules spelled out, so a change to them is seen here before it is seen against the server."""
    assert quote_text("plain") == "plain"
    assert quote_text('say "hi"') == '"say ""hi"""'
    assert quote_text("a\\b") == '"a\\\\b"'
    assert [quote_text(c) for c in "(),"] == ['"("', '")"', '","']
    assert quote_text("\u00a0") == "\u00a0"  # not C's isspace: unquoted, as PostgreSQL writes it


def test_an_unknown_column_type_is_refused() -> None:
    with pytest.raises(ValueError, match="no digest rule for column type 'boolean'"):
        field_format("boolean")


def test_a_server_printing_dates_otherwise_is_refused(conn: psycopg.Connection) -> None:
    check_server(conn)  # the test server: UTF8, DateStyle ISO
    conn.execute("SET DateStyle = 'German, DMY'")
    with pytest.raises(TerminalError, match="DateStyle German, DMY"):
        check_server(conn)
