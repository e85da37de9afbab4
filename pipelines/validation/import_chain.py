"""Rows unchanged since the earlier layers of one worker's chain, left out of the load.

Why: a later layer repeats most of its rows unchanged, and each one still cost the load about
4 µs of its single backend (COPY, the staging join, the links' pass) only to be found equal.
The worker that validates layer after layer (pipelines.load.overlap) knows what it mapped for
the layers before: it keeps, per table, each ext_id's fingerprint as the latest of those layers
had it, and marks in layer n the rows whose fingerprint is the same. A record is left out only
with all of its subtree (its children, its links): a staged child finds its enclosing parent in
the staging table, as always.

Left out is a claim, not a fact, so it is written beside the mapped rows and the load checks
it (pipelines.load.unchanged_rows): the rows only equal the database if the layers before were
loaded from exactly these validations, in order, and nothing but those loads wrote to the
imported tables since the first of them began. When the claim does not hold, the load copies
the whole file, as it would without a chain. The mapped CSVs are complete either way; the
``<table>.staged`` file lists the byte ranges of the rows to send when the claim holds.

The validation worker keeps one chain for all its layers (``start_chain``); any other
validation gets a chain of its own (``active_chain``). Either one, while it holds no layer yet,
takes up the chain the layer loaded last saved beside its mapped rows, if the database still
holds what that chain's loads wrote (pipelines.validation.chain_store): next month's new layer,
validated by a new process, is compared with every layer before it, as in one long run.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np
import orjson

from pipelines.validation.row_ledger import FINGERPRINT_BYTES, RowLedger, TableLedger

CLAIM: Final = "chain.json"


@dataclass(frozen=True)
class StagedRows:
    """The rows of one table to send when the claim holds: ``rows`` of them, in ``ranges``."""

    rows: int
    ranges: np.ndarray  # uint64 pairs [start, end) of CSV bytes, flattened


@dataclass
class Known:
    """One table's latest fingerprints, sorted by key."""

    keys: np.ndarray
    fingerprints: np.ndarray  # (n, 2) uint64


@dataclass
class ImportChain:
    """What the layers validated so far in this chain mapped; ``after`` names their validations."""

    after: list[str] = field(default_factory=list)
    known: dict[str, Known] = field(default_factory=dict)

    def reset(self) -> None:
        self.after.clear()
        self.known.clear()

    def left_out(self, ledger: RowLedger) -> dict[str, StagedRows]:
        """Per table where some rows are unchanged, the rows still to stage (an empty chain: none)."""
        if not self.after:
            return {}
        shape = ledger.shape
        staged = {table: self._changed(table, ledger.tables[table]) for table in shape.entities}
        for table in reversed(shape.entities):  # children first: a staged child stages its parent
            parent = shape.parent.get(table)
            if parent is not None:
                staged[parent][_rows_of(ledger.tables[table])[staged[table]]] = True
        for link, owner in shape.owner.items():
            staged[link] = staged[owner][_rows_of(ledger.tables[link])]
        return {
            table: StagedRows(int(mask.sum()), _ranges(ledger.tables[table], mask))
            for table, mask in staged.items()
            if not mask.all()
        }

    def absorb(self, ledger: RowLedger, validation: str) -> None:
        """The layer validated: its fingerprints become the latest, newest winning per key."""
        for table in ledger.shape.entities:
            keys, prints = _arrays(ledger.tables[table])
            old = self.known.get(table)
            if old is not None:
                keys = np.concatenate((old.keys, keys))
                prints = np.concatenate((old.fingerprints, prints))
            order = np.argsort(keys, kind="stable")  # equal keys keep their order: the newest last
            keys, prints = keys[order], prints[order]
            last = np.ones(len(keys), dtype=bool)
            last[:-1] = keys[1:] != keys[:-1]
            self.known[table] = Known(keys[last], prints[last])
        self.after.append(validation)

    def _changed(self, table: str, rows: TableLedger) -> np.ndarray:
        keys, prints = _arrays(rows)
        known = self.known.get(table)
        if known is None or not len(known.keys):
            return np.ones(len(keys), dtype=bool)
        at = np.minimum(np.searchsorted(known.keys, keys), len(known.keys) - 1)
        same = (known.keys[at] == keys) & (known.fingerprints[at] == prints).all(axis=1)
        return ~same


def _arrays(rows: TableLedger) -> tuple[np.ndarray, np.ndarray]:
    keys = np.frombuffer(rows.keys, dtype=np.uint64) if len(rows.keys) else np.zeros(0, np.uint64)
    prints = np.frombuffer(bytes(rows.fingerprints), dtype=np.uint64).reshape(-1, FINGERPRINT_BYTES // 8)
    return keys.copy(), prints


def _rows_of(rows: TableLedger) -> np.ndarray:
    parents = np.frombuffer(rows.parents, dtype=np.int64) if len(rows.parents) else np.zeros(0, np.int64)
    if len(parents) and parents.min() < 0:
        raise ValueError("a row without its parent's row: only a valid layer's rows can be left out")
    return parents


def _ranges(rows: TableLedger, staged: np.ndarray) -> np.ndarray:
    """The byte ranges of the staged rows, consecutive rows merged into one range."""
    lengths = np.frombuffer(rows.lengths, dtype=np.uint64) if len(rows.lengths) else np.zeros(0, np.uint64)
    ends = np.cumsum(lengths, dtype=np.uint64)
    starts, ends = (ends - lengths)[staged], ends[staged]
    if not len(starts):
        return np.zeros(0, dtype="<u8")
    opens = np.ones(len(starts), dtype=bool)
    opens[1:] = starts[1:] != ends[:-1]
    closes = np.ones(len(starts), dtype=bool)
    closes[:-1] = opens[1:]
    return np.column_stack((starts[opens], ends[closes])).astype("<u8").ravel()


def new_validation() -> str:
    return str(uuid.uuid4())


def write_claim(folder: Path, validation: str, after: list[str], staged: dict[str, StagedRows]) -> None:
    """``chain.json`` (this validation, the ones it was compared with) and each ``<table>.staged``;
    ranges an earlier validation of the layer left are removed (the manifest names the current ones)."""
    for stale in folder.glob("*.staged"):
        stale.unlink()
    for table, rows in staged.items():
        rows.ranges.tofile(folder / f"{table}.staged")
    claim = {"validation": validation, "after": after if staged else []}
    (folder / CLAIM).write_bytes(orjson.dumps(claim, option=orjson.OPT_INDENT_2))


_chain: ImportChain | None = None
_switched_off = False


def start_chain() -> ImportChain:
    """Keep one chain in this process (the validation worker's) for every layer it validates."""
    global _chain, _switched_off
    _chain, _switched_off = ImportChain(), False
    return _chain


def active_chain() -> ImportChain | None:
    """The chain this process's next validation extends: the worker's, else a new one for that
    validation alone; none once switched off."""
    if _switched_off:
        return None
    return _chain if _chain is not None else ImportChain()


def stop_chain() -> None:
    """Back to a chain of its own for each validation."""
    global _chain, _switched_off
    _chain, _switched_off = None, False


def switch_off_chains() -> None:
    """No chain at all in this process: every load copies every row (only to measure what the
    chains save: ``make bench`` with BENCH_CHAIN=off)."""
    global _chain, _switched_off
    _chain, _switched_off = None, True
