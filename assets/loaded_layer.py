"""loaded_layer[YYYY-MM]: the validated layer upserted into our tables, in version order."""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetDep,
    AssetExecutionContext,
    MaterializeResult,
    MetadataValue,
    TimeWindowPartitionMapping,
    asset,
)

from assets.failures import TRANSIENT_RETRY, terminal_as_failure
from assets.layer_metadata import layer_metadata
from assets.partitions import monthly_layers
from assets.progress import run_progress
from assets.raw_layer import raw_layer
from pipelines.core.markdown import markdown_table
from pipelines.db.sql_text import read_sql
from pipelines.intake.housekeeping import tidy_after_commit
from pipelines.load.layer_states import layer_state
from pipelines.load.transaction import load_layer
from pipelines.read_models.passport_overview import refresh_passport_overview
from resources.database import DatabaseResource

MANUAL_EDITS_KEPT = AssetCheckSpec(
    "manual_edits_kept",
    asset="loaded_layer",
    blocking=False,
    description="Warns when upstream changed records that analysts had edited: their values were overwritten "
    "(listed in loader_overwrite; history keeps both).",
)
PREVIOUS_LAYER = TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)


@asset(
    partitions_def=monthly_layers,
    group_name="registry_export",
    check_specs=[MANUAL_EDITS_KEPT],
    deps=[AssetDep(raw_layer), AssetDep("loaded_layer", partition_mapping=PREVIOUS_LAYER)],
    pool="strata_import",
    retry_policy=TRANSIENT_RETRY,
)  # pool limit 1: dagster.yaml
def loaded_layer(context: AssetExecutionContext, database: DatabaseResource) -> MaterializeResult:
    """One transaction: COPY, set-based upserts by ext_id, history by triggers, read model refreshed."""
    with terminal_as_failure(), database.connect() as conn:
        result = load_layer(
            conn,
            context.partition_key,
            after_load=lambda c, r: refresh_passport_overview(c, r.touched_passports),
            progress=run_progress(context),
        )
        overwrites = conn.execute(read_sql("load/overwrites"), {"report_id": result.report_id}).fetchall()
        state = layer_state(conn, context.partition_key)
    context.log.info(tidy_after_commit(database.connect, database.settings().home).summary())
    counts = {f"{table}_{kind}": n for table, c in result.tables.items() for kind, n in c.as_dict().items()}
    return MaterializeResult(
        metadata={
            "writes": result.writes,
            "overwritten_manual_values": len(overwrites),
            "key_checks": result.key_checks,
            **counts,
            **layer_metadata(state),
        },
        check_results=[
            AssetCheckResult(
                check_name="manual_edits_kept",
                passed=not overwrites,
                severity=AssetCheckSeverity.WARN,
                metadata={
                    "overwritten": len(overwrites),
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
