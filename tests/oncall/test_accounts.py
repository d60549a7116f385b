"""Getting in: password reset, invitations, offboarded members locked out of every route."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from oncall.accounts import INVITATION_KIND, PASSWORD_RESET_KIND, member_invite
from oncall.models import Notification, TeamMember
from tests.conftest import NOW, SEED_PLAN
from tests.oncall.factories import TeamMemberFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-passphrase"
LINK = re.compile(r"http://\S+/accounts/(?:password/reset|welcome)/\S+/")


def link_in(message) -> str:
    return LINK.search(message.body)[0]


def path_of(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def set_password(client: Client, link: str, password: str = PASSWORD):
    """Follow an emailed link and choose a password, as the pages ask."""
    page = client.get(path_of(link), follow=True)
    assert b"new_password1" in page.content, page.content.decode()[:500]
    return client.post(page.redirect_chain[-1][0], {"new_password1": password, "new_password2": password}, follow=True)


# --- password reset ------------------------------------------------------------------------------


def signs_in(username: str, password: str) -> bool:
    """Whether the sign-in form lets `username` in, as a person using it would."""
    client = Client()
    client.post("/accounts/login/", {"username": username, "password": password})
    return "_auth_user_id" in client.session


def ask_reset(client, email, capture):
    with capture(execute=True):
        return client.post("/accounts/password/reset/", {"email": email})


def test_sign_in_page_links_to_password_reset(client):
    page = client.get("/accounts/login/")
    assert b"Forgot your password?" in page.content and b'href="/accounts/password/reset/"' in page.content


def test_password_reset_emails_the_member_through_the_outbox(client, django_capture_on_commit_callbacks):
    member = TeamMemberFactory(name="Jasmine Glancy", email="Jasmine.Glancy@example.com")
    response = ask_reset(client, "jasmine.glancy@EXAMPLE.com", django_capture_on_commit_callbacks)
    assert response.status_code == 302 and response.url == "/accounts/password/reset/sent/"
    [message] = mail.outbox
    assert message.to == ["Jasmine.Glancy@example.com"]
    assert "jasmine.glancy" in message.body
    notification = Notification.objects.get(kind=PASSWORD_RESET_KIND)
    assert notification.member == member and notification.status == "sent"
    assert "/accounts/" not in notification.about_url  # the link is in the email only, not in the audit


def test_password_reset_does_not_reveal_whether_an_address_exists(client, django_capture_on_commit_callbacks):
    TeamMemberFactory(email="known@example.com")
    known = ask_reset(client, "known@example.com", django_capture_on_commit_callbacks)
    unknown = ask_reset(client, "nobody@example.com", django_capture_on_commit_callbacks)
    assert (known.status_code, known.url) == (unknown.status_code, unknown.url)
    assert client.get(known.url).content == client.get(unknown.url).content
    assert len(mail.outbox) == 1


def test_password_reset_link_works_once(client, django_capture_on_commit_callbacks):
    member = TeamMemberFactory(email="once@example.com")
    ask_reset(client, "once@example.com", django_capture_on_commit_callbacks)
    link = link_in(mail.outbox[0])
    done = set_password(client, link)
    assert b"Your password is changed" in done.content
    assert signs_in(member.username, PASSWORD)
    again = client.get(path_of(link), follow=True)
    assert b"This link no longer works" in again.content


def test_password_reset_link_expires_after_a_day(client, clock, django_capture_on_commit_callbacks):
    TeamMemberFactory(email="late@example.com")
    ask_reset(client, "late@example.com", django_capture_on_commit_callbacks)
    clock.move_to(NOW + timedelta(days=1, minutes=1))
    page = client.get(path_of(link_in(mail.outbox[0])), follow=True)
    assert b"This link no longer works" in page.content


def test_password_reset_sends_nothing_to_an_offboarded_member(client, django_capture_on_commit_callbacks):
    TeamMemberFactory(email="gone@example.com", active=False)
    ask_reset(client, "gone@example.com", django_capture_on_commit_callbacks)
    assert mail.outbox == []


# --- invitations ---------------------------------------------------------------------------------


@pytest.fixture
def newcomer(db):
    return TeamMemberFactory(name="Nina Newcomer", email="nina@example.com")


def invite(member, manager, capture):
    with capture(execute=True):
        return member_invite(member=member, invited_by=manager.user)


def test_invitation_emails_a_link_that_signs_the_member_in(newcomer, manager, django_capture_on_commit_callbacks):
    notification = invite(newcomer, manager, django_capture_on_commit_callbacks)
    assert notification.kind == INVITATION_KIND and notification.recipient == "nina@example.com"
    [message] = mail.outbox
    assert message.to == ["nina@example.com"] and manager.name in message.subject
    assert "nina.newcomer" in message.body and "7 days" in message.body
    client = Client()
    home = set_password(client, link_in(message))
    assert home.redirect_chain[-1][0] == "/" and b"Welcome, Nina Newcomer" in home.content
    newcomer.user.refresh_from_db()
    assert newcomer.user.check_password(PASSWORD) and newcomer.user.last_login is not None


def test_invitation_link_works_once(newcomer, manager, django_capture_on_commit_callbacks):
    invite(newcomer, manager, django_capture_on_commit_callbacks)
    link = link_in(mail.outbox[0])
    set_password(Client(), link)
    again = Client().get(path_of(link), follow=True)
    assert b"This invitation no longer works" in again.content


def test_invitation_link_is_valid_for_seven_days(newcomer, manager, clock, django_capture_on_commit_callbacks):
    invite(newcomer, manager, django_capture_on_commit_callbacks)
    link = path_of(link_in(mail.outbox[0]))
    clock.move_to(NOW + timedelta(days=6, hours=23))
    assert b"Choose a password" in Client().get(link, follow=True).content
    clock.move_to(NOW + timedelta(days=7, minutes=1))
    assert b"This invitation no longer works" in Client().get(link, follow=True).content


@pytest.mark.parametrize(
    ("fields", "reason"),
    [({"email": ""}, "no email address"), ({"active": False}, "has left the team")],
)
def test_invitation_is_refused_for_members_who_cannot_receive_it(manager, fields, reason):
    member = TeamMemberFactory(**fields)
    with pytest.raises(ValidationError, match=reason):
        member_invite(member=member, invited_by=manager.user)
    assert not Notification.objects.filter(kind=INVITATION_KIND).exists()


def test_invitation_is_refused_once_the_member_has_signed_in(newcomer, manager):
    newcomer.user.last_login = NOW
    newcomer.user.save()
    with pytest.raises(ValidationError, match="signed in before"):
        member_invite(member=newcomer, invited_by=manager.user)


def test_api_invite_is_for_managers(newcomer, manager_api, api, django_capture_on_commit_callbacks):
    assert api.post(f"/api/members/{newcomer.pk}/invite/").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_api.post(f"/api/members/{newcomer.pk}/invite/")
    assert response.status_code == 202
    assert response.json()["recipient"] == "nina@example.com" and response.json()["kind"] == INVITATION_KIND
    assert [m.to for m in mail.outbox] == [["nina@example.com"]]
    refused = manager_api.post(f"/api/members/{TeamMemberFactory(email='').pk}/invite/")
    assert refused.status_code == 400 and "email" in refused.json()


def test_team_page_shows_who_has_not_signed_in_and_lets_managers_invite(
    newcomer, manager, manager_client, django_capture_on_commit_callbacks
):
    manager.user.last_login = NOW
    manager.user.save()
    page = manager_client.get("/team/").content.decode()
    assert page.count("not signed in yet") == 1 and "Not invited yet." in page
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(f"/oncall/members/{newcomer.username}/invite/", follow=True)
    assert "Invitation sent to Nina Newcomer at nina@example.com." in response.content.decode()
    assert "Invited 25 Nov 2026." in response.content.decode() and "Invite again" in response.content.decode()
    assert len(mail.outbox) == 1


def test_team_page_invite_is_for_managers_only(newcomer, member_client):
    assert b"Invite Nina Newcomer" not in member_client.get("/team/").content
    assert member_client.post(f"/oncall/members/{newcomer.username}/invite/").status_code == 403
    assert not Notification.objects.exists()


def test_admin_invites_several_members_at_once(client, django_capture_on_commit_callbacks):
    admin = get_user_model().objects.create_superuser("admin", "admin@example.com", PASSWORD)
    client.force_login(admin)
    ada, bob = TeamMemberFactory(email="ada@example.com"), TeamMemberFactory(email="bob@example.com")
    no_address = TeamMemberFactory(email="")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/oncall/teammember/",
            {"action": "invite", "_selected_action": [ada.pk, bob.pk, no_address.pk]},
            follow=True,
        )
    assert sorted(m.to[0] for m in mail.outbox) == ["ada@example.com", "bob@example.com"]
    assert "Invited 2" in response.content.decode() and "has no email address" in response.content.decode()


def test_import_runbook_emails_nobody(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_runbook", str(SEED_PLAN), stdout=StringIO())
    assert TeamMember.objects.count() > 3
    assert mail.outbox == [] and not Notification.objects.exists()


# --- offboarded members are locked out -----------------------------------------------------------


def test_offboarded_member_cannot_sign_in_with_a_password(member):
    member.user.set_password(PASSWORD)
    member.user.save()
    assert signs_in(member.username, PASSWORD)
    TeamMember.objects.filter(pk=member.pk).update(active=False)
    assert not signs_in(member.username, PASSWORD)
    api = APIClient().post("/api/auth/token/", {"username": member.username, "password": PASSWORD})
    assert api.status_code == 400


def test_offboarded_member_loses_an_open_session(member_client, member):
    assert member_client.get("/").status_code == 200
    TeamMember.objects.filter(pk=member.pk).update(active=False)
    response = member_client.get("/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_drf_tokens_keep_working_and_stop_when_the_member_leaves(member):
    call_command("drf_create_token", member.username, stdout=StringIO())
    key = Token.objects.get(user=member.user).key
    client = APIClient(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/members/").status_code == 200
    TeamMember.objects.filter(pk=member.pk).update(active=False)
    assert client.get("/api/members/").status_code == 401


def test_drf_tokens_unknown_or_of_a_deactivated_user_get_401(member):
    call_command("drf_create_token", member.username, stdout=StringIO())
    key = Token.objects.get(user=member.user).key
    assert APIClient(HTTP_AUTHORIZATION=f"Token {key[::-1]}").get("/api/members/").status_code == 401
    member.user.is_active = False
    member.user.save()
    response = APIClient(HTTP_AUTHORIZATION=f"Token {key}").get("/api/members/")
    assert response.status_code == 401 and "inactive" in response.json()["detail"]
