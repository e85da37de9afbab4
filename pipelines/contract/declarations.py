"""How each entity of the export maps to our tables: one declaration per entity.

The validator (pipelines.validation.record_mapper) walks records with these declarations and
writes mapped rows; the loader generates its staging tables and upserts from the
same declarations; ``pipelines.contract.catalog_check.check_declarations`` compares them
with the database catalog. Adding a field to an import is one ``Field(...)`` line
below (plus its column in a migration); nothing else names columns.

Vocabulary of a declaration:

- ``Entity.ext_id``: the comparison column (the record's ``id`` key, unique per table).
- ``Field(column, key, convert, required)``: a plain column from one key; ``convert``
  is a function, or a ``Contextual`` that needs the layer's lookups (enum ids, people).
- ``Nested(key, fields)``: an object whose keys become several columns
  (``length {value, unit}`` -> ``length_value, length_unit_id``).
- ``ParentLink``: the parent, either the *enclosing* record (a maintenance inside its
  passport) or an ext_id *reference* (``passport.parent_id``), which the mapped row
  carries as ``<name>_ext_id`` for the loader to resolve.
- ``Child(key, entity)``: a list of records nested under ``key``.
- ``Link(key, table, owner_column, target_column, convert)``: a many-to-many list
  (``maintenance.crew`` -> ``maintenance_crew(maintenance_id, profile_id)``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final, Literal

from pipelines.contract.converters import (
    Contextual,
    Converter,
    VocabularyValue,
    decimal,
    iso_date,
    money,
    one_of,
    person,
    text,
    vocabulary,
)

ParentSource = Literal["enclosing", "reference"]


def ext_column(table_column: str) -> str:
    """``passport_id`` -> ``passport_ext_id``: mapped rows carry ext_ids, the loader resolves them to ids."""
    return table_column.removesuffix("_id") + "_ext_id"


@dataclass(frozen=True, slots=True)
class MappedColumn:
    """One column of a mapped row: its name in the CSV/staging table, its target column, and,
    for an ext_id the loader must resolve, the entity kind it refers to."""

    name: str
    table_column: str
    resolves: str | None = None


@dataclass(frozen=True, slots=True)
class Field:
    """A plain column; ``key`` defaults to the column name."""

    column: str
    key: str = ""
    convert: Converter | Contextual = text
    required: bool = False

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", self.column)


@dataclass(frozen=True, slots=True)
class Nested:
    """An object under ``key`` whose own keys map to columns; errors name ``key.inner``."""

    key: str
    fields: tuple[Field, ...]


@dataclass(frozen=True, slots=True)
class ParentLink:
    """The record's parent: the enclosing record, or an ext_id reference read from ``key``."""

    table_column: str
    entity: str
    source: ParentSource
    key: str | None = None

    @property
    def column(self) -> str:
        """The mapped row's column holding the parent's ext_id."""
        return ext_column(self.table_column)


def enclosing(table_column: str, entity: str) -> ParentLink:
    return ParentLink(table_column, entity, "enclosing")


def reference(key: str, table_column: str, entity: str) -> ParentLink:
    return ParentLink(table_column, entity, "reference", key)


@dataclass(frozen=True, slots=True)
class Link:
    """A many-to-many list under ``key``: one link row (owner ext_id, target id) per distinct target."""

    key: str
    table: str
    owner_column: str
    target_column: str
    convert: Converter | Contextual

    @property
    def owner_ext_column(self) -> str:
        return ext_column(self.owner_column)

    @property
    def columns(self) -> tuple[str, ...]:
        """The mapped link row: ``(maintenance_ext_id, profile_id)``."""
        return (self.owner_ext_column, self.target_column)

    @property
    def table_columns(self) -> tuple[str, ...]:
        return (self.owner_column, self.target_column)


@dataclass(frozen=True, slots=True)
class Child:
    """Records of ``entity`` listed under ``key`` of their parent record."""

    key: str
    entity: Entity


Item = Field | Nested | ParentLink


