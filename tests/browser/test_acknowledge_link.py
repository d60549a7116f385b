"""Acknowledging from a page: the link in a recorded email, followed in a browser that is not signed in."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from incidents.choices import IncidentStatus
from incidents.models import Incident
from oncall.models import Notification
from pipelines.services import run_upsert
from tests.pipelines.factories import PipelineFactory


@pytest.mark.browser
def test_the_on_call_member_acknowledges_from_the_link_in_the_page(
    transactional_db,
    live_server,
    chromium_browser,
    on_call_team,  # noqa: F811
):
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    pipeline = PipelineFactory(name="Profit Pipeline")
    now = timezone.now()
    run_upsert(
        pipeline=pipeline,
        external_id="scheduled__today",
        values={"scheduled_for": now - timedelta(hours=1), "finished_at": now, "status": "failed"},
    )
    incident = Incident.objects.get()
    page_sent = Notification.objects.get(kind="incidents.opened", member=incident.assignee)
    (link,) = re.findall(r"https?://\S+/incidents/ack/\S+/", page_sent.body)

    context = chromium_browser.new_context(locale="en-GB", timezone_id="UTC", base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(urlsplit(link).path)
    expect(page.get_by_role("heading", level=1)).to_contain_text(incident.title)
    button = page.get_by_role("button", name=f"Acknowledge as {incident.assignee.name}")
    expect(button).to_be_visible()
    assert Incident.objects.get().status == IncidentStatus.OPEN  # opening the link changed nothing
    button.click()
    expect(page.get_by_role("status")).to_have_text(f"Acknowledged by {incident.assignee.name}. Thank you.")
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.ACKNOWLEDGED and incident.acknowledged_by == incident.assignee
    page.goto(urlsplit(link).path)
    expect(page.get_by_role("alert")).to_have_text("This link was used already.")
    context.close()
