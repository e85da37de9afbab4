"""Rows marked unchanged by the validation worker's chain are exactly rows a full load leaves alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import psycopg
import pytest

from pipelines.contract.declarations import ENTITIES, LINKS
from pipelines.core.settings import StrataHome
from pipelines.load.transaction import load_layer
from pipelines.sample.export import write_sample
from pipelines.seed.seeding import seed
from pipelines.validation import import_chain
from pipelines.validation.import_chain import CLAIM, ImportChain
from pipelines.validation.registered import mapped_dir, registered_layer, validate_registered
from tests.support.load_checks import assert_final_state, load_export
from tests.support.mapped_rows import mapped_rows


@pytest.fixture
def chain() -> Iterator[ImportChain]:
    started = import_chain.start_chain()
    yield started
    import_chain.stop_chain()


def _registered(conn: psycopg.Connection, tmp_path: Path, layers: int) -> tuple[list[str], dict]:
    home = StrataHome(tmp_path / "home").ensure()
    expected = write_sample(tmp_path / "sample", seed=5, passports=150, layers=layers)
    seed(conn, tmp_path / "sample" / "reference")
    load_export(conn, tmp_path / "sample" / "export.json", home, through="0000-00")  # registers only
    conn.commit()
    return [layer["version"] for layer in expected["layers"]], expected


def _written_by(conn: psycopg.Connection, table: str, version: str) -> set[str]:
    return {
        ext
        for (ext,) in conn.execute(
            f"SELECT t.ext_id FROM {table} t JOIN loader_report r ON r.id = t.report_id WHERE r.version = %s",
            (version,),
        )
    }


def _crews(conn: psycopg.Connection, maintenance: set[str]) -> dict[str, list[int]]:
    return dict(
        conn.execute(
            "SELECT m.ext_id, array_agg(c.profile_id ORDER BY c.profile_id) FROM maintenance m "
            "JOIN maintenance_crew c ON c.maintenance_id = m.id WHERE m.ext_id = ANY(%s) GROUP BY m.ext_id",
            (list(maintenance),),
        ).fetchall()
    )


def test_the_rows_left_out_are_rows_the_full_load_does_not_write(conn, tmp_path, chain) -> None:
    """Every layer validated in the chain, each loaded whole (every row staged, as without a chain):
    a row the chain left out was never written by its layer's load, and a left-out record's
    children are left out with it. The chain leaves rows out from the second layer on."""
    versions, expected = _registered(conn, tmp_path, layers=4)
    left_out_total = 0
    for n, version in enumerate(versions):
        layer = registered_layer(conn, version)
        assert validate_registered(conn, layer).valid
        conn.commit()
        folder = mapped_dir(layer)
        claim = orjson.loads((folder / CLAIM).read_bytes())
        assert claim["after"] == (chain.after[:n] if n and claim["after"] else [])
        left_out: dict[str, set[str]] = {}
        staged_rows = {
            entity.table: mapped_rows(folder, entity.table, only_staged=True) for entity in ENTITIES
        }
        for entity in ENTITIES:
            every = {row[0] for row in mapped_rows(folder, entity.table, only_staged=False)}
            staged = {row[0] for row in staged_rows[entity.table]}
            assert staged <= every
            left_out[entity.table] = every - staged
            if entity.enclosing is not None:  # a staged child finds its parent staged
                at = entity.columns.index(entity.enclosing.column)
                parents = {row[0] for row in staged_rows[entity.enclosing.entity]}
                assert {row[at] for row in staged_rows[entity.table]} <= parents, (version, entity.table)
        for link in LINKS:  # a link row goes with its owner
            owners = {row[0] for row in mapped_rows(folder, link.table, only_staged=True)}
            every_owner = {row[0] for row in mapped_rows(folder, link.table, only_staged=False)}
            assert (every_owner - owners) <= left_out["maintenance"]
        crews_before = _crews(conn, left_out["maintenance"])
        conn.rollback()
        load_layer(conn, version)  # the whole files, whatever the claim: what a load without a chain does
        assert _crews(conn, left_out["maintenance"]) == crews_before, version
        for table, rows in left_out.items():
            assert not rows & _written_by(conn, table, version), (version, table)
            left_out_total += len(rows)
        if n == 0:
            assert not any(left_out.values()), "the first layer of a chain compares with nothing"
    assert left_out_total > 0
    assert_final_state(conn, expected)


def test_an_invalid_layer_breaks_the_chain(conn, tmp_path, chain) -> None:
    """The layer after an invalid one compares with nothing: the invalid one will not load first."""
    versions, _ = _registered(conn, tmp_path, layers=3)
    first = registered_layer(conn, versions[0])
    assert validate_registered(conn, first).valid
    assert chain.after
    chain_before = list(chain.after)
    spool = registered_layer(conn, versions[1]).spool_path
    spool.write_text(spool.read_text() + "not json\n")  # the second layer is now invalid
    assert not validate_registered(conn, registered_layer(conn, versions[1])).valid
    assert chain.after == [] and chain_before
    third = registered_layer(conn, versions[2])
    assert validate_registered(conn, third).valid
    claim = orjson.loads((mapped_dir(third) / CLAIM).read_bytes())
    assert claim["after"] == []
    assert not list(mapped_dir(third).glob("*.staged"))
