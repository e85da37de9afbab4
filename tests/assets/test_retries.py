"""Retries without pile-ups: which steps retry and how, and the queue and pool limits that
`strata db up` writes into dagster.yaml (read back by Dagster itself, on real PostgreSQL)."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest
from dagster import Backoff, DagsterEventType, DagsterInstance, materialize
from dagster._core.definitions.run_request import InstigatorType
from dagster._core.run_coordinator import QueuedRunCoordinator

from assets.failures import TRANSIENT_RETRY
from assets.instance import DEQUEUE_SECONDS, FLOW_TAG, IMPORT_POOL, write_instance_yaml
from assets.jobs import layer_job
from assets.loaded_layer import loaded_layer
from assets.partitions import LAYERS
from assets.raw_layer import raw_layer
from assets.read_models import READ_MODEL_ASSETS
from pipelines.core.exceptions import TransientError
from pipelines.db.connection import connect, is_transient
from resources.database import DatabaseResource
from tests.support.dagster_values import step_error
from tests.support.paths import REPO


def test_every_database_asset_retries_with_backoff() -> None:
    for asset_def in (raw_layer, loaded_layer, *READ_MODEL_ASSETS):
        policy = asset_def.op.retry_policy
        assert policy is TRANSIENT_RETRY, asset_def.key
    assert TRANSIENT_RETRY.backoff == Backoff.EXPONENTIAL and (TRANSIENT_RETRY.delay or 0) >= 10
    assert 1 <= TRANSIENT_RETRY.max_retries <= 5  # bounded: a dead database fails the run, it does not loop


def test_an_analyst_error_is_not_retried_even_with_the_retry_policy(db_url: str, tmp_path: Path) -> None:
    """raw_layer for a layer no export holds: a TerminalError, one attempt, the message shown."""
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(LAYERS, ["2026-01"])
        result = materialize(
            [raw_layer],
            partition_key="2026-01",
            raise_on_error=False,
            instance=instance,
            resources={"database": DatabaseResource(database_url=db_url, strata_home=str(tmp_path / "home"))},
        )
    events = result.all_events
    assert not result.success
    assert not [e for e in events if e.event_type == DagsterEventType.STEP_UP_FOR_RETRY]
    [failure] = [e for e in events if e.event_type == DagsterEventType.STEP_FAILURE]
    assert "2026-01" in step_error(failure).to_string()


def test_serialization_failure_is_transient_at_the_engine_boundary(db_url: str) -> None:
    with connect(db_url) as setup:
        setup.execute("CREATE TABLE counter (id int PRIMARY KEY, n int); INSERT INTO counter VALUES (1, 0)")
    with pytest.raises(TransientError, match="serialization failure") as caught:
        with connect(db_url) as first:
            first.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            first.execute("SELECT n FROM counter").fetchone()  # the snapshot is taken here
            with connect(db_url) as second:
                second.execute("UPDATE counter SET n = n + 1")
            first.execute("UPDATE counter SET n = n + 1")
    assert isinstance(caught.value.__cause__, psycopg.errors.SerializationFailure)


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (psycopg.OperationalError("server closed the connection unexpectedly"), True),
        (psycopg.errors.SerializationFailure(), True),
        (psycopg.errors.DeadlockDetected(), True),
        (psycopg.errors.AdminShutdown(), True),
        (psycopg.errors.ProgramLimitExceeded(), False),  # e.g. a value too large for an index: fails again
        (psycopg.errors.UniqueViolation(), False),
        (ValueError("bug"), False),
    ],
)
def test_only_errors_a_retry_can_cure_are_transient(error: Exception, transient: bool) -> None:
    assert is_transient(error) is transient


def test_the_written_instance_limits_the_import_pool_and_the_run_queue(db_url: str, tmp_path: Path) -> None:
    write_instance_yaml(tmp_path, db_url)
    instance = DagsterInstance.from_config(str(tmp_path))
    try:
        concurrency = instance.get_concurrency_config()
        assert (
            concurrency.pool_config.default_pool_limit == 1
        )  # applies to strata_import, which has no own limit
        assert concurrency.pool_config.pool_granularity is not None
        assert str(concurrency.pool_config.pool_granularity.value) == "op"
        queue = concurrency.run_queue_config
        assert queue is not None
        assert queue.max_concurrent_runs == 4
        limits = {(t["key"], t.get("value")): t["limit"] for t in queue.tag_concurrency_limits}
        assert limits[(FLOW_TAG, "layer")] <= 2
        coordinator = instance.run_coordinator
        assert isinstance(coordinator, QueuedRunCoordinator)
        assert coordinator.dequeue_interval_seconds == DEQUEUE_SECONDS == 1
        skipped_days = {
            s.value: d for s, d in instance.get_tick_retention_settings(InstigatorType.SENSOR).items()
        }
        assert skipped_days["SKIPPED"] == 1
    finally:
        instance.dispose()
    assert (
        layer_job.tags is not None and layer_job.tags[FLOW_TAG] == "layer"
    )  # the limit above applies to layer_job's runs
    assert loaded_layer.op.pool == IMPORT_POOL


def test_the_readme_states_the_real_retry_delays(monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's promise, read from the README, against Dagster's own delay for each attempt
    (the executor asks for attempt ``previous_attempt_count + 1``) and the jitter's bounds."""
    from dagster._core.definitions import policy

    readme = (REPO / "README.md").read_text()
    stated = re.search(r"retries after (\d+), (\d+), (\d+) s \(each ± (\d+) s of jitter\)", readme)
    assert stated, "the README no longer states the retry delays"
    *delays, jitter = (int(n) for n in stated.groups())
    attempts = range(1, TRANSIENT_RETRY.max_retries + 1)
    nominal = [
        policy.calculate_delay(n, TRANSIENT_RETRY.backoff, None, TRANSIENT_RETRY.delay or 0) for n in attempts
    ]
    assert nominal == delays
    for low_or_high, sign in ((0.0, -1), (1.0, 1)):
        monkeypatch.setattr(policy, "random", lambda v=low_or_high: v)
        assert [TRANSIENT_RETRY.calculate_delay(n) for n in attempts] == [d + sign * jitter for d in delays]
