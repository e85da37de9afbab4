"""pipelines.load.plan and the order check on real registrations: what may run next, what never loads."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from pipelines.core.settings import StrataHome
from pipelines.intake.registration import register
from pipelines.load.order import LoadRefused
from pipelines.load.plan import InFlight, LayerStatus, layer_plan, next_work
from pipelines.load.transaction import load_layer
from pipelines.sample.export import write_sample
from pipelines.seed.seeding import seed
from pipelines.validation.registered import registered_layer, validate_registered


def _statuses(conn) -> dict[str, LayerStatus]:
    return {s.version: s.status for s in layer_plan(conn).states}


def test_older_history_registered_late_is_refused_and_holds_no_later_layer_back(conn, tmp_path: Path) -> None:
    """Loaded from 2026-01; an export that also holds 2025-12 arrives: 2025-12 can never load (refused,
    with why), and 2026-02 still loads (before, the never-loaded 2025-12 blocked every later layer)."""
    write_sample(tmp_path / "s", seed=4, passports=40, layers=2, start="2026-01")
    home = StrataHome(tmp_path / "home").ensure()
    seed(conn, tmp_path / "s" / "reference")
    conn.commit()
    document = orjson.loads((tmp_path / "s" / "export.json").read_bytes())
    first = dict(document, layers=document["layers"][:1])  # 2026-01 only, as a first export
    (tmp_path / "first.json").write_bytes(orjson.dumps(first))
    category = document["layers"][0]["reports"][0]["category"]
    history = {
        "version": "2025-12",
        "released_at": "2026-01-01",
        "reports": [{"id": "P-HIST-1", "name": "Old bridge", "category": category, "status": "active"}],
    }
    (tmp_path / "with-history.json").write_bytes(
        orjson.dumps(dict(document, layers=[history, *document["layers"]]))
    )
    register(conn, tmp_path / "first.json", home)
    conn.commit()
    fresh = next_work(layer_plan(conn), InFlight())  # the next to load, never validated: both in one run
    assert fresh.load is not None and fresh.load.version == "2026-01" and fresh.validate_first
    assert fresh.validate == []
    loading = next_work(layer_plan(conn), InFlight(loading=frozenset({"2025-11"})))
    assert loading.load is None and [s.version for s in loading.validate] == ["2026-01"]
    assert validate_registered(conn, registered_layer(conn, "2026-01")).valid
    conn.commit()
    work = next_work(layer_plan(conn), InFlight())
    assert work.load is not None and work.load.version == "2026-01" and work.validate == []
    assert not work.validate_first
    assert next_work(layer_plan(conn), InFlight(loading=frozenset({"2026-01"}))).load is None
    conn.rollback()
    load_layer(conn, "2026-01")

    register(conn, tmp_path / "with-history.json", home)  # 2025-12, 2026-01 (same), 2026-02
    conn.commit()
    plan = layer_plan(conn)
    assert _statuses(conn) == {
        "2025-12": LayerStatus.REFUSED,
        "2026-01": LayerStatus.LOADED,
        "2026-02": LayerStatus.TO_VALIDATE,
    }
    conn.rollback()
    [refused] = plan.refused
    assert "older than the loaded layer 2026-01 and was never loaded" in refused.reason
    after_refused = next_work(plan, InFlight())  # the refused layer is not the next to load
    assert after_refused.load is not None and after_refused.load.version == "2026-02"
    assert after_refused.validate_first and after_refused.validate == []
    with pytest.raises(LoadRefused, match="older than the loaded layer 2026-01"):
        load_layer(conn, "2025-12")  # the engine refuses it too, whatever launched it
    conn.rollback()
    assert validate_registered(conn, registered_layer(conn, "2026-02")).valid
    conn.commit()
    load_layer(conn, "2026-02")
    conn.rollback()
    assert _statuses(conn)["2026-02"] is LayerStatus.LOADED


def test_a_blocked_layer_holds_back_only_the_layers_after_it(conn, tmp_path: Path) -> None:
    write_sample(tmp_path / "d", seed=4, passports=40, layers=2, dirty=True)
    seed(conn, tmp_path / "d" / "reference")
    conn.commit()
    register(conn, tmp_path / "d" / "export.json", StrataHome(tmp_path / "home").ensure())
    conn.commit()
    for version in ("2026-01", "2026-02"):
        assert not validate_registered(conn, registered_layer(conn, version)).valid
        conn.commit()
    work = next_work(layer_plan(conn), InFlight())
    assert work.load is None and work.validate == []  # validated with errors: not asked for again
    assert "layer 2026-01 has analyst errors" in work.waiting
