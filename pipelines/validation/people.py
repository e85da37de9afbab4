"""Resolve the portal's free-text person names to our profiles.

The export names people only as strings, written many ways (see *Names* in
docs/export-format.md#names): ``Ivanov Ivan Petrovich``, ``IVANOV IVAN PETROVICH``,
``Ivanov I. P.``, ``Ivanov I.P.``, ``Ivanov Ivan`` and now and then with a typo.
``PeopleIndex.match`` tries rules from the strictest to the loosest; the first
rule that finds anybody decides, and more than one person there is an analyst
error (``multiple_records``), never a guess. Nobody at all is ``not_found``.

Pure Python, no database and no Dagster: the validator builds one index per run
from the profiles table and calls ``match`` for every reference.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

Code = Literal["not_found", "multiple_records"]
Rule = Literal["exact", "initials", "surname_first", "fuzzy"]

# Fuzzy acceptance. The portal's typos are one wrong letter (distance 1); two
# allows a swapped pair. The share cap keeps short names (``Li Bo``) from being
# "corrected" into somebody else, and the margin demands that the runner-up be
# clearly worse, so a typo halfway between two people is reported, not guessed.
FUZZY_MAX_DISTANCE: Final = 2
FUZZY_MAX_SHARE: Final = 0.15
FUZZY_MARGIN: Final = 2

# One initial: a letter, optionally dotted; several glued ones: ``i.p.`` / ``i.p``.
_INITIALS: Final = re.compile(r"(?:[^\W\d_]\.)*[^\W\d_]\.?")
_LETTER: Final = re.compile(r"[^\W\d_]")


@dataclass(frozen=True, slots=True)
class Profile:
    """A person as our database knows them."""

    id: int
    last_name: str
    first_name: str
    middle_name: str | None


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


NOT_FOUND: Final = PersonMatch(None, "not_found", None, ())

InitialsKey = tuple[str, str, str | None]


def normalize(name: str) -> str:
    """Case-folded, whitespace-collapsed: the one form every rule compares."""
    return " ".join(name.casefold().split())


def _initials_key(tokens: list[str]) -> InitialsKey | None:
    """``[ivanov, i., p.]`` / ``[ivanov, i.p.]`` / ``[ivanov, i, p]`` -> ``(ivanov, i, p)``.

    The surname is everything before the trailing run of initials, so a
    two-word surname still works; one or two initials are accepted.
    """
    split = len(tokens)
    while split > 1 and _INITIALS.fullmatch(tokens[split - 1]):
        split -= 1
    letters = _LETTER.findall("".join(tokens[split:]))
    if split == len(tokens) or not 1 <= len(letters) <= 2:
        return None
    return " ".join(tokens[:split]), letters[0], letters[1] if len(letters) == 2 else None


class PeopleIndex:
    """Every profile under each key a rule looks up, built once in O(profiles).

    Results are cached per raw spelling (millions of references, thousands of
    distinct spellings): a repeated spelling costs one dict lookup. A second
    cache keyed by the normalised form shares work between ``IVANOV I.P.`` and
    ``Ivanov i.p.``.
    """

    def __init__(self, profiles: Iterable[Profile]) -> None:
        self._full: dict[str, list[int]] = defaultdict(list)
        self._initials: dict[InitialsKey, list[int]] = defaultdict(list)
        self._two: dict[tuple[str, str], list[int]] = defaultdict(list)
        for p in profiles:
            last, first = normalize(p.last_name), normalize(p.first_name)
            middle = normalize(p.middle_name or "")
            self._full[" ".join(filter(None, (last, first, middle)))].append(p.id)
            if first:
                self._initials[(last, first[0], middle[0] if middle else None)].append(p.id)
                self._two[(last, first)].append(p.id)
        self._names: list[str] = list(self._full)
        self._cache: dict[str, PersonMatch] = {}
        self._by_normal: dict[str, PersonMatch] = {}

    def __len__(self) -> int:
        return sum(map(len, self._full.values()))

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

    def _resolve(self, normal: str) -> PersonMatch:
        """Apply the rules strictest first; the first one with any candidate decides."""
        tokens = normal.split()
        if not tokens:
            return NOT_FOUND
        key = _initials_key(tokens)
        lookups: tuple[tuple[Rule, list[int] | None], ...] = (
            ("exact", self._full.get(normal)),
            ("initials", self._initials.get(key) if key else None),
            (
                "surname_first",
                self._two.get((" ".join(tokens[:-1]), tokens[-1])) if len(tokens) >= 2 else None,
            ),
        )
        for rule, ids in lookups:
            if ids:
                return _decide(rule, ids)
        return self._fuzzy(normal)

    def _fuzzy(self, normal: str) -> PersonMatch:
        """A typo of one full name, accepted only when near and clearly nearest.

        Every name within ``best + margin - 1`` counts as a rival, so a typo
        equally close to two people is ``multiple_records`` with both named.
        """
        allowed = min(FUZZY_MAX_DISTANCE, int(len(normal) * FUZZY_MAX_SHARE))
        if allowed < 1:
            return NOT_FOUND
        near = process.extract(
            normal,
            self._names,
            scorer=Levenshtein.distance,
            score_cutoff=allowed + FUZZY_MARGIN - 1,
            limit=None,
        )
        if not near:
            return NOT_FOUND
        best = min(distance for _, distance, _ in near)
        if best > allowed:
            return NOT_FOUND
        ids = [
            pid for name, distance, _ in near if distance < best + FUZZY_MARGIN for pid in self._full[name]
        ]
        return _decide("fuzzy", ids)


def _decide(rule: Rule, ids: list[int]) -> PersonMatch:
    """One candidate is the match; several are ``multiple_records``, never a pick."""
    unique = tuple(sorted(set(ids)))
    if len(unique) == 1:
        return PersonMatch(unique[0], None, rule, ())
    return PersonMatch(None, "multiple_records", rule, unique)
