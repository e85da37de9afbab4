"""The practical limit: plain COPY of the same flattened rows into tables with the same keys.

Same database, same server, same rows (the mapped CSVs validation wrote for every layer),
schema ``bench_copy``: each table has an identity primary key and every index its real
table has (the ext_id index non-unique, since later layers re-send records; parent ids
stay ext_ids). No parsing, no validation, no upsert, no history: only what the server
must do to take the rows in, one COPY per table and layer, one transaction per layer.

The entity files end each row with the import digest the worker computed (``digest``, for the
load's change detection); the limit copies the data columns only, as before the worker wrote
digests: the client drops each row's last 33 bytes (``,`` and 32 hex digits, never quoted)
with one regular expression per block, beside the server's COPY.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from psycopg import sql

from bench.environment import BenchEnv
from pipelines.contract.declarations import ENTITIES
from pipelines.contract.row_digest import DIGEST_COLUMN
from pipelines.db.connection import connect
from pipelines.db.sql_text import read_sql
from pipelines.validation.registered import mapped_dir, registered_layer

SCHEMA = "bench_copy"
BLOCK = 1 << 20
INDEXED_COLUMNS = """
SELECT array_agg(a.attname ORDER BY k.ord)
FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
WHERE i.indrelid = %s::regclass AND NOT i.indisprimary
GROUP BY i.indexrelid"""
ROW_DIGEST = re.compile(rb",[0-9a-f]{32}(?=\r\n)")


def _blocks(path: Path, digested: bool) -> Iterator[bytes]:
    """The file's bytes; without each row's trailing digest when ``digested``."""
    with open(path, "rb") as f:
        if not digested:
            while block := f.read(BLOCK):
                yield block
            return
        rest = b""
        while block := f.read(BLOCK):
            block = rest + block
            end = block.rfind(b"\r\n") + 2  # whole rows only; the rest waits for the next block
            rest = block[end:] if end >= 2 else block
            if end >= 2:
                yield ROW_DIGEST.sub(b"", block[:end])
        if rest:
            yield rest


def _tables() -> list[tuple[str, dict[str, str], dict[str, str]]]:
    """(table, mapped column -> type, table column -> mapped column) for every copied table."""
    out: list[tuple[str, dict[str, str], dict[str, str]]] = []
    for entity in ENTITIES:
        out.append((entity.table, {}, {c.table_column: c.name for c in entity.mapped_columns}))
        for link in entity.links:
            out.append((link.table, {}, dict(zip(link.table_columns, link.columns, strict=False))))
    return out


def _create(conn: Any) -> list[tuple[str, tuple[str, ...]]]:
    conn.execute(
        sql.SQL("DROP SCHEMA IF EXISTS {s} CASCADE; CREATE SCHEMA {s}").format(s=sql.Identifier(SCHEMA))
    )
    created = []
    for table, _, renamed in _tables():
        target = dict(conn.execute(read_sql("load/target_types"), (table,)).fetchall())
        columns = tuple(renamed.values())
        defs = sql.SQL(", ").join(
            sql.SQL("{} {}").format(
                sql.Identifier(name),
                sql.SQL("text" if name != column and name.endswith("ext_id") else target[column]),
            )
            for column, name in renamed.items()
        )
        conn.execute(
            sql.SQL("CREATE TABLE {} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, {})").format(
                sql.Identifier(SCHEMA, table), defs
            )
        )
        for (indexed,) in conn.execute(INDEXED_COLUMNS, (table,)).fetchall():
            if all(c in renamed for c in indexed):
                conn.execute(
                    sql.SQL("CREATE INDEX ON {} ({})").format(
                        sql.Identifier(SCHEMA, table),
                        sql.SQL(", ").join(sql.Identifier(renamed[c]) for c in indexed),
                    )
                )
        created.append((table, columns))
    conn.commit()
    return created


def copy_all(args: dict[str, Any]) -> dict[str, Any]:
    """COPY every layer's mapped CSVs; per layer: seconds and rows."""
    env, layers = BenchEnv(**args["env"]), []
    with connect(env.strata_url) as conn:
        tables = _create(conn)
        folders = [mapped_dir(registered_layer(conn, v)) for v in args["versions"]]
        conn.commit()
        for version, folder in zip(args["versions"], folders, strict=False):
            manifest = orjson.loads((Path(folder) / "manifest.json").read_bytes())
            started, rows = time.perf_counter(), 0
            with conn.transaction():
                for table, columns in tables:
                    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
                        sql.Identifier(SCHEMA, table), sql.SQL(", ").join(map(sql.Identifier, columns))
                    )
                    digested = manifest[table]["columns"][-1:] == [DIGEST_COLUMN]
                    with conn.cursor() as cur:
                        with cur.copy(statement) as copy:
                            for block in _blocks(Path(folder) / manifest[table]["file"], digested):
                                copy.write(block)
                        rows += cur.rowcount
            layers.append({"version": version, "seconds": time.perf_counter() - started, "rows": rows})
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(SCHEMA)))
        conn.commit()
    return {"layers": layers}
