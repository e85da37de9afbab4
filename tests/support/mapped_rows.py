"""Reading a layer's mapped CSVs as the load sends them: whole, or only the ranges still to stage."""

from __future__ import annotations

import csv
import io
from array import array
from pathlib import Path

import orjson


def mapped_rows(folder: Path, table: str, only_staged: bool = False) -> list[list[str]]:
    """The rows of ``table``'s CSV; ``only_staged``: those of its ``.staged`` ranges, if it has any."""
    manifest = orjson.loads((folder / "manifest.json").read_bytes())
    data = (folder / manifest[table]["file"]).read_bytes()
    staged = manifest[table].get("staged")
    if only_staged and staged:
        ranges = array("Q")
        ranges.frombytes((folder / staged["file"]).read_bytes())
        data = b"".join(data[ranges[i] : ranges[i + 1]] for i in range(0, len(ranges), 2))
    rows = list(csv.reader(io.StringIO(data.decode(), newline="")))
    if only_staged and staged:
        assert len(rows) == staged["rows"], (table, len(rows), staged["rows"])
    return rows


def left_out(folder: Path, table: str) -> set[str]:
    """The ext_ids (first column) of the rows the chain marked unchanged."""
    every = {row[0] for row in mapped_rows(folder, table)}
    return every - {row[0] for row in mapped_rows(folder, table, only_staged=True)}
