"""A year of monthly exports on one disk: what stays is the archive plus one copy of each layer.

Twelve exports in a row, export k holding layers 1..k (pipelines.sample.export, cut month by
month), each registered and its new layer validated and loaded. Every export re-sends the earlier
layers unchanged: the split writes only the new layer (pipelines.intake.split), so each layer has
one spool, in the folder of the export that brought it, with the mapped rows validated from it;
no month writes or keeps a second copy, and of the validation chains each layer saves only the
one of the layer loaded last stays. The figures are printed (`pytest -s`) for the record.
"""

from __future__ import annotations

from pathlib import Path

import psycopg

from pipelines.core.settings import StrataHome
from pipelines.db.connection import one_row
from pipelines.intake.spools import CHAIN_STATE
from pipelines.seed.seeding import seed
from tests.support.load_checks import assert_final_state
from tests.support.month_helpers import folder_bytes, load_month, monthly_exports

MONTHS = 12


def test_twelve_monthly_exports_leave_the_archive_plus_one_copy_of_each_layer(
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
        # this month's folder holds only its new layer (and the mapped rows validated from it)
        assert sorted(p.name for p in newest.iterdir()) == [
            f"{version}.jsonl",
            f"{version}.mapped",
            "manifest.json",
        ]
        # one copy of every layer so far, each where the export that brought it put it
        copies = sorted(p.relative_to(home.spool).as_posix() for p in home.spool.rglob("*.jsonl"))
        firsts = [
            f"{one_row(conn, 'SELECT sha256 FROM loader_file WHERE id = %s', (i,))[0]}/"
            f"{e.stem.removeprefix('export-')}.jsonl"
            for i, e in enumerate(exports[:month], 1)
        ]
        assert copies == sorted(firsts), month
        # one saved validation chain, the one next month's layer resumes: this month's layer's
        chains = [p.relative_to(home.spool).as_posix() for p in home.spool.rglob(CHAIN_STATE)]
        assert chains == [f"{sha}/{version}.mapped/{CHAIN_STATE}"], month
        kept_naively += sum(e.stat().st_size for e in exports[:month])  # every layer written every month
        assert sizes["spool"] <= 2 * export.stat().st_size  # one copy of each layer plus its mapped rows
        assert sizes["work"] == 0
        assert sizes["archive"] == sum(e.stat().st_size for e in exports[:month])
    assert_final_state(conn, expected)
    total = sum(folder_bytes(home).values())
    print(
        f"\nafter {MONTHS} months: archive {sizes['archive']:,} B, working set {sizes['spool']:,} B "
        f"(the newest export is {exports[-1].stat().st_size:,} B), STRATA_HOME archive+spool+work "
        f"{total:,} B; writing every layer every month would have written {kept_naively:,} B of spools"
    )
