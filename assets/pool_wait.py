"""A step waiting for a pool slot sleeps, says what it waits for, and stops on SIGTERM/SIGINT.

Why this exists (dagster 1.13, ``dagster._core.execution.plan.instance_concurrency_context``):
``InstanceConcurrencyContext.interval_to_next_pending_claim_check`` returns
``min([0, *remaining])``, never a positive interval, so ``ActiveExecution.sleep_til_ready``
never sleeps and the in-process executor's loop spins a core for as long as the slot is held.
And the loop runs inside Dagster's ``capture_interrupts``, which maps SIGTERM to SIGINT and
only records it: nothing in the loop looks, so a waiting run ignored both signals.

``PatientConcurrencyContext`` keeps Dagster's claiming (the same storage calls, the same
back-off) and changes three things: the interval is the time to the next claim check (at
most ``MAX_SLEEP_SECONDS``, so a signal is seen promptly), a recorded interrupt ends the wait
as Dagster's own ``DagsterExecutionInterruptedError`` (the run ends failed, its pending
claim is dropped by the context's exit), and the wait is announced on stderr (which
`strata load` shows, and a launched run's compute log keeps) naming the pool, the run
holding it and since when, at first and every ``ANNOUNCE_EVERY_SECONDS``. Dagster's own
"blocked by pool" event still goes to the run log.

``install`` puts it in the executors' modules (in-process and multiprocess) in place of the
original; it is called where Strata's Dagster code is imported (assets.definitions and
assets.launch), so it holds for UI, daemon and `strata load` runs alike.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime

from dagster import DagsterInstance, DagsterRun
from dagster._core.errors import DagsterExecutionInterruptedError
from dagster._core.execution.plan.instance_concurrency_context import InstanceConcurrencyContext
from dagster._core.executor import in_process, multiprocess
from dagster._utils.interrupts import check_captured_interrupt

from assets.dead_runs import PID_TAG, process_tags

MAX_SLEEP_SECONDS = 1.0
ANNOUNCE_EVERY_SECONDS = 30.0


class PatientConcurrencyContext(InstanceConcurrencyContext):
    """Dagster's claiming, with a real sleep between checks, interrupts honoured, waits announced.

    It also tags its run with the process running it (``dead_runs.process_tags``) when the
    launcher did not, so a run launched by the daemon or the UI is found if its process dies."""

    def __init__(self, instance: DagsterInstance, dagster_run: DagsterRun) -> None:
        super().__init__(instance, dagster_run)
        if PID_TAG not in dagster_run.tags:
            instance.add_run_tags(dagster_run.run_id, process_tags())

    def claim(self, concurrency_key: str, step_key: str, step_priority: int = 0) -> bool:
        if check_captured_interrupt():
            raise DagsterExecutionInterruptedError(
                f"interrupted while step {step_key} waited for a slot of pool {concurrency_key}"
            )
        claimed = super().claim(concurrency_key, step_key, step_priority)
        waits: dict[str, tuple[float, float]] = self.__dict__.setdefault("_strata_waits", {})
        if claimed:
            if step_key in waits:
                since = waits.pop(step_key)[0]
                _say(
                    f"step {step_key} got its slot of pool {concurrency_key} after {time.time() - since:.0f} s"
                )
            return True
        now = time.time()
        since, said = waits.get(step_key, (now, 0.0))
        if now - said >= ANNOUNCE_EVERY_SECONDS:
            _say(self._waiting_line(concurrency_key, step_key, since))
            said = now
        waits[step_key] = (since, said)
        return False

    def interval_to_next_pending_claim_check(self) -> float:
        if not self.has_pending_claims():
            return 0.0
        now = time.time()
        remaining = [ready_at - now for ready_at in self._pending_timeouts.values()]
        return max(0.05, min([MAX_SLEEP_SECONDS, *remaining]))

    def _waiting_line(self, pool: str, step_key: str, since: float) -> str:
        started = datetime.fromtimestamp(since, UTC).strftime("%H:%M:%S UTC")
        try:
            info = self._instance.event_log_storage.get_concurrency_info(pool)
            holders = sorted(info.active_run_ids - {self._run_id})
        except Exception:  # the line is a courtesy: never let it break the wait
            holders = []
        held = ", ".join(_describe_run(self._instance, run_id) for run_id in holders) or "another run"
        return (
            f"step {step_key} is waiting for a slot of pool {pool} since {started}, "
            f"held by {held} (a dead run's slot is freed by the next `strata load`)"
        )


def _describe_run(instance: DagsterInstance, run_id: str) -> str:
    run = instance.get_run_by_id(run_id)
    if run is None:
        return f"run {run_id[:8]}"
    tags = run.tags
    where = f", pid {tags['strata/pid']} on {tags.get('strata/host', '?')}" if "strata/pid" in tags else ""
    return f"run {run_id[:8]} ({run.status.value}{where})"


def _say(line: str) -> None:
    print(f"strata: {line}", file=sys.stderr, flush=True)


def install() -> None:
    """Make Dagster's executors use the patient context (idempotent)."""
    in_process.InstanceConcurrencyContext = PatientConcurrencyContext  # type: ignore[misc]
    multiprocess.InstanceConcurrencyContext = PatientConcurrencyContext  # type: ignore[misc]
