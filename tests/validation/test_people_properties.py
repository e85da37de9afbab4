"""PeopleIndex against a brute-force reading of the matching rules, on random profile sets.

Hypothesis draws small profile sets from small name pools in two scripts, so namesakes,
shared initials, missing middle names, one-letter-apart surnames (``Ivanov``/``Ivanova``)
and two-word surnames are common. Every spelling form of the spec (and of the issue:
one initial, mixed full and initial parts) is rendered for each person, in random case
and spacing, plus typos and people who are not there. ``reference`` below decides each
spelling by the rules alone, comparing every profile with every reading of the
spelling, with its own Levenshtein and no index, cache, cutoff or rapidfuzz; the index
must give exactly the same answer, level included.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.validation.people import PeopleIndex, PersonMatch, Profile


@dataclass(frozen=True)
class Pool:
    surnames: tuple[str, ...]
    firsts: tuple[str, ...]
    middles: tuple[str, ...]
    letters: str


LATIN = Pool(
    ("Ivanov", "Ivanova", "Petrov", "Sokolov", "Sokolova", "Rimsky-Korsakov", "Van Berg", "Van"),
    ("Ivan", "Igor", "Irina", "Oleg", "Olga", "Denis", "Dmitry", "Berg"),
    ("Petrovich", "Pavlovich", "Petrovna", "Igorevich", "Olegovna", "Andreevich"),
    "abdeiknoprvy",
)
CYRILLIC = Pool(
    ("Иванов", "Иванова", "Петров", "Соколов", "Римский-Корсаков", "Ван Берг"),
    ("Иван", "Игорь", "Ирина", "Олег", "Ольга", "Денис", "Дмитрий"),
    ("Петрович", "Павлович", "Петровна", "Игоревич", "Олеговна"),
    "абвдеиклнопрсв",
)
POOLS = (LATIN, CYRILLIC)

# --- the rules, brute force -------------------------------------------------------------

_INITIALS = re.compile(r"(?:[^\W\d_]\.)*[^\W\d_]\.?")


def _norm(text: str | None) -> str:
    return " ".join((text or "").casefold().split())


def _levenshtein(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ca != cb))
    return row[-1]


def _written(tokens: list[str]) -> list[tuple[str, bool]]:
    """Given parts as (text, is an initial): a token of dotted letters is one initial per letter."""
    parts: list[tuple[str, bool]] = []
    for token in tokens:
        if _INITIALS.fullmatch(token):
            parts += [(char, True) for char in token if char != "."]
        else:
            parts.append((token, False))
    return parts


def _readings(spelling: str) -> list[tuple[str, list[tuple[str, bool]]]]:
    tokens = spelling.split()
    found = []
    for start in range(1, len(tokens)):
        parts = _written(tokens[start:])
        if len(tokens) - start <= 2 and 1 <= len(parts) <= 2:
            found.append((" ".join(tokens[:start]), parts))
    return found


def _given(p: Profile) -> list[str | None]:
    return [_norm(p.first_name) or None, _norm(p.middle_name) or None]


def _fits(p: Profile, surname: str, parts: list[tuple[str, bool]]) -> bool:
    if surname != _norm(p.last_name):
        return False
    for (text, is_initial), own in zip(parts, _given(p), strict=False):
        if own is None or (own[0] != text if is_initial else own != text):
            return False
    return True


def _typo_edits(p: Profile, surname: str, parts: list[tuple[str, bool]]) -> int | None:
    """Edits on the surname and the full parts; None when an initial differs or a part is missing."""
    total = _levenshtein(surname, _norm(p.last_name))
    for (text, is_initial), own in zip(parts, _given(p), strict=False):
        if own is None or (is_initial and own[0] != text):
            return None
        total += 0 if is_initial else _levenshtein(text, own)
    return total


def _decided(rule: str, ids: list[int]) -> PersonMatch:
    unique = tuple(sorted(set(ids)))
    if len(unique) == 1:
        return PersonMatch(unique[0], None, rule, ())  # type: ignore[arg-type]
    return PersonMatch(None, "multiple_records", rule, unique)  # type: ignore[arg-type]


def reference(profiles: list[Profile], written: str) -> PersonMatch:
    """Exact name, else fit, else a typo within one edit per six full characters (two at most)
    whose runner-up is at least two edits further; the first level with anybody decides."""
    spelling = _norm(written)
    exact = [p.id for p in profiles if spelling and spelling == _norm(p.name)]
    if exact:
        return _decided("exact", exact)
    ways = _readings(spelling)
    fit = [p.id for p in profiles if any(_fits(p, surname, parts) for surname, parts in ways)]
    if fit:
        return _decided("fit", fit)
    allowed = min(2, sum(len(t) for t in spelling.split() if not _INITIALS.fullmatch(t)) // 6)
    edits: dict[int, int] = {}
    for p in profiles:
        distances = [d for surname, parts in ways if (d := _typo_edits(p, surname, parts)) is not None]
        if distances:
            edits[p.id] = min(distances)
    if allowed < 1 or not edits or min(edits.values()) > allowed:
        return PersonMatch(None, "not_found", None, ())
    best = min(edits.values())
    return _decided("fuzzy", [pid for pid, d in edits.items() if d <= best + 1])


# --- what the portal writes ---------------------------------------------------------------


def forms(last: str, first: str, middle: str | None) -> list[str]:
    """Every way of the spec and the issue to write a person, in the profile's own case."""
    f = first[0]
    written = [f"{last} {first}", f"{last} {f}.", f"{last} {f}"]
    if middle:
        m = middle[0]
        written += [
            f"{last} {first} {middle}",
            f"{last} {f}. {m}.",
            f"{last} {f}.{m}.",
            f"{last} {f} {m}",
            f"{last} {f}.{m}",
            f"{last} {first} {m}.",
            f"{last} {f}. {middle}",
        ]
    return written


