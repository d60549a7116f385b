"""Forms of the sign-in pages and of /account/."""

import zoneinfo

from django import forms
from django.contrib.auth.forms import PasswordResetForm
from django.core.exceptions import NON_FIELD_ERRORS
from django.template import loader

from . import notifications
from .accounts import PASSWORD_RESET_KIND, member_sign_in_link
from .choices import OptionalEmail
from .forms import ServiceErrorsMixin
from .models import TeamMember


class MemberPasswordResetForm(PasswordResetForm):
    """Django's reset form, sending to the member's address through the portal's outbox.

    Only active members are found, by their address in any case; the page says the same whether
    one was found or not.
    """

    def get_users(self, email):
        members = TeamMember.objects.active().filter(email__iexact=email.strip(), user__is_active=True)
        return [member.user for member in members.select_related("user")]

    def send_mail(
        self, subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name=None
    ):
        user = context["user"]
        member = user.team_member
        context = {
            **context,
            "member": member,
            "link": member_sign_in_link(user, url_name="password_reset_confirm", token=context["token"]),
        }
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        notifications.notify(
            event=f"{PASSWORD_RESET_KIND}:{user.pk}:{context['token']}",
            kind=PASSWORD_RESET_KIND,
            recipients=[notifications.Recipient.of(member)],
            subject=subject,
            body=loader.render_to_string(email_template_name, context),
            about=f"Password reset of {member.name}",
        )


def time_zone_choices() -> list[tuple[str, str]]:
    return [("", "My browser's time zone")] + [(name, name) for name in sorted(zoneinfo.available_timezones())]


class AccountForm(ServiceErrorsMixin, forms.ModelForm):
    """Name, address and the time zone pages are shown in."""

    time_zone = forms.ChoiceField(choices=time_zone_choices, required=False, label="Time zone")

    class Meta:
        model = TeamMember
        fields = ["name", "email", "time_zone"]


class PersonalTokenForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(max_length=100, label="Token name", help_text='What it is for, e.g. "laptop scripts".')

    # A name already in use breaks a constraint of no single field; the page shows it at the name.
    service_error_fields = {NON_FIELD_ERRORS: "name"}


class EmailPreferencesForm(forms.Form):
    """Ticked: send me these by email. Pages about incidents always go out and are not listed."""

    wanted = forms.MultipleChoiceField(
        choices=OptionalEmail.choices, required=False, widget=forms.CheckboxSelectMultiple, label="Email me"
    )

    @classmethod
    def for_member(cls, member: TeamMember, data=None):
        wanted = [kind for kind in OptionalEmail.values if member.wants_email(kind)]
        return cls(data=data, initial={"wanted": wanted})

    def muted_kinds(self) -> list[str]:
        return [kind for kind in OptionalEmail.values if kind not in self.cleaned_data["wanted"]]
