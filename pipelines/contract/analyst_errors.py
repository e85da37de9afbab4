"""Analyst errors: the six codes of docs/export-format.md#analyst-errors, as data.

An analyst error is never a traceback: it is a row (``loader_error``), a line of a
report file and a count in the asset check's metadata. ``ErrorLog`` keeps one error
per (entity kind, ext_id, field, code), because the same mistake repeated in a
record (two copies of a duplicated passport, two unknown crew members) is one thing
to fix; the further offending values are kept for the message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

import orjson


class ErrorCode(StrEnum):
    """The closed list of analyst error codes (loader_error.code has the same CHECK)."""

    NOT_FOUND = "not_found"
    MULTIPLE_RECORDS = "multiple_records"
    CANT_PARSE = "cant_parse"
    REQUIRED = "required"
    MAPPING_NOT_FOUND = "mapping_not_found"
    DUPLICATED_EXT_IDS = "duplicated_ext_ids"


CODES: Final = tuple(ErrorCode)
MAX_VALUES_IN_MESSAGE: Final = 5

ErrorKey = tuple[str, str | None, str, ErrorCode]  # (entity kind, ext_id, field, code)


class Invalid(Exception):
    """A converter's verdict on one value; ``target`` names what a fix-up would create.

    ``target`` is ``"profile"`` for an unknown person and the vocabulary table for an
    unknown enum value, so the fix-up files know what to offer; None otherwise.
    """

    def __init__(self, code: ErrorCode, message: str, target: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.target = code, message, target


class Blank(Exception):
    """A converter's verdict that a value is only whitespace: absent, like a missing key.

    The mapper tests only ``None`` and ``""`` itself (cheap); converters see the
    rest and, for text made of spaces, hand the decision back with ``Blank``.
    """


@dataclass(frozen=True, slots=True)
class AnalystError:
    """One row of loader_error, and of the errors.json / errors.csv report."""

    version: str
    code: ErrorCode
    entity: str
    ext_id: str | None
    passport_ext_id: str | None
    field: str
    value: str | None
    message: str

    @property
    def key(self) -> ErrorKey:
        return (self.entity, self.ext_id, self.field, self.code)

    def as_dict(self) -> dict[str, str | None]:
        return {
            "version": self.version,
            "code": str(self.code),
            "entity": self.entity,
            "ext_id": self.ext_id,
            "passport_ext_id": self.passport_ext_id,
            "field": self.field,
            "value": self.value,
            "message": self.message,
        }


COLUMNS: Final = ("version", "code", "entity", "ext_id", "passport_ext_id", "field", "value", "message")


def as_text(value: object) -> str | None:
    """The offending value as an analyst reads it: strings as they are (a NUL, which PostgreSQL
    text cannot hold, written as the JSON escape \\u0000), the rest as JSON."""
    if value is None:
        return value
    if isinstance(value, str):
        return value.replace("\x00", "\\u0000")
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


@dataclass
class _Entry:
    first: AnalystError
    values: list[str | None] = field(default_factory=list)


class ErrorLog:
    """The analyst errors of one layer, one per key, in the order first found."""

    def __init__(self, version: str) -> None:
        self.version = version
        self._entries: dict[ErrorKey, _Entry] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def add(
        self,
        code: ErrorCode,
        entity: str,
        ext_id: str | None,
        passport_ext_id: str | None,
        field_name: str,
        value: object,
        message: str,
    ) -> None:
        text = as_text(value)
        key = (entity, ext_id, field_name, code)
        entry = self._entries.get(key)
        if entry is None:
            error = AnalystError(
                self.version, code, entity, ext_id, passport_ext_id, field_name, text, message
            )
            self._entries[key] = _Entry(error, [text])
        elif text not in entry.values:
            entry.values.append(text)

    def errors(self) -> list[AnalystError]:
        """Sorted by entity, ext_id, field and code, so report files are stable between runs."""
        out = [_merged(entry) for entry in self._entries.values()]
        out.sort(key=lambda e: (e.passport_ext_id or "", e.entity, e.ext_id or "", e.field, e.code))
        return out


def _merged(entry: _Entry) -> AnalystError:
    """The first error, its message naming the other values when one key had several."""
    if len(entry.values) == 1:
        return entry.first
    shown = ", ".join(repr(v) for v in entry.values[:MAX_VALUES_IN_MESSAGE])
    more = len(entry.values) - MAX_VALUES_IN_MESSAGE
    suffix = f" (and {more} more)" if more > 0 else ""
    first = entry.first
    return AnalystError(
        first.version,
        first.code,
        first.entity,
        first.ext_id,
        first.passport_ext_id,
        first.field,
        first.value,
        f"{first.message}; {len(entry.values)} values here: {shown}{suffix}",
    )


def counts_by_code(errors: list[AnalystError]) -> dict[str, int]:
    """Every code with its count (zeros included), in the spec's order."""
    counts = {str(code): 0 for code in CODES}
    for error in errors:
        counts[str(error.code)] += 1
    return counts
