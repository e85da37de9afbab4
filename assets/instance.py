"""Dagster's own instance storage (runs, event logs, schedules) on Strata's server.

Strata writes STRATA_HOME/dagster/dagster.yaml so that `dagster dev`, the daemon
and in-process runs all keep their state in the `dagster` database of the same
PostgreSQL server, not in SQLite files.

The file belongs to the operator once they edit it: a run launcher, run monitoring or other
limits are theirs to set (README, *The instance config*). Strata stamps what it writes with
the sha256 of the text; a file whose text no longer matches its stamp was edited and is never
written over. Strata then writes what it would have written next to it
(``dagster.yaml.strata``), so an upgrade's changes can be merged by hand.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from enum import StrEnum
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
# A layer's month through the sensors is three queued runs (registration, validation, load):
# Dagster's default dequeue every 5 s added about 2.5 s to each (bench/sensor_month.py); a
# dequeue is one query of the run queue, cheap at any interval.
DEQUEUE_SECONDS = 1
# The sensors tick every 5 s; a skipped tick is a row of tick storage, kept a day, not a week.

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
storage:
  postgres:
    postgres_url: "{url}"
run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
  config:
    dequeue_interval_seconds: {dequeue_seconds}
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
retention:
  sensor:
    purge_after_days:
      skipped: 1
telemetry:
  enabled: false
"""


HEADER = (
    "# Written by Strata (assets/instance.py). Edit it freely: once edited, Strata never writes over\n"
    "# it again (it writes what it would have written to dagster.yaml.strata instead).\n"
    "# strata-sha256: {sha256}\n"
)
STAMP = re.compile(r"^# strata-sha256: ([0-9a-f]{64})\n", re.MULTILINE)
# What earlier releases wrote: they said edits were overwritten, so such a file is still Strata's.
EARLIER_HEADER = "# Written by Strata (assets/instance.py); edits are overwritten by `strata db up`.\n"


class InstanceFile(StrEnum):
    WRITTEN = "written"  # absent, or still as Strata generated it but out of date
    CURRENT = "current"  # as Strata would write it now
    KEPT = "kept"  # edited by its operator: left alone


@dataclass(frozen=True)
class InstanceConfig:
    path: Path
    state: InstanceFile
    proposal: Path | None = None  # what Strata would have written, when the operator's file is kept

    def describe(self) -> str:
        if self.state is InstanceFile.KEPT:
            return f"{self.path} (edited by its operator, kept; Strata's version: {self.proposal})"
        return f"{self.path} ({self.state})"


def generated_text(dagster_url: str) -> str:
    body = INSTANCE_YAML.format(
        url=for_sqlalchemy_psycopg2(dagster_url),
        pool_limit=IMPORT_POOL_LIMIT,
        max_runs=MAX_RUNS,
        flow_tag=FLOW_TAG,
        layer_runs=LAYER_RUNS,
        dequeue_seconds=DEQUEUE_SECONDS,
    )
    return HEADER.format(sha256=_sha256(body)) + body


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def is_generated(text: str) -> bool:
    """Still exactly as Strata wrote it: its stamp matches the text after the header."""
    if text.startswith(EARLIER_HEADER):
        return True
    stamp = STAMP.search(text)
    return stamp is not None and _sha256(text[stamp.end() :]) == stamp.group(1)


def write_instance_yaml(dagster_home: Path, dagster_url: str) -> InstanceConfig:
    """Write dagster.yaml when absent or still as generated (only readable by its owner: it may
    hold a password); an operator's file is kept, and Strata's version goes beside it.

    One value of a kept file is still Strata's: the storage URL it wrote there itself. The
    embedded server gets a new port at each start, so that exact value is brought up to date
    (and nothing else); a URL the operator typed is theirs."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    path = dagster_home / "dagster.yaml"
    text = generated_text(dagster_url)
    proposal = path.with_name("dagster.yaml.strata")
    url_record = path.with_name(".strata-storage-url")  # the storage URL Strata last wrote into the file
    current = path.read_text() if path.exists() else None
    url = for_sqlalchemy_psycopg2(dagster_url)
    if current is not None and not is_generated(current):
        written = url_record.read_text() if url_record.exists() else None
        if written and written != url and _url_line(written) in current:
            _write_private(path, current.replace(_url_line(written), _url_line(url)))
            _write_private(url_record, url)
        _write_private(proposal, text)
        return InstanceConfig(path, InstanceFile.KEPT, proposal)
    proposal.unlink(missing_ok=True)
    _write_private(url_record, url)
    if current == text:
        return InstanceConfig(path, InstanceFile.CURRENT)
    _write_private(path, text)
    return InstanceConfig(path, InstanceFile.WRITTEN)


def _url_line(url: str) -> str:
    return f'postgres_url: "{url}"'


def _write_private(path: Path, text: str) -> None:
    """Replace ``path`` atomically, created with mode 0600 (no moment where others may read it)."""
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(partial, path)


def prepare_instance(settings: Settings) -> tuple[DatabaseUrls, list[str]]:
    """``prepare`` plus Dagster's instance config: what `strata load` and loading the code
    location need before Dagster opens its instance (`strata db up` says what it did)."""
    urls, applied = prepare(settings)
    write_instance_yaml(settings.home.dagster_home, urls.dagster)
    return urls, applied
