"""People matching: every documented spelling resolves, ambiguity is never guessed.

Hand-picked cases (the issue's table, typos, scripts, the analyst's nearest profiles) and
the acceptance against the reference generator; tests/validation/test_people_properties.py checks
random profile sets against a brute-force reading of the rules.
"""

from __future__ import annotations

import importlib.util
import random
from types import ModuleType

import pytest

from pipelines.validation.people import Nearby, PeopleIndex, PersonMatch, Profile, Rule
from tests.support.paths import MAKE_EXPORT

PROFILES = [
    Profile(1, "Ivanov", "Ivan", "Petrovich"),
    Profile(2, "Smirnova", "Olga", "Sergeevna"),
    # namesakes of each other: same surname and initials (S. A.)
    Profile(3, "Kuznetsov", "Sergei", "Alexandrovich"),
    Profile(4, "Kuznetsov", "Svetlana", "Andreevna"),
    # same surname and first name, different middle names
    Profile(5, "Popov", "Pavel", "Igorevich"),
    Profile(6, "Popov", "Pavel", "Olegovich"),
    Profile(7, "Orlov", "Denis", None),
    # one letter apart from each other: a typo between them is equally close to both
    Profile(8, "Belova", "Anna", "Ivanovna"),
    Profile(9, "Belyva", "Anna", "Ivanovna"),
]


@pytest.fixture(scope="module")
def index() -> PeopleIndex:
    return PeopleIndex(PROFILES)


@pytest.mark.parametrize(
    ("spelling", "rule"),
    [
        ("Ivanov Ivan Petrovich", "exact"),
        ("IVANOV IVAN PETROVICH", "exact"),
        ("  ivanov   Ivan\tpetrovich ", "exact"),
        ("Ivanov I. P.", "fit"),
        ("Ivanov I.P.", "fit"),
        ("Ivanov I P", "fit"),
        ("ivanov i.p", "fit"),
        ("Ivanov Ivan", "fit"),
        ("Ivanov I.", "fit"),
        ("Ivanov Ivan P.", "fit"),
        ("Ivanov I. Petrovich", "fit"),
        ("Ivonov Ivan Petrovich", "fuzzy"),
        ("Ivonov Ivan", "fuzzy"),
        ("Ivonov I. P.", "fuzzy"),
        ("Ivonov I.", "fuzzy"),
        ("Ivanov Ivna Petrovich", "fuzzy"),
    ],
)
def test_spellings_resolve(index: PeopleIndex, spelling: str, rule: Rule) -> None:
    assert index.match(spelling) == PersonMatch(1, None, rule, ())


def test_profile_without_middle_name(index: PeopleIndex) -> None:
    assert index.match("Orlov Denis").profile_id == 7
    assert index.match("ORLOV D.").profile_id == 7


def test_namesakes_share_initials(index: PeopleIndex) -> None:
    assert index.match("Kuznetsov S. A.") == PersonMatch(None, "multiple_records", "fit", (3, 4))
    assert index.match("Kuznetsov S.") == PersonMatch(None, "multiple_records", "fit", (3, 4))
    assert index.match("Kuznetsov Sergei Alexandrovich").profile_id == 3
    assert index.match("Kuznetsov Svetlana Andreevna").profile_id == 4
    assert index.match("Kuznetsov Sergei").profile_id == 3


def test_same_surname_and_first_name(index: PeopleIndex) -> None:
    assert index.match("Popov Pavel") == PersonMatch(None, "multiple_records", "fit", (5, 6))
    assert index.match("Popov P. I.").profile_id == 5
    assert index.match("Popov Pavel Olegovich").profile_id == 6


@pytest.mark.parametrize(
    "spelling",
    [
        "Quellmark Ivan Petrovich",
        "Ivanov X. Y.",
        "",
        "   ",
        "Li",
        "Ivanov",
        "Orlov Denis Igorevich",
        "Orlov D. I.",
        "Ivanov P.",
        "Ivanov Petrovich",
    ],
)
def test_unknown(index: PeopleIndex, spelling: str) -> None:
    assert index.match(spelling) == PersonMatch(None, "not_found", None, ())


