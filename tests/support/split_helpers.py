"""Small exports for the split tests, and the round-trip check every split must pass."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from pipelines.intake.spool_writer import LayerSpool

BAD_SYNTAX = b'{"layers": [{"version": "2026-01", "reports": [{"id": tru}]}]}'


def report(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"P-{n:08d}",
        "name": f"Мост {n}",
        "category": "bridge",
        "status": "active",
        "parent_id": None,
        "length": {"value": 120.5 + n, "unit": "m"},
        "maintenance": [
            {
                "id": f"M-{n:08d}",
                "date": "2025-01-02",
                "repair_type": "patching",
                "crew": ["Ivanov I. P."],
                "cost": "1234.50",
                "measurements": [
                    {"id": f"X-{n}a", "kind": "depth", "value": "3,5", "unit": "м"},
                    {"id": f"X-{n}b", "kind": "width", "value": 12, "unit": "m"},
                    {"id": f"X-{n}c", "kind": "wear", "value": 1e-07, "unit": "%"},
                ],
            }
        ],
        "signs": [],
        **extra,
    }


def sample_doc() -> dict[str, Any]:
    """Keys out of the usual order at every level, unknown keys, an empty layer."""
    return {
        "exported_at": "2026-11-01T03:00:00Z",
        "future_field": [{"layers": [1]}, 2.5],
        "layers": [
            {"version": "2026-01", "released_at": "2026-02-01", "reports": [report(1), report(2)]},
            {
                "reports": [report(3, portal_extra={"a": [1, {"b": None}]}), report(1)],
                "portal_note": {"reports": [], "version": "1999-01"},
                "version": "2026-02",
                "released_at": None,
            },
            {"version": "2026-03", "reports": []},
        ],
        "source": "registry-portal",
    }


def expected_lines(reports: list[Any]) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in reports)


def assert_round_trip(doc: dict[str, Any], spools: list[LayerSpool]) -> None:
    assert [s.version for s in spools] == sorted(layer["version"] for layer in doc["layers"])
    by_version = {s.version: s for s in spools}
    for layer in doc["layers"]:
        spool = by_version[layer["version"]]
        data = spool.path.read_bytes()
        assert data == expected_lines(layer["reports"])
        assert [orjson.loads(line) for line in data.splitlines()] == layer["reports"]
        assert (spool.reports, spool.bytes) == (len(layer["reports"]), len(data))
        assert spool.sha256 == hashlib.sha256(data).hexdigest()
        assert spool.released_at == layer.get("released_at")
