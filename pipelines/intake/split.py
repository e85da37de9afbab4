"""Split an export into one JSON-lines spool per layer, reading the document once as a stream.

Why this design (measured on the 183 MB bench export; figures in the test module's
docstring): ijson's C ``items`` generator is its only fast path; handing every parse event
to Python, or pushing events through ijson's coroutines, runs at half the speed or less.
So the C builder builds the whole document (``items(f, "")``) and we keep the tree small.
The builder attaches each container to its parent the moment it starts, so between two
reads of the file the tree is consistent: every report of a ``reports`` list but the
last is finished, and every layer but the last is finished. Reading is therefore the
hook (``ExportReader(before_read=...)``): before the parser gets its next block, finished
reports move to their layer's spool and finished layers are closed and dropped
(``map_type`` only catches the root dict). Memory stays at about one block plus one
report. Accepted limit: an unknown key's value is held whole while it is parsed.

Every month's export holds every earlier layer again. ``known`` names the layer copies
registered already (version -> content sha256 -> spool): a layer whose version is known by
the time its first reports are drained (the portal writes ``version`` before ``reports``)
is only hashed, nothing is written for it, and when it closes with a known digest the
existing copy stands for it (``LayerSpool.reused``). A known version that closes with a
new digest (the portal changed an older layer) has no bytes on disk: the split runs again
with that version written, so such a layer is spooled exactly as before (a rare second pass,
BENCHMARKS.md). The sha256 of the spool bytes is the layer's content hash either way.
"""

from __future__ import annotations

import gc
import re
import shutil
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, replace
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

import ijson
import orjson

from pipelines.core.exceptions import ExportFormatError
from pipelines.core.progress import Meter, Progress
from pipelines.intake.source import ExportReader, check_free_space, open_export
from pipelines.intake.spool_writer import MANIFEST, Known, LayerSpool, SpoolWriter, move_into_place

READ_SIZE = 64 * 1024  # larger blocks were slower: more events held between drains (BENCHMARKS.md)
VERSION = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_MISSING: Any = object()
_dump_line = partial(orjson.dumps, option=orjson.OPT_APPEND_NEWLINE)


def split_export(
    export: Path,
    spool_dir: Path,
    *,
    known: Known | None = None,
    progress: Progress | None = None,
    between_blocks: Callable[[], None] | None = None,
) -> list[LayerSpool]:
    """Write ``spool_dir/<version>.jsonl`` per layer plus ``manifest.json``; return layers by version.

    All or nothing: spools go to a temporary sibling of ``spool_dir`` that is renamed into
    place only once the whole export proved valid (replacing an existing ``spool_dir``).
    On any error nothing new is left behind. A layer found in ``known`` with the same
    content is not written (see the module's docstring). ``progress`` hears the bytes read
    of the JSON, with layers and reports spooled so far. ``between_blocks`` runs before each
    block is read (the registration dedupes there as soon as its hash is known; what it raises
    stops the split, leaving nothing).
    """
    export, spool_dir = Path(export), Path(spool_dir)
    spool_dir.parent.mkdir(parents=True, exist_ok=True)
    known = dict(known or {})
    while True:
        layers, changed = _split_once(export, spool_dir, known, progress or Progress(), between_blocks)
        if not changed:
            return layers
        for version in changed:  # known, but with other content: written on the next pass
            known.pop(version, None)


