"""The drop-folder sensor, ticked by hand with build_sensor_context."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from dagster import SkipReason, build_sensor_context

from assets.intake_sensor import export_drop_sensor
from pipelines.intake.registered_layers import newest_layer
from resources.database import DatabaseResource
from resources.intake import DropFolderResource
from tests.support.intake_helpers import export_doc, report, write_json

LAYERS = {"2026-01": [report("P-1"), report("P-2")], "2026-02": [report("P-3")]}


@pytest.fixture
def resources(db_url: str, tmp_path: Path) -> dict:
    return {
        "database": DatabaseResource(database_url=db_url, strata_home=str(tmp_path / "home")),
        "drop_folder": DropFolderResource(path=str(tmp_path / "drop"), settle_seconds=0),
    }


def _tick(resources: dict, cursor: str | None = None):
    with build_sensor_context(cursor=cursor, resources=resources) as context:
        return export_drop_sensor(context), context


def _requested(result) -> list[tuple[str, str]]:
    return [(r.partition_key, r.run_key) for r in result.run_requests]


def _mark_loaded(resources: dict, version: str) -> None:
    with resources["database"].connect() as conn:
        layer = newest_layer(conn, version)
        conn.execute(
            "INSERT INTO loader_report (version, status, content_sha256, loaded_at) "
            "VALUES (%s, 'loaded', %s, now())",
            (version, layer.sha256),
        )


def test_new_files_register_once_and_only_new_or_changed_layers_run(resources, tmp_path, capfd) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    write_json(drop / "export-1.json", export_doc(LAYERS))
    first, _ = _tick(resources)
    assert [key for key, _ in _requested(first)] == ["2026-01", "2026-02"]

    again, _ = _tick(resources, first.cursor)
    assert isinstance(again, SkipReason)

    for version in LAYERS:
        _mark_loaded(resources, version)
    changed = dict(LAYERS, **{"2026-02": [report("P-3", name="Bridge renamed")], "2026-03": [report("P-4")]})
    write_json(drop / "export-2.json", export_doc(changed))
    second, _ = _tick(resources, first.cursor)
    assert [key for key, _ in _requested(second)] == ["2026-02", "2026-03"]
    assert len(set(_requested(first) + _requested(second))) == 4  # run keys differ per content

    (drop / "export-2-copy.json").write_bytes((drop / "export-2.json").read_bytes())
    capfd.readouterr()
    duplicate, _ = _tick(resources, second.cursor)
    assert _requested(duplicate) == []
    logged = capfd.readouterr().err  # Dagster's sensor log goes to stderr
    assert "WARNING - duplicate: export-2-copy.json" in logged and "file 2 (export-2.json)" in logged
    with resources["database"].connect() as conn:
        assert conn.execute("SELECT count(*) FROM loader_file").fetchone() == (2,)


def test_a_bad_file_is_logged_not_registered_and_not_retried(resources, tmp_path, capfd) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    write_json(drop / "broken.json", orjson.dumps(export_doc(LAYERS))[:40])
    result, _ = _tick(resources)
    assert _requested(result) == [] and "refused: broken.json: byte 40" in capfd.readouterr().err
    assert isinstance(_tick(resources, result.cursor)[0], SkipReason)
