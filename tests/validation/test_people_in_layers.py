"""People matching on the real path: seeded profiles, a registered export, validation, the load.

The profiles are the ones the sample generator never makes (namesakes, no middle name,
one initial shared by two people, Cyrillic, a hyphenated surname). The first layer
holds only spellings that mean one person and is loaded, so the profile ids are read
back from the tables; the second holds doubtful ones, which must be errors naming
the candidates, with nothing resolved by a guess (real PostgreSQL).
"""

from __future__ import annotations

from pathlib import Path

import orjson
import psycopg

from pipelines.core.settings import StrataHome
from pipelines.fixups.layer_folder import write_layer_folder
from pipelines.intake.registration import register
from pipelines.load.transaction import load_layer
from pipelines.seed.seeding import seed
from pipelines.validation.registered import registered_layer, validate_registered
from tests.support.intake_helpers import export_doc, write_json
from tests.support.validation_helpers import ProfileRow, csv_rows, keys, maintenance, report, write_reference

PEOPLE: list[ProfileRow] = [
    (1, "Ivanov", "Igor", None),
    (2, "Ivanov", "Ivan", "Petrovich"),
    (3, "Smirnova", "Anna", "Sergeevna"),
    (4, "Kuznetsov", "Oleg", "Ivanovich"),
    (5, "Kuznetsov", "Oleg", "Petrovich"),
    (6, "Sokolov", "Dmitry", "Andreevich"),
    (7, "Sokolov", "Denis", "Andreevich"),
    (8, "Соколова", "Мария", "Ивановна"),
    (9, "Rimsky-Korsakova", "Olga", None),
]
CLEAR = [
    report(
        "P-1",
        inspector="Smirnova A.",
        maintenance=[
            maintenance(
                "M-1",
                performed_by="Ivonov I. P.",
                crew=["Sokolov Dmitry", "SOKOLOV  DMITRY A.", "Соколова М. И."],
            )
        ],
    ),
    report("P-2", inspector="Ivanov Igor"),
    report("P-3", inspector="СОКОЛОВА М."),
    report(
        "P-4",
        inspector="Rimsky-Korsakova O.",
        maintenance=[
            maintenance("M-2", performed_by="Kuznetsov Oleg P.", crew=["Ivanov Ivan P.", "Ivonov Ivan"])
        ],
    ),
    report("P-5", inspector="Ivanov I. P."),  # Igor has no middle name: only Ivan fits
]
DOUBTFUL = [
    report("P-6", inspector="Ivanov I."),
    report("P-7", inspector="Kuznetsov O."),
    report("P-8", inspector="Sokolov D.", maintenance=[maintenance("M-3", performed_by="Kuzntsv O. I.")]),
    report("P-9", inspector="Sokolv D. A."),  # a typo as near to Dmitry as to Denis
    report("P-10", inspector="Orlov Denis"),
]
LOADED = """
SELECT p.ext_id, p.inspector_id, m.ext_id, m.performed_by_id,
       (SELECT array_agg(c.profile_id ORDER BY c.profile_id) FROM maintenance_crew c WHERE c.maintenance_id = m.id)
FROM passport p LEFT JOIN maintenance m ON m.passport_id = p.id
WHERE p.ext_id = ANY(%s) ORDER BY p.ext_id"""


def test_names_resolve_through_seed_validation_and_load(conn: psycopg.Connection, tmp_path: Path) -> None:
    seed(conn, write_reference(tmp_path / "reference", PEOPLE))
    conn.commit()
    export = write_json(tmp_path / "export.json", export_doc({"2026-01": CLEAR, "2026-02": DOUBTFUL}))
    register(conn, export, StrataHome(tmp_path / "home").ensure())
    conn.commit()

    clear = validate_registered(conn, registered_layer(conn, "2026-01"))
    assert clear.errors == []
    conn.commit()
    load_layer(conn, "2026-01")
    assert conn.execute(LOADED, ([r["id"] for r in CLEAR],)).fetchall() == [
        ("P-1", 3, "M-1", 2, [6, 8]),  # two spellings of Dmitry are one crew member
        ("P-2", 1, None, None, None),
        ("P-3", 8, None, None, None),
        ("P-4", 9, "M-2", 5, [2]),
        ("P-5", 2, None, None, None),
    ]

    doubtful = validate_registered(conn, registered_layer(conn, "2026-02"))
    assert keys(doubtful.errors) == {
        ("passport", "P-6", "inspector", "multiple_records"),
        ("passport", "P-7", "inspector", "multiple_records"),
        ("passport", "P-8", "inspector", "multiple_records"),
        ("passport", "P-9", "inspector", "multiple_records"),
        ("passport", "P-10", "inspector", "not_found"),
        ("maintenance", "M-3", "performed_by", "not_found"),
    }
    messages = {e.ext_id: e.message for e in doubtful.errors if e.code == "multiple_records"}
    assert [
        f"({ids})" in messages[ext]
        for ext, ids in [("P-6", "1, 2"), ("P-7", "4, 5"), ("P-8", "6, 7"), ("P-9", "6, 7")]
    ] == [True] * 4
    columns = orjson.loads(doubtful.manifest.read_bytes())["passport"]["columns"]
    inspector = {row[0]: row[columns.index("inspector_id")] for row in csv_rows(doubtful.mapped["passport"])}
    assert set(inspector.values()) == {""}  # never a guess

    files = write_layer_folder(doubtful, tmp_path / "reports")
    proposed = orjson.loads(files.profiles_to_create.read_bytes())["profiles"]
    assert {p["spellings"][0]: p["nearest_profiles"] for p in proposed} == {
        "Kuzntsv O. I.": [
            {"profile_id": 4, "name": "Kuznetsov Oleg Ivanovich", "distance": 2},
            {"profile_id": 5, "name": "Kuznetsov Oleg Petrovich", "distance": 3},
        ],
        "Orlov Denis": [],
    }