def _split_once(
    export: Path,
    spool_dir: Path,
    known: Known,
    progress: Progress,
    between_blocks: Callable[[], None] | None,
) -> tuple[list[LayerSpool], list[str]]:
    """One pass; when a known version closed with new content, nothing is kept and it is named."""
    parent = spool_dir.parent
    with open_export(export) as source:
        # what the new spools may need: the JSON, less the layers likely to be found unchanged
        needed = max(source.size - _likely_unchanged(known), 0)
        check_free_space(parent, needed, f"splitting {source.name} into layer spools")
        tmp = parent / f".{spool_dir.name}.tmp-{uuid.uuid4().hex[:12]}"
        tmp.mkdir()  # not mkdtemp: the spools get the usual permissions, not 0700
        try:
            meter = progress.meter("split", source.name, source.size, "bytes")
            splitter = _Splitter(source.name, tmp, source.stream, meter, known, between_blocks)
            meter.describe = splitter.counted
            with _gc_paused():
                splitter.run()
            if splitter.changed:
                shutil.rmtree(tmp, ignore_errors=True)
                return [], splitter.changed
            meter.finish()
            layers = sorted(splitter.spools, key=lambda s: s.version)
            manifest = {
                "export": source.name,
                **splitter.top,
                "layers": [{**asdict(s), "path": str(s.path) if s.reused else s.path.name} for s in layers],
            }
            (tmp / MANIFEST).write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
            move_into_place(tmp, spool_dir)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return [s if s.reused else replace(s, path=spool_dir / s.path.name) for s in layers], []


def _likely_unchanged(known: Known) -> int:
    """Bytes of the known layers' smallest copies: what the spools will probably not need."""
    total = 0
    for copies in known.values():
        sizes = [p.stat().st_size for p in copies.values() if p.is_file()]
        total += min(sizes, default=0)
    return total


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The split allocates millions of short-lived, acyclic dicts and lists: refcounting frees
    them all, and the cyclic collector would only spend time scanning them (BENCHMARKS.md)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _kind(value: object) -> str:
    kinds = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    return kinds.get(type(value), "a number")


