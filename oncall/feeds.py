"""iCalendar feeds of on-call shifts (RFC 5545) that Google Calendar and Outlook subscribe to.

Calendar clients cannot sign in, so the secret token in the URL is the credential: these two
views are public, an unknown token is a 404, and resetting a token revokes the old URL.
"""

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.contrib.auth.decorators import login_not_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from icalendar import Calendar, Event, vDuration

from .models import Rotation, Shift, TeamMember
from .notifications import absolute_url

PRODID = "-//Pipeline Ops Portal//On-call shifts//EN"
UID_DOMAIN = "pipeline-ops"
# Recent past so last week's shifts stay visible; the future is capped so a feed stays small.
PAST_DAYS = 60
FUTURE_DAYS = 2 * 366
# Hint to subscribing clients; they poll on their own schedule anyway.
REFRESH_INTERVAL = timedelta(hours=6)
ONCALL_PAGE = "/oncall/"


def feed_window(today: date) -> tuple[date, date]:
    """The first and last shift dates a feed lists."""
    return today - timedelta(days=PAST_DAYS), today + timedelta(days=FUTURE_DAYS)


def shift_summary(shift: Shift) -> str:
    """ "On call: Jane Doe", "On call (Christmas Day): Jane Doe", with "(traded)" after a trade."""
    label = f" ({shift.holiday_name})" if shift.holiday_name else ""
    traded = " (traded)" if shift.traded else ""
    return f"On call{label}: {shift.member.name}{traded}"


def shift_event(shift: Shift, *, stamp: datetime) -> Event:
    """One VEVENT for a shift, its times in the rotation's zone so clients show the local handoff."""
    tz = shift.rotation.tz
    description = [f"Rotation: {shift.rotation.name}"]
    if shift.warning:
        description.append(f"Warning: {shift.warning}")
    return Event.new(
        # Stable across regenerations and trades, so clients update an event instead of duplicating it.
        uid=f"shift-{shift.pk}@{UID_DOMAIN}",
        stamp=stamp,
        start=shift.start.astimezone(tz),
        end=shift.end.astimezone(tz),
        summary=shift_summary(shift),
        description="\n".join(description),
        url=absolute_url(ONCALL_PAGE),
    )


def shifts_calendar(*, name: str, uid: str, shifts: Iterable[Shift], first: date, last: date) -> Calendar:
    """A VCALENDAR with one event per shift and a VTIMEZONE for every zone the events use."""
    stamp = timezone.now()
    calendar = Calendar.new(
        prodid=PRODID,
        calscale="GREGORIAN",
        method="PUBLISH",  # a published feed, not an invitation: Outlook reads it as a subscription
        name=name,  # also written as X-WR-CALNAME, which Google Calendar and Outlook read
        uid=uid,  # fixed, so the calendar keeps its identity from one poll to the next
        refresh_interval=REFRESH_INTERVAL,
        subcomponents=[shift_event(shift, stamp=stamp) for shift in shifts],
    )
    calendar["REFRESH-INTERVAL"].params["VALUE"] = "DURATION"  # required by RFC 7986, not added by icalendar
    calendar.add("X-PUBLISHED-TTL", vDuration(REFRESH_INTERVAL))  # the older name Outlook reads
    # Transitions only for the span the feed covers, not icalendar's 1970–2038 default.
    calendar.add_missing_timezones(first_date=first - timedelta(days=1), last_date=last + timedelta(days=2))
    return calendar


def feed_shifts(shifts: QuerySet[Shift], first: date, last: date) -> QuerySet[Shift]:
    return shifts.between(first, last).select_related("rotation", "member").order_by("date", "rotation_id")


def calendar_response(calendar: Calendar, filename: str) -> HttpResponse:
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


# Public by token: `never_cache` keeps shared caches from holding a secret URL's answer, so a
# reset token stops working at once.
@login_not_required
@require_safe
@never_cache
def member_feed(request: HttpRequest, token: str) -> HttpResponse:
    """Every shift of one member, in every rotation, by the member's calendar token."""
    member = get_object_or_404(TeamMember, calendar_token=token)
    first, last = feed_window(timezone.localdate())
    calendar = shifts_calendar(
        name=f"On call: {member.name}",
        uid=f"member-{member.pk}@{UID_DOMAIN}",
        shifts=feed_shifts(Shift.objects.filter(member=member), first, last),
        first=first,
        last=last,
    )
    return calendar_response(calendar, "on-call.ics")


@login_not_required
@require_safe
@never_cache
def rotation_feed(request: HttpRequest, token: str) -> HttpResponse:
    """Every shift of one rotation, whoever holds it, by the rotation's feed token."""
    rotation = get_object_or_404(Rotation, feed_token=token)
    first, last = feed_window(timezone.localdate())
    calendar = shifts_calendar(
        name=f"On call: {rotation.name}",
        uid=f"rotation-{rotation.pk}@{UID_DOMAIN}",
        shifts=feed_shifts(rotation.shifts.all(), first, last),
        first=first,
        last=last,
    )
    return calendar_response(calendar, "on-call-rotation.ics")
