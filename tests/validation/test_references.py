"""Validation of references on hand-made layers: people, parents, duplicated ext_ids."""

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


def test_unknown_names_and_ambiguous_initials_are_never_matched(
    conn: psycopg.Connection, folder: Path
) -> None:
    result = run_layer(
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
    passports, maint = mapped_rows(result, "passport"), mapped_rows(result, "maintenance")
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
    result = run_layer(
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
    assert mapped_rows(result, "passport")["P-child"][4] == "P-later"  # the loader resolves ext_ids
    without_earlier = run_layer(conn, folder, [report("P-old-child", parent_id="P-0")], version="2026-03")
    assert keys(without_earlier.errors) == {("passport", "P-old-child", "parent_id", "not_found")}


def test_duplicates_are_reported_once_per_kind(conn: psycopg.Connection, folder: Path) -> None:
    result = run_layer(
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
    assert mapped_rows(result, "passport")["P-1"][1] == "Object P-1"  # the first copy is the mapped row
    assert result.counts["passport"] == 2 and result.counts["maintenance"] == 2
