"""Validate one layer: a single streaming pass over its spool, errors stored, mapped rows written.

The flow (docs/architecture.md#flow: raw_layer -> check layer_is_valid -> loaded_layer):

1. check the import declarations against the catalog (pipelines.contract.catalog_check);
2. read the reference data once (vocabularies, profiles: pipelines.validation.lookups);
3. one pass: ``orjson.loads`` per line, each report mapped by the declarations
   (pipelines.validation.record_mapper) into COPY-ready CSVs, errors into an ``ErrorLog``;
4. resolve parent references (same layer, earlier layers, our database);
5. store the layer's loader_report row and its errors in one transaction.

Memory stays bounded by the layer's distinct ids (for duplicate and parent checks)
and its distinct spellings, never by the spool's size. The Dagster asset check
calls ``validate_layer`` and ``pipelines.fixups.layer_folder.write_layer_folder``.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import psycopg

from pipelines.contract.analyst_errors import (
    AnalystError,
    ErrorCode,
    ErrorLog,
    counts_by_code,
)
from pipelines.contract.catalog_check import check_declarations
from pipelines.contract.declarations import ROOT, Entity, vocabularies_of, walk
from pipelines.contract.row_digest import check_server, read_stage_types
from pipelines.core.progress import Meter, Progress
from pipelines.intake.spools import read_lines, version_of
from pipelines.validation.chain_store import save_chain
from pipelines.validation.import_chain import ImportChain, new_validation, write_claim
from pipelines.validation.lookups import read_lookups
from pipelines.validation.mapped_files import MappedFiles
from pipelines.validation.outcome_store import store_validation
from pipelines.validation.parents import resolve_references
from pipelines.validation.record_mapper import RecordMapper
from pipelines.validation.row_ledger import RowLedger, Shape
from pipelines.validation.unresolved import Unresolved

PROGRESS_EVERY = 1023  # the meter looks at the clock every 1,024 reports (a mask: reports & 1023)


@dataclass(frozen=True)
class ValidationResult:
    """What a layer's validation found and wrote."""

    version: str
    report_id: int
    reports: int
    counts: dict[str, int]
    errors: list[AnalystError]
    by_code: dict[str, int]
    mapped: dict[str, Path]
    manifest: Path
    unresolved: Unresolved = field(repr=False)
    seconds: float = 0.0

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def status(self) -> str:
        return "validated" if self.valid else "invalid"


def validate_layer(
    conn: psycopg.Connection,
    spool: Path,
    mapped_dir: Path,
    *,
    earlier_passports: Collection[str] = frozenset(),
    version: str | None = None,
    root: Entity = ROOT,
    progress: Progress | None = None,
    expected_reports: int = 0,
    chain: ImportChain | None = None,
) -> ValidationResult:
    """Validate ``spool`` (``<version>.jsonl``); write mapped CSVs to ``mapped_dir``; store the errors.

    ``earlier_passports``: passport ext_ids of earlier layers not loaded yet
    (``pipelines.intake.spools.earlier_passport_ids``). Commits its writes unless the
    caller holds a transaction open on ``conn``. ``progress`` hears the reports mapped of
    ``expected_reports`` (the layer's count from the split). ``chain``: the layers validated
    before this one in this process; the rows unchanged since are marked for the load to leave
    out (pipelines.validation.import_chain), and the layer joins the chain if it is valid.
    """
    try:
        return _validate_layer(
            conn, spool, mapped_dir, earlier_passports, version, root, progress, expected_reports, chain
        )
    except BaseException:
        if chain is not None:
            chain.reset()  # a layer not validated breaks the chain: what follows compares with nothing
        raise


def _validate_layer(
    conn: psycopg.Connection,
    spool: Path,
    mapped_dir: Path,
    earlier_passports: Collection[str],
    version: str | None,
    root: Entity,
    progress: Progress | None,
    expected_reports: int,
    chain: ImportChain | None,
) -> ValidationResult:
    started = time.perf_counter()
    version = version or version_of(spool)
    meter = (progress or Progress()).meter("validate", f"layer {version}", expected_reports, "reports")
    entities = walk(root)
    check_declarations(conn, entities)
    lookups = read_lookups(conn, vocabularies_of(entities))
    check_server(conn)  # the digests written with the rows must be PostgreSQL's
    types = {entity.table: read_stage_types(conn, entity) for entity in entities}
    log, unresolved = ErrorLog(version), Unresolved()
    ledger = RowLedger(Shape.of(entities)) if chain is not None else None
    with MappedFiles(mapped_dir, entities, types, count_bytes=ledger is not None) as files:
        mapper = RecordMapper(root, lookups, files, log, unresolved, ledger)
        reports = _single_pass(spool, mapper, log, root, meter)
        counts = mapper.counts()
        manifest = files.write_manifest(counts)
    unresolved.suggest_people(lookups.people.nearest)
    meter.update(reports, "resolving parent references")
    plans = mapper.plans()
    kinds = {entity.kind: entity for entity in entities}
    in_layer = {plan.kind: plan.seen for plan in plans}
    for plan in plans:
        resolve_references(
            conn, plan.kind, plan.references, in_layer, {"passport": earlier_passports}, kinds, log
        )
    errors = log.errors()
    _mark_unchanged(files, counts, chain, ledger, not errors)
    meter.update(reports, f"storing {len(errors):,} analyst errors")
    report_id = store_validation(conn, version, errors, reports, {"reports": reports, **counts})
    meter.finish(f"{len(errors):,} analyst errors")
    return ValidationResult(
        version,
        report_id,
        reports,
        counts,
        errors,
        counts_by_code(errors),
        dict(files.paths),
        manifest,
        unresolved,
        time.perf_counter() - started,
    )


def _mark_unchanged(
    files: MappedFiles,
    counts: dict[str, int],
    chain: ImportChain | None,
    ledger: RowLedger | None,
    valid: bool,
) -> None:
    """Write the layer's claim (``chain.json``, the ``.staged`` ranges) and extend the chain."""
    validation, after, staged = new_validation(), [], {}
    if chain is not None and ledger is not None:
        if valid:
            after, staged = list(chain.after), chain.left_out(ledger)
            chain.absorb(ledger, validation)
            save_chain(chain, files.folder)  # where the next process's chain resumes (chain_store)
            if staged:
                files.write_manifest(counts, {table: rows.rows for table, rows in staged.items()})
        else:
            chain.reset()  # an invalid layer does not load: the layers after it compare with nothing
    write_claim(files.folder, validation, after, staged)


def _single_pass(spool: Path, mapper: RecordMapper, log: ErrorLog, root: Entity, meter: Meter) -> int:
    """Map every line; return the number of reports. The cyclic GC is paused: parsed reports
    hold no cycles, and its collections while the id sets grow are pure cost (BENCHMARKS.md)."""
    loads, decode_error, reports = orjson.loads, orjson.JSONDecodeError, 0
    enabled = gc.isenabled()
    gc.disable()
    try:
        for number, line in read_lines(spool):
            reports += 1
            if not reports & PROGRESS_EVERY:
                meter.update(reports)
            try:
                report = loads(line)
            except decode_error as exc:
                log.add(
                    ErrorCode.CANT_PARSE,
                    root.kind,
                    None,
                    None,
                    "report",
                    f"line {number}",
                    f"line {number} of the layer is not JSON: {exc}",
                )
                continue
            mapper.map_report(report)
    finally:
        if enabled:
            gc.enable()
    meter.update(reports)
    return reports
