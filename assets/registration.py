"""registered_export: one dropped export registered in a run of its own.

The drop-folder sensor only notices a settled file and asks for this run, so its tick takes the
same time whatever the file's size; hashing, archiving and splitting (minutes for a 3 GB export)
happen here, where a run has no evaluation timeout, logs, and retries a lost database. Each
registration is one materialization: the file, its size, its layers, what is new, what is refused
and how long it took. The layers become partitions here; the layer sensor then asks for their runs.
"""

import time
from collections.abc import Iterator
from pathlib import Path

from dagster import AssetExecutionContext, AssetObservation, Config, MaterializeResult, MetadataValue, asset

from assets.failures import TRANSIENT_RETRY, terminal_as_failure
from assets.partitions import add_layers
from assets.progress import run_progress
from pipelines.core.exceptions import DuplicateFileError
from pipelines.core.markdown import markdown_table
from pipelines.intake.housekeeping import tidy_after_commit
from pipelines.intake.registered_layers import file_layers, layers_to_load
from pipelines.intake.registration import register
from pipelines.load.plan import layer_plan
from resources.database import DatabaseResource


class RegisterExportConfig(Config):
    """The export to register (the drop-folder sensor fills it in)."""

    path: str


def _versions(versions: list[str]) -> str:
    return f"{versions[0]} … {versions[-1]}" if len(versions) > 1 else (versions[0] if versions else "none")


@asset(group_name="intake", retry_policy=TRANSIENT_RETRY, output_required=False, kinds={"json"})
def registered_export(
    context: AssetExecutionContext, config: RegisterExportConfig, database: DatabaseResource
) -> Iterator[object]:
    """Hash while archiving as uploaded, refuse the same bytes twice, split into one spool per layer."""
    started = time.perf_counter()
    path = Path(config.path)
    home = database.settings().home
    with terminal_as_failure(), database.connect() as conn:
        try:
            registered = register(conn, path, home, progress=run_progress(context))
        except DuplicateFileError as exc:
            conn.rollback()
            context.log.warning(f"duplicate: {exc}")
            yield AssetObservation(
                asset_key="registered_export", metadata={"file": path.name, "duplicate": str(exc)}
            )
            return
        conn.commit()
        layers = file_layers(conn, registered.id)
        changed = [version for version, _ in layers_to_load(conn, registered.id)]
        refused = [s for s in layer_plan(conn).refused if s.file_id == registered.id]
    versions = [layer.version for layer in layers]
    added = add_layers(context.instance, versions)
    context.log.info(tidy_after_commit(database.connect, home).summary())
    for state in refused:
        context.log.warning(f"refused: {state.reason}")
    context.log.info(
        f"registered {path.name} as file {registered.id}: {len(layers)} layers ({_versions(versions)}), "
        f"new or changed: {', '.join(changed) or 'none'}"
    )
    yield MaterializeResult(
        metadata={
            "file": path.name,
            "file_id": registered.id,
            "size_bytes": registered.size_bytes,
            "sha256": registered.sha256,
            "layers": len(layers),
            "versions": _versions(versions),
            "new_or_changed": MetadataValue.text(", ".join(changed) or "none"),
            "partitions_added": MetadataValue.text(", ".join(added) or "none"),
            "refused": MetadataValue.md(
                markdown_table(("layer", "why"), [(s.version, s.reason) for s in refused], width=400)
                if refused
                else "none"
            ),
            "archive": MetadataValue.path(str(registered.archive_path)),
            "seconds": round(time.perf_counter() - started, 2),
        }
    )
