"""The reference data one layer is validated against, read from the database once.

Vocabularies and profiles are analyst-owned and change between validations (an
analyst adds a mapping or a profile, then re-runs), so they are read per layer,
never cached across layers; within a layer every distinct spelling is resolved
once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

import psycopg

from pipelines.contract.analyst_errors import Blank, ErrorCode, Invalid
from pipelines.db.sql_text import read_sql
from pipelines.validation.people import PeopleIndex, PersonMatch, Profile
from pipelines.validation.vocabularies import Vocabulary, read_vocabularies

CACHE_LIMIT: Final = 200_000


@dataclass
class Lookups:
    """Vocabularies by table name, and the people index."""

    vocabularies: dict[str, Vocabulary]
    people: PeopleIndex
    _people_cache: dict[object, str | PersonMatch] = field(default_factory=dict, repr=False)

    def person_id(self, value: object) -> str:
        """The profile id (cell text) a spelled name means, or ``Invalid`` (not_found / multiple_records)."""
        try:
            hit = self._people_cache.get(value)
        except TypeError:
            raise Invalid(ErrorCode.CANT_PARSE, "a person's name must be text") from None
        if hit is None:
            if type(value) is not str:
                raise Invalid(ErrorCode.CANT_PARSE, "a person's name must be text")
            if value.isspace():
                raise Blank
            match = self.people.match(value)
            hit = str(match.profile_id) if match.profile_id is not None else match
            if len(self._people_cache) >= CACHE_LIMIT:
                self._people_cache.clear()
            self._people_cache[value] = hit
        if type(hit) is str:
            return hit
        return _unresolved(value, hit)  # type: ignore[arg-type]


def _unresolved(value: object, match: PersonMatch) -> str:
    if match.code == "multiple_records":
        ids = ", ".join(map(str, match.candidates))
        raise Invalid(
            ErrorCode.MULTIPLE_RECORDS, f"{value!r} matches several profiles ({ids}): never guessed"
        )
    raise Invalid(ErrorCode.NOT_FOUND, f"no profile matches {value!r}", "profile")


def read_profiles(conn: psycopg.Connection) -> list[Profile]:
    return [Profile(*row) for row in conn.execute(read_sql("validation/profiles"))]


def read_lookups(conn: psycopg.Connection, vocabularies: Iterable[str]) -> Lookups:
    """Read the named vocabularies and all profiles in one short transaction."""
    with conn.transaction():
        vocab = read_vocabularies(conn, vocabularies)
        people = PeopleIndex(read_profiles(conn))
    return Lookups(vocab, people)