@dataclass(frozen=True)
class Entity:
    """One imported entity: its table, its items in mapped-row order, children and links."""

    kind: str
    table: str
    items: tuple[Item, ...]
    enclosing: ParentLink | None = None
    children: tuple[Child, ...] = ()
    links: tuple[Link, ...] = ()
    ext_id: str = "ext_id"
    id_key: str = "id"
    mapped_columns: tuple[MappedColumn, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        columns = [MappedColumn(self.ext_id, self.ext_id)]
        if self.enclosing is not None:
            columns.append(_parent_column(self.enclosing))
        for item in self.items:
            if isinstance(item, ParentLink):
                columns.append(_parent_column(item))
            elif isinstance(item, Nested):
                columns.extend(MappedColumn(f.column, f.column) for f in item.fields)
            else:
                columns.append(MappedColumn(item.column, item.column))
        object.__setattr__(self, "mapped_columns", tuple(columns))

    @property
    def parent(self) -> ParentLink | None:
        """The enclosing record, else the ext_id reference among the items, else None."""
        if self.enclosing is not None:
            return self.enclosing
        return next((i for i in self.items if isinstance(i, ParentLink)), None)

    @property
    def columns(self) -> tuple[str, ...]:
        """The mapped row (CSV / staging) column names, in order."""
        return tuple(c.name for c in self.mapped_columns)

    @property
    def table_columns(self) -> tuple[str, ...]:
        """The target table's columns, in the same order as ``columns``."""
        return tuple(c.table_column for c in self.mapped_columns)

    def fields(self) -> Iterator[tuple[str, Field]]:
        """Every plain field with its error label (``length.unit`` for a nested one)."""
        for item in self.items:
            if isinstance(item, Field):
                yield item.key, item
            elif isinstance(item, Nested):
                yield from ((f"{item.key}.{f.key}", f) for f in item.fields)


def _parent_column(link: ParentLink) -> MappedColumn:
    return MappedColumn(link.column, link.table_column, link.entity)


def walk(root: Entity) -> tuple[Entity, ...]:
    """The entity and all its descendants, parents before children."""
    found = [root]
    for child in root.children:
        found.extend(walk(child.entity))
    return tuple(found)


def vocabularies_of(entities: tuple[Entity, ...]) -> set[str]:
    """The vocabulary tables the declarations' converters look values up in."""
    converters = [f.convert for e in entities for _, f in e.fields()] + [
        k.convert for e in entities for k in e.links
    ]
    return {c.vocabulary for c in converters if isinstance(c, VocabularyValue)}


MEASUREMENT: Final = Entity(
    kind="measurement",
    table="measurement",
    enclosing=enclosing("maintenance_id", "maintenance"),
    items=(
        Field("kind", required=True),
        Field("value", convert=decimal, required=True),
        Field("unit_id", "unit", vocabulary("measure_unit"), required=True),
    ),
)

MAINTENANCE: Final = Entity(
    kind="maintenance",
    table="maintenance",
    enclosing=enclosing("passport_id", "passport"),
    items=(
        Field("date", convert=iso_date, required=True),
        Field("repair_type_id", "repair_type", vocabulary("repair_type"), required=True),
        Field("performed_by_id", "performed_by", person),
        Field("cost", convert=money),
    ),
    children=(Child("measurements", MEASUREMENT),),
    links=(Link("crew", "maintenance_crew", "maintenance_id", "profile_id", person),),
)

SIGN: Final = Entity(
    kind="sign",
    table="sign",
    enclosing=enclosing("passport_id", "passport"),
    items=(
        Field("sign_code_id", "code", vocabulary("sign_code"), required=True),
        Field("installed", convert=iso_date),
        Field("condition"),
    ),
)

PASSPORT: Final = Entity(
    kind="passport",
    table="passport",
    items=(
        Field("name", required=True),
        Field("category_id", "category", vocabulary("category"), required=True),
        Field("region"),
        reference("parent_id", "parent_id", "passport"),
        Field("commissioned", convert=iso_date),
        Nested(
            "length",
            (
                Field("length_value", "value", decimal, required=True),
                Field("length_unit_id", "unit", vocabulary("measure_unit"), required=True),
            ),
        ),
        Field("inspector_id", "inspector", person),
        Field("status", convert=one_of("active", "retired"), required=True),
    ),
    children=(Child("maintenance", MAINTENANCE), Child("signs", SIGN)),
)

ROOT: Final = PASSPORT
ENTITIES: Final = walk(ROOT)
LINKS: Final = tuple(link for entity in ENTITIES for link in entity.links)
