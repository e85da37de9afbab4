"""The embedded server gets Strata's bulk-load settings, and gets them back if they drift."""

from __future__ import annotations

import os
import time

import psycopg
import pytest

from pipelines.db import embedded
from pipelines.db.connection import one_row

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="DATABASE_URL given: that server's settings are its owner's"
)


def _current(url: str) -> dict[str, str]:
    with psycopg.connect(url, autocommit=True) as conn:
        return {
            name: one_row(conn, "SELECT current_setting(%s)", (name,))[0] for name in embedded.SERVER_SETTINGS
        }


def test_the_embedded_server_runs_with_the_bulk_load_settings(server_url: str) -> None:
    assert _current(server_url) == embedded.SERVER_SETTINGS


def test_settings_reset_by_hand_are_applied_again_at_start(server_url: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute("ALTER SYSTEM RESET max_wal_size")
        conn.execute("SELECT pg_reload_conf()")
    for _ in range(100):  # the reload is asynchronous
        if _current(server_url)["max_wal_size"] != "4GB":
            break
        time.sleep(0.05)
    assert _current(server_url)["max_wal_size"] != "4GB"
    embedded._apply_settings(server_url)
    assert _current(server_url) == embedded.SERVER_SETTINGS
