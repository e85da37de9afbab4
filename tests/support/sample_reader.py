"""An independent reading of a written sample: the portal's spellings resolved against the
reference CSVs, and the analyst errors a careful reader would find, re-derived from the files
alone so tests check the generator's output, not its internals."""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import orjson
from rapidfuzz.distance import Levenshtein

ERROR_CODES = {
    "not_found",
    "multiple_records",
    "cant_parse",
    "required",
    "mapping_not_found",
    "duplicated_ext_ids",
}
HEADERS = {
    "profiles": ["profile_id", "last_name", "first_name", "middle_name", "email"],
    "passports": ["ext_id", "name", "category", "region"],
    **{
        name: ["code", "name", "aliases"]
        for name in ("categories", "repair_types", "sign_codes", "measure_units")
    },
}
REQUIRED = {
    "report": {"id", "name", "category", "status"},
    "maintenance": {"id", "date", "repair_type"},
    "measurement": {"id", "kind", "value", "unit"},
    "sign": {"id", "code"},
    "length": {"value", "unit"},
}
ENUM_FILES = {
    "category": "categories",
    "repair_type": "repair_types",
    "code": "sign_codes",
    "unit": "measure_units",
}


def load(out: Path) -> tuple[dict, dict]:
    return orjson.loads((out / "export.json").read_bytes()), orjson.loads(
        (out / "expected.json").read_bytes()
    )


def rows(out: Path, name: str) -> list[list[str]]:
    with open(out / "reference" / f"{name}.csv", newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


@dataclass
class Reader:
    """An importer in miniature: resolves the portal's spellings against the reference."""

    forms: dict[str, set[int]]
    fulls: dict[int, str]
    enums: dict[str, dict[str, str]]
    ext_ids: set[str]

    @classmethod
    def of(cls, out: Path) -> Reader:
        forms: dict[str, set[int]] = {}
        fulls = {}
        for pid, last, first, middle, _ in rows(out, "profiles")[1:]:
            fulls[int(pid)] = f"{last} {first} {middle}".lower()
            initials = f"{last} {first[0]}. {middle[0]}."
            for form in (fulls[int(pid)], initials, initials.replace(". ", "."), f"{last} {first}"):
                forms.setdefault(form.lower(), set()).add(int(pid))
        enums = {
            key: {
                spelling.lower(): code
                for code, _, aliases in rows(out, name)[1:]
                for spelling in [code, *aliases.split("|")]
                if spelling
            }
            for key, name in ENUM_FILES.items()
        }
        return cls(forms, fulls, enums, {row[0] for row in rows(out, "passports")[1:] if row[0]})

    def people(self, name: str) -> set[int]:
        text = " ".join(name.split()).lower()
        if text in self.forms:
            return self.forms[text]
        distance = {pid: Levenshtein.distance(text, full) for pid, full in self.fulls.items()}
        best = min(distance.values())
        return {pid for pid, d in distance.items() if d == best} if best <= 2 else set()

    def person(self, name: str | None) -> int | None:
        if name is None:
            return None
        (pid,) = self.people(name)
        return pid


def number(value: object) -> float | None:
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value)
    return float(text.replace(",", ".")) if re.fullmatch(r"-?\d+([.,]\d+)?", text) else None


def is_date(value: object) -> bool:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    try:
        return bool(date.fromisoformat(value))
    except ValueError:
        return False


def own_fields(rep: dict, rd: Reader) -> tuple[object, ...]:
    length = rep.get("length")
    length = length and (number(length["value"]), rd.enums["unit"][length["unit"].lower()])
    return (
        rep["name"],
        rd.enums["category"][rep["category"].lower()],
        rep.get("region"),
        rep.get("parent_id"),
        rep.get("commissioned"),
        length,
        rd.person(rep.get("inspector")),
        rep["status"],
    )


def errors_of(layer: dict, earlier: set[str], rd: Reader) -> list[list[str]]:
    """Every analyst error an import must report for this layer, found independently."""
    found: list[list[str]] = []
    ids = Counter(rep["id"] for rep in layer["reports"])
    found += [["passport", pid, "id", "duplicated_ext_ids"] for pid, n in ids.items() if n > 1]

    def person(kind: str, ext_id: str, key: str, name: str | None) -> None:
        matches = rd.people(name) if name is not None else {0}
        if len(matches) != 1:
            found.append([kind, ext_id, key, "multiple_records" if matches else "not_found"])

    def check(
        kind: str,
        rec: dict,
        key: str,
        enum: str | None = None,
        parse: Callable[[object], object] | None = None,
        required: bool = False,
    ) -> None:
        value = rec.get(key)
        if value in (None, ""):
            code = "required" if required else None
        elif enum:
            code = None if str(value).lower() in rd.enums[enum] else "mapping_not_found"
        else:
            code = None if parse is None or parse(value) else "cant_parse"
        if code:
            found.append([kind, rec["id"], key, code])

    for rep in layer["reports"]:
        check("passport", rep, "name", required=True)
        check("passport", rep, "category", "category", required=True)
        check("passport", rep, "commissioned", parse=is_date)
        person("passport", rep["id"], "inspector", rep.get("inspector"))
        parent = rep.get("parent_id")
        if parent is not None and parent not in rd.ext_ids | earlier | set(ids):
            found.append(["passport", rep["id"], "parent_id", "not_found"])
        for m in rep.get("maintenance", []):
            check("maintenance", m, "date", parse=is_date, required=True)
            check("maintenance", m, "repair_type", "repair_type", required=True)
            check("maintenance", m, "cost", parse=number)
            person("maintenance", m["id"], "performed_by", m.get("performed_by"))
            for name in m.get("crew", []):
                person("maintenance", m["id"], "crew", name)
            for x in m.get("measurements", []):
                check("measurement", x, "value", parse=lambda v: number(v) is not None, required=True)
                check("measurement", x, "unit", "unit", required=True)
        for s in rep.get("signs", []):
            check("sign", s, "code", "code", required=True)
            check("sign", s, "installed", parse=is_date)
    return sorted(found)
