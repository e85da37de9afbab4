"""The `strata` command as `make run` uses it, on an embedded server of its own."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import embedded_home
from pipelines.cli import main
from pipelines.settings import StrataHome


@pytest.fixture
def home(monkeypatch: pytest.MonkeyPatch):
    with embedded_home() as strata_home:
        monkeypatch.setenv("STRATA_HOME", str(strata_home.root))
        monkeypatch.delenv("DATABASE_URL", raising=False)
        yield strata_home


def test_make_run_sequence_on_a_fresh_home(home: StrataHome, tmp_path: Path, capsys) -> None:
    assert main(["db", "up"]) == 0
    assert "0001_reference.sql" in capsys.readouterr().out
    assert main(["db", "up"]) == 0
    assert "none (schema current)" in capsys.readouterr().out
    assert main(["db", "url"]) == 0
    assert capsys.readouterr().out.strip().startswith("postgresql://")
    assert (home.dagster_home / "dagster.yaml").read_text().count("postgresql+psycopg2://") == 1
    assert main(["sample", str(tmp_path / "s")]) == 0
    assert main(["seed", str(tmp_path / "s" / "reference")]) == 0
    capsys.readouterr()
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "profile" in out and "passport_history" in out
    assert main(["db", "down"]) == 0
    assert "stopped" in capsys.readouterr().out


def test_errors_are_one_clear_line(home: StrataHome, tmp_path: Path, capsys) -> None:
    assert main(["seed", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("strata: ") and "profiles.csv" in err and "Traceback" not in err
