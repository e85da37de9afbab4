"""One partition per monthly layer, keyed YYYY-MM like the export's versions."""

from __future__ import annotations

from dagster import MonthlyPartitionsDefinition

FIRST_LAYER_MONTH = "2020-01"
# The portal names a layer by the month it covers and may release it ahead of the
# calendar (test exports run to the end of the year): allow a few months ahead.
MONTHS_AHEAD = 3

monthly_layers = MonthlyPartitionsDefinition(
    start_date=FIRST_LAYER_MONTH, fmt="%Y-%m", end_offset=MONTHS_AHEAD
)
