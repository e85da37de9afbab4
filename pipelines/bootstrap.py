"""Make the database ready: server up, databases present, schema migrated, Dagster configured."""
from __future__ import annotations

from pipelines.dagster_instance import write_instance_yaml
from pipelines.database import DatabaseUrls, connect, resolve
from pipelines.migrations import migrate
from pipelines.settings import Settings


def prepare(settings: Settings) -> tuple[DatabaseUrls, list[str]]:
    """Idempotent: safe to call from every command and every run. Returns the URLs
    and the migrations it applied (none when the schema was current)."""
    settings.home.ensure()
    urls = resolve(settings)
    with connect(urls.strata) as conn:
        applied = migrate(conn)
    write_instance_yaml(settings.home.dagster_home, urls.dagster)
    return urls, applied
