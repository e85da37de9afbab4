"""Progress lines in a run's log: raw_layer's validation and loaded_layer's load, read back from the
instance's event log the way the UI shows them."""

from __future__ import annotations

import re
from pathlib import Path

from dagster import DagsterInstance, materialize

from assets.loaded_layer import loaded_layer
from assets.partitions import add_layers
from assets.raw_layer import raw_layer
from pipelines.intake.registration import register
from pipelines.sample.export import write_sample
from pipelines.seed.seeding import seed
from resources.database import DatabaseResource

FINAL = re.compile(
    r"^(validate|load) layer (\d{4}-\d\d): [\d,]+ of [\d,]+ (reports|steps) \(100 %\), .*done in"
)


def test_a_layer_run_logs_its_progress(db_url: str, tmp_path: Path) -> None:
    database = DatabaseResource(database_url=db_url, strata_home=str(tmp_path / "home"))
    expected = write_sample(tmp_path / "s", seed=2, passports=60, layers=1)
    with database.connect() as conn:
        seed(conn, tmp_path / "s" / "reference")
        register(conn, tmp_path / "s" / "export.json", database.settings().home)
    version = expected["layers"][0]["version"]
    with DagsterInstance.ephemeral() as instance:
        add_layers(instance, [version])  # a registered layer is a partition
        result = materialize(
            [raw_layer, loaded_layer],
            partition_key=version,
            resources={"database": database},
            instance=instance,
        )
        assert result.success
        messages = [e.user_message for e in instance.all_logs(result.run_id) if e.user_message]
    progress = [m for m in messages if re.match(r"^(validate|load) layer ", m)]
    starts = [m for m in progress if " 0 of " in m]
    finals = [m for m in progress if FINAL.match(m)]
    assert len(starts) == 2 and len(finals) == 2, progress
    assert {match.group(1, 2) for m in finals if (match := FINAL.match(m))} == {
        ("validate", version),
        ("load", version),
    }
    reports = expected["layers"][0]["reports"]
    assert any(m.startswith(f"validate layer {version}: {reports:,} of {reports:,} reports") for m in finals)
