"""Two loads of different layers started at once: serialized by the import lock, both correct.

The order check runs inside the lock, so whichever load takes it first, the result is the
same: layer m loads, and m+1 loads after it (or is refused while m is not loaded yet and
then loads on its retry). Nothing interleaves: every history row of m comes before every
history row of m+1.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import psycopg
import pytest

from pipelines.core.settings import StrataHome
from pipelines.db.connection import connect, one_row
from pipelines.intake.registration import register
from pipelines.load.order import LoadRefused
from pipelines.load.transaction import LoadResult, load_layer
from pipelines.sample.export import write_sample
from pipelines.seed.seeding import seed
from pipelines.validation.registered import registered_layer, validate_registered
from tests.support.load_checks import assert_final_state

WAIT = 60  # a bound on every wait, never an expectation
LOCK_WAITERS = (
    "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND NOT l.granted AND a.datname = current_database()"
)


def _prepare(conn: psycopg.Connection, tmp_path: Path) -> tuple[dict, str, str]:
    expected = write_sample(tmp_path / "s", seed=6, passports=60, layers=2)
    seed(conn, tmp_path / "s" / "reference")
    register(conn, tmp_path / "s" / "export.json", StrataHome(tmp_path / "home").ensure())
    first, second = (layer["version"] for layer in expected["layers"])
    for version in (first, second):
        assert validate_registered(conn, registered_layer(conn, version)).valid
    conn.commit()
    return expected, first, second


class Loader(threading.Thread):
    """Loads one layer on a connection of its own; may pause inside its transaction."""

    def __init__(self, url: str, version: str, pause: bool = False) -> None:
        super().__init__()
        self.url, self.version = url, version
        self.inside, self.resume = threading.Event(), threading.Event()
        self.pause = pause
        self.result: LoadResult | BaseException | None = None

    def _after_load(self, _conn: psycopg.Connection, _result: LoadResult) -> None:
        if self.pause:
            self.inside.set()
            self.resume.wait(WAIT)

    def run(self) -> None:
        try:
            with connect(self.url) as conn:
                self.result = load_layer(conn, self.version, after_load=self._after_load)
        except BaseException as exc:
            self.result = exc


def _wait_for_lock_waiter(conn: psycopg.Connection) -> None:
    deadline = time.monotonic() + WAIT
    while one_row(conn, LOCK_WAITERS)[0] == 0:
        conn.commit()
        assert time.monotonic() < deadline, "the second load never waited for the import lock"
        time.sleep(0.02)
    conn.commit()


def _history_not_interleaved(conn: psycopg.Connection, first: str, second: str) -> None:
    rows = conn.execute("""
        SELECT r.version, min(h.history_id), max(h.history_id), count(*)
        FROM passport_history h JOIN loader_report r ON r.id = h.report_id
        WHERE h.imported GROUP BY r.version ORDER BY r.version""").fetchall()
    assert [r[0] for r in rows] == [first, second]
    assert rows[0][2] < rows[1][1]  # all of m's history rows, then all of m+1's
    ids = conn.execute(
        "SELECT version, id FROM loader_report WHERE loaded_at IS NOT NULL ORDER BY loaded_at"
    ).fetchall()
    assert [v for v, _ in ids] == [first, second]


@pytest.mark.parametrize("earlier_first", [True, False], ids=["m-takes-the-lock", "m+1-takes-the-lock"])
def test_two_loads_at_once_are_serialized_and_both_correct(
    conn: psycopg.Connection, db_url: str, tmp_path: Path, earlier_first: bool
) -> None:
    expected, first, second = _prepare(conn, tmp_path)
    holder = Loader(db_url, first if earlier_first else second, pause=True)
    waiter = Loader(db_url, second if earlier_first else first)
    holder.start()
    if earlier_first:
        assert holder.inside.wait(WAIT)  # m holds the lock mid-transaction ...
        waiter.start()
        _wait_for_lock_waiter(conn)  # ... and m+1 waits for it rather than running beside it
        holder.resume.set()
    else:
        holder.join(WAIT)  # m+1 took the lock first: refused inside it, m not being loaded
        waiter.start()
    for thread in (holder, waiter):
        thread.join(WAIT)
        assert not thread.is_alive()

    if earlier_first:
        assert isinstance(holder.result, LoadResult) and isinstance(waiter.result, LoadResult), (
            holder.result,
            waiter.result,
        )
    else:
        assert isinstance(holder.result, LoadRefused) and "load them first" in str(holder.result)
        assert isinstance(waiter.result, LoadResult)
        load_layer(conn, second)  # the refused run's retry
    assert_final_state(conn, expected)
    _history_not_interleaved(conn, first, second)


def test_the_same_layer_loaded_twice_at_once_writes_once(
    conn: psycopg.Connection, db_url: str, tmp_path: Path
) -> None:
    _expected, first, _second = _prepare(conn, tmp_path)
    holder, waiter = Loader(db_url, first, pause=True), Loader(db_url, first)
    holder.start()
    assert holder.inside.wait(WAIT)
    waiter.start()
    _wait_for_lock_waiter(conn)
    holder.resume.set()
    for thread in (holder, waiter):
        thread.join(WAIT)
    assert isinstance(holder.result, LoadResult) and holder.result.writes > 0
    assert isinstance(waiter.result, LoadResult) and waiter.result.writes == 0, (
        waiter.result
    )  # a no-op reload
    assert (
        one_row(conn, "SELECT count(*) FROM passport_history WHERE imported")[0]
        == one_row(conn, "SELECT count(*) FROM passport WHERE report_id IS NOT NULL")[0]
    )
