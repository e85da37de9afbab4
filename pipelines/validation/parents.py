"""Resolve ext_id references (``passport.parent_id``) after a layer's single pass.

A parent may be anywhere in the same layer (before or after its child), in an
earlier layer that is validated but not loaded yet (the caller passes those ids),
or in our database. Only the references found in neither of the first two are
looked up, in one query per batch: not one query per report.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Final

import psycopg
from psycopg import sql

from pipelines.contract.analyst_errors import ErrorCode, ErrorLog
from pipelines.contract.declarations import Entity

KNOWN_EXT_IDS: Final = sql.SQL("SELECT {ext_id} FROM {table} WHERE {ext_id} = ANY(%(ext_ids)s)")
BATCH: Final = 50_000

References = Mapping[
    str, list[tuple[str, str | None, str, str]]
]  # value -> [(ext_id, passport, field, target)]


def known_in_database(conn: psycopg.Connection, entity: Entity, ext_ids: Iterable[str]) -> set[str]:
    """Which of ``ext_ids`` the entity's table holds."""
    wanted = sorted(set(ext_ids))
    query = KNOWN_EXT_IDS.format(ext_id=sql.Identifier(entity.ext_id), table=sql.Identifier(entity.table))
    found: set[str] = set()
    with conn.transaction():
        for start in range(0, len(wanted), BATCH):
            batch = wanted[start : start + BATCH]
            found.update(row[0] for row in conn.execute(query, {"ext_ids": batch}))
    return found


def resolve_references(
    conn: psycopg.Connection,
    kind: str,
    references: References,
    in_layer: Mapping[str, Collection[str]],
    earlier: Mapping[str, Collection[str]],
    entities: Mapping[str, Entity],
    log: ErrorLog,
) -> None:
    """Report ``not_found`` for every reference found nowhere; ``kind`` is the referencing entity."""
    by_target: dict[str, set[str]] = {}
    for value, uses in references.items():
        for _, _, _, target in uses:
            if value not in in_layer.get(target, ()) and value not in earlier.get(target, ()):
                by_target.setdefault(target, set()).add(value)
    for target, values in by_target.items():
        missing = values - known_in_database(conn, entities[target], values)
        for value in sorted(missing):
            for ext_id, passport, field, _ in (use for use in references[value] if use[3] == target):
                log.add(
                    ErrorCode.NOT_FOUND,
                    kind,
                    ext_id,
                    passport,
                    field,
                    value,
                    f"{field} {value!r} is neither in this layer, an earlier layer, nor our database",
                )
