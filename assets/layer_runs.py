"""Which layer runs are queued or running, whoever launched them: the sensor, the schedule, the UI."""

from __future__ import annotations

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from assets.jobs import JOB_ASSETS
from pipelines.load.plan import InFlight

NOT_FINISHED = [
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
    DagsterRunStatus.CANCELING,
]


def layer_runs_in_flight(instance: DagsterInstance) -> InFlight:
    """Partitions of raw_layer / loaded_layer that a run not finished yet will materialize.

    A run names its assets (UI materializations and RunRequests with a subset) or runs its whole
    job (JOB_ASSETS)."""
    validating: set[str] = set()
    loading: set[str] = set()
    for run in instance.get_runs(filters=RunsFilter(statuses=NOT_FINISHED)):
        partition = run.tags.get("dagster/partition")
        if partition is None:
            continue
        if run.asset_selection:
            selected = {key.to_user_string() for key in run.asset_selection}
        else:
            selected = set(JOB_ASSETS.get(run.job_name, frozenset()))
        if "raw_layer" in selected:
            validating.add(partition)
        if "loaded_layer" in selected:
            loading.add(partition)
    return InFlight(frozenset(validating), frozenset(loading))
