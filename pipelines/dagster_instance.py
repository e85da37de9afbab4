"""Dagster's own instance storage (runs, event logs, schedules) on Strata's server.

Strata writes STRATA_HOME/dagster/dagster.yaml so that `dagster dev`, the daemon
and in-process runs all keep their state in the `dagster` database of the same
PostgreSQL server, not in SQLite files.
"""
from __future__ import annotations

import os
from pathlib import Path

from pipelines.urls import for_sqlalchemy_psycopg2

INSTANCE_YAML = """\
# Written by Strata (pipelines/dagster_instance.py); edits are overwritten by `strata db up`.
storage:
  postgres:
    postgres_url: "{url}"
run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
  config:
    max_concurrent_runs: 4
telemetry:
  enabled: false
"""


def write_instance_yaml(dagster_home: Path, dagster_url: str) -> Path:
    """Write dagster.yaml (only readable by its owner: it may hold a password)."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    path = dagster_home / "dagster.yaml"
    text = INSTANCE_YAML.format(url=for_sqlalchemy_psycopg2(dagster_url))
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
        os.chmod(path, 0o600)
    return path
