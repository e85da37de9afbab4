"""Load one validated layer in one transaction: COPY the mapped rows, upsert by ext_id.

The caller's connection must have no transaction open: the load is its own
transaction, so a failure anywhere (or a killed process) leaves the database
exactly as it was. History and import flags are written by the triggers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import orjson
import psycopg
from psycopg import sql
from psycopg.pq import TransactionStatus
from psycopg.types.json import Jsonb

from pipelines.contract.declarations import ENTITIES, Entity
from pipelines.contract.row_digest import DIGEST_COLUMN, DIGEST_TYPE, digest_types, read_stage_types
from pipelines.core import locks
from pipelines.core.exceptions import TerminalError
from pipelines.core.progress import Meter, Progress
from pipelines.db.connection import one_row
from pipelines.db.lock_wait import wait_for_xact_lock
from pipelines.db.sql_text import read_sql
from pipelines.load import statements
from pipelines.load.key_checks import check_written, plan_key_checks, row_checks_skipped
from pipelines.load.order import check_ready
from pipelines.load.unchanged_rows import TableRows, read_chain, record_load, table_rows

AfterLoad = Callable[[psycopg.Connection, "LoadResult"], object]
COPY_BLOCK = 1 << 20


@dataclass(frozen=True)
class TableCounts:
    staged: int
    created: int
    updated: int
    removed: int = 0

    @property
    def unchanged(self) -> int:
        return self.staged - self.created - self.updated

    def as_dict(self) -> dict[str, int]:
        return {
            "staged": self.staged,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
        }


@dataclass
class LoadResult:
    version: str
    report_id: int
    tables: dict[str, TableCounts] = field(default_factory=dict)
    overwrites: int = 0
    touched_passports: list[int] = field(default_factory=list)
    key_checks: str = ""  # "set-based", or "row by row (why)": see key_checks
    parents_locked: int = 0
    chain_held: bool = False  # the validation chain's unchanged rows could be left out (unchanged_rows)
    chain: str = ""  # why they could, or could not
    rows_left_out: int = 0  # rows not copied because unchanged; counted as staged and unchanged

    @property
    def writes(self) -> int:
        return sum(c.created + c.updated + c.removed for c in self.tables.values())


class _Steps:
    """The load's progress: one step per COPY and per statement group, named while it runs."""

    def __init__(self, meter: Meter) -> None:
        self.meter = meter

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        self.meter.update(self.meter.done, name)
        yield
        self.meter.advance(1)


def step_count(entities: tuple[Entity, ...], after_load: bool) -> int:
    """Copies (entities and links), reference checks, writes (entities and links), key plan and
    check, overwrites, and the after-load hook: what ``load_layer`` counts as its steps."""
    links = sum(len(entity.links) for entity in entities)
    return 3 * len(entities) + 2 * links + 3 + int(after_load)


