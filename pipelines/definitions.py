"""Everything Dagster loads, assembled in one place."""
from __future__ import annotations

from dagster import Definitions

from resources.database import DatabaseResource


def build_definitions() -> Definitions:
    return Definitions(
        resources={"database": DatabaseResource()},
    )


defs = build_definitions()
