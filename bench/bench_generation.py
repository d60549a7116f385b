"""Benchmark of rotation generation through the database: `python bench/bench_generation.py`.

50 members, 10 years of US holidays: a full generation (empty rotation) and a no-op regeneration
(nothing changed since), 5 runs each, medians printed. Uses DATABASE_URL (PostgreSQL in CI, else
the embedded SQLite) in a throwaway test database.

Targets on the 2-core dev machine: full <= 2 s, no-op <= 0.3 s.
"""

import os
import statistics
import sys
import time as clock
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from oncall.models import Rotation, RotationMembership, Shift, TeamMember  # noqa: E402
from oncall.services import rotation_generate  # noqa: E402

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
UNTIL = date(2036, 11, 22)
REPEATS = 5
TARGETS = {"full generation": 2.0, "no-op regeneration": 0.3}


def make_rotation() -> Rotation:
    rotation = Rotation.objects.create(name="Bench", start_date=date(2026, 11, 23))
    for position in range(50):
        user = get_user_model().objects.create(username=f"bench.member{position}")
        member = TeamMember.objects.create(user=user, name=f"Bench Member{position}")
        RotationMembership.objects.create(rotation=rotation, member=member, position=position)
    return rotation


def timed(run) -> float:
    began = clock.perf_counter()
    run()
    return clock.perf_counter() - began


def main() -> int:
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        rotation = make_rotation()
        full, noop = [], []
        for _ in range(REPEATS):
            Shift.objects.all().delete()
            Rotation.objects.filter(pk=rotation.pk).update(plan_fingerprint="")
            full.append(timed(lambda: rotation_generate(rotation_id=rotation.pk, until=UNTIL, now=NOW)))
            noop.append(timed(lambda: rotation_generate(rotation_id=rotation.pk, until=UNTIL, now=NOW)))
        shifts = Shift.objects.count()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(f"database: {connection.vendor}; 50 members, {shifts} shifts through {UNTIL}")
    failed = False
    for label, times in (("full generation", full), ("no-op regeneration", noop)):
        median = statistics.median(times)
        verdict = "ok" if median <= TARGETS[label] else "OVER TARGET"
        failed |= median > TARGETS[label]
        print(f"{label:>20}: median {median:.3f} s over {REPEATS} runs (target <= {TARGETS[label]} s) {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
