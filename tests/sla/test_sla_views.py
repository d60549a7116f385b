import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.text import slugify

from pipelines.models import Pipeline, SlaPolicy
from portal.celery import app as celery_app
from sla.dashboard import budget_nearly_spent, nearly_spent_condition
from sla.models import SlaReport, SlaReview
from sla.services import sla_month_compute
from sla.tasks import compute_sla_month
from sla.views import add_months, incident_url, this_month
from tests.incidents.factories import IncidentFactory
from tests.pipelines.factories import DownstreamTeamFactory, PipelineFactory, RunFactory
from tests.sla.factories import SlaReportFactory

pytestmark = pytest.mark.django_db

NOVEMBER = date(2026, 11, 1)
# The user (the session is read from the cache), the two menus, the policy, the month's figures (one aggregate),
# the page's rows, their history and escalations, the team summary, the review, the compliance chart, the
# policy's change log (2).
DASHBOARD_QUERIES = 13
# The user, the month's figures, every row, the policy, the review, the escalations, the chart.
PRINT_QUERIES = 7
AFTER_NOVEMBER = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # the month is over: final figures


def deliver_month(pipeline: Pipeline, month: date, *, skip=(), late=()) -> None:
    """A daily 06:00 run that succeeds with its data at 06:30 and clean counts; `late` days land at 09:30."""
    day = month
    while day.month == month.month:
        if day.day not in skip:
            scheduled = datetime(day.year, day.month, day.day, 6, 0, tzinfo=UTC)
            available = scheduled + (timedelta(hours=3, minutes=30) if day.day in late else timedelta(minutes=30))
            RunFactory(
                pipeline=pipeline,
                external_id=f"{pipeline.slug}-{day:%Y%m%d}",
                scheduled_for=scheduled,
                started_at=scheduled,
                finished_at=available,
                data_available_at=available,
                reported=True,  # 1000 records, none bad
            )
        day += timedelta(days=1)


def make_november() -> tuple[Pipeline, Pipeline]:
    """Orders meets every target; Billing misses Saturday 7 Nov's run and is late on Tuesday 3 Nov."""
    orders = PipelineFactory(name="Orders", slug="orders", schedule="0 6 * * *")
    billing = PipelineFactory(
        name="Billing",
        slug="billing",
        schedule="0 6 * * *",
        critical_downstream_team=DownstreamTeamFactory(name="Finance", lead_email=""),
    )
    deliver_month(orders, NOVEMBER)
    deliver_month(billing, NOVEMBER, skip={7}, late={3})
    sla_month_compute(month=NOVEMBER, now=AFTER_NOVEMBER)
    return orders, billing


@pytest.fixture
def november(manager):
    # The manager is who the escalations of Billing's breaches go to.
    return make_november()


def row_names(html: str) -> list[str]:
    """The pipelines of the dashboard's table, in order."""
    table = re.search(r'<table class="sla-dashboard">.*?</table>', html, re.S)
    return re.findall(r'<th scope="row">\s*<a [^>]*>([^<]*)</a>', table[0]) if table else []


def row_html(html: str, name: str) -> str:
    """The dashboard's table row of one pipeline."""
    match = re.search(rf"<tr>\s*<th scope=\"row\">\s*<a [^>]*>{name}</a>.*?</tr>", html, re.S)
    assert match, f"no row for {name}"
    return match[0]


def test_sla_current_redirects_to_this_month(member_client):
    response = member_client.get("/sla/")
    assert response.status_code == 302
    assert response.url == f"/sla/{this_month():%Y-%m}/"


def test_sla_month_bad_month_is_404(member_client):
    assert member_client.get("/sla/2026-13/").status_code == 404
    assert member_client.get("/sla/2026-1/").status_code == 404
    assert member_client.get("/sla/0001-01/").status_code == 404
    assert member_client.get("/sla/2026-13/export.csv").status_code == 404
    assert member_client.get("/sla/jobs/").status_code == 404


