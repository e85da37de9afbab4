"""Make the database ready for a command or a run: server up, databases present, schema migrated."""

from __future__ import annotations

from pipelines.core.settings import Settings
from pipelines.db.connection import DatabaseUrls, connect, resolve
from pipelines.db.migrations import migrate


def prepare(settings: Settings) -> tuple[DatabaseUrls, list[str]]:
    """Idempotent: safe to call from every command and every run. Returns the URLs
    and the migrations it applied (none when the schema was current)."""
    settings.home.ensure()
    urls = resolve(settings)
    with connect(urls.strata) as conn:
        applied = migrate(conn)
    return urls, applied
