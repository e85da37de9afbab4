"""Read models as assets: materializing one rebuilds it in full; a check per model
recomputes it from the canonical sources and fails (ERROR) on any drifted row.

passport_overview is also refreshed incrementally by the loader after each layer
(`refresh_passport_overview`); event_sales is refreshed from billig hourly.
"""

from __future__ import annotations

from typing import Any

import psycopg
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetSelection,
    MaterializeResult,
    MetadataValue,
    ScheduleDefinition,
    asset,
    asset_check,
)

from assets.failures import TRANSIENT_RETRY, terminal_as_failure
from pipelines.core.markdown import markdown_table
from pipelines.read_models.drift_tables import drift_table
from pipelines.read_models.event_sales import (
    EVENT_SALES,
    event_sales_drift,
    rebuild_event_sales,
)
from pipelines.read_models.passport_overview import (
    PASSPORT_OVERVIEW,
    passport_overview_drift,
    rebuild_passport_overview,
)
from pipelines.read_models.sync import Drift, ReadModel, SyncResult, preview, row_count
from resources.billig import BilligResource
from resources.database import DatabaseResource

GROUP = "read_models"
LISTED_KEYS = 1000  # canonical_pk values listed in a failed check's metadata


@asset(group_name=GROUP, kinds={"postgres"}, deps=["loaded_layer"], retry_policy=TRANSIENT_RETRY)
def passport_overview(database: DatabaseResource) -> MaterializeResult:
    """Per passport: category, inspector, maintenance count, last maintenance, total cost, signs."""
    with terminal_as_failure(), database.connect() as conn:
        synced = rebuild_passport_overview(conn)
        return MaterializeResult(metadata=_sync_metadata(conn, PASSPORT_OVERVIEW, synced))


@asset(group_name=GROUP, kinds={"postgres"}, retry_policy=TRANSIENT_RETRY)
def event_sales(database: DatabaseResource, billig: BilligResource) -> MaterializeResult:
    """Per event of ours that billig sells: ticket and price groups, capacity, sold, refunded, revenue."""
    with terminal_as_failure(), database.connect() as conn, billig.reader() as reader:
        synced = rebuild_event_sales(conn, reader)
        metadata = _sync_metadata(conn, EVENT_SALES, synced.result)
    return MaterializeResult(
        metadata=metadata
        | {
            "linked_events": synced.expected.linked_events,
            "billig_ids_unknown_to_billig": MetadataValue.json(synced.expected.missing_billig_ids),
            "billig_statements": synced.expected.billig_statements,
            "billig_event_table": reader.layout.event_table,
        }
    )


@asset_check(asset=passport_overview, name="passport_overview_matches_sources")
def passport_overview_matches_sources(database: DatabaseResource) -> AssetCheckResult:
    """Recomputes every row from passport, maintenance, sign, category and profile."""
    with database.connect() as conn:
        return _drift_result(passport_overview_drift(conn))


@asset_check(asset=event_sales, name="event_sales_matches_billig")
def event_sales_matches_billig(database: DatabaseResource, billig: BilligResource) -> AssetCheckResult:
    """Recomputes every row from our events and billig as it is now."""
    with database.connect() as conn, billig.reader() as reader:
        return _drift_result(event_sales_drift(conn, reader))


event_sales_hourly = ScheduleDefinition(
    name="event_sales_hourly",
    cron_schedule="0 * * * *",
    execution_timezone="UTC",
    target=AssetSelection.assets(event_sales),
    description="Refresh event_sales from billig (and check it) every hour.",
)

READ_MODEL_ASSETS = [passport_overview, event_sales]
READ_MODEL_CHECKS = [passport_overview_matches_sources, event_sales_matches_billig]


def _sync_metadata(conn: psycopg.Connection, model: ReadModel, synced: SyncResult) -> dict[str, Any]:
    return {
        "rows": row_count(conn, model),
        "inserted": synced.inserted,
        "updated": synced.updated,
        "deleted": synced.deleted,
        "preview": MetadataValue.md(markdown_table(("canonical_pk", *model.columns), preview(conn, model))),
    }


def _drift_result(drifts: list[Drift]) -> AssetCheckResult:
    return AssetCheckResult(
        passed=not drifts,
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "drifted_rows": len(drifts),
            "canonical_pks": MetadataValue.json([d.canonical_pk for d in drifts[:LISTED_KEYS]]),
            "by_kind": MetadataValue.json(
                {kind: sum(d.kind == kind for d in drifts) for kind in ("missing", "unexpected", "differs")}
            ),
            "preview": MetadataValue.md(drift_table(drifts) if drifts else "in sync with the sources"),
        },
    )
