"""The meaning of a sample passport: canonical records, before the portal spells them.

pipelines.sample.export revises these in place layer by layer; pipelines.sample.portal_spelling
renders them as the portal writes them (names, aliases, decimal commas).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

REGIONS = ["North", "South", "East", "West", "Central", "Coastal", "Highland", "Valley"]
NAME_WORDS = ["Bridge", "Road", "Section", "Tunnel", "Object", "Crossing"]


@dataclass
class Measurement:
    ext_id: str
    kind: str
    value: float
    unit: str


@dataclass
class Maintenance:
    ext_id: str
    date: str
    repair_type: str
    performed_by: int | None
    crew: list[int]
    cost: str | None
    measurements: list[Measurement] = field(default_factory=list)


@dataclass
class Sign:
    ext_id: str
    code: str
    installed: str | None
    condition: str | None


@dataclass
class Passport:
    """The canonical (meaning, not spelling) current state of one export record."""

    ext_id: str
    name: str
    category: str
    region: str | None
    parent_id: str | None
    commissioned: str | None
    length: tuple[float, str] | None
    inspector: int | None
    status: str
    maintenance: list[Maintenance] = field(default_factory=list)
    signs: list[Sign] = field(default_factory=list)

    def own(self) -> tuple[object, ...]:
        """The passport's own columns: a history row is written whenever these change."""
        return (
            self.name,
            self.category,
            self.region,
            self.parent_id,
            self.commissioned,
            self.length,
            self.inspector,
            self.status,
        )

    def counts(self) -> dict[str, int]:
        """Rows this report stands for, per table (in truth.json's key order)."""
        return {
            "maintenance": len(self.maintenance),
            "measurements": sum(len(m.measurements) for m in self.maintenance),
            "signs": len(self.signs),
            "crew_links": sum(len(m.crew) for m in self.maintenance),
        }

    def expected(self, history: int) -> dict[str, object]:
        """This passport as the sample section of expected.json states it."""
        length = {"value": self.length[0], "unit": self.length[1]} if self.length else None
        maintenance = [
            {
                "ext_id": m.ext_id,
                "date": m.date,
                "repair_type": m.repair_type,
                "performed_by_profile_id": m.performed_by,
                "cost": m.cost,
                "crew_profile_ids": sorted(m.crew),
                "measurements": len(m.measurements),
            }
            for m in self.maintenance
        ]
        return {
            "ext_id": self.ext_id,
            "name": self.name,
            "category": self.category,
            "status": self.status,
            "region": self.region,
            "parent_ext_id": self.parent_id,
            "commissioned": self.commissioned,
            "length": length,
            "inspector_profile_id": self.inspector,
            "history_versions": history,
            "maintenance": maintenance,
            "signs": len(self.signs),
        }


def date(r: random.Random, first: int, last: int) -> str:
    return f"{r.randint(first, last)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"


def length(r: random.Random) -> tuple[float, str]:
    """Mostly metres, sometimes kilometres: the unit is part of the meaning."""
    return (round(r.uniform(0.5, 30), 3), "km") if r.random() < 0.2 else (round(r.uniform(5, 5e3), 1), "m")


def cost(r: random.Random) -> str:
    return f"{r.uniform(100, 90000):.2f}"
