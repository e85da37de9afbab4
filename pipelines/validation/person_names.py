"""One model of a written person's name, shared by every level of people matching.

A spelling is a surname followed by up to two given parts (first, then middle), each
written in full (``Ivan``) or as an initial (``I.``, ``I``, or glued: ``I.P.``). A
profile *fits* a spelling when the surname agrees and every given part the spelling
has agrees with the profile's: a full part is equal, an initial is the part's first
letter. A part the spelling leaves out fits anything; a part the spelling has and the
profile lacks does not fit. Everything is compared in one form (``normalize``), so
case, spacing and script (Latin, Cyrillic, ...) do not matter.

The surname may have several words; a spelling only says where the given parts begin
by having at most two of them at its end, so a spelling has up to two *readings*
(``van berg anna`` is ``van berg`` + ``anna`` or ``van`` + ``berg anna``): a profile
fits the spelling when it fits one reading. Pure functions, no index:
pipelines.validation.people builds its lookups from ``fit_keys`` and measures typos with ``edits``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, NamedTuple

from rapidfuzz.distance import Levenshtein

# A run of initials in one token: ``i``, ``i.``, ``i.p.``, ``i.p`` (letters of any script).
_INITIALS: Final = re.compile(r"(?:[^\W\d_]\.)*[^\W\d_]\.?")
_LETTER: Final = re.compile(r"[^\W\d_]")
MAX_GIVEN_PARTS: Final = 2

Key = tuple[str, ...]  # (surname, part, ...) as the fit level looks it up


def normalize(name: str) -> str:
    """Case-folded, whitespace-collapsed: the one form every level compares."""
    return " ".join(name.casefold().split())


def initial(letter: str) -> str:
    """A given part written as an initial, as compared: its letter and a dot (``i.``).

    Full parts never have this shape (a token of one letter, dotted or not, is read as
    an initial), so a key cannot confuse the two.
    """
    return letter + "."


def is_initial(part: str) -> bool:
    return len(part) == 2 and part[1] == "."


def is_initials_token(token: str) -> bool:
    return _INITIALS.fullmatch(token) is not None


def given_parts(token: str) -> tuple[str, ...]:
    """One written token as given parts: ``i.p.`` -> (``i.``, ``p.``); ``ivan`` -> (``ivan``,)."""
    if is_initials_token(token):
        return tuple(initial(letter) for letter in _LETTER.findall(token))
    return (token,)


class Reading(NamedTuple):
    """One way to read a spelling: the surname, and one or two given parts."""

    surname: str
    parts: tuple[str, ...]

    @property
    def key(self) -> Key:
        return (self.surname, *self.parts)


def readings(normal: str) -> tuple[Reading, ...]:
    """Every reading of a normalised spelling: the surname is the words before the last one or two.

    A bare surname is no reading: a spelling names at least the first given part, so
    ``Ivanov`` alone never resolves to whichever Ivanov happens to be the only one.
    """
    tokens = normal.split()
    found = []
    for start in range(len(tokens) - 1, max(0, len(tokens) - 1 - MAX_GIVEN_PARTS), -1):
        parts = tuple(part for token in tokens[start:] for part in given_parts(token))
        if 1 <= len(parts) <= MAX_GIVEN_PARTS:
            found.append(Reading(" ".join(tokens[:start]), parts))
    return tuple(found)


def typo_characters(normal: str) -> int:
    """Characters a typo can hide in: the surname and the given parts written in full, not initials."""
    return sum(len(token) for token in normal.split() if not is_initials_token(token))


@dataclass(frozen=True, slots=True)
class PersonName:
    """A profile's name in the compared form; a missing given part is None."""

    last: str
    given: tuple[str | None, str | None]

    @classmethod
    def of(cls, last_name: str, first_name: str | None, middle_name: str | None) -> PersonName:
        first, middle = normalize(first_name or ""), normalize(middle_name or "")
        return cls(normalize(last_name), (first or None, middle or None))

    @property
    def full(self) -> str:
        """The whole name as the exact level compares it."""
        return " ".join(filter(None, (self.last, *self.given)))

    def fit_keys(self) -> tuple[Key, ...]:
        """Every (surname, written part, ...) a fitting spelling reads as: full part or initial, per part.

        A spelling leaves parts out only at the end (it has the first part before the
        middle one), so the keys are the one-part and, with a middle name, the two-part
        forms: at most six, which keeps the fit level one dict lookup per reading.
        """
        last, (first, middle) = self.last, self.given
        if first is None:
            return ()
        f = initial(first[0])
        if middle is None:
            return ((last, first), (last, f))
        m = initial(middle[0])
        return (
            (last, first),
            (last, f),
            (last, first, middle),
            (last, first, m),
            (last, f, middle),
            (last, f, m),
        )


def edits(reading: Reading, person: PersonName, surname_edits: int) -> tuple[int, bool]:
    """How many edits turn the profile, written the way ``reading`` is, into the reading; and
    whether the reading can be a typo of this profile at all.

    Full parts count Levenshtein edits; an initial counts one edit when its letter
    differs. Only a profile that has every part the reading has, with the same
    initials, can be the person behind a typo (``compatible``); the others still get a
    distance, so the analyst can be shown who is near (a missing part counts as its
    length, an initial as one).
    """
    total, compatible = surname_edits, True
    for part, own in zip(reading.parts, person.given, strict=False):
        if own is None:
            total += 1 if is_initial(part) else len(part)
            compatible = False
        elif is_initial(part):
            if own[0] != part[0]:
                total += 1
                compatible = False
        else:
            total += Levenshtein.distance(part, own)
    return total, compatible
