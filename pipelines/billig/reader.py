"""Reading billig in batches: one query per level, attached by dictionary.

The public Samfundet4 code this replaces had three weaknesses: a lookup raised
for an event without a billig id, the prefetch attached rows with a nested loop
over all events times all rows, and events whose billig row was missing were
queried again one by one. Here a missing or None id is simply absent from the
result (and listed in ``missing``), rows are grouped in dictionaries (linear),
and each level is one statement per chunk of ids, never one per event.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from pydantic import TypeAdapter

from pipelines.billig.connection import BilligConnection, Row, open_connection
from pipelines.billig.layout import (
    DEFAULT_CHUNK_SIZE,
    PRICE_GROUP_TABLE,
    TICKET_GROUP_TABLE,
    TICKET_TABLE,
    BilligConfig,
    BilligLayout,
)
from pipelines.billig.models import (
    BilligEvent,
    BilligPriceGroup,
    BilligTicketGroup,
    Prefetched,
    SalesFigures,
    TicketGroupRow,
)
from pipelines.billig.statements import (
    CAPACITY,
    EVENTS_NEW,
    EVENTS_OLD,
    PRICE_GROUPS,
    TICKET_GROUPS,
    TICKET_SALES,
)

_EVENTS = TypeAdapter(list[BilligEvent])
_TICKET_GROUPS = TypeAdapter(list[TicketGroupRow])
_PRICE_GROUPS = TypeAdapter(list[BilligPriceGroup])
_FIGURES = TypeAdapter(SalesFigures)


class BilligReader:
    """Typed, batched reads of billig on one read-only connection."""

    def __init__(
        self, connection: BilligConnection, layout: BilligLayout, chunk_size: int = DEFAULT_CHUNK_SIZE
    ) -> None:
        if chunk_size < 1:
            raise ValueError("chunk_size must be positive")
        self.connection = connection
        self.layout = layout
        self.chunk_size = chunk_size

    @property
    def statements(self) -> int:
        """Statements executed so far (for tests and run metadata)."""
        return self.connection.statements

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Make several reads see one consistent state of billig."""
        with self.connection.read_only():
            yield

    def prefetch(
        self, event_ids: Iterable[int | None], tickets: bool = True, prices: bool = True
    ) -> Prefetched:
        """Events with their ticket groups and, within those, price groups.

        Ids that are None or unknown to billig are left out, not an error. Price
        groups hang off ticket groups, so ``prices`` has no effect without ``tickets``.
        """
        wanted = _unique(event_ids)
        if not wanted:
            return Prefetched(events={}, missing=frozenset())
        with self.snapshot():
            event_rows = self._levels(self._events_query(), wanted)
            found = [row["id"] for row in event_rows]
            group_rows = self._levels(TICKET_GROUPS, found) if tickets and found else []
            price_rows = self._levels(PRICE_GROUPS, found) if tickets and prices and found else []
        return _assemble(wanted, event_rows, group_rows, price_rows)

    def event(self, billig_id: int | None) -> BilligEvent | None:
        """One event with its groups, or None (also for an event with no billig id)."""
        return self.prefetch([billig_id]).get(billig_id)

    def sales_figures(self, event_ids: Iterable[int | None]) -> dict[int, SalesFigures]:
        """Capacity, sold, refunded and revenue per billig event that has ticket groups;
        for read models only (it is where num and num_sold end up, as totals)."""
        wanted = _unique(event_ids)
        if not wanted:
            return {}
        with self.snapshot():
            groups = self._levels(CAPACITY, wanted)
            tickets = self._levels(TICKET_SALES, wanted) if self.layout.has_tickets else []
        by_event = {row["event_id"]: row for row in tickets}
        none_sold = 0 if self.layout.has_tickets else None  # no ticket table: unknown, not zero
        return {
            row["event_id"]: _FIGURES.validate_python(
                {
                    "capacity": row["capacity"],
                    "sold": row["sold"],
                    "refunded": by_event.get(row["event_id"], {}).get("refunded", none_sold),
                    "revenue": by_event.get(row["event_id"], {}).get("revenue", none_sold),
                }
            )
            for row in groups
        }

    def _events_query(self) -> str:
        return EVENTS_NEW if self.layout.has_tickets else EVENTS_OLD

    def _levels(self, template: str, ids: Sequence[int]) -> list[Row]:
        """One level: one statement per chunk of ids."""
        rows: list[Row] = []
        for start in range(0, len(ids), self.chunk_size):
            rows.extend(self.connection.fetch(template, ids[start : start + self.chunk_size]))
        return rows

    def close(self) -> None:
        self.connection.close()


def _assemble(
    wanted: Sequence[int], event_rows: list[Row], group_rows: list[Row], price_rows: list[Row]
) -> Prefetched:
    """Validate the rows and nest them, grouping by key in dictionaries: linear in rows."""
    prices_by_group: dict[int, list[BilligPriceGroup]] = defaultdict(list)
    for price in _PRICE_GROUPS.validate_python(price_rows):
        prices_by_group[price.ticket_group_id].append(price)
    groups_by_event: dict[int, list[BilligTicketGroup]] = defaultdict(list)
    for group in _TICKET_GROUPS.validate_python(group_rows):
        groups_by_event[group.event_id].append(group.public(tuple(prices_by_group[group.id])))
    nested = [row | {"ticket_groups": tuple(groups_by_event[row["id"]])} for row in event_rows]
    validated = {event.id: event for event in _EVENTS.validate_python(nested)}
    return Prefetched(events=validated, missing=frozenset(wanted) - validated.keys())


def _unique(ids: Iterable[int | None]) -> list[int]:
    """Distinct ids in first-seen order, without None; bool is refused (it is an int)."""
    seen: dict[int, None] = {}
    for value in ids:
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"billig event ids are integers, not {value!r}")
        seen.setdefault(value, None)
    return list(seen)


def table_names(layout: BilligLayout) -> dict[str, str]:
    """Template names → billig table names, for `connection.open_connection`."""
    return {
        "event_table": layout.event_table,
        "ticket_group": TICKET_GROUP_TABLE,
        "price_group": PRICE_GROUP_TABLE,
        "ticket": TICKET_TABLE,
    }


@contextmanager
def open_reader(config: BilligConfig) -> Iterator[BilligReader]:
    """A reader on a fresh read-only connection, closed afterwards."""
    reader = BilligReader(
        open_connection(config.url, table_names(config.layout)), config.layout, config.chunk_size
    )
    try:
        yield reader
    finally:
        reader.close()
