"""How the portal writes things, for the sample export: people, enum values,
numbers and whole records, spelled right in many ways and, on purpose, wrong.

Matching free text to reference rows is the importer's hardest job, so the sample
exercises every spelling the spec allows (*Names*, *Enum-like values*) while each
one stays resolvable to exactly one row; the analyst errors are injected here too,
one per spoiled record, so expected.json can list them exactly. ``pipelines.sample.export``
owns the meaning (canonical records); this module owns only their text.
"""

from __future__ import annotations

import csv
import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from pipelines.sample.records import Maintenance, Passport

Enum = list[tuple[str, str, str]]  # (code, name, aliases separated by |)
CATEGORIES: Enum = [
    ("bridge", "Bridge", "Br|bridges"),
    ("road", "Road section", "rd|road-section"),
    ("tunnel", "Tunnel", ""),
    ("culvert", "Culvert", "pipe-culvert"),
    ("overpass", "Overpass", "flyover"),
    ("retaining_wall", "Retaining wall", "wall"),
]
REPAIR_TYPES: Enum = [
    ("patching", "Pothole patching", "patch|pothole repair"),
    ("resurfacing", "Resurfacing", "overlay"),
    ("joint_repair", "Joint repair", "joints"),
    ("painting", "Painting", "paint|anticorrosion"),
    ("drainage", "Drainage cleaning", "drain"),
    ("marking", "Road marking", "markings"),
    ("inspection", "Inspection", "survey"),
    ("bearing", "Bearing replacement", ""),
]
UNITS: Enum = [
    ("m", "metre", "meter|metre|м|mtr"),
    ("cm", "centimetre", "centimeter|см"),
    ("mm", "millimetre", "millimeter|мм"),
    ("km", "kilometre", "kilometer|км"),
    ("m2", "square metre", "sq.m|м2|m²"),
    ("t", "tonne", "ton|т"),
    ("pct", "percent", "%"),
]
SIGN_CODES: Enum = [
    (f"{a}.{b}", f"Sign {a}.{b}", f"{a}-{b}" if b % 4 == 0 else "") for a in range(1, 5) for b in range(1, 13)
]
# (key used for spelling and errors, reference file, table)
ENUMS: list[tuple[str, str, Enum]] = [
    ("category", "categories", CATEGORIES),
    ("repair_type", "repair_types", REPAIR_TYPES),
    ("code", "sign_codes", SIGN_CODES),
    ("unit", "measure_units", UNITS),
]
ALIASES = {
    key: {code: [a for a in aliases.split("|") if a] for code, _, aliases in table} for key, _, table in ENUMS
}
UNKNOWN_CODES = {
    "category": ["aqueduct", "ferry_ramp"],
    "repair_type": ["crack_sealing", "deicing"],
    "unit": ["ft", "yd"],
    "code": ["8.24", "9.1"],
}
KINDS = ["depth", "width", "length", "area", "thickness", "deflection", "wear"]
WRITTEN_EMPTY = {"parent_id", "maintenance", "signs", "crew", "measurements"}

