"""Reading layer spools: ``spool_dir/<version>.jsonl``, one report per line (pipelines.intake.split).

Validation needs, besides the layer itself, the passport ids of earlier layers that
are validated but not yet loaded: a parent may live there. Layers validate in order,
so an earlier layer's mapped rows usually exist beside its spool
(``<version>.mapped/passport.csv``, first column ext_id): reading that one column is
~10x cheaper than parsing the spool again, and without it validating all L layers of an
export before loading them re-parsed L(L-1)/2 spools (quadratic: 66 spool parses for 12
layers). The mapped file is used only when its manifest's row count matches what is
read; otherwise (never validated, half written) the spool is parsed, one ``orjson.loads``
per line. Both give the same set for every id a parent reference can name: the mapped
file holds every report whose id is non-blank text, once; the spool parse may also
hold a whitespace-only id, which no reference can match (a blank reference is empty).
Memory is bounded by the ids.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Final

import orjson

from pipelines.core.exceptions import TerminalError

SUFFIX: Final = ".jsonl"
MAPPED_SUFFIX: Final = (
    ".mapped"  # pipelines.validation.registered.mapped_dir: <version>.mapped beside the spool
)
CHAIN_STATE: Final = "chain.npz"  # in a mapped folder: the chain saved after it (validation.chain_store)
ROOT_TABLE: Final = "passport"
VERSION: Final = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
BUFFER: Final = 1 << 20


def version_of(spool: Path) -> str:
    """``.../2026-03.jsonl`` -> ``2026-03``; anything else is refused."""
    if spool.suffix != SUFFIX or not VERSION.fullmatch(spool.stem):
        raise TerminalError(f"{spool}: a layer spool is named YYYY-MM{SUFFIX}")
    return spool.stem


def spool_versions(spool_dir: Path) -> list[str]:
    """The versions spooled in ``spool_dir``, oldest first (YYYY-MM sorts as text)."""
    return sorted(p.stem for p in spool_dir.glob(f"*{SUFFIX}") if VERSION.fullmatch(p.stem))


def read_lines(spool: Path) -> Iterator[tuple[int, bytes]]:
    """(line number, raw line) for every non-blank line."""
    with open(spool, "rb", buffering=BUFFER) as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                yield number, line


def passport_ids(spool: Path, id_key: str = "id") -> set[str]:
    """Every report id of one spool (lines that do not parse are skipped: their layer reports them)."""
    ids: set[str] = set()
    for _, line in read_lines(spool):
        try:
            report = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        ext = report.get(id_key) if isinstance(report, dict) else None
        if isinstance(ext, str) and ext:
            ids.add(ext)
    return ids


def mapped_passport_ids(spool: Path) -> set[str] | None:
    """The ext_ids of the layer's mapped passport rows, or None when they are absent or incomplete."""
    folder = spool.with_suffix(MAPPED_SUFFIX)
    try:
        entry = orjson.loads((folder / "manifest.json").read_bytes())[ROOT_TABLE]
        if entry["columns"][0] != "ext_id":
            return None
        with open(folder / entry["file"], newline="", encoding="utf-8", buffering=BUFFER) as handle:
            ids = [row[0] for row in csv.reader(handle)]
    except (OSError, ValueError, KeyError, IndexError, TypeError, csv.Error):
        return None
    return set(ids) if len(ids) == entry["rows"] else None


def earlier_passport_ids(spool_dir: Path, version: str, *, after: str | None = None) -> set[str]:
    """Passport ids of the layers spooled in ``spool_dir`` older than ``version`` and newer than ``after``.

    ``after`` is the last loaded version (its passports are in our database already),
    so only layers that are validated but not yet loaded are read.
    """
    earlier = [v for v in spool_versions(spool_dir) if v < version and (after is None or v > after)]
    return passport_ids_in(spool_dir / f"{v}{SUFFIX}" for v in earlier)


def passport_ids_in(spools: Iterable[Path]) -> set[str]:
    """Passport ids of these layer spools, from their mapped rows when complete."""
    ids: set[str] = set()
    for spool in spools:
        mapped = mapped_passport_ids(spool)
        ids |= passport_ids(spool) if mapped is None else mapped
    return ids
