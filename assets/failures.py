"""How a step's errors become Dagster outcomes, and which of them are retried.

An interrupt (SIGTERM, Ctrl-C) ends the step as a Failure without retries.
Only a TransientError (the database was away, a serialization failure, a deadlock:
see pipelines.db.connection.connect) is left to the step's retry policy. Strata's own
TerminalErrors (analyst errors, refused operations) and anything unexpected (a bug)
end the step as a Failure(allow_retries=False): retrying them would fail the same
way, and retried runs of a failing job are how scheduled work piles up.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from dagster import Backoff, Failure, Jitter, RetryPolicy
from dagster._core.errors import DagsterExecutionInterruptedError

from pipelines.core.exceptions import TerminalError, TransientError
from pipelines.db.connection import is_transient

# 30, 90, 210 s (each ± 30 s; README, *Faults*): long enough for a restarted PostgreSQL or a failover,
# spread out so that many steps failing at once do not come back at once.
TRANSIENT_RETRY = RetryPolicy(max_retries=3, delay=30, backoff=Backoff.EXPONENTIAL, jitter=Jitter.PLUS_MINUS)


def _interrupted(exc: BaseException | None) -> bool:
    seen = 0
    while exc is not None and seen < 20:
        if isinstance(exc, DagsterExecutionInterruptedError | KeyboardInterrupt):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


@contextmanager
def terminal_as_failure() -> Iterator[None]:
    """Let transient errors reach the retry policy; end every other error without retries."""
    with _stopped_as_failure(), _failures():
        yield


@contextmanager
def _stopped_as_failure() -> Iterator[None]:
    try:
        yield
    except BaseException as exc:
        # Dagster retries an interrupted step that has a retry policy (made for a pod evicted
        # and resumed): here SIGTERM/Ctrl-C mean stop, so the run ends failed, not retried.
        # The interrupt may be the context of the error a clean-up statement raised after it.
        if not _interrupted(exc):
            raise
        raise Failure(
            description="stopped by SIGTERM or Ctrl-C: the transaction was rolled back (not retried)",
            allow_retries=False,
        ) from exc


@contextmanager
def _failures() -> Iterator[None]:
    try:
        yield
    except TransientError:
        raise
    except TerminalError as exc:
        raise Failure(description=str(exc), allow_retries=False) from exc
    except psycopg.OperationalError as exc:
        if is_transient(exc):  # a connection opened outside pipelines.db.connection.connect
            raise TransientError(f"PostgreSQL: {exc}") from exc
        raise Failure(
            description=f"PostgreSQL refused the work (not retried): {exc}", allow_retries=False
        ) from exc
    except Exception as exc:
        raise Failure(
            description=f"unexpected {type(exc).__name__} (a bug, not retried): {exc}", allow_retries=False
        ) from exc
