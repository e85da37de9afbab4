"""The drop-folder sensor: register new exports, request runs for new or changed layers."""

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from assets.jobs import layer_job
from pipelines.core.exceptions import TransientError
from pipelines.intake.drop_folder import DropCursor
from pipelines.intake.drop_scan import scan_drop_folder
from resources.database import DatabaseResource
from resources.intake import DropFolderResource


@sensor(job=layer_job, minimum_interval_seconds=30, default_status=DefaultSensorStatus.RUNNING)
def export_drop_sensor(
    context: SensorEvaluationContext, database: DatabaseResource, drop_folder: DropFolderResource
) -> SensorResult | SkipReason:
    """Runs are keyed by layer content (run_key), so a tick repeated after a crash cannot request
    the same layer twice; with the database away the tick skips (and keeps its cursor) rather than
    erroring every 30 s, and the next tick after the outage does the work once."""
    cursor = DropCursor.parse(context.cursor)
    home = database.settings().home
    try:
        with database.connect() as conn:
            tick = scan_drop_folder(conn, home, drop_folder.folder(home), cursor, drop_folder.settle_seconds)
    except TransientError as exc:
        return SkipReason(f"database unavailable, nothing registered; the next tick tries again: {exc}")
    for line in tick.registered:
        context.log.info(f"registered {line}")
    for line in tick.ignored:
        context.log.warning(line)
    if not tick.requests and not tick.registered and not tick.ignored:
        return SkipReason("no new export in the drop folder")
    return SensorResult(
        run_requests=[
            RunRequest(partition_key=version, run_key=f"layer-{version}-{sha256}")
            for version, sha256 in tick.requests
        ],
        cursor=cursor.dump(),
    )
