"""Converters: one export value -> the text of one mapped CSV cell, or ``Invalid``.

A converter sees only present values other than ``""`` (absence and ``required`` are
the mapper's business; text of spaces only is handed back as ``Blank``) and returns
the cell exactly as PostgreSQL's ``COPY ... (FORMAT csv)`` should read it: ISO dates,
decimals with a point and no redundant zeros, enum and profile ids. Normalizing here
is what makes a re-spelled record map to an identical row, so the loader can skip it.

Plain converters are functions. A converter that needs the database's reference
data (vocabularies, people) is a ``Contextual`` declaration that ``bind``s to a
``Lookups`` once per layer and yields a plain function, so the hot path never
asks whether a converter has a context.

Millions of values pass through here: each converter takes the common case in a
few dictionary lookups (caches per distinct spelling) and raises only on errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Final, Protocol

from pipelines.contract.analyst_errors import Blank, ErrorCode, Invalid

if TYPE_CHECKING:
    from pipelines.validation.lookups import Lookups

Converter = Callable[[object], str]

CACHE_LIMIT: Final = 500_000  # distinct spellings kept per cache; cleared when exceeded
MONEY_INTEGER_DIGITS: Final = 12  # numeric(14, 2)
MONEY_SCALE: Final = 2
_WIDE: Final = Context(prec=1000)  # exact rounding for any value a numeric(p, s) column holds
_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DECIMAL: Final = re.compile(r"\s*([+-]?)([0-9]*)(?:[.,]([0-9]+))?\s*")


class Contextual(Protocol):
    """A converter declaration that needs the layer's lookups before it can convert."""

    def bind(self, lookups: Lookups) -> Converter: ...


def text(value: object) -> str:
    """Free text as sent; numbers become their text, structures are not text."""
    if type(value) is str:
        if value.isspace():
            raise Blank
        if "\x00" in value:  # PostgreSQL text cannot hold NUL
            raise Invalid(ErrorCode.CANT_PARSE, "text contains a NUL character")
        return value
    if type(value) in (int, float):
        return repr(value)
    raise Invalid(ErrorCode.CANT_PARSE, f"expected text, got {type(value).__name__}")


_dates: dict[str, str] = {}


def iso_date(value: object) -> str:
    """``YYYY-MM-DD`` naming a day that exists (``2026-02-30`` does not)."""
    if type(value) is not str:
        raise Invalid(ErrorCode.CANT_PARSE, "a date must be text YYYY-MM-DD")
    hit = _dates.get(value)
    if hit is not None:
        return hit
    stripped = value.strip()
    if not stripped:
        raise Blank
    if not _DATE.fullmatch(stripped):
        raise Invalid(ErrorCode.CANT_PARSE, f"{value!r} is not a date YYYY-MM-DD")
    try:
        date.fromisoformat(stripped)
    except ValueError:
        raise Invalid(ErrorCode.CANT_PARSE, f"{value!r} is not a day of the calendar") from None
    if len(_dates) >= CACHE_LIMIT:
        _dates.clear()
    _dates[value] = stripped
    return stripped


def decimal(value: object) -> str:
    """A number, or text with a decimal point or comma: ``3.5``, ``"3,5"`` and ``"3.50"`` give ``3.5``."""
    kind = type(value)
    if kind is float:
        shown = repr(value)
        if "e" in shown or "n" in shown:  # exponent, inf, nan: rare, exact path
            return _via_decimal(float(shown), shown)
        if shown.endswith(".0"):
            shown = shown[:-2]
            return "0" if shown == "-0" else shown
        return shown
    if kind is int:
        return str(value)
    if kind is str:
        return _decimal_text(value)  # type: ignore[arg-type]
    raise Invalid(ErrorCode.CANT_PARSE, f"expected a number, got {kind.__name__}")


def _decimal_text(value: str) -> str:
    match = _DECIMAL.fullmatch(value)
    if match is None or not (match[2] or match[3]):
        if value.isspace():
            raise Blank
        raise Invalid(ErrorCode.CANT_PARSE, f"{value!r} is not a decimal number")
    sign, whole, fraction = match.groups()
    whole = whole.lstrip("0") or "0"
    fraction = (fraction or "").rstrip("0")
    shown = f"{whole}.{fraction}" if fraction else whole
    return f"-{shown}" if sign == "-" and shown != "0" else shown


def _via_decimal(value: float, shown: str) -> str:
    try:
        exact = Decimal(shown)
    except InvalidOperation:
        raise Invalid(ErrorCode.CANT_PARSE, f"{shown} is not a decimal number") from None
    if not exact.is_finite():
        raise Invalid(ErrorCode.CANT_PARSE, f"{shown} is not a finite number")
    return _decimal_text(format(exact, "f"))


def scaled_text(shown: str, scale: int) -> str:
    """What a numeric(p, ``scale``) column holds for the decimal text ``shown``, as PostgreSQL
    prints it: rounded to ``scale`` decimals half away from zero, never ``-0.00`` (apply_typmod,
    round_var, make_result's zero sign). Money's size check and the import digest both use it."""
    rounded = Decimal(shown).quantize(Decimal(1).scaleb(-scale), ROUND_HALF_UP, _WIDE)
    return format(rounded.copy_abs() if rounded.is_zero() else rounded, "f")


def money(value: object) -> str:
    """A decimal that fits numeric(14, 2): cost is ``"1234.50"`` as text.

    PostgreSQL rounds to the column's two decimals before it checks the size, so
    999999999999.995 becomes 1000000000000.00 and would fail the load's COPY: a value with
    room to spare is accepted as written, one at the edge is measured after that rounding."""
    shown = decimal(value)
    whole, _, fraction = shown.lstrip("-").partition(".")
    if len(whole) == MONEY_INTEGER_DIGITS and len(fraction) > MONEY_SCALE:
        whole = scaled_text(shown, MONEY_SCALE).lstrip("-").partition(".")[0]
    if len(whole) > MONEY_INTEGER_DIGITS:
        raise Invalid(ErrorCode.CANT_PARSE, f"{value!r} is too large for an amount")
    return shown


def one_of(*allowed: str) -> Converter:
    """A closed list of values spelled in any case; the cell is the canonical spelling."""
    canonical = {v.lower(): v for v in allowed}
    listing = ", ".join(allowed)

    def convert(value: object) -> str:
        hit = canonical.get(value.strip().lower()) if type(value) is str else None
        if hit is None:
            if type(value) is str and value.isspace():
                raise Blank
            raise Invalid(ErrorCode.CANT_PARSE, f"{value!r} is not one of {listing}")
        return hit

    convert.__name__ = f"one_of({listing})"
    return convert


@dataclass(frozen=True, slots=True)
class VocabularyValue:
    """An enum-like value: a code or mapping value of ``vocabulary``, cell = its id."""

    vocabulary: str

    def bind(self, lookups: Lookups) -> Converter:
        return lookups.vocabularies[self.vocabulary].id_of


@dataclass(frozen=True, slots=True)
class PersonName:
    """A person's full name, resolved by pipelines.validation.people; cell = the profile id."""

    def bind(self, lookups: Lookups) -> Converter:
        return lookups.person_id


def vocabulary(name: str) -> VocabularyValue:
    return VocabularyValue(name)


person: Final = PersonName()


def bind(convert: Converter | Contextual, lookups: Lookups) -> Converter:
    """The plain function a declaration's converter becomes for one layer."""
    binder = getattr(convert, "bind", None)
    return binder(lookups) if binder is not None else convert  # type: ignore[return-value]
