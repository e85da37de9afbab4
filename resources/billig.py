"""billig, read-only: the development mirror by default, BILLIG_URL for production."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dagster import ConfigurableResource

from pipelines.billig.layout import DEFAULT_CHUNK_SIZE, BilligConfig
from pipelines.billig.reader import BilligReader, open_reader
from pipelines.billig.settings import BilligSettings
from pipelines.core.settings import StrataHome


class BilligResource(ConfigurableResource):
    """A thin wrapper around `pipelines.billig.reader.BilligReader`.

    Left empty, ``url`` falls back to BILLIG_URL and then to the development mirror
    STRATA_HOME/billig/billig.sqlite3 (`strata billig seed`), and ``event_table`` to
    BILLIG_EVENT_TABLE and then "billig.event_lim_web", read when a run starts,
    never when the code loads. Deployments may also pass ``url=EnvVar("BILLIG_URL")``.
    Whatever the URL, the connection cannot write.
    """

    url: str | None = None
    event_table: str | None = None  # "billig.event" (older billig) or "billig.event_lim_web"
    strata_home: str | None = None
    chunk_size: int = DEFAULT_CHUNK_SIZE

    def config(self) -> BilligConfig:
        home = StrataHome(Path(self.strata_home).resolve()) if self.strata_home else None
        return BilligSettings.from_env().config(
            url=self.url, event_table=self.event_table, home=home, chunk_size=self.chunk_size
        )

    @contextmanager
    def reader(self) -> Iterator[BilligReader]:
        with open_reader(self.config()) as reader:
            yield reader
