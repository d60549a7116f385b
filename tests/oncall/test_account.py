"""`/account/`: details and display time zone, personal API tokens, the calendar link, email choices."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from oncall import notifications
from oncall.accounts import personal_token_create
from oncall.choices import OptionalEmail
from oncall.models import PersonalToken, TeamMember
from tests.conftest import NOW
from tests.oncall.factories import RotationFactory, RotationMembershipFactory, ShiftFactory

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r"<code data-new-token>(pop_[^<]+)</code>")


def make_token(client, name="laptop scripts") -> str:
    page = client.post("/account/tokens/", {"name": name}, follow=True).content.decode()
    return TOKEN.search(page)[1]


def api_with(key: str) -> APIClient:
    return APIClient(HTTP_AUTHORIZATION=f"Token {key}")


# --- personal API tokens -------------------------------------------------------------------------


def test_token_is_shown_once_and_signs_its_owner_in(member_client, member):
    key = make_token(member_client)
    assert TOKEN.search(member_client.get("/account/").content.decode()) is None
    assert key not in member_client.get("/account/").content.decode()
    response = api_with(key).get("/api/members/")
    assert response.status_code == 200
    assert PersonalToken.objects.get().digest != key  # only a digest is stored


def test_several_named_tokens_with_their_last_use(member_client, clock):
    first, second = make_token(member_client, "laptop"), make_token(member_client, "airflow dag")
    clock.move_to(NOW + timedelta(hours=2))
    api_with(second).get("/api/members/")
    page = member_client.get("/account/").content.decode()
    assert "laptop" in page and "airflow dag" in page and first[:8] in page
    tokens = {t.name: t for t in PersonalToken.objects.all()}
    assert tokens["laptop"].last_used_at is None and tokens["airflow dag"].last_used_at == NOW + timedelta(hours=2)
    assert "Never" in page and "Wed 25 Nov 2026, 14:00" in page


def test_a_token_name_is_used_once_per_person(member_client):
    make_token(member_client, "laptop")
    response = member_client.post("/account/tokens/", {"name": "laptop"})
    assert response.status_code == 400 and PersonalToken.objects.count() == 1


def test_revoked_token_gets_401(member_client):
    key = make_token(member_client)
    token = PersonalToken.objects.get()
    response = member_client.post(f"/account/tokens/{token.pk}/revoke/", follow=True)
    assert "revoked" in response.content.decode()
    assert api_with(key).get("/api/members/").status_code == 401
    assert api_with(key.replace("pop_", "pop_x")).get("/api/members/").status_code == 401


def test_nobody_revokes_someone_elses_token(member_client, manager):
    token, _ = personal_token_create(user=manager.user, name="manager's")
    assert member_client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 403
    assert PersonalToken.objects.get().revoked_at is None


def test_offboarded_members_token_gets_401(member_client, member):
    key = make_token(member_client)
    assert api_with(key).get("/api/members/").status_code == 200
    TeamMember.objects.filter(pk=member.pk).update(active=False)
    assert api_with(key).get("/api/members/").status_code == 401


def test_bearer_keyword_works_for_personal_tokens(member_client):
    key = make_token(member_client)
    assert APIClient(HTTP_AUTHORIZATION=f"Bearer {key}").get("/api/members/").status_code == 200


# --- details and time zone -----------------------------------------------------------------------


def test_member_edits_name_email_and_time_zone(member_client, member):
    response = member_client.post(
        "/account/", {"name": "Ada Byron", "email": "ada@example.com", "time_zone": "Europe/Berlin"}, follow=True
    )
    assert "Your details are saved." in response.content.decode()
    member.refresh_from_db()
    member.user.refresh_from_db()
    assert (member.name, member.email, member.time_zone) == ("Ada Byron", "ada@example.com", "Europe/Berlin")
    assert member.user.email == "ada@example.com" and member.user.get_full_name() == "Ada Byron"


def test_an_unknown_time_zone_is_refused(member_client, member):
    response = member_client.post("/account/", {"name": member.name, "email": member.email, "time_zone": "Mars/Base"})
    assert response.status_code == 400
    member.refresh_from_db()
    assert member.time_zone == ""


def test_pages_show_times_in_the_members_time_zone(member_client, member):
    rotation = RotationFactory(time_zone="UTC")
    RotationMembershipFactory(rotation=rotation, member=member, position=0)
    ShiftFactory(rotation=rotation, member=member, date=NOW.date())
    before = member_client.get("/").content.decode()
    assert "Thu 26 Nov 2026, 00:00 UTC" in before
    TeamMember.objects.filter(pk=member.pk).update(time_zone="America/New_York")
    after = member_client.get("/").content.decode()
    assert "Wed 25 Nov 2026, 19:00 EST" in after and "Thu 26 Nov 2026, 00:00 UTC" not in after


# --- calendar link -------------------------------------------------------------------------------


def test_new_calendar_link_replaces_the_old_one(member_client, member):
    old_url = f"/oncall/feeds/member/{member.calendar_token}.ics"
    assert old_url in member_client.get("/account/").content.decode()
    assert member_client.get(old_url).status_code == 200
    page = member_client.post("/account/calendar/new-link/", follow=True).content.decode()
    member.refresh_from_db()
    assert f"/oncall/feeds/member/{member.calendar_token}.ics" in page and old_url not in page
    assert member_client.get(old_url).status_code == 404


# --- email choices -------------------------------------------------------------------------------


def send(member, kind: str) -> list:
    return notifications.notify(
        event=f"test-{kind}",
        kind=kind,
        recipients=[notifications.Recipient.of(member)],
        subject="Subject",
        body="Body",
    )


def test_switched_off_emails_are_not_sent_but_pages_always_are(member_client, member):
    wanted = [kind for kind in OptionalEmail.values if kind != OptionalEmail.BLOCK_REMINDER]
    response = member_client.post("/account/emails/", {"wanted": wanted}, follow=True)
    assert "Your email choices are saved." in response.content.decode()
    member.refresh_from_db()
    assert member.email_muted_kinds == [OptionalEmail.BLOCK_REMINDER]
    assert send(member, OptionalEmail.BLOCK_REMINDER) == []
    assert len(send(member, OptionalEmail.HOLIDAY_REMINDER)) == 1
    assert len(send(member, "incidents.opened")) == 1
    page = response.content.decode()
    assert "Pages about incidents" in page and "(always sent)" in page


def test_pages_cannot_be_switched_off(member):
    member.email_muted_kinds = ["incidents.opened"]
    with pytest.raises(ValidationError, match="cannot be switched off"):
        member.full_clean()


def test_account_page_needs_sign_in(client):
    response = client.get("/account/")
    assert response.status_code == 302 and mail.outbox == []
