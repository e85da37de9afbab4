"""Where exports are dropped, and how long a file must rest before it is read."""

from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource

from pipelines.core.settings import StrataHome


class DropFolderResource(ConfigurableResource):
    """Left empty, the folder is STRATA_HOME/drop. ``settle_seconds`` keeps the sensor
    from reading a file that is still being copied in."""

    path: str | None = None
    settle_seconds: float = 10.0

    def folder(self, home: StrataHome) -> Path:
        return Path(self.path).resolve() if self.path else home.drop
