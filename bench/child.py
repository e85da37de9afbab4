"""Run one bench stage in a child process and read its own wall time and peak RSS.

A stage is ``module:function`` taking a JSON-able dict and returning one. The parent
starts ``python -m bench.child`` (or any command, e.g. the `strata` CLI) and reaps it
with ``os.wait4``, which returns that one child's ``ru_maxrss``: per stage, unlike
``RUSAGE_CHILDREN``, which is the maximum over every child reaped so far. The database
server is a separate, already running process: its memory is not the stage's.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson


@dataclass(frozen=True)
class StageRun:
    """What one child reported, plus what the parent measured around it."""

    name: str
    wall: float  # seconds, start to reap
    peak_rss_mb: float  # the child's max RSS
    result: dict[str, Any]


def run_command(name: str, argv: list[str], env: dict[str, str] | None = None) -> StageRun:
    """Any command as a measured child; its stdout passes through."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"bench: stage {name} failed (exit {proc.returncode}): {' '.join(argv)}")
    return StageRun(name, wall, usage.ru_maxrss / 1024, {})


def run_stage(name: str, target: str, args: dict[str, Any], env: dict[str, str] | None = None) -> StageRun:
    """``target`` ("bench.module:function") called with ``args`` in a fresh interpreter."""
    with tempfile.TemporaryDirectory(prefix="strata-bench-") as tmp:
        out = Path(tmp) / "result.json"
        (Path(tmp) / "args.json").write_bytes(orjson.dumps(args))
        run = run_command(name, [sys.executable, "-m", "bench.child", target, tmp], env)
        return StageRun(name, run.wall, run.peak_rss_mb, orjson.loads(out.read_bytes()))


def main() -> None:
    target, folder = sys.argv[1], Path(sys.argv[2])
    module, function = target.split(":")
    args = orjson.loads((folder / "args.json").read_bytes())
    result = getattr(importlib.import_module(module), function)(args)
    (folder / "result.json").write_bytes(orjson.dumps(result))


if __name__ == "__main__":
    main()