def load_layer(
    conn: psycopg.Connection,
    version: str,
    entities: tuple[Entity, ...] = ENTITIES,
    after_load: AfterLoad | None = None,
    progress: Progress | None = None,
) -> LoadResult:
    """Load the validated rows of ``version``; refuses out of order or unvalidated layers.

    ``after_load`` runs inside the same transaction (e.g. refreshing a read model for the
    touched passports), so what depends on the layer commits or rolls back with it.
    ``progress`` hears the steps done (a COPY, a group of statements) and the step running."""
    if conn.info.transaction_status != TransactionStatus.IDLE:
        raise TerminalError("a layer load is its own transaction: commit or roll back the connection first")
    meter = (progress or Progress()).meter(
        "load", f"layer {version}", step_count(entities, after_load is not None), "steps"
    )
    steps = _Steps(meter)
    with meter.heartbeat(), conn.transaction():  # a statement may run for minutes: the log still hears
        meter.update(0, "taking the import lock")
        if conn.info.server_version >= 140000:  # a killed loader's session lets go of the locks in seconds
            conn.execute(locks.NOTICE_DEAD_CLIENT)
        waiting = partial(meter.update, 0)  # the heartbeat repeats the note: who holds it, since when
        # the mapped rows stay until we commit (housekeeping takes this one exclusively)
        wait_for_xact_lock(conn, locks.SPOOLS, "the spool files (housekeeping)", waiting, shared=True)
        wait_for_xact_lock(conn, locks.IMPORT, "the import lock (another layer load)", waiting)
        meter.update(0, "import lock taken")
        ready = check_ready(conn, version)
        claim = record_load(conn, ready.report_id, read_chain(ready.mapped_path))
        meter.update(0, claim.why)
        conn.execute(read_sql("load/begin_import"), (ready.report_id,))
        conn.execute("SET LOCAL work_mem = '256MB'")
        result = LoadResult(version, ready.report_id, chain_held=claim.held, chain=claim.why)
        staged, result.rows_left_out = _stage_all(conn, ready.mapped_path, entities, steps, claim.held)
        for entity in entities:
            with steps.step(f"checking {entity.table} references"):
                _refuse_unresolved(conn, entity, version)
                conn.execute(statements.snapshot_manual(entity))
        with steps.step("planning key checks"):
            plan = plan_key_checks(conn, statements.written_rows(entities))
        marks = {"report_id": ready.report_id}  # the writes mark their rows (statements.py)
        with row_checks_skipped(conn, plan):
            for entity in entities:
                with steps.step(f"writing {entity.table}"):
                    created = conn.execute(statements.insert_new(entity), marks).rowcount
                    updated = conn.execute(statements.update_changed(entity), marks).rowcount
                result.tables[entity.table] = TableCounts(staged[entity.table], created, updated)
            for entity in entities:
                for link in entity.links:
                    with steps.step(f"writing {link.table}"):
                        changes, remove, add = statements.link_statements(link, entity)
                        conn.execute(changes)
                        removed = conn.execute(remove).rowcount
                        added = conn.execute(add, marks).rowcount
                    result.tables[link.table] = TableCounts(staged[link.table], added, 0, removed)
        with steps.step("checking keys"):
            result.parents_locked = check_written(conn, plan, version)
        result.key_checks = plan.description
        with steps.step("reporting overwritten manual values"):
            for entity in entities:
                result.overwrites += conn.execute(
                    statements.report_overwrites(entity),
                    {"report_id": ready.report_id, "bookkeeping": list(statements.BOOKKEEPING)},
                ).rowcount
        result.touched_passports = [i for (i,) in conn.execute(read_sql("load/touched_passports"))]
        if after_load is not None:
            with steps.step("refreshing read models"):
                after_load(conn, result)
        counts = {t: c.as_dict() for t, c in result.tables.items()} | {"overwrites": result.overwrites}
        conn.execute(
            read_sql("load/record_loaded"),
            {
                "counts": Jsonb(counts),
                "content_sha256": ready.sha256,
                "file_id": ready.file_id,
                "report_id": ready.report_id,
            },
        )
    left_out = f", {result.rows_left_out:,} unchanged rows left out" if result.chain_held else ""
    meter.finish(f"{result.writes:,} rows written{left_out}")
    return result


