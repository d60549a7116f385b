"""Single sign-on through OpenID Connect, with mozilla-django-oidc doing the protocol.

The library wants each endpoint in a setting; the portal is given only `OIDC_ISSUER` and reads the
rest from the provider's discovery document, once per issuer. An identity gets in only as the one
active member whose email matches its verified email (any case): nobody is ever created.
"""

import functools
import logging

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.generic import View
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from .accounts import MemberBackend, member_for_email, sso_enabled

logger = logging.getLogger(__name__)

# mozilla-django-oidc's setting → the discovery document's key.
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}
RENAMED = {"OIDC_RP_CLIENT_ID": "OIDC_CLIENT_ID", "OIDC_RP_CLIENT_SECRET": "OIDC_CLIENT_SECRET"}


@functools.cache
def provider_configuration(issuer: str) -> dict:
    """The provider's discovery document (`<issuer>/.well-known/openid-configuration`)."""
    response = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=settings.OIDC_TIMEOUT)
    response.raise_for_status()
    configuration = response.json()
    if configuration.get("issuer", "").rstrip("/") != issuer:
        raise ValueError(f"{issuer} published a discovery document for {configuration.get('issuer')!r}")
    return configuration


def oidc_setting(name: str, *default):
    """A mozilla-django-oidc setting: endpoints from discovery, the client from the portal's own names."""
    if name in DISCOVERED:
        return provider_configuration(settings.OIDC_ISSUER)[DISCOVERED[name]]
    if name in RENAMED:
        return getattr(settings, RENAMED[name])
    return import_from_settings(name, *default)


class MemberOIDCBackend(OIDCAuthenticationBackend):
    """Signs in the active member whose address is the identity's verified email; refuses everyone else."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args, **kwargs):
        # Django builds every backend for every sign-in; without SSO this one stays idle and asks no provider.
        self.enabled = sso_enabled()
        if self.enabled:
            super().__init__(*args, **kwargs)

    def authenticate(self, request, **kwargs):
        if not self.enabled or request is None:
            return None
        try:
            return super().authenticate(request, **kwargs)
        except (SuspiciousOperation, jwt.PyJWTError, requests.RequestException) as error:
            logger.warning("single sign-on failed: %s", error)
            return None

    def verify_token(self, token, **kwargs):
        """The library checks the signature, expiry and nonce; the issuer and audience are checked here."""
        payload = super().verify_token(token, **kwargs)
        audience = payload.get("aud")
        if str(payload.get("iss", "")).rstrip("/") != settings.OIDC_ISSUER or settings.OIDC_CLIENT_ID not in (
            audience if isinstance(audience, list) else [audience]
        ):
            raise SuspiciousOperation("The ID token was not issued to this portal.")
        return payload

    def get_or_create_user(self, access_token, id_token, payload):
        claims = dict(payload)
        if not claims.get("email"):
            claims.update(self.get_userinfo(access_token, id_token, payload))
        email = str(claims.get("email") or "").strip()
        verified = claims.get("email_verified")
        if verified is None:
            verified = settings.OIDC_TRUST_EMAIL
        member = member_for_email(email) if verified is True or str(verified).lower() == "true" else None
        if member is None:
            logger.info("single sign-on refused for %r (email_verified=%r)", email, claims.get("email_verified"))
            self.request.sso_refused_email = email or "(no email)"
            return None
        return member.user

    def get_user(self, user_id):
        return MemberBackend().get_user(user_id)


def sso_required(view):
    """404 while single sign-on is not configured."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not sso_enabled():
            raise Http404("Single sign-on is not configured.")
        return view(request, *args, **kwargs)

    return wrapper


@method_decorator([login_not_required, sso_required], name="dispatch")
class SignOnStartView(OIDCAuthenticationRequestView):
    """`/accounts/sso/`: off to the provider."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, **kwargs):
        # The library reads the provider's endpoints here, before `sso_required` can answer 404.
        if sso_enabled():
            super().__init__(**kwargs)
        else:
            View.__init__(self, **kwargs)


@method_decorator([login_not_required, sso_required], name="dispatch")
class SignOnCallbackView(OIDCAuthenticationCallbackView):
    """`/accounts/sso/callback/`: back from the provider, signed in as a member or told why not."""

    get_settings = staticmethod(oidc_setting)

    def login_failure(self):
        email = getattr(self.request, "sso_refused_email", None)
        if email is not None:
            return render(self.request, "registration/sso_refused.html", {"email": email}, status=403)
        messages.error(self.request, "Single sign-on did not complete. Try again.")
        return HttpResponseRedirect(reverse("login"))
