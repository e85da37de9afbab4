"""Reference seeding: every row of every CSV arrives once; bad files load nothing."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from pipelines.core.exceptions import SeedError
from pipelines.db.connection import one_row
from pipelines.db.counts import table_counts
from pipelines.sample.export import write_sample
from pipelines.seed.seeding import VOCABULARIES, seed
from tests.support.paths import require_shared

SEEDED = (
    "profile",
    "category",
    "category_mapping",
    "repair_type",
    "repair_type_mapping",
    "sign_code",
    "sign_code_mapping",
    "measure_unit",
    "measure_unit_mapping",
    "passport",
    "passport_history",
)


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def _expected_counts(ref: Path) -> dict[str, int]:
    counts = {"profile": len(_rows(ref / "profiles.csv")), "passport": len(_rows(ref / "passports.csv"))}
    for file, table in VOCABULARIES.items():
        rows = _rows(ref / file)
        counts[table] = len(rows)
        aliases = {a.strip().lower() for r in rows for a in r["aliases"].split("|") if a.strip()}
        counts[f"{table}_mapping"] = len(aliases)
    return counts


@pytest.fixture
def own_reference(tmp_path: Path) -> Path:
    write_sample(tmp_path / "sample", seed=3)
    return tmp_path / "sample" / "reference"


@pytest.fixture
def shared_reference(tmp_path: Path) -> Path:
    make_export = require_shared()
    subprocess.run(
        [
            sys.executable,
            str(make_export),
            str(tmp_path / "ref"),
            "--passports",
            "300",
            "--layers",
            "1",
            "--seed",
            "4",
        ],
        check=True,
        capture_output=True,
    )
    return tmp_path / "ref" / "reference"


def _check_seeding(conn: psycopg.Connection, ref: Path) -> None:
    result = seed(conn, ref)
    expected = _expected_counts(ref)
    assert result.inserted == expected
    counts = table_counts(conn, SEEDED)
    assert {t: counts[t] for t in expected} == expected
    assert counts["passport_history"] == expected["passport"]
    snapshot = table_counts(conn, SEEDED)
    again = seed(conn, ref)
    assert set(again.inserted.values()) == {0}
    assert table_counts(conn, SEEDED) == snapshot


def test_seeding_the_own_sample_loads_every_row_once(conn: psycopg.Connection, own_reference: Path) -> None:
    _check_seeding(conn, own_reference)


def test_seeding_the_reference_generator_output(conn: psycopg.Connection, shared_reference: Path) -> None:
    _check_seeding(conn, shared_reference)
    ext_ids = [r["ext_id"] for r in _rows(shared_reference / "passports.csv")]
    stored = conn.execute(
        "SELECT count(*) FILTER (WHERE ext_id IS NOT NULL), count(*) FILTER "
        "(WHERE auto_imported) FROM passport"
    ).fetchone()
    assert stored == (sum(1 for e in ext_ids if e), 0)


def test_profiles_keep_their_reference_ids_and_new_ones_follow(
    conn: psycopg.Connection, own_reference: Path
) -> None:
    seed(conn, own_reference)
    first = _rows(own_reference / "profiles.csv")[0]
    row = conn.execute(
        "SELECT last_name, first_name FROM profile WHERE id = %s", (int(first["profile_id"]),)
    ).fetchone()
    assert row == (first["last_name"], first["first_name"])
    new_id = one_row(
        conn, "INSERT INTO profile (last_name, first_name) VALUES ('New', 'Person') RETURNING id"
    )[0]
    assert new_id > max(int(r["profile_id"]) for r in _rows(own_reference / "profiles.csv"))


BAD_FILES = [
    ("profiles.csv", lambda rows: rows[3].update(profile_id="x7"), 5, "profile_id"),
    ("profiles.csv", lambda rows: rows[2].update(last_name=""), 4, "last_name"),
    ("categories.csv", lambda rows: rows[1].update(code=rows[0]["code"].upper()), 3, "code"),
    ("passports.csv", lambda rows: rows[4].update(category="spaceport"), 6, "category"),
    ("measure_units.csv", lambda rows: rows[0].update(name=""), 2, "name"),
]


@pytest.mark.parametrize(("file", "spoil", "line", "column"), BAD_FILES)
def test_a_bad_csv_names_file_line_and_column_and_loads_nothing(
    conn: psycopg.Connection, own_reference: Path, tmp_path: Path, file, spoil, line: int, column: str
) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(own_reference, bad)
    rows = _rows(bad / file)
    spoil(rows)
    with open(bad / file, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(SeedError) as caught:
        seed(conn, bad)
    assert (Path(caught.value.file).name, caught.value.line, caught.value.column) == (file, line, column)
    assert file in str(caught.value) and f"line {line}" in str(caught.value)
    conn.rollback()
    assert set(table_counts(conn, SEEDED).values()) == {0}


def test_a_wrong_header_is_refused(conn: psycopg.Connection, own_reference: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(own_reference, bad)
    text = (bad / "sign_codes.csv").read_text().replace("code,name,aliases", "code,title,aliases", 1)
    (bad / "sign_codes.csv").write_text(text)
    with pytest.raises(SeedError, match=r"sign_codes.csv: line 1, column name"):
        seed(conn, bad)
