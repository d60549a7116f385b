"""Deny by default: every page but sign-in and every API route needs a signed-in user or a token."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

# Signing in, resetting a password, accepting an invitation and single sign-on need no session.
PUBLIC_PAGES = {
    "/accounts/login/",
    "/accounts/password/reset/",
    "/accounts/password/reset/sent/",
    "/accounts/password/reset/<uidb64>/<token>/",
    "/accounts/password/reset/done/",
    "/accounts/welcome/<uidb64>/<token>/",
    "/accounts/sso/",
    "/accounts/sso/callback/",
}


def concrete_paths(patterns=None, prefix=""):
    """Every route of the portal with sample values for its parameters."""
    samples = {"slug": "profit-pipeline", "pk": "1", "id": "1", "format": "json", "month": "2026-01"}
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        route = str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from concrete_paths(pattern.url_patterns, prefix + route)
        elif isinstance(pattern, URLPattern):
            path = prefix + route
            if path.startswith("^") or "(?P" in path or "\\" in path:
                continue  # regex routes (admin, format suffixes) are covered by their plain twins
            for name, value in samples.items():
                for converter in ("", "slug:", "int:", "str:", "path:"):
                    path = path.replace(f"<{converter}{name}>", value)
            yield "/" + path


def test_every_page_redirects_anonymous_users_to_sign_in(client):
    paths = [
        p
        for p in concrete_paths()
        if not p.startswith(("/api/", "/admin/"))
        and p not in PUBLIC_PAGES
        and "/feeds/" not in p
        and "/incidents/ack/" not in p  # the signed acknowledge link: see below
    ]
    assert "/runbooks/" in paths and "/team/" in paths and "/" in paths
    for path in paths:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.url.startswith("/accounts/login/"), path


def test_calendar_feeds_need_their_secret_token(client):
    feeds = [p for p in concrete_paths() if "/feeds/" in p]
    assert len(feeds) == 2
    for path in feeds:
        response = client.get(path.replace("<str:token>", "not-a-real-token").replace("<token>", "not-a-real-token"))
        assert response.status_code == 404, path


def test_the_acknowledge_link_needs_its_signed_token(client):
    (path,) = [p for p in concrete_paths() if "/incidents/ack/" in p]
    for method in (client.get, client.post):
        response = method(path.replace("<str:token>", "not-a-signed-token"))
        assert response.status_code == 404, path  # a link that names nothing
        assert "This link is not valid." in response.content.decode()


def test_every_api_route_refuses_anonymous_requests(client):
    paths = [p for p in concrete_paths() if p.startswith("/api/") and p != "/api/auth/token/"]
    assert "/api/members/" in paths and "/api/pipelines/" in paths and "/api/schema/" in paths
    for path in paths:
        response = client.get(path)
        assert response.status_code in (401, 403), path
        assert response.status_code == 401, f"{path} should ask for credentials"


def test_admin_refuses_anonymous_users(client):
    response = client.get("/admin/")
    assert response.status_code == 302 and "login" in response.url


def test_sign_in_page_is_public(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b"Sign in" in response.content


def test_sign_in_and_sign_out(client, member):
    member.user.set_password("correct horse battery")
    member.user.save()
    response = client.post("/accounts/login/", {"username": member.user.username, "password": "correct horse battery"})
    assert response.status_code == 302
    assert client.get("/runbooks/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/runbooks/").status_code == 302


def test_sign_in_with_a_wrong_password_says_so(client, member):
    response = client.post("/accounts/login/", {"username": member.user.username, "password": "nope"})
    assert response.status_code == 200
    assert b"enter a correct username and password" in response.content
