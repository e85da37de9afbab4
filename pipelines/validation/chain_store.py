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


def resume_chain(conn: psycopg.Connection, chain: ImportChain) -> bool:
    """Fill the empty ``chain`` with the one saved by the layer loaded last, when the database
    holds exactly what that chain's loads wrote; True when it did. Reads only (in a transaction
    of its own, or a savepoint of the caller's)."""
    with conn.transaction():
        latest = conn.execute(read_sql("validation/latest_load")).fetchone()
        saved = (
            None if latest is None or latest[0] is None else read_chain_state(Path(latest[0]) / CHAIN_STATE)
        )
        if saved is None:
            return False
        holds = conn.execute(
            read_sql("load/chain_holds"), {"after": saved.after, "load_id": NEWEST}
        ).fetchone()
    if holds is None or not holds[0] or holds[1]:
        return False
    chain.after[:], chain.known = saved.after, saved.known
    return True
