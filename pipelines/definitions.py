"""Everything Dagster loads, assembled in one place."""
from __future__ import annotations

from dagster import Definitions

from assets.intake_sensor import export_drop_sensor
from assets.jobs import layer_job
from assets.layer_schedule import monthly_layer_schedule
from assets.raw_layer import raw_layer
from resources.database import DatabaseResource
from resources.intake import DropFolderResource


def build_definitions() -> Definitions:
    return Definitions(
        assets=[raw_layer],
        jobs=[layer_job],
        sensors=[export_drop_sensor],
        schedules=[monthly_layer_schedule],
        resources={"database": DatabaseResource(), "drop_folder": DropFolderResource()},
    )


defs = build_definitions()
