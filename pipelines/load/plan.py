"""Which registered layers still need work, and the one piece of work each may get now.

One place decides, for every way a layer is launched (the layer sensor, the monthly schedule,
`strata load`, `strata register`'s listing): layers load strictly in version order, so only the
oldest pending layer may load, and only once it validated without analyst errors and no other load
is on its way; validation has no order and runs for every pending layer at once (analysts see
every layer's errors). Asking only for work the engine will accept is what keeps the automatic
paths from launching a run that must fail; the engine still checks the order itself, inside the
import lock (pipelines.load.order), whatever launched the load.

A layer older than the last loaded one that is not loaded with its newest content (the portal
re-issued a corrected older layer, or an export with older history arrived late) can never load:
it is *refused*, with a message saying why and what to do, and never requested.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import psycopg

from pipelines.db.sql_text import read_sql


class LayerStatus(StrEnum):
    LOADED = "loaded"  # loaded with the content of its newest registration
    READY = "ready"  # validated without analyst errors, not loaded yet
    INVALID = "invalid"  # validated with analyst errors: blocked until fixed
    TO_VALIDATE = "to_validate"  # its newest content was never validated
    REFUSED = "refused"  # older than the last loaded layer, and not loaded with this content

    @property
    def pending(self) -> bool:
        return self in (LayerStatus.READY, LayerStatus.INVALID, LayerStatus.TO_VALIDATE)


@dataclass(frozen=True)
class LayerState:
    version: str
    sha256: str  # the content of the newest registration holding the version
    file_id: int
    file_name: str
    status: LayerStatus
    reason: str = ""  # for REFUSED: why, and what to do


@dataclass(frozen=True)
class LayerPlan:
    states: list[LayerState]  # every registered version, oldest first
    last_loaded: str | None

    @property
    def pending(self) -> list[LayerState]:
        return [s for s in self.states if s.status.pending]

    @property
    def refused(self) -> list[LayerState]:
        return [s for s in self.states if s.status is LayerStatus.REFUSED]

    def state(self, version: str) -> LayerState | None:
        return next((s for s in self.states if s.version == version), None)

    def next_to_load(self) -> LayerState | None:
        """The oldest pending layer: the only one that may load next."""
        return next(iter(self.pending), None)


def _refusal(version: str, file_name: str, file_id: int, last: str, was_loaded: bool) -> str:
    where = f"layer {version} of {file_name} (file {file_id})"
    if was_loaded:
        return (
            f"{where} differs from the {version} loaded, but {last} is loaded already: layers load in "
            f"version order, so this correction is not loaded (the export stays archived, `strata files`). "
            "A changed record comes again in the portal's next layer: ask the portal to send the "
            "corrected records in its next layer."
        )
    return (
        f"{where} is older than the loaded layer {last} and was never loaded: layers load in version "
        "order, so it cannot load into this database. Load a registry's history into an empty "
        "database, oldest layer first."
    )


def layer_plan(conn: psycopg.Connection) -> LayerPlan:
    rows = conn.execute(read_sql("load/plan_states")).fetchall()
    loaded_versions = [r[0] for r in rows if r[5] is not None]
    last = max(loaded_versions, default=None)
    states = []
    for version, sha, file_id, file_name, loaded_sha, loaded_at, validated_sha, status, errors in rows:
        if loaded_at is not None and loaded_sha == sha:
            kind = LayerStatus.LOADED
        elif last is not None and version < last:
            reason = _refusal(version, file_name, file_id, last, loaded_at is not None)
            states.append(LayerState(version, sha, file_id, file_name, LayerStatus.REFUSED, reason))
            continue
        elif validated_sha != sha:
            kind = LayerStatus.TO_VALIDATE
        elif errors or status not in ("validated", "loaded"):
            kind = LayerStatus.INVALID
        else:
            kind = LayerStatus.READY
        states.append(LayerState(version, sha, file_id, file_name, kind))
    return LayerPlan(states, last)


@dataclass(frozen=True)
class InFlight:
    """Layer runs queued or running, whoever launched them (sensor, schedule, UI, backfill)."""

    validating: frozenset[str] = frozenset()
    loading: frozenset[str] = frozenset()


@dataclass
class LayerWork:
    validate: list[LayerState] = field(default_factory=list)
    load: LayerState | None = None
    # The load is of a layer not validated yet: one run validates it, then loads it (its blocking
    # check stops the load on analyst errors). A month's new layer then waits for no second run.
    validate_first: bool = False
    waiting: str = ""  # why nothing (more) loads now, for the tick's log


def next_work(plan: LayerPlan, in_flight: InFlight) -> LayerWork:
    """Validate every pending layer not validated yet; load the oldest pending one when it is ready,
    or validate and load it in one go when it is the next to load and not validated yet."""
    busy = in_flight.validating | in_flight.loading
    work = LayerWork(
        validate=[s for s in plan.pending if s.status is LayerStatus.TO_VALIDATE and s.version not in busy]
    )
    first = plan.next_to_load()
    if first is not None and not in_flight.loading and first in work.validate:
        work.validate.remove(first)
        work.load, work.validate_first = first, True
        return work
    if first is None:
        work.waiting = "every registered layer is loaded" + (
            f" ({len(plan.refused)} refused: older than the last loaded layer)" if plan.refused else ""
        )
    elif in_flight.loading:
        work.waiting = f"the load of {', '.join(sorted(in_flight.loading))} is on its way"
    elif first.status is LayerStatus.READY and first.version not in busy:
        work.load = first
    elif first.status is LayerStatus.INVALID:
        work.waiting = (
            f"layer {first.version} has analyst errors (`strata errors {first.version}`): "
            "later layers wait; re-materialize raw_layer for it once fixed"
        )
    else:
        work.waiting = f"layer {first.version} is being validated; later layers load after it"
    return work
