"""Where Strata keeps its things, and which database it talks to.

The environment is read here and nowhere else, and only when asked (at CLI start
or when a resource is set up for a run), never at import time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOME = ".strata"
STRATA_DATABASE = "strata"
DAGSTER_DATABASE = "dagster"


@dataclass(frozen=True)
class StrataHome:
    """The data folder: embedded server, drop folder, archive, spools, reports, Dagster home."""

    root: Path

    @property
    def pgdata(self) -> Path:
        return self.root / "pg"

    @property
    def drop(self) -> Path:
        return self.root / "drop"

    @property
    def archive(self) -> Path:
        return self.root / "archive"

    @property
    def spool(self) -> Path:
        return self.root / "spool"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster"

    def ensure(self) -> StrataHome:
        for folder in (self.root, self.drop, self.archive, self.spool, self.reports, self.dagster_home):
            folder.mkdir(parents=True, exist_ok=True)
        return self


@dataclass(frozen=True)
class Settings:
    """What the environment says: the data folder, and an external database if any."""

    home: StrataHome
    database_url: str | None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        root = Path(env.get("STRATA_HOME") or DEFAULT_HOME).expanduser().resolve()
        return cls(home=StrataHome(root), database_url=env.get("DATABASE_URL") or None)
