"""The sample's vocabulary: enum values with their codes and aliases, and the names people have.

Plain data, kept apart from the code that spells it (``portal_spelling``) and the people made
from it (``people``). Aliases are the other ways the portal writes a code; each alias resolves
to exactly one row, so the sample's expected answer stays exact.
"""

from __future__ import annotations

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
