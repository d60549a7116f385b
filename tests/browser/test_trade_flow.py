"""A holiday swap clicked through in a real browser: offered by one member, accepted by the other."""

from datetime import date, timedelta

import pytest
from django.templatetags.static import static
from django.utils import timezone

from oncall.choices import TradeStatus
from oncall.models import HolidayTrade, Shift, TeamMember
from tests.oncall.factories import TeamMemberFactory, rotation_with

PASSWORD = "a-long-test-passphrase"


def member_with_password(name: str) -> TeamMember:
    member = TeamMemberFactory(name=name)
    member.user.set_password(PASSWORD)
    member.user.save()
    return member


def swap_within_the_window(a: TeamMember, b: TeamMember, window: int) -> tuple[Shift, Shift]:
    """A future holiday of each whose swap breaks nobody's holiday window, so no confirmation is asked."""
    soon = timezone.now() + timedelta(days=1)
    mine = Shift.objects.filter(member=a, kind="holiday", start__gt=soon).order_by("date")
    theirs = Shift.objects.filter(member=b, kind="holiday", start__gt=soon).order_by("date")

    def holds_nearby(member: TeamMember, shift: Shift) -> bool:
        years = (shift.date.year - window + 1, shift.date.year + window - 1)
        return Shift.objects.filter(member=member, holiday_name=shift.holiday_name, date__year__range=years).exists()

    for offered in mine:
        for wanted in theirs:
            if not holds_nearby(a, wanted) and not holds_nearby(b, offered):
                return offered, wanted
    raise AssertionError("this plan has no swap within the holiday window")


def day_cell(page, day):
    return page.locator(f'td.day:has(time[datetime="{day:%Y-%m-%d}"])')


@pytest.mark.browser
def test_members_swap_holidays_through_the_pages(transactional_db, live_server, signed_in_page):
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    ada, bob = member_with_password("Ada Lovelace"), member_with_password("Bob Dylan")
    team = [ada, bob, TeamMemberFactory(name="Cy Twombly"), TeamMemberFactory(name="Di Fossey")]
    next_year_end = date(timezone.localdate().year + 1, 12, 31)
    rotation = rotation_with(team, name="Data platform", generate_until=next_year_end)  # today through next year
    offered, wanted = swap_within_the_window(ada, bob, rotation.window_years)

    # Ada offers one of her holidays for one of Bob's.
    page = signed_in_page(ada.user.username, PASSWORD)
    page.get_by_role("link", name="Trades").click()
    page.get_by_role("link", name="Offer a holiday shift").click()
    page.get_by_label("Your holiday shift").select_option(str(offered.pk))
    page.get_by_label("Colleague").select_option(bob.user.username)
    # With JavaScript Bob's holidays appear at once, so the no-script step button is hidden.
    expect(page.get_by_role("button", name="Show their holidays")).to_be_hidden()
    page.get_by_label("In exchange for").select_option(str(wanted.pk))
    page.get_by_label("Message (optional)").fill("Swap with me?")
    page.get_by_role("button", name="Send the offer").click()
    page.wait_for_url(f"{live_server.url}/trades/")
    expect(page.locator(".messages")).to_contain_text("went to Bob Dylan")
    trade = HolidayTrade.objects.get()
    open_offer = page.locator(f"#trade-{trade.pk}")
    expect(open_offer).to_contain_text("Bob Dylan")
    expect(open_offer).to_contain_text(offered.holiday_name)
    expect(open_offer).to_contain_text("Pending")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server.url}/accounts/login/")

    # Bob finds the offer on his Trades page and accepts it.
    page = signed_in_page(bob.user.username, PASSWORD)
    page.goto("/trades/")
    offer = page.locator(f"#trade-{trade.pk}")
    expect(offer).to_contain_text("Ada Lovelace")
    expect(offer).to_contain_text("Swap with me?")
    offer.get_by_role("button", name="Accept").click()
    expect(page.locator(".messages")).to_contain_text(f"Trade done: you hold {offered.holiday_name}")
    expect(page.locator("#history")).to_contain_text("Accepted")
    trade.refresh_from_db()
    assert trade.status == TradeStatus.ACCEPTED

    # Each calendar shows the other's former holiday, marked as traded.
    for holder, gained, gave in ((ada, wanted, offered), (bob, offered, wanted)):
        page.goto(f"/oncall/?member={holder.user.username}&month={gained.date:%Y-%m}")
        cell = day_cell(page, gained.date)
        expect(cell).to_contain_text(holder.name)
        expect(cell).to_contain_text(gained.holiday_name)
        expect(cell.locator(".badge", has_text="traded")).to_be_visible()
        page.goto(f"/oncall/?member={holder.user.username}&month={gave.date:%Y-%m}")
        expect(day_cell(page, gave.date)).not_to_contain_text(holder.name)


@pytest.mark.browser
def test_a_colleague_chosen_before_the_script_runs_still_gets_their_holidays(
    transactional_db, live_server, signed_in_page
):
    # On a slow connection, or a form the browser restores, the colleague is chosen before the page's
    # script runs: the script then offers their holidays at once, with no change event to react to.
    pytest.importorskip("playwright.sync_api")
    ada, bob = member_with_password("Ada Lovelace"), member_with_password("Bob Dylan")
    rotation = rotation_with(
        [ada, bob, TeamMemberFactory(), TeamMemberFactory()], generate_until=date(timezone.localdate().year + 1, 12, 31)
    )
    _, wanted = swap_within_the_window(ada, bob, rotation.window_years)
    page = signed_in_page(ada.user.username, PASSWORD)
    page.route("**/trade-form*.js", lambda route: route.abort())  # the script has not arrived yet
    page.goto("/trades/new/")
    page.get_by_label("Colleague").select_option(bob.user.username)
    assert page.get_by_label("In exchange for").locator("option").count() == 1  # "None: give it away" only
    page.unroute("**/trade-form*.js")
    page.add_script_tag(url=static("js/trade-form.js"))  # and now it has
    page.get_by_label("In exchange for").select_option(str(wanted.pk))
    assert page.locator("#trade-colleague-status").text_content().endswith("of Bob Dylan to choose from.")
