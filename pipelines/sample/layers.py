"""The meaning of the sample, layer by layer: passports created, revised and re-sent.

Every passport lives in memory as a dataclass (the sample is small) and is revised in place
for each new layer; ``next_layer`` renders the layer through ``portal_spelling`` and counts
what a correct import must do with it (new, changed, re-sent reports, expected errors).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from pipelines.sample import portal_spelling as portal
from pipelines.sample import word_lists
from pipelines.sample.injected_errors import ERROR_CODES, spoil
from pipelines.sample.people import People, rng
from pipelines.sample.records import (
    NAME_WORDS,
    REGIONS,
    Maintenance,
    Measurement,
    Passport,
    Sign,
    cost,
    date,
    length,
)

GROWTH, CHANGED, RESENT, PARENT_SHARE = 0.05, 0.15, 0.05, 0.25


Change = Callable[["Sample", Passport, random.Random], bool]
# (weight, change): a change returns False when it does not apply or would change nothing,
# so every "changed" report really changes in meaning.
CHANGES: list[tuple[int, Change]] = [
    (4, lambda s, p, r: s.assign(p, "name", f"{p.name.split(' (')[0]} (rev {s.layer})")),
    (1, lambda s, p, r: s.assign(p, "status", "active" if p.status == "retired" else "retired")),
    (1, lambda s, p, r: s.assign(p, "category", r.choice(word_lists.CATEGORIES)[0])),
    (1, lambda s, p, r: s.assign(p, "region", r.choice([*REGIONS, None]))),
    (2, lambda s, p, r: s.assign(p, "length", length(r))),
    (2, lambda s, p, r: s.assign(p, "inspector", r.randint(1, len(s.people.profiles)))),
    (3, lambda s, p, r: bool(p.maintenance) and s.assign(r.choice(p.maintenance), "crew", s.crew(r))),
    (2, lambda s, p, r: bool(p.maintenance) and s.assign(r.choice(p.maintenance), "cost", cost(r))),
    (3, lambda s, p, r: s.assign(p, "maintenance", [*p.maintenance, s.maintenance(r)])),
    (2, lambda s, p, r: s.assign(p, "signs", [*p.signs, s.sign(r)])),
]


@dataclass
class Sample:
    """All state of one sample: canonical passports, child id counters, bookkeeping."""

    seed: int
    passports: int
    layers: int
    people: People
    layer: int = 0  # the layer being written
    counters: dict[str, int] = field(default_factory=dict)  # last child ext_id number per prefix
    own: dict[int, tuple[object, ...]] = field(default_factory=dict)  # own fields as last sent
    history: dict[int, int] = field(default_factory=dict)  # passport history rows imports write
    # ext_id numbers run [reference only | reference and export | export only]; the
    # reference also holds `unmatched` objects with no ext_id at all.
    ref_only: int = field(init=False)
    overlap: int = field(init=False)
    unmatched: int = field(init=False)
    growth: int = field(init=False)  # new passports in each later layer
    canon: dict[int, Passport] = field(init=False)  # the current meaning of every passport
    parents: set[str | None] = field(init=False)

    def __post_init__(self) -> None:
        self.ref_only, self.overlap = max(1, self.passports // 20), max(1, self.passports // 10)
        self.unmatched = max(1, self.passports // 40)
        self.growth = max(1, round(self.passports * GROWTH))
        total = self.passports + self.growth * (self.layers - 1)
        self.canon = {p: self.passport(p) for p in range(total)}
        self.parents = {c.parent_id for c in self.canon.values()}

    def ext_id(self, p: int) -> str:
        return f"P-{self.ref_only + p:08d}"

    def child_id(self, prefix: str) -> str:
        self.counters[prefix] = self.counters.get(prefix, 0) + 1
        return f"{prefix}-{self.counters[prefix]:08d}"

    @staticmethod
    def assign(obj: object, name: str, value: object) -> bool:
        """Set a field if that really changes it; say whether it did."""
        if getattr(obj, name) == value:
            return False
        setattr(obj, name, value)
        return True

    def crew(self, r: random.Random) -> list[int]:
        return sorted({r.randint(1, len(self.people.profiles)) for _ in range(r.randint(0, 3))})

    def parent(self, p: int, r: random.Random) -> str | None:
        """A lower-numbered passport: forced once each into the reference, into the same
        first layer, and into an earlier layer, so every case surely occurs."""
        number = self.ref_only + p
        first_new = p >= self.passports and (p - self.passports) % self.growth == 0
        forced = [
            (p == self.passports - 2, 0, self.ref_only),  # (this one?, lowest, highest + 1)
            (p == self.passports - 1, self.ref_only, number),
            (first_new, self.ref_only, number),
        ]
        for hit, low, high in forced:
            if hit and low < high:
                return f"P-{r.randrange(low, high):08d}"
        return f"P-{r.randrange(number):08d}" if r.random() < PARENT_SHARE else None

    def passport(self, p: int) -> Passport:
        r = rng(self.seed, "passport", p)
        number = self.ref_only + p
        return Passport(
            ext_id=self.ext_id(p),
            name=f"{r.choice(NAME_WORDS)} {number}",
            category=r.choice(word_lists.CATEGORIES)[0],
            region=r.choice(REGIONS) if r.random() < 0.9 else None,
            parent_id=self.parent(p, r),
            commissioned=date(r, 1960, 2020) if r.random() < 0.9 else None,
            length=length(r) if r.random() < 0.9 else None,
            inspector=r.randint(1, len(self.people.profiles)) if r.random() < 0.8 else None,
            status="retired" if r.random() < 0.05 else "active",
            maintenance=[self.maintenance(r) for _ in range(r.choice([0, 0, 1, 1, 2, 3]))],
            signs=[self.sign(r) for _ in range(r.choice([0, 1, 2]))],
        )

    def maintenance(self, r: random.Random) -> Maintenance:
        return Maintenance(
            ext_id=self.child_id("M"),
            date=date(r, 2015, 2026),
            repair_type=r.choice(word_lists.REPAIR_TYPES)[0],
            performed_by=r.randint(1, len(self.people.profiles)) if r.random() < 0.7 else None,
            crew=self.crew(r),
            cost=cost(r) if r.random() < 0.8 else None,
            measurements=[
                Measurement(
                    self.child_id("X"),
                    r.choice(word_lists.KINDS),
                    round(r.uniform(0.1, 500), 2),
                    r.choice(word_lists.UNITS)[0],
                )
                for _ in range(r.choice([0, 1, 2, 3]))
            ],
        )

    def sign(self, r: random.Random) -> Sign:
        return Sign(
            self.child_id("S"),
            r.choice(word_lists.SIGN_CODES)[0],
            date(r, 2000, 2026) if r.random() < 0.8 else None,
            r.choice(["good", "fair", "poor"]) if r.random() < 0.9 else None,
        )

    def revise(self, p: Passport, r: random.Random) -> None:
        """One real change in meaning: own fields, a crew, a cost, or new children."""
        weights, changes = zip(*CHANGES, strict=False)
        while not r.choices(changes, weights)[0](self, p, r):
            pass

    def next_layer(self, layer: int, version: str, released: str, dirty: bool) -> tuple[dict, dict]:
        """Choose, revise and render this layer's reports; count what an import must see."""
        self.layer, lr = layer, rng(self.seed, "layer", layer)
        known = sorted(self.own)
        first = 0 if self.layer == 0 else self.passports + self.growth * (self.layer - 1)
        new = list(range(first, self.passports + self.growth * self.layer))
        changed = lr.sample(known, round(len(known) * CHANGED))
        resent = lr.sample(sorted(set(known) - set(changed)), round(len(known) * RESENT))
        for p in changed:
            self.revise(self.canon[p], rng(self.seed, "revise", self.layer, p))
        ids = new + changed + resent
        lr.shuffle(ids)  # the portal promises no order: parents may come after children
        self._parent_after_child(ids)
        stats: dict = {
            "version": version,
            "reports": 0,
            "maintenance": 0,
            "measurements": 0,
            "signs": 0,
            "crew_links": 0,
            "new_reports": len(new),
            "changed_reports": len(changed),
            "errors": [],
        }
        victims = self._victims(ids, lr) if dirty else {}
        reports = []
        for p in ids:
            canon = self.canon[p]
            if canon.own() != self.own.get(p):
                self.history[p], self.own[p] = self.history.get(p, 0) + 1, canon.own()
            for key, count in canon.counts().items():
                stats[key] += count
            reports.append(portal.render(canon, rng(self.seed, "render", self.layer, p), self.people))
            if p in victims:
                spoiler = rng(self.seed, "spoil", self.layer, p)
                stats["errors"].append(spoil(reports, victims[p], spoiler, self.people))
        stats["reports"], stats["errors"] = len(reports), sorted(stats["errors"])
        return {"version": version, "released_at": released, "reports": reports}, stats

    def _parent_after_child(self, ids: list[int]) -> None:
        """Make sure a parent follows its child at least once in a layer that has both."""
        pos = {self.ext_id(p): i for i, p in enumerate(ids)}
        parents = [self.canon[p].parent_id for p in ids]
        pairs = [(pos[parent], i) for i, parent in enumerate(parents) if parent in pos]
        if pairs and all(parent < child for parent, child in pairs):
            parent, child = pairs[0]
            ids[parent], ids[child] = ids[child], ids[parent]

    def _victims(self, ids: list[int], lr: random.Random) -> dict[int, str]:
        """One error code per victim; never a parent, so no error causes another one."""
        eligible = [p for p in ids if self.ext_id(p) not in self.parents]
        codes = ERROR_CODES if self.layer == 0 else lr.sample(ERROR_CODES, 2)
        return dict(zip(lr.sample(eligible, min(len(codes), len(eligible))), codes, strict=False))

    def outcome(self, reference: int) -> dict[str, object]:
        """Row counts after loading every layer, and every passport's final values."""
        sent = {p: self.canon[p] for p in sorted(self.own)}
        counts = [c.counts() for c in sent.values()]
        final = {
            "passports": reference + sum(p >= self.overlap for p in sent),
            "passports_from_export": len(sent),
            **{key: sum(c[key] for c in counts) for key in counts[0]},
            "passport_history_versions": sum(self.history.values()),
        }
        return {"final": final, "sample": [c.expected(self.history[p]) for p, c in sent.items()]}

    def reference_passports(self) -> list[list[str]]:
        """Our DB before any import: some ext_ids only here, some also in the export, some none."""
        r = rng(self.seed, "reference")
        matched = self.ref_only + self.overlap
        return [
            [
                f"P-{n:08d}" if n < matched else "",
                f"Legacy object {n}",
                r.choice(word_lists.CATEGORIES)[0],
                r.choice(REGIONS),
            ]
            for n in range(matched + self.unmatched)
        ]
