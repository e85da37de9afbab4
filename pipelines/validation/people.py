"""Resolve the portal's free-text person names to our profiles.

The export names people only as strings, written many ways (see
docs/export-format.md#names): ``Ivanov Ivan Petrovich``, ``IVANOV IVAN PETROVICH``,
``Ivanov I. P.``, ``Ivanov I.P.``, ``Ivanov Ivan``, ``Ivanov I.``, ``Ivanov Ivan P.``
and now and then with a typo. pipelines.validation.person_names says what a spelling is and when
a profile fits it. ``PeopleIndex.match`` tries three levels, strictest first:

1. ``exact``: the whole name, as compared, is the profile's;
2. ``fit``: the profile fits the spelling (surname equal, each written part agrees);
3. ``fuzzy``: the spelling is a typo of the profile: a few Levenshtein edits on the
   surname and the parts written in full, the initials agreeing, and nobody else
   nearly as near.

The first level where anyone qualifies decides: one profile is the match, several are
an analyst error (``multiple_records``, naming them), never a pick among them; nobody
at any level is ``not_found``. A wrong match would silently credit work to the wrong
person, so a doubt is always reported.

Pure Python, no database and no Dagster: the validator builds one index per layer from
the profiles table and calls ``match`` for every reference.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from pipelines.validation.person_names import (
    Key,
    PersonName,
    Reading,
    edits,
    normalize,
    readings,
    typo_characters,
)

Code = Literal["not_found", "multiple_records"]
Rule = Literal["exact", "fit", "fuzzy"]

# Typo acceptance. The portal's typos are one wrong letter; two edits allow a swapped
# pair. One edit per six characters (surname and full given parts; initials carry no
# typo) keeps short names (``Li Bo``, ``Orlov D.``) from being "corrected" into somebody
# else. The margin demands that the runner-up be clearly worse, so a typo about as near
# to two people is reported with both, not guessed.
FUZZY_MAX_DISTANCE: Final = 2
FUZZY_CHARACTERS_PER_EDIT: Final = 6
FUZZY_MARGIN: Final = 2
# The analyst's hint for an unknown spelling: who is a few edits away, the surname
# itself no more than a third changed (``Orlov`` is not near ``Sokolov``).
NEAREST_LIMIT: Final = 3
NEAREST_MAX_DISTANCE: Final = 3
NEAREST_SURNAME_CHARACTERS_PER_EDIT: Final = 3


@dataclass(frozen=True, slots=True)
class Profile:
    """A person as our database knows them."""

    id: int
    last_name: str
    first_name: str
    middle_name: str | None

    @property
    def name(self) -> str:
        return " ".join(filter(None, (self.last_name, self.first_name, self.middle_name)))


@dataclass(frozen=True, slots=True)
class PersonMatch:
    """The outcome for one spelling: a profile, or an analyst error code.

    ``candidates`` lists the tied profile ids of a ``multiple_records`` result,
    so the analyst's message can name the people the spelling could mean.
    """

    profile_id: int | None
    code: Code | None
    rule: Rule | None
    candidates: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Nearby:
    """An existing profile near an unknown spelling: ``distance`` edits, an initial counting as one."""

    profile_id: int
    name: str
    distance: int

    def as_dict(self) -> dict[str, int | str]:
        return {"profile_id": self.profile_id, "name": self.name, "distance": self.distance}


NOT_FOUND: Final = PersonMatch(None, "not_found", None, ())


class PeopleIndex:
    """Every profile under each key a level looks up, built once in O(profiles).

    The exact level is keyed by the whole name, the fit level by every (surname, part
    form, ...) a fitting spelling can read as (``PersonName.fit_keys``), so both are
    dict lookups; the typo level searches the distinct surnames with rapidfuzz and runs
    only for spellings the strict levels left unresolved. Results are cached per raw
    spelling (a layer repeats a few thousand distinct spellings millions of times): a
    repeated spelling costs one dict lookup. A second cache keyed by the normalised form
    shares work between ``IVANOV I.P.`` and ``Ivanov i.p.``.
    """

    def __init__(self, profiles: Iterable[Profile]) -> None:
        self._exact: dict[str, list[int]] = defaultdict(list)
        self._fit: dict[Key, list[int]] = defaultdict(list)
        self._by_surname: dict[str, list[tuple[int, PersonName]]] = defaultdict(list)
        self._names: dict[int, str] = {}
        for profile in profiles:
            person = PersonName.of(profile.last_name, profile.first_name, profile.middle_name)
            self._exact[person.full].append(profile.id)
            for key in person.fit_keys():
                self._fit[key].append(profile.id)
            self._by_surname[person.last].append((profile.id, person))
            self._names[profile.id] = profile.name
        self._surnames: list[str] = list(self._by_surname)
        self._cache: dict[str, PersonMatch] = {}
        self._by_normal: dict[str, PersonMatch] = {}

    def __len__(self) -> int:
        return sum(map(len, self._exact.values()))

    def match(self, name: str) -> PersonMatch:
        """The profile ``name`` means, or why there is none. Never guesses."""
        hit = self._cache.get(name)
        if hit is not None:
            return hit
        normal = normalize(name or "")
        result = self._by_normal.get(normal)
        if result is None:
            result = self._by_normal[normal] = self._resolve(normal)
        self._cache[name] = result
        return result

    def nearest(self, name: str) -> tuple[Nearby, ...]:
        """The few profiles nearest to ``name`` written the same way, nearest first.

        For the analyst reviewing an unknown spelling: a typo too short or too far to
        be accepted still shows whom it probably means, before anyone creates a
        duplicate profile. Initials that differ and missing parts count here too.
        """
        near = self._near(
            readings(normalize(name or "")),
            NEAREST_MAX_DISTANCE,
            typos_only=False,
            surname_characters_per_edit=NEAREST_SURNAME_CHARACTERS_PER_EDIT,
        )
        ranked = sorted(near.items(), key=lambda item: (item[1], item[0]))[:NEAREST_LIMIT]
        return tuple(Nearby(pid, self._names[pid], distance) for pid, distance in ranked)

    def _resolve(self, normal: str) -> PersonMatch:
        """Apply the levels strictest first; the first one with any candidate decides."""
        if not normal:
            return NOT_FOUND
        exact = self._exact.get(normal)
        if exact:
            return _decide("exact", exact)
        ways = readings(normal)
        fit = [pid for reading in ways for pid in self._fit.get(reading.key, ())]
        if fit:
            return _decide("fit", fit)
        return self._fuzzy(normal, ways)

    def _fuzzy(self, normal: str, ways: tuple[Reading, ...]) -> PersonMatch:
        """A typo of one profile, accepted only when near and clearly nearest.

        Every profile within ``best + margin - 1`` edits counts as a rival, so a typo
        about as near to two people is ``multiple_records`` with both named.
        """
        allowed = min(FUZZY_MAX_DISTANCE, typo_characters(normal) // FUZZY_CHARACTERS_PER_EDIT)
        if allowed < 1 or not ways:
            return NOT_FOUND
        near = self._near(ways, allowed + FUZZY_MARGIN - 1, typos_only=True)
        if not near:
            return NOT_FOUND
        best = min(near.values())
        if best > allowed:
            return NOT_FOUND
        return _decide("fuzzy", [pid for pid, distance in near.items() if distance < best + FUZZY_MARGIN])

    def _near(
        self,
        ways: tuple[Reading, ...],
        cutoff: int,
        *,
        typos_only: bool,
        surname_characters_per_edit: int | None = None,
    ) -> dict[int, int]:
        """Profile id -> fewest edits over the readings, for every profile within ``cutoff``.

        The surname's own edits bound the total, so rapidfuzz narrows the distinct
        surnames first and only their profiles are compared part by part.
        """
        found: dict[int, int] = {}
        for reading in ways:
            surname_cutoff = cutoff
            if surname_characters_per_edit is not None:
                surname_cutoff = min(cutoff, len(reading.surname) // surname_characters_per_edit)
            near_surnames = process.extract(
                reading.surname,
                self._surnames,
                scorer=Levenshtein.distance,
                score_cutoff=surname_cutoff,
                limit=None,
            )
            for surname, surname_edits, _ in near_surnames:
                for pid, person in self._by_surname[surname]:
                    distance, typo = edits(reading, person, int(surname_edits))
                    if (
                        distance <= cutoff
                        and (typo or not typos_only)
                        and distance < found.get(pid, cutoff + 1)
                    ):
                        found[pid] = distance
        return found


def _decide(rule: Rule, ids: list[int]) -> PersonMatch:
    """One candidate is the match; several are ``multiple_records``, never a pick."""
    unique = tuple(sorted(set(ids)))
    if len(unique) == 1:
        return PersonMatch(unique[0], None, rule, ())
    return PersonMatch(None, "multiple_records", rule, unique)
