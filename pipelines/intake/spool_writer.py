"""One layer's spool as the split writes it, and what a finished split leaves behind.

The split (pipelines.intake.split) streams reports into a ``SpoolWriter`` per layer: it hashes
every byte (the sha256 is the layer's content hash) and writes them only when no registered
copy of that version may hold the same content. A finished split leaves its spool folder with
a manifest (``read_manifest``), moved into place in one rename (``move_into_place``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import orjson

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class LayerSpool:
    """One layer of an export, spooled: what later steps read instead of the export."""

    version: str  # "YYYY-MM"
    released_at: str | None
    path: Path  # JSON lines: one report per line, orjson.dumps of the report as parsed
    reports: int
    bytes: int
    sha256: str  # of the spool file's bytes: the layer's content hash
    reused: bool = False  # nothing written: ``path`` is the copy an earlier registration made


Known = Mapping[str, Mapping[str, Path]]  # version -> content sha256 -> an existing spool of it


def read_manifest(spool_dir: Path) -> list[LayerSpool]:
    """The layers of a finished split, sorted by version: written ones inside ``spool_dir``,
    reused ones where the earlier copy is (an absolute path)."""
    doc = orjson.loads((Path(spool_dir) / MANIFEST).read_bytes())
    return [LayerSpool(**{**row, "path": Path(spool_dir) / row["path"]}) for row in doc["layers"]]


def move_into_place(tmp: Path, final: Path) -> None:
    """Two renames on one filesystem: readers find the old spools, briefly none, or the new
    ones, never a mix of both or a half-written layer."""
    old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}") if final.exists() else None
    if old is not None:
        final.rename(old)
    try:
        tmp.rename(final)
    except BaseException:
        if old is not None:
            old.rename(final)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


class SpoolWriter:
    """One layer's spool while it is split: named by layer number until its version is known.

    Nothing is opened until the first reports arrive; by then the version is usually known,
    and a version with registered copies is only hashed (``candidates``), not written."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file: BinaryIO | None = None
        self.candidates: Mapping[str, Path] | None = None
        self.decided, self.version = False, ""  # the version the candidates are copies of
        self.sha, self.reports, self.bytes = hashlib.sha256(), 0, 0

    def decide(self, version: str, candidates: Mapping[str, Path] | None) -> None:
        """Write (no copy of this version is registered, or the version is not known yet) or only hash."""
        self.decided, self.version, self.candidates = True, version, candidates
        if candidates is None:
            self.file = open(self.path, "wb")

    def write(self, data: bytes, reports: int) -> None:
        if self.file is not None:
            self.file.write(data)
        self.sha.update(data)
        self.reports += reports
        self.bytes += len(data)

    def close(self, version: str, final: Path) -> tuple[Path | None, str]:
        """Where the layer's bytes are (None: a known version with new content) and their sha256."""
        digest = self.sha.hexdigest()
        if self.file is None:
            assert self.candidates is not None
            return (self.candidates.get(digest) if version == self.version else None), digest
        self.file.close()
        os.replace(self.path, final)
        return final, digest

    def discard(self) -> None:
        if self.file is not None:
            self.file.close()
