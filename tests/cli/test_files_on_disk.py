"""`strata load` keeps STRATA_HOME to the archive plus the working set, and `strata files` shows both."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipelines.cli.main import main
from pipelines.core.settings import StrataHome
from pipelines.intake.housekeeping import disk_bytes
from tests.support.month_helpers import monthly_exports
from tests.support.postgres import embedded_home


@pytest.fixture
def home(monkeypatch: pytest.MonkeyPatch):
    with embedded_home() as strata_home:
        monkeypatch.setenv("STRATA_HOME", str(strata_home.root))
        monkeypatch.setenv("DAGSTER_HOME", str(strata_home.dagster_home))
        monkeypatch.delenv("DATABASE_URL", raising=False)
        yield strata_home


def test_loads_tidy_the_spools_and_files_shows_the_sizes(home: StrataHome, tmp_path: Path, capsys) -> None:
    exports, _ = monthly_exports(tmp_path / "portal", 3, passports=80, seed=6)
    assert main(["seed", str(tmp_path / "portal" / "sample" / "reference")]) == 0
    assert main(["register", str(exports[0])]) == 0
    assert main(["register", str(exports[1])]) == 0  # 2026-01 not loaded: both copies stay
    assert len(list(home.spool.iterdir())) == 2
    capsys.readouterr()
    assert main(["load", str(exports[1])]) == 0  # the load of 2026-01 (the asset) frees export 1's copy
    assert len(list(home.spool.iterdir())) == 1
    assert main(["load", str(exports[2])]) == 0  # its registration frees export 2's copies
    err = capsys.readouterr().err
    assert "disk housekeeping: removed 2 loaded layer copies superseded by a newer export" in err
    [newest] = home.spool.iterdir()

    assert main(["files"]) == 0
    out = capsys.readouterr().out
    rows = {
        int(m["id"]): (m["archive"], m["working"])
        for m in re.finditer(
            r"^\s+(?P<id>\d+)  .*? (?P<archive>[\d.,]+) MB\s+(?P<working>[\d.,]+) MB ", out, re.M
        )
    }
    mb = lambda n: f"{n / 1e6:,.1f}"  # noqa: E731
    assert rows == {
        1: (mb(exports[0].stat().st_size), "0.0"),
        2: (mb(exports[1].stat().st_size), "0.0"),
        3: (mb(exports[2].stat().st_size), mb(disk_bytes(newest))),
    }
    assert (
        f"total: archive {mb(disk_bytes(home.archive))} MB in 3 files, working set {mb(disk_bytes(newest))} MB"
        in out
    )
