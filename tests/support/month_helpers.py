"""A year of monthly exports as the portal sends them, and the engine's steps for one month."""

from __future__ import annotations

from pathlib import Path

import orjson
import psycopg

from pipelines.core.settings import StrataHome
from pipelines.db.connection import connect
from pipelines.intake.housekeeping import Tidied, disk_bytes, tidy_after_commit
from pipelines.intake.registered_layers import layers_to_load
from pipelines.intake.registration import register
from pipelines.load.transaction import load_layer
from pipelines.sample.export import write_sample
from pipelines.validation.registered import registered_layer, validate_registered


def monthly_exports(
    out: Path, months: int, *, passports: int = 120, seed: int = 1
) -> tuple[list[Path], dict]:
    """Export k holds layers 1..k, each exactly as every other export carries it (the portal
    re-sends every earlier layer unchanged): one sample of ``months`` layers, cut month by month."""
    expected = write_sample(out / "sample", seed=seed, passports=passports, layers=months)
    doc = orjson.loads((out / "sample" / "export.json").read_bytes())
    exports = []
    for k, layer in enumerate(doc["layers"], 1):
        month = {**doc, "exported_at": f"{layer['released_at']}T03:00:00Z", "layers": doc["layers"][:k]}
        path = out / f"export-{layer['version']}.json"
        path.write_bytes(orjson.dumps(month))
        exports.append(path)
    return exports, expected


def load_month(conn: psycopg.Connection, db_url: str, export: Path, home: StrataHome) -> list[Tidied]:
    """What `strata load` does with one export, on the engine: register, validate and load the new
    layers, with the housekeeping where the product runs it (after each commit that can free files)."""
    registered = register(conn, export, home, reuse=True)
    conn.commit()
    rounds = [tidy_after_commit(lambda: connect(db_url), home)]
    for version, _ in layers_to_load(conn, registered.id):
        assert validate_registered(conn, registered_layer(conn, version)).valid
        conn.commit()
        load_layer(conn, version)
        rounds.append(tidy_after_commit(lambda: connect(db_url), home))
    return rounds


def folder_bytes(home: StrataHome) -> dict[str, int]:
    """Bytes under each folder housekeeping looks after (and the archive, which it never touches)."""
    return {name: disk_bytes(home.root / name) for name in ("archive", "spool", "work")}
