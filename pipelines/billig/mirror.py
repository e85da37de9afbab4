"""The development billig: a SQLite file built from the mirror schema, with realistic data.

`generate` makes the rows (deterministic for a seed): events with 1-3 ticket groups
of 1-4 price groups each, some hidden, some sold out; in the newer generation also
purchases and tickets, some refunded, consistent with each group's num_sold. It also
describes the Strata events that go with it: most billig events linked by billig_id,
a couple of our events billig does not sell, and one whose billig_id billig lacks.
`write_sqlite` writes a new file next to the old one and swaps it in, so a reader
never sees half a database.
"""

from __future__ import annotations

import os
import random
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any, Final

from pipelines.billig.layout import (
    PRICE_GROUP_TABLE,
    PURCHASE_TABLE,
    TICKET_GROUP_TABLE,
    TICKET_TABLE,
    BilligLayout,
)
from pipelines.billig.our_events import OurEvent

BASE_TIME: Final = datetime(2026, 9, 1, 19, 0)
EVENT_NAMES: Final = (
    "Jazz night",
    "Student revue",
    "Pub quiz",
    "Techno in the basement",
    "Chamber concert",
    "Stand-up evening",
    "Film club",
    "Folk evening",
    "Opera gala",
    "Poetry slam",
    "Big band",
    "Debate: the future of cities",
    "Karaoke",
    "Wine tasting",
)
VENUES: Final = ("Storsalen", "Klubben", "Daglighallen", "Knaus", "Strossa", "Selskapssiden")
TICKET_GROUP_NAMES: Final = ("Concert", "Dinner and concert", "Standing", "Balcony", "Early bird")
# name, membership needed, share of the group's full price
PRICE_GROUPS: Final = (
    ("Member", True, 0.6),
    ("Non-member", False, 1.0),
    ("Student", False, 0.8),
    ("Child", False, 0.5),
)
FULL_PRICES: Final = (0, 50, 100, 150, 200, 350, 500)
UNLINKED_TITLES: Final = ("Volunteer party (free, no tickets)", "Board meeting")
DANGLING_OFFSET: Final = 100_000  # our dangling event's billig_id lies this far past billig's last event

COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "billig.event": ("event", "event_name", "sale_from", "sale_to", "hidden"),
    "billig.event_lim_web": (
        "event",
        "event_name",
        "sale_from",
        "sale_to",
        "hidden",
        "event_location",
        "event_time",
        "event_type",
        "external_id",
        "organisation",
        "ticket_fee",
    ),
    TICKET_GROUP_TABLE: (
        "ticket_group",
        "event",
        "ticket_group_name",
        "ticket_limit",
        "num_sold",
        "num",
        "is_theater_ticket_group",
    ),
    PRICE_GROUP_TABLE: (
        "price_group",
        "ticket_group",
        "price_group_name",
        "membership_needed",
        "can_be_put_on_card",
        "netsale",
        "price",
    ),
    PURCHASE_TABLE: ("purchase", "owner_member_id", "owner_email"),
    TICKET_TABLE: ("ticket", "price_group", "purchase", "used", "refunded", "on_card"),
}


@dataclass
class MirrorData:
    """Rows per billig table (in insertion order) and the Strata events that go with them."""

    layout: BilligLayout
    rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    our_events: list[OurEvent] = field(default_factory=list)

    def columns(self, table: str) -> tuple[str, ...]:
        return COLUMNS[table]

    def counts(self) -> dict[str, int]:
        return {table: len(rows) for table, rows in self.rows.items()}


