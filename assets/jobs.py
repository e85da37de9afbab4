"""The job that takes one monthly layer through the flow."""
from __future__ import annotations

from dagster import AssetSelection, define_asset_job


layer_job = define_asset_job(
    "layer_job",
    selection=AssetSelection.groups("registry_export"),
    description="Split, validate and load one monthly layer.",
)
