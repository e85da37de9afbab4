"""The imported tables and their history as values, without the ids a load happens to allocate.

Two loads of the same rows may pre-allocate ids in another order; what must agree is every row's
content, its parents (by ext_id) and its history. Ids, history ids and times are left out; a
reference to a row is replaced by that row's ext_id.
"""

from __future__ import annotations

import orjson
import psycopg
from psycopg import sql

from tests.support.load_checks import IMPORTED

ENTITY_TABLES = ("passport", "maintenance", "measurement", "sign")
REFERENCES = {"parent_id": "passport", "passport_id": "passport", "maintenance_id": "maintenance"}
LEFT_OUT = {"id", "history_id", "row_id", "changed_at"}


def table_state(conn: psycopg.Connection) -> dict[str, list[bytes]]:
    """Per imported or history table, its rows (sorted JSON), ids replaced by ext_ids."""
    ext_ids: dict[tuple[str, int], str] = {}
    for table in ENTITY_TABLES:
        for row_id, ext_id in conn.execute(
            sql.SQL("SELECT id, ext_id FROM {}").format(sql.Identifier(table))
        ):
            ext_ids[(table, row_id)] = ext_id
    state: dict[str, list[bytes]] = {}
    for table in IMPORTED:
        rows = []
        for (row,) in conn.execute(sql.SQL("SELECT to_jsonb(t) FROM {} t").format(sql.Identifier(table))):
            value = {k: v for k, v in row.items() if k not in LEFT_OUT}
            for column, target in REFERENCES.items():
                if value.get(column) is not None:
                    value[column] = ext_ids.get((target, value[column]), "a row since deleted")
            rows.append(orjson.dumps(value, option=orjson.OPT_SORT_KEYS))
        state[table] = sorted(rows)
    return state
