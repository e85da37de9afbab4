"""The analyst's fix-up loop through Dagster: a failing check, create_profiles, a passing check."""

from __future__ import annotations

from pathlib import Path

from dagster import DagsterInstance, materialize

from assets.fixup_jobs import create_profiles_job
from assets.raw_layer import raw_layer
from pipelines.intake.registration import register
from resources.database import DatabaseResource
from tests.support.intake_helpers import export_doc, report, write_json


def _check_passed(database: DatabaseResource, instance: DagsterInstance) -> tuple[bool, dict]:
    result = materialize(
        [raw_layer],
        partition_key="2026-01",
        resources={"database": database},
        instance=instance,
        raise_on_error=False,
    )
    [check] = result.get_asset_check_evaluations()
    return check.passed, {k: v.value for k, v in check.metadata.items()}


def test_created_profiles_make_the_layer_pass(db_url: str, tmp_path: Path) -> None:
    database = DatabaseResource(database_url=db_url, strata_home=str(tmp_path / "home"))
    unknown = dict(report("P-1"), inspector="Quellmark Ivan Petrovich")
    with database.connect() as conn:
        conn.execute("INSERT INTO category (code, name) VALUES ('bridge', 'Bridge')")
        conn.commit()
        register(
            conn,
            write_json(tmp_path / "e.json", export_doc({"2026-01": [unknown]})),
            database.settings().home,
        )
    with DagsterInstance.ephemeral() as instance:
        passed, meta = _check_passed(database, instance)
        assert not passed and meta["errors_not_found"] == 1
        run = create_profiles_job.execute_in_process(
            run_config={
                "ops": {"create_reviewed_profiles": {"config": {"reviewed_file": meta["profiles_to_create"]}}}
            },
            resources={"database": database},
            instance=instance,
        )
        assert run.success
        passed, meta = _check_passed(database, instance)
    assert passed and meta["errors"] == 0
    with database.connect() as conn:
        assert conn.execute("SELECT last_name, first_name, middle_name FROM profile").fetchall() == [
            ("Quellmark", "Ivan", "Petrovich")
        ]
