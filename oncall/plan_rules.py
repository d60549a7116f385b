"""The maintenance plan's on-call rules as plain data, read by `pipelines.plan_parser` and stored by
`oncall.services.rotation_configure_from_plan`."""

from dataclasses import dataclass
from datetime import time


@dataclass(frozen=True)
class OnCallRules:
    shift_hours: int = 24
    shift_start: time = time(0, 0)
    rotation_days: int = 7
    holiday_window_years: int = 4
