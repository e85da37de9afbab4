"""The same export dropped twice at once (the sensor and `strata register`, or two copies):
registered once; the other registration gets DuplicateFileError and leaves nothing behind,
in particular not by removing the archive copy or the spool of the one that succeeded."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import psycopg

from pipelines.core.exceptions import DuplicateFileError
from pipelines.core.progress import Every, Progress, ProgressEvent
from pipelines.core.settings import StrataHome
from pipelines.db.connection import connect, one_row
from pipelines.intake import registration
from pipelines.intake import split as splitting
from pipelines.intake.registration import RegisteredFile, register
from tests.support.intake_helpers import (
    export_doc,
    leftovers,
    registry_rows,
    report,
    write_json,
)
from tests.support.progress_helpers import Collected

WAIT = 60  # a bound on every wait, never an expectation
LOCK_WAITERS = (
    "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND NOT l.granted AND a.datname = current_database()"
)
LAYERS = {f"2026-0{m}": [report(f"P-{m}-{i}") for i in range(20)] for m in range(1, 4)}


def test_two_registrations_of_the_same_bytes_at_once_register_once(
    conn: psycopg.Connection, db_url: str, tmp_path: Path, monkeypatch
) -> None:
    home = StrataHome(tmp_path / "home").ensure()
    drop = tmp_path / "drop"
    drop.mkdir()
    copies = [write_json(drop / name, export_doc(LAYERS)) for name in ("export.json", "export-copy.json")]
    arrived: list[str] = []
    split = registration.split_export

    def split_when_both_arrived(*args, **kwargs):
        """Hold the first splitter until the other registration also splits, or waits for the
        lock: without the lock both would split into the same spool folder at once."""
        arrived.append(threading.current_thread().name)
        deadline = time.monotonic() + WAIT
        with psycopg.connect(db_url, autocommit=True) as watcher:
            while not (len(arrived) >= 2 or one_row(watcher, LOCK_WAITERS)[0]):
                assert time.monotonic() < deadline
                time.sleep(0.02)
        return split(*args, **kwargs)

    monkeypatch.setattr(registration, "split_export", split_when_both_arrived)
    outcomes: dict[str, RegisteredFile | BaseException] = {}

    def registering(path: Path) -> None:
        try:
            with connect(db_url) as own:
                outcomes[path.name] = register(own, path, home)
        except BaseException as exc:
            outcomes[path.name] = exc

    threads = [threading.Thread(target=registering, args=(path,)) for path in copies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
        assert not thread.is_alive()

    won = [o for o in outcomes.values() if isinstance(o, RegisteredFile)]
    lost = [o for o in outcomes.values() if not isinstance(o, RegisteredFile)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert isinstance(lost[0], DuplicateFileError), lost[0]
    [registered] = won
    assert registry_rows(conn) == (1, len(LAYERS))
    spools = [Path(p) for (p,) in conn.execute("SELECT spool_path FROM loader_file_layer ORDER BY version")]
    assert all(p.is_file() and p.stat().st_size > 0 for p in spools)
    expected = sorted(
        [str(registered.archive_path.relative_to(home.root))]
        + [str(p.relative_to(home.root)) for p in spools]
    )
    assert [f for f in leftovers(home) if f.startswith("archive/") or f.endswith(".jsonl")] == expected
    assert not [f for f in leftovers(home) if ".incoming-" in f]


def test_the_same_bytes_again_stop_the_split_once_the_hash_is_known(
    conn: psycopg.Connection, tmp_path: Path, monkeypatch
) -> None:
    """The hash runs in a thread beside the split; when it names a registered file, the split
    stops at its next block: a re-run of `strata load` costs the hash, not a parse."""
    home = StrataHome(tmp_path / "home").ensure()
    big = {f"2026-0{m}": [report(f"P-{m}-{i}", name="x" * 100) for i in range(2000)] for m in range(1, 4)}
    export = write_json(tmp_path / "export.json", export_doc(big))
    first = register(conn, export, home)
    conn.commit()
    monkeypatch.setattr(splitting, "READ_SIZE", 4096)  # many blocks, so that the split is still running
    events = Collected()

    def wait_for_the_hash(event: ProgressEvent) -> None:
        events.append(event)
        if event.stage == "split" and len(events.of("split")) == 1:  # the split's first block
            deadline = time.monotonic() + WAIT
            while any(t.name.startswith("archive ") for t in threading.enumerate()):
                assert time.monotonic() < deadline
                time.sleep(0.01)

    again = register(conn, export, home, reuse=True, progress=Progress(Every(wait_for_the_hash, 0)))
    conn.commit()
    assert again.reused and again.id == first.id
    split_events = events.of("split")
    assert split_events and not any(e.final for e in split_events)  # stopped, never finished
    assert split_events[-1].done < export.stat().st_size // 2
    assert registry_rows(conn) == (1, len(big))
    assert not [f for f in leftovers(home) if ".incoming-" in f or ".pending-" in f]
