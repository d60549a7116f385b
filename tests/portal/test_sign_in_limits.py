"""Guessing passwords gets stopped: the sign-in form and the token exchange lock a username out from an
address after repeated failures, say so and for how long, and let the right password in after the cool-off;
the token exchange is throttled per address on every cache backend the portal uses."""

import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.test import Client
from rest_framework.test import APIClient

from portal.settings.base import redis_cache
from tests.conftest import NOW
from tests.oncall.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-enough-secret-17"
ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def jasmine():
    user = UserFactory(username="jasmine.glancy")
    user.set_password(PASSWORD)
    user.save()
    return user


def sign_in(client, password):
    return client.post("/accounts/login/", {"username": "jasmine.glancy", "password": password})


def test_sign_in_form_locks_out_after_repeated_failures_and_lets_in_after_the_cool_off(client, jasmine, clock):
    limit = django_settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        response = sign_in(client, "guess")
        assert response.status_code == 200 and "enter a correct username and password" in response.content.decode()
    locked = sign_in(client, "guess")
    assert locked.status_code == 429
    text = locked.content.decode()
    assert "Too many failed sign-ins for this username from your address. Try again in 15 minutes" in text

    still_locked = sign_in(client, PASSWORD)  # even the right password, during the cool-off
    assert still_locked.status_code == 429 and "_auth_user_id" not in client.session

    clock.move_to(NOW + django_settings.AXES_COOLOFF_TIME + timedelta(minutes=1))
    response = sign_in(client, PASSWORD)
    assert response.status_code == 302 and response.url == "/"
    assert client.session["_auth_user_id"] == str(jasmine.pk)


def test_a_success_clears_the_failures(client, jasmine):
    for _ in range(django_settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "guess")
    assert sign_in(client, PASSWORD).status_code == 302
    client.logout()
    for _ in range(django_settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "guess").status_code == 200


@pytest.mark.parametrize(
    ("route", "form", "refused"),
    [("/accounts/login/", None, 200), ("/admin/login/", None, 200), ("/api/auth/token/", "json", 400),
     ("/api/auth/token/", "multipart", 400)],
)  # fmt: skip
def test_a_username_longer_than_any_is_refused_and_counted_cut_to_what_is_stored(route, form, refused):
    too_long = "u" * 300
    client = APIClient() if form else Client()
    response = client.post(route, {"username": too_long, "password": "x"}, **({"format": form} if form else {}))
    assert response.status_code == refused
    assert AccessAttempt.objects.get().username == too_long[:255]


def test_token_exchange_locks_out_after_repeated_failures(jasmine, clock):
    api = APIClient()
    for _ in range(django_settings.AXES_FAILURE_LIMIT - 1):
        response = api.post("/api/auth/token/", {"username": "jasmine.glancy", "password": "guess"})
        assert response.status_code == 400
    response = api.post("/api/auth/token/", {"username": "jasmine.glancy", "password": "guess"})
    assert response.status_code == 429
    assert response.json()["detail"].startswith("Too many failed sign-ins for this username")
    assert api.post("/api/auth/token/", {"username": "jasmine.glancy", "password": PASSWORD}).status_code == 429

    clock.move_to(NOW + django_settings.AXES_COOLOFF_TIME + timedelta(minutes=1))
    response = api.post("/api/auth/token/", {"username": "jasmine.glancy", "password": PASSWORD})
    assert response.status_code == 200 and response.json()["token"]


SHARED_CACHES = {"files": "django.core.cache.backends.filebased.FileBasedCache"}
if os.environ.get("REDIS_URL"):
    SHARED_CACHES["redis"] = redis_cache(os.environ["REDIS_URL"])["BACKEND"]


@pytest.mark.parametrize("backend", sorted(SHARED_CACHES))
def test_token_exchange_is_throttled_per_address_on_the_shared_cache(backend, settings, tmp_path, jasmine):
    location = os.environ.get("REDIS_URL") if backend == "redis" else str(tmp_path / "cache")
    # A prefix of its own, so the test neither sees nor leaves counts in a cache others use.
    shared = redis_cache(location) if backend == "redis" else {"BACKEND": SHARED_CACHES[backend], "LOCATION": location}
    settings.CACHES = {"default": shared | {"KEY_PREFIX": f"test-{uuid.uuid4()}"}}
    api = APIClient()
    rate = int(django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["token"].split("/")[0])
    # Different usernames each time: the throttle, not the lockout, stops this.
    answers = [api.post("/api/auth/token/", {"username": f"guess{n}", "password": "x"}) for n in range(rate + 1)]
    assert [a.status_code for a in answers] == [400] * rate + [429]
    assert "throttled" in answers[-1].json()["detail"]
    assert api.post("/api/auth/token/", {"username": "jasmine.glancy", "password": PASSWORD}).status_code == 429


def test_api_throttle_rates_come_from_the_environment():
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "portal.settings.local",
        "API_THROTTLE_ANON": "7/minute",
        "API_THROTTLE_USER": "900/hour",
        "API_THROTTLE_TOKEN": "3/minute",
    }
    code = "from django.conf import settings; print(settings.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'])"
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert result.stdout.strip() == "{'anon': '7/minute', 'user': '900/hour', 'token': '3/minute'}"


def test_signed_in_api_use_is_throttled_at_the_user_rate(api, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "user", "3/minute")
    answers = [api.get("/api/pipelines/").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
