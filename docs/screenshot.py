"""The README's pictures of Dagster's UI, taken by headless Chromium.

`make screenshot` runs it (and installs chromium when missing). Set-up as an analyst meets it: the
embedded PostgreSQL in a temporary STRATA_HOME, a four-layer sample export whose third layer names
a category in a spelling nobody mapped, `strata load` (2026-01 and 2026-02 load, 2026-03 is
blocked, 2026-04 is valid but waits), then `dagster dev` and two pages:

- docs/asset-graph.png: the registry_export asset group (raw_layer with its check, loaded_layer);
- docs/partitions-blocked.png: raw_layer's partitions with 2026-03 selected: failed, its
  layer_is_valid check failed with the error counts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))

import requests  # noqa: E402

from assets.instance import prepare_instance  # noqa: E402
from pipelines.cli.main import main as strata  # noqa: E402
from pipelines.core.settings import Settings  # noqa: E402
from pipelines.db.connection import connect  # noqa: E402
from pipelines.sample.export import write_sample  # noqa: E402
from pipelines.seed.seeding import seed  # noqa: E402
from tests.assets.test_ui_e2e import dagster_dev, free_port, wait_for_webserver  # noqa: E402
from tests.support.monthly_exports import misspelled_category  # noqa: E402
from tests.support.postgres import embedded_home  # noqa: E402

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
PAGES = {
    "asset-graph.png": "locations/assets.definitions/asset-groups/registry_export",
    "partitions-blocked.png": "assets/raw_layer?view=partitions&partition=2026-03",
}
EXTRA = dict(item.split("=", 1) for item in os.environ.get("SCREENSHOT_EXTRA", "").split(";") if item)


def main() -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        sys.exit("no chromium: apt-get install -y chromium")
    work = Path(tempfile.mkdtemp(prefix="strata-screenshot-"))
    try:
        with embedded_home() as home:
            os.environ.update(STRATA_HOME=str(home.root), DAGSTER_HOME=str(home.dagster_home))
            os.environ.pop("DATABASE_URL", None)
            urls, _ = prepare_instance(Settings(home=home, database_url=None))
            write_sample(work / "s", seed=2, passports=60, layers=4)
            export, _, _ = misspelled_category(work / "s" / "export.json", "2026-03", work / "export.json")
            with connect(urls.strata) as conn:
                seed(conn, work / "s" / "reference")
            strata(["load", str(export)])  # exit 1: 2026-03 is blocked, as the picture shows
            port, log = free_port(), work / "dagster-dev.log"
            with dagster_dev(home, port, log) as proc:
                wait_for_webserver(proc, port, log)
                # The UI greets a new instance with a newsletter dialog; this is its "Skip" button.
                requests.post(
                    f"http://127.0.0.1:{port}/graphql", json={"query": "mutation { setNuxSeen }"}, timeout=30
                ).raise_for_status()
                for name, page in (PAGES | EXTRA).items():
                    subprocess.run(
                        [
                            browser,
                            *CHROMIUM_FLAGS,
                            f"--user-data-dir={work / 'chromium'}",
                            f"--screenshot={DOCS / name if name in PAGES else Path(name)}",
                            f"http://127.0.0.1:{port}/{page}",
                        ],
                        check=True,
                        timeout=120,
                        capture_output=True,
                    )
                    print("wrote", DOCS / name)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
