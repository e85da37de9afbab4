"""How the portal writes things, for the sample export: enum values, numbers and whole
records (people through ``people``), spelled right in many ways and, on purpose, wrong.

Matching free text to reference rows is the importer's hardest job, so the sample
exercises every spelling the format allows (docs/export-format.md#names,
#enum-like-values) while each one stays resolvable to exactly one row. ``pipelines.sample.export``
owns the meaning (canonical records); this module owns only their text.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

from pipelines.sample.people import People
from pipelines.sample.records import Maintenance, Passport
from pipelines.sample.word_lists import ALIASES, ENUMS, WRITTEN_EMPTY


def spell(r: random.Random, key: str, code: str) -> str:
    """The portal's spelling of an enum value: the code or an alias, now and then upper-cased."""
    aliases = ALIASES[key][code]
    value = r.choice(aliases) if aliases and r.random() < 0.35 else code
    return value.upper() if r.random() < 0.1 else value


def number(r: random.Random, value: float) -> float | str:
    """A number as the portal writes it: now and then a string with a decimal comma."""
    return str(value).replace(".", ",") if r.random() < 0.1 else value


def optional(r: random.Random, rep: dict, extra: dict) -> dict:
    """Optional keys: present when set; when empty, mostly left out, sometimes written empty."""
    for key, value in extra.items():
        if (value is not None and value != []) or (key in WRITTEN_EMPTY and r.random() < 0.4):
            rep[key] = value
    return rep


def render(p: Passport, r: random.Random, people: People) -> dict:
    """The portal's text for a canonical record: the meaning is fixed, the spelling is not."""
    length = p.length and {"value": number(r, p.length[0]), "unit": spell(r, "unit", p.length[1])}
    signs = [
        optional(
            r,
            {"id": s.ext_id, "code": spell(r, "code", s.code)},
            {"installed": s.installed, "condition": s.condition},
        )
        for s in p.signs
    ]
    rep = optional(
        r,
        {"id": p.ext_id, "name": p.name, "category": spell(r, "category", p.category), "status": p.status},
        {
            "region": p.region,
            "parent_id": p.parent_id,
            "commissioned": p.commissioned,
            "length": length,
            "inspector": p.inspector and people.write(p.inspector, r),
            "maintenance": [_maintenance(m, r, people) for m in p.maintenance],
            "signs": signs,
        },
    )
    if r.random() < 0.05:
        rep["portal_note"] = "a key the portal added later: importers ignore it"
    return dict(r.sample(list(rep.items()), len(rep))) if r.random() < 0.2 else rep


def _maintenance(m: Maintenance, r: random.Random, people: People) -> dict:
    measurements = [
        {"id": x.ext_id, "kind": x.kind, "value": number(r, x.value), "unit": spell(r, "unit", x.unit)}
        for x in m.measurements
    ]
    repair_type = spell(r, "repair_type", m.repair_type)
    return optional(
        r,
        {"id": m.ext_id, "date": m.date, "repair_type": repair_type},
        {
            "performed_by": m.performed_by and people.write(m.performed_by, r),
            "crew": [people.write(c, r) for c in m.crew],
            "cost": m.cost,
            "measurements": measurements,
        },
    )


def write_csv(path: Path, header: list[str], rows: list) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def write_vocabulary(ref: Path, people: People) -> None:
    """Profiles and enum tables, as reference/*.csv (the spec's *Reference data*)."""
    write_csv(
        ref / "profiles.csv",
        ["profile_id", "last_name", "first_name", "middle_name", "email"],
        [p.row() for p in people.profiles],
    )
    for _, name, table in ENUMS:
        write_csv(ref / f"{name}.csv", ["code", "name", "aliases"], table)
