"""Progress of the long steps (archive copy, 7z extraction, split, validation, load) for whoever watches.

The engine knows nothing of Dagster or terminals. A step asks its ``Progress`` for a ``Meter``
and updates it as it goes, cheaply (per block read, per thousand reports, per statement); the
meter hands events on to each sink at that sink's own cadence (a run's log every few seconds, a
terminal bar several times a second), throttled by time, never per record. Every sink gets the
first event (the size of the job) and the final one (100 %); the final figures also stay in the
step's result, which is what the run's metadata shows.

Sinks attached for the whole process (``attached``) receive the events of every ``Progress``
made with ``Progress.watched``: that is how `strata load`, which runs the Dagster assets in
process, shows the assets' progress on its terminal without the assets knowing of a terminal.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

Stage = Literal["archive", "extract", "split", "validate", "load"]
Unit = Literal["bytes", "reports", "steps"]
ProgressSink = Callable[["ProgressEvent"], None]


@dataclass(frozen=True)
class ProgressEvent:
    """Where one step of one subject stands; ``done`` never decreases between two events."""

    stage: Stage
    subject: str  # what is worked on: "export.json", "layer 2026-03"
    done: int
    total: int
    unit: Unit
    elapsed: float  # seconds since the step started
    note: str = ""  # what else is known: "3 layers, 120,345 reports", "update passport"
    final: bool = False

    @property
    def percent(self) -> float:
        return 100.0 if self.total <= 0 else min(100.0, 100.0 * self.done / self.total)

    @property
    def rate(self) -> float:
        """Units per second since the start."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    def figures(self, *, percent: bool = True) -> str:
        """'41.2 of 183.0 MB (22 %), 27.5 MB/s' in the step's unit (a bar shows the per cent itself)."""
        if self.unit == "bytes":
            amount = f"{self.done / 1e6:,.1f} of {self.total / 1e6:,.1f} MB"
            rate = f"{self.rate / 1e6:,.1f} MB/s"
        else:
            amount = f"{self.done:,} of {self.total:,} {self.unit}"
            rate = f"{self.rate:,.0f} {self.unit}/s"
        if self.unit == "steps":  # steps differ too much in length for a rate to mean anything
            return f"{amount} ({self.percent:.0f} %)" if percent else amount
        return f"{amount} ({self.percent:.0f} %), {rate}" if percent else f"{amount}, {rate}"

    def line(self) -> str:
        """One line for a log: 'validate layer 2026-03: 120,000 of 300,000 reports (40 %), ...'."""
        state = f"done in {self.elapsed:,.1f} s" if self.final else f"{self.elapsed:,.0f} s"
        note = f", {self.note}" if self.note else ""
        return f"{self.stage} {self.subject}: {self.figures()}{note} ({state})"


@dataclass(frozen=True)
class Every:
    """A sink and how often it wants events (seconds; 0: every update)."""

    sink: ProgressSink
    seconds: float


_attached: list[Every] = []
_attached_lock = threading.Lock()


@contextmanager
def attached(*targets: Every) -> Iterator[None]:
    """Send the events of every ``Progress.watched`` made meanwhile in this process to ``targets`` too."""
    with _attached_lock:
        _attached.extend(targets)
    try:
        yield
    finally:
        with _attached_lock:
            for target in targets:
                _attached.remove(target)


def attach_for_process(target: Every) -> None:
    """``attached`` for the rest of the process's life (a worker process's relay)."""
    with _attached_lock:
        _attached.append(target)


class Progress:
    """Where a step's progress goes. ``Progress()`` watches nothing and costs next to nothing."""

    def __init__(self, *targets: Every, clock: Callable[[], float] = time.monotonic) -> None:
        self.targets, self.clock = targets, clock

    @classmethod
    def watched(cls, *targets: Every) -> Progress:
        """``targets`` plus whatever this process attached (a terminal, a relay to one)."""
        with _attached_lock:
            return cls(*targets, *_attached)

    def meter(self, stage: Stage, subject: str, total: int, unit: Unit) -> Meter:
        return Meter(self, stage, subject, total, unit)


class Meter:
    """One step's counter; ``update`` is cheap unless some sink is due."""

    def __init__(self, progress: Progress, stage: Stage, subject: str, total: int, unit: Unit) -> None:
        self.targets, self.clock = progress.targets, progress.clock
        self.stage, self.subject, self.total, self.unit = stage, subject, max(0, total), unit
        self.done, self.note, self.finished = 0, "", False
        self.describe: Callable[[], str] | None = None  # the note, asked for only when an event is sent
        self._lock = threading.Lock()  # py7zr reports extraction from a thread of its own
        self.started = self.clock()
        self._due = [self.started + t.seconds for t in self.targets]
        self._next = min(self._due, default=float("inf"))
        self._send(range(len(self.targets)), final=False)

    def update(self, done: int, note: str | None = None) -> None:
        """Where the step stands now (a lower ``done`` than before is ignored)."""
        if note is not None:
            self.note = note
        if done > self.done:
            self.done = done
        if self.clock() >= self._next:
            with self._lock:
                if self.finished:
                    return
                now = self.clock()
                due = [i for i, at in enumerate(self._due) if now >= at]
                for i in due:
                    self._due[i] = now + self.targets[i].seconds
                self._next = min(self._due, default=float("inf"))
                self._send(due, final=False)

    @contextmanager
    def heartbeat(self, every: float = 1.0) -> Iterator[None]:
        """Keep the sinks hearing (at their cadence) while the caller blocks in one long call,
        e.g. a set-based statement of a load that runs for minutes without a count to give."""
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(every):
                try:
                    self.update(self.done)
                except Exception:  # a sink's trouble must not end the work it watches
                    return

        beater = threading.Thread(target=beat, name=f"progress-{self.stage}", daemon=True)
        beater.start()
        try:
            yield
        finally:
            stop.set()
            beater.join(every + 5)

    def advance(self, by: int = 1, note: str | None = None) -> None:
        self.update(self.done + by, note)

    def finish(self, note: str | None = None) -> None:
        """The step is complete: every sink gets the final event, at 100 %."""
        with self._lock:
            if self.finished:
                return
            self.finished = True
            if note is not None:
                self.note = note
            self.done = self.total = max(self.done, self.total)
            self._send(range(len(self.targets)), final=True)

    def _send(self, which: range | list[int], *, final: bool) -> None:
        if not which:
            return
        event = ProgressEvent(
            self.stage,
            self.subject,
            self.done,
            self.total,
            self.unit,
            self.clock() - self.started,
            self.describe() if self.describe is not None else self.note,
            final,
        )
        for i in which:
            self.targets[i].sink(event)
