"""A layer's validation outcome in the database: errors stored, replaced, bookkept; bad lines are errors."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from pipelines.core.exceptions import TerminalError
from pipelines.validation.outcome_store import errors_for
from pipelines.validation.spool_pass import validate_layer
from tests.support.validation_helpers import (
    keys,
    report,
    run_layer,
    write_spool,
)


def test_errors_stored_replaced_and_bookkept(conn: psycopg.Connection, folder: Path) -> None:
    bad = run_layer(conn, folder, [report("P-1", category="aqueduct")])
    assert (
        keys(errors_for(conn, "2026-01"))
        == keys(bad.errors)
        == {("passport", "P-1", "category", "mapping_not_found")}
    )
    status = conn.execute(
        "SELECT status, error_count, reports, validated_at IS NOT NULL, counts->>'passport' "
        "FROM loader_report WHERE version = '2026-01'"
    ).fetchone()
    assert status == ("invalid", 1, 1, True, "1")
    good = run_layer(conn, folder, [report("P-1")])
    assert good.valid and errors_for(conn, "2026-01") == []
    assert conn.execute(
        "SELECT status, error_count FROM loader_report WHERE version = '2026-01'"
    ).fetchone() == ("validated", 0)
    conn.execute("UPDATE loader_report SET status = 'loaded' WHERE version = '2026-01'")
    conn.commit()
    run_layer(conn, folder, [report("P-1", category="aqueduct")])
    assert conn.execute(
        "SELECT status, error_count FROM loader_report WHERE version = '2026-01'"
    ).fetchone() == ("loaded", 1)
    with pytest.raises(TerminalError, match="2031-01"):
        errors_for(conn, "2031-01")


def test_a_line_that_is_not_json_is_an_error_not_a_crash(conn: psycopg.Connection, folder: Path) -> None:
    spool = write_spool(folder / "spool", "2026-01", [report("P-1")])
    spool.write_bytes(spool.read_bytes() + b'{"id": "P-2", broken\n\n')
    result = validate_layer(conn, spool, folder / "mapped")
    assert keys(result.errors) == {("passport", None, "report", "cant_parse")}
    assert result.errors[0].value == "line 2" and result.reports == 2
