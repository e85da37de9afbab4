"""Validate a registered layer: find its spool, its earlier unloaded layers, where its rows go."""
from __future__ import annotations

from pathlib import Path

import psycopg

from pipelines.errors import TerminalError
from pipelines.layer_catalog import RegisteredLayer, newest_layer
from pipelines.spool_reading import earlier_passport_ids
from pipelines.sql_files import load
from pipelines.validation import ValidationResult, validate_layer


def mapped_dir(layer: RegisteredLayer) -> Path:
    """Mapped rows live beside the spool they came from: spool/<file sha>/<version>.mapped/."""
    return layer.spool_path.parent / f"{layer.version}.mapped"


def registered_layer(conn: psycopg.Connection, version: str) -> RegisteredLayer:
    layer = newest_layer(conn, version)
    if layer is None:
        raise TerminalError(f"no registered export holds layer {version}: drop an export or run `strata register`")
    return layer


def validate_registered(conn: psycopg.Connection, layer: RegisteredLayer) -> ValidationResult:
    """Validate the layer; parents may be in earlier layers of the same export not loaded yet."""
    last_loaded = conn.execute(load("load/last_loaded")).fetchone()[0]
    earlier = earlier_passport_ids(layer.spool_path.parent, layer.version, after=last_loaded)
    result = validate_layer(conn, layer.spool_path, mapped_dir(layer), earlier_passports=earlier,
                            version=layer.version)
    with conn.transaction():
        conn.execute(load("load/record_validated"), {"mapped_path": str(mapped_dir(layer)), "sha256": layer.sha256,
                                                     "file_id": layer.file_id, "report_id": result.report_id})
    return result
