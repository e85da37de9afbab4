"""Collecting progress events in tests, and a metered job a worker process can run."""

from __future__ import annotations

from collections.abc import Iterable

from pipelines.core.progress import Every, Progress, ProgressEvent


class Collected(list[ProgressEvent]):
    """Every event, as a sink that wants all of them (``Every(..., 0)``)."""

    @property
    def every(self) -> Every:
        return Every(self.append, 0)

    def of(self, stage: str, subject: str | None = None) -> list[ProgressEvent]:
        return [e for e in self if e.stage == stage and (subject is None or e.subject == subject)]


def assert_monotone_to_100(events: Iterable[ProgressEvent]) -> list[ProgressEvent]:
    """One step's events: counts never go down, exactly the last one is final, at 100 %."""
    events = list(events)
    assert events, "no progress events"
    done = [e.done for e in events]
    assert done == sorted(done), done
    assert [e.final for e in events] == [False] * (len(events) - 1) + [True]
    last = events[-1]
    assert last.percent == 100.0 and last.done == last.total
    assert len({(e.stage, e.subject, e.unit) for e in events}) == 1
    return events


def metered_job(version: str) -> str:
    """What a validation does to its meter, in whichever process runs it (module level: picklable)."""
    meter = Progress.watched().meter("validate", f"layer {version}", 3, "reports")
    for done in (1, 2, 3):
        meter.update(done)
    meter.finish()
    return version
