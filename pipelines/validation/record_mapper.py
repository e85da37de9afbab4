"""The hot path: one report -> mapped rows and analyst errors, following the declarations.

The declarations (pipelines.contract.declarations) are compiled once per layer into plans (mapping_plan)
of plain tuples with bound converters, so the per-value work is a dict lookup, an
emptiness test and one converter call; exceptions happen only on errors. Records
are walked as the dicts ``orjson.loads`` returns: building pydantic models per
report would add about a third to the pass (measured; see README, *Validation*)
and could not report the spec's six codes per field anyway.

Duplicated ext_ids are found per entity kind with one set each; parent references
(``passport.parent_id``) are only collected here, because a parent may come later
in the same layer; pipelines.validation.parents resolves them after the pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from pipelines.contract.analyst_errors import Blank, ErrorCode, ErrorLog, Invalid
from pipelines.contract.converters import Converter
from pipelines.contract.declarations import Entity
from pipelines.validation.lookups import Lookups
from pipelines.validation.mapped_files import MappedFiles, RowWriter
from pipelines.validation.mapping_plan import NESTED, Json, Op, Plan, is_empty
from pipelines.validation.row_ledger import NO_ROW, RowLedger
from pipelines.validation.unresolved import Place, Unresolved

REQUIRED: Final = ErrorCode.REQUIRED
CANT_PARSE: Final = ErrorCode.CANT_PARSE


class RecordMapper:
    """Maps the reports of one layer; keeps counts, ids and parent references for afterwards."""

    def __init__(
        self,
        root: Entity,
        lookups: Lookups,
        files: MappedFiles,
        log: ErrorLog,
        unresolved: Unresolved,
        ledger: RowLedger | None = None,
    ) -> None:
        """``ledger``: records each written row for import_chain (its files count bytes)."""
        self.root = Plan(root, lookups, files)
        self.log, self.unresolved, self.ledger = log, unresolved, ledger
        self.link_rows = {table: 0 for plan in self.plans() for _, _, _, table in plan.links}

    def map_report(self, report: Json) -> None:
        self._map(self.root, report, None, None, True, NO_ROW)

    def plans(self) -> list[Plan]:
        """Every compiled entity, parents first."""
        found, todo = [], [self.root]
        while todo:
            plan = todo.pop(0)
            found.append(plan)
            todo.extend(child for _, child in plan.children)
        return found

    def counts(self) -> dict[str, int]:
        """Mapped rows written per table, link tables included."""
        return {plan.table: plan.rows for plan in self.plans()} | dict(self.link_rows)

    def _map(
        self, plan: Plan, record: Json, passport: str | None, parent: str | None, emit: bool, parent_row: int
    ) -> None:
        """One record and, recursively, its children and links. The plain-field loop is inlined:
        it runs for every value of the export. ``parent_row``: the enclosing record's row number
        in its table (for the ledger)."""
        kind = plan.kind
        if record.__class__ is not dict:
            self._error(
                CANT_PARSE, kind, None, passport, plan.id_key, record, f"a {kind} must be a JSON object"
            )
            return
        ext, emit = self._ext_id(plan, record, passport, emit)
        if passport is None and plan is self.root:
            passport = ext
        row: list[object] = [ext, parent] if plan.enclosed else [ext]
        append, get = row.append, record.get
        for key, label, convert, required, shape in plan.ops:
            value = get(key)
            if shape:
                if shape == NESTED:
                    row.extend(self._nested(key, convert, value, kind, ext, passport))
                else:
                    append(self._reference(plan, label, convert, value, kind, ext, passport))
                continue
            if value is None or value == "":
                append(None)
                if required:
                    self._error(
                        REQUIRED, kind, ext, passport, label, value, f"{label} is required (missing or empty)"
                    )
                continue
            try:
                append(convert(value))
            except Blank:
                append(None)
                if required:
                    self._error(
                        REQUIRED, kind, ext, passport, label, value, f"{label} is required (missing or empty)"
                    )
            except Invalid as invalid:
                append(None)
                self._invalid(invalid, kind, ext, passport, label, value)
        this_row, ledger = NO_ROW, self.ledger
        if emit:
            digest = plan.digest(row)
            append(digest)  # the last column: the load compares it, never computes it
            written = plan.write(row)
            this_row = plan.rows
            plan.rows += 1
            if ledger is not None:  # emit: ext is text
                ledger.entity_row(plan.table, ext, digest, written, parent_row, bool(plan.links))  # type: ignore[arg-type]
        for key, child in plan.children:
            items = get(key)
            if items is None:
                continue
            if items.__class__ is not list:
                self._error(CANT_PARSE, kind, ext, passport, key, items, f"{key} must be a list")
                continue
            for item in items:
                self._map(child, item, passport, ext, emit, this_row)
        targets: list[str] = []
        for key, convert, write, table in plan.links:
            names = get(key)
            if names is not None:
                written_targets = self._link(
                    names, key, convert, write if emit else None, table, kind, ext, passport, this_row
                )
                if ledger is not None:
                    targets.extend(f"{table}:{target}" for target in written_targets)
        if ledger is not None and emit and plan.links:
            ledger.owner_fingerprint(plan.table, this_row, ext, digest, targets)  # type: ignore[arg-type]

    def _ext_id(
        self, plan: Plan, record: dict[str, Json], passport: str | None, emit: bool
    ) -> tuple[str | None, bool]:
        """The record's id; a missing, malformed or repeated id means its rows cannot be written."""
        ext = record.get(plan.id_key)
        kind = plan.kind
        if is_empty(ext):
            self._error(REQUIRED, kind, None, passport, plan.id_key, ext, f"{kind} {plan.id_key} is required")
            return None, False
        if ext.__class__ is not str:
            self._error(
                CANT_PARSE, kind, None, passport, plan.id_key, ext, f"{kind} {plan.id_key} must be text"
            )
            return None, False
        if ext in plan.seen:
            self._error(
                ErrorCode.DUPLICATED_EXT_IDS,
                kind,
                ext,
                passport if passport else ext,
                plan.id_key,
                ext,
                f"{kind} {ext} appears more than once in layer {self.log.version}",
            )
            return ext, False
        plan.seen.add(ext)
        return ext, emit

    def _cell(self, op: Op, value: Json, kind: str, ext: str | None, passport: str | None) -> str | None:
        """One plain field outside the inlined loop (nested objects)."""
        _, label, convert, required, _ = op
        try:
            if value is None or value == "":
                raise Blank
            return convert(value)
        except Blank:
            if required:
                self._error(
                    REQUIRED, kind, ext, passport, label, value, f"{label} is required (missing or empty)"
                )
        except Invalid as invalid:
            self._invalid(invalid, kind, ext, passport, label, value)
        return None

    def _nested(
        self, key: str, ops: tuple[Op, ...], value: Json, kind: str, ext: str | None, passport: str | None
    ) -> list[str | None]:
        """All inner columns empty when the object is absent or empty; else each inner field as usual."""
        if value is None or (value.__class__ is dict and all(is_empty(v) for v in value.values())):
            return [None] * len(ops)
        if value.__class__ is not dict:
            self._error(CANT_PARSE, kind, ext, passport, key, value, f"{key} must be an object")
            return [None] * len(ops)
        get = value.get
        return [self._cell(op, get(op[0]), kind, ext, passport) for op in ops]

    def _reference(
        self,
        plan: Plan,
        label: str,
        target: str,
        value: Json,
        kind: str,
        ext: str | None,
        passport: str | None,
    ) -> str | None:
        """An ext_id of another record: kept as written, resolved after the pass."""
        if is_empty(value):
            return None
        if value.__class__ is not str:
            self._error(CANT_PARSE, kind, ext, passport, label, value, f"{label} must be text (an id)")
            return None
        if ext is not None:
            plan.references[value].append((ext, passport, label, target))
        return value

    def _link(
        self,
        names: Json,
        key: str,
        convert: Converter,
        write: RowWriter | None,
        table: str,
        kind: str,
        ext: str | None,
        passport: str | None,
        owner_row: int,
    ) -> Iterable[str]:
        """One link row per distinct target: two spellings of one person are one crew member.
        Returns the targets written."""
        if names.__class__ is not list:
            self._error(CANT_PARSE, kind, ext, passport, key, names, f"{key} must be a list")
            return ()
        targets: dict[str, None] = {}
        for name in names:
            try:
                if name is None or name == "":
                    raise Blank
                targets[convert(name)] = None
            except Blank:
                self._error(REQUIRED, kind, ext, passport, key, name, f"an entry of {key} is empty")
            except Invalid as invalid:
                self._invalid(invalid, kind, ext, passport, key, name)
        if write is None or ext is None:
            return ()
        ledger = self.ledger
        for target in targets:
            written = write((ext, target))
            if ledger is not None:
                ledger.link_row(table, written, owner_row)  # type: ignore[arg-type]  # counted files
        self.link_rows[table] += len(targets)
        return targets

    def _invalid(
        self, invalid: Invalid, kind: str, ext: str | None, passport: str | None, label: str, value: Json
    ) -> None:
        self._error(invalid.code, kind, ext, passport, label, value, invalid.message)
        if invalid.target is not None:
            self.unresolved.note(invalid.target, value, Place(kind, ext, passport, label))

    def _error(
        self,
        code: ErrorCode,
        kind: str,
        ext: str | None,
        passport: str | None,
        label: str,
        value: object,
        message: str,
    ) -> None:
        self.log.add(code, kind, ext, passport, label, value, message)
