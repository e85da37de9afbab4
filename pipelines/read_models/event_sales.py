"""event_sales: per Strata event that billig sells, its ticket and price groups and sales.

The canonical source is billig (another database), so expected rows are computed in
Python from one batched read (`BilligReader.prefetch` and `sales_figures`, a fixed
number of statements for any number of events), staged with COPY into a temporary
table, and applied or compared with the same set-based statements as every read
model. Our events without a billig_id have no row; events whose billig_id billig
does not know are counted and listed, never queried again one by one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from pipelines.billig.models import SalesFigures
from pipelines.billig.reader import BilligReader
from pipelines.core import locks
from pipelines.read_models.sync import (
    Drift,
    ReadModel,
    SyncResult,
    apply,
    drift,
    locked,
)

EVENT_SALES: Final = ReadModel(
    table="event_sales",
    columns=(
        "canonical_source",
        "event_id",
        "event_name",
        "sale_from",
        "sale_to",
        "hidden",
        "ticket_groups",
        "capacity",
        "sold",
        "refunded",
        "revenue",
    ),
    lock_key=locks.EVENT_SALES,
)
LINKED_EVENTS: Final = "SELECT id, billig_id FROM event WHERE billig_id IS NOT NULL ORDER BY id"
STAGING: Final = "event_sales_expected"
DROP_STAGING: Final = sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(STAGING))
CREATE_STAGING: Final = sql.SQL(
    "CREATE TEMP TABLE {} (LIKE event_sales INCLUDING DEFAULTS) ON COMMIT DROP"
).format(sql.Identifier(STAGING))
EXPECTED: Final = sql.SQL("SELECT * FROM {}").format(sql.Identifier(STAGING))


@dataclass(frozen=True)
class EventSalesRow:
    canonical_source: str
    canonical_pk: int
    event_id: int
    event_name: str
    sale_from: datetime
    sale_to: datetime
    hidden: bool
    ticket_groups: list[dict[str, Any]]  # public ticket-group models, price groups nested
    capacity: int
    sold: int
    refunded: int | None
    revenue: int | None


@dataclass(frozen=True)
class ExpectedSales:
    """The rows billig says event_sales should hold, and how the read went."""

    rows: list[EventSalesRow]
    linked_events: int  # our events with a billig_id
    missing_billig_ids: list[int]  # billig_ids of ours that billig does not know
    billig_statements: int


@dataclass(frozen=True)
class EventSalesSync:
    result: SyncResult
    expected: ExpectedSales


def expected_event_sales(conn: psycopg.Connection, reader: BilligReader) -> ExpectedSales:
    links: list[tuple[int, int]] = conn.execute(LINKED_EVENTS).fetchall()
    before = reader.statements
    with reader.snapshot():
        fetched = reader.prefetch(billig_id for _, billig_id in links)
        figures = reader.sales_figures(list(fetched.events))
    none_sold = SalesFigures(
        capacity=0,
        sold=0,
        refunded=0 if reader.layout.has_tickets else None,
        revenue=0 if reader.layout.has_tickets else None,
    )
    rows = []
    for event_id, billig_id in links:
        event = fetched.get(billig_id)
        if event is None:
            continue
        sales = figures.get(billig_id, none_sold)
        rows.append(
            EventSalesRow(
                canonical_source=reader.layout.event_table,
                canonical_pk=event.id,
                event_id=event_id,
                event_name=event.name,
                sale_from=event.sale_from,
                sale_to=event.sale_to,
                hidden=event.hidden,
                ticket_groups=[group.model_dump(mode="json") for group in event.ticket_groups],
                capacity=sales.capacity,
                sold=sales.sold,
                refunded=sales.refunded,
                revenue=sales.revenue,
            )
        )
    return ExpectedSales(
        rows=rows,
        linked_events=len(links),
        missing_billig_ids=sorted(fetched.missing),
        billig_statements=reader.statements - before,
    )


def rebuild_event_sales(conn: psycopg.Connection, reader: BilligReader) -> EventSalesSync:
    """Read billig first (outside the lock), then make event_sales equal it."""
    expected = expected_event_sales(conn, reader)
    with locked(conn, EVENT_SALES):
        _stage(conn, expected.rows)
        result = apply(conn, EVENT_SALES, EXPECTED, {})
        conn.execute(DROP_STAGING)
    return EventSalesSync(result=result, expected=expected)


def event_sales_drift(conn: psycopg.Connection, reader: BilligReader) -> list[Drift]:
    """Rows that differ from what billig says now; writes nothing."""
    expected = expected_event_sales(conn, reader)
    with conn.transaction(force_rollback=True):
        _stage(conn, expected.rows)
        return drift(conn, EVENT_SALES, EXPECTED, {})


def _stage(conn: psycopg.Connection, rows: list[EventSalesRow]) -> None:
    conn.execute(DROP_STAGING)
    conn.execute(CREATE_STAGING)
    columns = ("canonical_pk", *EVENT_SALES.columns)
    copy = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(STAGING), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with conn.cursor().copy(copy) as writer:
        for row in rows:
            writer.write_row(
                (
                    row.canonical_pk,
                    row.canonical_source,
                    row.event_id,
                    row.event_name,
                    row.sale_from,
                    row.sale_to,
                    row.hidden,
                    Jsonb(row.ticket_groups),
                    row.capacity,
                    row.sold,
                    row.refunded,
                    row.revenue,
                )
            )
