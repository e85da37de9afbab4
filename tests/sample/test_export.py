"""The sample generator keeps its promises: the spec's format, deterministic bytes,
and an expected.json that an independent reading of the export agrees with.

The checks re-derive everything from the written files (a small resolver for names
and enum spellings below), so they test the output, not the generator's internals.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import py7zr
import pytest

from pipelines.sample.export import main, write_sample
from tests.support.sample_reader import (
    ENUM_FILES,
    ERROR_CODES,
    HEADERS,
    REQUIRED,
    Reader,
    errors_of,
    is_date,
    load,
    own_fields,
    rows,
)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("clean")
    write_sample(out, seed=1, seven_zip=True)
    return out


@pytest.fixture(scope="module")
def dirty(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dirty")
    write_sample(out, seed=2, dirty=True, layers=4)
    return out


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    files = ["export.json", "expected.json", *(f"reference/{n}.csv" for n in HEADERS)]
    for name in ("a", "b"):
        write_sample(tmp_path / name, seed=7, passports=40, dirty=True)
    write_sample(tmp_path / "c", seed=8, passports=40, dirty=True)
    for f in files:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    assert (tmp_path / "a/export.json").read_bytes() != (tmp_path / "c/export.json").read_bytes()


def test_format_follows_the_spec(clean: Path) -> None:
    doc, expected = load(clean)
    assert doc["source"] == "registry-portal" and doc["exported_at"].endswith("Z")
    versions = [layer["version"] for layer in doc["layers"]]
    assert all(re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", v) for v in versions)
    assert len(set(versions)) == len(versions) == 3 and versions == [x["version"] for x in expected["layers"]]
    missing: Counter[str] = Counter()
    for layer in doc["layers"]:
        assert is_date(layer["released_at"])
        assert len({rep["id"] for rep in layer["reports"]}) == len(layer["reports"])
        for rep in layer["reports"]:
            assert REQUIRED["report"] <= rep.keys() and rep["status"] in ("active", "retired")
            assert "length" not in rep or REQUIRED["length"] <= rep["length"].keys()
            missing.update(k for k in ("region", "commissioned", "inspector", "maintenance") if k not in rep)
            for m in rep.get("maintenance", []):
                assert REQUIRED["maintenance"] <= m.keys() and is_date(m["date"])
                assert all(REQUIRED["measurement"] <= x.keys() for x in m.get("measurements", []))
            assert all(REQUIRED["sign"] <= s.keys() for s in rep.get("signs", []))
    assert set(missing) == {
        "region",
        "commissioned",
        "inspector",
        "maintenance",
    }  # optional keys do go missing


def test_reference_headers(clean: Path) -> None:
    for name, header in HEADERS.items():
        assert rows(clean, name)[0] == header
    passports = rows(clean, "passports")[1:]
    assert any(not r[0] for r in passports) and any(r[0] for r in passports)
    assert any(
        aliases == "" for _, _, aliases in rows(clean, "measure_units")[1:] + rows(clean, "categories")[1:]
    )
    for name in ENUM_FILES.values():  # compared case-insensitively, no spelling may mean two codes
        table = rows(clean, name)[1:]
        spellings = [s.lower() for code, _, aliases in table for s in {code, *aliases.split("|")} if s]
        assert len(spellings) == len(set(spellings)), name


@pytest.mark.parametrize("which", ["clean", "dirty"])
def test_counts_agree_with_export(which: str, request: pytest.FixtureRequest) -> None:
    out = request.getfixturevalue(which)
    doc, expected = load(out)
    seen: set[str] = set()
    last: dict[str, dict] = {}
    for layer, stats in zip(doc["layers"], expected["layers"], strict=True):
        reports = layer["reports"]
        maint = [m for rep in reports for m in rep.get("maintenance", [])]
        assert stats["reports"] == len(reports)
        assert stats["maintenance"] == len(maint)
        assert stats["measurements"] == sum(len(m.get("measurements", [])) for m in maint)
        assert stats["signs"] == sum(len(rep.get("signs", [])) for rep in reports)
        assert stats["crew_links"] == sum(len(m.get("crew", [])) for m in maint)
        ids = {rep["id"] for rep in reports}
        assert stats["new_reports"] == len(ids - seen)
        assert 0 < stats["new_reports"] + stats["changed_reports"] < len(ids) or layer is doc["layers"][0]
        seen |= ids
        last.update((rep["id"], rep) for rep in reports)
    reference = rows(out, "passports")[1:]
    assert expected["reference"] == {
        "profiles": len(rows(out, "profiles")) - 1,
        "passports": len(reference),
        "passports_with_ext_id": sum(1 for r in reference if r[0]),
    }
    if which == "dirty":
        assert expected["final"] is None and expected["sample"] is None
        return
    final, maint = expected["final"], [m for rep in last.values() for m in rep.get("maintenance", [])]
    assert final["passports_from_export"] == len(seen) == len(expected["sample"])
    assert final["passports"] == len(reference) + len(seen - {r[0] for r in reference})
    assert final["maintenance"] == len(maint)
    assert final["measurements"] == sum(len(m.get("measurements", [])) for m in maint)
    assert final["crew_links"] == sum(len(m.get("crew", [])) for m in maint)
    assert final["signs"] == sum(len(rep.get("signs", [])) for rep in last.values())
    assert final["passport_history_versions"] == sum(p["history_versions"] for p in expected["sample"])


def test_sample_is_what_the_last_reports_mean(clean: Path) -> None:
    """Resolving each passport's reports gives the sample's values and history counts."""
    doc, expected = load(clean)
    rd = Reader.of(clean)
    history: Counter[str] = Counter()
    own: dict[str, tuple[object, ...]] = {}
    last: dict[str, dict] = {}
    for layer in doc["layers"]:
        for rep in layer["reports"]:
            if own.get(rep["id"]) != (fields := own_fields(rep, rd)):
                history[rep["id"]] += 1
                own[rep["id"]] = fields
            last[rep["id"]] = rep
    for want in expected["sample"]:
        rep = last[want["ext_id"]]
        name, category, region, parent, commissioned, length, inspector, status = own[want["ext_id"]]
        assert (name, category, region, parent, commissioned, inspector, status) == (
            want["name"],
            want["category"],
            want["region"],
            want["parent_ext_id"],
            want["commissioned"],
            want["inspector_profile_id"],
            want["status"],
        )
        assert length == (want["length"] and (want["length"]["value"], want["length"]["unit"]))
        assert history[want["ext_id"]] == want["history_versions"]
        assert len(rep.get("signs", [])) == want["signs"]
        got = [
            {
                "ext_id": m["id"],
                "date": m["date"],
                "repair_type": rd.enums["repair_type"][m["repair_type"].lower()],
                "performed_by_profile_id": rd.person(m.get("performed_by")),
                "cost": m.get("cost"),
                "crew_profile_ids": sorted(rd.person(c) for c in m.get("crew", [])),
                "measurements": len(m.get("measurements", [])),
            }
            for m in rep.get("maintenance", [])
        ]
        assert got == want["maintenance"]
    assert max(history.values()) > 1  # own fields do change
    assert sum(history.values()) < sum(
        len(layer["reports"]) for layer in doc["layers"]
    )  # re-spelling is no change


def test_names_and_enums_are_spelled_every_way(clean: Path) -> None:
    doc, _ = load(clean)
    rd = Reader.of(clean)
    reps = [rep for layer in doc["layers"] for rep in layer["reports"]]
    names = [
        n
        for rep in reps
        for n in [rep.get("inspector")]
        + [p for m in rep.get("maintenance", []) for p in [m.get("performed_by"), *m.get("crew", [])]]
        if n
    ]
    shapes = {
        "upper": r"[A-Z]+ [A-Z]+ [A-Z]+",
        "initials": r"\w+ \w\. \w\.",
        "tight": r"\w+ \w\.\w\.",
        "two": r"\w+ \w+",
    }
    for shape, pattern in shapes.items():
        assert any(re.fullmatch(pattern, n) for n in names), shape
    typos = [n for n in names if " ".join(n.split()).lower() not in rd.forms]
    assert typos and all(len(rd.people(t)) == 1 for t in typos)
    initials = Counter(
        (last, first[0], middle[0]) for _, last, first, middle, _ in rows(clean, "profiles")[1:]
    )
    assert max(initials.values()) >= 2  # namesakes exist
    units = [x["unit"] for rep in reps for m in rep.get("maintenance", []) for x in m.get("measurements", [])]
    assert any(u not in rd.enums["unit"].values() for u in units) and any(u.isupper() for u in units)
    values = [
        x["value"] for rep in reps for m in rep.get("maintenance", []) for x in m.get("measurements", [])
    ]
    assert any(isinstance(v, str) and "," in v for v in values)


def assert_errors_exact(out: Path, codes_wanted: set[str]) -> None:
    """Every layer lists exactly the errors an independent reading finds."""
    doc, expected = load(out)
    rd = Reader.of(out)
    earlier: set[str] = set()
    codes: set[str] = set()
    for layer, stats in zip(doc["layers"], expected["layers"], strict=True):
        assert errors_of(layer, earlier, rd) == sorted(stats["errors"])
        codes |= {code for *_, code in stats["errors"]}
        earlier |= {rep["id"] for rep in layer["reports"]}
    assert codes == codes_wanted


@pytest.mark.parametrize("which, codes", [("clean", set()), ("dirty", ERROR_CODES)])
def test_errors_are_listed_exactly(which: str, codes: set[str], request: pytest.FixtureRequest) -> None:
    assert_errors_exact(request.getfixturevalue(which), codes)


@pytest.mark.parametrize("seed, passports, layers", [(3, 20, 2), (4, 300, 3)])
def test_dirty_errors_at_other_sizes(seed: int, passports: int, layers: int, tmp_path: Path) -> None:
    write_sample(tmp_path, seed=seed, passports=passports, layers=layers, dirty=True)
    assert_errors_exact(tmp_path, ERROR_CODES)


def test_seven_zip_holds_the_export(clean: Path, tmp_path: Path) -> None:
    with py7zr.SevenZipFile(clean / "export.7z", "r") as archive:
        assert archive.getnames() == ["export.json"]
        archive.extractall(tmp_path)
    assert (tmp_path / "export.json").read_bytes() == (clean / "export.json").read_bytes()


def test_parents_come_from_everywhere_and_after_children(clean: Path) -> None:
    doc, _ = load(clean)
    reference = {row[0] for row in rows(clean, "passports")[1:] if row[0]}
    earlier: set[str] = set()
    after_child = from_reference = from_earlier = False
    for layer in doc["layers"]:
        where = {rep["id"]: i for i, rep in enumerate(layer["reports"])}
        for i, rep in enumerate(layer["reports"]):
            parent = rep.get("parent_id")
            after_child |= where.get(parent, -1) > i
            from_reference |= parent in reference and parent not in where and parent not in earlier
            from_earlier |= parent in earlier and parent not in where
        earlier |= set(where)
    assert after_child and from_reference and from_earlier


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main([str(tmp_path), "--passports", "30", "--layers", "2", "--seed", "3", "--7z"])
    assert "2 layers" in capsys.readouterr().out
    assert {p.name for p in tmp_path.iterdir()} == {"export.json", "export.7z", "expected.json", "reference"}
    assert [layer["version"] for layer in load(tmp_path)[1]["layers"]] == ["2026-01", "2026-02"]


def test_too_small_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_sample(tmp_path, passports=5)
