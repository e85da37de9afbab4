"""Noticing exports dropped into a folder, once each, only after they stopped growing.

The cursor remembers each file by name, size and modification time: a file seen
before is not handled again unless its bytes changed. A file younger than the
settle time may still be copied in, so it waits for a later tick.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.intake.registration import FORMATS


@dataclass
class DropCursor:
    seen: dict[str, str] = field(default_factory=dict)  # file name → "size:mtime_ns"

    @classmethod
    def parse(cls, cursor: str | None) -> DropCursor:
        return cls(seen=json.loads(cursor)) if cursor else cls()

    def dump(self) -> str:
        return json.dumps(self.seen, sort_keys=True)


def _stamp(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def new_files(
    folder: Path, cursor: DropCursor, settle_seconds: float, now: float | None = None
) -> list[Path]:
    """Settled export files (by extension) whose name/size/mtime the cursor has not seen, oldest first."""
    if not folder.is_dir():
        return []
    now = time.time() if now is None else now
    found = []
    for path in folder.iterdir():
        if not path.is_file() or path.name.startswith(".") or path.suffix.lower() not in FORMATS:
            continue
        if cursor.seen.get(path.name) == _stamp(path):
            continue
        if now - path.stat().st_mtime < settle_seconds:
            continue
        found.append(path)
    return sorted(found, key=lambda p: (p.stat().st_mtime_ns, p.name))


def mark_seen(cursor: DropCursor, path: Path) -> None:
    cursor.seen[path.name] = _stamp(path)
