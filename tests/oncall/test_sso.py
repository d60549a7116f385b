"""Single sign-on against a real OpenID Connect provider (oauth2-mock-server, started by the suite)."""

from urllib.parse import urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.test import Client

from oncall.models import TeamMember
from tests.oncall.factories import TeamMemberFactory

pytestmark = pytest.mark.django_db


def sign_on(client: Client):
    """Start single sign-on, let the provider answer as its browser would, and return the portal's answer."""
    start = client.get("/accounts/sso/")
    assert start.status_code == 302, start
    at_provider = requests.get(start.url, allow_redirects=False, timeout=10)
    assert at_provider.status_code == 302, at_provider.text
    back = urlsplit(at_provider.headers["Location"])
    assert back.path == "/accounts/sso/callback/"
    return client.get(f"{back.path}?{back.query}")


def test_without_configuration_single_sign_on_is_not_there(client, settings):
    settings.OIDC_ISSUER = settings.OIDC_CLIENT_ID = settings.OIDC_CLIENT_SECRET = ""
    assert b"single sign-on" not in client.get("/accounts/login/").content
    assert client.get("/accounts/sso/").status_code == 404
    assert client.get("/accounts/sso/callback/?code=x&state=y").status_code == 404


@pytest.fixture
def jasmine(db):
    return TeamMemberFactory(name="Jasmine Glancy", email="Jasmine.Glancy@example.com")


def test_sign_in_page_offers_single_sign_on_only_when_configured(client, settings, sso):
    assert b"Sign in with single sign-on" in client.get("/accounts/login/").content
    settings.OIDC_CLIENT_SECRET = ""
    page = client.get("/accounts/login/").content
    assert b"Sign in with single sign-on" not in page and b"Password" in page
    assert client.get("/accounts/sso/").status_code == 404


def test_member_signs_in_with_their_verified_email_in_any_case(client, sso, jasmine):
    sso.sign_in_as("jasmine.GLANCY@example.com")
    response = sign_on(client)
    assert response.status_code == 302 and response.url == "/"
    assert client.get("/").context["user"] == jasmine.user


def test_stranger_is_told_they_are_not_on_the_team_and_nothing_is_created(client, sso, jasmine):
    sso.sign_in_as("stranger@example.com")
    users, members = get_user_model().objects.count(), TeamMember.objects.count()
    response = sign_on(client)
    assert response.status_code == 403
    assert b"You are not a member of the team" in response.content and b"stranger@example.com" in response.content
    assert (get_user_model().objects.count(), TeamMember.objects.count()) == (users, members)
    assert client.get("/").status_code == 302  # still signed out


def test_offboarded_member_is_refused(client, sso, jasmine):
    TeamMember.objects.filter(pk=jasmine.pk).update(active=False)
    sso.sign_in_as("jasmine.glancy@example.com")
    response = sign_on(client)
    assert response.status_code == 403 and b"You are not a member of the team" in response.content


@pytest.mark.parametrize("verified", [False, None])
def test_an_unverified_email_is_refused(client, sso, jasmine, verified):
    sso.sign_in_as("jasmine.glancy@example.com", verified=verified)
    assert sign_on(client).status_code == 403


def test_providers_without_email_verified_can_be_trusted_by_setting(client, settings, sso, jasmine):
    settings.OIDC_TRUST_EMAIL = True
    sso.sign_in_as("jasmine.glancy@example.com", verified=None)
    assert sign_on(client).url == "/"
    sso.sign_in_as("jasmine.glancy@example.com", verified=False)
    assert sign_on(Client()).status_code == 403


def test_oidc_only_hides_the_password_form_but_not_the_admin_sign_in(client, settings, sso, member):
    settings.OIDC_ONLY = True
    page = client.get("/accounts/login/").content
    assert b"Sign in with single sign-on" in page and b'name="password"' not in page
    assert client.post("/accounts/login/", {"username": member.username, "password": "x"}).status_code == 403
    assert b'name="password"' in client.get("/admin/login/").content
