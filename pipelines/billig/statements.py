"""The reads of billig, one per level: templates composed by `connection.BilligConnection` with
the layout's table names, for SQLite and PostgreSQL alike.

Every level filters by event ids, so each costs one statement per chunk of ids,
whatever the number of ticket or price groups. Columns are renamed to the public
models' names; rows are ordered so that stored read models compare stably.
"""

from __future__ import annotations

from typing import Final

EVENTS_OLD: Final = """
SELECT event AS id, event_name AS name, sale_from, sale_to, hidden
FROM {event_table}
WHERE event IN {ids}
ORDER BY event"""

EVENTS_NEW: Final = """
SELECT event AS id, event_name AS name, sale_from, sale_to, hidden,
       event_location AS location, event_time, event_type, external_id, organisation, ticket_fee
FROM {event_table}
WHERE event IN {ids}
ORDER BY event"""

TICKET_GROUPS: Final = """
SELECT ticket_group AS id, event AS event_id, ticket_group_name AS name, ticket_limit,
       is_theater_ticket_group, num, num_sold
FROM {ticket_group}
WHERE event IN {ids}
ORDER BY event, ticket_group"""

PRICE_GROUPS: Final = """
SELECT pg.price_group AS id, pg.ticket_group AS ticket_group_id, pg.price_group_name AS name,
       pg.membership_needed, pg.can_be_put_on_card, pg.netsale, pg.price
FROM {price_group} AS pg
JOIN {ticket_group} AS tg ON tg.ticket_group = pg.ticket_group
WHERE tg.event IN {ids}
ORDER BY pg.ticket_group, pg.price_group"""

CAPACITY: Final = """
SELECT event AS event_id, CAST(SUM(num) AS bigint) AS capacity, CAST(SUM(num_sold) AS bigint) AS sold
FROM {ticket_group}
WHERE event IN {ids}
GROUP BY event"""

# Revenue counts the tickets not refunded, at their price group's price.
TICKET_SALES: Final = """
SELECT tg.event AS event_id,
       CAST(SUM(CASE WHEN t.refunded THEN 1 ELSE 0 END) AS bigint) AS refunded,
       CAST(SUM(CASE WHEN t.refunded THEN 0 ELSE pg.price END) AS bigint) AS revenue
FROM {ticket} AS t
JOIN {price_group} AS pg ON pg.price_group = t.price_group
JOIN {ticket_group} AS tg ON tg.ticket_group = pg.ticket_group
WHERE tg.event IN {ids}
GROUP BY tg.event"""
