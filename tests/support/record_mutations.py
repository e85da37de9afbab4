"""What the record fuzzing mutates: every field of the export spec (docs/export-format.md)
by its path in a report, and the hostile values put there (wrong types, missing keys, huge and
unicode strings, numbers out of range, deep nesting, SQL-looking strings).

Data and strategies only; tests/validation/test_fuzz_records.py runs them through the engine.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

SQL_LOOKING = [
    "'); DROP TABLE passport; --",
    "Robert'); DELETE FROM profile WHERE ('1'='1",
    "%(name)s",
    "%s",
    "$1",
    "{}",
    "' OR 1=1 --",
    "\\",
    "\\N",
    '"',
    "E'\\x41'",
    "1; SELECT pg_sleep(10)",
    "passport\ttab\nnewline",
    ',"csv","quote"',
]
# Every field of the spec, by its path in a report; None stands for "the first item of the list".
PATHS: list[tuple[Any, ...]] = [
    ("id",),
    ("name",),
    ("category",),
    ("region",),
    ("parent_id",),
    ("commissioned",),
    ("length",),
    ("length", "value"),
    ("length", "unit"),
    ("inspector",),
    ("status",),
    ("maintenance",),
    ("signs",),
    ("maintenance", 0),
    ("maintenance", 0, "id"),
    ("maintenance", 0, "date"),
    ("maintenance", 0, "repair_type"),
    ("maintenance", 0, "performed_by"),
    ("maintenance", 0, "crew"),
    ("maintenance", 0, "crew", 0),
    ("maintenance", 0, "cost"),
    ("maintenance", 0, "measurements"),
    ("maintenance", 0, "measurements", 0),
    ("maintenance", 0, "measurements", 0, "id"),
    ("maintenance", 0, "measurements", 0, "kind"),
    ("maintenance", 0, "measurements", 0, "value"),
    ("maintenance", 0, "measurements", 0, "unit"),
    ("signs", 0),
    ("signs", 0, "id"),
    ("signs", 0, "code"),
    ("signs", 0, "installed"),
    ("signs", 0, "condition"),
]
MISSING = object()  # a value that stands for "the key is absent"


def nested(depth: int) -> Any:
    """A value ``depth`` levels deep, objects and lists in turn: past any parser's comfort."""
    value: Any = "bottom"
    for level in range(depth):
        value = [value] if level % 2 else {"deeper": value}
    return value


text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
values = st.one_of(
    st.just(MISSING),
    st.none(),
    st.booleans(),
    text,
    st.sampled_from(SQL_LOOKING),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 2**31, 2**63, -(2**63) - 1]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1e308, -1e-308, 5e-324]),
    st.sampled_from(
        [
            "",
            "   ",
            "x" * 100_000,
            "я" * 5_000,
            "\u0000",
            "a\u0000b",
            "🚧" * 1000,
            "31.02.2026",
            "12,5.3",
            "3,5",
            "2026-13-01",
            "abc",
            "NaN",
            "Infinity",
            "-0",
            "1e400",
            "a\rb",  # an old Mac editor's line break
            "line\r\nbreak",  # a Windows editor's
            "999999999999.995",  # rounds past numeric(14, 2)
            999999999999.995,
            "1" * 40 + ".125",  # too large, and more digits than Decimal's default precision
        ]
    ),
    st.lists(text, max_size=3),
    st.dictionaries(text, text, max_size=3),
    st.integers(min_value=20, max_value=200).map(nested),
)
