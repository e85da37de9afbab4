"""`strata seed DIR`: load the reference CSVs into an empty or already seeded database.

Everything is checked before the first write, and written in one transaction:
a bad file leaves the database as it was. Seeding adds what is missing and
leaves existing rows alone (analysts own them), so seeding twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from pipelines.core.exceptions import SeedError
from pipelines.db.sql_text import read_sql
from pipelines.seed import reference_csv as rc

# reference file → vocabulary table (its mapping table is <table>_mapping, its key <table>_id)
VOCABULARIES: dict[str, str] = {
    "categories.csv": "category",
    "repair_types.csv": "repair_type",
    "sign_codes.csv": "sign_code",
    "measure_units.csv": "measure_unit",
}

INSERT_VOCABULARY = sql.SQL("""
INSERT INTO {table} (code, name)
SELECT code, name FROM {staging}
ON CONFLICT ((lower(btrim(code)))) DO NOTHING""")

INSERT_MAPPINGS = sql.SQL("""
INSERT INTO {mapping} (value, {key})
SELECT DISTINCT ON (lower(btrim(alias))) btrim(alias), t.id
FROM {staging} s
JOIN {table} t ON lower(btrim(t.code)) = lower(btrim(s.code))
CROSS JOIN LATERAL unnest(string_to_array(s.aliases, '|')) AS alias
WHERE btrim(alias) <> ''
ORDER BY lower(btrim(alias)), s.line
ON CONFLICT ((lower(btrim(value)))) DO NOTHING""")

UNRESOLVED_CATEGORY = (
    "SELECT line, category FROM seed_passport JOIN seed_passport_category USING (line) "
    "WHERE category_id IS NULL ORDER BY line LIMIT 1"
)


@dataclass
class SeedResult:
    """Rows inserted per table; all zero when the database already held the reference data."""

    inserted: dict[str, int] = field(default_factory=dict)


def seed(conn: psycopg.Connection, folder: Path) -> SeedResult:
    profiles = rc.read(folder, rc.PROFILES)
    vocabularies = {table: rc.read(folder, rc.vocabulary_spec(file)) for file, table in VOCABULARIES.items()}
    passports = rc.read(folder, rc.PASSPORTS)
    result = SeedResult()
    with conn.transaction():
        _stage(
            conn,
            "seed_profile",
            ("line", "id", "last_name", "first_name", "middle_name", "email"),
            profiles,
            ("profile_id", "last_name", "first_name", "middle_name", "email"),
        )
        result.inserted["profile"] = conn.execute(read_sql("seed/profile")).rowcount
        conn.execute(read_sql("seed/profile_sequence"))
        for table, rows in vocabularies.items():
            result.inserted[table], result.inserted[f"{table}_mapping"] = _seed_vocabulary(conn, table, rows)
        _stage(
            conn,
            "seed_passport",
            ("line", "ext_id", "name", "category", "region"),
            passports,
            ("ext_id", "name", "category", "region"),
        )
        conn.execute(read_sql("seed/passport_category"))
        bad = conn.execute(UNRESOLVED_CATEGORY).fetchone()
        if bad:
            raise SeedError(
                str(passports.path),
                bad[0],
                "category",
                f"{bad[1]!r} is neither a category code nor a category mapping",
            )
        result.inserted["passport"] = (
            conn.execute(read_sql("seed/passport_with_ext_id")).rowcount
            + conn.execute(read_sql("seed/passport_without_ext_id")).rowcount
        )
    return result


def _seed_vocabulary(conn: psycopg.Connection, table: str, rows: rc.CsvRows) -> tuple[int, int]:
    staging = f"seed_{table}"
    _stage(conn, staging, ("line", "code", "name", "aliases"), rows, ("code", "name", "aliases"))
    names = {
        "table": sql.Identifier(table),
        "staging": sql.Identifier(staging),
        "mapping": sql.Identifier(f"{table}_mapping"),
        "key": sql.Identifier(f"{table}_id"),
    }
    inserted = conn.execute(INSERT_VOCABULARY.format(**names)).rowcount
    mapped = conn.execute(INSERT_MAPPINGS.format(**names)).rowcount
    return inserted, mapped


def _stage(
    conn: psycopg.Connection, table: str, columns: tuple[str, ...], rows: rc.CsvRows, fields: tuple[str, ...]
) -> None:
    """A temp table of text columns (line bigint first), filled by COPY."""
    definition = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL("bigint" if c in ("line", "id") else "text"))
        for c in columns
    )
    conn.execute(
        sql.SQL("CREATE TEMP TABLE {} ({}) ON COMMIT DROP").format(sql.Identifier(table), definition)
    )
    copy = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with conn.cursor().copy(copy) as writer:
        for line, row in zip(rows.lines, rows.rows, strict=False):
            writer.write_row((line, *(row[f] for f in fields)))