# The table: profiles the sample generator never makes, and a spelling with one initial.
@pytest.mark.parametrize(
    ("profiles", "spelling", "expected"),
    [
        pytest.param(
            [Profile(1, "Ivanov", "Igor", None), Profile(2, "Ivanov", "Ivan", "Petrovich")],
            "Ivanov I.",
            PersonMatch(None, "multiple_records", "fit", (1, 2)),
            id="no-middle-name-and-namesake",
        ),
        pytest.param(
            [Profile(1, "Smirnova", "Anna", "Sergeevna")],
            "Smirnova A.",
            PersonMatch(1, None, "fit", ()),
            id="the-only-one",
        ),
        pytest.param(
            [Profile(1, "Kuznetsov", "Oleg", "Ivanovich"), Profile(2, "Kuznetsov", "Oleg", "Petrovich")],
            "Kuznetsov O.",
            PersonMatch(None, "multiple_records", "fit", (1, 2)),
            id="same-first-name",
        ),
        pytest.param(
            [Profile(1, "Sokolov", "Dmitry", "Andreevich"), Profile(2, "Sokolov", "Denis", "Andreevich")],
            "Sokolov D.",
            PersonMatch(None, "multiple_records", "fit", (1, 2)),
            id="same-first-initial",
        ),
    ],
)
def test_one_initial(profiles: list[Profile], spelling: str, expected: PersonMatch) -> None:
    assert PeopleIndex(profiles).match(spelling) == expected


def test_one_initial_is_decided_by_the_middle_name_when_written() -> None:
    index = PeopleIndex(
        [
            Profile(1, "Ivanov", "Igor", None),
            Profile(2, "Ivanov", "Ivan", "Petrovich"),
            Profile(3, "Sokolov", "Dmitry", "Andreevich"),
            Profile(4, "Sokolov", "Denis", "Igorevich"),
        ]
    )
    assert index.match("Ivanov I. P.") == PersonMatch(2, None, "fit", ())  # Igor has no middle name to fit
    assert index.match("Ivanov Igor").profile_id == 1
    assert index.match("Ivanov Igor P.").code == "not_found"  # a part the profile lacks does not fit
    assert index.match("Sokolov D. I.").profile_id == 4
    assert index.match("Sokolov Denis").profile_id == 4


def test_exact_name_is_stricter_than_fit() -> None:
    index = PeopleIndex([Profile(1, "Ivanov", "Ivan", None), Profile(2, "Ivanov", "Ivan", "Petrovich")])
    assert index.match("Ivanov Ivan") == PersonMatch(1, None, "exact", ())  # the whole name of profile 1
    assert index.match("Ivanov I.") == PersonMatch(None, "multiple_records", "fit", (1, 2))


@pytest.mark.parametrize(
    "spelling",
    [
        "Иванов Иван Петрович",
        "ИВАНОВ И. П.",
        "иванов и.п.",
        "Иванов И.",
        "Иванов Иван П.",
        "Ивонов Иван",
        "Ивонов И. П.",
    ],
)
def test_cyrillic(spelling: str) -> None:
    index = PeopleIndex([Profile(1, "Иванов", "Иван", "Петрович"), Profile(2, "Ivanov", "Ivan", "Petrovich")])
    assert index.match(spelling).profile_id == 1, spelling


@pytest.mark.parametrize(
    ("spelling", "profile_id"),
    [
        ("Rimsky-Korsakov Nikolai Andreevich", 1),
        ("RIMSKY-KORSAKOV N. A.", 1),
        ("Rimsky-Korsakov N.", 1),
        ("Rimski-Korsakov N. A.", 1),
        ("Van Berg Anna", 2),
        ("van  berg A.", 2),
        ("Van Berg Anna M.", 2),
        ("Van B.", 3),
        ("Van Berg", 3),
    ],
)
def test_hyphenated_and_two_word_surnames(spelling: str, profile_id: int) -> None:
    index = PeopleIndex(
        [
            Profile(1, "Rimsky-Korsakov", "Nikolai", "Andreevich"),
            Profile(2, "Van Berg", "Anna", "Maria"),
            Profile(3, "Van", "Berg", None),
        ]
    )
    assert index.match(spelling).profile_id == profile_id, spelling


