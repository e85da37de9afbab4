"""raw_layer[YYYY-MM]: one layer's spool, validated, with the blocking check layer_is_valid.

A layer with analyst errors is *not* materialized: the step reports the failed check for its
partition (counts by code, a preview, the report files) and then fails without retries, so the
partition shows as failed in the UI, never as a green materialization of a layer that cannot load.
A valid layer is materialized with its check passed; whether it loaded is loaded_layer's partition.
Counts that differ per layer are text, not numbers: Dagster would plot numbers of different layers
as one time series.
"""

import warnings
from collections.abc import Iterator

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetObservation,
    DataVersion,
    Failure,
    MaterializeResult,
    MetadataValue,
    PreviewWarning,
    asset,
)

from assets.failures import TRANSIENT_RETRY, terminal_as_failure
from assets.layer_metadata import layer_metadata
from assets.partitions import layer_partitions
from assets.progress import run_progress
from pipelines.core.exceptions import TerminalError
from pipelines.fixups.layer_folder import preview_markdown, write_layer_folder
from pipelines.load.layer_states import layer_state
from pipelines.load.plan import LayerStatus, layer_plan
from pipelines.validation.registered import registered_layer, validate_registered
from resources.database import DatabaseResource

with warnings.catch_warnings():  # partitioned checks are a preview in Dagster 1.13; they are what we want
    warnings.simplefilter("ignore", PreviewWarning)
    LAYER_IS_VALID = AssetCheckSpec(
        "layer_is_valid",
        asset="raw_layer",
        blocking=True,
        partitions_def=layer_partitions,
        description="No analyst error (the six codes of the export spec): otherwise the layer does not load.",
    )


@asset(
    partitions_def=layer_partitions,
    group_name="registry_export",
    check_specs=[LAYER_IS_VALID],
    retry_policy=TRANSIENT_RETRY,
)
def raw_layer(context: AssetExecutionContext, database: DatabaseResource) -> Iterator[object]:
    """The layer from the newest registered export holding it, validated and mapped for the load."""
    with terminal_as_failure(), database.connect() as conn:
        state = layer_plan(conn).state(context.partition_key)
        conn.rollback()  # a read: the work below runs in transactions of its own
        if state is not None and state.status is LayerStatus.REFUSED:
            raise TerminalError(state.reason)
        layer = registered_layer(conn, context.partition_key)
        result = validate_registered(conn, layer, progress=run_progress(context))
        facts = layer_state(conn, layer.version)
    files = write_layer_folder(result, database.settings().home.reports / layer.version)
    check_metadata = {
        "errors": MetadataValue.text(str(len(result.errors))),
        **{f"errors_{code}": MetadataValue.text(str(n)) for code, n in sorted(result.by_code.items())},
        "preview": MetadataValue.md(preview_markdown(result.errors)),
        "errors_json": MetadataValue.path(str(files.errors_json)),
        "errors_csv": MetadataValue.path(str(files.errors_csv)),
        "profiles_to_create": MetadataValue.path(str(files.profiles_to_create)),
        "mappings_sql": MetadataValue.path(str(files.mappings_sql)),
    }
    check = AssetCheckResult(
        check_name="layer_is_valid",
        passed=result.valid,
        severity=AssetCheckSeverity.ERROR,
        metadata=check_metadata,
    )
    if not result.valid:
        # the partition's own record of why it is blocked, shown beside it in the UI
        yield AssetObservation(
            asset_key="raw_layer",
            partition=layer.version,
            description=f"blocked: {len(result.errors)} analyst errors",
            metadata=check_metadata,
        )
        yield check
        counts = ", ".join(f"{code} {n}" for code, n in sorted(result.by_code.items()))
        raise Failure(
            description=(
                f"layer {layer.version} is blocked: {len(result.errors)} analyst errors ({counts}); "
                f"see the layer_is_valid check of this partition, {files.errors_csv} or "
                f"`strata errors {layer.version}`. It does not load until fixed and re-validated."
            ),
            metadata=check_metadata,
            allow_retries=False,
        )
    yield MaterializeResult(
        metadata={
            "reports": layer.reports,
            "bytes": layer.bytes,
            "layer_sha256": layer.sha256,
            "source_file": f"{layer.file_name} (file {layer.file_id})",
            "spool": MetadataValue.path(str(layer.spool_path)),
            "mapped_rows": dict(result.counts.items()),
            "validation_seconds": round(result.seconds, 2),
            **layer_metadata(facts),
        },
        data_version=DataVersion(layer.sha256),
        check_results=[check],
    )
