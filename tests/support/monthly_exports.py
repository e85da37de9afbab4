"""Exports as the portal sends them month after month: every earlier layer again, plus one new."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import orjson

from pipelines.sample.export import write_sample


@dataclass(frozen=True)
class MonthlyExports:
    reference: Path  # seed this first
    first: Path  # every layer but the last
    second: Path  # every layer: the first export's again (same bytes per layer) plus one new
    versions: list[str]
    expected: dict  # expected.json of the second export


def monthly_exports(out: Path, *, start: str, layers: int, passports: int, seed: int = 3) -> MonthlyExports:
    """One sample of ``layers`` layers (the first the largest), cut into two months' exports."""
    expected = write_sample(out / "sample", seed=seed, passports=passports, layers=layers, start=start)
    document = orjson.loads((out / "sample" / "export.json").read_bytes())
    first = dict(
        document, layers=document["layers"][:-1], exported_at=f"{document['layers'][-1]['version']}-01"
    )
    out.mkdir(parents=True, exist_ok=True)
    (out / "export-1.json").write_bytes(orjson.dumps(first))
    (out / "export-2.json").write_bytes(orjson.dumps(document))
    return MonthlyExports(
        out / "sample" / "reference",
        out / "export-1.json",
        out / "export-2.json",
        [layer["version"] for layer in document["layers"]],
        expected,
    )


def corrected(export: Path, version: str, out: Path) -> Path:
    """The export with one report of ``version`` changed, as a portal re-issuing that layer sends it."""
    document = orjson.loads(export.read_bytes())
    [layer] = [layer for layer in document["layers"] if layer["version"] == version]
    layer["reports"][0]["name"] = f"{layer['reports'][0]['name']} (corrected)"
    out.write_bytes(orjson.dumps(document))
    return out


def first_layers(export: Path, count: int, out: Path) -> Path:
    """The export as the portal sent it when it held only its first ``count`` layers."""
    document = orjson.loads(export.read_bytes())
    document["layers"] = document["layers"][:count]
    out.write_bytes(orjson.dumps(document))
    return out


def misspelled_category(export: Path, version: str, out: Path) -> tuple[Path, str, str]:
    """The export with one report of ``version`` naming its category in a spelling nobody mapped
    (an analyst error, mapping_not_found); returns the file, the spelling and the spelling it replaced."""
    document = orjson.loads(export.read_bytes())
    [layer] = [layer for layer in document["layers"] if layer["version"] == version]
    report = layer["reports"][0]
    original = report["category"]
    report["category"] = f"{original} (old spelling)"
    out.write_bytes(orjson.dumps(document))
    return out, report["category"], original
