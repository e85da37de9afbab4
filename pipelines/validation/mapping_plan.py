"""An entity's declarations compiled for one layer: the plan RecordMapper walks per record.

Plain tuples with bound converters, so the mapper's per-value work is a dict lookup, an
emptiness test and one converter call (see record_mapper for why not pydantic models).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pipelines.contract.converters import bind
from pipelines.contract.declarations import Entity, Field, Nested, ParentLink
from pipelines.validation.lookups import Lookups
from pipelines.validation.mapped_files import MappedFiles, RowWriter

PLAIN, NESTED, REFERENCE = 0, 1, 2
# (key, label, convert, required, shape): shape PLAIN converts; NESTED holds its inner ops in
# the convert slot; REFERENCE holds the referenced entity kind there.
Op = tuple[str, str, Any, bool, int]
Json = Any  # a value as orjson.loads returns it: the mapper checks its type before use


class Plan:
    """One entity compiled for a layer: ops in row order, children, links, its writer and id set."""

    __slots__ = (
        "children",
        "digest",
        "enclosed",
        "id_key",
        "kind",
        "links",
        "ops",
        "references",
        "rows",
        "seen",
        "table",
        "write",
    )

    def __init__(self, entity: Entity, lookups: Lookups, files: MappedFiles) -> None:
        self.kind, self.table, self.id_key = entity.kind, entity.table, entity.id_key
        self.enclosed = entity.enclosing is not None
        self.ops: tuple[Op, ...] = tuple(compile_op(item, lookups) for item in entity.items)
        self.children = tuple((c.key, Plan(c.entity, lookups, files)) for c in entity.children)
        self.links = tuple(
            (link.key, bind(link.convert, lookups), files.writer(link.table), link.table)
            for link in entity.links
        )
        self.write: RowWriter = files.writer(entity.table)
        self.digest = files.digests[entity.table]
        self.seen: set[str] = set()
        self.rows = 0
        # referenced ext_id -> [(referencing ext_id, its passport ext_id, field, target entity kind)]
        self.references: dict[str, list[tuple[str, str | None, str, str]]] = defaultdict(list)


def _field_op(field: Field, label: str, lookups: Lookups) -> Op:
    return (field.key, label, bind(field.convert, lookups), field.required, PLAIN)


def compile_op(item: Field | Nested | ParentLink, lookups: Lookups) -> Op:
    if isinstance(item, Nested):
        inner = tuple(_field_op(f, f"{item.key}.{f.key}", lookups) for f in item.fields)
        return (item.key, item.key, inner, False, NESTED)
    if isinstance(item, ParentLink):
        return (item.key or "", item.key or "", item.entity, False, REFERENCE)
    return _field_op(item, item.key, lookups)


def is_empty(value: Json) -> bool:
    return value is None or (value.__class__ is str and (not value or value.isspace()))
