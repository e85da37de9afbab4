"""The same work through Dagster: ``materialize()`` of raw_layer then loaded_layer per layer.

In process, on the bench's own Dagster instance (``STRATA_HOME/dagster``, storage in the
server's ``dagster`` database, as `strata load` uses), or an ephemeral instance when the
bench runs on someone else's DATABASE_URL. Compared with ``strata_stages.validate_and_load``
on the same layers, the difference is Dagster's overhead.
"""

from __future__ import annotations

import os
import time
from typing import Any

from bench.environment import BenchEnv

QUIET_RUN = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def materialize_layers(args: dict[str, Any]) -> dict[str, Any]:
    env = BenchEnv(**args["env"])
    os.environ.update(env.environ())
    started_import = time.perf_counter()
    from dagster import DagsterInstance, materialize

    from assets.loaded_layer import loaded_layer
    from assets.raw_layer import raw_layer
    from resources.database import DatabaseResource

    import_seconds = time.perf_counter() - started_import
    resources = {"database": DatabaseResource(database_url=env.database_url, strata_home=env.home)}
    instance = DagsterInstance.ephemeral() if env.database_url else DagsterInstance.get()
    layers = []
    with instance:
        for version in args["versions"]:
            timings = {}
            for name, asset in (("seconds", raw_layer), ("load_seconds", loaded_layer)):
                started = time.perf_counter()
                run = materialize(
                    [raw_layer, loaded_layer],
                    selection=[asset],
                    partition_key=version,
                    instance=instance,
                    resources=resources,
                    run_config=QUIET_RUN,
                )
                timings[name] = time.perf_counter() - started
                if not run.success:
                    raise SystemExit(f"bench: materialize {name} of {version} failed")
            writes = run.asset_materializations_for_node("loaded_layer")[0].metadata["writes"].value
            layers.append({"version": version, **timings, "writes": writes})
    return {"layers": layers, "import_seconds": import_seconds}
