"""One partition per registered monthly layer, keyed YYYY-MM like the export's versions.

Dynamic partitions: the partitions are exactly the layers that exist, whatever their year, added
when an export is registered (the registration run, the layer sensor for anything registered
outside Dagster, `strata load` and `strata register`). The README's design decisions say why and
what it costs (no self-dependency, so the order of loads is kept by the engine and by how runs
are requested: pipelines.load.plan).
"""

from __future__ import annotations

from collections.abc import Iterable

from dagster import DagsterInstance, DynamicPartitionsDefinition

LAYERS = "layers"
layer_partitions = DynamicPartitionsDefinition(name=LAYERS)


def missing_layers(instance: DagsterInstance, versions: Iterable[str]) -> list[str]:
    """The versions that are not a partition yet, oldest first."""
    known = set(instance.get_dynamic_partitions(LAYERS))
    return sorted({v for v in versions if v not in known})


def add_layers(instance: DagsterInstance, versions: Iterable[str]) -> list[str]:
    """Make every version a partition (idempotent); the ones added, oldest first."""
    added = missing_layers(instance, versions)
    if added:
        instance.add_dynamic_partitions(LAYERS, added)
    return added
