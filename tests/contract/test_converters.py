"""Converters and vocabularies without a database: what parses, what is an error, what is blank."""

from __future__ import annotations

import pytest

from pipelines.contract.analyst_errors import Blank, ErrorCode, Invalid
from pipelines.contract.converters import decimal, iso_date, money, one_of, text
from pipelines.validation.vocabularies import Vocabulary


@pytest.mark.parametrize(
    ("raw", "cell"),
    [
        (3.5, "3.5"),
        ("3,5", "3.5"),
        ("3.50", "3.5"),
        (" 3,50 ", "3.5"),
        (100.0, "100"),
        ("100.0", "100"),
        (7, "7"),
        ("-0,25", "-0.25"),
        ("007", "7"),
        (".5", "0.5"),
        (1e16, "10000000000000000"),
        (2.5e-07, "0.00000025"),
        ("0.0", "0"),
        ("-0", "0"),
        (-0.0, "0"),
    ],
)
def test_decimals_are_normalized(raw: object, cell: str) -> None:
    assert decimal(raw) == cell


@pytest.mark.parametrize(
    "raw",
    [
        "12,5.3",
        "abc",
        "1.2.3",
        "1,2,3",
        "3,",
        "1e5",
        ".",
        "-",
        True,
        [1],
        {"v": 1},
        float("nan"),
        float("inf"),
    ],
)
def test_bad_decimals_cant_parse(raw: object) -> None:
    with pytest.raises(Invalid) as caught:
        decimal(raw)
    assert caught.value.code is ErrorCode.CANT_PARSE


def test_same_meaning_same_cell() -> None:
    """A re-spelled number maps to the identical cell, so the loader sees no change."""
    assert decimal(109.71) == decimal("109,71") == decimal("109.710")


@pytest.mark.parametrize("raw", ["2026-02-28", "2024-02-29", " 2026-01-01 "])
def test_existing_days_parse(raw: str) -> None:
    assert iso_date(raw) == raw.strip()


@pytest.mark.parametrize(
    "raw",
    [
        "31.02.2026",
        "2026-02-30",
        "2026-13-01",
        "yesterday",
        "12/31/2025",
        "n/a",
        "2025-02-29",
        "20260101",
        "2026-1-01",
        20260101,
    ],
)
def test_impossible_or_foreign_dates_cant_parse(raw: object) -> None:
    with pytest.raises(Invalid) as caught:
        iso_date(raw)
    assert caught.value.code is ErrorCode.CANT_PARSE


@pytest.mark.parametrize("convert", [text, iso_date, decimal, one_of("active", "retired")])
def test_whitespace_is_blank(convert: object) -> None:
    with pytest.raises(Blank):
        convert("   ")  # type: ignore[operator]


def test_money_fits_numeric_14_2() -> None:
    assert money("1234.50") == "1234.5"
    assert money("999999999999.99") == "999999999999.99"
    with pytest.raises(Invalid):
        money("1234567890123.00")
    for rounds_past in ("999999999999.995", "1" * 40 + ".125"):  # an analyst error, not a traceback
        with pytest.raises(Invalid):
            money(rounds_past)


def test_closed_values_any_case() -> None:
    status = one_of("active", "retired")
    assert status(" Active ") == "active"
    with pytest.raises(Invalid) as caught:
        status("closed")
    assert caught.value.code is ErrorCode.CANT_PARSE


def test_text_refuses_structures_and_nul() -> None:
    assert text("Bridge 1") == "Bridge 1"
    for bad in ({"a": 1}, [1], "a\x00b", False):
        with pytest.raises(Invalid):
            text(bad)


def test_vocabulary_codes_and_mappings_trimmed_case_insensitive() -> None:
    units = Vocabulary.of(
        "measure_unit", codes=[(1, "m"), (2, "km")], mappings=[(1, "metre"), (1, " М "), (2, "M")]
    )
    assert [units.id_of(v) for v in ("m", " M", "METRE", "м", "km")] == ["1", "1", "1", "1", "2"]
    # a code wins over a mapping value spelled the same (here "M" maps to km, but "m" is a code)
    assert units.id_of("M") == "1"
    with pytest.raises(Invalid) as caught:
        units.id_of("ft")
    assert (caught.value.code, caught.value.target) == (ErrorCode.MAPPING_NOT_FOUND, "measure_unit")
    with pytest.raises(Blank):
        units.id_of("  ")
    with pytest.raises(Invalid) as caught:
        units.id_of(["m"])
    assert caught.value.code is ErrorCode.CANT_PARSE
