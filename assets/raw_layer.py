"""raw_layer[YYYY-MM]: one layer's spool, from the newest registered export holding it."""

from dagster import AssetExecutionContext, DataVersion, Failure, MaterializeResult, MetadataValue, asset

from assets.partitions import monthly_layers
from pipelines.layer_catalog import newest_layer
from resources.database import DatabaseResource


@asset(partitions_def=monthly_layers, group_name="registry_export")
def raw_layer(context: AssetExecutionContext, database: DatabaseResource) -> MaterializeResult:
    """The layer as a JSON-lines spool (one report per line) ready for validation."""
    version = context.partition_key
    with database.connect() as conn:
        layer = newest_layer(conn, version)
    if layer is None:
        raise Failure(f"no registered export holds layer {version}: drop an export or run `strata register`",
                      allow_retries=False)
    return MaterializeResult(metadata={
        "reports": layer.reports,
        "bytes": layer.bytes,
        "source_file": f"{layer.file_name} (file {layer.file_id})",
        "layer_sha256": layer.sha256,
        "spool": MetadataValue.path(str(layer.spool_path)),
    }, data_version=DataVersion(layer.sha256))
