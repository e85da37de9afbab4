"""The database resource: embedded PostgreSQL by default, DATABASE_URL for a real one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from dagster import ConfigurableResource, InitResourceContext
from pydantic import PrivateAttr

from pipelines.core.exceptions import TransientError
from pipelines.core.settings import Settings, StrataHome
from pipelines.db.connection import DatabaseUrls, connect
from pipelines.db.setup import prepare


class DatabaseResource(ConfigurableResource):
    """Strata's PostgreSQL. Left empty, each field falls back to the environment
    (DATABASE_URL, STRATA_HOME) when a run starts, never when the code loads.
    Setting up starts the embedded server if needed and applies migrations."""

    database_url: str | None = None
    strata_home: str | None = None

    _urls: DatabaseUrls | None = PrivateAttr(default=None)

    def settings(self) -> Settings:
        env = Settings.from_env()
        home = StrataHome(Path(self.strata_home).resolve()) if self.strata_home else env.home
        return Settings(home=home, database_url=self.database_url or env.database_url)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        """Prepare eagerly, but leave an unreachable server to the first connect(): there it
        is a TransientError inside the step (where the retry policy applies) or the sensor
        tick (which skips), not a failed resource initialization."""
        try:
            self._urls, applied = prepare(self.settings())
        except TransientError as exc:
            if context.log:
                context.log.warning(f"{exc}; the first query tries again")
            return
        if applied and context.log:
            context.log.info(f"applied migrations: {', '.join(applied)}")

    @property
    def url(self) -> str:
        if self._urls is None:
            self._urls, _ = prepare(self.settings())
        return self._urls.strata

    @contextmanager
    def connect(self) -> Iterator[psycopg.Connection]:
        with connect(self.url) as conn:
            yield conn
