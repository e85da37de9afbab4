"""The in-process launch behind `strata load`: the same assets and checks as the UI.

Runs go to the Dagster instance under STRATA_HOME, so every run `strata load` makes shows in
the UI like one launched there. The terminal gets Strata's one line per layer (printed by the
CLI) instead of Dagster's step logs and stack traces.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from dagster import DagsterInstance, ExecuteInProcessResult, materialize
from dagster._core.execution.plan.objects import StepFailureData

from assets import pool_wait
from assets.dead_runs import ASSETS_TAG, end_dead_runs, process_tags
from assets.instance import prepare_instance
from assets.loaded_layer import loaded_layer
from assets.partitions import add_layers
from assets.raw_layer import raw_layer
from pipelines.core.settings import Settings
from pipelines.db.connection import DatabaseUrls
from resources.database import DatabaseResource

QUIET_RUN = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


@dataclass(frozen=True)
class ValidatedRun:
    """What the validation worker reports of one raw_layer run (picklable, small)."""

    passed: bool
    errors: object
    where: object


@dataclass(frozen=True)
class LoadedRun:
    """What the CLI prints of one loaded_layer run."""

    success: bool
    writes: int
    overwritten: int
    failure: str


def prepare_launch(settings: Settings) -> DatabaseUrls:
    """Database and instance config ready, and DAGSTER_HOME pointing at them for this process."""
    urls, _ = prepare_instance(settings)
    os.environ["DAGSTER_HOME"] = str(settings.home.dagster_home)
    pool_wait.install()
    return urls


def end_dead_runs_here() -> list[str]:
    """End this host's unfinished runs whose process is gone (after prepare_launch); a line for each."""
    with DagsterInstance.get() as instance:
        return [run.line() for run in end_dead_runs(instance)]


def add_layer_partitions(versions: list[str]) -> list[str]:
    """Make the registered versions partitions of this instance (after prepare_launch); the ones added."""
    with DagsterInstance.get() as instance:
        return add_layers(instance, versions)


def _resources(database_url: str | None, strata_home: str) -> dict[str, Any]:
    return {"database": DatabaseResource(database_url=database_url, strata_home=strata_home)}


def validate_run(database_url: str | None, strata_home: str, version: str) -> ValidatedRun:
    """One raw_layer run (validation + blocking check); module level, so a worker can run it."""
    pool_wait.install()
    with DagsterInstance.get() as instance:
        run = materialize(
            [raw_layer, loaded_layer],
            selection=[raw_layer],
            partition_key=version,
            instance=instance,
            resources=_resources(database_url, strata_home),
            raise_on_error=False,
            run_config=QUIET_RUN,
            tags=process_tags() | {ASSETS_TAG: "raw_layer"},  # this worker process runs it
        )
    check = next((e for e in run.get_asset_check_evaluations() if e.check_name == "layer_is_valid"), None)
    if check is None:
        return ValidatedRun(False, "?", f"the run's log ({failure_of(run)})")
    meta = {k: v.value for k, v in check.metadata.items()}
    return ValidatedRun(
        run.success and check.passed, meta.get("errors", "?"), meta.get("errors_csv", "the run's log")
    )


@contextmanager
def layer_loader(settings: Settings) -> Iterator[Any]:
    """A function that runs loaded_layer for one version on this process's instance."""
    resources = _resources(settings.database_url, str(settings.home.root))
    pool_wait.install()
    with DagsterInstance.get() as instance:

        def load(version: str, _validated: ValidatedRun) -> LoadedRun:
            run = materialize(
                [raw_layer, loaded_layer],
                selection=[loaded_layer],
                partition_key=version,
                instance=instance,
                resources=resources,
                raise_on_error=False,
                run_config=QUIET_RUN,
                tags=process_tags() | {ASSETS_TAG: "loaded_layer"},
            )
            if not run.success:
                return LoadedRun(False, 0, 0, failure_of(run))
            meta = run.asset_materializations_for_node("loaded_layer")[0].metadata
            return LoadedRun(
                True, int(str(meta["writes"].value)), int(str(meta["overwritten_manual_values"].value)), ""
            )

        yield load


def failure_of(run: ExecuteInProcessResult) -> str:
    for event in run.get_step_failure_events():
        data = event.event_specific_data
        if isinstance(data, StepFailureData) and data.error is not None:
            return data.error.message.strip()
    return "see the run's log"