def test_sla_month_needs_sign_in(client):
    response = client.get("/sla/2026-11/")
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_sla_dashboard_shows_compliant_and_breaching_pipelines(member_client, november):
    response = member_client.get("/sla/2026-11/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Final figures" in html
    assert "<strong>1 of 2</strong> pipelines compliant" in html
    # Only what needs attention is listed at first; the compliant pipelines are one link away.
    assert row_names(html) == ["Billing"]
    assert 'href="?show=all">Show compliant pipelines too: all 2 pipelines</a>' in html

    html = member_client.get("/sla/2026-11/", {"show": "all"}).content.decode()
    assert row_names(html) == ["Billing", "Orders"]
    orders = row_html(html, "Orders")
    assert "100.000&nbsp;%" in orders and "30 of 30 runs" in orders
    assert "Breach" not in orders and ">Compliant<" in orders

    billing = row_html(html, "Billing")
    assert "96.666&nbsp;%" in billing and "29 of 30 runs" in billing
    assert "error budget left -1 of 0" in billing
    assert "1 late of 21 business days" in billing and "1 delay not communicated" in billing
    assert billing.count("Breach") == 2 and "Not compliant" in billing
    # Finance has no lead on file, so the escalation reached nobody there.
    assert "Nobody to tell: no lead on file for the Finance team (availability, timeliness)" in billing
    assert 'href="/sla/2026-11/billing/"' in billing


def test_sla_dashboard_links_months_and_offers_to_compute_a_missing_one(manager_client, november):
    html = manager_client.get("/sla/2026-10/").content.decode()
    assert 'href="/sla/2026-09/" rel="prev"' in html and 'href="/sla/2026-11/" rel="next"' in html
    assert "Not computed yet" in html
    assert 'action="/sla/2026-10/recompute/"' in html

    # Nothing after the current month can have figures, so there is no link to it.
    html = manager_client.get(f"/sla/{this_month():%Y-%m}/").content.decode()
    assert 'rel="next"' not in html


def test_sla_dashboard_compute_button_is_for_managers_only(member_client):
    html = member_client.get("/sla/2026-10/").content.decode()
    assert "Not computed yet" in html
    assert "/recompute/" not in html and "Sign off" not in html


def test_sla_dashboard_trend_charts_have_gaps_and_summaries(member_client, november):
    orders, _ = november
    september = date(2026, 9, 1)
    deliver_month(orders, september, skip={12})  # one missed run: below target that month
    sla_month_compute(month=september, now=datetime(2026, 10, 1, 3, tzinfo=UTC))

    html = member_client.get("/sla/2026-11/", {"show": "all"}).content.decode()
    label = re.search(r'<svg class="sla-spark"[^>]*aria-label="([^"]*)"', row_html(html, "Orders"))[1]
    assert label.startswith("Availability Dec 2025 to Nov 2026: 2 of 12 months computed")
    assert "latest 100.000 % (Nov 2026), lowest 96.666 % (Sep 2026)" in label
    assert "1 month below the 99.5 % target (Sep 2026)" in label
    # October has no figures, so the line breaks: two lone dots and no polyline.
    assert "<polyline" not in row_html(html, "Orders")
    assert 'role="img"' in html

    chart = re.search(r'<svg class="sla-compliance"[^>]*aria-label="([^"]*)"', html)[1]
    assert "Sep 2026 0 of 2" in chart and "Nov 2026 1 of 2" in chart and "10 months not computed" in chart


def test_sla_drill_down_lists_missing_run_and_late_day(member_client, november):
    response = member_client.get("/sla/2026-11/billing/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Scheduled runs without a successful run (1)" in html
    assert "Sat 7 Nov 2026, 06:00" in html and "Missing" in html
    assert "Late business days (1)" in html
    late = re.search(r"<td>Tue 3 Nov 2026</td>.*?</tr>", html, re.S)[0]
    assert "Tue 3 Nov, 09:30" in late and "Yes" in late and "Not sent" in late


def test_sla_drill_down_lists_late_incidents(member_client, november):
    orders, _ = november
    incident = IncidentFactory(
        pipeline=orders, title="Orders feed stuck", detected_at=datetime(2026, 11, 25, 10, tzinfo=UTC)
    )
    sla_month_compute(month=NOVEMBER, now=AFTER_NOVEMBER)

    html = member_client.get("/sla/2026-11/orders/").content.decode()
    assert "Critical incidents acknowledged too late (1)" in html
    assert "Critical incidents mitigated or resolved too late (1)" in html
    # A link to the incident's page when the incidents pages are installed, else its number.
    url = incident_url(incident.pk)
    expected = f'<a href="{url}">#{incident.pk}</a> Orders feed stuck' if url else f"#{incident.pk} Orders feed stuck"
    assert expected in html
    assert "Wed 25 Nov 2026, 10:15" in html  # acknowledge by: 15 business minutes later
    assert "Wed 25 Nov 2026, 13:00" in html  # fix by: 3 hours later


def test_sla_drill_down_unknown_pipeline_is_404(member_client, november):
    assert member_client.get("/sla/2026-11/nope/").status_code == 404
    assert member_client.get("/sla/2026-10/orders/").status_code == 404


def test_sla_csv_has_a_header_and_one_row_per_pipeline(member_client, november):
    response = member_client.get("/sla/2026-11/export.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="sla-2026-11.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["pipeline"] for row in rows] == ["billing", "orders"]
    billing, orders = rows
    assert billing["scheduled_runs"] == "30" and billing["successful_runs"] == "29"
    assert billing["availability_pct"] == "96.666" and billing["availability_ok"] == "false"
    assert billing["error_budget"] == "0" and billing["error_budget_left"] == "-1"
    assert billing["business_days"] == "21" and billing["late_days"] == "1"
    assert billing["uncommunicated_delays"] == "1" and billing["compliant"] == "false"
    assert billing["changed_since_review"] == "false"
    assert orders["availability_pct"] == "100.000" and orders["compliant"] == "true"
    header = response.content.decode().splitlines()[0].split(",")
    assert "quality_breaches" in header and "resolution_breaches" in header and header[-1] == "changed_since_review"


def test_sla_sign_off_is_for_managers(member_client, november):
    response = member_client.post("/sla/2026-11/sign-off/", {"notes": "Fine."})
    assert response.status_code == 403
    assert not SlaReview.objects.exists()


def test_sla_sign_off_freezes_figures_and_shows_changes(manager_client, manager, november):
    _, billing = november
    response = manager_client.post(
        "/sla/2026-11/sign-off/",
        {"notes": "Billing missed a Saturday.", "action_items": "Alert on missing runs\nAsk Finance for a lead"},
    )
    assert response.status_code == 302 and response.url == "/sla/2026-11/"
    html = manager_client.get("/sla/2026-11/").content.decode()
    assert f"By <strong>{manager.name}</strong>" in html
    assert "Billing missed a Saturday." in html
    assert "<li>Alert on missing runs</li>" in html and "<li>Ask Finance for a lead</li>" in html
    assert "Changed since review" not in html
    assert 'action="/sla/2026-11/sign-off/"' not in html

    # The missing run turns up late and the month is computed again.
    RunFactory(
        pipeline=billing,
        external_id="billing-late-retry",
        scheduled_for=datetime(2026, 11, 7, 6, tzinfo=UTC),
        finished_at=datetime(2026, 11, 8, 12, tzinfo=UTC),
        reported=True,
        records_total=10,
    )
    sla_month_compute(month=NOVEMBER, now=AFTER_NOVEMBER + timedelta(days=1))

    report = SlaReport.objects.get(pipeline=billing, month=NOVEMBER)
    assert report.successful_runs == 29 and report.changed_since_review
    html = manager_client.get("/sla/2026-11/", {"show": "all"}).content.decode()
    assert "Changed since review" in row_html(html, "Billing")
    assert "Changed since review" not in row_html(html, "Orders")
    assert "96.666&nbsp;%" in row_html(html, "Billing")  # the signed-off figure stays

    html = manager_client.get("/sla/2026-11/billing/").content.decode()
    successful = re.search(r"<th scope=\"row\">Successful runs</th>.*?</tr>", html, re.S)[0]
    assert "29" in successful and "30" in successful and "changed" in successful
    assert "Behind the latest figures" in html


def test_sla_sign_off_twice_is_refused_with_a_message(manager_client, november):
    manager_client.post("/sla/2026-11/sign-off/", {})
    response = manager_client.post("/sla/2026-11/sign-off/", {}, follow=True)
    assert "November 2026 is already signed off." in response.content.decode()
    assert SlaReview.objects.count() == 1


def test_sla_sign_off_only_posts(manager_client, november):
    assert manager_client.get("/sla/2026-11/sign-off/").status_code == 405


@pytest.fixture
def stored_eager_results(monkeypatch):
    """Eager tasks keep their result in the result backend, as a worker's would."""
    monkeypatch.setitem(celery_app.conf, "task_store_eager_result", True)
    monkeypatch.setattr(compute_sla_month, "store_eager_result", True)


def test_sla_recompute_queues_the_task_and_the_job_page_reports_it(manager_client, stored_eager_results):
    PipelineFactory.create_batch(2, schedule="0 6 * * *")
    month = add_months(this_month(), -1)
    response = manager_client.post(f"/sla/{month:%Y-%m}/recompute/")
    assert response.status_code == 302
    job_url = response.url
    assert re.fullmatch(rf"/sla/jobs/[0-9a-f-]{{36}}/\?month={month:%Y-%m}", job_url)
    assert SlaReport.objects.filter(month=month).count() == 2

    html = manager_client.get(job_url).content.decode()
    assert "SUCCESS" in html and "Done: figures for 2 pipelines." in html
    assert f'href="/sla/{month:%Y-%m}/"' in html
    assert "js/sla-job.js" in html

    data = manager_client.get(job_url + "&format=json").json()
    assert data["state"] == "SUCCESS" and data["done"] and data["ok"]
    assert data["month_url"] == f"/sla/{month:%Y-%m}/"


def test_sla_recompute_is_for_managers(member_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = member_client.post(f"/sla/{this_month():%Y-%m}/recompute/")
    assert response.status_code == 403 and not callbacks


def test_sla_recompute_refuses_a_month_not_started(manager_client, django_capture_on_commit_callbacks):
    month = add_months(this_month(), 1)
    with django_capture_on_commit_callbacks() as callbacks:
        response = manager_client.post(f"/sla/{month:%Y-%m}/recompute/", follow=True)
    assert not callbacks
    assert "has not started yet" in response.content.decode()


def test_sla_job_page_reports_pending_and_failure(member_client, stored_eager_results):
    pending = "6f1c1a52-0000-4000-8000-000000000001"
    data = member_client.get(f"/sla/jobs/{pending}/", {"format": "json"}).json()
    assert data["state"] == "PENDING" and not data["done"] and data["month"] is None
    html = member_client.get(f"/sla/jobs/{pending}/", {"month": "2026-11"}).content.decode()
    assert "Waiting for a worker" in html and "Refresh" in html and 'http-equiv="refresh"' in html

    failed = "6f1c1a52-0000-4000-8000-000000000002"
    celery_app.backend.mark_as_failure(failed, ValueError("secret detail"))
    data = member_client.get(f"/sla/jobs/{failed}/", {"format": "json", "month": "2026-11"}).json()
    assert data["state"] == "FAILURE" and data["done"] and not data["ok"]
    assert data["month_url"] == "/sla/2026-11/"
    assert "secret detail" not in member_client.get(f"/sla/jobs/{failed}/").content.decode()
    assert member_client.get("/sla/jobs/not-a-task/").status_code == 404


def test_sla_dashboard_query_count_is_flat(member_client, manager):
    delivered = PipelineFactory.create_batch(8, schedule="0 6 * * *")
    for pipeline in delivered:
        deliver_month(pipeline, NOVEMBER, skip={7})
    sla_month_compute(month=NOVEMBER, now=AFTER_NOVEMBER)
    with CaptureQueriesContext(connection) as few:
        response = member_client.get("/sla/2026-11/")
    assert len(response.context["dashboard"].rows) == 8
    html = response.content.decode()
    assert all("29 of 30 runs" in row_html(html, pipeline.name) for pipeline in delivered)

    idle = PipelineFactory.create_batch(16, schedule="0 6 * * *")  # 24 in all: one page
    sla_month_compute(month=NOVEMBER, now=AFTER_NOVEMBER + timedelta(hours=1))
    with CaptureQueriesContext(connection) as many:
        response = member_client.get("/sla/2026-11/")
    assert len(response.context["dashboard"].rows) == 24
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    html = response.content.decode()
    assert all("29 of 30 runs" in row_html(html, pipeline.name) for pipeline in delivered)
    assert all("0 of 30 runs" in row_html(html, pipeline.name) for pipeline in idle)


def test_sla_nav_link_marks_the_sla_pages(member_client, november):
    html = member_client.get("/sla/2026-11/").content.decode()
    assert '<a href="/sla/" aria-current="page">SLA</a>' in html


@pytest.fixture
def browser_page(live_server, member, chromium_browser):
    """A signed-in member's page in the system Chromium."""
    client = Client()
    client.force_login(member.user)
    # The printable width of A4 portrait at 96 dpi: the page asks for landscape, but fits either way.
    context = chromium_browser.new_context(viewport={"width": 720, "height": 720})
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context.new_page()


@pytest.fixture
def printed_month(manager):
    make_november()
    for number in range(10):
        deliver_month(PipelineFactory(name=f"A long pipeline name number {number}"), NOVEMBER, late={3})
    sla_month_compute(month=NOVEMBER, now=AFTER_NOVEMBER)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_sla_month_prints_without_navigation_and_with_charts(live_server, printed_month, browser_page):
    page = browser_page
    page.goto(f"{live_server.url}/sla/2026-11/")
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert not page.locator(".sla-month-nav").is_visible()
    assert not page.locator(".sla-actions").is_visible()
    assert page.locator("svg.sla-compliance").is_visible()
    assert page.locator("svg.sla-spark").first.is_visible()
    table_width = page.locator("table.sla-dashboard").evaluate("table => table.getBoundingClientRect().width")
    assert table_width <= 720


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_sla_print_sheet_prints_every_pipeline_on_the_page_width(live_server, printed_month, browser_page):
    page = browser_page
    page.goto(f"{live_server.url}/sla/2026-11/")
    # Orders is compliant: not listed on the screen, but on the sheet the page links to.
    assert page.locator("table.sla-dashboard th[scope=row]").count() == 11
    page.get_by_role("link", name="Print all pipelines").click()
    page.wait_for_url("**/sla/2026-11/?layout=print")
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert not page.locator(".sla-month-nav").is_visible()
    assert page.locator(".sla-targets").is_visible()
    assert page.locator("svg.sla-compliance").is_visible()
    assert page.locator("table.sla-sheet tbody tr").count() == 12
    assert page.locator("table.sla-sheet th[scope=row]", has_text="Orders").is_visible()
    table_width = page.locator("table.sla-sheet").evaluate("table => table.getBoundingClientRect().width")
    assert table_width <= 720


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_sla_dashboard_filters_by_keyboard(live_server, printed_month, browser_page):
    page = browser_page
    page.goto(f"{live_server.url}/sla/2026-11/")
    search = page.get_by_label("Pipeline", exact=True)
    search.focus()
    page.keyboard.type("orders")
    page.get_by_label("List").select_option("all")
    page.get_by_label("My pipelines").check()
    page.get_by_label("My pipelines").uncheck()
    search.press("Enter")
    page.wait_for_url("**/sla/2026-11/?*")
    assert page.locator("table.sla-dashboard th[scope=row] a").all_inner_texts() == ["Orders"]
    assert "q=orders" in page.url and "show=all" in page.url


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_sla_job_page_follows_the_job_until_it_is_done(live_server, browser_page, stored_eager_results):
    task_id = "6f1c1a52-0000-4000-8000-000000000003"
    page = browser_page
    page.goto(f"{live_server.url}/sla/jobs/{task_id}/?month=2026-11")
    assert "Waiting for a worker" in page.locator("[data-job-label]").inner_text()
    assert not page.locator("[data-job-done]").is_visible()
    celery_app.backend.mark_as_done(task_id, 3)
    page.locator("[data-job-done]").wait_for(state="visible", timeout=15000)
    assert page.locator("[data-job-label]").inner_text() == "Done: figures for 3 pipelines."
    assert page.locator("[data-job-done] a").get_attribute("href") == "/sla/2026-11/"


# --- the dashboard at scale: what needs attention, the team summary, filters, pages, the printed sheet ---

OCTOBER_URL = "/sla/2026-10/"


def october_report(name: str, *, budget: int = 4, left: int = 4, late_days: int = 0, **pipeline) -> SlaReport:
    """October 2026 for a new pipeline `name`: compliant unless late, with the error budget given."""
    pipeline.setdefault("slug", slugify(name))
    return SlaReportFactory(
        pipeline=PipelineFactory(name=name, **pipeline),
        error_budget=budget,
        error_budget_left=left,
        late_days=late_days,
    )


def summary_text(html: str) -> str:
    return " ".join(re.search(r'<p class="sla-summary"[^>]*>(.*?)</p>', html, re.S)[1].split())


def team_row(html: str, name: str) -> str:
    match = re.search(rf'<tr>\s*<th scope="row">{name}</th>.*?</tr>', html, re.S)
    assert match, f"no summary row for {name}"
    return match[0]


@pytest.fixture
def october():
    """Bravo breaches; Alpha has a quarter of its budget left, Charlie more; Delta has no budget to spend."""
    finance = DownstreamTeamFactory(name="Finance")
    return {
        "alpha": october_report("Alpha", budget=4, left=1, critical_downstream_team=finance),
        "bravo": october_report("Bravo", late_days=1, critical_downstream_team=finance),
        "charlie": october_report(
            "Charlie", budget=4, left=2, critical_downstream_team=DownstreamTeamFactory(name="Growth")
        ),
        "delta": october_report("Delta", budget=0, left=0, critical_downstream_team=None),
    }


def test_sla_dashboard_lists_breaching_before_nearly_spent(member_client, october):
    html = member_client.get(OCTOBER_URL).content.decode()
    assert row_names(html) == ["Bravo", "Alpha"]
    assert "Not compliant" in row_html(html, "Bravo")
    assert "Compliant, error budget nearly spent" in row_html(html, "Alpha")
    assert "error budget left 1 of 4" in row_html(html, "Alpha")
    summary = summary_text(html)
    assert summary.startswith("<strong>3 of 4</strong> pipelines compliant.")
    assert "<strong>1</strong> not compliant, <strong>1</strong> with the error budget nearly spent" in summary
    # The threshold is said on the page.
    assert "compliant, with a quarter or less of the error budget left" in summary

    html = member_client.get(OCTOBER_URL, {"show": "all"}).content.decode()
    assert row_names(html) == ["Bravo", "Alpha", "Charlie", "Delta"]
    assert ">Compliant<" in row_html(html, "Charlie") and "nearly spent" not in row_html(html, "Charlie")


@pytest.mark.parametrize(
    ("budget", "left", "listed"),
    [
        (4, 1, True),
        (4, 2, False),
        (8, 2, True),
        (8, 3, False),
        (3, 0, True),
        (3, 1, False),
        (4, 0, True),
        (0, 0, False),
    ],
)
def test_sla_dashboard_nearly_spent_is_a_quarter_of_the_budget_or_less(member_client, budget, left, listed):
    october_report("Echo", budget=budget, left=left)
    html = member_client.get(OCTOBER_URL).content.decode()
    assert (row_names(html) == ["Echo"]) is listed
    assert budget_nearly_spent(compliant=True, error_budget=budget, error_budget_left=left) is listed
    assert SlaReport.objects.filter(nearly_spent_condition()).exists() is listed


def test_sla_dashboard_nearly_spent_rule_and_query_agree():
    reports = [
        october_report(
            f"Pipeline {budget} {left} {late}",
            slug=f"p-{budget}-{left + 1}-{late}",
            budget=budget,
            left=left,
            late_days=late,
        )
        for budget in (0, 1, 2, 4, 5, 12)
        for left in range(-1, budget + 1)
        for late in (0, 1)
    ]
    expected = {
        report.pk
        for report in reports
        if budget_nearly_spent(
            compliant=report.compliant, error_budget=report.error_budget, error_budget_left=report.error_budget_left
        )
    }
    assert expected  # the grid has some on each side
    assert set(SlaReport.objects.filter(nearly_spent_condition()).values_list("pk", flat=True)) == expected


def test_sla_dashboard_team_summary_counts_and_links(member_client, october):
    html = member_client.get(OCTOBER_URL).content.decode()
    finance_pk = october["alpha"].pipeline.critical_downstream_team_id
    growth_pk = october["charlie"].pipeline.critical_downstream_team_id
    finance = team_row(html, "Finance")
    cells = re.findall(r"<td>(.*?)</td>", finance)
    assert cells == [
        f'<a href="?team={finance_pk}&amp;show=all">2</a>',
        f'<a href="?team={finance_pk}&amp;show=compliant">1</a>',
        f'<a href="?team={finance_pk}&amp;show=nearly-spent">1</a>',
        f'<a href="?team={finance_pk}&amp;show=breaching">1</a>',
    ]
    assert re.findall(r"<td>(?:<a [^>]*>)?(\d+)", team_row(html, "Growth")) == ["1", "1", "0", "0"]
    assert re.findall(r"<td>(?:<a [^>]*>)?(\d+)", team_row(html, "No downstream team")) == ["1", "1", "0", "0"]
    # Teams by name, "no downstream team" last.
    assert html.index(">Finance</th>") < html.index(">Growth</th>") < html.index(">No downstream team</th>")

    # Each count lists its pipelines.
    assert row_names(member_client.get(OCTOBER_URL, {"team": finance_pk, "show": "all"}).content.decode()) == [
        "Bravo",
        "Alpha",
    ]
    assert row_names(member_client.get(OCTOBER_URL, {"team": growth_pk, "show": "compliant"}).content.decode()) == [
        "Charlie"
    ]
    assert row_names(member_client.get(OCTOBER_URL, {"team": "none", "show": "all"}).content.decode()) == ["Delta"]


def test_sla_dashboard_filters_by_team_owner_and_name(member_client, october):
    finance_pk = october["alpha"].pipeline.critical_downstream_team_id
    html = member_client.get(OCTOBER_URL, {"team": finance_pk, "show": "all"}).content.decode()
    assert row_names(html) == ["Bravo", "Alpha"]
    assert summary_text(html).startswith(
        "<strong>1 of 2</strong> pipelines compliant (pipelines whose downstream team is Finance)."
    )
    assert ">Growth</th>" not in html  # the team summary follows the filter

    charlie_owner = october["charlie"].pipeline.ownerships.get(role="secondary").member
    html = member_client.get(OCTOBER_URL, {"owner": charlie_owner.pk, "show": "all"}).content.decode()
    assert row_names(html) == ["Charlie"]
    assert f"(pipelines owned by {charlie_owner.name})" in summary_text(html)

    html = member_client.get(OCTOBER_URL, {"q": "rav", "show": "all"}).content.decode()
    assert row_names(html) == ["Bravo"]
    assert "(pipelines matching “rav”)" in summary_text(html)

    # By the slug too.
    october_report("Hotel", slug="hotel-feed", late_days=1)
    assert row_names(member_client.get(OCTOBER_URL, {"q": "FEED"}).content.decode()) == ["Hotel"]

    # The filters combine.
    html = member_client.get(OCTOBER_URL, {"q": "alpha", "team": finance_pk}).content.decode()
    assert row_names(html) == ["Alpha"]
    assert "(pipelines whose downstream team is Finance, matching “alpha”)" in summary_text(html)

    # A value not on offer is reported, and the page still answers with the other filters.
    response = member_client.get(OCTOBER_URL, {"team": "999999", "q": "bravo"})
    assert response.status_code == 200
    assert row_names(response.content.decode()) == ["Bravo"]
    assert "Select a valid choice" in response.content.decode()


def test_sla_dashboard_menus_list_teams_and_owners_not_pipelines(member_client, october):
    html = member_client.get(OCTOBER_URL).content.decode()
    team_menu = re.search(r'<select name="team".*?</select>', html, re.S)[0]
    assert re.findall(r"<option [^>]*>([^<]*)</option>", team_menu) == [
        "Any team",
        "Finance",
        "Growth",
        "No downstream team",
    ]
    owner_menu = re.search(r'<select name="owner".*?</select>', html, re.S)[0]
    owners = sorted(o.member.name for r in october.values() for o in r.pipeline.ownerships.all())
    assert re.findall(r"<option [^>]*>([^<]*)</option>", owner_menu) == ["Anyone", *owners]
    assert '<label for="id_team">Downstream team</label>' in html and '<label for="id_owner">Owner</label>' in html


def test_sla_dashboard_my_pipelines(member_client, member, october):
    mine = october_report("Foxtrot", late_days=1, primary=member)
    october_report("Golf", budget=4, left=0, secondary=member)
    html = member_client.get(OCTOBER_URL).content.decode()
    assert '<input type="checkbox" name="mine"' in html and '<label for="id_mine">My pipelines</label>' in html

    html = member_client.get(OCTOBER_URL, {"mine": "on"}).content.decode()
    assert row_names(html) == ["Foxtrot", "Golf"]
    assert summary_text(html).startswith("<strong>1 of 2</strong> pipelines compliant (pipelines that you own).")
    assert mine.pipeline.name in html and "Bravo" not in html


def test_sla_dashboard_my_pipelines_is_not_offered_to_a_non_member(client, october):
    client.force_login(get_user_model().objects.create_user(username="ops.admin", is_staff=True))
    html = client.get(OCTOBER_URL, {"mine": "on"}).content.decode()
    assert 'name="mine"' not in html
    # Ignored: the page covers every pipeline.
    assert row_names(html) == ["Bravo", "Alpha"]
    assert summary_text(html).startswith("<strong>3 of 4</strong> pipelines compliant.")


def test_sla_dashboard_pages_twenty_five_at_a_time_keeping_the_filters(member_client):
    team = DownstreamTeamFactory(name="Finance")
    for number in range(27):
        october_report(f"Late {number:02}", late_days=1, critical_downstream_team=team)
    october_report("Elsewhere", late_days=1)
    html = member_client.get(OCTOBER_URL, {"team": team.pk}).content.decode()
    assert row_names(html) == [f"Late {number:02}" for number in range(25)]
    assert "Page 1 of 2" in html
    assert f'<a href="?team={team.pk}&amp;page=2">Next 25</a>' in html

    html = member_client.get(OCTOBER_URL, {"team": team.pk, "page": 2}).content.decode()
    assert row_names(html) == ["Late 25", "Late 26"]
    assert f'<a href="?team={team.pk}&amp;page=1">Previous 25</a>' in html
    assert "Elsewhere" not in html

    # A team summary link starts from the first page.
    assert f'href="?team={team.pk}&amp;show=all"' in html


def test_sla_dashboard_query_count_is_fixed(member_client, django_assert_num_queries):
    def make(count: int, start: int) -> None:
        for number in range(start, start + count):
            october_report(f"Pipeline {number:03}", late_days=number % 2, budget=4, left=number % 4)

    SlaPolicy.current()  # the first read creates the policy's row
    make(3, 0)
    with django_assert_num_queries(DASHBOARD_QUERIES):
        html = member_client.get(OCTOBER_URL, {"show": "all"}).content.decode()
    assert row_names(html) == ["Pipeline 001", "Pipeline 000", "Pipeline 002"]

    make(21, 3)  # 24 in all: a full page but one
    with django_assert_num_queries(DASHBOARD_QUERIES):
        html = member_client.get(OCTOBER_URL, {"show": "all"}).content.decode()
    assert len(row_names(html)) == 24 and row_names(html)[:2] == ["Pipeline 001", "Pipeline 003"]
    assert summary_text(html).startswith("<strong>12 of 24</strong> pipelines compliant.")
    assert html.count('<svg class="sla-spark"') == 24


def test_sla_print_sheet_lists_every_pipeline(manager_client, october):
    manager_client.post("/sla/2026-10/sign-off/", {"notes": "Bravo was late.", "action_items": "Page Growth"})
    for number in range(60):
        october_report(f"Zulu {number:02}")
    html = manager_client.get(OCTOBER_URL).content.decode()
    assert 'href="/sla/2026-10/?layout=print">Print all pipelines</a>' in html

    response = manager_client.get(OCTOBER_URL, {"layout": "print"})
    html = response.content.decode()
    assert response.status_code == 200
    names = re.findall(r'<th scope="row">([^<]*?)(?: <span|</th>)', html)
    assert names == ["Bravo", "Alpha", "Charlie", "Delta", *(f"Zulu {number:02}" for number in range(60))]
    assert "Targets: availability ≥ 99.5 % of scheduled runs" in html
    assert "<li>Page Growth</li>" in html and "Bravo was late." in html
    assert '<svg class="sla-compliance"' in html and 'class="sla-spark"' not in html
    bravo = re.search(r"<tr [^>]*><th scope=\"row\">Bravo</th>.*?</tr>", html)[0]
    assert "Not compliant" in bravo and "<td>Finance</td>" in bravo and '<td class="bad">1 of' in bravo
    alpha = re.search(r"<tr [^>]*><th scope=\"row\">Alpha</th>.*?</tr>", html)[0]
    assert "<td>1 of 4</td>" in alpha and "Error budget nearly spent" in alpha


def test_sla_print_sheet_query_count_is_fixed(member_client, django_assert_num_queries):
    SlaPolicy.current()  # the first read creates the policy's row
    october_report("Alpha", late_days=1)
    with django_assert_num_queries(PRINT_QUERIES):
        assert "Alpha" in member_client.get(OCTOBER_URL, {"layout": "print"}).content.decode()
    for number in range(30):
        october_report(f"Pipeline {number:02}", late_days=number % 2)
    with django_assert_num_queries(PRINT_QUERIES):
        html = member_client.get(OCTOBER_URL, {"layout": "print"}).content.decode()
    assert html.count('<th scope="row">') == 31


def test_sla_escalations_on_the_row_the_drill_down_and_the_print_sheet(member_client, manager, november):
    html = member_client.get("/sla/2026-11/").content.decode()
    assert "Escalated: availability, timeliness" in row_html(html, "Billing")

    html = member_client.get("/sla/2026-11/billing/").content.decode()
    escalations = re.search(r'<table class="sla-escalations">.*?</table>', html, re.S)[0]
    assert escalations.count("<tr>") == 3  # the header, availability, timeliness
    assert "<td>Availability</td>" in escalations and "<td>Timeliness</td>" in escalations
    assert manager.user.email in escalations and "no lead on file for the Finance team" in escalations
    # Escalated when the computation ran: the suite's clock.
    assert escalations.count('<time datetime="2026-11-25T12:00:00+00:00">25 Nov 2026, 12:00 UTC</time>') == 2
    assert 'class="sla-escalations"' not in member_client.get("/sla/2026-11/orders/").content.decode()

    html = member_client.get("/sla/2026-11/", {"layout": "print"}).content.decode()
    escalations = re.search(r'<table class="sla-escalations">.*?</table>', html, re.S)[0]
    assert "<td>Billing</td>" in escalations and escalations.count("<td>Billing</td>") == 2
