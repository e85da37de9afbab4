"""The set-based statements of a layer load, composed from the import declarations.

Every statement works on whole staging tables (no per-row round trips). Names are
composed with psycopg.sql.Identifier; values are bound parameters. For one entity
``T`` with staging table ``stage_T``:

1. ``stage_T`` is made in one pass from the copied rows: each row's target id (existing
   by ext_id, else pre-allocated from T's identity) and whether it changes. The digest is
   copied with the row: validation computed it (pipelines.contract.row_digest), so the load's
   one backend no longer hashes every row.
   Pre-allocating lets one INSERT write new passports whose parents are new passports of
   the same layer, in any order: foreign keys are checked after the writes
   (``key_checks``), and each row gets exactly one history row.
2. Rows an analyst edited whose upstream changed are snapshotted before the update,
   so the overwritten manual values can be reported after it.
3. UPDATE the rows whose digest differs; INSERT the new rows. Each write keeps the rows it
   wrote in ``written_T`` (``RETURNING``), which the key checks read: neither they nor the
   links' changes (one pass, ``LINK_CHANGES``) go over a whole target table again.

The writes set ``auto_imported`` and ``report_id`` (bound ``%(report_id)s``, the layer's
report) themselves: the row-level mark trigger is then skipped by its ``WHEN`` condition
(migration 0020), so no PL/pgSQL runs per imported row. An UPDATE here always changes a
data column (``import_digest`` differs), which is the one check the skipped trigger made.
"""

from __future__ import annotations

from dataclasses import dataclass

from psycopg import sql

from pipelines.contract.declarations import Entity, Link

BOOKKEEPING = ("id", "report_id", "auto_imported", "import_digest")


CREATE_RAW = "CREATE TEMP TABLE {raw} ({columns}) ON COMMIT DROP"
COPY_RAW = "COPY {raw} ({columns}) FROM STDIN (FORMAT csv)"
# One pass from the copied rows to the staging table (no UPDATE of every staged row):
# target id (existing by ext_id, else pre-allocated from T's identity), new or not, and
# whether the write changes the row (new or digest differs; r.digest is the copied one).
# The sequence is looked up once (an InitPlan): pg_get_serial_sequence per row scans pg_depend.
STAGE_ENTITY = """
CREATE TEMP TABLE {stage} ON COMMIT DROP AS
SELECT x.*, coalesce(x.existing_id, nextval((SELECT pg_get_serial_sequence({table_name}, 'id')::regclass))) AS id,
       x.existing_id IS NULL AS is_new, x.digest IS DISTINCT FROM x.existing_digest AS changed
FROM (SELECT r.*, t.id AS existing_id, t.import_digest AS existing_digest
      FROM {raw} r LEFT JOIN {table} t ON t.ext_id = r.ext_id) x"""
SNAPSHOT_MANUAL = """
CREATE TEMP TABLE {snapshot} ON COMMIT DROP AS
SELECT t.id, t.ext_id, to_jsonb(t) AS manual, to_jsonb(h) AS imported_before
FROM {stage} s
JOIN {table} t ON t.id = s.id
JOIN LATERAL (SELECT * FROM {history} h WHERE h.row_id = t.id AND h.imported
              ORDER BY h.history_id DESC LIMIT 1) h ON true
WHERE NOT s.is_new AND NOT t.auto_imported AND t.import_digest IS NOT NULL
  AND t.import_digest IS DISTINCT FROM s.digest"""
REPORT_OVERWRITES = """
INSERT INTO loader_overwrite (report_id, table_name, row_id, ext_id, column_name, manual_value, imported_value)
SELECT %(report_id)s, {table_name}, o.id, o.ext_id, m.key, m.value #>> '{{}}', to_jsonb(t) -> m.key #>> '{{}}'
FROM {snapshot} o
JOIN {table} t ON t.id = o.id
CROSS JOIN LATERAL jsonb_each(o.manual) m
WHERE m.key <> ALL (%(bookkeeping)s)
  AND m.value IS DISTINCT FROM o.imported_before -> m.key
  AND m.value IS DISTINCT FROM to_jsonb(t) -> m.key"""
