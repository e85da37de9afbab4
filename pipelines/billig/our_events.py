"""Strata's own events, linked to billig by billig_id (seeded for development).

Set-based and idempotent: events are matched by billig_id (or, for events billig
does not sell, by title), so seeding twice changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import psycopg

UPSERT_LINKED: Final = """
INSERT INTO event (title, starts_at, billig_id)
SELECT title, starts_at, billig_id
FROM unnest(%(titles)s::text[], %(starts)s::timestamptz[], %(billig_ids)s::bigint[]) AS u(title, starts_at, billig_id)
ON CONFLICT (billig_id) DO UPDATE SET title = EXCLUDED.title, starts_at = EXCLUDED.starts_at
WHERE (event.title, event.starts_at) IS DISTINCT FROM (EXCLUDED.title, EXCLUDED.starts_at)"""

INSERT_UNLINKED: Final = """
INSERT INTO event (title, starts_at)
SELECT title, starts_at
FROM unnest(%(titles)s::text[], %(starts)s::timestamptz[]) AS u(title, starts_at)
WHERE NOT EXISTS (SELECT FROM event e WHERE e.billig_id IS NULL AND e.title = u.title)"""


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
            UPSERT_LINKED,
            {
                "titles": [e.title for e in linked],
                "starts": [e.starts_at for e in linked],
                "billig_ids": [e.billig_id for e in linked],
            },
        ).rowcount
        added = conn.execute(
            INSERT_UNLINKED,
            {"titles": [e.title for e in unlinked], "starts": [e.starts_at for e in unlinked]},
        ).rowcount
    return LinkResult(linked=written, unlinked=added)
