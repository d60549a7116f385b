"""The day's delivery: the deadline in the policy's zone (across DST), on time, missing, and the queries."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.deliveries import (
    business_deadline,
    deadline_at,
    deadline_missed,
    deliveries_on,
    delivery_state,
    first_missed_deadline,
    last_deliveries,
    undelivered_on,
)
from pipelines.models import Run
from tests.pipelines.factories import PipelineFactory

EIGHT = time(8, 0)
PARIS = "Europe/Paris"
WEDNESDAY = date(2026, 11, 25)
# Europe/Paris leaves summer time on Sunday 25 October 2026 and starts it on Sunday 29 March 2026.
FALL_BACK, SPRING_FORWARD = date(2026, 10, 25), date(2026, 3, 29)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- the deadline instant -------------------------------------------------------------------------


def test_a_utc_deadline_is_the_time_itself():
    assert deadline_at(WEDNESDAY, EIGHT) == deadline_at(WEDNESDAY, EIGHT, "UTC") == utc(2026, 11, 25, 8)


@pytest.mark.parametrize(
    ("day", "instant"),
    [
        pytest.param(WEDNESDAY, utc(2026, 11, 25, 7), id="winter"),
        pytest.param(date(2026, 7, 1), utc(2026, 7, 1, 6), id="summer"),
        pytest.param(date(2026, 3, 27), utc(2026, 3, 27, 7), id="friday-before-spring-forward"),
        pytest.param(SPRING_FORWARD, utc(2026, 3, 29, 6), id="spring-forward-day"),
        pytest.param(date(2026, 3, 30), utc(2026, 3, 30, 6), id="monday-after-spring-forward"),
        pytest.param(date(2026, 10, 23), utc(2026, 10, 23, 6), id="friday-before-fall-back"),
        pytest.param(FALL_BACK, utc(2026, 10, 25, 7), id="fall-back-day"),
        pytest.param(date(2026, 10, 26), utc(2026, 10, 26, 7), id="monday-after-fall-back"),
    ],
)
def test_a_paris_deadline_is_eight_on_the_paris_wall_clock(day, instant):
    due = deadline_at(day, EIGHT, PARIS)
    assert due == instant and due.tzinfo is UTC
    assert due.astimezone(ZoneInfo(PARIS)).time() == EIGHT


def test_a_deadline_inside_the_spring_forward_gap_reads_with_the_winter_offset():
    # 02:30 does not exist in Paris on 29 March 2026; fold=0 reads it as 02:30 CET.
    assert deadline_at(SPRING_FORWARD, time(2, 30), PARIS) == utc(2026, 3, 29, 1, 30)


@given(
    day=st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31)),
    zone=st.sampled_from(["UTC", PARIS, "America/New_York", "America/Los_Angeles", "Asia/Kolkata"]),
)
def test_the_deadline_is_on_the_days_local_date_at_the_deadline_time(day, zone):
    local = deadline_at(day, EIGHT, zone).astimezone(ZoneInfo(zone))
    assert (local.date(), local.time()) == (day, EIGHT)


def test_weekends_and_closed_days_have_no_deadline_in_any_zone():
    assert business_deadline(SPRING_FORWARD, deadline=EIGHT, closed_days=set(), zone=PARIS) is None  # a Sunday
    assert business_deadline(WEDNESDAY, deadline=EIGHT, closed_days={WEDNESDAY}, zone=PARIS) is None
    assert business_deadline(WEDNESDAY, deadline=EIGHT, closed_days=set(), zone=PARIS) == utc(2026, 11, 25, 7)


# --- on time, late, missing -----------------------------------------------------------------------


def test_delivery_state_at_and_around_the_deadline():
    due = utc(2026, 11, 25, 7)
    assert delivery_state(due, due=due, now=utc(2026, 11, 25, 12)) == "on time"  # the deadline itself
    assert delivery_state(due + timedelta(seconds=1), due=due, now=utc(2026, 11, 25, 12)) == "late"
    assert delivery_state(None, due=due, now=due) == "waiting"
    assert delivery_state(None, due=due, now=due + timedelta(seconds=1)) == "missing"


def test_a_paris_deadline_is_missed_an_hour_before_a_utc_one_in_winter():
    now = utc(2026, 11, 25, 7, 30)
    rule = {"day": WEDNESDAY, "now": now, "deadline": EIGHT, "closed_days": set()}
    assert deadline_missed(None, **rule, zone=PARIS)
    assert not deadline_missed(None, **rule)
    assert not deadline_missed(utc(2026, 11, 25, 6, 59), **rule, zone=PARIS)


def test_the_first_missed_deadline_is_in_the_policys_zone_across_dst():
    friday = utc(2026, 3, 27, 6, 30)  # delivered Friday; Monday is the first day to miss, in summer time
    now = utc(2026, 3, 31, 12)
    assert first_missed_deadline(friday, now=now, deadline=EIGHT, closed_days=set(), zone=PARIS) == utc(2026, 3, 30, 6)
    assert first_missed_deadline(friday, now=now, deadline=EIGHT, closed_days=set()) == utc(2026, 3, 30, 8)
    assert first_missed_deadline(friday, now=utc(2026, 3, 30, 6), deadline=EIGHT, closed_days=set(), zone=PARIS) is None


# --- from the runs --------------------------------------------------------------------------------


def run(pipeline, scheduled: datetime, delivered: datetime | None, status="success", available=True):
    return Run.objects.create(
        pipeline=pipeline,
        external_id=f"{pipeline.slug}-{scheduled:%Y%m%d%H%M}-{status}-{delivered}",
        scheduled_for=scheduled,
        status=status,
        finished_at=delivered,
        data_available_at=delivered if available else None,
    )


@pytest.mark.django_db
def test_the_days_delivery_is_the_earliest_success_of_runs_scheduled_that_utc_day_once_it_happened():
    pipeline, other = PipelineFactory(), PipelineFactory()
    run(pipeline, utc(2026, 11, 25, 6), utc(2026, 11, 25, 7, 40))
    run(pipeline, utc(2026, 11, 25, 5), utc(2026, 11, 25, 7, 10), available=False)  # finished_at stands in
    run(pipeline, utc(2026, 11, 25, 4), utc(2026, 11, 25, 6, 50), status="failed")
    run(pipeline, utc(2026, 11, 24, 23), utc(2026, 11, 25, 6, 0))  # scheduled the day before
    run(other, utc(2026, 11, 25, 6), utc(2026, 11, 25, 13))  # not happened yet at noon
    assert deliveries_on(WEDNESDAY, now=utc(2026, 11, 25, 12)) == {pipeline.pk: utc(2026, 11, 25, 7, 10)}
    assert deliveries_on(WEDNESDAY, now=utc(2026, 11, 25, 12), pipeline_ids=[other.pk]) == {}
    assert last_deliveries(now=utc(2026, 11, 25, 12), pipeline_ids=[pipeline.pk, other.pk]) == {
        pipeline.pk: utc(2026, 11, 25, 7, 40)
    }


@pytest.mark.django_db
def test_undelivered_pipelines_against_a_paris_deadline():
    early, between, nothing = PipelineFactory(), PipelineFactory(), PipelineFactory()
    run(early, utc(2026, 11, 25, 6), utc(2026, 11, 25, 6, 30))
    run(between, utc(2026, 11, 25, 6), utc(2026, 11, 25, 7, 20))  # after 08:00 Paris, before 08:00 UTC
    ids = [early.pk, between.pk, nothing.pk]
    now = utc(2026, 11, 25, 7, 10)
    paris = undelivered_on(WEDNESDAY, now=now, deadline=EIGHT, closed_days=set(), pipeline_ids=ids, zone=PARIS)
    assert paris == [between.pk, nothing.pk]
    assert undelivered_on(WEDNESDAY, now=now, deadline=EIGHT, closed_days=set(), pipeline_ids=ids) == []
