"""What a chained validation worker writes beside the mapped rows, written here by hand.

``chain.json`` names the validation and those before it; ``<table>.staged`` holds the byte
ranges of the rows that need staging. The rows left out are whole passports: a passport whose
own row and every row under it (maintenance, measurements, crew, signs) are byte for byte those
of the previous layer. Leaving out whole passports keeps what the load's statements need: a staged
child always finds its enclosing parent staged, and a staged owner all its links.
"""

from __future__ import annotations

import csv
import uuid
from array import array
from collections import defaultdict
from pathlib import Path

import orjson

from pipelines.contract.declarations import ENTITIES

# table -> (the column naming the row's parent, the parent's table); passports are their own families
PARENTS = {
    "maintenance": ("passport_ext_id", "passport"),
    "sign": ("passport_ext_id", "passport"),
    "measurement": ("maintenance_ext_id", "maintenance"),
}
LINK_OWNERS = {
    link.table: (link.owner_ext_column, entity.table) for entity in ENTITIES for link in entity.links
}
TABLES = (*(entity.table for entity in ENTITIES), *LINK_OWNERS)


def manifest(folder: Path) -> dict:
    return orjson.loads((folder / "manifest.json").read_bytes())


def write_chain(folder: Path, after: list[str] | None = None) -> str:
    """Give the folder's validation an id (returned) and the chain before it."""
    validation = str(uuid.uuid4())
    chain: dict = {"validation": validation}
    if after is not None:
        chain["after"] = after
    (folder / "chain.json").write_bytes(orjson.dumps(chain))
    return validation


def row_ranges(data: bytes) -> list[tuple[int, int]]:
    """The byte range of every CSV row (a line end inside quotes belongs to its field)."""
    ranges, start, quoted = [], 0, False
    for i, byte in enumerate(data):
        if byte == 0x22:
            quoted = not quoted
        elif byte == 0x0A and not quoted:
            ranges.append((start, i + 1))
            start = i + 1
    if start < len(data):
        ranges.append((start, len(data)))
    return ranges


def _rows(folder: Path, table: str) -> list[tuple[tuple[int, int], bytes, list[str]]]:
    data = (folder / manifest(folder)[table]["file"]).read_bytes()
    rows = []
    for start, end in row_ranges(data):
        raw = data[start:end]
        rows.append(((start, end), raw, next(csv.reader([raw.decode()]))))
    return rows


def _families(folder: Path) -> dict[str, dict[str, list]]:
    """Per passport ext_id, per table, its rows: (byte range, bytes)."""
    columns = manifest(folder)
    owner: dict[tuple[str, str], str] = {}  # (table, ext_id) of a passport, maintenance -> its passport
    families: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for table in ("passport", "maintenance", "measurement", "sign", *LINK_OWNERS):
        names = columns[table]["columns"]
        parent = PARENTS.get(table) or LINK_OWNERS.get(table)
        for span, raw, values in _rows(folder, table):
            row = dict(zip(names, values, strict=True))
            passport = row["ext_id"] if parent is None else owner[(parent[1], row[parent[0]])]
            if "ext_id" in row:
                owner[(table, row["ext_id"])] = passport
            families[passport][table].append((span, raw))
    return families


def write_staged(folder: Path, previous: Path) -> int:
    """Write every table's staged ranges: the passports not byte-identical to ``previous``'s; the
    rows left out."""
    current, before = _families(folder), _families(previous)
    keep: dict[str, list[tuple[int, int]]] = {table: [] for table in TABLES}
    for passport, tables in current.items():
        old = before.get(passport, {})
        same = all(
            sorted(r for _, r in tables.get(t, [])) == sorted(r for _, r in old.get(t, [])) for t in TABLES
        )
        if not same:
            for table, rows in tables.items():
                keep[table] += [span for span, _ in rows]
    entries = manifest(folder)
    left_out = 0
    for table in TABLES:
        spans = sorted(keep[table])
        flat = array("Q", [offset for span in _merged(spans) for offset in span])
        (folder / f"{table}.staged").write_bytes(flat.tobytes())
        entries[table]["staged"] = {"file": f"{table}.staged", "rows": len(spans)}
        left_out += entries[table]["rows"] - len(spans)
    (folder / "manifest.json").write_bytes(orjson.dumps(entries))
    return left_out


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Adjacent ranges as one, as a worker would write them."""
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and merged[-1][1] == start:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def left_out_rows(folder: Path, table: str) -> list[dict[str, str]]:
    """The rows of ``table`` its staged ranges leave out, as column -> value."""
    entry = manifest(folder)[table]
    flat = array("Q")
    flat.frombytes((folder / entry["staged"]["file"]).read_bytes())
    spans = [(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)]
    return [
        dict(zip(entry["columns"], values, strict=True))
        for (start, end), _, values in _rows(folder, table)
        if not any(s <= start and end <= e for s, e in spans)
    ]
