"""Benchmark of the on-call planner: `python bench/bench_scheduling.py`.

50 members, 10 years of US holidays, New York time. Times, 5 runs each, medians printed:

* full plan: `plan_shifts` from the rotation's first day, nothing fixed;
* no-op re-plan: every day already fixed (what a regeneration sees when nothing changed),
  plus the comparison of the result with the stored rows that the caller makes.

Targets on the 2-core dev machine: full <= 2 s, no-op <= 0.3 s.
"""

from __future__ import annotations

import statistics
import sys
import time as clock
from collections.abc import Callable
from datetime import date, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from oncall.scheduling import PlannedShift, holiday_dates, plan_shifts  # noqa: E402

MEMBERS = list(range(1, 51))
START = date(2026, 11, 23)
UNTIL = date(2036, 11, 22)
REPEATS = 5
TARGETS = {"full plan": 2.0, "no-op re-plan": 0.3}


def median_seconds(run: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEATS):
        began = clock.perf_counter()
        run()
        times.append(clock.perf_counter() - began)
    return statistics.median(times)


def stored_row(shift: PlannedShift) -> tuple:
    return (shift.member, shift.kind, shift.holiday_name, shift.start, shift.end, shift.warning)


def main() -> None:
    holidays = holiday_dates(range(START.year, UNTIL.year + 1))
    arguments = {
        "start": START,
        "until": UNTIL,
        "from_day": START,
        "order": MEMBERS,
        "block_days": 7,
        "tz_name": "America/New_York",
        "handoff": time(0, 0),
        "holidays": holidays,
        "history": [],
        "window_years": 4,
    }

    def full() -> list[PlannedShift]:
        return plan_shifts(**arguments)

    plan = full()
    stored = {shift.day: stored_row(shift) for shift in plan}
    fixed = {shift.day: shift.member for shift in plan}

    def no_op() -> bool:
        replanned = plan_shifts(**arguments, fixed=fixed)
        return {shift.day: stored_row(shift) for shift in replanned} == stored

    assert no_op(), "re-planning with every day fixed changed the plan"

    print(f"{len(MEMBERS)} members, {START} .. {UNTIL}: {len(plan)} days, {len(holidays)} holidays")
    for label, run in (("full plan", full), ("no-op re-plan", no_op)):
        seconds = median_seconds(run)
        verdict = "ok" if seconds <= TARGETS[label] else "over target"
        print(f"{label:>14}: median {seconds:.3f} s of {REPEATS} (target {TARGETS[label]:.1f} s, {verdict})")


if __name__ == "__main__":
    main()
