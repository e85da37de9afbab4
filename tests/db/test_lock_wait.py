"""A wait for an advisory lock names who holds it and since when, and still takes the lock."""

from __future__ import annotations

import threading
import time

import psycopg

from pipelines.core import locks
from pipelines.db.connection import connect, one_row
from pipelines.db.lock_wait import wait_for_xact_lock

WAIT = 60  # a bound on every wait, never an expectation


def test_the_waiter_names_the_holder_then_takes_the_lock_when_it_is_free(
    conn: psycopg.Connection, db_url: str
) -> None:
    conn.execute(locks.XACT_LOCK, (locks.IMPORT,))  # held in this transaction
    holder_pid = conn.info.backend_pid
    said: list[str] = []
    took = threading.Event()

    def waiter() -> None:
        with connect(db_url) as other, other.transaction():
            wait_for_xact_lock(other, locks.IMPORT, "the import lock", said.append)
            took.set()
            timeout = one_row(other, "SELECT current_setting('lock_timeout')")[0]
            said.append(f"lock_timeout after: {timeout}")

    thread = threading.Thread(target=waiter, daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT
    while len(said) < 2 and time.monotonic() < deadline:  # it waited one slice, and said so again
        time.sleep(0.05)
    assert not took.is_set()
    assert said[0].startswith("waiting since ") and " for the import lock, held by pid " in said[0]
    assert f"held by pid {holder_pid} (its transaction open since " in said[0], said
    conn.commit()
    thread.join(WAIT)
    assert took.is_set() and said[-1] == "lock_timeout after: 0"  # the slices' timeout did not stay
