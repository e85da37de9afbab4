"""Everything Dagster loads, assembled in one place."""
from __future__ import annotations

from dagster import Definitions

from assets.fixup_jobs import create_profiles_job
from assets.intake_sensor import export_drop_sensor
from assets.jobs import layer_job
from assets.layer_schedule import monthly_layer_schedule
from assets.loaded_layer import loaded_layer
from assets.raw_layer import raw_layer
from assets.read_models import READ_MODEL_ASSETS, READ_MODEL_CHECKS, event_sales_hourly
from resources.billig import BilligResource
from resources.database import DatabaseResource
from resources.intake import DropFolderResource


def build_definitions() -> Definitions:
    return Definitions(
        assets=[raw_layer, loaded_layer, *READ_MODEL_ASSETS],
        asset_checks=[*READ_MODEL_CHECKS],
        jobs=[layer_job, create_profiles_job],
        sensors=[export_drop_sensor],
        schedules=[monthly_layer_schedule, event_sales_hourly],
        resources={"database": DatabaseResource(), "drop_folder": DropFolderResource(),
                   "billig": BilligResource()},
    )


defs = build_definitions()
