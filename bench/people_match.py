"""`python -m bench.people_match`: a micro benchmark of ``PeopleIndex`` on the reference generator's names.

Not part of `make bench` (no database, seconds instead of minutes): it isolates the
people matching that validation runs for every person reference, so a change to the
matching rules can be compared before and after on the same machine. Three figures:
building the index, resolving every distinct spelling once on a fresh index (strict
levels plus the typo search for the spellings they leave), and a stream of repeated
references as a layer has them (the per-spelling cache).

Environment: BENCH_PROFILES (default 5000), BENCH_REFERENCES (default 1,000,000).
"""

from __future__ import annotations

import importlib.util
import os
import random
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from pipelines.validation.people import PeopleIndex, Profile

GENERATOR = Path(__file__).resolve().parents[2] / "shared" / "datagen" / "make_export.py"


def _generator() -> ModuleType:
    if not GENERATOR.exists():
        raise SystemExit(f"bench: the reference generator {GENERATOR} is absent")
    spec = importlib.util.spec_from_file_location("make_export", GENERATOR)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _best(repeat: int, run: Callable[[], object]) -> float:
    """The fastest of ``repeat`` runs: the least disturbed by other work on a shared machine."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def _resolve_all(index: PeopleIndex, spellings: list[str]) -> None:
    for spelling in spellings:
        index.match(spelling)


def main() -> None:
    count = int(os.environ.get("BENCH_PROFILES", "5000"))
    references = int(os.environ.get("BENCH_REFERENCES", "1000000"))
    people = _generator().People(7, count)
    profiles = [Profile(pid, last, first, middle) for pid, last, first, middle, _ in people.rows]
    spellings = sorted(
        {people.write(pid, random.Random(k)) for pid, *_ in people.rows for k in range(8)}
        | {people.ambiguous_spelling(pid) for pid in people.ambiguous}
        | set(people.typo.values())
        | set(people.unknown)
    )
    stream = random.Random(1).choices(spellings, k=references)

    build = _best(5, lambda: PeopleIndex(profiles))
    cold = _best(3, lambda: _resolve_all(PeopleIndex(profiles), spellings)) - build
    index = PeopleIndex(profiles)
    _resolve_all(index, spellings)
    match = index.match
    warm = _best(3, lambda: [match(s) for s in stream])
    unresolved = sum(1 for s in spellings if index.match(s).code == "not_found")
    print(
        f"profiles {len(profiles):,}; distinct spellings {len(spellings):,} "
        f"({len(people.typo):,} typos, {unresolved:,} not_found); best of several runs"
    )
    print(f"build the index        {build * 1e3:9.1f} ms")
    print(f"every distinct spelling {cold * 1e3:8.1f} ms  ({cold / len(spellings) * 1e6:.1f} µs each)")
    print(
        f"{references:,} repeated references {warm * 1e3:.1f} ms  "
        f"({references / warm / 1e6:.1f} M matches/s; cache hits)"
    )


if __name__ == "__main__":
    main()
