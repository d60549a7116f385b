"""Sign-in routes and `/account/`. Names are Django's own (`password_reset_confirm`, …), without a namespace."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import account_views, sso

urlpatterns = [
    path("accounts/login/", account_views.PortalLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/reset/", account_views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        account_views.MemberPasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"
    ),
    path("accounts/welcome/<uidb64>/<token>/", account_views.InvitationAcceptView.as_view(), name="invitation_accept"),
    path("accounts/sso/", sso.SignOnStartView.as_view(), name="oidc_authentication_init"),
    path("accounts/sso/callback/", sso.SignOnCallbackView.as_view(), name="oidc_authentication_callback"),
    path("account/", account_views.AccountView.as_view(), name="account"),
    path(
        "account/tokens/", account_views.AccountActionView.as_view(action="token_create"), name="account-token-create"
    ),
    path(
        "account/tokens/<int:pk>/revoke/",
        account_views.AccountActionView.as_view(action="token_revoke"),
        name="account-token-revoke",
    ),
    path(
        "account/calendar/new-link/",
        account_views.AccountActionView.as_view(action="feed_reset"),
        name="account-feed-reset",
    ),
    path("account/emails/", account_views.AccountActionView.as_view(action="emails"), name="account-emails"),
]
