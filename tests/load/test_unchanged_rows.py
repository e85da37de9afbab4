"""A load leaves out the rows its validation chain says are unchanged only when the database proves it.

The mapped folders come from the project's own validation; chain.json and the staged ranges are
written by hand (tests.support.chain_files), as the chained worker would write them. Each held
load is compared with a full load of the same layer in the same database, rolled back.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from pipelines.core.exceptions import TerminalError
from pipelines.core.settings import StrataHome
from pipelines.db.connection import one_row
from pipelines.intake.registration import register
from pipelines.load.transaction import LoadResult, TableCounts, load_layer
from pipelines.load.unchanged_rows import TableRows, read_chain
from pipelines.sample.export import write_sample
from pipelines.seed.seeding import seed
from pipelines.validation.registered import registered_layer, validate_registered
from tests.support.chain_files import TABLES, left_out_rows, manifest, write_chain, write_staged
from tests.support.table_state import table_state


@dataclass
class Layers:
    conn: psycopg.Connection
    versions: list[str]

    def validate(self, n: int) -> Path:
        """Validate the n-th layer (from 0); its mapped folder."""
        assert validate_registered(self.conn, registered_layer(self.conn, self.versions[n])).valid
        self.conn.commit()
        (path,) = one_row(
            self.conn, "SELECT mapped_path FROM loader_report WHERE version = %s", (self.versions[n],)
        )
        return Path(path)

    def load(self, n: int, **kwargs) -> LoadResult:
        self.conn.commit()
        return load_layer(self.conn, self.versions[n], **kwargs)

    def loads(self) -> int:
        return int(one_row(self.conn, "SELECT count(*) FROM loader_load")[0])


@pytest.fixture
def layers(tmp_path: Path, conn: psycopg.Connection) -> Layers:
    write_sample(tmp_path / "sample", seed=5, passports=150, layers=4)
    seed(conn, tmp_path / "sample" / "reference")
    registered = register(conn, tmp_path / "sample" / "export.json", StrataHome(tmp_path / "home").ensure())
    versions = [
        v
        for (v,) in conn.execute(
            "SELECT version FROM loader_file_layer WHERE file_id = %s ORDER BY version", (registered.id,)
        )
    ]
    conn.commit()
    return Layers(conn, versions)


class _RolledBack(Exception):
    def __init__(self, state: dict, tables: dict[str, TableCounts]) -> None:
        self.state, self.tables = state, tables


def _full_load_rolled_back(layers: Layers, n: int, folder: Path) -> _RolledBack:
    """What loading every row of the layer gives (state and counts), then rolled back."""

    def capture(conn: psycopg.Connection, result: LoadResult) -> None:
        raise _RolledBack(table_state(conn), dict(result.tables))

    (folder / "chain.json").rename(folder / "chain.hidden")  # no chain: every row copied
    try:
        with pytest.raises(_RolledBack) as caught:
            layers.load(n, after_load=capture)
    finally:
        (folder / "chain.hidden").rename(folder / "chain.json")
    return caught.value


def _stage_rows(conn: psycopg.Connection, result: LoadResult) -> None:
    for table in TABLES:
        result.tables[f"copied {table}"] = TableCounts(
            int(one_row(conn, f"SELECT count(*) FROM stage_{table}")[0]), 0, 0
        )


def test_a_held_chain_copies_only_the_staged_rows_and_ends_as_a_full_load(layers: Layers) -> None:
    first = layers.validate(0)
    chain = [write_chain(first)]
    assert not layers.load(0).chain_held
    previous = first
    for n in (1, 2):  # a chain of one earlier load, then of two
        folder = layers.validate(n)
        chain.append(write_chain(folder, after=list(chain)))
        left_out = write_staged(folder, previous)
        assert left_out > 0
        full = _full_load_rolled_back(layers, n, folder)
        assert layers.loads() == n  # the rolled-back load left no loader_load row
        held = layers.load(n, after_load=_stage_rows)
        assert (held.chain_held, held.rows_left_out) == (True, left_out), held.chain
        copied = {t: held.tables.pop(f"copied {t}").staged for t in TABLES}
        assert copied == {t: manifest(folder)[t]["staged"]["rows"] for t in TABLES}
        assert held.tables == full.tables  # staged counts every row, unchanged those left out
        assert table_state(layers.conn) == full.state
        assert layers.loads() == n + 1
        previous = folder


def _chain_of_one(layers: Layers) -> Path:
    """Layer 0 loaded; layer 1 validated, with a chain after it and its staged ranges."""
    first = layers.validate(0)
    base = write_chain(first)
    layers.load(0)
    second = layers.validate(1)
    write_chain(second, after=[base])
    assert write_staged(second, first) > 0
    return second


@pytest.mark.parametrize("edit", ["delete", "update"])
def test_a_manual_write_since_the_base_load_refuses_the_chain(layers: Layers, edit: str) -> None:
    folder = _chain_of_one(layers)
    sign = left_out_rows(folder, "sign")[0]["ext_id"]  # a row the ranges leave out
    query = "SELECT to_jsonb(s) - 'id' - 'report_id' FROM sign s WHERE ext_id = %s"
    (before,) = one_row(layers.conn, query, (sign,))
    if edit == "delete":
        layers.conn.execute("DELETE FROM sign WHERE ext_id = %s", (sign,))
    else:
        layers.conn.execute("UPDATE sign SET condition = 'edited by hand' WHERE ext_id = %s", (sign,))
    layers.conn.commit()
    result = layers.load(1)
    assert (result.chain_held, result.rows_left_out) == (False, 0)
    assert "manual" in result.chain
    (after,) = one_row(layers.conn, query, (sign,))
    if edit == "delete":
        assert after == before  # re-created, as a load of every row does
        history = (
            "SELECT operation, imported, report_id FROM sign_history WHERE ext_id = %s ORDER BY history_id"
        )
        operations = layers.conn.execute(history, (sign,)).fetchall()
        assert operations[-2:] == [("delete", False, None), ("insert", True, result.report_id)]
    else:
        assert after["condition"] == "edited by hand"  # a manual value upstream did not change stays


@pytest.mark.parametrize("between", ["another validation", "no chain.json"])
def test_a_load_outside_the_chain_refuses_it(layers: Layers, between: str) -> None:
    folder = _chain_of_one(layers)
    chain = read_chain(folder)
    assert layers.load(1).chain_held
    layers.validate(1)  # the same layer loaded again from another validation
    if between == "another validation":
        write_chain(folder)
    else:
        (folder / "chain.json").unlink()
    layers.load(1)
    third = layers.validate(2)
    write_chain(third, after=[str(chain.after[0]), str(chain.validation)])
    assert write_staged(third, folder) > 0
    result = layers.load(2)
    assert (result.chain_held, result.rows_left_out) == (False, 0)
    assert "other loads" in result.chain


def test_a_failed_load_leaves_no_loader_load_row_and_the_chain_intact(layers: Layers) -> None:
    _chain_of_one(layers)

    def fail(conn: psycopg.Connection, result: LoadResult) -> None:
        raise TerminalError("the read model refresh failed")

    with pytest.raises(TerminalError):
        layers.load(1, after_load=fail)
    assert layers.loads() == 1
    assert layers.load(1).chain_held
    assert layers.loads() == 2


def _manual_writes(conn: psycopg.Connection) -> int:
    return int(one_row(conn, "SELECT count(*) FROM loader_manual_write")[0])


def test_the_manual_write_triggers_record_each_non_import_transaction_once(layers: Layers) -> None:
    conn = layers.conn
    seeded = _manual_writes(conn)  # `strata seed` writes passports too, and is no importer
    assert seeded == 1
    layers.validate(0)
    assert layers.load(0).key_checks == "set-based"  # the triggers fire ALWAYS: replica mode is kept
    assert _manual_writes(conn) == seeded  # the importer's writes are not manual
    conn.execute("UPDATE passport SET name = name || ' (edited)' WHERE id IN (SELECT min(id) FROM passport)")
    conn.execute("UPDATE sign SET condition = 'edited' WHERE id IN (SELECT min(id) FROM sign)")
    conn.execute("DELETE FROM maintenance_crew WHERE id IN (SELECT min(id) FROM maintenance_crew)")
    conn.commit()
    assert _manual_writes(conn) == seeded + 1
    conn.execute("UPDATE measurement SET value = value WHERE false")
    conn.rollback()
    assert _manual_writes(conn) == seeded + 1
    conn.execute(
        "INSERT INTO measurement OVERRIDING SYSTEM VALUE SELECT * FROM measurement WHERE false"
    )  # no row, still a writer
    conn.commit()
    assert _manual_writes(conn) == seeded + 2
    # a cascaded delete reaches the children's triggers: with the passport's own one off, they record it
    conn.execute("ALTER TABLE passport DISABLE TRIGGER passport_manual_write")
    conn.execute(
        "DELETE FROM passport WHERE id IN (SELECT min(passport_id) FROM maintenance m"
        " WHERE NOT EXISTS (SELECT FROM passport c WHERE c.parent_id = m.passport_id))"
    )
    assert _manual_writes(conn) == seeded + 3
    conn.rollback()
    conn.execute("SELECT strata_track_history(t) FROM unnest(ARRAY['passport', 'sign']::regclass[]) t")
    triggers = conn.execute(
        "SELECT tgrelid::regclass::text, tgenabled FROM pg_trigger WHERE tgname LIKE '%%manual_write' ORDER BY 1"
    ).fetchall()
    assert triggers == [
        (t, "A") for t in sorted(("passport", "maintenance", "maintenance_crew", "measurement", "sign"))
    ]


def _blocks(rows: TableRows) -> Iterator[bytes]:
    return rows.blocks(4)


def test_staged_ranges_are_read_as_written_and_refused_when_wrong(tmp_path: Path) -> None:
    csv = tmp_path / "t.csv"
    csv.write_bytes(b"a,1\r\nb,2\r\nc,3\r\n")
    assert read_chain(tmp_path).validation is None  # no chain.json: no id, nothing left out
    assert b"".join(_blocks(TableRows(csv, 3, array("Q", [0, 5, 10, 15]), 2))) == b"a,1\r\nc,3\r\n"
    for wrong in ([5, 10, 0, 5], [10, 16]):
        with pytest.raises(TerminalError, match="out of order or past the end"):
            b"".join(_blocks(TableRows(csv, 3, array("Q", wrong), 1)))
    with pytest.raises(TerminalError, match="promises"):
        TableRows(csv, 3, array("Q", [0, 5]), 2).counted(1)
