"""`strata load` keeps STRATA_HOME to the archive plus the working set, and `strata files` shows both."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipelines.cli.main import main
from pipelines.core.settings import StrataHome
from pipelines.intake.housekeeping import disk_bytes
from tests.support.month_helpers import monthly_exports


@pytest.fixture
def home(cli_home: StrataHome) -> StrataHome:
    return cli_home


def test_loads_keep_one_copy_of_each_layer_and_files_shows_the_sizes(
    home: StrataHome, tmp_path: Path, capsys
) -> None:
    """Every export re-sends the earlier layers unchanged: each registration writes only its new
    layer, so each file's working set is that layer (and its mapped rows), and nothing is
    superseded for the housekeeping to remove."""
    exports, _ = monthly_exports(tmp_path / "portal", 3, passports=80, seed=6)
    assert main(["seed", str(tmp_path / "portal" / "sample" / "reference")]) == 0
    assert main(["register", str(exports[0])]) == 0
    assert main(["register", str(exports[1])]) == 0  # 2026-01 unchanged: export 1's copy serves both
    folders = lambda: {p.name: sorted(q.name for q in p.glob("*.jsonl")) for p in home.spool.iterdir()}  # noqa: E731
    assert sorted(folders().values()) == [["2026-01.jsonl"], ["2026-02.jsonl"]]
    capsys.readouterr()
    assert main(["load", str(exports[1])]) == 0
    assert main(["load", str(exports[2])]) == 0
    err = capsys.readouterr().err
    assert "disk housekeeping: removed" not in err  # no second copy of anything was ever written
    assert sorted(folders().values()) == [["2026-01.jsonl"], ["2026-02.jsonl"], ["2026-03.jsonl"]]

    assert main(["files"]) == 0
    out = capsys.readouterr().out
    rows = {
        int(m["id"]): (m["archive"], m["working"])
        for m in re.finditer(
            r"^\s+(?P<id>\d+)  .*? (?P<archive>[\d.,]+) MB\s+(?P<working>[\d.,]+) MB ", out, re.M
        )
    }
    mb = lambda n: f"{n / 1e6:,.1f}"  # noqa: E731
    shas = {p.name: p for p in home.spool.iterdir()}
    by_layer = {folders()[name][0]: shas[name] for name in shas}
    assert rows == {
        i: (mb(e.stat().st_size), mb(disk_bytes(by_layer[f"{e.stem.removeprefix('export-')}.jsonl"])))
        for i, e in enumerate(exports, 1)
    }
    assert (
        f"total: archive {mb(disk_bytes(home.archive))} MB in 3 files, working set {mb(disk_bytes(home.spool))} MB"
        in out
    )
