"""What a billig read returns.

Public models (pydantic, frozen) are what callers and read models may show. They
never carry billig's raw ``num`` / ``num_sold`` counters: sold-out state is exposed
as derived flags, and capacity and sold totals exist only as `SalesFigures`, which
read models store and no public model contains.

Rows are validated by pydantic as they cross from billig into Strata (the
boundary); inside, the raw ticket-group row is a dataclass that never leaves the
reader.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict

ALMOST_SOLD_OUT_SHARE = 0.2  # fewer than 20 % of the tickets left


class BilligPriceGroup(BaseModel):
    """One price of a ticket group, e.g. member / non-member."""

    model_config = ConfigDict(frozen=True)

    id: int
    ticket_group_id: int
    name: str
    membership_needed: bool
    can_be_put_on_card: bool
    netsale: bool
    price: int  # whole currency units


class BilligTicketGroup(BaseModel):
    """A kind of ticket for an event, e.g. "concert" or "dinner and concert"."""

    model_config = ConfigDict(frozen=True)

    id: int
    event_id: int
    name: str
    ticket_limit: int | None  # most tickets one purchase may hold
    is_theater_ticket_group: bool
    is_sold_out: bool
    is_almost_sold_out: bool
    price_groups: tuple[BilligPriceGroup, ...] = ()


class BilligEvent(BaseModel):
    """A billig event with its ticket groups (empty unless prefetched with tickets).
    The fields after ``hidden`` exist only in the newer schema generation."""

    model_config = ConfigDict(frozen=True)

    id: int
    name: str
    sale_from: datetime
    sale_to: datetime
    hidden: bool
    location: str | None = None
    event_time: datetime | None = None
    event_type: int | None = None
    external_id: str | None = None
    organisation: int | None = None
    ticket_fee: int | None = None
    ticket_groups: tuple[BilligTicketGroup, ...] = ()

    def in_sale_period(self, now: datetime) -> bool:
        return self.sale_from <= now <= self.sale_to


@dataclass(frozen=True)
class TicketGroupRow:
    """billig's ticket-group row as read, counters included; internal to the reader."""

    id: int
    event_id: int
    name: str
    ticket_limit: int | None
    is_theater_ticket_group: bool
    num: int
    num_sold: int

    def public(self, price_groups: tuple[BilligPriceGroup, ...]) -> BilligTicketGroup:
        left = max(self.num - self.num_sold, 0)
        return BilligTicketGroup(
            id=self.id,
            event_id=self.event_id,
            name=self.name,
            ticket_limit=self.ticket_limit,
            is_theater_ticket_group=self.is_theater_ticket_group,
            is_sold_out=left == 0,
            is_almost_sold_out=left < ALMOST_SOLD_OUT_SHARE * self.num or left == 0,
            price_groups=price_groups,
        )


@dataclass(frozen=True)
class SalesFigures:
    """Per billig event: capacity and sold (sums of num / num_sold over its ticket
    groups), refunded tickets and revenue of the tickets not refunded. refunded and
    revenue are None when the schema generation has no ticket table."""

    capacity: int
    sold: int
    refunded: int | None
    revenue: int | None


@dataclass(frozen=True)
class Prefetched:
    """The events found, by billig id, and the ids asked for that billig does not
    know (so nobody asks for them again one by one)."""

    events: Mapping[int, BilligEvent]
    missing: frozenset[int]

    def get(self, billig_id: int | None) -> BilligEvent | None:
        """The event, or None for an event with no billig id or one billig lacks."""
        return None if billig_id is None else self.events.get(billig_id)
