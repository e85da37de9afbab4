"""The layer sensor: keep every registered layer moving, in version order, with no run that must fail.

Each tick reads what the database knows of every registered layer (pipelines.load.plan) and which
layer runs are on their way, then asks for a validation of every pending layer not validated yet
and for the load of the oldest pending layer once it is valid and no other load is on its way. So
layers load in version order whichever validation ends first, and a blocked layer holds back only
the layers after it. It also makes every registered version a partition (an export registered
with `strata register`, or a registration run that died after its commit).

Run keys carry the layer's content hash: the same content is never validated or loaded twice by
the sensor; a corrected export (new content) is. A layer the sensor validated with analyst errors
is validated again when someone re-materializes raw_layer for it after fixing the cause.
"""

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from assets.jobs import load_layer_job, validate_layer_job
from assets.layer_runs import layer_runs_in_flight
from assets.partitions import layer_partitions, missing_layers
from pipelines.core.exceptions import TransientError
from pipelines.load.plan import layer_plan, next_work
from resources.database import DatabaseResource


@sensor(
    jobs=[validate_layer_job, load_layer_job],
    minimum_interval_seconds=5,  # a few queries: cheap, and each layer's load waits for a tick
    default_status=DefaultSensorStatus.RUNNING,
)
def layer_sensor(context: SensorEvaluationContext, database: DatabaseResource) -> SensorResult | SkipReason:
    try:
        with database.connect() as conn:
            plan = layer_plan(conn)
    except TransientError as exc:  # skip, do not error: a run would only fail on the same database
        return SkipReason(f"database unavailable, nothing requested: {exc}")
    missing = missing_layers(context.instance, [s.version for s in plan.states])
    work = next_work(plan, layer_runs_in_flight(context.instance))
    requests = [
        RunRequest(
            job_name=validate_layer_job.name,
            partition_key=state.version,
            run_key=f"validate:{state.version}:{state.sha256}",
        )
        for state in work.validate
    ]
    if work.load is not None:
        requests.append(
            RunRequest(
                job_name=load_layer_job.name,
                partition_key=work.load.version,
                run_key=f"load:{work.load.version}:{work.load.sha256}",
            )
        )
    if not requests and not missing:
        return SkipReason(work.waiting)
    if work.waiting:
        context.log.info(work.waiting)
    return SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=[layer_partitions.build_add_request(missing)] if missing else [],
    )