# Every write also keeps the rows it wrote in {written} (the table's own row type, ``CREATE_WRITTEN``):
# the key checks read them there, not by joining the whole target table again.
CREATE_WRITTEN = "CREATE TEMP TABLE {written} (LIKE {table}) ON COMMIT DROP"
UPDATE_CHANGED = """
WITH w AS (
    UPDATE {table} t SET ({targets}, import_digest, auto_imported, report_id) = ({values}, r.digest, true, %(report_id)s)
    FROM (SELECT s.id, s.digest, {resolved} FROM {stage} s {joins} WHERE NOT s.is_new AND s.changed) r
    WHERE t.id = r.id AND t.import_digest IS DISTINCT FROM r.digest
    RETURNING t.*)
INSERT INTO {written} SELECT * FROM w"""
INSERT_NEW = """
WITH w AS (
    INSERT INTO {table} (id, {targets}, import_digest, auto_imported, report_id) OVERRIDING SYSTEM VALUE
    SELECT s.id, {resolved}, s.digest, true, %(report_id)s FROM {stage} s {joins} WHERE s.is_new
    RETURNING *)
INSERT INTO {written} SELECT * FROM w"""
UNRESOLVED = (
    "SELECT s.ext_id, s.{ext} FROM {stage} s {joins} WHERE s.{ext} IS NOT NULL AND {expr} IS NULL LIMIT 1"
)
# A link table's changes in one pass over the links of the staged owners (one scan of the whole
# link table, where a DELETE ... NOT EXISTS and an INSERT ... NOT EXISTS took one each): a link
# of a staged owner that the layer does not hold is removed (link_id, no owner_id), a staged link
# not there yet is added (owner_id and target, no link_id).
LINK_CHANGES = """
CREATE TEMP TABLE {changes} ON COMMIT DROP AS
SELECT c.id AS link_id, n.owner_id, n.target
FROM (SELECT l.id, l.{owner} AS owner_id, l.{target} AS target
      FROM {table} l JOIN {owner_stage} o ON o.id = l.{owner}) c
FULL JOIN (SELECT DISTINCT o.id AS owner_id, s.{target} AS target
           FROM {stage} s JOIN {owner_stage} o ON o.ext_id = s.{owner_ext}) n
       ON n.owner_id = c.owner_id AND n.target = c.target
WHERE c.id IS NULL OR n.owner_id IS NULL"""
REMOVE_LINKS = "DELETE FROM {table} l USING {changes} d WHERE l.id = d.link_id AND d.owner_id IS NULL"
# The added links are kept in {written} too: every link of every staged owner (most of them
# unchanged) would lock each one's parents FOR KEY SHARE again, a heap write per parent.
ADD_LINKS = """
WITH added AS (
    INSERT INTO {table} ({owner}, {target}, auto_imported, report_id)
    SELECT d.owner_id, d.target, true, %(report_id)s::bigint FROM {changes} d WHERE d.link_id IS NULL
    RETURNING *)
INSERT INTO {written} SELECT * FROM added"""
# The rows of a table a load wrote, for key checks: an entity's inserted and updated rows, a link
# table's added ones (a removed link refers to nothing any more).
WRITTEN_ROWS = "FROM {written} c"


@dataclass(frozen=True)
class WrittenRows:
    """A table the load writes and, as ``FROM ... c``, the rows it wrote (``WRITTEN_ROWS``)."""

    table: str
    rows: sql.Composable
    deletes: bool = False


def stage_of(table: str) -> sql.Identifier:
    return sql.Identifier(f"stage_{table}")


def written_of(table: str) -> sql.Identifier:
    """The rows of ``table`` this load wrote (inserted, updated; links added)."""
    return sql.Identifier(f"written_{table}")


def q(template: str, **names: sql.Composable | str) -> sql.Composed:
    """Compose a template; plain strings become identifiers."""
    return sql.SQL(template).format(
        **{k: sql.Identifier(v) if isinstance(v, str) else v for k, v in names.items()}
    )


def _ids(names: tuple[str, ...] | list[str], prefix: str | None = None) -> sql.Composed:
    return sql.SQL(", ").join(sql.Identifier(prefix, n) if prefix else sql.Identifier(n) for n in names)


def raw_of(table: str) -> sql.Identifier:
    return sql.Identifier(f"raw_{table}")


def create_raw(raw: sql.Identifier, columns: tuple[str, ...], types: dict[str, str]) -> sql.Composed:
    defs = sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(types[c])) for c in columns)
    return q(CREATE_RAW, raw=raw, columns=defs)


def copy_raw(raw: sql.Identifier, columns: tuple[str, ...]) -> sql.Composed:
    return q(COPY_RAW, raw=raw, columns=_ids(columns))


def stage_entity(entity: Entity) -> sql.Composed:
    return q(
        STAGE_ENTITY,
        stage=stage_of(entity.table),
        raw=raw_of(entity.table),
        table=entity.table,
        table_name=sql.Literal(entity.table),
    )


def _parent_resolution(entity: Entity) -> tuple[sql.Composable, dict[str, sql.Composable]]:
    """JOIN clauses and, per parent column, the expression giving the parent's id.

    An enclosing parent is always in the same layer (its staging table); a reference
    (passport.parent_id) may be in the layer or only in the database."""
    joins: list[sql.Composable] = []
    exprs: dict[str, sql.Composable] = {}
    enclosing = entity.enclosing.column if entity.enclosing else None
    for n, column in enumerate(c for c in entity.mapped_columns if c.resolves):
        in_stage, in_table = sql.Identifier(f"ps{n}"), sql.Identifier(f"pt{n}")
        parent_table = str(column.resolves)  # entity kinds are their tables' names
        joins.append(
            sql.SQL("{kind} JOIN {stage} {alias} ON {alias}.ext_id = s.{col}").format(
                kind=sql.SQL("" if column.name == enclosing else "LEFT"),
                stage=stage_of(parent_table),
                alias=in_stage,
                col=sql.Identifier(column.name),
            )
        )
        if column.name == enclosing:
            exprs[column.name] = sql.SQL("{}.id").format(in_stage)
            continue
        joins.append(
            sql.SQL("LEFT JOIN {table} {alias} ON {alias}.ext_id = s.{col}").format(
                table=sql.Identifier(parent_table), alias=in_table, col=sql.Identifier(column.name)
            )
        )
        exprs[column.name] = sql.SQL("coalesce({}.id, {}.id)").format(in_stage, in_table)
    return sql.SQL(" ").join(joins), exprs


