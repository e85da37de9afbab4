"""Analyst errors for dirty samples: each spoiled record carries exactly one, so the list is exact."""

from __future__ import annotations

import random
from collections.abc import Callable

from pipelines.sample.people import People
from pipelines.sample.word_lists import UNKNOWN_CODES

BAD_DATES = ["31.02.2026", "2026-02-30", "2026-13-01", "yesterday"]
BAD_NUMBERS = ["12,5.3", "abc", "1.2.3"]
ERROR_CODES = [
    "not_found",
    "multiple_records",
    "cant_parse",
    "required",
    "mapping_not_found",
    "duplicated_ext_ids",
]
MISSING = object()  # a spoiled value that deletes the key

Spot = tuple[str, str, str, Callable[[random.Random, People], object]]
# (code, entity kind, field, spoiled value): every way one analyst error is injected
SPOILERS: list[Spot] = [
    ("not_found", "passport", "parent_id", lambda r, ppl: f"P-9{r.randrange(10**7):07d}"),
    ("not_found", "passport", "inspector", lambda r, ppl: ppl.unknown_name(r)),
    ("not_found", "maintenance", "performed_by", lambda r, ppl: ppl.unknown_name(r)),
    ("multiple_records", "passport", "inspector", lambda r, ppl: ppl.ambiguous_name(r)),
    ("multiple_records", "maintenance", "performed_by", lambda r, ppl: ppl.ambiguous_name(r)),
    ("cant_parse", "passport", "commissioned", lambda r, ppl: r.choice(BAD_DATES)),
    ("cant_parse", "maintenance", "date", lambda r, ppl: r.choice(BAD_DATES)),
    ("cant_parse", "measurement", "value", lambda r, ppl: r.choice(BAD_NUMBERS)),
    ("required", "passport", "name", lambda r, ppl: ""),
    ("required", "maintenance", "repair_type", lambda r, ppl: MISSING),
    ("mapping_not_found", "passport", "category", lambda r, ppl: r.choice(UNKNOWN_CODES["category"])),
    (
        "mapping_not_found",
        "maintenance",
        "repair_type",
        lambda r, ppl: r.choice(UNKNOWN_CODES["repair_type"]),
    ),
    ("mapping_not_found", "measurement", "unit", lambda r, ppl: r.choice(UNKNOWN_CODES["unit"])),
    ("mapping_not_found", "sign", "code", lambda r, ppl: r.choice(UNKNOWN_CODES["code"])),
]
TARGETS: dict[str, Callable[[dict], list[dict]]] = {
    "passport": lambda rep: [rep],
    "maintenance": lambda rep: rep.get("maintenance", []),
    "measurement": lambda rep: [x for m in rep.get("maintenance", []) for x in m.get("measurements", [])],
    "sign": lambda rep: rep.get("signs", []),
}


def spoil(reports: list[dict], code: str, r: random.Random, people: People) -> list[str]:
    """Inject exactly one analyst error into the last report; return its error record."""
    rep = reports[-1]
    if code == "duplicated_ext_ids":
        copy = {**rep, "name": f"{rep['name']} (copy)", "maintenance": [], "signs": []}
        reports.insert(r.randrange(len(reports) + 1), copy)
        return ["passport", rep["id"], "id", code]
    _, kind, key, value = r.choice([s for s in SPOILERS if s[0] == code and TARGETS[s[1]](rep)])
    target, bad = r.choice(TARGETS[kind](rep)), value(r, people)
    if bad is MISSING:
        target.pop(key, None)
    else:
        target[key] = bad
    return [kind, target["id"], key, code]
