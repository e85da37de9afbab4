"""The import declarations: their column layout (the loader's contract) and the catalog check."""

from __future__ import annotations

from dataclasses import replace

import psycopg
import pytest

from pipelines.contract.catalog_check import DeclarationError, check_declarations
from pipelines.contract.declarations import (
    ENTITIES,
    MAINTENANCE,
    PASSPORT,
    SIGN,
    Child,
    Entity,
    Field,
    Link,
    enclosing,
    ext_column,
    person,
    vocabularies_of,
    walk,
)


def test_mapped_row_layouts() -> None:
    layouts = {e.table: e.columns for e in ENTITIES} | {
        link.table: link.columns for e in ENTITIES for link in e.links
    }
    assert layouts == {
        "passport": (
            "ext_id",
            "name",
            "category_id",
            "region",
            "parent_ext_id",
            "commissioned",
            "length_value",
            "length_unit_id",
            "inspector_id",
            "status",
        ),
        "maintenance": ("ext_id", "passport_ext_id", "date", "repair_type_id", "performed_by_id", "cost"),
        "measurement": ("ext_id", "maintenance_ext_id", "kind", "value", "unit_id"),
        "sign": ("ext_id", "passport_ext_id", "sign_code_id", "installed", "condition"),
        "maintenance_crew": ("maintenance_ext_id", "profile_id"),
    }
    assert PASSPORT.table_columns[4] == "parent_id" and MAINTENANCE.table_columns[1] == "passport_id"


def test_parents_children_and_links_are_exposed() -> None:
    assert [e.kind for e in ENTITIES] == ["passport", "maintenance", "measurement", "sign"]
    parent = PASSPORT.parent
    assert parent is not None and (
        parent.column,
        parent.table_column,
        parent.entity,
        parent.source,
        parent.key,
    ) == ("parent_ext_id", "parent_id", "passport", "reference", "parent_id")
    parent = MAINTENANCE.parent
    assert parent is not None and (parent.column, parent.entity, parent.source) == (
        "passport_ext_id",
        "passport",
        "enclosing",
    )
    assert [(c.key, c.entity.kind) for c in PASSPORT.children] == [
        ("maintenance", "maintenance"),
        ("signs", "sign"),
    ]
    (crew,) = MAINTENANCE.links
    assert (crew.key, crew.table, crew.owner_column, crew.owner_ext_column, crew.target_column) == (
        "crew",
        "maintenance_crew",
        "maintenance_id",
        "maintenance_ext_id",
        "profile_id",
    )
    assert [c.resolves for c in PASSPORT.mapped_columns if c.resolves] == ["passport"]
    assert vocabularies_of(ENTITIES) == {"category", "measure_unit", "repair_type", "sign_code"}
    assert ext_column("maintenance_id") == "maintenance_ext_id"


def test_adding_a_field_is_one_line() -> None:
    extended = replace(SIGN, items=(*SIGN.items, Field("colour")))
    assert extended.columns[-1] == "colour" and extended.table_columns[-1] == "colour"


def test_declarations_match_the_migrated_database(conn: psycopg.Connection) -> None:
    check_declarations(conn, ENTITIES)


def problems_of(conn: psycopg.Connection, entities: tuple[Entity, ...]) -> list[str]:
    with pytest.raises(DeclarationError) as caught:
        check_declarations(conn, entities)
    return caught.value.problems


def test_missing_column_or_table_names_the_declaration(conn: psycopg.Connection) -> None:
    broken_sign = replace(SIGN, items=(*SIGN.items, Field("colour")))
    assert problems_of(conn, (PASSPORT, broken_sign)) == [
        "declaration sign (table sign): column 'colour' is not in table 'sign'"
    ]
    gadget = Entity(
        kind="gadget", table="gadget", items=(Field("name"),), enclosing=enclosing("passport_id", "passport")
    )
    assert problems_of(conn, (PASSPORT, gadget)) == [
        "declaration gadget (table gadget): table 'gadget' does not exist"
    ]
    crewless = replace(
        MAINTENANCE, links=(Link("crew", "maintenance_team", "maintenance_id", "profile_id", person),)
    )
    assert (
        "declaration maintenance.crew (link table maintenance_team): table 'maintenance_team' does not exist"
        in problems_of(conn, (PASSPORT, crewless))
    )


def test_table_without_history_is_refused_until_tracked(conn: psycopg.Connection) -> None:
    conn.execute(
        "CREATE TABLE gadget (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, ext_id text UNIQUE, "
        "passport_id bigint REFERENCES passport (id), name text, report_id bigint, "
        "auto_imported boolean NOT NULL DEFAULT false)"
    )
    gadget = Entity(
        kind="gadget", table="gadget", items=(Field("name"),), enclosing=enclosing("passport_id", "passport")
    )
    entities = (replace(PASSPORT, children=(*PASSPORT.children, Child("gadgets", gadget))), gadget)
    problems = problems_of(conn, entities)
    assert problems[0].startswith(
        "declaration gadget (table gadget): history table gadget_history does not exist"
    )
    conn.execute("SELECT strata_track_history('gadget')")
    check_declarations(conn, entities)
    conn.execute("DROP TRIGGER gadget_history_update ON gadget")
    assert problems_of(conn, entities) == [
        "declaration gadget (table gadget): trigger gadget_history_update calling gadget_write_history() is missing "
        "(run SELECT strata_track_history('gadget'))"
    ]


def test_new_column_must_be_tracked_in_history(conn: psycopg.Connection) -> None:
    conn.execute("ALTER TABLE sign ADD COLUMN colour text")
    extended = replace(SIGN, items=(*SIGN.items, Field("colour")))
    entities = walk(replace(PASSPORT, children=(PASSPORT.children[0], Child("signs", extended))))
    assert problems_of(conn, entities) == [
        "declaration sign (table sign): column 'colour' is not tracked in sign_history "
        "(run SELECT strata_track_history('sign'))"
    ]
    conn.execute("SELECT strata_track_history('sign')")
    check_declarations(conn, entities)