def _stage_all(
    conn: psycopg.Connection, folder: Path, entities: tuple[Entity, ...], steps: _Steps, leave_out: bool
) -> tuple[dict[str, int], int]:
    """Create and fill every staging table from the mapped CSV files; rows per table, and the rows
    left out of the copies (``unchanged_rows``).

    An entity's rows, with the digests validation computed, are copied into a raw table, then
    staged in one pass with their ids (``statements.stage_entity``); a link's rows are its
    staging table as copied. With ``leave_out`` (the chain's claim held) a table with staged
    ranges copies only those: the rows left out count as staged and unchanged, as they would be."""
    try:
        manifest = orjson.loads((folder / "manifest.json").read_bytes())
    except FileNotFoundError:
        raise TerminalError(
            f"{folder}: the layer's mapped rows are gone (disk housekeeping removes them once the "
            "layer is loaded and a newer export holds it): materialize raw_layer for this layer "
            "to validate it again, then load it"
        ) from None
    staged: dict[str, int] = {}
    left_out = 0
    conn.execute(statements.STAGE_STATISTICS)
    for entity in entities:
        rows = table_rows(folder, manifest[entity.table], leave_out)
        with steps.step(f"copying {entity.table} ({rows.description})"):
            types = read_stage_types(conn, entity)
            _check_digest_types(folder, manifest, entity, types)
            raw = statements.raw_of(entity.table)
            columns = (*entity.columns, DIGEST_COLUMN)
            _copy(
                conn, folder, manifest, entity.table, raw, columns, types | {DIGEST_COLUMN: DIGEST_TYPE}, rows
            )
            staged[entity.table] = rows.counted(conn.execute(statements.stage_entity(entity)).rowcount)
            left_out += rows.left_out
            conn.execute(statements.q("DROP TABLE {raw}", raw=raw))
            conn.execute(statements.analyze_stage(entity))
            conn.execute(statements.create_written(entity.table))
        for link in entity.links:
            rows = table_rows(folder, manifest[link.table], leave_out)
            with steps.step(f"copying {link.table} ({rows.description})"):
                link_types: dict[str, str] = dict(
                    conn.execute(read_sql("load/target_types"), (link.table,)).fetchall()
                )
                types = {link.owner_ext_column: "text", link.target_column: link_types[link.target_column]}
                stage = statements.stage_of(link.table)
                _copy(conn, folder, manifest, link.table, stage, link.columns, types, rows)
                conn.execute(statements.analyze_link_stage(link))
                conn.execute(statements.create_written(link.table))
                staged[link.table] = rows.counted(_count(conn, link.table))
                left_out += rows.left_out
    return staged, left_out


def _copy(
    conn: psycopg.Connection,
    folder: Path,
    manifest: dict,
    table: str,
    into: sql.Identifier,
    columns: tuple[str, ...],
    types: dict[str, str],
    rows: TableRows,
) -> None:
    """COPY the table's rows: all of them, or the staged ranges ``rows`` chose."""
    if tuple(manifest[table]["columns"]) != columns:
        older = DIGEST_COLUMN in columns and DIGEST_COLUMN not in manifest[table]["columns"]
        why = " (validated by an older release, without the rows' digests)" if older else ""
        raise TerminalError(
            f"{folder}: {table}.csv has columns {manifest[table]['columns']}, the import "
            f"declarations expect {list(columns)}{why}: validate the layer again"
        )
    conn.execute(statements.create_raw(into, columns, types))
    with conn.cursor().copy(statements.copy_raw(into, columns)) as copy:
        for block in rows.blocks(COPY_BLOCK):
            copy.write(block)


def _check_digest_types(folder: Path, manifest: dict, entity: Entity, types: dict[str, str]) -> None:
    """The digests were computed for the column types of validation time: a migration since then
    that changed a type would make them differ from what PostgreSQL prints now."""
    recorded, now = manifest[entity.table].get("digest_types"), digest_types(entity, types)
    if recorded is not None and recorded != now:
        raise TerminalError(
            f"{folder}: {entity.table}.csv's digests were computed for the column types {recorded}, "
            f"the database now has {now}: validate the layer again"
        )


def _count(conn: psycopg.Connection, table: str) -> int:
    return int(
        one_row(conn, statements.q("SELECT count(*) FROM {stage}", stage=statements.stage_of(table)))[0]
    )


def _refuse_unresolved(conn: psycopg.Connection, entity: Entity, version: str) -> None:
    """Validation reports unknown parents; this guards the load should one slip through."""
    for check in statements.unresolved_checks(entity):
        row = conn.execute(check).fetchone()
        if row:
            raise TerminalError(
                f"layer {version}: {entity.kind} {row[0]} refers to {row[1]}, "
                "which is in neither the database nor the layer"
            )