SURNAMES = [
    "Ivanov",
    "Smirnov",
    "Kuznetsov",
    "Popov",
    "Vasiliev",
    "Petrov",
    "Sokolov",
    "Mikhailov",
    "Novikov",
    "Fedorov",
    "Morozov",
    "Volkov",
    "Alekseev",
    "Lebedev",
    "Semenov",
    "Egorov",
    "Pavlov",
    "Kozlov",
    "Stepanov",
    "Nikolaev",
    "Orlov",
    "Andreev",
    "Makarov",
    "Nikitin",
    "Zakharov",
    "Zaitsev",
    "Soloviev",
    "Borisov",
    "Yakovlev",
    "Grigoriev",
    "Romanov",
    "Vorobiev",
    "Sergeev",
    "Kuzmin",
    "Frolov",
    "Dmitriev",
    "Korolev",
    "Gusev",
    "Kiselev",
    "Ilyin",
    "Maksimov",
    "Polyakov",
    "Sorokin",
    "Vinogradov",
    "Kovalev",
    "Belov",
    "Medvedev",
    "Antonov",
    "Tarasov",
    "Zhukov",
    "Baranov",
    "Filippov",
    "Komarov",
    "Davydov",
    "Belyaev",
    "Gerasimov",
]
# (first names, middle names, surname suffix) per gender, so a person reads naturally
GIVEN_NAMES: list[tuple[list[str], list[str], str]] = [
    (
        [
            "Ivan",
            "Igor",
            "Alexei",
            "Andrei",
            "Anton",
            "Artem",
            "Pavel",
            "Petr",
            "Sergei",
            "Stepan",
            "Mikhail",
            "Maxim",
            "Oleg",
            "Boris",
        ],
        [
            "Ivanovich",
            "Igorevich",
            "Petrovich",
            "Pavlovich",
            "Sergeevich",
            "Stepanovich",
            "Mikhailovich",
            "Maksimovich",
            "Olegovich",
            "Borisovich",
            "Andreevich",
            "Antonovich",
        ],
        "",
    ),
    (
        [
            "Anna",
            "Alina",
            "Elena",
            "Ekaterina",
            "Irina",
            "Inna",
            "Olga",
            "Oksana",
            "Maria",
            "Margarita",
            "Natalia",
            "Nina",
            "Tatiana",
        ],
        [
            "Ivanovna",
            "Igorevna",
            "Petrovna",
            "Pavlovna",
            "Sergeevna",
            "Stepanovna",
            "Mikhailovna",
            "Maksimovna",
            "Olegovna",
            "Borisovna",
            "Andreevna",
            "Antonovna",
        ],
        "a",
    ),
]
UNKNOWN_SURNAMES = [
    "Quellmark",
    "Brightwater",
    "Holloway",
    "Fenwicke",
    "Ashgrove",
    "Marchetti",
    "Oyelaran",
    "Castellanos",
    "Thornbury",
    "Valcourt",
    "Wexford",
    "Lindqvist",
]
PROFILES = 60  # plenty for a sample; the big generator uses thousands
NAMESAKE_PAIRS = 2  # people sharing surname and both initials with someone else
TYPO_MARGIN = 3  # every other full name is at least this far from a typo (its own: 1)
UNKNOWN_MARGIN = 5  # an unknown name is at least this far from every profile


def rng(seed: int, *key: object) -> random.Random:
    """An independent, reproducible stream per purpose.

    Keyed streams mean one extra draw somewhere never shifts values elsewhere, and
    blake2b (unlike ``hash()``) is the same in every process.
    """
    text = "\x1f".join(map(str, (seed, *key))).encode()
    return random.Random(int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "little"))


@dataclass(frozen=True)
class Profile:
    """One row of reference/profiles.csv."""

    profile_id: int
    last: str
    first: str
    middle: str

    @property
    def full(self) -> str:
        return f"{self.last} {self.first} {self.middle}"

    @property
    def initials(self) -> tuple[str, str, str]:
        return (self.last.lower(), self.first[0].lower(), self.middle[0].lower())

    def row(self) -> list[str | int]:
        email = f"{self.first[0]}.{self.last}{self.profile_id}@example.org".lower()
        return [self.profile_id, self.last, self.first, self.middle, email]


Spelling = Callable[["People", Profile], "str | None"]

# (share of all spellings, spelling); a spelling returns None where it would be
# ambiguous for this person, and the full name is written instead.
SPELLINGS: list[tuple[float, Spelling]] = [
    (0.10, lambda ppl, p: p.full.upper()),
    (0.10, lambda ppl, p: f"{p.last} {p.first[0]}. {p.middle[0]}." if ppl.unique_initials(p) else None),
    (0.06, lambda ppl, p: f"{p.last} {p.first[0]}.{p.middle[0]}." if ppl.unique_initials(p) else None),
    (0.08, lambda ppl, p: f"{p.last} {p.first}" if ppl.unique_first(p) else None),
    (0.07, lambda ppl, p: ppl.typos.get(p.profile_id)),
]


