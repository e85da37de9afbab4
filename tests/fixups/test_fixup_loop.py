"""The analyst's round trip: a dirty layer fails; the fix-up files, reviewed and applied, make
re-validation pass for those codes; the report files say what is wrong."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import psycopg
import pytest

from pipelines.contract.analyst_errors import ErrorCode
from pipelines.core.exceptions import TerminalError
from pipelines.db.connection import one_row
from pipelines.fixups.layer_folder import preview_markdown, write_layer_folder
from pipelines.fixups.profile_creation import create_profiles
from pipelines.fixups.review_files import literal, parse_name
from pipelines.sample.export import write_sample
from pipelines.seed.seeding import seed
from pipelines.validation.spool_pass import validate_layer
from tests.support.validation_helpers import (
    csv_rows,
    keys,
    maintenance,
    report,
    spool_export,
    truth_keys,
    write_reference,
    write_spool,
)

FIXABLE = {ErrorCode.MAPPING_NOT_FOUND, ErrorCode.NOT_FOUND}


def apply_mappings(conn: psycopg.Connection, mappings_sql: Path) -> int:
    """What the analyst does: uncomment every INSERT, map each value to the vocabulary's first code, run."""
    edited, count = [], 0
    for line in mappings_sql.read_text().splitlines():
        match = re.match(r'-- (INSERT INTO "(\w+)_mapping" .*)', line)
        if match:
            code = one_row(conn, f'SELECT code FROM "{match[2]}" ORDER BY id LIMIT 1')[0]
            line, count = match[1].replace("'CHANGE_ME'", f"'{code}'"), count + 1
        edited.append(line)
    mappings_sql.write_text("\n".join(edited))
    conn.execute(mappings_sql.read_text())
    conn.commit()
    return count


def test_hand_made_layer_fixed_by_profiles_and_mappings(conn: psycopg.Connection, tmp_path: Path) -> None:
    seed(conn, write_reference(tmp_path / "reference"))
    conn.commit()
    spool = write_spool(
        tmp_path / "spool",
        "2026-01",
        [
            report(
                "P-1",
                category="aqueduct",
                inspector="QUELLMARK IVAN PETROVICH",
                length={"value": 1, "unit": "ft"},
                maintenance=[
                    maintenance(
                        "M-1",
                        repair_type="deicing",
                        crew=["Brightwater Anna Olegovna"],
                        performed_by="Quellmark Ivan Petrovich",
                        date="2026-02-30",
                    )
                ],
            ),
            report("P-2", category=" AQUEDUCT", inspector="Ivanov I. P."),
        ],
    )
    first = validate_layer(conn, spool, tmp_path / "mapped")
    assert {e.code for e in first.errors} == FIXABLE | {ErrorCode.CANT_PARSE, ErrorCode.MULTIPLE_RECORDS}
    files = write_layer_folder(first, tmp_path / "reports" / "2026-01")

    proposed = orjson.loads(files.profiles_to_create.read_bytes())["profiles"]
    assert [(p["last_name"], p["first_name"], p["middle_name"]) for p in proposed] == [
        ("Brightwater", "Anna", "Olegovna"),
        ("Quellmark", "Ivan", "Petrovich"),
    ]  # one person, two spellings
    assert proposed[1]["spellings"] == ["QUELLMARK IVAN PETROVICH", "Quellmark Ivan Petrovich"]
    assert proposed[1]["references"] == 2
    assert proposed[1]["referenced_by"][0] == {
        "entity": "passport",
        "ext_id": "P-1",
        "passport_ext_id": "P-1",
        "field": "inspector",
    }
    sql_text = files.mappings_sql.read_text()
    assert (
        '-- INSERT INTO "category_mapping" ("value", "category_id") VALUES (\'aqueduct\', '
        "(SELECT id FROM \"category\" WHERE code = 'CHANGE_ME'));" in sql_text
    )
    assert not [
        line for line in sql_text.splitlines() if line and not line.startswith("--")
    ]  # all commented out

    created = create_profiles(conn, files.profiles_to_create)
    assert len(created.created) == 2 and created.skipped == 0
    assert create_profiles(conn, files.profiles_to_create).created == []  # idempotent
    assert apply_mappings(conn, files.mappings_sql) == 3  # aqueduct, ft, deicing: one line per distinct value

    second = validate_layer(conn, spool, tmp_path / "mapped")
    assert keys(second.errors) == {
        ("maintenance", "M-1", "date", "cant_parse"),
        ("passport", "P-2", "inspector", "multiple_records"),
    }
    assert {e.key for e in second.errors} < {e.key for e in first.errors}


