"""The jobs that take monthly layers through the flow, and the one that registers an export.

layer_job runs both steps of one layer (the UI, the monthly schedule, backfills, and the layer
sensor for the oldest pending layer when nothing validated it yet); otherwise the sensor asks for
the two steps separately, validate_layer_job for every pending layer at once and load_layer_job
for the oldest pending one only (pipelines.load.plan), so that layers load in version order
whichever validation ends first.
"""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job, in_process_executor

from assets.instance import FLOW_TAG

LAYER_FLOW = {FLOW_TAG: "layer"}  # the run queue admits at most LAYER_RUNS runs with this tag (dagster.yaml)
LOAD_PRIORITY = {"dagster/priority": "10"}  # a queued load goes before queued validations
# Each of these runs one step, or two that follow each other: a process per step (the default
# multiprocess executor) would only add a start-up (seconds of imports) to every run.
ONE_PROCESS = in_process_executor

layer_job = define_asset_job(
    "layer_job",
    executor_def=ONE_PROCESS,
    selection=AssetSelection.assets("raw_layer", "loaded_layer"),
    description="Validate and load one monthly layer.",
    tags=LAYER_FLOW,
)
validate_layer_job = define_asset_job(
    "validate_layer_job",
    executor_def=ONE_PROCESS,
    selection=AssetSelection.assets("raw_layer"),
    description="Validate one monthly layer (raw_layer and its blocking check layer_is_valid).",
    tags=LAYER_FLOW,
)
load_layer_job = define_asset_job(
    "load_layer_job",
    executor_def=ONE_PROCESS,
    selection=AssetSelection.assets("loaded_layer"),
    description="Load one validated monthly layer (the layer sensor asks for the oldest pending one only).",
    tags=LAYER_FLOW | LOAD_PRIORITY,
)
register_export_job = define_asset_job(
    "register_export_job",
    executor_def=ONE_PROCESS,
    selection=AssetSelection.assets("registered_export"),
    description="Register one export: hash and archive it, split it into layers, add their partitions.",
    tags={FLOW_TAG: "register"},
)

# Which assets a run of each job materializes when it names no subset of its own.
JOB_ASSETS: dict[str, frozenset[str]] = {
    "layer_job": frozenset({"raw_layer", "loaded_layer"}),
    "validate_layer_job": frozenset({"raw_layer"}),
    "load_layer_job": frozenset({"loaded_layer"}),
}
