"""The generated pydantic models: never stale against the JSON Schema, and faithful to the spec."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import orjson
import pytest
from pydantic import ValidationError

from pipelines.contract.export_models import Export, PassportReport
from pipelines.contract.generate_models import MODULE, generate
from pipelines.sample.export import write_sample


def test_generated_module_is_up_to_date(tmp_path: Path) -> None:
    for tool in ("datamodel_code_generator", "ruff"):
        if importlib.util.find_spec(tool) is None:
            pytest.skip(f"{tool} is not installed (pip install -e '.[dev]'): cannot check export_models.py")
    fresh = generate(tmp_path / "export_models.py")
    assert fresh.read_text() == MODULE.read_text(), (
        "pipelines/export_models.py is stale: run `make gen-types`"
    )


def test_the_sample_export_fits_the_models(tmp_path: Path) -> None:
    write_sample(tmp_path, seed=4)
    export = Export.model_validate(orjson.loads((tmp_path / "export.json").read_bytes()))
    assert export.layers and all(layer.reports for layer in export.layers)


def test_unknown_keys_are_allowed_and_errors_are_not() -> None:
    base = {"id": "P-1", "name": "Bridge", "category": "bridge", "status": "active"}
    report = PassportReport.model_validate(
        {**base, "portal_note": "new", "length": {"value": "3,5", "unit": "m"}}
    )
    assert report.model_extra == {"portal_note": "new"}
    for bad in (
        {"status": "closed"},
        {"commissioned": "2026-02-30"},
        {"length": {"value": "12,5.3", "unit": "m"}},
    ):
        with pytest.raises(ValidationError):
            PassportReport.model_validate({**base, **bad})