def test_sample_layer_fixed_for_the_fixable_codes(conn: psycopg.Connection, tmp_path: Path) -> None:
    expected = write_sample(tmp_path, seed=5, dirty=True, passports=60, layers=1)
    seed(conn, tmp_path / "reference")
    conn.commit()
    version = spool_export(tmp_path / "export.json", tmp_path / "spool")[0]
    spool = tmp_path / "spool" / f"{version}.jsonl"
    first = validate_layer(conn, spool, tmp_path / "mapped")
    assert keys(first.errors) == truth_keys(expected["layers"][0])
    files = write_layer_folder(first, tmp_path / "reports")
    create_profiles(conn, files.profiles_to_create)
    apply_mappings(conn, files.mappings_sql)
    second = validate_layer(conn, spool, tmp_path / "mapped")
    person_or_enum = {
        k
        for k in keys(first.errors)
        if k[3] == "mapping_not_found" or (k[3] == "not_found" and k[2] != "parent_id")
    }
    assert person_or_enum, "the sample should hold an unknown person or value"
    assert keys(second.errors) == keys(first.errors) - person_or_enum


def test_report_files_and_preview(conn: psycopg.Connection, tmp_path: Path) -> None:
    seed(conn, write_reference(tmp_path / "reference"))
    conn.commit()
    spool = write_spool(tmp_path / "spool", "2026-04", [report(f"P-{i}", category="a|b") for i in range(25)])
    result = validate_layer(conn, spool, tmp_path / "mapped")
    files = write_layer_folder(result, tmp_path / "reports")
    document = orjson.loads(files.errors_json.read_bytes())
    assert document["error_count"] == 25 and document["counts_by_code"]["mapping_not_found"] == 25
    assert document["counts_by_code"]["required"] == 0
    assert len(csv_rows(files.errors_csv)) == 26 and csv_rows(files.errors_csv)[0][:3] == [
        "version",
        "code",
        "entity",
    ]
    preview = preview_markdown(result.errors, limit=3)
    assert preview.count("\n| mapping_not_found |") == 3 and "a\\|b" in preview and "22 more" in preview
    assert preview_markdown([]) == "No analyst errors."


def test_reviewed_file_is_checked_before_writing(conn: psycopg.Connection, tmp_path: Path) -> None:
    reviewed = tmp_path / "profiles.json"
    reviewed.write_bytes(
        orjson.dumps(
            {
                "profiles": [
                    {"last_name": "Ok", "first_name": "Fine"},
                    {"last_name": "  ", "first_name": "Blank"},
                ]
            }
        )
    )
    with pytest.raises(TerminalError, match="last_name"):
        create_profiles(conn, reviewed)
    assert conn.execute("SELECT count(*) FROM profile").fetchone() == (0,)


def test_names_parsed_and_literals_stay_on_one_line() -> None:
    assert parse_name("QUELLMARK IVAN PETROVICH") == {
        "last_name": "Quellmark",
        "first_name": "Ivan",
        "middle_name": "Petrovich",
    }
    assert "review" in parse_name("Quellmark I. P.")
    two_word_surname = parse_name("GARCIA LOPEZ MARIA JOSE")
    assert two_word_surname["last_name"] == "Garcia Lopez"
    assert (two_word_surname["first_name"], two_word_surname["middle_name"]) == ("Maria", "Jose")
    assert "several words" in str(two_word_surname["review"])
    assert parse_name("Ivanov Ivan") == {"last_name": "Ivanov", "first_name": "Ivan", "middle_name": None}
    assert literal("o'brien") == "'o''brien'"
    assert literal("two\nlines; DROP TABLE x") == "E'two\\u000alines; DROP TABLE x'"
