"""The sample's people: our profiles, namesakes on purpose, and the ways the portal writes them.

Every spelling the export allows (docs/export-format.md#names) is used only where it still
resolves to exactly one profile; typos stay clearly nearest to their own person, and unknown
names stay far from everybody, so a correct import's answer is known in advance.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

from pipelines.sample.word_lists import GIVEN_NAMES, SURNAMES, UNKNOWN_SURNAMES

PROFILES = 60  # plenty for a sample; the big generator uses thousands
NAMESAKE_PAIRS = 2  # people sharing surname and both initials with someone else
TYPO_MARGIN = 3  # every other full name is at least this far from a typo (its own: 1)
UNKNOWN_MARGIN = 5  # an unknown name is at least this far from every profile


def rng(seed: int, *key: object) -> random.Random:
    """An independent, reproducible stream per purpose.

    Keyed streams mean one extra draw somewhere never shifts values elsewhere, and
    blake2b (unlike ``hash()``) is the same in every process.
    """
    text = "\x1f".join(map(str, (seed, *key))).encode()
    return random.Random(int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "little"))


@dataclass(frozen=True)
class Profile:
    """One row of reference/profiles.csv."""

    profile_id: int
    last: str
    first: str
    middle: str

    @property
    def full(self) -> str:
        return f"{self.last} {self.first} {self.middle}"

    @property
    def initials(self) -> tuple[str, str, str]:
        return (self.last.lower(), self.first[0].lower(), self.middle[0].lower())

    def row(self) -> list[str | int]:
        email = f"{self.first[0]}.{self.last}{self.profile_id}@example.org".lower()
        return [self.profile_id, self.last, self.first, self.middle, email]


Spelling = Callable[["People", Profile], "str | None"]

# (share of all spellings, spelling); a spelling returns None where it would be
# ambiguous for this person, and the full name is written instead.
SPELLINGS: list[tuple[float, Spelling]] = [
    (0.10, lambda ppl, p: p.full.upper()),
    (0.10, lambda ppl, p: f"{p.last} {p.first[0]}. {p.middle[0]}." if ppl.unique_initials(p) else None),
    (0.06, lambda ppl, p: f"{p.last} {p.first[0]}.{p.middle[0]}." if ppl.unique_initials(p) else None),
    (0.08, lambda ppl, p: f"{p.last} {p.first}" if ppl.unique_first(p) else None),
    (0.07, lambda ppl, p: ppl.typos.get(p.profile_id)),
]


class People:
    """Our profiles, plus the resolvable and the unresolvable ways to write them."""

    def __init__(self, seed: int, count: int = PROFILES) -> None:
        r = rng(seed, "profiles")
        self.profiles: list[Profile] = []
        seen: set[tuple[str, str, str]] = set()
        while len(self.profiles) < count - NAMESAKE_PAIRS:
            firsts, middles, suffix = r.choice(GIVEN_NAMES)
            triple = (r.choice(SURNAMES) + suffix, r.choice(firsts), r.choice(middles))
            if triple not in seen:
                seen.add(triple)
                self.profiles.append(Profile(len(self.profiles) + 1, *triple))
        self._add_namesakes(r, seen, count)
        fulls = [p.full.lower() for p in self.profiles]
        self.typos: dict[int, str] = {
            p.profile_id: t for p in self.profiles if (t := self._typo(r, p, fulls)) is not None
        }
        firsts, middles, _ = GIVEN_NAMES[0]
        unknown = (f"{s} {r.choice(firsts)} {r.choice(middles)}" for s in UNKNOWN_SURNAMES)
        self.unknown_names = [n for n in unknown if self._far(n, fulls)]

    def _add_namesakes(self, r: random.Random, seen: set[tuple[str, str, str]], count: int) -> None:
        """Add people whose "Surname F. M." is also someone else's: ambiguous initials."""
        while len(self.profiles) < count:
            model = r.choice(self.profiles)
            firsts, middles, _ = GIVEN_NAMES[model.middle.endswith("a")]
            triple = (
                model.last,
                r.choice([f for f in firsts if f[0] == model.first[0]]),
                r.choice([m for m in middles if m[0] == model.middle[0]]),
            )
            if triple not in seen:
                seen.add(triple)
                self.profiles.append(Profile(len(self.profiles) + 1, *triple))
        self.by_initials: dict[tuple[str, str, str], list[int]] = {}
        self.by_first: dict[tuple[str, str], list[int]] = {}
        for p in self.profiles:
            self.by_initials.setdefault(p.initials, []).append(p.profile_id)
            self.by_first.setdefault((p.last.lower(), p.first.lower()), []).append(p.profile_id)
        self.ambiguous = [p for p in self.profiles if not self.unique_initials(p)]

    @staticmethod
    def _typo(r: random.Random, p: Profile, fulls: list[str]) -> str | None:
        """A one-letter surname typo, kept only if it is clearly closest to its own profile."""
        if len(p.last) < 6 or r.random() < 0.5:
            return None
        pos = r.randrange(1, len(p.last) - 1)
        letter = "e" if p.last[pos] != "e" else "a"
        typo = f"{p.last[:pos]}{letter}{p.last[pos + 1 :]} {p.first} {p.middle}"
        own = p.full.lower()
        others = (Levenshtein.distance(typo.lower(), f) for f in fulls if f != own)
        return typo if min(others) >= TYPO_MARGIN else None

    @staticmethod
    def _far(name: str, fulls: list[str]) -> bool:
        return min(Levenshtein.distance(name.lower(), f) for f in fulls) >= UNKNOWN_MARGIN

    def unique_initials(self, p: Profile) -> bool:
        return len(self.by_initials[p.initials]) == 1

    def unique_first(self, p: Profile) -> bool:
        return len(self.by_first[(p.last.lower(), p.first.lower())]) == 1

    def write(self, profile_id: int, r: random.Random) -> str:
        """A spelling of this profile that resolves to it and to nobody else."""
        p, x = self.profiles[profile_id - 1], r.random()
        for share, spelling in SPELLINGS:
            if x < share:
                return spelling(self, p) or p.full
            x -= share
        return p.full

    def ambiguous_name(self, r: random.Random) -> str:
        """Initials shared by namesakes: an analyst error (multiple_records)."""
        p = r.choice(self.ambiguous)
        return f"{p.last} {p.first[0]}. {p.middle[0]}."

    def unknown_name(self, r: random.Random) -> str:
        """Somebody who is no profile at all: an analyst error (not_found)."""
        return r.choice(self.unknown_names)
