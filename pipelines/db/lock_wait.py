"""Waiting for an advisory lock that says who holds it and since when, and stays interruptible.

Why: ``pg_advisory_xact_lock`` blocks inside the server with nothing to show; a load queued
behind another (or behind a session nobody remembers) looked hung. ``wait_for_xact_lock``
still waits in the server (no core spun, and the waiter shows in pg_locks as not granted),
but in slices of ``SLICE_MS`` under a ``lock_timeout`` in a savepoint: after each slice it
tells ``on_wait`` the holder's pid and the start of its transaction (pg_locks and
pg_stat_activity) and waits again. The timeout is set for the slice only; the caller's
transaction and its other locks are untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import psycopg
from psycopg import errors

from pipelines.core import locks
from pipelines.db.connection import one_row
from pipelines.db.sql_text import read_sql

SLICE_MS = 2000  # how long one wait lasts before the holder is named again
SET_LOCK_TIMEOUT = "SELECT set_config('lock_timeout', %s, true)"


def holder(conn: psycopg.Connection, key: int) -> str:
    """Who holds the lock on ``key``: 'pid N (its transaction open since HH:MM:SS, state)'."""
    row = conn.execute(read_sql("db/lock_holder"), {"key": key}).fetchone()
    if row is None:
        return "a session that just let go"
    pid, since, state, _query = row
    started = since.astimezone().strftime("%H:%M:%S %Z") if isinstance(since, datetime) else "?"
    return f"pid {pid} (its transaction open since {started}, {state})"


def wait_for_xact_lock(
    conn: psycopg.Connection,
    key: int,
    what: str,
    on_wait: Callable[[str], object],
    shared: bool = False,
) -> None:
    """Take the transaction-level advisory lock on ``key`` (inside the caller's transaction)."""
    if one_row(conn, locks.TRY_XACT_LOCK_SHARED if shared else locks.TRY_XACT_LOCK, (key,))[0]:
        return
    since = datetime.now().astimezone().strftime("%H:%M:%S %Z")
    previous = str(one_row(conn, "SELECT current_setting('lock_timeout')")[0])
    while True:
        on_wait(f"waiting since {since} for {what}, held by {holder(conn, key)}")
        try:
            with conn.transaction():  # a savepoint: a timed-out slice undoes only itself
                conn.execute(SET_LOCK_TIMEOUT, (f"{SLICE_MS}ms",))
                conn.execute(locks.XACT_LOCK_SHARED if shared else locks.XACT_LOCK, (key,))
                conn.execute(SET_LOCK_TIMEOUT, (previous,))
            return
        except errors.LockNotAvailable:
            continue
