"""Pydantic models of the export (docs/export-format.md), generated from schema/export.schema.json.

Do not edit: change the schema and run `make gen-types`; a test fails when this file is stale.
"""

from __future__ import annotations

from datetime import date as date_aliased
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel


class Sign(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    id: Annotated[str, Field(min_length=1)]
    code: Annotated[str, Field(min_length=1)]
    """
    Enum-like: a sign code or mapping value.
    """
    installed: date_aliased | None = None
    condition: str | None = None


class DecimalText(RootModel[str]):
    root: Annotated[str, Field(pattern="^-?[0-9]+([.,][0-9]+)?$", title="DecimalText")]
    """
    A decimal written as text, with a decimal point or a decimal comma ("3,5").
    """


class Measurement(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    id: Annotated[str, Field(min_length=1)]
    kind: Annotated[str, Field(min_length=1)]
    value: float | DecimalText
    """
    A number; now and then text with a decimal comma.
    """
    unit: Annotated[str, Field(min_length=1)]
    """
    Enum-like: a measure unit code or mapping value.
    """


class Quantity(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    value: float | DecimalText
    """
    A number; now and then text with a decimal comma.
    """
    unit: Annotated[str, Field(min_length=1)]


class Maintenance(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    id: Annotated[str, Field(min_length=1)]
    date: date_aliased
    repair_type: Annotated[str, Field(min_length=1)]
    """
    Enum-like: a repair type code or mapping value.
    """
    performed_by: str | None = None
    """
    A person's full name.
    """
    crew: list[str] | None = None
    """
    Full names: the complete current crew.
    """
    cost: Annotated[str | None, Field(pattern="^-?[0-9]+(\\.[0-9]+)?$")] = None
    """
    Decimal as text.
    """
    measurements: list[Measurement] | None = None


class PassportReport(BaseModel):
    """
    One infrastructure object, always the complete current record with its children.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    id: Annotated[str, Field(min_length=1)]
    """
    External id, unique within a layer.
    """
    name: Annotated[str, Field(min_length=1)]
    category: Annotated[str, Field(min_length=1)]
    """
    Enum-like: a category code or mapping value.
    """
    region: str | None = None
    parent_id: str | None = None
    """
    id of another passport: in our DB, an earlier layer or this one.
    """
    commissioned: date_aliased | None = None
    length: Quantity | None = None
    inspector: str | None = None
    """
    A person's full name.
    """
    status: Literal["active", "retired"]
    maintenance: list[Maintenance] | None = None
    signs: list[Sign] | None = None


class Layer(BaseModel):
    """
    One monthly layer: new records and changed old records only.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    version: Annotated[str, Field(pattern="^[0-9]{4}-(0[1-9]|1[0-2])$")]
    released_at: str | None = None
    reports: list[PassportReport]


class Export(BaseModel):
    """
    A registry-portal export: every monthly layer released so far (docs/export-format.md). Unknown keys are allowed anywhere: the portal adds fields over time.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    source: str | None = None
    exported_at: str | None = None
    layers: list[Layer]
