"""`strata billig seed` and `strata billig refresh` against a test database (DATABASE_URL)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest

from pipelines.cli.main import main


@pytest.fixture
def env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("STRATA_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("BILLIG_URL", raising=False)
    monkeypatch.delenv("BILLIG_EVENT_TABLE", raising=False)
    return tmp_path / "home"


def test_seed_builds_the_mirror_links_our_events_and_is_idempotent(
    env: Path, conn: psycopg.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["billig", "seed", "--events", "20"]) == 0
    mirror = env / "billig" / "billig.sqlite3"
    with sqlite3.connect(mirror) as billig:
        billig_ids = {row[0] for row in billig.execute('SELECT event FROM "billig.event_lim_web"')}
        assert billig.execute('SELECT count(*) FROM "billig.ticket" WHERE refunded').fetchone()[0] > 0
        assert billig.execute('SELECT count(*) FROM "billig.event_lim_web" WHERE hidden').fetchone()[0] > 0
    events = conn.execute("SELECT title, billig_id FROM event ORDER BY id").fetchall()
    linked = [b for _, b in events if b is not None]
    assert len(billig_ids) == 20 and len(linked) > 10
    assert sum(b is None for _, b in events) == 2  # ours, not sold through billig
    assert [b for b in linked if b not in billig_ids] == [max(linked)]  # the one billig lacks
    assert "linked to billig written" in capsys.readouterr().out

    assert main(["billig", "seed", "--events", "20"]) == 0
    assert "our events: 0 linked to billig written, 0 without billig added" in capsys.readouterr().out
    conn.rollback()
    assert conn.execute("SELECT count(*) FROM event").fetchone() == (len(events),)

    assert main(["billig", "refresh"]) == 0
    out = capsys.readouterr().out
    assert f"{len(linked) - 1} rows ({len(linked) - 1} inserted" in out and str(max(linked)) in out


def test_old_generation_into_a_chosen_file(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "old.sqlite3"
    assert main(["billig", "seed", "--db", str(path), "--generation", "old", "--events", "5"]) == 0
    assert "BILLIG_EVENT_TABLE=billig.event" in capsys.readouterr().out
    assert main(["billig", "refresh", "--db", str(path), "--generation", "old"]) == 0
    assert "event_sales from billig.event:" in capsys.readouterr().out
    assert main(["billig", "refresh", "--db", str(path)]) == 2  # default generation is new: one clear line
    assert "event table" in capsys.readouterr().err