class People:
    """Our profiles, plus the resolvable and the unresolvable ways to write them."""

    def __init__(self, seed: int, count: int = PROFILES) -> None:
        r = rng(seed, "profiles")
        self.profiles: list[Profile] = []
        seen: set[tuple[str, str, str]] = set()
        while len(self.profiles) < count - NAMESAKE_PAIRS:
            firsts, middles, suffix = r.choice(GIVEN_NAMES)
            triple = (r.choice(SURNAMES) + suffix, r.choice(firsts), r.choice(middles))
            if triple not in seen:
                seen.add(triple)
                self.profiles.append(Profile(len(self.profiles) + 1, *triple))
        self._add_namesakes(r, seen, count)
        fulls = [p.full.lower() for p in self.profiles]
        self.typos: dict[int, str] = {
            p.profile_id: t for p in self.profiles if (t := self._typo(r, p, fulls)) is not None
        }
        firsts, middles, _ = GIVEN_NAMES[0]
        unknown = (f"{s} {r.choice(firsts)} {r.choice(middles)}" for s in UNKNOWN_SURNAMES)
        self.unknown_names = [n for n in unknown if self._far(n, fulls)]

    def _add_namesakes(self, r: random.Random, seen: set[tuple[str, str, str]], count: int) -> None:
        """Add people whose "Surname F. M." is also someone else's: ambiguous initials."""
        while len(self.profiles) < count:
            model = r.choice(self.profiles)
            firsts, middles, _ = GIVEN_NAMES[model.middle.endswith("a")]
            triple = (
                model.last,
                r.choice([f for f in firsts if f[0] == model.first[0]]),
                r.choice([m for m in middles if m[0] == model.middle[0]]),
            )
            if triple not in seen:
                seen.add(triple)
                self.profiles.append(Profile(len(self.profiles) + 1, *triple))
        self.by_initials: dict[tuple[str, str, str], list[int]] = {}
        self.by_first: dict[tuple[str, str], list[int]] = {}
        for p in self.profiles:
            self.by_initials.setdefault(p.initials, []).append(p.profile_id)
            self.by_first.setdefault((p.last.lower(), p.first.lower()), []).append(p.profile_id)
        self.ambiguous = [p for p in self.profiles if not self.unique_initials(p)]

    @staticmethod
    def _typo(r: random.Random, p: Profile, fulls: list[str]) -> str | None:
        """A one-letter surname typo, kept only if it is clearly closest to its own profile."""
        if len(p.last) < 6 or r.random() < 0.5:
            return None
        pos = r.randrange(1, len(p.last) - 1)
        letter = "e" if p.last[pos] != "e" else "a"
        typo = f"{p.last[:pos]}{letter}{p.last[pos + 1 :]} {p.first} {p.middle}"
        own = p.full.lower()
        others = (Levenshtein.distance(typo.lower(), f) for f in fulls if f != own)
        return typo if min(others) >= TYPO_MARGIN else None

    @staticmethod
    def _far(name: str, fulls: list[str]) -> bool:
        return min(Levenshtein.distance(name.lower(), f) for f in fulls) >= UNKNOWN_MARGIN

    def unique_initials(self, p: Profile) -> bool:
        return len(self.by_initials[p.initials]) == 1

    def unique_first(self, p: Profile) -> bool:
        return len(self.by_first[(p.last.lower(), p.first.lower())]) == 1

    def write(self, profile_id: int, r: random.Random) -> str:
        """A spelling of this profile that resolves to it and to nobody else."""
        p, x = self.profiles[profile_id - 1], r.random()
        for share, spelling in SPELLINGS:
            if x < share:
                return spelling(self, p) or p.full
            x -= share
        return p.full

    def ambiguous_name(self, r: random.Random) -> str:
        """Initials shared by namesakes: an analyst error (multiple_records)."""
        p = r.choice(self.ambiguous)
        return f"{p.last} {p.first[0]}. {p.middle[0]}."

    def unknown_name(self, r: random.Random) -> str:
        """Somebody who is no profile at all: an analyst error (not_found)."""
        return r.choice(self.unknown_names)


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