@st.composite
def people(draw: st.DrawFn) -> list[Profile]:
    profiles = []
    for pid in range(1, draw(st.integers(1, 14)) + 1):
        pool = draw(st.sampled_from(POOLS))
        middle = draw(st.none() | st.sampled_from(pool.middles))
        profiles.append(
            Profile(pid, draw(st.sampled_from(pool.surnames)), draw(st.sampled_from(pool.firsts)), middle)
        )
    return profiles


@st.composite
def written_as(draw: st.DrawFn, text: str) -> str:
    """The text in one of the portal's cases and spacings."""
    cases: tuple[Callable[[str], str], ...] = (str, str.upper, str.lower)
    case = draw(st.sampled_from(cases))
    gap = draw(st.sampled_from((" ", "  ", " \t")))
    edge = draw(st.sampled_from(("", " ")))
    return edge + gap.join(case(text).split(" ")) + edge


@st.composite
def typo(draw: st.DrawFn, text: str) -> str:
    """One slip of the keyboard anywhere: a letter replaced, dropped, doubled, or two swapped."""
    pool = next((p for p in POOLS if any(c in p.letters for c in text.casefold())), LATIN)
    at = draw(st.integers(0, len(text) - 1))
    letter = draw(st.sampled_from(pool.letters))
    slip = draw(st.sampled_from(("replace", "drop", "insert", "swap")))
    if slip == "replace":
        return text[:at] + letter + text[at + 1 :]
    if slip == "drop":
        return text[:at] + text[at + 1 :]
    if slip == "insert":
        return text[:at] + letter + text[at:]
    return text[:at] + text[at + 1 : at + 2] + text[at : at + 1] + text[at + 2 :]


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[Profile], list[str]]:
    profiles = draw(people())
    strangers = [
        (
            draw(st.sampled_from(pool.surnames)),
            draw(st.sampled_from(pool.firsts)),
            draw(st.none() | st.sampled_from(pool.middles)),
        )
        for pool in POOLS
    ]
    spellings = []
    for last, first, middle in [(p.last_name, p.first_name, p.middle_name) for p in profiles] + strangers:
        for text in forms(last, first, middle):
            spellings.append(draw(written_as(text)))
            if draw(st.booleans()):
                spellings.append(draw(typo(text)))
    return profiles, spellings


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_index_agrees_with_the_rules(case: tuple[list[Profile], list[str]]) -> None:
    profiles, spellings = case
    index = PeopleIndex(profiles)
    for spelling in spellings:
        assert index.match(spelling) == reference(profiles, spelling), (spelling, profiles)
        assert index.match(spelling) is index.match(spelling)


# --- the reference itself can be wrong: it must give the issue's answers too ---------------


@pytest.mark.parametrize(
    ("profiles", "spelling", "expected"),
    [
        (
            [Profile(1, "Ivanov", "Igor", None), Profile(2, "Ivanov", "Ivan", "Petrovich")],
            "Ivanov I.",
            PersonMatch(None, "multiple_records", "fit", (1, 2)),
        ),
        ([Profile(1, "Smirnova", "Anna", "Sergeevna")], "Smirnova A.", PersonMatch(1, None, "fit", ())),
        (
            [Profile(1, "Kuznetsov", "Oleg", "Ivanovich"), Profile(2, "Kuznetsov", "Oleg", "Petrovich")],
            "Kuznetsov O.",
            PersonMatch(None, "multiple_records", "fit", (1, 2)),
        ),
        (
            [Profile(1, "Sokolov", "Dmitry", "Andreevich"), Profile(2, "Sokolov", "Denis", "Andreevich")],
            "Sokolov D.",
            PersonMatch(None, "multiple_records", "fit", (1, 2)),
        ),
        ([Profile(1, "Ivanov", "Ivan", "Petrovich")], "Ivonov I. P.", PersonMatch(1, None, "fuzzy", ())),
        (
            [Profile(1, "Ivanov", "Ivan", "Petrovich")],
            "IVANOV IVAN PETROVICH",
            PersonMatch(1, None, "exact", ()),
        ),
        ([Profile(1, "Ivanov", "Ivan", "Petrovich")], "Ivanov", PersonMatch(None, "not_found", None, ())),
        (
            [Profile(1, "Belova", "Anna", None), Profile(2, "Belyva", "Anna", None)],
            "Belxva Anna",
            PersonMatch(None, "multiple_records", "fuzzy", (1, 2)),
        ),
    ],
)
def test_reference_gives_the_issues_answers(
    profiles: list[Profile], spelling: str, expected: PersonMatch
) -> None:
    assert reference(profiles, spelling) == expected
