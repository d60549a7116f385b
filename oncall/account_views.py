"""Sign-in pages (password, reset, invitation) and `/account/`."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import UserPassesTestMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse, reverse_lazy
from django.views.generic import TemplateView, View

from . import services
from .account_forms import AccountForm, EmailPreferencesForm, MemberPasswordResetForm, PersonalTokenForm
from .accounts import (
    can_sign_in,
    display_name,
    invitation_tokens,
    member_account_update,
    member_email_preferences_set,
    member_invite,
    password_sign_in_shown,
    personal_token_create,
    personal_token_revoke,
    sso_enabled,
)
from .models import PersonalToken, TeamMember
from .notifications import absolute_url
from .permissions import acting_member, is_manager, team_member_or_403

NEW_TOKEN_SESSION_KEY = "account-new-personal-token"
NOT_A_MEMBER = "This account is not a team member."


class PortalLoginView(auth_views.LoginView):
    """The sign-in page: password form (unless `OIDC_ONLY`), "Forgot your password?" and single sign-on."""

    def get_context_data(self, **kwargs):
        return super().get_context_data(sso_enabled=sso_enabled(), password_shown=password_sign_in_shown(), **kwargs)

    def post(self, request, *args, **kwargs):
        if not password_sign_in_shown():
            raise PermissionDenied("This portal is entered through single sign-on.")
        return super().post(request, *args, **kwargs)


class PasswordResetView(auth_views.PasswordResetView):
    form_class = MemberPasswordResetForm
    email_template_name = "registration/password_reset_email.txt"


class MemberPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's set-a-new-password step, closed to people who may no longer sign in."""

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        return user if can_sign_in(user) else None


class InvitationAcceptView(MemberPasswordResetConfirmView):
    """`/accounts/welcome/<uid>/<token>/`: an invited member chooses a first password and is signed in."""

    token_generator = invitation_tokens
    template_name = "registration/invitation_confirm.html"
    post_reset_login = True
    post_reset_login_backend = "oncall.accounts.MemberBackend"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, f"Welcome, {display_name(self.user)}.")
        return response


class MemberInviteView(UserPassesTestMixin, View):
    """POST `/oncall/members/<username>/invite/`: a manager emails a member the link to set a first password."""

    raise_exception = True
    http_method_names = ["post"]

    def test_func(self) -> bool:
        return is_manager(self.request.user)

    def post(self, request, username):
        member = get_object_or_404(TeamMember, user__username=username)
        try:
            member_invite(member=member, invited_by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Invitation sent to {member.name} at {member.email}.")
        return HttpResponseRedirect(reverse("pipelines:team"))


class AccountView(TemplateView):
    """`/account/`: my name, address and time zone, my API tokens, my calendar link, my emails."""

    template_name = "oncall/account.html"

    def get_context_data(self, **kwargs):
        member = acting_member(self.request.user)
        context = {
            "member": member,
            "tokens": PersonalToken.objects.filter(user=self.request.user, revoked_at__isnull=True),
            "new_token": self.request.session.pop(NEW_TOKEN_SESSION_KEY, None),
            "token_form": PersonalTokenForm(),
            "always_sent": ["Pages about incidents", "Invitations and password resets"],
        }
        if member is not None:
            context.update(
                account_form=AccountForm(instance=member),
                email_form=EmailPreferencesForm.for_member(member),
                feed_url=absolute_url(reverse("feeds:member-feed", kwargs={"token": member.calendar_token})),
            )
        context.update(kwargs)
        return super().get_context_data(**context)

    def post(self, request):
        """The name, address and time zone form."""
        member = team_member_or_403(request.user, NOT_A_MEMBER)
        form = AccountForm(request.POST, instance=TeamMember.objects.get(pk=member.pk))
        if form.is_valid():
            try:
                member_account_update(member=member, **{f: form.cleaned_data[f] for f in AccountForm.Meta.fields})
            except ValidationError as error:
                form.add_service_errors(error)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(account_form=form), status=400)
        messages.success(request, "Your details are saved.")
        return HttpResponseRedirect(reverse("account"))


class AccountActionView(AccountView):
    """The other forms of `/account/`, each posted to its own URL and back to the page."""

    action = ""
    http_method_names = ["post"]

    def post(self, request, pk=None):
        return getattr(self, self.action)(request, pk)

    def token_create(self, request, pk):
        form = PersonalTokenForm(request.POST)
        if form.is_valid():
            try:
                token, key = personal_token_create(user=request.user, name=form.cleaned_data["name"])
            except ValidationError as error:
                form.add_service_errors(error)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(token_form=form), status=400)
        request.session[NEW_TOKEN_SESSION_KEY] = {"name": token.name, "key": key}
        return HttpResponseRedirect(reverse("account") + "#tokens")

    def token_revoke(self, request, pk):
        try:
            token = personal_token_revoke(token_id=pk, user=request.user)
        except PersonalToken.DoesNotExist as error:
            raise PermissionDenied("Not one of your tokens.") from error
        messages.success(request, f"Token “{token.name}” revoked.")
        return HttpResponseRedirect(reverse("account") + "#tokens")

    def feed_reset(self, request, pk):
        services.member_feed_token_reset(member=team_member_or_403(request.user, NOT_A_MEMBER))
        messages.success(request, "Your calendar has a new link; the old one no longer works.")
        return HttpResponseRedirect(reverse("account") + "#calendar")

    def emails(self, request, pk):
        member = team_member_or_403(request.user, NOT_A_MEMBER)
        form = EmailPreferencesForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(email_form=form), status=400)
        member_email_preferences_set(member=member, muted_kinds=form.muted_kinds())
        messages.success(request, "Your email choices are saved.")
        return HttpResponseRedirect(reverse("account") + "#emails")
