"""A validation chain kept between processes: saved beside a layer's mapped rows, resumed by the
next process's first validation.

Why: the run users make every month validates one new layer in a fresh process (`strata load`'s
worker, or a Dagster run of its own), so a chain kept only in memory compared it with nothing and
its load copied every row again, most of them unchanged since last month. Each validated layer of
a chain therefore saves the chain as it stands after it (``chain.npz``: per table the sorted keys
and fingerprints, and the validations absorbed, oldest first). A process whose chain is empty
resumes it from the layer loaded last, but only when the database still holds exactly what that
chain's loads wrote (the same question the load asks of a claim, ``sql/load/chain_holds.sql``);
otherwise it starts afresh, as before. Resuming is an optimisation, never a trust: the load
checks the claim again under the import lock, so a manual write or another load in between only
costs a full copy. Housekeeping removes the saved chains of layers loaded before the last one
(pipelines.intake.housekeeping): what stays is the chain of the layer loaded last and those of
layers validated but not loaded yet.
"""

from __future__ import annotations

import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import psycopg

from pipelines.db.sql_text import read_sql
from pipelines.intake.spools import CHAIN_STATE
from pipelines.validation.import_chain import ImportChain, Known

FORMAT: Final = "strata-chain-1"  # keys: crc32 | adler32 of the ext_id; fingerprints: blake2b-128
NEWEST: Final = (1 << 63) - 1  # "after every load so far", where chain_holds asks for a load id


def save_chain(chain: ImportChain, folder: Path) -> Path:
    """Write the chain as it stands into ``folder/chain.npz`` (atomically: a reader sees the old
    file or the new one, never half of one)."""
    arrays: dict[str, Any] = {"format": np.array(FORMAT), "after": np.array(chain.after)}
    for table, known in chain.known.items():
        arrays[f"{table}.keys"] = known.keys
        arrays[f"{table}.prints"] = known.fingerprints
    path = folder / CHAIN_STATE
    partial = folder / f".{CHAIN_STATE}.part"  # one writer per mapped folder, as for its CSVs
    try:
        with open(partial, "wb") as f:
            np.savez(f, **arrays)
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return path


def read_chain_state(path: Path) -> ImportChain | None:
    """The chain saved at ``path``; None when there is none or it is not one this release wrote."""
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["format"]) != FORMAT:
                return None
            chain = ImportChain(after=[str(uuid.UUID(str(v))) for v in data["after"]])
            tables = {name.rsplit(".", 1)[0] for name in data.files if name.endswith(".keys")}
            for table in tables:
                keys, prints = data[f"{table}.keys"], data[f"{table}.prints"]
                if keys.dtype != np.uint64 or prints.dtype != np.uint64 or len(keys) != len(prints):
                    return None
                chain.known[table] = Known(keys, prints)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):  # absent, cut short, or not ours
        return None
    return chain if chain.after else None


@dataclass(frozen=True)
class ChainClaim:
    """Whether the database holds exactly what a chain's loads wrote, and in a few words why."""

    held: bool
    why: str


def chain_holds(
    conn: psycopg.Connection, after: Sequence[str | uuid.UUID], load_id: int = NEWEST
) -> ChainClaim:
    """Were the loads committed before ``load_id`` since the chain's first layer exactly the
    loads of ``after`` (validation ids, oldest first), with no manual write since? The one test
    of a chain, asked by the load under the import lock (pipelines.load.unchanged_rows) and,
    before validating, by a process taking a saved chain up (``resume_chain``)."""
    if not after:
        return ChainClaim(False, "no earlier layers in its validation chain")
    row = conn.execute(read_sql("load/chain_holds"), {"after": list(after), "load_id": load_id}).fetchone()
    if row is None:
        return ChainClaim(False, "the chain's first layer was never loaded from that validation")
    loads_match, manual_writes = row
    if not loads_match:
        return ChainClaim(False, "other loads committed since the chain's first layer")
    if manual_writes:
        return ChainClaim(
            False, f"{manual_writes} manual transactions wrote imported rows since the chain began"
        )
    return ChainClaim(True, f"chain of {len(after)} earlier loads holds")


def resume_chain(conn: psycopg.Connection, chain: ImportChain) -> bool:
    """Fill the empty ``chain`` with the one saved by the layer loaded last, when the database
    holds exactly what that chain's loads wrote; True when it did. Reads only (in a transaction
    of its own, or a savepoint of the caller's)."""
    with conn.transaction():
        latest = conn.execute(read_sql("validation/latest_load")).fetchone()
        saved = (
            None if latest is None or latest[0] is None else read_chain_state(Path(latest[0]) / CHAIN_STATE)
        )
        if saved is None or not chain_holds(conn, saved.after).held:
            return False
    chain.after[:], chain.known = saved.after, saved.known
    return True
