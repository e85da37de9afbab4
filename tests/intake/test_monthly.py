"""The monthly run: the next export holds every earlier layer again plus one new layer.

Layers registered already with the same content are recognized while the file streams (their
content digest matches a registered copy) and nothing is written for them: no spool, no mapped
rows, nothing loaded again; the new layer is split, validated and loaded as always. A changed
older layer is written and registered, and refused, exactly as before. A 7z of the same export,
streamed, recognizes the same layers.
"""

from __future__ import annotations

import builtins
from pathlib import Path

import psycopg
import pytest

from pipelines.core.settings import StrataHome
from pipelines.db.connection import connect, one_row
from pipelines.intake import spool_writer
from pipelines.intake.housekeeping import tidy_spools
from pipelines.intake.registered_layers import layers_to_load
from pipelines.intake.registration import register
from pipelines.load.plan import LayerStatus, layer_plan
from pipelines.load.transaction import load_layer
from pipelines.seed.seeding import seed
from pipelines.validation.registered import registered_layer, validate_registered
from tests.support.intake_helpers import write_7z
from tests.support.load_checks import assert_final_state
from tests.support.month_helpers import load_month, monthly_exports
from tests.support.monthly_exports import corrected


@pytest.fixture
def months(conn: psycopg.Connection, tmp_path: Path) -> tuple[list[Path], dict]:
    exports, expected = monthly_exports(tmp_path / "portal", 3, passports=80, seed=6)
    seed(conn, tmp_path / "portal" / "sample" / "reference")
    conn.commit()
    return exports, expected


@pytest.fixture
def home(tmp_path: Path) -> StrataHome:
    return StrataHome(tmp_path / "home").ensure()


class WrittenFiles:
    """Every file the split opens for writing, by name."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.names: list[str] = []
        monkeypatch.setattr(spool_writer, "open", self.open, raising=False)

    def open(self, file, mode="r", *args, **kwargs):
        if "w" in mode:
            self.names.append(Path(file).name)
        return builtins.open(file, mode, *args, **kwargs)


def copies(conn: psycopg.Connection, file_id: int) -> dict[str, str]:
    rows = conn.execute(
        "SELECT version, spool_path FROM loader_file_layer WHERE file_id = %s ORDER BY version", (file_id,)
    )
    return dict(rows.fetchall())


def loaded_at(conn: psycopg.Connection) -> dict[str, object]:
    return dict(conn.execute("SELECT version, loaded_at FROM loader_report ORDER BY version").fetchall())


def test_identical_old_layers_write_nothing_and_only_the_new_layer_loads(
    conn: psycopg.Connection,
    db_url: str,
    months: tuple[list[Path], dict],
    home: StrataHome,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    exports, expected = months
    load_month(conn, db_url, exports[0], home)
    load_month(conn, db_url, exports[1], home)
    before = loaded_at(conn)
    written = WrittenFiles(monkeypatch)
    third = register(conn, exports[2], home)
    conn.commit()
    # the split opened one spool: the new layer's (named by number until its version is known);
    # the two earlier layers were only hashed
    assert written.names == ["layer-00003.jsonl.part"]
    assert sorted(p.name for p in (home.spool / third.sha256).iterdir()) == ["2026-03.jsonl", "manifest.json"]
    first, second = (one_row(conn, "SELECT sha256 FROM loader_file WHERE id = %s", (i,))[0] for i in (1, 2))
    assert copies(conn, third.id) == {
        "2026-01": str(home.spool / first / "2026-01.jsonl"),
        "2026-02": str(home.spool / second / "2026-02.jsonl"),
        "2026-03": str(home.spool / third.sha256 / "2026-03.jsonl"),
    }
    assert layers_to_load(conn, third.id) == [("2026-03", copies_sha(conn, third.id, "2026-03"))]
    conn.commit()
    # housekeeping keeps the copies the newest registration refers to: raw_layer reads them
    assert tidy_spools(conn, home).layer_copies == []
    assert all(Path(p).is_file() for p in copies(conn, third.id).values())
    load_month(conn, db_url, exports[2], home)
    after = loaded_at(conn)
    assert {v: after[v] for v in ("2026-01", "2026-02")} == before  # nothing loaded again
    assert after["2026-03"] is not None
    assert_final_state(conn, expected)
    # an old layer can still be validated again from its one copy (raw_layer re-materialized)
    assert validate_registered(conn, registered_layer(conn, "2026-01")).valid


def copies_sha(conn: psycopg.Connection, file_id: int, version: str) -> str:
    query = "SELECT sha256 FROM loader_file_layer WHERE file_id = %s AND version = %s"
    return str(one_row(conn, query, (file_id, version))[0])


def test_layers_spooled_but_not_loaded_are_reused_and_validate_the_new_one(
    conn: psycopg.Connection, db_url: str, months: tuple[list[Path], dict], home: StrataHome
) -> None:
    """Export 2 arrives before export 1's layers load: its copies of them are export 1's, and the
    new layer's parents in those unloaded layers are found there (their newest copies)."""
    exports, expected = months
    register(conn, exports[1], home)
    conn.commit()
    third = register(conn, exports[2], home)
    conn.commit()
    assert sorted(p.name for p in (home.spool / third.sha256).iterdir()) == ["2026-03.jsonl", "manifest.json"]
    for version in ("2026-01", "2026-02", "2026-03"):
        assert validate_registered(conn, registered_layer(conn, version)).valid
        conn.commit()
    for version in ("2026-01", "2026-02", "2026-03"):
        load_layer(conn, version)
    assert_final_state(conn, expected)