def test_a_two_word_surname_read_both_ways_is_ambiguous() -> None:
    index = PeopleIndex([Profile(1, "Van Berg", "Anna", None), Profile(2, "Van", "Berg", "Anna")])
    assert index.match("Van Berg A.") == PersonMatch(None, "multiple_records", "fit", (1, 2))


def test_short_names_are_not_corrected() -> None:
    index = PeopleIndex([Profile(1, "Orlov", "Denis", None), Profile(2, "Li", "Bo", None)])
    assert index.match("Orlov D.").profile_id == 1
    assert index.match("Orlav D.").code == "not_found"  # five letters: too short for a typo
    assert index.match("Orlav Denis").profile_id == 1
    assert index.match("Lu Bo").code == "not_found"


def test_typo_in_initials_is_not_forgiven(index: PeopleIndex) -> None:
    assert index.match("Ivonov J. P.").code == "not_found"


def test_nearest_profiles_for_the_analyst(index: PeopleIndex) -> None:
    assert index.match("Ivxxov I. P.").code == "not_found"
    assert index.nearest("Ivxxov I. P.") == (Nearby(1, "Ivanov Ivan Petrovich", 2),)
    assert index.nearest("Orlov Denis I.") == (Nearby(7, "Orlov Denis", 1),)  # the missing middle initial
    assert [n.profile_id for n in index.nearest("Belova A. J.")] == [8, 9]  # the initial differs: one edit
    assert index.nearest("Quellmark Ivan Petrovich") == ()
    assert PeopleIndex([Profile(1, "Sokolov", "Denis", None)]).nearest("Orlov Denis") == ()  # 3 of 5 letters
    assert (
        len(PeopleIndex([Profile(i, "Popov", "Pavel", None) for i in range(1, 6)]).nearest("Popov P.")) == 3
    )


def test_typo_between_two_people_is_never_a_guess(index: PeopleIndex) -> None:
    result = index.match("Belxva Anna Ivanovna")  # distance 1 from both 8 and 9
    assert result.profile_id is None
    assert result.code in ("multiple_records", "not_found")


def test_far_typo_is_not_corrected(index: PeopleIndex) -> None:
    assert index.match("Ivxxxv Ivan Petrovich").code == "not_found"


def test_cache_returns_same_object(index: PeopleIndex) -> None:
    first = index.match("Ivanov I.P.")
    assert index.match("Ivanov I.P.") is first
    assert index.match("IVANOV  i.p.") is first  # shared through the normalised form


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_export", MAKE_EXPORT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_reference_generator_spellings() -> None:
    if not MAKE_EXPORT.exists():
        pytest.skip("../shared not present: acceptance against the reference generator runs in CI")
    gen = _load_generator()
    for seed in (1, 2, 3):
        people = gen.People(seed, 3000)
        index = PeopleIndex(Profile(pid, last, first, middle) for pid, last, first, middle, _ in people.rows)
        for pid, *_ in people.rows:
            for k in range(8):
                spelling = people.write(pid, random.Random(k))
                assert index.match(spelling).profile_id == pid, (seed, pid, spelling)
        for pid in people.typo:
            assert index.match(people.typo[pid]) == PersonMatch(pid, None, "fuzzy", ()), (seed, pid)
        assert people.ambiguous
        for pid in people.ambiguous:
            result = index.match(people.ambiguous_spelling(pid))
            assert result.code == "multiple_records" and pid in result.candidates, (seed, pid)
        for name in people.unknown:
            assert index.match(name).code == "not_found", (seed, name)
