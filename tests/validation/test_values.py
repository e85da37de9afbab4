"""Validation of values on hand-made layers: required, unparsable, enum-like, respelled, mapped CSVs."""

from __future__ import annotations

from pathlib import Path

import psycopg

from tests.support.validation_helpers import (
    csv_rows,
    keys,
    maintenance,
    mapped_rows,
    report,
    run_layer,
)


def test_required_and_unparsable_values(conn: psycopg.Connection, folder: Path) -> None:
    result = run_layer(
        conn,
        folder,
        [
            {"id": "P-1", "name": "  ", "status": "active", "portal_note": "ignored"},
            report(
                "P-2", status="closed", commissioned="2026-02-30", length={"value": "12,5.3", "unit": "m"}
            ),
            report(
                "P-3",
                length={"value": 3},
                maintenance=[
                    {
                        "id": "M-1",
                        "date": "31.02.2026",
                        "repair_type": "",
                        "cost": "abc",
                        "crew": "Ivanov Ivan",
                    },
                    {"date": "2025-01-01", "repair_type": "patching"},
                ],
            ),
            report(
                "P-4",
                maintenance=[maintenance("M-2", measurements=[{"id": "X-1", "kind": "depth", "unit": "m"}])],
            ),
            report("P-5", length={"value": None, "unit": ""}, region="", signs="none"),
            "not an object",
            {"name": "no id", "category": "bridge", "status": "active"},
        ],
    )
    assert keys(result.errors) == {
        ("passport", "P-1", "name", "required"),
        ("passport", "P-1", "category", "required"),
        ("passport", "P-2", "status", "cant_parse"),
        ("passport", "P-2", "commissioned", "cant_parse"),
        ("passport", "P-2", "length.value", "cant_parse"),
        ("passport", "P-3", "length.unit", "required"),
        ("maintenance", "M-1", "date", "cant_parse"),
        ("maintenance", "M-1", "repair_type", "required"),
        ("maintenance", "M-1", "cost", "cant_parse"),
        ("maintenance", "M-1", "crew", "cant_parse"),
        ("maintenance", None, "id", "required"),
        ("measurement", "X-1", "value", "required"),
        ("passport", "P-5", "signs", "cant_parse"),
        ("passport", None, "id", "cant_parse"),
        ("passport", None, "id", "required"),
    }
    p5 = mapped_rows(result, "passport")["P-5"]
    assert p5[3] == "" and p5[6:8] == ["", ""]  # empty optional values and an empty quantity are NULL


def test_enum_values_by_code_or_mapping_else_mapping_not_found(
    conn: psycopg.Connection, folder: Path
) -> None:
    result = run_layer(
        conn,
        folder,
        [
            report(
                "P-1",
                category=" BR ",
                length={"value": 5, "unit": "М"},
                signs=[{"id": "S-1", "code": "3-24"}],
            ),
            report(
                "P-2",
                category="aqueduct",
                length={"value": 5, "unit": "ft"},
                signs=[{"id": "S-2", "code": "9.9"}],
                maintenance=[
                    maintenance(
                        "M-1",
                        repair_type="deicing",
                        measurements=[{"id": "X-1", "kind": "depth", "value": 1, "unit": "yd"}],
                    )
                ],
            ),
        ],
    )
    assert keys(result.errors) == {
        ("passport", "P-2", "category", "mapping_not_found"),
        ("passport", "P-2", "length.unit", "mapping_not_found"),
        ("sign", "S-2", "code", "mapping_not_found"),
        ("maintenance", "M-1", "repair_type", "mapping_not_found"),
        ("measurement", "X-1", "unit", "mapping_not_found"),
    }
    ids: dict[str, int] = dict(
        conn.execute(
            "SELECT 'bridge', id FROM category WHERE code = 'bridge' UNION ALL "
            "SELECT 'm', id FROM measure_unit WHERE code = 'm' UNION ALL "
            "SELECT '3.24', id FROM sign_code WHERE code = '3.24'"
        ).fetchall()
    )
    p1 = mapped_rows(result, "passport")["P-1"]
    assert (p1[2], p1[7]) == (str(ids["bridge"]), str(ids["m"]))
    assert mapped_rows(result, "sign")["S-1"][2] == str(ids["3.24"])


def test_respelled_record_maps_to_identical_rows(conn: psycopg.Connection, folder: Path) -> None:
    first = run_layer(
        conn,
        folder,
        [
            report(
                "P-1",
                category="bridge",
                inspector="Ivanov Ivan Petrovich",
                length={"value": 120.5, "unit": "m"},
                maintenance=[
                    maintenance(
                        "M-1",
                        repair_type="patching",
                        cost="1234.50",
                        crew=["Smirnova Anna Sergeevna"],
                        measurements=[{"id": "X-1", "kind": "depth", "value": 3.5, "unit": "m"}],
                    )
                ],
            )
        ],
    )
    second = run_layer(
        conn,
        folder,
        [
            report(
                "P-1",
                category="Bridges",
                inspector="IVANOV IVAN PETROVICH",
                length={"unit": "metre", "value": "120,5"},
                maintenance=[
                    maintenance(
                        "M-1",
                        repair_type="PATCH",
                        cost="1234.5",
                        crew=["Smirnova A.S."],
                        measurements=[{"id": "X-1", "kind": "depth", "value": "3,50", "unit": "м"}],
                    )
                ],
            )
        ],
        version="2026-02",
    )
    assert first.errors == second.errors == []
    for table in first.mapped:
        assert csv_rows(first.mapped[table]) == csv_rows(second.mapped[table]), table


def test_mapped_csv_is_copy_ready(conn: psycopg.Connection, folder: Path) -> None:
    tricky = 'Bridge "Old", north\nspan'
    result = run_layer(
        conn,
        folder,
        [
            report(
                "P-1",
                name=tricky,
                region=None,
                commissioned="1999-12-31",
                length={"value": "0,5", "unit": "km"},
            )
        ],
    )
    conn.execute(
        "CREATE TEMP TABLE staged (ext_id text, name text, category_id bigint, region text, "
        "parent_ext_id text, commissioned date, length_value numeric, length_unit_id bigint, "
        "inspector_id bigint, status text, digest uuid)"
    )
    with conn.cursor().copy("COPY staged FROM STDIN (FORMAT csv)") as copy:
        copy.write(result.mapped["passport"].read_bytes())
    row = conn.execute(
        "SELECT name, region, commissioned::text, length_value, inspector_id, digest = md5(ROW(name, "
        "category_id, region, parent_ext_id, commissioned, length_value, length_unit_id, inspector_id, "
        "status)::text)::uuid FROM staged"
    ).fetchone()
    assert row is not None
    assert (row[0], row[1], row[2], str(row[3]), row[4], row[5]) == (
        tricky,
        None,
        "1999-12-31",
        "0.5",
        None,
        True,
    )
