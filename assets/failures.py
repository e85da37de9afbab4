"""How a step's errors become Dagster outcomes, and which of them are retried.

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

from pipelines.core.exceptions import TerminalError, TransientError
from pipelines.db.connection import is_transient

# 30, 90, 210 s (each ± 30 s; README, *Faults*): long enough for a restarted PostgreSQL or a failover,
# spread out so that many steps failing at once do not come back at once.
TRANSIENT_RETRY = RetryPolicy(max_retries=3, delay=30, backoff=Backoff.EXPONENTIAL, jitter=Jitter.PLUS_MINUS)


@contextmanager
def terminal_as_failure() -> Iterator[None]:
    """Let transient errors reach the retry policy; end every other error without retries."""
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
