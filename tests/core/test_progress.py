"""The progress protocol (pipelines.core.progress): throttled by time, monotone, a final 100 %."""

from __future__ import annotations

from pipelines.core.progress import Every, Progress, ProgressEvent, attached
from pipelines.core.progress_relay import relay
from pipelines.load.overlap import validate_while_loading
from tests.support.progress_helpers import Collected, assert_monotone_to_100, metered_job


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_each_sink_gets_events_at_its_own_cadence_plus_the_first_and_the_last() -> None:
    clock, log, bar = Clock(), Collected(), Collected()
    meter = Progress(Every(log.append, 5), Every(bar.append, 1), clock=clock).meter(
        "split", "export.json", 60, "bytes"
    )
    for second in range(1, 13):  # one update every half second for six seconds
        clock.now += 0.5
        meter.update(second * 5)
    meter.finish()
    assert [e.done for e in log] == [0, 50, 60]  # start, after 5 s, final (the total)
    assert [e.done for e in bar] == [0, 10, 20, 30, 40, 50, 60, 60]
    for events in (log, bar):
        assert_monotone_to_100(events)
    assert [e.elapsed for e in log] == [0.0, 5.0, 6.0]


def test_counts_never_go_back_and_nothing_follows_the_final_event() -> None:
    clock, events = Clock(), Collected()
    meter = Progress(events.every, clock=clock).meter("validate", "layer 2026-01", 10, "reports")
    meter.update(4)
    meter.update(2, "a lower count is ignored")
    meter.finish("done")
    meter.update(11)
    meter.finish()
    assert [(e.done, e.note) for e in events] == [
        (0, ""),
        (4, ""),
        (4, "a lower count is ignored"),
        (10, "done"),
    ]
    assert_monotone_to_100(events)
    beyond = Collected()
    meter = Progress(beyond.every, clock=clock).meter("split", "export.json", 5, "bytes")
    meter.update(8)
    meter.finish()
    assert (beyond[-1].done, beyond[-1].total) == (8, 8)  # the total follows what was really done


def test_lines_say_what_how_far_and_how_fast() -> None:
    running = ProgressEvent("split", "export.json", 41_200_000, 183_000_000, "bytes", 2.0, "2 layers spooled")
    assert running.line() == ("split export.json: 41.2 of 183.0 MB (23 %), 20.6 MB/s, 2 layers spooled (2 s)")
    done = ProgressEvent("validate", "layer 2026-03", 300_000, 300_000, "reports", 12.5, final=True)
    assert done.line() == (
        "validate layer 2026-03: 300,000 of 300,000 reports (100 %), 24,000 reports/s (done in 12.5 s)"
    )
    assert ProgressEvent("load", "layer 2026-03", 0, 0, "steps", 0.0).percent == 100.0
    step = ProgressEvent("load", "layer 2026-03", 12, 18, "steps", 40.2, "writing measurement")
    assert step.line() == "load layer 2026-03: 12 of 18 steps (67 %), writing measurement (40 s)"


def test_attached_sinks_hear_watched_progress_while_attached_only() -> None:
    inside, outside = Collected(), Collected()
    with attached(inside.every):
        Progress.watched().meter("load", "layer 2026-01", 1, "steps").finish()
        Progress().meter("load", "layer 2026-02", 1, "steps").finish()  # not watched
    Progress.watched(outside.every).meter("load", "layer 2026-03", 1, "steps").finish()
    assert {e.subject for e in inside} == {"layer 2026-01"}
    assert {e.subject for e in outside} == {"layer 2026-03"}


def test_a_worker_process_progress_reaches_this_process() -> None:
    events = Collected()
    versions = ["2026-01", "2026-02", "2026-03"]
    outcomes = list(
        validate_while_loading(versions, metered_job, lambda v: True, lambda v, _: v, progress=events.every)
    )
    assert [o.loaded for o in outcomes] == versions
    for version in versions:
        assert [e.done for e in assert_monotone_to_100(events.of("validate", f"layer {version}"))] == [
            0,
            1,
            2,
            3,
            3,
        ]


def test_a_relay_stops_cleanly_when_nothing_was_sent() -> None:
    import multiprocessing

    with relay(Collected().every, multiprocessing.get_context("spawn")) as (initializer, args):
        assert callable(initializer) and len(args) == 2


def test_a_heartbeat_keeps_sinks_hearing_while_the_caller_blocks() -> None:
    import threading

    events = Collected()
    arrived = threading.Event()

    def sink(event: ProgressEvent) -> None:
        events.append(event)
        if len(events) >= 3:
            arrived.set()

    meter = Progress(Every(sink, 0)).meter("load", "layer 2026-01", 4, "steps")
    meter.update(1, "writing passport")
    with meter.heartbeat(every=0.05):
        assert arrived.wait(30)  # one long statement: the beat re-sends where the step stands
    meter.finish()
    beats = events[2:-1]
    assert beats and {(e.done, e.note) for e in beats} == {(1, "writing passport")}
    assert_monotone_to_100(events)
