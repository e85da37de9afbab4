"""Dagster's own instance storage (runs, event logs, schedules) on Strata's server.

Strata writes STRATA_HOME/dagster/dagster.yaml so that `dagster dev`, the daemon
and in-process runs all keep their state in the `dagster` database of the same
PostgreSQL server, not in SQLite files.
"""

from __future__ import annotations

import os
from pathlib import Path

from pipelines.core.settings import Settings
from pipelines.db.connection import DatabaseUrls
from pipelines.db.setup import prepare
from pipelines.db.urls import for_sqlalchemy_psycopg2

FLOW_TAG = "strata/flow"  # run tag of layer_job; the run queue limits runs per value
IMPORT_POOL = "strata_import"  # loaded_layer's pool
IMPORT_POOL_LIMIT = 1  # one layer load at a time (the engine's advisory lock would serialize more anyway)
LAYER_RUNS = 2  # layer runs in progress at once: one loading, one validating the next layer
MAX_RUNS = 4  # runs in progress at once, whatever launched them

# Why run monitoring: the daemon fails a run stuck launching (start timeout) or cancelling
# (cancel timeout) and frees the pool slots of a run that ended without freeing them. The
# default run launcher cannot check a STARTED run's process, so `strata load` also ends the
# runs of its own host whose process is gone before it launches anything (assets/dead_runs.py).
#
# Why a queue with limits: when PostgreSQL is slow or away, every sensor tick and schedule
# would otherwise launch a run that starts, waits and fails, and they pile up. Queued runs
# wait instead; the pool lets at most one run sit launched with its load step blocked
# (op_granularity_run_buffer), the others stay queued.
INSTANCE_YAML = """\
# Written by Strata (assets/instance.py); edits are overwritten by `strata db up`.
storage:
  postgres:
    postgres_url: "{url}"
run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
concurrency:
  pools:
    default_limit: {pool_limit}
    granularity: op
    op_granularity_run_buffer: 1
  runs:
    max_concurrent_runs: {max_runs}
    tag_concurrency_limits:
      - key: "{flow_tag}"
        value: "layer"
        limit: {layer_runs}
run_monitoring:
  enabled: true
  start_timeout_seconds: 180
  cancel_timeout_seconds: 180
  poll_interval_seconds: 30
  free_slots_after_run_end_seconds: 60
telemetry:
  enabled: false
"""


def write_instance_yaml(dagster_home: Path, dagster_url: str) -> Path:
    """Write dagster.yaml (only readable by its owner: it may hold a password)."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    path = dagster_home / "dagster.yaml"
    text = INSTANCE_YAML.format(
        url=for_sqlalchemy_psycopg2(dagster_url),
        pool_limit=IMPORT_POOL_LIMIT,
        max_runs=MAX_RUNS,
        flow_tag=FLOW_TAG,
        layer_runs=LAYER_RUNS,
    )
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
        os.chmod(path, 0o600)
    return path


def prepare_instance(settings: Settings) -> tuple[DatabaseUrls, list[str]]:
    """``prepare`` plus Dagster's instance config: what `strata db up`, `strata load` and loading
    the code location need before Dagster opens its instance."""
    urls, applied = prepare(settings)
    write_instance_yaml(settings.home.dagster_home, urls.dagster)
    return urls, applied
