"""The facts `strata layers` prints, as materialization metadata of raw_layer and loaded_layer,
so the UI shows each partition's state, error count, when it was validated and loaded, and the
file it came from (rows written are loaded_layer's ``writes``)."""

from __future__ import annotations

from typing import Any

from dagster import MetadataValue

from pipelines.load.layer_states import LayerState


def layer_metadata(state: LayerState | None) -> dict[str, Any]:
    if state is None:
        return {}
    times = {
        key: MetadataValue.timestamp(value)
        for key, value in (("validated_at", state.validated_at), ("loaded_at", state.loaded_at))
        if value is not None
    }
    return {
        "layer_state": state.state,
        "error_count": MetadataValue.text(str(state.error_count)),  # text: not a series to plot
        **times,
        "source_file": state.source_file,
    }
