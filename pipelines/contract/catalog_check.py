"""Do the import declarations match the database? Checked before a layer is validated or loaded.

A declaration that names a column no migration created would otherwise fail deep
inside a COPY or an upsert, after minutes of work; a table without its history
table and triggers would load silently without history. ``check_declarations``
reads the catalog once and names every mismatch with the declaration it is in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

import psycopg

from pipelines.contract.declarations import Entity, Link, vocabularies_of
from pipelines.core.exceptions import TerminalError
from pipelines.db.sql_text import read_sql

# The history machinery of 0004_history.sql and 0020: trigger name suffix -> function (``{t}`` = table).
HISTORY_TRIGGERS: Final = {
    "_mark_insert": "strata_mark_write",
    "_mark_update": "strata_mark_write",
    "_history_insert": "{t}_write_history",
    "_history_update": "{t}_write_history",
    "_history_delete": "{t}_write_history",
}
BOOKKEEPING: Final = frozenset({"id", "report_id", "auto_imported"})  # the history header covers these


class DeclarationError(TerminalError):
    """Import declarations that disagree with the catalog; lists every problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("import declarations do not match the database:\n  " + "\n  ".join(problems))


@dataclass(frozen=True)
class _Catalog:
    columns: dict[str, set[str]]
    triggers: dict[str, dict[str, str]]
    unique_keys: dict[str, set[tuple[str, ...]]]


def _read_catalog(conn: psycopg.Connection, tables: set[str]) -> _Catalog:
    wanted = {"tables": sorted(tables | {f"{t}_history" for t in tables})}
    columns: dict[str, set[str]] = defaultdict(set)
    for table, column in conn.execute(read_sql("validation/catalog_columns"), wanted):
        columns[table].add(column)
    triggers: dict[str, dict[str, str]] = defaultdict(dict)
    for table, trigger, function in conn.execute(read_sql("validation/catalog_triggers"), wanted):
        triggers[table][trigger] = function
    unique: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for table, key in conn.execute(read_sql("validation/catalog_unique_keys"), wanted):
        unique[table].add(tuple(key))
    return _Catalog(dict(columns), dict(triggers), dict(unique))


def check_declarations(conn: psycopg.Connection, entities: Iterable[Entity]) -> None:
    """Raise ``DeclarationError`` naming each declaration that the catalog contradicts."""
    entities = tuple(entities)
    links = [(entity, link) for entity in entities for link in entity.links]
    vocabularies = vocabularies_of(entities)
    tables = (
        {e.table for e in entities}
        | {link.table for _, link in links}
        | vocabularies
        | {f"{v}_mapping" for v in vocabularies}
    )
    catalog = _read_catalog(conn, tables)
    kinds = {e.kind for e in entities}
    problems: list[str] = []
    for entity in entities:
        problems += _entity_problems(entity, catalog, kinds)
    for entity, link in links:
        problems += _link_problems(entity, link, catalog)
    for name in sorted(vocabularies):
        problems += _table_problems(f"vocabulary {name}", name, ("id", "code"), catalog)
        problems += _table_problems(f"vocabulary {name}", f"{name}_mapping", ("value", f"{name}_id"), catalog)
    if problems:
        raise DeclarationError(problems)


def _entity_problems(entity: Entity, catalog: _Catalog, kinds: set[str]) -> list[str]:
    label = f"declaration {entity.kind} (table {entity.table})"
    problems = _table_problems(label, entity.table, entity.table_columns, catalog)
    if problems and entity.table not in catalog.columns:
        return problems
    if (entity.ext_id,) not in catalog.unique_keys.get(entity.table, set()):
        problems.append(
            f"{label}: ext_id column {entity.ext_id!r} has no unique index (the upsert's conflict target)"
        )
    parent = entity.parent
    if parent is not None and parent.entity not in kinds:
        problems.append(f"{label}: parent entity {parent.entity!r} is not declared")
    return problems + _history_problems(label, entity.table, catalog)


def _link_problems(owner: Entity, link: Link, catalog: _Catalog) -> list[str]:
    label = f"declaration {owner.kind}.{link.key} (link table {link.table})"
    problems = _table_problems(label, link.table, link.table_columns, catalog)
    if problems and link.table not in catalog.columns:
        return problems
    if link.table_columns not in catalog.unique_keys.get(link.table, set()):
        problems.append(f"{label}: no unique index on {', '.join(link.table_columns)}")
    return problems + _history_problems(label, link.table, catalog)


def _table_problems(label: str, table: str, columns: Iterable[str], catalog: _Catalog) -> list[str]:
    present = catalog.columns.get(table)
    if present is None:
        return [f"{label}: table {table!r} does not exist"]
    return [
        f"{label}: column {column!r} is not in table {table!r}"
        for column in dict.fromkeys(columns)
        if column not in present
    ]


def _history_problems(label: str, table: str, catalog: _Catalog) -> list[str]:
    """Every version of an imported row is kept by triggers; without them an import loses history."""
    fix = f"run SELECT strata_track_history('{table}')"
    history = catalog.columns.get(f"{table}_history")
    if history is None:
        return [f"{label}: history table {table}_history does not exist ({fix})"]
    problems = [
        f"{label}: column {column!r} is not tracked in {table}_history ({fix})"
        for column in sorted(catalog.columns[table] - BOOKKEEPING - history)
    ]
    triggers = catalog.triggers.get(table, {})
    for suffix, function in HISTORY_TRIGGERS.items():
        name, expected = f"{table}{suffix}", function.format(t=table)
        if triggers.get(name) != expected:
            problems.append(f"{label}: trigger {name} calling {expected}() is missing ({fix})")
    return problems
