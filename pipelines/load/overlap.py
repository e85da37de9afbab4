"""Validate layer n+1 while layer n loads: the two stages of a layer on two cores.

Why: validation is Python, bound by one core's interpreter; a load is PostgreSQL's work,
in the server's process. Run in turn, one core idles while the other works (the bench's
profiles in BENCHMARKS.md). A layer's validation never needs the earlier layers loaded
(their passports come from their mapped rows, ``intake.spools.earlier_passport_ids``),
so one worker process validates every layer in order while the caller loads each layer
as soon as it and every layer before it are valid. The outcome is the one of
validate-all-then-load: every layer is validated, so analysts see every error at once,
and layers load in order up to the first one that is blocked or fails.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pipelines.core.progress import Every
from pipelines.core.progress_relay import relay
from pipelines.core.signals import worker_started
from pipelines.db.connection import connect
from pipelines.validation.import_chain import start_chain, switch_off_chains
from pipelines.validation.registered import registered_layer, validate_registered

PARENT_POLL_SECONDS = 0.5
IDLE_EXIT_SECONDS = 1.0
STOP_WORKER_SECONDS = 15.0  # a stopped validation run ends failed well within this, or is killed
V = TypeVar("V")
L = TypeVar("L")


@dataclass(frozen=True)
class LayerOutcome(Generic[V, L]):
    version: str
    validated: V
    loaded: L | None  # None: not loaded (blocked here or by an earlier layer)


@contextmanager
def validation_worker(
    progress: Every | None = None, warm: Callable[..., object] | None = None, chain: bool = True
) -> Iterator[ProcessPoolExecutor]:
    """The one worker process that validates layers, for ``validate_while_loading``.

    ``warm`` (the validate callable) is sent to it at once: the process spawns and imports the
    callable's module (Dagster and the definitions, seconds) now, e.g. while the export's split
    runs, instead of when the first layer is submitted. ``progress`` receives the worker's
    progress events (of every ``Progress.watched`` there), in this process. ``chain``: the worker
    marks the rows unchanged since the layers it validated before (and, for its first layer, since
    the chain the layer loaded last saved), for the loads to leave out
    (pipelines.validation.import_chain; off only to measure what that saves).

    An exception inside (Ctrl-C, SIGTERM as KeyboardInterrupt) stops the worker at once: SIGTERM,
    which ends its validation run as failed, then SIGKILL if it is still there after
    ``STOP_WORKER_SECONDS``. The worker also gets SIGTERM if this process dies (even by SIGKILL)."""
    context = multiprocessing.get_context("spawn")  # no fork of a process holding connections
    with ExitStack() as stack:
        relay_init = stack.enter_context(relay(progress, context)) if progress else None
        worker = stack.enter_context(
            ProcessPoolExecutor(
                max_workers=1,
                mp_context=context,
                initializer=_init_worker,
                initargs=(os.getpid(), relay_init, chain),
            )
        )
        try:
            if warm is not None:
                worker.submit(_received, warm)
            yield worker
        except BaseException:
            _stop_worker(worker)
            raise


def validate_while_loading(
    versions: list[str],
    validate: Callable[[str], V],
    valid: Callable[[V], bool],
    load: Callable[[str, V], L],
    loaded_ok: Callable[[L], bool] = lambda _: True,
    progress: Every | None = None,
    worker: ProcessPoolExecutor | None = None,
    chain: bool = True,
) -> Iterator[LayerOutcome[V, L]]:
    """Yield each layer's outcome in version order.

    ``validate`` runs in one worker process (so it must be picklable: a module-level
    function or a ``functools.partial`` of one) and returns something small and picklable;
    ``load`` runs in the caller's process. After a layer is invalid or its load is not
    ``loaded_ok``, later layers are still validated but not loaded. ``worker`` is one started
    earlier by ``validation_worker`` (which stops it on an exception); without it, one is
    started here, with ``progress`` and ``chain`` (``validation_worker``)."""
    if worker is not None:
        yield from _in_order(worker, versions, validate, valid, load, loaded_ok)
        return
    with validation_worker(progress, chain=chain) as own:
        yield from _in_order(own, versions, validate, valid, load, loaded_ok)


def _received(_callable: Callable[..., object]) -> None:
    """A no-op task: unpickling its argument in the worker imports the callable's module."""


