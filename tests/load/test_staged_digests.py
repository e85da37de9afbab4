"""The digests the worker writes are PostgreSQL's, row for row; files without them are refused.

Databases hold import_digest values PostgreSQL computed as ``md5(ROW(<data columns>)::text)::uuid``
over the raw staging row; the worker now computes them (pipelines.contract.row_digest). Here every
mapped row of the sample export's layers is COPYed into a raw table of the staging types, as the
load does, and PostgreSQL's digest of it is compared with the one the worker wrote.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
import psycopg
import pytest
from psycopg import sql

from pipelines.contract.declarations import ENTITIES
from pipelines.contract.row_digest import DIGEST_COLUMN, data_columns, read_stage_types
from pipelines.core.exceptions import TerminalError
from pipelines.core.settings import StrataHome
from pipelines.db.connection import one_row
from pipelines.db.counts import table_counts
from pipelines.load.transaction import load_layer
from pipelines.sample.export import write_sample
from pipelines.seed.seeding import seed
from pipelines.validation.registered import registered_layer, validate_registered
from tests.support.load_checks import IMPORTED, load_export

COMPARE = """
SELECT count(*), count(*) FILTER (WHERE r.digest IS DISTINCT FROM md5(ROW({data})::text)::uuid),
       min(ROW({data})::text) FILTER (WHERE r.digest IS DISTINCT FROM md5(ROW({data})::text)::uuid)
FROM {raw} r"""


@pytest.fixture
def loaded(tmp_path: Path, conn: psycopg.Connection) -> list[Path]:
    """The sample export validated and loaded layer by layer; each layer's mapped-rows folder."""
    write_sample(tmp_path / "sample", seed=5, passports=150, layers=4)
    seed(conn, tmp_path / "sample" / "reference")
    load_export(conn, tmp_path / "sample" / "export.json", StrataHome(tmp_path / "home").ensure())
    conn.commit()
    return [Path(p) for (p,) in conn.execute("SELECT mapped_path FROM loader_report ORDER BY version")]


def _manifest(folder: Path) -> dict:
    return orjson.loads((folder / "manifest.json").read_bytes())


def test_every_staged_digest_is_the_one_postgresql_computes(conn: psycopg.Connection, loaded) -> None:
    compared = dict.fromkeys((e.table for e in ENTITIES), 0)
    for folder in loaded:
        manifest = _manifest(folder)
        for entity in ENTITIES:
            raw = sql.Identifier(f"check_{entity.table}")
            types = read_stage_types(conn, entity) | {DIGEST_COLUMN: "uuid"}
            columns = manifest[entity.table]["columns"]
            assert columns == [*entity.columns, DIGEST_COLUMN]
            definitions = sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(types[c])) for c in columns
            )
            conn.execute(sql.SQL("CREATE TEMP TABLE {} ({}) ON COMMIT DROP").format(raw, definitions))
            copy_into = sql.SQL("COPY {} FROM STDIN (FORMAT csv)").format(raw)
            with conn.cursor().copy(copy_into) as copy:
                copy.write((folder / manifest[entity.table]["file"]).read_bytes())
            data = sql.SQL(", ").join(sql.Identifier("r", c) for c in data_columns(entity))
            rows, wrong, example = one_row(conn, sql.SQL(COMPARE).format(data=data, raw=raw))
            assert (entity.table, wrong, example) == (entity.table, 0, None)
            assert rows == manifest[entity.table]["rows"]
            compared[entity.table] += rows
        conn.rollback()
    assert min(compared.values()) > 0, compared


def _rewrite(folder: Path, table: str, change: Callable[[dict], object]) -> None:
    manifest = _manifest(folder)
    change(manifest[table])
    (folder / "manifest.json").write_bytes(orjson.dumps(manifest))


def _older_release(entry: dict) -> None:
    """The manifest an older release wrote: no digest column, no digest types."""
    entry["columns"].remove(DIGEST_COLUMN)
    del entry["digest_types"]


def _validated_last_layer(conn: psycopg.Connection, loaded: list[Path]) -> tuple[str, Path]:
    version = one_row(conn, "SELECT max(version) FROM loader_report")[0]
    assert validate_registered(conn, registered_layer(conn, version)).valid
    conn.commit()
    return version, loaded[-1]


def test_a_layer_validated_by_an_older_release_is_refused(conn: psycopg.Connection, loaded) -> None:
    version, folder = _validated_last_layer(conn, loaded)
    _rewrite(folder, "passport", _older_release)
    before = table_counts(conn, IMPORTED)
    conn.commit()
    with pytest.raises(
        TerminalError, match=r"older release, without the rows' digests\): validate the layer again"
    ):
        load_layer(conn, version)
    assert table_counts(conn, IMPORTED) == before


def test_digests_computed_for_other_column_types_are_refused(conn: psycopg.Connection, loaded) -> None:
    version, folder = _validated_last_layer(conn, loaded)
    _rewrite(folder, "maintenance", lambda entry: entry["digest_types"].__setitem__(-1, "numeric"))
    conn.commit()
    with pytest.raises(
        TerminalError, match=r"computed for the column types .*'numeric'\].*validate the layer again"
    ):
        load_layer(conn, version)
