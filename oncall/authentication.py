"""API authentication: personal tokens (from /account/) and DRF's service tokens, both closed to people who left."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from .accounts import can_sign_in, personal_token_user
from .models.tokens import PERSONAL_TOKEN_PREFIX


class PersonalTokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token pop_…` (or `Bearer pop_…`): a person's own named token.

    Other keys are left to `ServiceTokenAuthentication`, so `drf_create_token` tokens keep working.
    """

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() not in (b"token", b"bearer"):
            return None
        key = parts[1].decode(errors="replace")
        if not key.startswith(PERSONAL_TOKEN_PREFIX):
            return None
        user = personal_token_user(key=key)
        if user is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        return user, key


class ServiceTokenAuthentication(authentication.TokenAuthentication):
    """DRF's own tokens (service accounts, `drf_create_token`), refused once their member has left."""

    def authenticate_credentials(self, key):
        # DRF's own lookup, with the team member read in the same query: `can_sign_in` and the
        # permissions look at it on every request.
        token = self.get_model().objects.select_related("user__team_member").filter(key=key).first()
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        if not can_sign_in(token.user):
            raise exceptions.AuthenticationFailed("This account can no longer sign in.")
        return token.user, token


class PersonalTokenScheme(OpenApiAuthenticationExtension):
    """Documents personal tokens as their own scheme: both classes extend DRF's TokenAuthentication."""

    target_class = PersonalTokenAuthentication
    name = "personalTokenAuth"
    priority = 1

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A personal token from /account/, prefixed with `Token ` (or `Bearer `).",
        }
