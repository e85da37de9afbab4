"""Foreign keys checked set-based during a load: gaps refused, parents locked, fallbacks honest."""

from __future__ import annotations

import csv
from pathlib import Path

import orjson
import psycopg
import pytest
from psycopg import sql

from pipelines.contract.declarations import ENTITIES
from pipelines.core.settings import StrataHome
from pipelines.db.connection import one_row
from pipelines.db.counts import table_counts
from pipelines.load import statements
from pipelines.load.key_checks import MissingParent, plan_key_checks
from pipelines.load.transaction import LoadResult, load_layer
from pipelines.sample.export import write_sample
from pipelines.seed.seeding import seed
from pipelines.validation.registered import registered_layer, validate_registered
from tests.support.load_checks import IMPORTED, load_export


@pytest.fixture
def first_layer(tmp_path: Path, conn: psycopg.Connection) -> str:
    """A sample export registered and its first layer validated, nothing loaded."""
    write_sample(tmp_path / "sample", seed=11, passports=120, layers=2)
    seed(conn, tmp_path / "sample" / "reference")
    home = StrataHome(tmp_path / "home").ensure()
    load_export(conn, tmp_path / "sample" / "export.json", home, through="0000-00")  # registers only
    version = one_row(conn, "SELECT min(version) FROM loader_file_layer")[0]
    assert validate_registered(conn, registered_layer(conn, version)).valid
    conn.commit()
    return version


def _used(folder: Path, table: str, column: str) -> set[int]:
    """The ids a validated layer's mapped ``table`` rows hold in ``column``."""
    manifest = orjson.loads((folder / "manifest.json").read_bytes())[table]
    at = manifest["columns"].index(column)
    with open(folder / manifest["file"], newline="") as f:
        return {int(row[at]) for row in csv.reader(f) if row[at]}


PROFILE_KEYS = (
    ("passport", "inspector_id"),
    ("maintenance", "performed_by_id"),
    ("maintenance_crew", "profile_id"),
)


def _deletable_profile(
    conn: psycopg.Connection, version: str, table: str = "passport", column: str = "inspector_id"
) -> int:
    """A profile the validated layer names in ``table.column`` only, that nothing refers to yet."""
    folder = Path(one_row(conn, "SELECT mapped_path FROM loader_report WHERE version = %s", (version,))[0])
    elsewhere = set().union(*(_used(folder, t, c) for t, c in PROFILE_KEYS if (t, c) != (table, column)))
    used = sorted(_used(folder, table, column) - elsewhere)
    for candidate in used:
        try:
            with conn.transaction():
                conn.execute("DELETE FROM profile WHERE id = %s", (candidate,))
                raise _TryOnly
        except psycopg.errors.ForeignKeyViolation:
            continue
        except _TryOnly:
            conn.commit()
            return candidate
    raise AssertionError(
        f"every profile the layer names in {table}.{column} only ({len(used)}) is referenced already"
    )


class _TryOnly(Exception):
    """Rolls back a trial delete."""


@pytest.mark.parametrize(
    ("table", "column"), [("passport", "inspector_id"), ("maintenance_crew", "profile_id")]
)
def test_a_parent_deleted_after_validation_is_refused_by_name(conn, first_layer, table, column) -> None:
    """An entity's written rows and a link table's added rows (the crew) are both checked."""
    profile = _deletable_profile(conn, first_layer, table, column)
    conn.execute("DELETE FROM profile WHERE id = %s", (profile,))
    conn.commit()
    before = table_counts(conn, IMPORTED)
    conn.commit()
    with pytest.raises(MissingParent, match=rf"{table}\.{column} -> profile\.id = {profile} refers to a row"):
        load_layer(conn, first_layer)
    assert table_counts(conn, IMPORTED) == before
    count = sql.SQL("SELECT count(*) FROM {} WHERE {} = %s").format(
        sql.Identifier(table), sql.Identifier(column)
    )
    assert one_row(conn, count, (profile,)) == (0,)


def test_the_load_locks_the_parents_it_refers_to_until_it_commits(conn, db_url, first_layer) -> None:
    inspector = _deletable_profile(conn, first_layer)
    attempts: list[str] = []
    conn.commit()

    def analyst_deletes_the_parent(_conn: psycopg.Connection, _result: object) -> None:
        with psycopg.connect(db_url, autocommit=True) as analyst:
            analyst.execute("SET lock_timeout = '300ms'")
            try:
                analyst.execute("DELETE FROM profile WHERE id = %s", (inspector,))
                attempts.append("deleted")
            except psycopg.errors.LockNotAvailable:
                attempts.append("blocked")

    result = load_layer(conn, first_layer, after_load=analyst_deletes_the_parent)
    assert result.key_checks == "set-based" and result.parents_locked > 0
    assert attempts == ["blocked"]
    assert (
        conn.execute("SELECT count(*) FROM passport WHERE inspector_id = %s", (inspector,)).fetchone()[0] > 0
    )
    assert conn.execute("SELECT count(*) FROM profile WHERE id = %s", (inspector,)).fetchone() == (1,)


def test_a_trigger_replica_mode_would_skip_makes_the_load_check_row_by_row(conn, first_layer) -> None:
    conn.execute("""CREATE TABLE seen (n bigint);
        CREATE FUNCTION count_rows() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN INSERT INTO seen SELECT count(*) FROM new_rows; RETURN NULL; END $$;
        CREATE TRIGGER someone_elses AFTER INSERT ON passport REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION count_rows()""")
    conn.commit()
    result = load_layer(conn, first_layer)
    assert result.key_checks.startswith("row by row") and "passport.someone_elses" in result.key_checks
    assert conn.execute("SELECT sum(n) FROM seen").fetchone()[0] == result.tables["passport"].created > 0


def test_a_role_that_may_not_set_replica_mode_gets_the_row_by_row_checks(conn, server_url, db_url) -> None:
    conn.execute(
        "DO $$ BEGIN CREATE ROLE strata_plain LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$"
    )
    conn.commit()
    with psycopg.connect(db_url, user="strata_plain") as plain:
        plan = plan_key_checks(plain, statements.written_rows(ENTITIES))
    assert not plan.replica and "session_replication_role" in plan.reason
    with conn.transaction():
        assert plan_key_checks(conn, statements.written_rows(ENTITIES)).replica  # the superuser may


def test_the_key_checks_read_every_row_the_load_wrote(conn, first_layer) -> None:
    """What the checks read (``written_<table>``, filled by the writes themselves) is exactly what
    the load inserted and updated, links added: a write that left its rows out would go unchecked."""
    load_layer(conn, first_layer)
    second = one_row(conn, "SELECT min(version) FROM loader_file_layer WHERE version > %s", (first_layer,))[0]
    assert validate_registered(conn, registered_layer(conn, second)).valid
    conn.commit()
    seen: dict[str, tuple[int, int]] = {}

    def count_written(c: psycopg.Connection, result: LoadResult) -> None:
        for table, counts in result.tables.items():
            written = sql.SQL("SELECT count(*), count(DISTINCT id) FROM {}").format(
                statements.written_of(table)
            )
            seen[table] = one_row(c, written)
            assert seen[table] == (counts.created + counts.updated,) * 2, table

    result = load_layer(conn, second, after_load=count_written)
    assert set(seen) == {e.table for e in ENTITIES} | {link.table for e in ENTITIES for link in e.links}
    assert (
        sum(c.updated for c in result.tables.values()) > 0
        and sum(c.created for c in result.tables.values()) > 0
    )
