"""Enum-like values (category, repair type, sign code, measure unit) found by code or mapping.

Each vocabulary is a table ``<name>(id, code, name)`` plus ``<name>_mapping(value,
<name>_id)`` of other spellings, both analyst-owned. A value is found when it equals
a code or a mapping value compared trimmed and case-insensitively (the tables'
unique indexes use ``lower(btrim(...))``); otherwise it is ``mapping_not_found``.
Nothing about values is known to the code: new values arrive with later layers,
and an analyst adds a mapping row, then re-validates.

Loaded once per layer; every distinct spelling is then resolved once (a cache), so
millions of references cost one dictionary lookup each.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

import psycopg
from psycopg import sql

from pipelines.contract.analyst_errors import Blank, ErrorCode, Invalid

CODES: Final = sql.SQL("SELECT id, code FROM {table} ORDER BY id")
MAPPINGS: Final = sql.SQL("SELECT {key}, value FROM {mapping} ORDER BY id")
CACHE_LIMIT: Final = 200_000


def fold(value: str) -> str:
    """The compared form: trimmed, lower-cased (as ``lower(btrim(value))``)."""
    return value.strip().lower()


@dataclass(frozen=True, slots=True)
class _Miss:
    code: ErrorCode | None  # None: the value is blank
    message: str


BLANK: Final = _Miss(None, "blank")


@dataclass
class Vocabulary:
    """One vocabulary's codes and mapping values, folded, each pointing at the enum row id."""

    name: str
    ids: dict[str, int]
    _cache: dict[object, str | _Miss] = field(default_factory=dict, repr=False)

    @classmethod
    def of(
        cls, name: str, codes: Iterable[tuple[int, str]], mappings: Iterable[tuple[int, str]]
    ) -> Vocabulary:
        """Codes win over a mapping value spelled the same: a code is the vocabulary's own word."""
        ids: dict[str, int] = {}
        for row_id, value in mappings:
            ids.setdefault(fold(value), row_id)
        ids.update((fold(code), row_id) for row_id, code in codes)
        return cls(name, ids)

    def id_of(self, value: object) -> str:
        """The enum row id (as cell text) of ``value``, or ``Invalid`` (mapping_not_found / cant_parse)."""
        try:
            hit = self._cache.get(value)
        except TypeError:  # a list or object where a value belongs
            raise Invalid(ErrorCode.CANT_PARSE, f"a {self.name} must be text") from None
        if hit is None:
            hit = self._resolve(value)
            if len(self._cache) >= CACHE_LIMIT:
                self._cache.clear()
            self._cache[value] = hit
        if type(hit) is str:
            return hit
        miss: _Miss = hit  # type: ignore[assignment]
        if miss.code is None:
            raise Blank
        raise Invalid(
            miss.code, miss.message, self.name if miss.code is ErrorCode.MAPPING_NOT_FOUND else None
        )

    def _resolve(self, value: object) -> str | _Miss:
        if type(value) in (int, float):  # a sign code sent as a number: 3.24
            value = repr(value)
        if type(value) is not str:
            return _Miss(ErrorCode.CANT_PARSE, f"a {self.name} must be text")
        folded = fold(value)
        if not folded:
            return BLANK
        row_id = self.ids.get(folded)
        if row_id is None:
            return _Miss(
                ErrorCode.MAPPING_NOT_FOUND,
                f"{value!r} is neither a {self.name} code nor a {self.name}_mapping value",
            )
        return str(row_id)


def load_vocabulary(conn: psycopg.Connection, name: str) -> Vocabulary:
    """Read ``name`` and ``name_mapping``; identifiers are quoted, never formatted in."""
    names = {
        "table": sql.Identifier(name),
        "mapping": sql.Identifier(f"{name}_mapping"),
        "key": sql.Identifier(f"{name}_id"),
    }
    codes = conn.execute(CODES.format(**names)).fetchall()
    mappings = conn.execute(MAPPINGS.format(**names)).fetchall()
    return Vocabulary.of(name, codes, mappings)


def read_vocabularies(conn: psycopg.Connection, names: Iterable[str]) -> dict[str, Vocabulary]:
    return {name: load_vocabulary(conn, name) for name in sorted(set(names))}
