"""The drop-folder sensor: notice settled exports and ask for one registration run each.

The tick lists the folder and compares names, sizes and modification times with its cursor; it
never opens a file, so its time does not grow with the export (hashing, archiving and splitting
run in register_export_job: assets/registration.py). It needs no database either.
"""

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from assets.jobs import register_export_job
from pipelines.intake.drop_folder import DropCursor, mark_seen, new_files, stamp
from resources.database import DatabaseResource
from resources.intake import DropFolderResource


# Every loop of Dagster's sensor daemon (at most every 5 s, MIN_INTERVAL_LOOP_TIME), as the layer
# sensor: a tick only lists the folder, and the first tick after a file settles starts the month
# (bench/sensor_month.py measures the path from a drop).
@sensor(job=register_export_job, minimum_interval_seconds=2, default_status=DefaultSensorStatus.RUNNING)
def export_drop_sensor(
    context: SensorEvaluationContext, database: DatabaseResource, drop_folder: DropFolderResource
) -> SensorResult | SkipReason:
    """A file is asked for once per name, size and modification time (the run key), so a tick
    repeated after a crash, or a cursor lost, cannot register the same drop twice; the same bytes
    under another name are found by the registration run (sha256) and only logged there."""
    cursor = DropCursor.parse(context.cursor)
    folder = drop_folder.folder(database.settings().home)
    found = new_files(folder, cursor, drop_folder.settle_seconds)
    if not found:
        return SkipReason(f"no new settled export in {folder}")
    requests = []
    for path in found:
        requests.append(
            RunRequest(
                run_key=f"register:{path.name}:{stamp(path)}",
                run_config={"ops": {"registered_export": {"config": {"path": str(path)}}}},
                tags={"strata/file": path.name},
            )
        )
        context.log.info(f"noticed {path.name} ({path.stat().st_size:,} bytes): registration requested")
        mark_seen(cursor, path)
    return SensorResult(run_requests=requests, cursor=cursor.dump())
