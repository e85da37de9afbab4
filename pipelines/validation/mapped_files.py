"""The mapped rows of a layer: one COPY-ready CSV per table, written during validation.

Validation already converts every value (enum ids, profile ids, ISO dates, decimals
with a point), so it writes the converted rows once and the loader COPYs them
without converting anything again: ``COPY t (columns) FROM STDIN (FORMAT csv)``,
no header, an empty unquoted field is NULL. The column lists come from the import
declarations and are repeated in ``manifest.json`` beside the files.

An entity row ends with one more column, ``digest``: the row's import digest as PostgreSQL
would compute it (pipelines.contract.row_digest), so the load's single backend does not
hash every staged row. The manifest records the staging types it was computed for; the
loader refuses the files when the catalog's types differ (the layer is validated again).

The files are only loadable when the layer validated without errors: a cell whose
value was an error is empty, and a duplicated record's second copy is left out.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Final

import orjson

from pipelines.contract.declarations import Entity
from pipelines.contract.row_digest import DIGEST_COLUMN, Digest, digest_types, row_digest

BUFFER: Final = 1 << 20
MANIFEST: Final = "manifest.json"
LINE_END: Final = "\r\n"  # see MappedFiles.__enter__
RowWriter = Callable[[Sequence[object]], object]


class _CountedBytes:
    """A file that takes text and answers each write with the bytes written (csv.writer's
    ``writerow`` returns it): a text file answers characters, and a row's byte ranges are
    what the load sends of it (pipelines.validation.import_chain)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._write = raw.write

    def write(self, text: str) -> int:
        data = text.encode()
        self._write(data)
        return len(data)


class MappedFiles:
    """Open CSV writers for every entity table and link table of the declarations."""

    def __init__(
        self,
        folder: Path,
        entities: Iterable[Entity],
        types: dict[str, dict[str, str]],
        count_bytes: bool = False,
    ) -> None:
        """``types``: per entity table, its staging types (``row_digest.read_stage_types``).
        ``count_bytes``: each writer returns the bytes of the row it wrote."""
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.count_bytes = count_bytes
        self.columns: dict[str, tuple[str, ...]] = {}
        self.digest_types: dict[str, list[str]] = {}
        self.digests: dict[str, Digest] = {}
        for entity in entities:
            self.columns[entity.table] = (*entity.columns, DIGEST_COLUMN)
            self.digest_types[entity.table] = digest_types(entity, types[entity.table])
            self.digests[entity.table] = row_digest(entity, types[entity.table])
            for link in entity.links:
                self.columns[link.table] = link.columns
        self.paths = {table: folder / f"{table}.csv" for table in self.columns}
        self._files: dict[str, IO[str] | IO[bytes]] = {}
        self._writers: dict[str, RowWriter] = {}

    def __enter__(self) -> MappedFiles:
        for table, path in self.paths.items():
            handle: IO[str] | _CountedBytes
            if self.count_bytes:
                raw = open(path, "wb", buffering=BUFFER)
                self._files[table], handle = raw, _CountedBytes(raw)
            else:
                handle = open(path, "w", newline="", encoding="utf-8", buffering=BUFFER)
                self._files[table] = handle
            # QUOTE_MINIMAL quotes text holding a comma, a quote or a character of the line
            # terminator; None is an empty field. The terminator is \r\n so that a lone carriage
            # return in text (an old Mac editor's line break) is quoted too: with \n alone it
            # went out bare and COPY read it as the end of the row.
            self._writers[table] = csv.writer(handle, lineterminator=LINE_END).writerow
        return self

    def writer(self, table: str) -> RowWriter:
        return self._writers[table]

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        for handle in self._files.values():
            handle.close()
        self._files.clear()

    def write_manifest(self, counts: dict[str, int], staged: dict[str, int] | None = None) -> Path:
        """Tables, files, column lists, row counts and digest types, for the loader and for people;
        ``staged``: per table, the rows its ``<table>.staged`` ranges hold (import_chain)."""
        manifest: dict[str, dict[str, object]] = {
            table: {"file": path.name, "columns": list(self.columns[table]), "rows": counts.get(table, 0)}
            for table, path in self.paths.items()
        }
        for table, types in self.digest_types.items():
            manifest[table]["digest_types"] = types
        for table, rows in (staged or {}).items():
            manifest[table]["staged"] = {"file": f"{table}.staged", "rows": rows}
        path = self.folder / MANIFEST
        path.write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
        return path
