"""Monthly: run the layer of the month just ended, once an export holding it is registered."""

from datetime import datetime

from dagster import RunRequest, ScheduleEvaluationContext, SkipReason, schedule

from assets.jobs import layer_job
from pipelines.core.exceptions import TransientError
from pipelines.intake.registered_layers import newest_layer
from resources.database import DatabaseResource


def previous_month(moment: datetime) -> str:
    year, month = (moment.year, moment.month - 1) if moment.month > 1 else (moment.year - 1, 12)
    return f"{year:04d}-{month:02d}"


@schedule(job=layer_job, cron_schedule="0 6 2 * *", execution_timezone="UTC")
def monthly_layer_schedule(context: ScheduleEvaluationContext, database: DatabaseResource):
    """The portal releases layer YYYY-MM at the start of the next month."""
    version = previous_month(context.scheduled_execution_time)
    try:
        with database.connect() as conn:
            layer = newest_layer(conn, version)
    except TransientError as exc:  # skip, do not error: the run would only fail on the same database
        return SkipReason(f"database unavailable, layer {version} not requested: {exc}")
    if layer is None:
        return SkipReason(f"layer {version} is in no registered export yet: drop the export")
    return RunRequest(partition_key=version, run_key=f"layer-{version}-{layer.sha256}")