class _Splitter:
    """One pass over one export: before each block is read, the tree is drained."""

    def __init__(
        self,
        name: str,
        out_dir: Path,
        stream: BinaryIO,
        meter: Meter,
        known: Known,
        between_blocks: Callable[[], None] | None = None,
    ) -> None:
        self.name, self.out_dir, self.meter, self.known = name, out_dir, meter, known
        self.between_blocks = between_blocks
        self.spools: list[LayerSpool] = []
        self.changed: list[str] = []  # known versions that closed with new content
        self.top: dict[str, str | None] = {}
        self._reader = ExportReader(name, stream, self._drain)
        self._roots: list[dict[str, Any]] = []
        self._seen: dict[str, int] = {}  # version -> layer number, to name repeats
        self._layers: list[Any] | None = None  # the root's "layers" list, once started
        self._reports: list[Any] | None = None  # the current layer's "reports", once started
        self._number = 0  # 1-based number of the current layer
        self._spool: SpoolWriter | None = None
        self._ended = False

    def run(self) -> None:
        roots = self._roots

        def new_map() -> dict[str, Any]:
            """ijson's map_type: a plain dict, but remember the first one, the root."""
            mapping: dict[str, Any] = {}
            if not roots:
                roots.append(mapping)
            return mapping

        try:
            for _ in ijson.items(self._reader, "", map_type=new_map, use_float=True, buf_size=READ_SIZE):
                pass
            self._ended = True
            self._drain()
            self._check_top()
        except ijson.common.JSONError as exc:
            raise self._reader.json_error(exc) from None
        finally:
            if self._spool is not None:
                self._spool.discard()

    def _error(self, layer: Any, detail: str) -> ExportFormatError:
        """An error in the current layer, named by number and, once known, version."""
        version = layer.get("version") if type(layer) is dict else None
        known = type(version) is str and VERSION.fullmatch(version)
        return ExportFormatError(
            self.name, f"layer {self._number}" + (f" ({version})" if known else ""), detail
        )

    def _check_top(self) -> None:
        if self._layers is None:
            raise self._reader.error('the document has no "layers" list')
        for key in ("source", "exported_at"):
            value = self._roots[0].get(key)
            if value is not None and type(value) is not str:
                raise self._reader.error(f'"{key}" must be a string, found {_kind(value)}')
            self.top[key] = value

    def counted(self) -> str:
        """Layers and reports spooled so far, for progress notes."""
        reports = sum(s.reports for s in self.spools) + (self._spool.reports if self._spool else 0)
        layers = len(self.spools)
        reused = sum(s.reused for s in self.spools)
        same = f" ({reused} unchanged, not written)" if reused else ""
        return f"{layers} layer{'' if layers == 1 else 's'} spooled{same}, {reports:,} reports"

    def _drain(self) -> None:
        """Move finished reports to the current spool; close and drop every finished layer."""
        if self.between_blocks is not None:
            self.between_blocks()
        self.meter.update(self._reader.position)
        layers = self._roots[0].get("layers", _MISSING) if self._roots else _MISSING
        if layers is _MISSING:
            return
        if layers is not self._layers:
            if self._layers is not None:
                raise self._reader.error('"layers" appears twice')
            if type(layers) is not list:
                raise self._reader.error(f'"layers" must be a list, found {_kind(layers)}')
            self._layers = layers
        while layers:
            layer, finished = layers[0], len(layers) > 1 or self._ended
            if self._spool is None:
                self._number += 1
                self._spool = SpoolWriter(self.out_dir / f"layer-{self._number:05d}.jsonl.part")
                self._reports = None
            if type(layer) is not dict:
                raise self._error(layer, f"a layer must be an object, found {_kind(layer)}")
            self._drain_reports(layer, self._spool, finished)
            if not finished:
                return
            self._close_layer(layer, self._spool)
            self._spool = None
            del layers[0]

    def _drain_reports(self, layer: dict[str, Any], spool: SpoolWriter, finished: bool) -> None:
        reports = layer.get("reports", _MISSING)
        if reports is _MISSING:
            if finished:
                raise self._error(layer, 'the layer has no "reports" list')
            return
        if reports is not self._reports:
            if self._reports is not None:
                raise self._error(layer, '"reports" appears twice in the layer')
            if type(reports) is not list:
                raise self._error(layer, f'"reports" must be a list, found {_kind(reports)}')
            self._reports = reports
        done = len(reports) if finished else len(reports) - 1  # the last may still be building
        if done <= 0:
            return
        if not spool.decided:
            spool.decide(*self._candidates(layer))
        batch = reports[:done]
        if set(map(type, batch)) != {dict}:
            k = next(i for i, r in enumerate(batch) if type(r) is not dict)
            raise self._error(
                layer, f"report {spool.reports + k + 1} must be an object, found {_kind(batch[k])}"
            )
        try:
            data = b"".join(map(_dump_line, batch))
        except orjson.JSONEncodeError as exc:  # e.g. an integer beyond 64 bits
            raise self._error(layer, f"a report cannot be re-encoded: {exc}") from None
        spool.write(data, done)
        del reports[:done]

    def _close_layer(self, layer: dict[str, Any], spool: SpoolWriter) -> None:
        version = layer.get("version", _MISSING)
        if version is _MISSING:
            raise self._error(layer, 'the layer has no "version"')
        if type(version) is not str or not VERSION.fullmatch(version):
            raise self._error(layer, f"malformed version {version!r}: expected YYYY-MM")
        if version in self._seen:
            raise self._error(layer, f"version {version} repeats layer {self._seen[version]}")
        released_at = layer.get("released_at")
        if released_at is not None and type(released_at) is not str:
            raise self._error(layer, f'"released_at" must be a string or null, found {_kind(released_at)}')
        if not spool.decided:  # a layer without reports, or its version after them
            spool.decide(*self._candidates(layer))
        where, digest = spool.close(version, self.out_dir / f"{version}.jsonl")
        self._seen[version] = self._number
        if where is None:
            self.changed.append(spool.version)  # not a copy of it: the next pass writes that version
            return
        reused = where.parent != self.out_dir
        self.spools.append(
            LayerSpool(version, released_at, where, spool.reports, spool.bytes, digest, reused)
        )

    def _candidates(self, layer: dict[str, Any]) -> tuple[str, Mapping[str, Path] | None]:
        """The layer's version so far and its registered copies (None: write the layer)."""
        version = layer.get("version")
        if type(version) is not str:
            return "", None
        return version, self.known.get(version) or None