def resolved_items(entity: Entity) -> tuple[list[sql.Composable], sql.Composable, dict[str, sql.Composable]]:
    """(select items in table_columns order, joins, parent expressions) for UPDATE/INSERT."""
    joins, exprs = _parent_resolution(entity)
    items = [exprs.get(c.name, sql.Identifier("s", c.name)) for c in entity.mapped_columns]
    return items, joins, exprs


def update_changed(entity: Entity) -> sql.Composed:
    items, joins, _ = resolved_items(entity)
    names = list(entity.table_columns)
    aliased = sql.SQL(", ").join(
        sql.SQL("{} AS {}").format(item, sql.Identifier(name))
        for item, name in zip(items, names, strict=False)
    )
    return q(
        UPDATE_CHANGED,
        table=entity.table,
        targets=_ids(names),
        values=_ids(names, "r"),
        resolved=aliased,
        stage=stage_of(entity.table),
        joins=joins,
        written=written_of(entity.table),
    )


def insert_new(entity: Entity) -> sql.Composed:
    items, joins, _ = resolved_items(entity)
    return q(
        INSERT_NEW,
        table=entity.table,
        targets=_ids(list(entity.table_columns)),
        resolved=sql.SQL(", ").join(items),
        stage=stage_of(entity.table),
        joins=joins,
        written=written_of(entity.table),
    )


def unresolved_checks(entity: Entity) -> list[sql.Composed]:
    _, joins, exprs = resolved_items(entity)
    return [
        q(UNRESOLVED, ext=name, stage=stage_of(entity.table), joins=joins, expr=expr)
        for name, expr in exprs.items()
    ]


def snapshot_manual(entity: Entity) -> sql.Composed:
    return q(
        SNAPSHOT_MANUAL,
        snapshot=f"manual_{entity.table}",
        stage=stage_of(entity.table),
        table=entity.table,
        history=f"{entity.table}_history",
    )


def report_overwrites(entity: Entity) -> sql.Composed:
    return q(
        REPORT_OVERWRITES,
        table_name=sql.Literal(entity.table),
        snapshot=f"manual_{entity.table}",
        table=entity.table,
    )


def link_statements(link: Link, owner: Entity) -> tuple[sql.Composed, sql.Composed, sql.Composed]:
    """The link table's changes (a temp table), then the removal and the addition they name."""
    names: dict[str, sql.Composable | str] = dict(
        table=link.table,
        owner_stage=stage_of(owner.table),
        stage=stage_of(link.table),
        owner=link.owner_column,
        owner_ext=link.owner_ext_column,
        target=link.target_column,
        written=written_of(link.table),
        changes=sql.Identifier(f"changes_{link.table}"),
    )
    return q(LINK_CHANGES, **names), q(REMOVE_LINKS, **names), q(ADD_LINKS, **names)


def create_written(table: str) -> sql.Composed:
    return q(CREATE_WRITTEN, written=written_of(table), table=table)


def written_rows(entities: tuple[Entity, ...]) -> tuple[WrittenRows, ...]:
    """Every table a load writes, with the rows it wrote (``written_T``); links are also deleted from."""
    written: list[WrittenRows] = []
    for entity in entities:
        written.append(WrittenRows(entity.table, q(WRITTEN_ROWS, written=written_of(entity.table))))
        written += [
            WrittenRows(
                link.table,
                q(WRITTEN_ROWS, written=written_of(link.table)),
                deletes=True,
            )
            for link in entity.links
        ]
    return tuple(written)


# The staging tables' ANALYZE samples 300 x this many rows: enough for what the plans need
# (row counts, the share of new and changed rows, unique ext_ids); the default 100 costs more.
STAGE_STATISTICS = "SET LOCAL default_statistics_target = 10"


def analyze_stage(entity: Entity) -> sql.Composed:
    """Statistics for what the load joins and filters on only: the other columns' cost ANALYZE time."""
    columns = ["ext_id", "id", "is_new", "changed", *(c.name for c in entity.mapped_columns if c.resolves)]
    return q("ANALYZE {stage} ({columns})", stage=stage_of(entity.table), columns=_ids(columns))


def analyze_link_stage(link: Link) -> sql.Composed:
    return q(
        "ANALYZE {stage} ({columns})",
        stage=stage_of(link.table),
        columns=_ids([link.owner_ext_column, link.target_column]),
    )
