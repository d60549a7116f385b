"""The change log: each recorded model's change shows who made it, through what, and each field's before → after."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from oncall.choices import TradeStatus
from oncall.history import change_source, history_of
from oncall.models import CustomHoliday
from oncall.services import members_deactivate_departed
from oncall.tasks import expire_holiday_trades
from pipelines.models import Contact, DelayRule, DownstreamTeam, Pipeline, SlaPolicy
from sla.models import SlaReview
from tests.conftest import NOW, SEED_PLAN
from tests.oncall.factories import HolidayTradeFactory, RotationFactory, TeamMemberFactory, rotation_with
from tests.pipelines.factories import PipelineFactory
from tests.sla.factories import SlaReportFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def later(clock):
    """Move the clock on a minute: the change under test is then the newest, whatever table it is in."""
    return lambda: clock.move_to(NOW + timedelta(minutes=1))


def latest(object_type: str, pk: int):
    """The newest change to the object (or its parts)."""
    return history_of({object_type: [pk]}, limit=1)[0]


def fields(entry) -> dict[str, tuple[str, str]]:
    return {change.field: (change.before, change.after) for change in entry.changes}


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("ops.admin", "ops@example.com", "pass-word-123")
    client.force_login(user)
    return client


def test_change_log_member_edited_through_the_api(manager_api, manager, later):
    member = TeamMemberFactory(name="Ada Lovelace", email="ada@old.example")
    later()
    response = manager_api.patch(f"/api/members/{member.pk}/", {"email": "ada@new.example"}, format="json")
    assert response.status_code == 200
    entry = latest("member", member.pk)
    assert (entry.action, entry.actor, entry.actor_name, entry.source) == (
        "changed",
        manager.user.username,
        manager.name,
        "API",
    )
    assert fields(entry) == {"email": ("ada@old.example", "ada@new.example")}


def test_change_log_pipeline_runbook_edited_on_the_page(client, later):
    pipeline = PipelineFactory(description="Loads data.")
    later()
    owner = pipeline.secondary_owner
    client.force_login(owner.user)
    client.post(
        f"/runbooks/{pipeline.slug}/edit/",
        {
            "description": "Loads sales data.",
            "standard_procedures": "",
            "schedule": "0 0 * * *",
            "critical_fields": "transaction_id",
            "column_aliases": "",
            "issues-TOTAL_FORMS": "1",
            "issues-INITIAL_FORMS": "0",
            "issues-0-text": "Late files",
            "issues-0-known_issue": "on",
        },
    )
    entry = latest("pipeline", pipeline.pk)
    assert (entry.object_type, entry.actor_name, entry.source) == ("pipeline", owner.name, "page")
    assert fields(entry) == {
        "description": ("Loads data.", "Loads sales data."),
        "common issues": ("—", "Late files (known issue)"),
        "critical fields": ("transaction_id; date; amount", "transaction_id"),
    }
    assert len(Pipeline.history.filter(id=pipeline.pk)) == 2  # created, then this one change


def test_change_log_ownership_changed_by_a_manager(manager_api, manager, later):
    pipeline = PipelineFactory()
    old_secondary, new_secondary = pipeline.secondary_owner, TeamMemberFactory(name="Bo Diddley")
    later()
    manager_api.patch(
        f"/api/pipelines/{pipeline.slug}/", {"secondary_owner": new_secondary.user.username}, format="json"
    )
    created, deleted = history_of({"pipeline": [pipeline.pk]}, limit=2)
    assert (deleted.object_type, deleted.action, deleted.actor_name) == ("ownership", "deleted", manager.name)
    assert (created.object_type, created.action, created.source) == ("ownership", "created", "API")
    assert fields(created)["member"] == ("—", "Bo Diddley")
    assert fields(created)["role"] == ("—", "Secondary owner")
    # The primary owner kept their role, so their row was left alone.
    assert pipeline.primary_owner.ownerships.get().history.count() == 1
    assert old_secondary.name not in str([fields(created), fields(deleted)])


@pytest.mark.parametrize(
    ("model", "object_type", "url", "data", "field", "before", "after"),
    [
        (DownstreamTeam, "downstream_team", "pipelines/downstreamteam", {"name": "Profit", "lead_name": "Lee",
         "lead_email": "lee@example.com"}, "lead name", "—", "Lee"),
        (Contact, "contact", "pipelines/contact", {"name": "Ray Charley", "organisation": "Sales",
         "email": "ray@example.com", "phone": ""}, "email", "—", "ray@example.com"),
    ],
)  # fmt: skip
def test_change_log_admin_edits(admin_client, model, object_type, url, data, field, before, after, later):
    obj = model.objects.create(name=data["name"])
    later()
    response = admin_client.post(f"/admin/{url}/{obj.pk}/change/", data)
    assert response.status_code == 302
    entry = latest(object_type, obj.pk)
    assert (entry.actor, entry.source) == ("ops.admin", "admin")
    assert fields(entry)[field] == (before, after)


def test_change_log_plan_import_records_its_source():
    call_command("import_runbook", str(SEED_PLAN), verbosity=0)
    rule = DelayRule.objects.filter(contact__name="Ray Charley").first()
    entries = history_of({"pipeline": [rule.pipeline_id]}, limit=100)
    delay_rule = next(e for e in entries if e.object_type == "delay_rule")
    assert (delay_rule.action, delay_rule.actor, delay_rule.source) == ("created", None, "plan import")
    assert fields(delay_rule)["days after deadline"] == ("—", "2")
    pipeline = next(e for e in entries if e.object_type == "pipeline")
    assert pipeline.source == "plan import" and fields(pipeline)["name"] == ("—", rule.pipeline.name)
    member = history_of({"member": None}, limit=1)[0]
    assert member.source == "plan import" and member.action == "created"


def test_change_log_rotation_settings_and_order(manager_api, manager, later):
    a, b = TeamMemberFactory.create_batch(2)
    rotation = rotation_with([a, b], name="Data platform")
    later()
    response = manager_api.patch(
        f"/api/rotations/{rotation.pk}/",
        {"block_days": 14, "order": [b.user.username, a.user.username]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    entries = history_of({"rotation": [rotation.pk]}, limit=10)
    assert {e.source for e in entries[:5]} == {"API"} and {e.actor for e in entries[:5]} == {manager.user.username}
    settings = next(e for e in entries if e.object_type == "rotation")
    assert fields(settings) == {"block days": ("7", "14")}
    new_order = [fields(e) for e in entries if e.object_type == "rotation_membership" and e.action == "created"][:2]
    assert {(f["member"][1], f["position"][1]) for f in new_order} == {(b.name, "0"), (a.name, "1")}


def test_change_log_custom_holiday_under_its_rotation(later):
    rotation = RotationFactory(name="Data platform")
    later()
    with change_source("admin"):
        holiday = CustomHoliday.objects.create(rotation=rotation, date=date(2026, 12, 24), name="Christmas Eve")
    entry = latest("rotation", rotation.pk)
    assert (entry.object_type, entry.object_id, entry.source) == ("custom_holiday", holiday.pk, "admin")
    assert fields(entry)["name"] == ("—", "Christmas Eve")


def test_change_log_trade_declined_on_the_page(client, later):
    trade = HolidayTradeFactory()  # pending, about Christmas Day
    later()
    client.force_login(trade.counterparty.user)
    assert client.post(f"/trades/{trade.pk}/decline/").status_code == 302
    entry = latest("trade", trade.pk)
    assert (entry.actor_name, entry.source) == (trade.counterparty.name, "page")
    assert fields(entry)["status"] == ("Pending", "Declined")
    html = client.get("/trades/").content.decode()
    section = html[html.index('<section class="change-log" aria-labelledby="change-log">') :]
    assert "Change log of these trades" in section and "<del>Pending</del> → <ins>Declined</ins>" in section


def test_change_log_trade_expired_by_the_job(clock):
    trade = HolidayTradeFactory()  # pending, about Christmas Day
    clock.move_to(datetime(2026, 12, 26, 12, 0, tzinfo=NOW.tzinfo))
    assert expire_holiday_trades.delay().get() == 1
    entry = latest("trade", trade.pk)
    assert (entry.actor, entry.source) == (None, "job: expire_holiday_trades")
    assert fields(entry)["status"] == ("Pending", "Expired")
    trade.refresh_from_db()
    assert trade.status == TradeStatus.EXPIRED


def test_change_log_departed_member_deactivated_one_row_at_a_time(later):
    member = TeamMemberFactory(left_on=date(2026, 11, 20), joined_on=date(2020, 1, 1))
    later()
    assert members_deactivate_departed(today=date(2026, 11, 25)) == 1
    assert fields(latest("member", member.pk)) == {"active": ("yes", "no")}


def test_change_log_sla_policy_edited_through_the_api(manager_client, manager, later):
    policy = SlaPolicy.current()
    later()
    response = manager_client.patch(
        "/api/sla/policy/", {"availability_target": "99.9"}, content_type="application/json"
    )
    assert response.status_code == 200
    entry = latest("sla_policy", policy.pk)
    assert (entry.actor_name, entry.source) == (manager.name, "API")
    assert fields(entry) == {"availability target": ("99.500", "99.900")}
    assert SlaPolicy.current().availability_target == Decimal("99.9")


def test_change_log_sla_sign_off_on_the_month_page(manager_client, manager):
    SlaReportFactory(month=date(2026, 10, 1))  # a month needs figures to be signed off
    response = manager_client.post("/sla/2026-10/sign-off/", {"notes": "Fine.", "action_items": ""})
    assert response.status_code == 302
    review = SlaReview.objects.get()
    entry = latest("sla_review", review.pk)
    assert (entry.action, entry.actor_name, entry.source) == ("created", manager.name, "page")
    assert fields(entry)["notes"] == ("—", "Fine.") and fields(entry)["reviewer"] == ("—", manager.name)
    html = manager_client.get("/sla/2026-10/").content.decode()
    section = html[html.index('<section class="change-log" aria-labelledby="history">') :]
    assert "SLA policy and sign-off history" in section and "<ins>Fine.</ins>" in section
