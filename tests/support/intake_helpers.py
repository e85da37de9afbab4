"""Small exports built in tests, and a look at everything registration may leave behind."""

from __future__ import annotations

from pathlib import Path

import orjson
import psycopg
import py7zr

from pipelines.core.settings import StrataHome
from pipelines.db.connection import one_row


def report(ext_id: str, name: str = "Bridge") -> dict:
    return {"id": ext_id, "name": name, "category": "bridge", "status": "active"}


def export_doc(layers: dict[str, list[dict]]) -> dict:
    return {
        "source": "registry-portal",
        "exported_at": "2026-11-01T03:00:00Z",
        "layers": [{"version": v, "released_at": f"{v}-28", "reports": r} for v, r in layers.items()],
    }


def write_json(path: Path, doc: dict | bytes) -> Path:
    path.write_bytes(doc if isinstance(doc, bytes) else orjson.dumps(doc))
    return path


def write_7z(path: Path, members: dict[str, bytes]) -> Path:
    with py7zr.SevenZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(data, name)
    return path


def leftovers(home: StrataHome) -> list[str]:
    """Every file under the archive, spool and work folders."""
    return sorted(
        str(p.relative_to(home.root))
        for folder in ("archive", "spool", "work")
        for p in (home.root / folder).rglob("*")
        if p.is_file()
    )


def registry_rows(conn: psycopg.Connection) -> tuple[int, int]:
    return one_row(
        conn, "SELECT (SELECT count(*) FROM loader_file), (SELECT count(*) FROM loader_file_layer)"
    )