def test_a_changed_older_layer_is_written_and_refused_as_before(
    conn: psycopg.Connection, db_url: str, months: tuple[list[Path], dict], home: StrataHome, tmp_path: Path
) -> None:
    exports, expected = months
    for export in exports:
        load_month(conn, db_url, export, home)
    fixed = register(conn, corrected(exports[2], "2026-01", tmp_path / "corrected.json"), home)
    conn.commit()
    # the changed layer has its own spool (a second pass wrote it); the unchanged ones have none
    assert sorted(p.name for p in (home.spool / fixed.sha256).iterdir()) == ["2026-01.jsonl", "manifest.json"]
    spool = home.spool / fixed.sha256 / "2026-01.jsonl"
    assert b"(corrected)" in spool.read_bytes()
    assert copies_sha(conn, fixed.id, "2026-01") != copies_sha(conn, 1, "2026-01")
    [refused] = layer_plan(conn).refused
    assert refused.version == "2026-01" and refused.status is LayerStatus.REFUSED
    assert "2026-03 is loaded already" in refused.reason
    assert_final_state(conn, expected)  # nothing of the correction was written


def test_a_corrected_last_layer_is_written_and_loads(
    conn: psycopg.Connection, db_url: str, months: tuple[list[Path], dict], home: StrataHome, tmp_path: Path
) -> None:
    exports, _ = months
    load_month(conn, db_url, exports[0], home)
    load_month(conn, db_url, exports[1], home)
    fixed = corrected(exports[1], "2026-02", tmp_path / "corrected.json")
    load_month(conn, db_url, fixed, home)
    name = conn.execute("SELECT name FROM passport WHERE name LIKE %s", ("%(corrected)",)).fetchall()
    assert len(name) == 1


def test_a_7z_of_the_next_export_recognizes_the_same_layers(
    conn: psycopg.Connection, db_url: str, months: tuple[list[Path], dict], home: StrataHome, tmp_path: Path
) -> None:
    exports, expected = months
    load_month(conn, db_url, exports[0], home)
    load_month(conn, db_url, exports[1], home)
    packed = write_7z(tmp_path / "export-2026-03.7z", {"export.json": exports[2].read_bytes()})
    third = register(conn, packed, home)
    conn.commit()
    assert sorted(p.name for p in (home.spool / third.sha256).iterdir()) == ["2026-03.jsonl", "manifest.json"]
    load_month(conn, db_url, packed, home)
    assert_final_state(conn, expected)
    with connect(db_url) as other:
        assert [v for v, _ in layers_to_load(other, third.id)] == []


def test_a_home_reached_through_a_symlink_still_recognizes_its_layers(
    conn: psycopg.Connection, db_url: str, months: tuple[list[Path], dict], tmp_path: Path
) -> None:
    """STRATA_HOME is often a link to a data disk: one registration made through the link, the
    next through the real path (Settings resolves it), and the known layers are still known."""
    exports, _ = months
    real = StrataHome(tmp_path / "disk" / "home").ensure()
    (tmp_path / "link").symlink_to(tmp_path / "disk")
    linked = StrataHome(tmp_path / "link" / "home")
    load_month(conn, db_url, exports[0], linked)
    second = register(conn, exports[1], real)
    conn.commit()
    assert sorted(p.name for p in (real.spool / second.sha256).iterdir()) == [
        "2026-02.jsonl",
        "manifest.json",
    ]
