"""What an analyst could create to fix a layer: unknown people and unknown enum values.

Collected while validating (from converter verdicts whose ``Invalid.target`` is set),
written as fix-up files by pipelines.fixups.review_files. Each spelling keeps the first few
places it was referenced, so the analyst can look at the records, and a total count.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from pipelines.validation.people import Nearby

MAX_PLACES: Final = 20
PROFILE: Final = "profile"


@dataclass(frozen=True, slots=True)
class Place:
    """Where a spelling was referenced."""

    entity: str
    ext_id: str | None
    passport_ext_id: str | None
    field: str

    def as_dict(self) -> dict[str, str | None]:
        return {
            "entity": self.entity,
            "ext_id": self.ext_id,
            "passport_ext_id": self.passport_ext_id,
            "field": self.field,
        }


@dataclass
class Spelling:
    """One unknown value as written, with its references.

    ``nearest`` (people only) are the existing profiles a few edits away, so the
    analyst sees a typo of a known person before creating a duplicate of them.
    """

    value: str
    references: int = 0
    places: list[Place] = field(default_factory=list)
    nearest: tuple[Nearby, ...] = ()


@dataclass
class Unresolved:
    """Unknown spellings per target: ``"profile"`` for people, else the vocabulary table."""

    by_target: dict[str, dict[str, Spelling]] = field(default_factory=dict)

    def note(self, target: str, value: object, place: Place) -> None:
        if not isinstance(value, str):
            return
        spellings = self.by_target.setdefault(target, {})
        spelling = spellings.get(value)
        if spelling is None:
            spelling = spellings[value] = Spelling(value)
        spelling.references += 1
        if len(spelling.places) < MAX_PLACES:
            spelling.places.append(place)

    def suggest_people(self, nearest: Callable[[str], tuple[Nearby, ...]]) -> None:
        """Give each unknown person's spelling its nearest profiles (``PeopleIndex.nearest``).

        Once per distinct spelling after the pass, not per reference in it."""
        for spelling in self.by_target.get(PROFILE, {}).values():
            spelling.nearest = nearest(spelling.value)

    @property
    def people(self) -> list[Spelling]:
        return sorted(self.by_target.get(PROFILE, {}).values(), key=lambda s: s.value)

    def values(self) -> dict[str, list[Spelling]]:
        """Unknown enum values per vocabulary, sorted for stable files."""
        return {
            target: sorted(spellings.values(), key=lambda s: s.value)
            for target, spellings in sorted(self.by_target.items())
            if target != PROFILE
        }
