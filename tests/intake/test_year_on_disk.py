"""A year of monthly exports on one disk: what stays is the archive plus one month's working set.

Twelve exports in a row, export k holding layers 1..k (pipelines.sample.export, cut month by
month), each registered and its new layer validated and loaded. Without housekeeping every
month's spools and mapped rows would stay; with it, after each month only the newest export's
spools (its layers, for raw_layer to validate again at will) and the mapped rows validated from
it remain. The figures are printed (`pytest -s`) for the record.
"""

from __future__ import annotations

from pathlib import Path

import psycopg

from pipelines.core.settings import StrataHome
from pipelines.db.connection import one_row
from pipelines.intake.housekeeping import disk_bytes
from pipelines.seed.seeding import seed
from tests.support.load_checks import assert_final_state
from tests.support.month_helpers import folder_bytes, load_month, monthly_exports

MONTHS = 12


def test_twelve_monthly_exports_leave_the_archive_plus_one_months_working_set(
    conn: psycopg.Connection, db_url: str, tmp_path: Path
) -> None:
    exports, expected = monthly_exports(tmp_path / "portal", MONTHS, passports=400)
    seed(conn, tmp_path / "portal" / "sample" / "reference")
    conn.commit()
    home = StrataHome(tmp_path / "home").ensure()
    kept_naively = 0  # what the spool folder would hold with no housekeeping
    for month, export in enumerate(exports, 1):
        load_month(conn, db_url, export, home)
        sha = one_row(conn, "SELECT sha256 FROM loader_file ORDER BY id DESC LIMIT 1")[0]
        newest = home.spool / sha
        version = export.stem.removeprefix("export-")
        sizes = folder_bytes(home)
        # one month's working set: the newest export split into layer spools, and the mapped rows of
        # the one layer validated from it; nothing of any earlier month
        assert [p.name for p in home.spool.iterdir()] == [sha], month
        assert sorted(p.name for p in newest.iterdir()) == sorted(
            [f"{e.stem.removeprefix('export-')}.jsonl" for e in exports[:month]]
            + ["manifest.json", f"{version}.mapped"]
        ), month
        working = disk_bytes(newest)
        kept_naively += working  # with no housekeeping, every month's folder would stay as it is now
        split_only = (
            disk_bytes(newest)
            - disk_bytes(newest / f"{version}.mapped")
            - disk_bytes(newest / "manifest.json")
        )
        assert split_only <= export.stat().st_size  # the spools re-encode the export's reports, one a line
        assert sizes["spool"] == working and sizes["work"] == 0
        assert sizes["archive"] == sum(e.stat().st_size for e in exports[:month])
    assert_final_state(conn, expected)
    total = sum(folder_bytes(home).values())
    print(
        f"\nafter {MONTHS} months: archive {sizes['archive']:,} B, working set {sizes['spool']:,} B "
        f"(the newest export is {exports[-1].stat().st_size:,} B), STRATA_HOME archive+spool+work "
        f"{total:,} B; every split kept would have been {kept_naively:,} B of spools"
    )
