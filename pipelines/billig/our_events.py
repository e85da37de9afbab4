"""Strata's own events, linked to billig by billig_id (seeded for development).

Set-based and idempotent: events are matched by billig_id (or, for events billig
does not sell, by title), so seeding twice changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import psycopg

from pipelines.db.sql_text import read_sql


@dataclass(frozen=True)
class OurEvent:
    """One of Strata's events; billig_id None when billig does not sell it."""

    title: str
    starts_at: datetime
    billig_id: int | None


@dataclass(frozen=True)
class LinkResult:
    """Rows inserted or changed: events linked to billig, and events without a link."""

    linked: int
    unlinked: int


def link_our_events(conn: psycopg.Connection, events: Sequence[OurEvent]) -> LinkResult:
    linked = [e for e in events if e.billig_id is not None]
    unlinked = [e for e in events if e.billig_id is None]
    with conn.transaction():
        written = conn.execute(
            read_sql("billig/upsert_linked_events"),
            {
                "titles": [e.title for e in linked],
                "starts": [e.starts_at for e in linked],
                "billig_ids": [e.billig_id for e in linked],
            },
        ).rowcount
        added = conn.execute(
            read_sql("billig/insert_unlinked_events"),
            {"titles": [e.title for e in unlinked], "starts": [e.starts_at for e in unlinked]},
        ).rowcount
    return LinkResult(linked=written, unlinked=added)
