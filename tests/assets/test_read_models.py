"""The read-model assets and checks as Dagster runs them, through materialize()."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import psycopg
import pytest
from dagster import (
    AssetCheckSeverity,
    AssetKey,
    AssetSelection,
    ExecuteInProcessResult,
    materialize,
)

from assets.definitions import build_definitions
from assets.read_models import (
    READ_MODEL_ASSETS,
    READ_MODEL_CHECKS,
    event_sales_matches_billig,
    passport_overview_matches_sources,
)
from pipelines.billig.mirror import generate
from pipelines.billig.our_events import link_our_events
from pipelines.db.connection import one_row
from resources.billig import BilligResource
from resources.database import DatabaseResource
from tests.support.billig_support import sqlite_billig
from tests.support.read_model_support import REFERENCE, maintenance, passport, sign, tamper

CHECKS = AssetSelection.checks(passport_overview_matches_sources, event_sales_matches_billig)


@pytest.fixture
def resources(conn: psycopg.Connection, db_url: str, tmp_path: Path) -> dict[str, Any]:
    conn.execute(REFERENCE)
    for n in range(4):
        p = passport(conn, f"p{n}", "bridge", 1)
        maintenance(conn, p, f"2025-0{n + 1}-01", "12.50")
        sign(conn, p)
    data = generate("new", events=12, seed=8)
    link_our_events(conn, data.our_events)
    conn.commit()
    return {
        "database": DatabaseResource(database_url=db_url, strata_home=str(tmp_path / "home")),
        "billig": BilligResource(url=sqlite_billig(tmp_path, data), event_table="billig.event_lim_web"),
    }


def checks(result: ExecuteInProcessResult) -> dict[str, Any]:
    return {c.check_name: c for c in result.get_asset_check_evaluations()}


def materialization(result: ExecuteInProcessResult, asset: str) -> Mapping[str, Any]:
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key == AssetKey(asset)]
    return event.materialization.metadata


def test_tampering_fails_the_drift_checks_and_a_rebuild_makes_them_pass(
    resources: dict[str, Any], conn: psycopg.Connection
) -> None:
    built = materialize([*READ_MODEL_ASSETS, *READ_MODEL_CHECKS], resources=resources)
    assert built.success
    assert materialization(built, "passport_overview")["rows"].value == 4
    sales = materialization(built, "event_sales")
    assert sales["rows"].value == sales["inserted"].value > 0
    assert len(sales["billig_ids_unknown_to_billig"].data) == 1
    assert "canonical_pk" in sales["preview"].value
    assert all(c.passed for c in checks(built).values()) and len(checks(built)) == 2

    tampered_passport, tampered_event = (
        one_row(conn, f"SELECT min(canonical_pk) FROM {table}")[0]
        for table in ("passport_overview", "event_sales")
    )
    tamper(
        conn,
        "passport_overview",
        "UPDATE passport_overview SET maintenance_count = 99 WHERE canonical_pk = %s",
        (tampered_passport,),
    )
    tamper(
        conn, "event_sales", "UPDATE event_sales SET revenue = -1 WHERE canonical_pk = %s", (tampered_event,)
    )
    conn.commit()

    checked = materialize([*READ_MODEL_ASSETS, *READ_MODEL_CHECKS], resources=resources, selection=CHECKS)
    assert checked.success and not checked.get_asset_materialization_events()  # only the checks ran
    failed = checks(checked)
    for name, pk, column in (
        ("passport_overview_matches_sources", tampered_passport, "maintenance_count"),
        ("event_sales_matches_billig", tampered_event, "revenue"),
    ):
        assert not failed[name].passed and failed[name].severity == AssetCheckSeverity.ERROR
        assert failed[name].metadata["canonical_pks"].data == [pk]
        assert failed[name].metadata["drifted_rows"].value == 1
        assert f"| {pk} | differs | {column}:" in failed[name].metadata["preview"].value

    healed = materialize([*READ_MODEL_ASSETS, *READ_MODEL_CHECKS], resources=resources)
    assert materialization(healed, "passport_overview")["updated"].value == 1
    assert materialization(healed, "event_sales")["updated"].value == 1
    assert all(c.passed for c in checks(healed).values())


def test_definitions_hold_the_read_models_their_checks_and_the_hourly_schedule() -> None:
    defs = build_definitions()
    schedule = defs.resolve_schedule_def("event_sales_hourly")
    assert schedule.cron_schedule == "0 * * * *"
    graph = defs.resolve_asset_graph()
    for key in ("passport_overview", "event_sales"):
        assert graph.has(AssetKey(key))
    assert {k.name for k in graph.asset_check_keys} >= {
        "passport_overview_matches_sources",
        "event_sales_matches_billig",
    }
    assert defs.resources is not None and isinstance(defs.resources["billig"], BilligResource)
