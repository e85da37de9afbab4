"""Validation rules on hand-made layers against a small explicit reference (real PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from pipelines.core.exceptions import TerminalError
from pipelines.seed.seeding import seed
from pipelines.validation.outcome_store import errors_for
from pipelines.validation.spool_pass import ValidationResult, validate_layer
from tests.support.validation_helpers import (
    csv_rows,
    keys,
    maintenance,
    report,
    write_reference,
    write_spool,
)


@pytest.fixture
def folder(conn: psycopg.Connection, tmp_path: Path) -> Path:
    seed(conn, write_reference(tmp_path / "reference"))
    conn.commit()
    return tmp_path


def run(
    conn: psycopg.Connection,
    folder: Path,
    reports: list[object],
    version: str = "2026-01",
    earlier: frozenset[str] = frozenset(),
) -> ValidationResult:
    spool = write_spool(folder / "spool", version, reports)
    return validate_layer(conn, spool, folder / "mapped" / version, earlier_passports=earlier)


def rows(result: ValidationResult, table: str) -> dict[str, list[str]]:
    return {row[0]: row for row in csv_rows(result.mapped[table])}


def test_unknown_names_and_ambiguous_initials_are_never_matched(
    conn: psycopg.Connection, folder: Path
) -> None:
    result = run(
        conn,
        folder,
        [
            report(
                "P-1",
                inspector="Ivanov I. P.",
                maintenance=[
                    maintenance(
                        "M-1",
                        performed_by="Quellmark Ivan Petrovich",
                        crew=[
                            "Ivanov I.P.",
                            "Smirnova A. S.",
                            "Nobody Atall Here",
                            "SMIRNOVA ANNA SERGEEVNA",
                        ],
                    )
                ],
            ),
            report(
                "P-2",
                inspector="IVANOV IVAN PETROVICH",
                maintenance=[
                    maintenance("M-2", performed_by="Kuznetsev Petr Olegovich", crew=["Ivanov Igor"])
                ],
            ),
            report("P-3", inspector="Ivanov Ivan"),
        ],
    )
    assert keys(result.errors) == {
        ("passport", "P-1", "inspector", "multiple_records"),
        ("maintenance", "M-1", "performed_by", "not_found"),
        ("maintenance", "M-1", "crew", "multiple_records"),
        ("maintenance", "M-1", "crew", "not_found"),
    }
    passports, maint = rows(result, "passport"), rows(result, "maintenance")
    assert passports["P-1"][8] == ""  # never a guess
    assert (passports["P-2"][8], passports["P-3"][8]) == ("1", "1")
    assert (maint["M-1"][4], maint["M-2"][4]) == ("", "4")  # the typo resolves, the unknown does not
    crew = sorted(tuple(r) for r in csv_rows(result.mapped["maintenance_crew"]))
    assert crew == [("M-1", "3"), ("M-2", "2")]  # two spellings of one person are one member
    message = next(
        e.message for e in result.errors if e.code == "multiple_records" and e.entity == "passport"
    )
    assert "1, 2" in message


def test_parents_anywhere_in_layer_earlier_or_database(conn: psycopg.Connection, folder: Path) -> None:
    result = run(
        conn,
        folder,
        [
            report("P-child", parent_id="P-later"),  # the parent comes after its child
            report("P-db-child", parent_id="P-DB-1"),  # in our database
            report("P-old-child", parent_id="P-0"),  # in an earlier, not yet loaded layer
            report("P-lost", parent_id="P-nowhere"),
            report("P-unmatched", parent_id="Never matched"),  # a DB row without ext_id is no parent
            report("P-later", parent_id=None),
        ],
        version="2026-02",
        earlier=frozenset({"P-0"}),
    )
    assert keys(result.errors) == {
        ("passport", "P-lost", "parent_id", "not_found"),
        ("passport", "P-unmatched", "parent_id", "not_found"),
    }
    assert rows(result, "passport")["P-child"][4] == "P-later"  # the loader resolves ext_ids
    without_earlier = run(conn, folder, [report("P-old-child", parent_id="P-0")], version="2026-03")
    assert keys(without_earlier.errors) == {("passport", "P-old-child", "parent_id", "not_found")}


def test_duplicates_are_reported_once_per_kind(conn: psycopg.Connection, folder: Path) -> None:
    result = run(
        conn,
        folder,
        [
            report(
                "P-1",
                maintenance=[maintenance("M-1"), maintenance("M-1")],
                signs=[{"id": "M-2", "code": "1.1"}],
            ),
            report("P-1", name="Copy"),
            report("P-1", name="Third copy"),
            report(
                "P-2",
                maintenance=[
                    maintenance(
                        "M-2",
                        measurements=[
                            {"id": "X-1", "kind": "depth", "value": 1, "unit": "m"},
                            {"id": "X-1", "kind": "depth", "value": 2, "unit": "m"},
                        ],
                    )
                ],
            ),
        ],
    )
    assert keys(result.errors) == {
        ("passport", "P-1", "id", "duplicated_ext_ids"),
        ("maintenance", "M-1", "id", "duplicated_ext_ids"),
        ("measurement", "X-1", "id", "duplicated_ext_ids"),
    }
    assert len(result.errors) == 3
    assert rows(result, "passport")["P-1"][1] == "Object P-1"  # the first copy is the mapped row
    assert result.counts["passport"] == 2 and result.counts["maintenance"] == 2


def test_required_and_unparsable_values(conn: psycopg.Connection, folder: Path) -> None:
    result = run(
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
    p5 = rows(result, "passport")["P-5"]
    assert p5[3] == "" and p5[6:8] == ["", ""]  # empty optional values and an empty quantity are NULL


def test_enum_values_by_code_or_mapping_else_mapping_not_found(
    conn: psycopg.Connection, folder: Path
) -> None:
    result = run(
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
    ids = dict(
        conn.execute(
            "SELECT 'bridge', id FROM category WHERE code = 'bridge' UNION ALL "
            "SELECT 'm', id FROM measure_unit WHERE code = 'm' UNION ALL "
            "SELECT '3.24', id FROM sign_code WHERE code = '3.24'"
        ).fetchall()
    )
    p1 = rows(result, "passport")["P-1"]
    assert (p1[2], p1[7]) == (str(ids["bridge"]), str(ids["m"]))
    assert rows(result, "sign")["S-1"][2] == str(ids["3.24"])


def test_respelled_record_maps_to_identical_rows(conn: psycopg.Connection, folder: Path) -> None:
    first = run(
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
    second = run(
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
    result = run(
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
        "inspector_id bigint, status text)"
    )
    with conn.cursor().copy("COPY staged FROM STDIN (FORMAT csv)") as copy:
        copy.write(result.mapped["passport"].read_bytes())
    row = conn.execute(
        "SELECT name, region, commissioned::text, length_value, inspector_id FROM staged"
    ).fetchone()
    assert row is not None
    assert (row[0], row[1], row[2], str(row[3]), row[4]) == (tricky, None, "1999-12-31", "0.5", None)


def test_errors_stored_replaced_and_bookkept(conn: psycopg.Connection, folder: Path) -> None:
    bad = run(conn, folder, [report("P-1", category="aqueduct")])
    assert (
        keys(errors_for(conn, "2026-01"))
        == keys(bad.errors)
        == {("passport", "P-1", "category", "mapping_not_found")}
    )
    status = conn.execute(
        "SELECT status, error_count, reports, validated_at IS NOT NULL, counts->>'passport' "
        "FROM loader_report WHERE version = '2026-01'"
    ).fetchone()
    assert status == ("invalid", 1, 1, True, "1")
    good = run(conn, folder, [report("P-1")])
    assert good.valid and errors_for(conn, "2026-01") == []
    assert conn.execute(
        "SELECT status, error_count FROM loader_report WHERE version = '2026-01'"
    ).fetchone() == ("validated", 0)
    conn.execute("UPDATE loader_report SET status = 'loaded' WHERE version = '2026-01'")
    conn.commit()
    run(conn, folder, [report("P-1", category="aqueduct")])
    assert conn.execute(
        "SELECT status, error_count FROM loader_report WHERE version = '2026-01'"
    ).fetchone() == ("loaded", 1)
    with pytest.raises(TerminalError, match="2031-01"):
        errors_for(conn, "2031-01")


def test_a_line_that_is_not_json_is_an_error_not_a_crash(conn: psycopg.Connection, folder: Path) -> None:
    spool = write_spool(folder / "spool", "2026-01", [report("P-1")])
    spool.write_bytes(spool.read_bytes() + b'{"id": "P-2", broken\n\n')
    result = validate_layer(conn, spool, folder / "mapped")
    assert keys(result.errors) == {("passport", None, "report", "cant_parse")}
    assert result.errors[0].value == "line 2" and result.reports == 2
