"""Monthly: run the layer of the month just ended, if it is the next to load and nothing else is.

The layer sensor normally loads a layer minutes after its export is registered, so this schedule
mostly skips, saying why (not registered yet: drop the export; waiting for an earlier layer;
loaded already). It asks only for a run the engine will accept, like the sensor.
"""

from datetime import datetime

from dagster import RunRequest, ScheduleEvaluationContext, SkipReason, schedule

from assets.jobs import layer_job
from assets.layer_runs import layer_runs_in_flight
from assets.partitions import LAYERS
from pipelines.core.exceptions import TransientError
from pipelines.load.plan import LayerStatus, layer_plan
from resources.database import DatabaseResource


def previous_month(moment: datetime) -> str:
    year, month = (moment.year, moment.month - 1) if moment.month > 1 else (moment.year - 1, 12)
    return f"{year:04d}-{month:02d}"


@schedule(job=layer_job, cron_schedule="0 6 2 * *", execution_timezone="UTC")
def monthly_layer_schedule(
    context: ScheduleEvaluationContext, database: DatabaseResource
) -> RunRequest | SkipReason:
    """The portal releases layer YYYY-MM at the start of the next month."""
    version = previous_month(context.scheduled_execution_time)
    try:
        with database.connect() as conn:
            plan = layer_plan(conn)
    except TransientError as exc:  # skip, do not error: the run would only fail on the same database
        return SkipReason(f"database unavailable, layer {version} not requested: {exc}")
    state = plan.state(version)
    if state is None:
        return SkipReason(f"layer {version} is in no registered export yet: drop the export")
    if state.status is LayerStatus.LOADED:
        return SkipReason(f"layer {version} is loaded already")
    if state.status is LayerStatus.REFUSED:
        return SkipReason(state.reason)
    first = plan.next_to_load()
    if first is not None and first.version != version:
        return SkipReason(f"layer {version} waits for {first.version}: layers load in version order")
    if state.status is LayerStatus.INVALID:
        return SkipReason(f"layer {version} has analyst errors: `strata errors {version}`")
    in_flight = layer_runs_in_flight(context.instance)
    if in_flight.validating or in_flight.loading:
        busy = sorted(in_flight.validating | in_flight.loading)
        return SkipReason(f"layer runs are on their way ({', '.join(busy)}); the layer sensor continues")
    if not context.instance.has_dynamic_partition(LAYERS, version):
        return SkipReason(
            f"layer {version} is not a partition yet: the layer sensor adds it on its next tick"
        )
    return RunRequest(partition_key=version, run_key=f"layer:{version}:{state.sha256}")
