"""Validate a registered layer: find its spool, its earlier unloaded layers, where its rows go."""

from __future__ import annotations

from pathlib import Path

import psycopg

from pipelines.core.exceptions import TerminalError
from pipelines.core.progress import Progress
from pipelines.db.sql_text import read_sql
from pipelines.intake.housekeeping import reading_spools
from pipelines.intake.registered_layers import (
    RegisteredLayer,
    earlier_copies,
    last_loaded,
    newest_layer,
)
from pipelines.intake.spools import passport_ids_in
from pipelines.validation.chain_store import resume_chain
from pipelines.validation.import_chain import active_chain
from pipelines.validation.spool_pass import ValidationResult, validate_layer


def mapped_dir(layer: RegisteredLayer) -> Path:
    """Mapped rows live beside the spool they came from: spool/<file sha>/<version>.mapped/."""
    return layer.spool_path.parent / f"{layer.version}.mapped"


def registered_layer(conn: psycopg.Connection, version: str) -> RegisteredLayer:
    layer = newest_layer(conn, version)
    if layer is None:
        raise TerminalError(
            f"no registered export holds layer {version}: drop an export or run `strata register`"
        )
    return layer


def validate_registered(
    conn: psycopg.Connection, layer: RegisteredLayer, *, progress: Progress | None = None
) -> ValidationResult:
    """Validate the layer; parents may be in earlier layers not loaded yet (their newest copies).

    The spools it reads (and the mapped rows it writes) are held against housekeeping meanwhile."""
    with reading_spools(conn):
        return _validate(conn, layer, progress)


def _validate(
    conn: psycopg.Connection, layer: RegisteredLayer, progress: Progress | None
) -> ValidationResult:
    if not layer.spool_path.is_file():
        raise TerminalError(
            f"layer {layer.version}: its spool {layer.spool_path} is missing; register "
            f"{layer.file_name} again (or a newer export holding the layer) to split it anew"
        )
    earlier = passport_ids_in(earlier_copies(conn, layer.version, last_loaded(conn)))
    # the validation worker's chain (pipelines.load.overlap), else one for this layer alone; either,
    # while it holds no layer yet, takes up the chain saved by the layer loaded last (chain_store)
    chain = active_chain()
    if chain is not None and not chain.after:
        resume_chain(conn, chain)
    result = validate_layer(
        conn,
        layer.spool_path,
        mapped_dir(layer),
        earlier_passports=earlier,
        version=layer.version,
        progress=progress,
        expected_reports=layer.reports,
        chain=chain,
    )
    with conn.transaction():
        conn.execute(
            read_sql("load/record_validated"),
            {
                "mapped_path": str(mapped_dir(layer)),
                "sha256": layer.sha256,
                "file_id": layer.file_id,
                "report_id": result.report_id,
            },
        )
    return result
