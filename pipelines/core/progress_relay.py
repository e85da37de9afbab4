"""Progress from a worker process to a sink in this one (pipelines.core.progress).

`strata load` validates layer n+1 in a worker process while layer n loads here
(pipelines.load.overlap); the worker's meters must reach this process's terminal. The
worker attaches a sink that puts each event on a multiprocessing queue (the worker's own
meters throttle it at the target's cadence), and a thread here hands them to the target.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.context import BaseContext
from typing import Any

from pipelines.core import progress
from pipelines.core.progress import Every, ProgressSink

Initializer = tuple[Callable[..., None], tuple[Any, ...]]
STOP_SECONDS = 10.0  # how long the last events may take to arrive once the worker is done


@contextmanager
def relay(target: Every, context: BaseContext) -> Iterator[Initializer]:
    """Yield a worker initializer (function, arguments) that attaches a relay to ``target``."""
    queue = context.Queue()
    pump = threading.Thread(target=_pump, args=(queue, target.sink), name="progress-relay", daemon=True)
    pump.start()
    try:
        yield (attach_in_worker, (queue, target.seconds))
    finally:
        queue.put(None)
        pump.join(STOP_SECONDS)
        queue.close()


def attach_in_worker(queue: Any, seconds: float) -> None:
    """In the worker, for its whole life: every watched Progress also feeds the queue."""
    progress.attach_for_process(Every(queue.put, seconds))


def _pump(queue: Any, sink: ProgressSink) -> None:
    while (event := queue.get()) is not None:
        try:
            sink(event)
        except Exception:  # a display problem must never stop the work it displays
            continue
