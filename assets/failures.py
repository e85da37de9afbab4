"""Strata's own errors end a step as a Dagster Failure: a clear message, no retry, no traceback hunt."""
from collections.abc import Iterator
from contextlib import contextmanager

from dagster import Failure

from pipelines.errors import TerminalError


@contextmanager
def terminal_as_failure() -> Iterator[None]:
    try:
        yield
    except TerminalError as exc:
        raise Failure(description=str(exc), allow_retries=False) from exc
