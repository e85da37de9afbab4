"""Where billig is, as the environment says, read only when asked.

Like `pipelines.core.settings`, this is read when a command starts or a resource is set
up for a run, never at import time. Left unset, billig is the development mirror
under STRATA_HOME, so `dagster dev` works on a fresh machine. (A Dagster ``EnvVar``
cannot do that: Dagster refuses a run whose EnvVar is unset.)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from pipelines.billig.layout import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_EVENT_TABLE,
    BilligConfig,
    BilligLayout,
    dev_url,
)
from pipelines.core.settings import Settings, StrataHome

URL_VARIABLE = "BILLIG_URL"
EVENT_TABLE_VARIABLE = "BILLIG_EVENT_TABLE"


@dataclass(frozen=True)
class BilligSettings:
    """BILLIG_URL (``postgresql://...`` in production, ``sqlite:///path`` or a path in
    development) and BILLIG_EVENT_TABLE ("billig.event" or "billig.event_lim_web")."""

    home: StrataHome
    url: str | None
    event_table: str | None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> BilligSettings:
        env = os.environ if environ is None else environ
        return cls(
            home=Settings.from_env(env).home,
            url=env.get(URL_VARIABLE) or None,
            event_table=env.get(EVENT_TABLE_VARIABLE) or None,
        )

    def config(
        self,
        *,
        url: str | None = None,
        event_table: str | None = None,
        home: StrataHome | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> BilligConfig:
        """Explicit values first, then the environment, then the development mirror."""
        return BilligConfig(
            url=url or self.url or dev_url(home or self.home),
            layout=BilligLayout(event_table or self.event_table or DEFAULT_EVENT_TABLE),
            chunk_size=chunk_size,
        )
