"""On-call pages: who is on call, the month calendar, the holiday matrix and offboarding."""

import re
from datetime import date, timedelta
from html import unescape
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from oncall.models import HolidayRecord, Rotation, Shift, TeamMember
from tests.conftest import NOW
from tests.oncall.factories import (
    RotationFactory,
    ShiftFactory,
    TeamMemberFactory,
    rotation_with,
)

pytestmark = pytest.mark.django_db


def team_rotation(members, *, until=date(2027, 1, 31), **fields):
    return rotation_with(members, generate_until=until, **fields)


def cell_html(html: str, day: date) -> str:
    """The calendar cell of `day`."""
    for cell in re.findall(r"<td class=\"day.*?</td>", html, flags=re.S):
        if f'datetime="{day:%Y-%m-%d}"' in cell:
            return cell
    raise AssertionError(f"no cell for {day}")


# --- home ----------------------------------------------------------------------------------------


def test_home_shows_who_is_on_call_now_and_the_next_handoff(member_client):
    ada, bob = TeamMemberFactory(name="Ada Lovelace"), TeamMemberFactory(name="Bob Dylan")
    rotation = RotationFactory(name="Data platform", time_zone="Europe/Berlin")
    for day, holder in [(24, ada), (25, ada), (26, ada), (27, bob), (28, bob)]:
        ShiftFactory(rotation=rotation, member=holder, date=date(2026, 11, day))
    html = member_client.get("/").content.decode()
    row = re.search(r"<tr>\s*<th scope=\"row\"><a [^>]*>Data platform</a>.*?</tr>", html, flags=re.S).group()
    now_cell, next_cell, handoff_cell = re.findall(r"<td>(.*?)</td>", row, flags=re.S)
    assert "Ada Lovelace" in now_cell and "Bob Dylan" in next_cell
    # Bob takes over at local midnight on Friday 27 November in Berlin: 23:00 UTC the day before.
    assert '<time datetime="2026-11-26T23:00:00+00:00" data-local>Fri 27 Nov 2026, 00:00 CET</time>' in handoff_cell
    assert "js/local-time.js" in html
    assert "UTC board" in html  # today's delivery board sits under the rotation


def test_home_next_skips_the_current_members_later_days_and_flags_holidays(member_client):
    ada, bob = TeamMemberFactory(name="Ada Lovelace"), TeamMemberFactory(name="Bob Dylan")
    rotation = RotationFactory()
    ShiftFactory(rotation=rotation, member=ada, date=date(2026, 11, 25))
    ShiftFactory(rotation=rotation, member=ada, date=date(2026, 11, 26))
    ShiftFactory(rotation=rotation, member=bob, date=date(2026, 11, 27), kind="holiday", holiday_name="Day After")
    response = member_client.get("/")
    (entry,) = response.context["on_call"]
    assert entry.current.member == ada and entry.current.date == date(2026, 11, 25)
    assert entry.next.member == bob and entry.next.date == date(2026, 11, 27)
    assert "Day After" in response.content.decode()


def test_home_says_so_when_nobody_is_on_call(member_client):
    RotationFactory(name="Empty rotation")
    html = member_client.get("/").content.decode()
    assert "Empty rotation" in html and "Nobody: no shift covers now." in html


def on_call_cells(html: str) -> dict[str, tuple[str, str]]:
    """Each rotation on the home page: its "now" and "next" cells."""
    rows = re.findall(r"<tr>\s*<th scope=\"row\"><a [^>]*>([^<]+)</a>(.*?)</tr>", html, flags=re.S)
    return {name: tuple(re.findall(r"<td>(.*?)</td>", row, flags=re.S)[:2]) for name, row in rows}


def assert_home_shows_holders(html: str, rotations: list[Rotation]) -> None:
    """Each rotation's row names who holds today's shift and the next other member to hold one."""
    cells = on_call_cells(html)
    assert set(cells) == {rotation.name for rotation in rotations}
    for rotation in rotations:
        now = rotation.shifts.get(date=NOW.date()).member
        then = rotation.shifts.filter(date__gt=NOW.date()).exclude(member=now).order_by("date").first().member
        now_cell, next_cell = cells[rotation.name]
        assert now.name in now_cell and then.name in next_cell, rotation


def test_home_query_count_is_flat(member_client, django_assert_max_num_queries):
    rotations = [team_rotation([TeamMemberFactory() for _ in range(2)], until=date(2026, 12, 10))]
    with CaptureQueriesContext(connection) as few:
        html = member_client.get("/").content.decode()
    assert_home_shows_holders(html, rotations)
    for _ in range(3):
        rotations.append(team_rotation([TeamMemberFactory() for _ in range(3)], until=date(2026, 12, 31)))
    with django_assert_max_num_queries(len(few)):
        response = member_client.get("/")
    assert len(response.context["on_call"]) == 4
    assert_home_shows_holders(response.content.decode(), rotations)


