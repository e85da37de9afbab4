"""dagster.yaml belongs to the operator once edited: Strata writes it when absent or still as it
generated it, and never over an operator's edits (only its own storage URL is kept current)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from dagster import DagsterInstance

from assets.instance import EARLIER_HEADER, InstanceFile, generated_text, write_instance_yaml
from pipelines.cli.main import main
from pipelines.core.settings import StrataHome

URL = "postgresql://strata@127.0.0.1:5432/dagster"
MOVED = "postgresql://strata@127.0.0.1:6543/dagster"  # the embedded server after a restart


def test_absent_then_current_then_brought_up_to_date(tmp_path: Path) -> None:
    first = write_instance_yaml(tmp_path, URL)
    assert first.state is InstanceFile.WRITTEN
    assert stat.S_IMODE(first.path.stat().st_mode) == 0o600  # it may hold a password
    assert write_instance_yaml(tmp_path, URL).state is InstanceFile.CURRENT
    moved = write_instance_yaml(tmp_path, MOVED)  # never edited: Strata's to rewrite
    assert moved.state is InstanceFile.WRITTEN
    assert first.path.read_text() == generated_text(MOVED)
    assert not (tmp_path / "dagster.yaml.strata").exists()


def test_an_operators_edit_is_never_written_over(tmp_path: Path) -> None:
    path = write_instance_yaml(tmp_path, URL).path
    edited = path.read_text().replace("max_concurrent_runs: 4", "max_concurrent_runs: 9") + (
        "run_launcher:\n  module: dagster.core.launcher\n  class: DefaultRunLauncher\n"
    )
    path.write_text(edited)
    for _ in range(2):
        kept = write_instance_yaml(tmp_path, URL)
        assert kept.state is InstanceFile.KEPT
        assert path.read_text() == edited
        assert kept.proposal is not None and kept.proposal.read_text() == generated_text(URL)
        assert "kept" in kept.describe() and "dagster.yaml.strata" in kept.describe()


def test_an_edited_file_follows_the_embedded_servers_new_port_and_nothing_else(tmp_path: Path) -> None:
    path = write_instance_yaml(tmp_path, URL).path
    edited = path.read_text().replace("limit: 2", "limit: 1")
    path.write_text(edited)
    assert write_instance_yaml(tmp_path, MOVED).state is InstanceFile.KEPT
    assert path.read_text() == edited.replace(URL.replace("postgresql", "postgresql+psycopg2"), "X").replace(
        "X", MOVED.replace("postgresql", "postgresql+psycopg2")
    )
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_url_the_operator_typed_is_theirs(tmp_path: Path) -> None:
    path = write_instance_yaml(tmp_path, URL).path
    own = "postgresql+psycopg2://ops@dagster-db.internal:5432/dagster"
    edited = path.read_text().replace(URL.replace("postgresql", "postgresql+psycopg2"), own)
    path.write_text(edited)
    assert write_instance_yaml(tmp_path, MOVED).state is InstanceFile.KEPT
    assert path.read_text() == edited


def test_a_file_an_earlier_release_wrote_is_still_strata_s(tmp_path: Path) -> None:
    path = tmp_path / "dagster.yaml"
    path.write_text(EARLIER_HEADER + "storage:\n  sqlite:\n    base_dir: /old\n")
    assert write_instance_yaml(tmp_path, URL).state is InstanceFile.WRITTEN
    assert path.read_text() == generated_text(URL)


@pytest.fixture
def home(cli_home: StrataHome) -> StrataHome:
    return cli_home


def test_db_up_keeps_the_operators_limits_across_a_server_restart(home: StrataHome, capsys) -> None:
    """What an operator does: `strata db up`, edit the limits, restart the server; Dagster still
    reaches its storage and runs with the operator's limits."""
    assert main(["db", "up"]) == 0
    assert "(written)" in capsys.readouterr().out
    path = home.dagster_home / "dagster.yaml"
    path.write_text(path.read_text().replace("max_concurrent_runs: 4", "max_concurrent_runs: 7"))
    assert main(["db", "down"]) == 0
    assert main(["db", "up"]) == 0
    out = capsys.readouterr().out
    assert "edited by its operator, kept" in out
    instance = DagsterInstance.from_config(str(home.dagster_home))
    try:
        queue = instance.get_concurrency_config().run_queue_config
        assert queue is not None and queue.max_concurrent_runs == 7
        assert instance.get_runs_count() == 0  # storage reached on the server's current port
    finally:
        instance.dispose()
