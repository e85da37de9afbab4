"""Keeping STRATA_HOME to the archive plus the working set: spools and mapped rows nobody reads again go.

Every month's export holds every layer so far. Its registration writes into ``spool/<file sha>/``
only the layers not registered already with the same content (an unchanged layer's row refers to
the earlier copy, pipelines.intake.split); validation adds ``<version>.mapped/`` beside each spool.
A changed layer, and every export registered before layers were reused, has a copy of its own:
kept forever, a year of 3 GB exports would fill a disk. What must stay:

- the archive of originals (``strata files get`` hands them out): never touched here;
- every copy of a layer that is not loaded with the content it was validated from (it is still
  to be validated or loaded; validation of a later layer also reads the earlier unloaded layers'
  newest copies or their mapped passport.csv, pipelines.intake.registered_layers.earlier_copies);
- the newest registration's copy of every layer, loaded or not: raw_layer reads that one
  (pipelines.intake.registered_layers.newest_layer), so any layer can be validated again.

Inside the mapped rows that stay, the validation chain saved by a layer (``chain.npz``, tens of
bytes a row) is resumed only from the layer loaded last (pipelines.validation.chain_store): the
chains of the layers loaded before it go.

So a layer's copy in one export is removed once the layer is loaded and a newer registration
holds the same version in a copy of its own; a copy a newer registration refers to stays
(sql/intake/spent_layer_copies.sql). Leftovers of interrupted work go
too: spool folders no registration owns (a killed split), extraction scratch, half-copied
archive files.

When: after a registration commits and after a layer's load commits (the callers: `strata
register`, `strata load`, the loaded_layer asset). Never under a reader: registration, validation
and the load hold the SPOOLS advisory lock shared while they read or write spools; tidying takes
it exclusively and only if it is free at once, else it leaves everything for the next time
(nothing is lost by waiting, and no run ever waits for the housekeeping).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg.pq import TransactionStatus

from pipelines.core import locks
from pipelines.core.exceptions import StrataError
from pipelines.core.settings import StrataHome
from pipelines.db.sql_text import read_sql
from pipelines.intake.spools import CHAIN_STATE, MAPPED_SUFFIX

WORK = "work"  # STRATA_HOME/work: extraction scratch of registrations (pipelines.intake.registration)
INCOMING = ".incoming-"  # an archive copy not finished yet (pipelines.intake.archive.ArchiveCopy)


@dataclass
class Tidied:
    """What one round of housekeeping removed (or why it removed nothing)."""

    layer_copies: list[str] = field(default_factory=list)  # "2026-01 of export.json (file 3)"
    leftovers: list[str] = field(default_factory=list)  # paths relative to STRATA_HOME
    chain_states: int = 0  # saved validation chains of layers loaded before the last one
    freed_bytes: int = 0
    deferred: bool = False  # a run was reading spools: nothing removed this time
    skipped: str = ""  # why the housekeeping could not run (the database was away, ...)

    @property
    def worth_saying(self) -> bool:
        """Whether a terminal should hear of it (a run's log hears every round)."""
        return bool(self.layer_copies or self.leftovers or self.chain_states or self.deferred or self.skipped)

    def summary(self) -> str:
        if self.skipped:
            return f"disk housekeeping skipped ({self.skipped}); the next registration or load tries again"
        if self.deferred:
            return "disk housekeeping deferred: a registration, validation or load is using the spools"
        parts: list[str] = []
        if self.layer_copies:
            parts.append(f"{len(self.layer_copies)} loaded layer copies superseded by a newer export")
        if self.chain_states:
            parts.append(f"{self.chain_states} validation chains of layers loaded before the last")
        if self.leftovers:
            parts.append(f"{len(self.leftovers)} leftovers of interrupted work")
        if not parts:
            return "disk housekeeping: nothing to remove"
        return f"disk housekeeping: removed {' and '.join(parts)}, {self.freed_bytes / 1e6:,.1f} MB freed"


@contextmanager
def reading_spools(conn: psycopg.Connection) -> Iterator[None]:
    """Hold the spools against housekeeping for work that spans transactions (a validation).

    A session-level lock outlives commits and rollbacks, so the caller's transactions keep
    the meaning they had: a lock taken between transactions is committed at once, and the
    unlock's own transaction is committed only when the work succeeded from an idle start."""
    idle = conn.info.transaction_status == TransactionStatus.IDLE
    conn.execute(locks.SESSION_LOCK_SHARED, (locks.SPOOLS,))
    if idle:
        conn.commit()
    try:
        yield
    except BaseException:
        _unlock_shared(conn, commit=False)
        raise
    _unlock_shared(conn, commit=idle)


def _unlock_shared(conn: psycopg.Connection, *, commit: bool) -> None:
    if conn.closed or conn.broken:
        return  # the lock ended with the session
    if conn.info.transaction_status == TransactionStatus.INERROR:
        conn.rollback()  # an aborted transaction runs no statement; the error doomed it already
    conn.execute(locks.SESSION_UNLOCK_SHARED, (locks.SPOOLS,))
    if commit:
        conn.commit()


def tidy_after_commit(
    connect: Callable[[], AbstractContextManager[psycopg.Connection]], home: StrataHome
) -> Tidied:
    """``tidy_spools`` on a connection of its own. Never raises: the work before it (a
    registration, a load) is committed and must not fail for the housekeeping."""
    try:
        with connect() as conn:
            return tidy_spools(conn, home)
    except (psycopg.Error, StrataError, OSError) as exc:
        return Tidied(skipped=str(exc))


def tidy_spools(conn: psycopg.Connection, home: StrataHome) -> Tidied:
    """Remove what nobody reads again (see the module's docstring); commits nothing but its lock."""
    if conn.info.transaction_status != TransactionStatus.IDLE:
        raise RuntimeError("tidy_spools runs between transactions: commit the caller's work first")
    got = conn.execute(locks.TRY_SESSION_LOCK, (locks.SPOOLS,)).fetchone()
    try:
        if not got or not got[0]:
            return Tidied(deferred=True)
        tidied = Tidied()
        _remove_spent_copies(conn, home, tidied)
        _remove_spent_chains(conn, home, tidied)
        _remove_leftovers(conn, home, tidied)
        return tidied
    finally:
        if got and got[0]:
            conn.execute(locks.SESSION_UNLOCK, (locks.SPOOLS,))
        conn.commit()


def _remove_spent_copies(conn: psycopg.Connection, home: StrataHome, tidied: Tidied) -> None:
    emptied: set[Path] = set()
    ours = home.spool.resolve()  # as registration.py: the home may be reached through a link
    for file_id, name, version, spool_path in conn.execute(read_sql("intake/spent_layer_copies")):
        spool = Path(spool_path)
        if not spool.resolve().is_relative_to(ours):
            continue  # registered under another STRATA_HOME: not ours to remove
        freed = _remove(spool) + _remove(spool.parent / f"{version}{MAPPED_SUFFIX}")
        if freed:
            tidied.layer_copies.append(f"{version} of {name} (file {file_id})")
            tidied.freed_bytes += freed
        emptied.add(spool.parent)
    for folder in emptied:
        if folder.is_dir() and not any(folder.glob("*.jsonl")):  # only the split's manifest is left
            tidied.freed_bytes += _remove(folder)


def _remove_spent_chains(conn: psycopg.Connection, home: StrataHome, tidied: Tidied) -> None:
    ours = home.spool.resolve()
    for (mapped_path,) in conn.execute(read_sql("intake/spent_chain_states")):
        state = Path(mapped_path) / CHAIN_STATE
        if state.resolve().is_relative_to(ours) and state.is_file():
            tidied.freed_bytes += _remove(state)
            tidied.chain_states += 1


def _remove_leftovers(conn: psycopg.Connection, home: StrataHome, tidied: Tidied) -> None:
    """Under the exclusive lock no registration is running, so what no row owns is a leftover."""
    owned = {sha for (sha,) in conn.execute(read_sql("intake/registered_shas"))}
    candidates = [p for p in _children(home.spool) if p.name not in owned]
    candidates += _children(home.root / WORK)
    candidates += [p for p in home.archive.glob(f"{INCOMING}*") if p.is_file()]
    for path in candidates:
        freed = _remove(path)
        tidied.leftovers.append(str(path.relative_to(home.root)))
        tidied.freed_bytes += freed


def _children(folder: Path) -> list[Path]:
    return sorted(folder.iterdir()) if folder.is_dir() else []


def _remove(path: Path) -> int:
    """Delete a file or a folder; the bytes it held (0 if it was gone already)."""
    size = disk_bytes(path)
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    except FileNotFoundError:
        pass
    except OSError:
        return size - disk_bytes(path)  # what could not go stays for the next round
    return size


def disk_bytes(path: Path) -> int:
    """Bytes of a file, or of every file under a folder (0 if absent)."""
    try:
        if path.is_file():
            return path.stat().st_size
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    except FileNotFoundError:
        return 0