def test_local_time_script_is_served_and_uses_the_browsers_zone():
    script = (Path(settings.BASE_DIR) / "static" / "js" / "local-time.js").read_text()
    assert "Intl.DateTimeFormat" in script and "time[data-local]" in script
    assert "http" not in script  # no CDN, nothing fetched


# --- month calendar ------------------------------------------------------------------------------


@pytest.fixture
def team():
    members = [TeamMemberFactory(name=name) for name in ("Ada Lovelace", "Bob Dylan", "Cy Twombly", "Di Fossey")]
    return team_rotation(members), members


def test_calendar_is_an_accessible_month_of_weeks_monday_to_sunday(member_client, team):
    response = member_client.get("/oncall/", {"month": "2026-12"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<caption>On call in December 2026</caption>" in html
    headers = re.findall(r'<th scope="col" abbr="(\w+)">', html)
    assert headers == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    weeks = response.context["weeks"]
    assert [len(week) for week in weeks] == [7] * 5
    assert weeks[0][0].day == date(2026, 11, 30) and weeks[-1][-1].day == date(2027, 1, 3)
    assert 'href="?month=2026-11"' in html and 'href="?month=2027-01"' in html


def test_calendar_shows_each_days_member_and_marks_holidays(member_client, team):
    rotation, _ = team
    html = member_client.get("/oncall/", {"month": "2026-12"}).content.decode()
    christmas = Shift.objects.get(rotation=rotation, date=date(2026, 12, 25))
    cell = cell_html(html, date(2026, 12, 25))
    assert 'class="badge holiday">Christmas Day<' in cell and christmas.member.name in cell
    regular = Shift.objects.get(rotation=rotation, date=date(2026, 12, 2))
    cell = cell_html(html, date(2026, 12, 2))
    assert regular.member.name in cell and "badge holiday" not in cell


def test_calendar_marks_traded_shifts_and_shows_warnings(member_client, team):
    rotation, _ = team
    Shift.objects.filter(rotation=rotation, date=date(2026, 12, 25)).update(
        traded=True, warning="Bob Dylan held Christmas Day in 2025."
    )
    html = member_client.get("/oncall/", {"month": "2026-12"}).content.decode()
    cell = cell_html(html, date(2026, 12, 25))
    assert '<span class="badge">traded</span>' in cell
    assert "Bob Dylan held Christmas Day in 2025." in cell
    assert "traded" not in cell_html(html, date(2026, 12, 24))


def test_calendar_marks_today_for_assistive_technology(member_client, team):
    html = member_client.get("/oncall/").content.decode()
    assert html.count('aria-current="date"') == 1
    assert 'aria-current="date"' in cell_html(html, date(2026, 11, 25))
    assert "<caption>On call in November 2026</caption>" in html


def test_calendar_filters_by_member(member_client, team):
    _, (ada, *_) = team
    response = member_client.get("/oncall/", {"month": "2026-12", "member": ada.user.username})
    shown = [shift for week in response.context["weeks"] for day in week for shift in day.shifts]
    assert shown and {shift.member for shift in shown} == {ada}
    assert "Showing the shifts of Ada Lovelace." in response.content.decode()


def test_calendar_explains_bad_filters_and_falls_back(member_client, team):
    response = member_client.get("/oncall/", {"month": "2026-13", "member": "no.body"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Enter a month between" in html and "No member has the username “no.body”." in html
    assert response.context["month"] == date(2026, 11, 1)
    assert member_client.get("/oncall/", {"month": "december"}).context["month"] == date(2026, 11, 1)


def test_my_shifts_link_and_upcoming_runs_of_days(client, team):
    _, (ada, bob, *_) = team
    client.force_login(ada.user)
    response = client.get("/oncall/", {"month": "2026-12"})
    html = response.content.decode()
    assert f'href="?month=2026-12&amp;member={ada.user.username}"' in html
    assert "My upcoming shifts" in html
    runs = response.context["my_runs"]
    assert runs[0].first.date == date(2026, 11, 25)  # today's shift is still running
    assert all(run.first.member == ada and run.last.member == ada for run in runs)
    covered = {run.first.date + timedelta(days=i) for run in runs for i in range(run.days)}
    held = Shift.objects.filter(member=ada, date__gte=date(2026, 11, 25), date__lte=runs[-1].last.date)
    assert covered == set(held.values_list("date", flat=True))
    assert any(run.days > 1 for run in runs)  # a block is one row, not one row per day
    assert all(run.days == 1 for run in runs if run.first.is_holiday)


def test_calendar_has_no_my_shifts_for_a_user_who_is_not_a_member(client, team):
    user = TeamMemberFactory().user
    TeamMember.objects.filter(user=user).delete()
    client.force_login(user)
    html = client.get("/oncall/").content.decode()
    assert "My shifts" not in html and "My upcoming shifts" not in html


def test_calendar_query_count_is_flat(member_client, django_assert_max_num_queries, team):
    def assert_cells_show(html: str, shifts) -> None:
        """Each shift's holder in its day's cell of the December page (30 November to 3 January)."""
        shifts = shifts.filter(date__range=(date(2026, 11, 30), date(2027, 1, 3))).select_related("member")
        assert shifts
        for shift in shifts:
            assert shift.member.name in cell_html(html, shift.date), shift

    _, (ada, *_) = team
    team_rotation([TeamMemberFactory()], until=date(2026, 12, 1))  # two rotations: the page offers a choice
    with CaptureQueriesContext(connection) as few:
        html = member_client.get("/oncall/", {"month": "2026-12", "member": ada.user.username}).content.decode()
    assert_cells_show(html, Shift.objects.filter(member=ada))
    team_rotation([TeamMemberFactory() for _ in range(6)])
    team_rotation([TeamMemberFactory() for _ in range(3)], holiday_country="DE")
    with django_assert_max_num_queries(len(few)):
        html = member_client.get("/oncall/", {"month": "2026-12", "member": ada.user.username}).content.decode()
    assert_cells_show(html, Shift.objects.filter(member=ada))
    with django_assert_max_num_queries(len(few)):
        response = member_client.get("/oncall/", {"month": "2026-12"})
    assert sum(len(day.shifts) for week in response.context["weeks"] for day in week) == 3 * 35 + 2
    assert_cells_show(response.content.decode(), Shift.objects.all())


# --- holiday matrix ------------------------------------------------------------------------------


def christmas_row(response) -> list:
    return dict(response.context["rows"])["Christmas Day"]


def test_holiday_matrix_shows_recorded_history_and_the_portals_shifts(member_client, team):
    rotation, (ada, bob, *_) = team
    HolidayRecord.objects.create(date=date(2024, 12, 25), holiday_name="Christmas Day", member=ada)
    HolidayRecord.objects.create(date=date(2025, 12, 25), holiday_name="Christmas Day", member=bob)
    response = member_client.get("/oncall/holidays/")
    assert list(response.context["years"]) == [2022, 2023, 2024, 2025, 2026, 2027]
    row = christmas_row(response)
    assert [cell.member for cell in row[:2]] == [None, None]
    assert (row[2].member, row[2].recorded) == (ada, True)
    assert (row[3].member, row[3].recorded) == (bob, True)
    holder = Shift.objects.get(rotation=rotation, date=date(2026, 12, 25)).member
    assert (row[4].member, row[4].recorded) == (holder, False)
    html = response.content.decode()
    assert '<th scope="row">Christmas Day</th>' in html
    assert "<caption>Holiday holders, 2022–2027" in html
    names = [name for name, _ in response.context["rows"]]
    assert names[0] == "New Year's Day" and names.index("Thanksgiving Day") < names.index("Christmas Day")


def test_holiday_matrix_marks_trades_and_warnings(member_client, team):
    rotation, _ = team
    Shift.objects.filter(rotation=rotation, date=date(2026, 12, 25)).update(
        traded=True, warning="Cy Twombly held Christmas Day in 2024."
    )
    response = member_client.get("/oncall/holidays/")
    cell = christmas_row(response)[4]
    assert cell.traded and cell.warning
    html = response.content.decode()
    assert '<span class="badge warn">warning</span> Cy Twombly held Christmas Day in 2024.' in html
    assert '<span class="badge">traded</span>' in html


def test_holiday_matrix_counts_each_members_holidays_per_year(member_client, team):
    rotation, (ada, *_) = team
    HolidayRecord.objects.create(date=date(2025, 12, 25), holiday_name="Christmas Day", member=ada)
    HolidayRecord.objects.create(date=date(2025, 7, 4), holiday_name="Independence Day", member=ada)
    response = member_client.get("/oncall/holidays/", {"from": "2025", "to": "2026"})
    counts = {member: (per_year, total) for member, per_year, total in response.context["member_counts"]}
    held_2026 = Shift.objects.filter(rotation=rotation, kind="holiday", date__year=2026, member=ada).count()
    assert counts[ada] == ([2, held_2026], 2 + held_2026)
    assert len(counts) == 4  # every current member, also one without a holiday yet
    assert "Holidays per member and year" in response.content.decode()


def test_holiday_matrix_years_are_bounded(member_client, team):
    response = member_client.get("/oncall/holidays/", {"from": "2000", "to": "2030"})
    assert "Show at most 15 years at a time." in response.content.decode()
    assert list(response.context["years"]) == [2022, 2023, 2024, 2025, 2026, 2027]
    response = member_client.get("/oncall/holidays/", {"from": "2027", "to": "2025"})
    assert "The last year cannot be before the first." in response.content.decode()
    response = member_client.get("/oncall/holidays/", {"from": "soon"})
    assert "Enter a whole number." in response.content.decode()
    response = member_client.get("/oncall/holidays/", {"from": "2012", "to": "2026"})
    assert list(response.context["years"]) == list(range(2012, 2027))


def matrix_cells(response) -> dict[tuple[str, int], str]:
    """The holiday matrix's cells by holiday and year."""
    html = response.content.decode()
    table = html[html.index('<table class="holiday-matrix">') :]
    table = table[: table.index("</table>")]
    cells = {}
    for name, row in re.findall(r"<tr>\s*<th scope=\"row\">([^<]+)</th>(.*?)</tr>", table, flags=re.S):
        row_cells = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
        cells |= {(unescape(name), year): cell for year, cell in zip(response.context["years"], row_cells, strict=True)}
    return cells


def test_holiday_matrix_query_count_is_flat(member_client, django_assert_max_num_queries, team):
    def assert_holders(response, records=()) -> None:
        """The shown rotation's holiday shifts and the recorded history, each in its holiday's cell for the year."""
        cells = matrix_cells(response)
        years = response.context["years"]
        shifts = (
            response.context["rotation"].shifts.holidays().filter(date__year__gte=years[0], date__year__lte=years[-1])
        )
        assert shifts
        for shift in shifts.select_related("member"):
            assert shift.member.name in cells[(shift.holiday_name, shift.date.year)], shift
        for record in records:
            cell = cells[(record.holiday_name, record.date.year)]
            assert record.member.name in cell and ">history</span>" in cell, record

    _, members = team
    with CaptureQueriesContext(connection) as few:
        response = member_client.get("/oncall/holidays/")
    assert_holders(response)
    records = []
    for year in range(2018, 2026):
        for index, name in enumerate(["New Year's Day", "Independence Day", "Christmas Day"]):
            records.append(
                HolidayRecord.objects.create(
                    date=date(year, [1, 7, 12][index], [1, 4, 25][index]), holiday_name=name, member=members[year % 4]
                )
            )
    team_rotation([TeamMemberFactory() for _ in range(5)])
    with django_assert_max_num_queries(len(few)):
        response = member_client.get("/oncall/holidays/", {"from": "2018", "to": "2027"})
    assert_holders(response, records)


# --- offboarding ---------------------------------------------------------------------------------


def offboard_url(member: TeamMember) -> str:
    return f"/oncall/members/{member.user.username}/offboard/"


def test_offboarding_page_is_for_managers_only(client, member, team):
    _, (ada, *_) = team
    assert client.get(offboard_url(ada)).status_code == 302  # to sign in
    client.force_login(member.user)
    assert client.get(offboard_url(ada)).status_code == 403
    assert client.post(offboard_url(ada), {"effective_date": "2027-01-04"}).status_code == 403
    ada.refresh_from_db()
    assert ada.left_on is None


def test_offboarding_page_explains_what_moves(manager_client, team):
    rotation, _ = team
    leaver = Shift.objects.get(rotation=rotation, date=date(2026, 12, 25)).member
    response = manager_client.get(offboard_url(leaver))
    html = response.content.decode()
    assert response.status_code == 200
    assert "What moves" in html and rotation.name in html
    assert 'value="2026-11-25"' in html  # the effective date defaults to today
    holidays = Shift.objects.filter(member=leaver, kind="holiday", date__gte=date(2026, 11, 25))
    assert 'Christmas Day, <time datetime="2026-12-25">25 December 2026</time>' in html
    for shift in holidays:
        assert escape(shift.holiday_name) in html
    assert f"{Shift.objects.filter(member=leaver, date__gte=date(2026, 11, 25)).count()} shifts from today on" in html


def test_offboarding_hands_shifts_to_an_active_successor(manager_client, team):
    rotation, (ada, bob, *_) = team
    successor = TeamMemberFactory(name="Eve Hopper")
    later = set(Shift.objects.filter(member=ada, date__gte=date(2027, 1, 4)).values_list("pk", flat=True))
    response = manager_client.post(offboard_url(ada), {"effective_date": "2027-01-04", "successor": successor.pk})
    assert response.status_code == 302 and response.url == "/oncall/"
    ada.refresh_from_db()
    assert (ada.left_on, ada.successor) == (date(2027, 1, 4), successor)
    assert later and set(Shift.objects.filter(member=successor).values_list("pk", flat=True)) >= later
    page = manager_client.get(response.url).content.decode()
    assert "Ada Lovelace leaves the rotation on 04 January 2027; Eve Hopper takes over their place and shifts." in page


def test_offboarding_to_a_new_member_creates_them_as_successor(manager_client, team):
    _, (ada, *_) = team
    response = manager_client.post(
        offboard_url(ada),
        {"effective_date": "2027-01-04", "successor": "new", "new_name": "Nadia Okafor", "new_email": "n@example.com"},
    )
    assert response.status_code == 302
    nadia = TeamMember.objects.get(name="Nadia Okafor")
    assert (nadia.user.username, nadia.email, nadia.joined_on) == ("nadia.okafor", "n@example.com", date(2027, 1, 4))
    ada.refresh_from_db()
    assert ada.successor == nadia
    assert Shift.objects.filter(member=nadia).exists()


def test_failed_offboarding_keeps_the_input_and_adds_nobody(manager_client, team):
    _, (ada, *_) = team
    data = {"effective_date": "2026-11-01", "successor": "new", "new_name": "Nadia Okafor", "new_email": "n@x.org"}
    response = manager_client.post(offboard_url(ada), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "The effective date cannot be in the past." in html
    assert 'value="Nadia Okafor"' in html and 'value="n@x.org"' in html and 'value="2026-11-01"' in html
    assert not TeamMember.objects.filter(name="Nadia Okafor").exists()
    ada.refresh_from_db()
    assert ada.left_on is None


def test_offboarding_puts_errors_next_to_their_fields(manager_client, team):
    _, (ada, bob, *_) = team
    response = manager_client.post(offboard_url(ada), {"effective_date": "2027-01-04", "successor": "new"})
    form = response.context["form"]
    assert "new_name" in form.errors
    response = manager_client.post(offboard_url(ada), {"effective_date": "2027-01-04", "successor": bob.pk})
    assert "already has a place" in response.context["form"].errors["successor"][0]
    response = manager_client.post(
        offboard_url(ada), {"effective_date": "2027-01-04", "successor": "new", "new_name": "Bob Dylan"}
    )
    assert "new_name" in response.context["form"].errors
    assert 'aria-invalid="true"' in response.content.decode()
    assert TeamMember.objects.count() == 5  # the four and the manager: nobody added


def test_offboarding_an_unknown_member_is_404(manager_client):
    assert manager_client.get("/oncall/members/no.body/offboard/").status_code == 404


def test_managers_see_offboard_links_on_the_calendar(client, manager, member, team):
    _, (ada, *_) = team
    client.force_login(manager.user)
    assert offboard_url(ada) in client.get("/oncall/").content.decode()
    client.force_login(member.user)
    assert offboard_url(ada) not in client.get("/oncall/").content.decode()


def test_nav_links_to_on_call_and_holidays(member_client):
    html = member_client.get("/oncall/holidays/").content.decode()
    assert '<a href="/oncall/">On-call</a>' in html
    assert '<a href="/oncall/holidays/" aria-current="page">Holidays</a>' in html
    assert Rotation.objects.count() == 0


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_handoff_times_are_shown_in_the_browsers_own_zone(live_server, chromium_browser):
    ada, bob = TeamMemberFactory(name="Ada Lovelace"), TeamMemberFactory(name="Bob Dylan")
    rotation = RotationFactory(name="Data platform", time_zone="Europe/Berlin")
    ShiftFactory(rotation=rotation, member=ada, date=date(2026, 11, 25))
    ShiftFactory(rotation=rotation, member=bob, date=date(2026, 11, 26))
    client = Client()
    client.force_login(ada.user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    context = chromium_browser.new_context(timezone_id="America/Los_Angeles", locale="en-US")
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    handoff = page.locator("table.on-call tbody tr td").nth(2).locator("time[data-local]")
    text, title = handoff.inner_text(), handoff.get_attribute("title")
    # Bob takes over at midnight in Berlin, which is 15:00 the day before in California.
    assert "Nov 25" in text and "03:00 PM" in text and "PST" in text
    assert title == "Thu 26 Nov 2026, 00:00 CET"  # the rotation's own time stays as the tooltip
