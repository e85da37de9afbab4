"""People matching: every documented spelling resolves, ambiguity is never guessed."""

from __future__ import annotations

import importlib.util
import random
from types import ModuleType

import pytest

from pipelines.validation.people import PeopleIndex, PersonMatch, Profile
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
        ("Ivanov I. P.", "initials"),
        ("Ivanov I.P.", "initials"),
        ("Ivanov I P", "initials"),
        ("ivanov i.p", "initials"),
        ("Ivanov Ivan", "surname_first"),
        ("Ivonov Ivan Petrovich", "fuzzy"),
    ],
)
def test_spellings_resolve(index: PeopleIndex, spelling: str, rule: str) -> None:
    assert index.match(spelling) == PersonMatch(1, None, rule, ())


def test_profile_without_middle_name(index: PeopleIndex) -> None:
    assert index.match("Orlov Denis").profile_id == 7
    assert index.match("ORLOV D.").profile_id == 7


def test_namesakes_share_initials(index: PeopleIndex) -> None:
    assert index.match("Kuznetsov S. A.") == PersonMatch(None, "multiple_records", "initials", (3, 4))
    assert index.match("Kuznetsov Sergei Alexandrovich").profile_id == 3
    assert index.match("Kuznetsov Svetlana Andreevna").profile_id == 4
    assert index.match("Kuznetsov Sergei").profile_id == 3


def test_same_surname_and_first_name(index: PeopleIndex) -> None:
    assert index.match("Popov Pavel") == PersonMatch(None, "multiple_records", "surname_first", (5, 6))
    assert index.match("Popov P. I.").profile_id == 5
    assert index.match("Popov Pavel Olegovich").profile_id == 6


@pytest.mark.parametrize("spelling", ["Quellmark Ivan Petrovich", "Ivanov X. Y.", "", "   ", "Li"])
def test_unknown(index: PeopleIndex, spelling: str) -> None:
    assert index.match(spelling) == PersonMatch(None, "not_found", None, ())


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
