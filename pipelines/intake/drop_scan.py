"""What the sensor does on a tick, without Dagster: register dropped files, say what to run."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from pipelines.core.exceptions import DuplicateFileError, TerminalError
from pipelines.core.settings import StrataHome
from pipelines.intake.drop_folder import DropCursor, mark_seen, new_files
from pipelines.intake.registered_layers import layers_to_load
from pipelines.intake.registration import register


@dataclass
class IntakeTick:
    """One tick's outcome: layer runs to request, and what a person should read in the log."""

    requests: list[tuple[str, str]] = field(default_factory=list)  # (version, layer sha256)
    registered: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # one line each: file and why


def scan_drop_folder(
    conn: psycopg.Connection, home: StrataHome, folder: Path, cursor: DropCursor, settle_seconds: float
) -> IntakeTick:
    tick = IntakeTick()
    for path in new_files(folder, cursor, settle_seconds):
        try:
            registered = register(conn, path, home)
        except DuplicateFileError as exc:
            tick.ignored.append(f"duplicate: {exc}")
        except TerminalError as exc:
            tick.ignored.append(f"refused: {exc}")
        else:
            tick.registered.append(f"{path.name} → file {registered.id}")
            tick.requests.extend(layers_to_load(conn, registered.id))
        mark_seen(cursor, path)
    return tick
