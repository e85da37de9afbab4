"""The layer sensor: keep every registered layer moving, in version order, with no run that must fail.

Each tick reads what the database knows of every registered layer (pipelines.load.plan) and which
layer runs are on their way, then asks for a validation of every pending layer not validated yet
and for the load of the oldest pending layer once it is valid and no other load is on its way. So
layers load in version order whichever validation ends first, and a blocked layer holds back only
the layers after it. The oldest pending layer, when nothing validated it yet and no load is on its
way, gets one run of layer_job instead (validated, then loaded: the blocking check stops the load
on analyst errors): a month's one new layer then needs no second run and no second tick. It also
makes every registered version a partition (an export registered with `strata register`, or a
registration run that died after its commit).

Run keys carry the layer's content hash: the same content is never validated or loaded twice by
the sensor; a corrected export (new content) is. A layer the sensor validated with analyst errors
is validated again when someone re-materializes raw_layer for it after fixing the cause.
"""

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from assets.jobs import LOAD_PRIORITY, layer_job, load_layer_job, validate_layer_job
from assets.layer_runs import layer_runs_in_flight
from assets.partitions import layer_partitions, missing_layers
from pipelines.core.exceptions import TransientError
from pipelines.load.plan import layer_plan, next_work
from resources.database import DatabaseResource


@sensor(
    jobs=[validate_layer_job, load_layer_job, layer_job],
    # A few queries: cheap. Dagster's sensor daemon evaluates sensors at most every 5 s whatever
    # this says (MIN_INTERVAL_LOOP_TIME); 5 here let a tick that came a moment early skip a loop.
    minimum_interval_seconds=2,
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
    if work.load is not None and work.validate_first:
        requests.append(
            RunRequest(
                job_name=layer_job.name,
                partition_key=work.load.version,
                run_key=f"validate-load:{work.load.version}:{work.load.sha256}",
                tags=LOAD_PRIORITY,
            )
        )
    elif work.load is not None:
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
