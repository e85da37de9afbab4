"""docs/asset-graph.png: the asset graph as the UI shows it after one layer went through.

`make screenshot` runs it. The same set-up as the UI end-to-end test (tests/test_ui_e2e.py,
whose helpers it reuses): embedded PostgreSQL in a temporary STRATA_HOME, a sample export
registered, `dagster dev`, layer_job launched through GraphQL; then headless Chromium
(Debian: `apt-get install chromium`) photographs the global asset lineage.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent / "tests"))

import requests  # noqa: E402
from conftest import embedded_home  # noqa: E402
from dagster_graphql import DagsterGraphQLClient  # noqa: E402
from test_ui_e2e import dagster_dev, free_port, submit, wait_for_run, wait_for_webserver  # noqa: E402

from assets.instance import prepare_instance  # noqa: E402
from pipelines.core.settings import Settings  # noqa: E402
from pipelines.db.connection import connect  # noqa: E402
from pipelines.intake.registration import register  # noqa: E402
from pipelines.sample.export import write_sample  # noqa: E402
from pipelines.seed.seeding import seed  # noqa: E402

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--window-size=1600,1000",
    "--virtual-time-budget=30000",
]


PAGE = os.environ.get("SCREENSHOT_PAGE", "locations/assets.definitions/asset-groups/registry_export")


def main(out: Path = DOCS / "asset-graph.png") -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        sys.exit("no chromium: apt-get install -y chromium")
    work = Path(tempfile.mkdtemp(prefix="strata-screenshot-"))
    try:
        with embedded_home() as home:
            urls, _ = prepare_instance(Settings(home=home, database_url=None))
            expected = write_sample(work / "s", seed=2, passports=30, layers=1)
            with connect(urls.strata) as conn:
                seed(conn, work / "s" / "reference")
                register(conn, work / "s" / "export.json", home)
            port, log = free_port(), work / "dagster-dev.log"
            with dagster_dev(home, port, log) as proc:
                wait_for_webserver(proc, port, log)
                client = DagsterGraphQLClient("127.0.0.1", port_number=port, timeout=30)
                run_id = submit(client, expected["layers"][0]["version"])
                print("layer_job:", wait_for_run(client, run_id, log))
                # The UI greets a new instance with a newsletter dialog; this is its "Skip" button.
                requests.post(
                    f"http://127.0.0.1:{port}/graphql", json={"query": "mutation { setNuxSeen }"}, timeout=30
                ).raise_for_status()
                subprocess.run(
                    [
                        browser,
                        *CHROMIUM_FLAGS,
                        f"--user-data-dir={work / 'chromium'}",
                        f"--screenshot={out}",
                        f"http://127.0.0.1:{port}/{PAGE}",
                    ],
                    check=True,
                    timeout=120,
                    capture_output=True,
                )
        print("wrote", out)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