def generate(
    generation: str = "new",
    *,
    events: int = 40,
    seed: int = 1,
    capacity: tuple[int, int] = (40, 400),
    first_id: int = 1001,
    linked_share: float = 0.9,
) -> MirrorData:
    layout = BilligLayout.for_generation(generation)
    rng = random.Random(seed)
    data = MirrorData(layout)
    tables = [layout.event_table, TICKET_GROUP_TABLE, PRICE_GROUP_TABLE]
    tables += [PURCHASE_TABLE, TICKET_TABLE] if layout.has_tickets else []
    data.rows = {table: [] for table in tables}
    ids = {table: count(1) for table in tables}
    for n in range(events):
        billig_id = first_id + n
        event_time = BASE_TIME + timedelta(days=rng.randint(-90, 120), hours=rng.choice((0, 1, 2)))
        name = f"{rng.choice(EVENT_NAMES)} {n + 1}"
        row: tuple[Any, ...] = (
            billig_id,
            name,
            event_time - timedelta(days=rng.randint(14, 60)),
            event_time - timedelta(hours=1),
            n % 10 == 3,
        )  # every tenth is hidden
        if layout.has_tickets:
            row += (
                rng.choice(VENUES),
                event_time,
                rng.randint(1, 6),
                f"ext-{billig_id}",
                rng.choice((1, 2, 3)),
                rng.choice((None, 0, 10, 20)),
            )
        data.rows[layout.event_table].append(row)
        for _ in range(rng.randint(1, 3)):
            _ticket_group(rng, data, ids, billig_id, event_time, capacity)
        if rng.random() < linked_share:
            data.our_events.append(OurEvent(name, event_time.replace(tzinfo=UTC), billig_id))
    data.our_events += [
        OurEvent(title, (BASE_TIME + timedelta(days=7 * i)).replace(tzinfo=UTC), None)
        for i, title in enumerate(UNLINKED_TITLES)
    ]
    data.our_events.append(
        OurEvent(
            "Cancelled gig (billig row removed)",
            BASE_TIME.replace(tzinfo=UTC),
            first_id + events + DANGLING_OFFSET,
        )
    )
    return data


def _ticket_group(
    rng: random.Random,
    data: MirrorData,
    ids: dict[str, count],
    event: int,
    event_time: datetime,
    capacity: tuple[int, int],
) -> None:
    layout = data.layout
    group = next(ids[TICKET_GROUP_TABLE])
    num = rng.randint(*capacity)
    target = num if rng.random() < 0.15 else rng.randint(0, num)  # some groups sell out
    limit = None if layout.has_tickets and rng.random() < 0.2 else rng.choice((4, 6, 10))
    full_price = rng.choice(FULL_PRICES)
    chosen = sorted(rng.sample(range(len(PRICE_GROUPS)), rng.randint(1, len(PRICE_GROUPS))))
    price_ids = []
    for index in chosen:
        name, membership, share = PRICE_GROUPS[index]
        price_ids.append(next(ids[PRICE_GROUP_TABLE]))
        data.rows[PRICE_GROUP_TABLE].append(
            (
                price_ids[-1],
                group,
                name,
                membership,
                rng.random() < 0.5,
                rng.random() < 0.9,
                round(full_price * share),
            )
        )
    sold = target
    if layout.has_tickets:
        sold = _tickets(rng, data, ids, price_ids, target, limit or 4, past=event_time < BASE_TIME)
    data.rows[TICKET_GROUP_TABLE].append(
        (group, event, rng.choice(TICKET_GROUP_NAMES), limit, sold, num, rng.random() < 0.15)
    )


def _tickets(
    rng: random.Random,
    data: MirrorData,
    ids: dict[str, count],
    price_ids: list[int],
    target: int,
    limit: int,
    past: bool,
) -> int:
    """Purchases of 1..limit tickets until ``target`` are sold; about 5 % of purchases
    are refunded (their tickets stay, flagged, and do not count as sold)."""
    sold = 0
    while sold < target:
        purchase = next(ids[PURCHASE_TABLE])
        member = rng.random() < 0.6
        data.rows[PURCHASE_TABLE].append(
            (
                purchase,
                rng.randint(1, 5000) if member else None,
                None if member else f"guest{purchase}@example.org",
            )
        )
        size = min(rng.randint(1, limit), target - sold)
        refunded = rng.random() < 0.05
        for _ in range(size):
            data.rows[TICKET_TABLE].append(
                (
                    next(ids[TICKET_TABLE]),
                    rng.choice(price_ids),
                    purchase,
                    past and not refunded and rng.random() < 0.9,
                    refunded,
                    rng.random() < 0.3,
                )
            )
        sold += 0 if refunded else size
    return sold


def write_sqlite(path: Path, data: MirrorData) -> dict[str, int]:
    """Build the mirror at ``path`` (replacing any earlier one); returns rows per table."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    conn = sqlite3.connect(partial)
    try:
        conn.executescript(data.layout.schema_sql())
        with conn:
            for table, rows in data.rows.items():
                columns = data.columns(table)
                insert = (
                    f"INSERT INTO {_quote(table)} ({', '.join(map(_quote, columns))}) "
                    f"VALUES ({', '.join('?' * len(columns))})"
                )
                conn.executemany(insert, [tuple(map(_sqlite_value, row)) for row in rows])
    finally:
        conn.close()
    os.replace(partial, path)
    return data.counts()


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _sqlite_value(value: Any) -> Any:
    """SQLite has no timestamp type: billig's timestamps are stored as ISO text."""
    return value.isoformat(sep=" ") if isinstance(value, datetime) else value
