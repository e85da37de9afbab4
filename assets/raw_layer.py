"""raw_layer[YYYY-MM]: one layer's spool, validated, with the blocking check layer_is_valid."""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    DataVersion,
    MaterializeResult,
    MetadataValue,
    asset,
)

from assets.failures import TRANSIENT_RETRY, terminal_as_failure
from assets.layer_metadata import layer_metadata
from assets.partitions import monthly_layers
from assets.progress import run_progress
from pipelines.fixups.layer_folder import preview_markdown, write_layer_folder
from pipelines.load.layer_states import layer_state
from pipelines.validation.registered import registered_layer, validate_registered
from resources.database import DatabaseResource

LAYER_IS_VALID = AssetCheckSpec(
    "layer_is_valid",
    asset="raw_layer",
    blocking=True,
    description="No analyst error (the six codes of the export spec): otherwise the layer does not load.",
)


@asset(
    partitions_def=monthly_layers,
    group_name="registry_export",
    check_specs=[LAYER_IS_VALID],
    retry_policy=TRANSIENT_RETRY,
)
def raw_layer(context: AssetExecutionContext, database: DatabaseResource) -> MaterializeResult:
    """The layer from the newest registered export holding it, validated and mapped for the load."""
    with terminal_as_failure(), database.connect() as conn:
        layer = registered_layer(conn, context.partition_key)
        result = validate_registered(conn, layer, progress=run_progress(context))
        state = layer_state(conn, layer.version)
    files = write_layer_folder(result, database.settings().home.reports / layer.version)
    report_files = {
        "errors_json": MetadataValue.path(str(files.errors_json)),
        "errors_csv": MetadataValue.path(str(files.errors_csv)),
        "profiles_to_create": MetadataValue.path(str(files.profiles_to_create)),
        "mappings_sql": MetadataValue.path(str(files.mappings_sql)),
    }
    return MaterializeResult(
        metadata={
            "reports": layer.reports,
            "bytes": layer.bytes,
            "layer_sha256": layer.sha256,
            "source_file": f"{layer.file_name} (file {layer.file_id})",
            "spool": MetadataValue.path(str(layer.spool_path)),
            "mapped_rows": {table: count for table, count in result.counts.items()},
            "validation_seconds": round(result.seconds, 2),
            **layer_metadata(state),
        },
        data_version=DataVersion(layer.sha256),
        check_results=[
            AssetCheckResult(
                check_name="layer_is_valid",
                passed=result.valid,
                severity=AssetCheckSeverity.ERROR,
                metadata={
                    "errors": len(result.errors),
                    **{f"errors_{code}": n for code, n in result.by_code.items()},
                    "preview": MetadataValue.md(preview_markdown(result.errors)),
                    **report_files,
                },
            )
        ],
    )