def _in_order(
    worker: ProcessPoolExecutor,
    versions: list[str],
    validate: Callable[[str], V],
    valid: Callable[[V], bool],
    load: Callable[[str, V], L],
    loaded_ok: Callable[[L], bool],
) -> Iterator[LayerOutcome[V, L]]:
    futures = [worker.submit(_run_task, validate, version) for version in versions]
    try:
        stopped = False
        for version, future in zip(versions, futures, strict=False):
            validated = future.result()
            if stopped or not valid(validated):
                stopped = True
                yield LayerOutcome(version, validated, None)
                continue
            loaded = load(version, validated)
            stopped = not loaded_ok(loaded)
            yield LayerOutcome(version, validated, loaded)
    except BaseException:
        for future in futures:
            future.cancel()
        raise


def _init_worker(
    parent_pid: int, relay_init: tuple[Callable[..., None], tuple[Any, ...]] | None, chain: bool
) -> None:
    worker_started(parent_pid)
    if chain:  # it validates layer after layer: rows unchanged since the ones before are marked
        start_chain()
    else:
        switch_off_chains()
    threading.Thread(target=_watch_parent, args=(parent_pid,), name="watch-parent", daemon=True).start()
    if relay_init is not None:
        function, args = relay_init
        function(*args)


_busy = threading.Event()  # set while the worker runs a task


def _run_task(function: Callable[[str], V], version: str) -> V:
    _busy.set()
    try:
        return function(version)
    finally:
        _busy.clear()


def _watch_parent(parent_pid: int) -> None:
    """The worker's own end once its parent is gone: nothing else would end it, since it holds
    the write end of its own task queue (no EOF ever comes). The parent's death already sent
    SIGTERM (``worker_started``), which ends a running validation run as failed; once that
    task is done (or after ``STOP_WORKER_SECONDS``), the process exits."""
    while os.getppid() == parent_pid:
        time.sleep(PARENT_POLL_SECONDS)
    if not sys.platform.startswith("linux"):
        os.kill(os.getpid(), signal.SIGTERM)  # no parent-death signal there
    deadline = time.monotonic() + STOP_WORKER_SECONDS
    while _busy.is_set() and time.monotonic() < deadline:
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(128 + signal.SIGTERM)


def _stop_worker(worker: ProcessPoolExecutor) -> None:
    """SIGTERM the worker process (its run ends failed), SIGKILL it if it lingers."""
    processes = list(getattr(worker, "_processes", {}).values())  # no public handle before 3.14
    worker.shutdown(wait=False, cancel_futures=True)  # an idle worker leaves by itself
    for process in processes:
        process.join(IDLE_EXIT_SECONDS)
        if process.is_alive() and process.pid is not None:  # busy: its run ends failed on SIGTERM
            os.kill(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_WORKER_SECONDS
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()


@dataclass(frozen=True)
class ValidationSummary:
    """What the worker sends back for one layer (the full result stays in the database)."""

    version: str
    valid: bool
    reports: int
    rows: int
    errors: int
    seconds: float
    peak_rss_mb: float  # of the worker process so far


def validate_in_worker(database_url: str, version: str) -> ValidationSummary:
    """The engine's validation of one registered layer, on the worker's own connection."""
    started = time.perf_counter()
    with connect(database_url) as conn:
        result = validate_registered(conn, registered_layer(conn, version))
        conn.commit()
    return ValidationSummary(
        version,
        result.valid,
        result.reports,
        sum(result.counts.values()),
        len(result.errors),
        time.perf_counter() - started,
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )
