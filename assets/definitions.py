"""Everything Dagster loads, assembled in one place.

``defs`` is lazy (``@definitions``): importing this module does no work; loading the
code location checks the import declarations against the database catalog, so a
declaration naming a missing table or column, or a table without its history table
and triggers, makes the code location fail to load with a message naming it.
"""

from __future__ import annotations

from dagster import Definitions, definitions

from assets import pool_wait
from assets.fixup_jobs import create_profiles_job
from assets.instance import prepare_instance
from assets.intake_sensor import export_drop_sensor
from assets.jobs import layer_job, load_layer_job, register_export_job, validate_layer_job
from assets.layer_schedule import monthly_layer_schedule
from assets.layer_sensor import layer_sensor
from assets.loaded_layer import loaded_layer
from assets.raw_layer import raw_layer
from assets.read_models import READ_MODEL_ASSETS, READ_MODEL_CHECKS, event_sales_hourly
from assets.registration import registered_export
from pipelines.contract.catalog_check import check_declarations
from pipelines.contract.declarations import ENTITIES
from pipelines.core.settings import Settings
from pipelines.db.connection import connect
from resources.billig import BilligResource
from resources.database import DatabaseResource
from resources.intake import DropFolderResource


def build_definitions() -> Definitions:
    pool_wait.install()  # every run of this code location waits for pool slots without spinning
    return Definitions(
        assets=[registered_export, raw_layer, loaded_layer, *READ_MODEL_ASSETS],
        asset_checks=[*READ_MODEL_CHECKS],
        jobs=[layer_job, validate_layer_job, load_layer_job, register_export_job, create_profiles_job],
        sensors=[export_drop_sensor, layer_sensor],
        schedules=[monthly_layer_schedule, event_sales_hourly],
        resources={
            "database": DatabaseResource(),
            "drop_folder": DropFolderResource(),
            "billig": BilligResource(),
        },
    )


def checked_definitions(settings: Settings) -> Definitions:
    urls, _ = prepare_instance(settings)
    with connect(urls.strata) as conn:
        check_declarations(conn, ENTITIES)
    return build_definitions()


@definitions
def defs() -> Definitions:
    return checked_definitions(Settings.from_env())
