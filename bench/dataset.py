"""The bench export: generated once per set of generator arguments, then reused.

A 1 GB export takes minutes to generate, so it is cached under ``bench-data/`` in a folder
named by the arguments (``export-p400000-l12-s7``); a ``.complete`` marker is written
last, so an interrupted generation is redone rather than half-used. The generator is the
shared reference one (``../shared/datagen/make_export.py``, it also writes truth.json);
without it we fall back to ``pipelines.sample.export``, which has no size knob worth benching,
so we stop with a clear message instead of measuring a toy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench-data"
GENERATOR = ROOT.parent / "shared" / "datagen" / "make_export.py"
MARKER = ".complete"
DEFAULT_PASSPORTS, DEFAULT_LAYERS, SEED = 280_000, 12, 7  # ≈ 1.1 GB of JSON


@dataclass(frozen=True)
class BenchExport:
    """A generated export with its reference data (seeded before the first load)."""

    folder: Path
    passports: int
    layers: int
    seed: int

    @property
    def export(self) -> Path:
        return self.folder / "export.json"

    @property
    def reference(self) -> Path:
        return self.folder / "reference"

    @property
    def size(self) -> int:
        return self.export.stat().st_size

    @property
    def command(self) -> str:
        return (
            f"make_export.py {self.folder.relative_to(ROOT)} --passports {self.passports} "
            f"--layers {self.layers} --seed {self.seed}"
        )


def packed(bench: BenchExport) -> Path:
    """``export.7z`` beside the export (made once with the 7-Zip command line, else py7zr)."""
    archive = bench.folder / "export.7z"
    if archive.is_file():
        return archive
    partial = bench.folder / ".export.7z.part"
    partial.unlink(missing_ok=True)
    tool = shutil.which("7zz") or shutil.which("7z")
    print(f"bench: packing {archive} with {tool or 'py7zr'} (once) ...", flush=True)
    if tool:
        subprocess.run(
            [tool, "a", "-bd", "-t7z", "-mx=5", str(partial), "export.json"],
            cwd=bench.folder,
            check=True,
            capture_output=True,
        )
    else:
        import py7zr

        with py7zr.SevenZipFile(partial, "w") as z:
            z.write(bench.export, "export.json")
    partial.rename(archive)
    return archive


def requested() -> tuple[int, int]:
    """BENCH_PASSPORTS / BENCH_LAYERS override the ≥1 GB default (develop against a small export)."""
    return (
        int(os.environ.get("BENCH_PASSPORTS", DEFAULT_PASSPORTS)),
        int(os.environ.get("BENCH_LAYERS", DEFAULT_LAYERS)),
    )


def ensure_export(passports: int, layers: int, seed: int = SEED) -> BenchExport:
    """The cached export for these arguments, generating it when missing or unfinished."""
    bench = BenchExport(DATA / f"export-p{passports}-l{layers}-s{seed}", passports, layers, seed)
    if (bench.folder / MARKER).is_file() and bench.export.is_file():
        return bench
    if not GENERATOR.is_file():
        raise SystemExit(
            f"bench: the reference generator {GENERATOR} is absent (../shared is not checked out "
            "next to this clone). pipelines.sample.export writes only a small demo export, too small to "
            "benchmark; put ../shared/datagen in place, or copy a generated folder with "
            f"export.json + reference/ to {bench.folder} and create {MARKER} in it."
        )
    bench.folder.mkdir(parents=True, exist_ok=True)
    (bench.folder / MARKER).unlink(missing_ok=True)
    print(f"bench: generating {bench.command} (once; cached in {bench.folder.name}) ...", flush=True)
    subprocess.run(
        [
            sys.executable,
            str(GENERATOR),
            str(bench.folder),
            "--passports",
            str(passports),
            "--layers",
            str(layers),
            "--seed",
            str(seed),
        ],
        check=True,
    )
    (bench.folder / MARKER).write_text("ok\n")
    return bench
