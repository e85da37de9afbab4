"""A small sample export, with the answer a correct import must give.

Writes export.json and reference/*.csv exactly as docs/export-format.md says,
plus expected.json (shaped like the big generator's truth.json), so tests, demos
and a first run need nothing outside this project. ``layers`` owns the meaning (records
revised layer by layer), ``portal_spelling`` and ``people`` the text, ``injected_errors`` the
analyst errors of a dirty sample; this module writes the files.

    python -m pipelines.sample.export OUT_DIR [--seed S] [--passports N] [--layers L] [--dirty] [--7z]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import orjson

from pipelines.sample import portal_spelling as portal
from pipelines.sample.layers import Sample
from pipelines.sample.people import People


def _months(start: str, count: int) -> list[str]:
    year, month = map(int, start.split("-"))
    return [f"{year + (month - 1 + i) // 12:04d}-{(month - 1 + i) % 12 + 1:02d}" for i in range(count)]


def write_sample(
    out: Path,
    *,
    seed: int = 1,
    passports: int = 120,
    layers: int = 3,
    dirty: bool = False,
    seven_zip: bool = False,
    start: str = "2026-01",
) -> dict:
    """Write export.json, reference/*.csv and expected.json (and export.7z); return expected."""
    if passports < 20 or layers < 1:
        raise ValueError("a sample needs at least 20 passports and 1 layer")
    sample = Sample(seed, passports, layers, People(seed))
    ref = out / "reference"
    ref.mkdir(parents=True, exist_ok=True)
    portal.write_vocabulary(ref, sample.people)
    reference = sample.reference_passports()
    portal.write_csv(ref / "passports.csv", ["ext_id", "name", "category", "region"], reference)
    versions = _months(start, layers + 1)
    written = [sample.next_layer(i, versions[i], f"{versions[i + 1]}-01", dirty) for i in range(layers)]
    document = {
        "source": "registry-portal",
        "exported_at": f"{versions[-1]}-01T03:00:00Z",
        "layers": [layer for layer, _ in written],
    }
    (out / "export.json").write_bytes(orjson.dumps(document))
    if seven_zip:
        import py7zr  # only needed here; keeps a plain import of this module light

        with py7zr.SevenZipFile(out / "export.7z", "w") as archive:
            archive.write(out / "export.json", "export.json")
    expected = {
        "seed": seed,
        "dirty": dirty,
        "reference": {
            "profiles": len(sample.people.profiles),
            "passports": len(reference),
            "passports_with_ext_id": sum(1 for row in reference if row[0]),
        },
        "layers": [stats for _, stats in written],
        # a dirty layer never loads, so nothing final can be promised
        **({"final": None, "sample": None} if dirty else sample.outcome(len(reference))),
    }
    (out / "expected.json").write_bytes(orjson.dumps(expected, option=orjson.OPT_INDENT_2))
    return expected


def main(argv: list[str] | None = None) -> None:
    """``python -m pipelines.sample.export OUT_DIR``: the sample from the command line."""
    ap = argparse.ArgumentParser(
        prog="python -m pipelines.sample.export",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("out", type=Path, metavar="OUT_DIR")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--passports", type=int, default=120, help="passports in the first layer (20 or more)")
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--start", default="2026-01", help="version of the first layer, YYYY-MM")
    ap.add_argument("--dirty", action="store_true", help="inject analyst errors (listed in expected.json)")
    ap.add_argument("--7z", dest="seven_zip", action="store_true", help="also write export.7z")
    a = ap.parse_args(argv)
    expected = write_sample(
        a.out,
        seed=a.seed,
        passports=a.passports,
        layers=a.layers,
        dirty=a.dirty,
        seven_zip=a.seven_zip,
        start=a.start,
    )
    reports = sum(layer["reports"] for layer in expected["layers"])
    print(f"wrote {a.out / 'export.json'}: {a.layers} layers, {reports} reports")


if __name__ == "__main__":
    main()
