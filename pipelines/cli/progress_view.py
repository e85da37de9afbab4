"""Progress on the terminal for `strata load` and `strata register` (pipelines.core.progress).

With a terminal on stderr: one rich progress bar per running step (archive copy, extraction,
split, a layer's validation, a layer's load), replaced by its final line once the step is done.
Without one (CI logs, cron mail): a plain line on stderr every ``LINE_EVERY_SECONDS`` while a
step works, and the same final line. stdout keeps only the command's results, so
``strata load ... > result.txt`` stays clean.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Column
from rich.text import Text

from pipelines.core.progress import Every, ProgressEvent

BAR_EVERY_SECONDS = 0.25
LINE_EVERY_SECONDS = 5.0


class BarView:
    """Rich bars, one task per (stage, subject); events may come from several threads."""

    def __init__(self, bars: Progress) -> None:
        self.bars = bars
        self.tasks: dict[tuple[str, str], TaskID] = {}
        self.lock = threading.Lock()

    def __call__(self, event: ProgressEvent) -> None:
        key = (event.stage, event.subject)
        with self.lock:
            task = self.tasks.pop(key, None) if event.final else self.tasks.get(key)
            if event.final:
                if task is not None:
                    self.bars.remove_task(task)
                self.bars.console.print(Text(f"✓ {event.line()}"), highlight=False)
                return
            if task is None:
                description = f"{event.stage} {event.subject}"
                task = self.tasks[key] = self.bars.add_task(description, total=None, figures="")
            self.bars.update(task, completed=event.done, total=event.total or None, figures=_figures(event))


def _figures(event: ProgressEvent) -> str:
    return event.figures(percent=False) + (f", {event.note}" if event.note else "")


class LineView:
    """Plain lines: the throttled ones and the final one of each step (not the 0 % start)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.lock = threading.Lock()

    def __call__(self, event: ProgressEvent) -> None:
        if event.done == 0 and not event.final:
            return
        with self.lock:
            print(event.line(), file=self.stream, flush=True)


@contextmanager
def terminal_progress(stream: TextIO | None = None, *, force_terminal: bool | None = None) -> Iterator[Every]:
    """The sink for this command's progress: bars on a terminal, plain lines elsewhere."""
    stream = stream if stream is not None else sys.stderr
    console = Console(file=stream, force_terminal=force_terminal)
    if not console.is_terminal:
        yield Every(LineView(stream), LINE_EVERY_SECONDS)
        return
    bars = Progress(
        TextColumn("{task.description}", table_column=Column(no_wrap=True)),
        BarColumn(bar_width=20, table_column=Column(min_width=20)),
        TaskProgressColumn(),
        TimeRemainingColumn(table_column=Column(min_width=7)),
        TextColumn("{task.fields[figures]}", table_column=Column(no_wrap=True, overflow="ellipsis")),
        console=console,
        redirect_stdout=sys.stdout.isatty(),  # prints appear above the bars only when they share a screen
        redirect_stderr=False,
    )
    with bars:
        yield Every(BarView(bars), BAR_EVERY_SECONDS)
