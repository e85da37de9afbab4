"""The drop-folder sensor and the registration run, ticked and run by hand (build_sensor_context)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import orjson
import pytest
from dagster import DagsterEventType, DagsterInstance, SkipReason

from assets.partitions import LAYERS
from pipelines.intake.drop_folder import DropCursor, stamp
from resources.database import DatabaseResource
from resources.intake import DropFolderResource
from tests.support.intake_helpers import export_doc, leftovers, report, write_json
from tests.support.sensor_ticks import requested, run_registration, tick_drop

LAYERS_17 = {
    "2017-11": [report("P-1"), report("P-2")],
    "2017-12": [report("P-3")],
    "2018-01": [report("P-4")],
}


@pytest.fixture
def resources(db_url: str, tmp_path: Path) -> dict:
    return {
        "database": DatabaseResource(database_url=db_url, strata_home=str(tmp_path / "home")),
        "drop_folder": DropFolderResource(path=str(tmp_path / "drop"), settle_seconds=0),
    }


def _drop(tmp_path: Path, name: str, doc: dict | bytes) -> Path:
    (tmp_path / "drop").mkdir(exist_ok=True)
    return write_json(tmp_path / "drop" / name, doc)


def test_a_tick_only_notices_and_the_registration_run_registers(resources, tmp_path) -> None:
    export = _drop(tmp_path, "export-1.json", export_doc(LAYERS_17))
    home = resources["database"].settings().home
    with DagsterInstance.ephemeral() as instance:
        first = tick_drop(resources, None, instance)
        [(job, partition, run_key)] = requested(first)
        assert partition is None and run_key and run_key.startswith("register:export-1.json:")
        assert first.run_requests[0].run_config == {
            "ops": {"registered_export": {"config": {"path": str(export)}}}
        }
        # nothing was read, copied or registered by the tick
        assert leftovers(home) == [] and instance.get_dynamic_partitions(LAYERS) == []
        with resources["database"].connect() as conn:
            assert conn.execute("SELECT count(*) FROM loader_file").fetchone() == (0,)
        assert isinstance(tick_drop(resources, first.cursor, instance), SkipReason)

        run = run_registration(resources, export, instance)
        assert run.success
        [materialization] = run.asset_materializations_for_node("registered_export")
        meta = {k: v.value for k, v in materialization.metadata.items()}
        assert meta["file"] == "export-1.json" and meta["size_bytes"] == export.stat().st_size
        assert meta["layers"] == 3 and meta["versions"] == "2017-11 … 2018-01"
        assert meta["new_or_changed"] == "2017-11, 2017-12, 2018-01" and meta["refused"] == "none"
        assert isinstance(meta["seconds"], float)
        # the layers that exist are the partitions, whatever their year
        assert instance.get_dynamic_partitions(LAYERS) == ["2017-11", "2017-12", "2018-01"]

        # the same bytes under another name: the run logs a duplicate and materializes nothing
        copy = _drop(tmp_path, "export-1-copy.json", export.read_bytes())
        again = run_registration(resources, copy, instance)
        assert again.success and again.asset_materializations_for_node("registered_export") == []
        logged = [e.message for e in again.all_events if e.event_type == DagsterEventType.ASSET_OBSERVATION]
        assert logged and "export-1-copy.json" in str(again.asset_observations_for_node("registered_export"))
    with resources["database"].connect() as conn:
        assert conn.execute("SELECT count(*) FROM loader_file").fetchone() == (1,)


def test_the_tick_needs_no_database_and_does_not_read_the_file(tmp_path) -> None:
    """An unreachable database and a file the tick could not even parse: it still only notices."""
    _drop(tmp_path, "broken.json", b"{not json")
    resources = {
        "database": DatabaseResource(
            database_url="postgresql://nobody@127.0.0.1:9/none", strata_home=str(tmp_path / "home")
        ),
        "drop_folder": DropFolderResource(path=str(tmp_path / "drop"), settle_seconds=0),
    }
    result = tick_drop(resources)
    assert [partition for _, partition, _ in requested(result)] == [None]


def test_a_bad_file_fails_its_registration_run_clearly_and_is_not_asked_for_again(
    resources, tmp_path
) -> None:
    broken = _drop(tmp_path, "broken.json", orjson.dumps(export_doc(LAYERS_17))[:40])
    with DagsterInstance.ephemeral() as instance:
        first = tick_drop(resources, None, instance)
        run = run_registration(resources, broken, instance)
        assert not run.success
        [failure] = run.get_step_failure_events()
        assert "broken.json: byte 40" in failure.event_specific_data.error.message
        assert isinstance(tick_drop(resources, first.cursor, instance), SkipReason)


def test_a_file_still_growing_waits_for_a_later_tick(resources, tmp_path) -> None:
    export = _drop(tmp_path, "export.json", export_doc(LAYERS_17))
    settling = dict(resources, drop_folder=DropFolderResource(path=str(tmp_path / "drop"), settle_seconds=60))
    assert isinstance(tick_drop(settling), SkipReason)
    old = time.time() - 120
    os.utime(export, (old, old))
    assert len(requested(tick_drop(settling))) == 1


def test_tick_time_does_not_grow_with_the_file(resources, tmp_path, capsys) -> None:
    """Measured, not asserted (shared machines are noisy): the tick stats the file, never reads it.

    What is asserted is the cause: the large file is never opened (its content would not even parse)."""
    small = _drop(tmp_path, "small.json", export_doc(LAYERS_17))
    large = tmp_path / "drop" / "large.json"
    with open(large, "wb") as handle:  # 512 MiB of real bytes
        block = os.urandom(1 << 20)
        for _ in range(512):
            handle.write(block)
    timings = {}
    for path in (small, large):
        cursor = DropCursor(seen={p.name: stamp(p) for p in (small, large) if p != path}).dump()
        started = time.perf_counter()
        result = tick_drop(resources, cursor)
        timings[path.name] = time.perf_counter() - started
        assert len(requested(result)) == 1
    with capsys.disabled():
        print(
            f"\ndrop-sensor tick: {small.stat().st_size:,} B in {timings['small.json'] * 1000:.1f} ms, "
            f"{large.stat().st_size:,} B in {timings['large.json'] * 1000:.1f} ms"
        )
