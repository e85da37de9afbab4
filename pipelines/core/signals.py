"""SIGTERM stops a command the way Ctrl-C does, and a worker process never outlives its parent.

Why: a deploy, `systemctl stop` or `docker stop` sends SIGTERM, and Python's default for it
ends the process on the spot, with no ``finally``, no rollback message and the run left as it
was. Raised as ``KeyboardInterrupt`` instead, SIGTERM takes the path Ctrl-C takes: the open
transaction rolls back (``with conn.transaction()`` exits with the exception), Dagster ends
its run as failed, the worker is stopped, and the command exits with 128 + the signal.

Dagster replaces the handlers while a run executes (it records the signal and raises it in
the step as its own interrupt error), so the handler alone cannot tell which signal came.
``set_wakeup_fd`` can: the interpreter writes every signal's number to that pipe whatever
handler is installed, so ``Stopping.check`` knows after a run whether one arrived.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

STOPPING = (signal.SIGINT, signal.SIGTERM)
PR_SET_PDEATHSIG = 1  # linux/prctl.h


class Stopping:
    """The stop signals this process received (see the module's docstring)."""

    def __init__(self, read_fd: int) -> None:
        self._read_fd = read_fd
        self.received: list[int] = []

    def _drain(self) -> None:
        try:
            while data := os.read(self._read_fd, 512):
                self.received.extend(n for n in data if n in STOPPING)
        except BlockingIOError:
            pass

    def check(self) -> None:
        """Raise KeyboardInterrupt if a stop signal came (e.g. while a Dagster run had it)."""
        self._drain()
        if self.received:
            raise KeyboardInterrupt

    def signalled(self) -> bool:
        self._drain()
        return bool(self.received)

    def exit_code(self) -> int:
        """128 + the first stop signal received (130 for Ctrl-C, 143 for SIGTERM)."""
        self._drain()
        return 128 + (self.received[0] if self.received else signal.SIGINT)

    def name(self) -> str:
        return signal.Signals(self.exit_code() - 128).name


_active: list[Stopping] = []


def check_stop() -> None:
    """Raise KeyboardInterrupt if the command got a stop signal (a no-op outside one)."""
    for stopping in _active:
        stopping.check()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextmanager
def stop_signals_interrupt() -> Iterator[Stopping]:
    """For a command's whole life (main thread): SIGINT and SIGTERM raise KeyboardInterrupt."""
    read_fd, write_fd = os.pipe()
    os.set_blocking(read_fd, False)
    os.set_blocking(write_fd, False)
    previous = {s: signal.signal(s, _interrupt) for s in STOPPING}
    previous_fd = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    stopping = Stopping(read_fd)
    _active.append(stopping)
    try:
        yield stopping
    finally:
        _active.remove(stopping)
        signal.set_wakeup_fd(previous_fd)
        for s, handler in previous.items():
            signal.signal(s, handler)
        os.close(read_fd)
        os.close(write_fd)


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def worker_started(parent_pid: int) -> None:
    """In a worker process: SIGTERM when the parent dies (even by SIGKILL), and SIGTERM or SIGINT
    end it. A Dagster run in the worker turns the signal into its interrupt (the run ends failed,
    its transaction rolls back); outside a run the worker exits quietly."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent_pid:  # the parent died before prctl: nobody will send the signal
            raise SystemExit(143)
    for s in STOPPING:  # SIGINT too: Dagster, after a run, gives SIGTERM whatever SIGINT had
        signal.signal(s, _exit_on_sigterm)
