"""create_profiles: insert the people an analyst reviewed in a layer's profiles_to_create.json."""

from pathlib import Path

from dagster import Config, OpExecutionContext, job, op

from assets.failures import TRANSIENT_RETRY, terminal_as_failure
from pipelines.fixups.profile_creation import create_profiles
from resources.database import DatabaseResource


class CreateProfilesConfig(Config):
    """The reviewed file, e.g. STRATA_HOME/reports/2026-03/profiles_to_create.json after editing."""

    reviewed_file: str


@op(retry_policy=TRANSIENT_RETRY)  # creating profiles is idempotent: a retry after a lost connection is safe
def create_reviewed_profiles(
    context: OpExecutionContext, config: CreateProfilesConfig, database: DatabaseResource
) -> None:
    with terminal_as_failure(), database.connect() as conn:
        result = create_profiles(conn, Path(config.reviewed_file))
    context.log.info(
        f"created {len(result.created)} profiles (ids {result.created}); "
        f"{result.skipped} existed already. Re-materialize raw_layer to re-run layer_is_valid."
    )


@job(description="Create the profiles an analyst reviewed; then re-run the layer's check.")
def create_profiles_job() -> None:
    create_reviewed_profiles()
