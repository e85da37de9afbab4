"""The code location loads, as `dagster dev` and the webserver would load it."""
from __future__ import annotations

from dagster import Definitions

from pipelines.definitions import defs


def test_definitions_load() -> None:
    Definitions.validate_loadable(defs)
    assert "database" in defs.resources
