"""loaded_layer[YYYY-MM]: the validated layer upserted into our tables, in version order.

No partition depends on the previous one (dynamic partitions have no "previous partition"
mapping): the engine refuses a load out of order inside the import lock, and the layer sensor
requests a load only for the oldest pending layer. A load launched ahead of its turn by hand (a
UI backfill of several layers) waits for the earlier layers instead of failing, as long as they
are on their way (validated or being validated); behind a blocked layer it is refused.

passport_overview is refreshed inside the load's transaction, so the step also records
passport_overview's materialization: the UI shows it as fresh as the last load made it.
"""

import warnings
from collections.abc import Iterator
from typing import Final

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetMaterialization,
    MaterializeResult,
    MetadataValue,
    PreviewWarning,
    RetryRequested,
    asset,
)

from assets.failures import TRANSIENT_RETRY, terminal_as_failure
from assets.instance import IMPORT_POOL
from assets.layer_metadata import layer_metadata
from assets.partitions import layer_partitions
from assets.progress import run_progress
from assets.raw_layer import raw_layer
from pipelines.core.markdown import markdown_table
from pipelines.db.sql_text import read_sql
from pipelines.intake.housekeeping import tidy_after_commit
from pipelines.load.layer_states import layer_state
from pipelines.load.plan import LayerStatus, layer_plan
from pipelines.load.transaction import LoadResult, load_layer
from pipelines.read_models.passport_overview import refresh_passport_overview
from pipelines.read_models.sync import SyncResult
from resources.database import DatabaseResource

WAIT_SECONDS: Final = 30  # a load ahead of its turn looks again this often ...
WAIT_TURNS: Final = 60  # ... for at most half an hour; then it goes on, and the engine's refusal ends it

with warnings.catch_warnings():
    warnings.simplefilter("ignore", PreviewWarning)
    MANUAL_EDITS_KEPT = AssetCheckSpec(
        "manual_edits_kept",
        asset="loaded_layer",
        blocking=False,
        partitions_def=layer_partitions,
        description="Warns when upstream changed records that analysts had edited: their values were "
        "overwritten (listed in loader_overwrite; history keeps both).",
    )


@asset(
    partitions_def=layer_partitions,
    group_name="registry_export",
    check_specs=[MANUAL_EDITS_KEPT],
    deps=[raw_layer],
    pool=IMPORT_POOL,
    retry_policy=TRANSIENT_RETRY,
)  # pool limit 1: dagster.yaml
def loaded_layer(context: AssetExecutionContext, database: DatabaseResource) -> Iterator[object]:
    """One transaction: COPY, set-based upserts by ext_id, history by triggers, read model refreshed."""
    version = context.partition_key
    refreshed: list[SyncResult] = []

    def refresh(conn, result: LoadResult) -> None:
        refreshed.append(refresh_passport_overview(conn, result.touched_passports))

    with terminal_as_failure(), database.connect() as conn:
        first = layer_plan(conn).next_to_load()
    ahead = first is not None and first.version < version and first.status is not LayerStatus.INVALID
    if first is not None and ahead and context.retry_number < WAIT_TURNS:
        context.log.info(
            f"layer {first.version} loads before {version} (layers load in version order); "
            f"looking again in {WAIT_SECONDS} s"
        )
        raise RetryRequested(max_retries=WAIT_TURNS, seconds_to_wait=WAIT_SECONDS)
    with terminal_as_failure(), database.connect() as conn:
        result = load_layer(conn, version, after_load=refresh, progress=run_progress(context))
        overwrites = conn.execute(read_sql("load/overwrites"), {"report_id": result.report_id}).fetchall()
        overview_rows = conn.execute("SELECT count(*) FROM passport_overview").fetchone()
        facts = layer_state(conn, version)
    context.log.info(tidy_after_commit(database.connect, database.settings().home).summary())
    counts = {f"{table}_{kind}": n for table, c in result.tables.items() for kind, n in c.as_dict().items()}
    yield MaterializeResult(
        metadata={
            "writes": result.writes,
            "overwritten_manual_values": len(overwrites),
            "key_checks": result.key_checks,
            "rows_left_out": result.rows_left_out,  # unchanged since the validation chain's layers
            "unchanged_rows": result.chain,  # why they could, or could not, be left out
            **counts,
            **layer_metadata(facts),
        },
        check_results=[
            AssetCheckResult(
                check_name="manual_edits_kept",
                passed=not overwrites,
                severity=AssetCheckSeverity.WARN,
                metadata={
                    "overwritten": MetadataValue.text(str(len(overwrites))),
                    "table": "loader_overwrite",
                    "preview": MetadataValue.md(
                        markdown_table(
                            ("table", "ext_id", "column", "manual value", "imported value"), overwrites[:20]
                        )
                    ),
                },
            )
        ],
    )
    synced = refreshed[0] if refreshed else SyncResult()
    yield AssetMaterialization(
        asset_key="passport_overview",
        description=f"refreshed for the passports layer {version} touched, in its load's transaction",
        metadata={
            "rows": overview_rows[0] if overview_rows else 0,
            "inserted": synced.inserted,
            "updated": synced.updated,
            "deleted": synced.deleted,
            "layer": version,
            "touched_passports": len(result.touched_passports),
        },
    )
