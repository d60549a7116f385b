from datetime import date, datetime

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone

from .filtersets import UsernameChoiceField
from .models import HolidayTrade, Shift, TeamMember
from .months import first_of_month, parse_month
from .years import FIRST_YEAR, LAST_YEAR


class ServiceErrorsMixin:
    """A page's form whose data a service saves: the service's ValidationError is shown on the form."""

    # Fields a service names differently from this form (NON_FIELD_ERRORS: where errors of no field go).
    service_error_fields: dict[str, str] = {}

    def add_service_errors(self, error: ValidationError) -> None:
        """Each message next to the field it names, else above the form."""
        messages = error.message_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.messages}
        for name, texts in messages.items():
            field = self.service_error_fields.get(name, name)
            for text in texts:
                self.add_error(field if field in self.fields else None, text)


class CalendarMonthForm(forms.Form):
    """`?month=YYYY-MM` on the on-call calendar; empty means this month."""

    month = forms.CharField(
        required=False,
        label="Month",
        help_text="As YYYY-MM, e.g. 2026-12.",
        widget=forms.TextInput(attrs={"type": "month", "pattern": r"\d{4}-\d{2}"}),
    )

    def clean_month(self) -> date | None:
        value = self.cleaned_data["month"].strip()
        if not value:
            return None
        try:
            return parse_month(value)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None

    def first_day(self, today: date) -> date:
        """The first day of the month asked for, or of `today`'s month when none (or a bad one) was given."""
        if self.is_bound and self.is_valid() and self.cleaned_data["month"]:
            return self.cleaned_data["month"]
        return first_of_month(today)


class HolidayYearsForm(forms.Form):
    """`?from=&to=` on the holiday matrix: which years to show, at most `MAX_YEARS` of them."""

    MAX_YEARS = 15
    PAST_YEARS = 4

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.default_first, self.default_last = today.year - self.PAST_YEARS, today.year + 1
        # "from" is a Python keyword, so these fields are added here rather than declared.
        self.fields["from"] = forms.IntegerField(
            required=False, min_value=FIRST_YEAR, max_value=LAST_YEAR, label="From year"
        )
        self.fields["to"] = forms.IntegerField(
            required=False, min_value=FIRST_YEAR, max_value=LAST_YEAR, label="Through year"
        )
        self.fields["from"].widget.attrs["placeholder"] = str(self.default_first)
        self.fields["to"].widget.attrs["placeholder"] = str(self.default_last)

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("from"), cleaned.get("to")
        if self.errors:
            return cleaned
        if first is None and last is None:
            first, last = self.default_first, self.default_last
        elif last is None:
            last = min(max(self.default_last, first), first + self.MAX_YEARS - 1)
        elif first is None:
            first = max(min(self.default_first, last), last - self.MAX_YEARS + 1)
        if last < first:
            self.add_error("to", "The last year cannot be before the first.")
        elif last - first + 1 > self.MAX_YEARS:
            self.add_error("to", f"Show at most {self.MAX_YEARS} years at a time.")
        cleaned["years"] = range(first, last + 1)
        return cleaned

    def years(self) -> range:
        """The years asked for, or the default span (4 past years through next year) when none or bad ones."""
        if self.is_bound and self.is_valid():
            return self.cleaned_data["years"]
        return range(self.default_first, self.default_last + 1)


NO_SUCCESSOR, NEW_SUCCESSOR = "", "new"


class MemberOffboardForm(ServiceErrorsMixin, forms.Form):
    """A member leaves: from when, and who takes over (an active member, a new one, or nobody)."""

    effective_date = forms.DateField(
        label="Leaves the rotation on",
        help_text="Their shifts from this day on move to the successor. Today or later.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    successor = forms.ChoiceField(
        label="Successor",
        required=False,
        help_text="Takes the leaver's place in the rotation order and their shifts, holidays included.",
    )
    new_name = forms.CharField(
        label="New member's name",
        required=False,
        max_length=150,
        help_text="Only for a new member: first and last name (their login becomes first.last).",
    )
    new_email = forms.EmailField(label="New member's email", required=False)

    # The new member's errors name the model's fields.
    service_error_fields = {"name": "new_name", "email": "new_email"}

    def __init__(self, *args, member: TeamMember, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("effective_date", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.member = member
        # A hint for the browser's date picker; the offboarding service is what refuses a past date.
        self.fields["effective_date"].widget.attrs["min"] = f"{timezone.localdate():%Y-%m-%d}"
        self.candidates = {
            str(m.pk): m for m in TeamMember.objects.active().exclude(pk=member.pk).select_related("user")
        }
        self.fields["successor"].choices = [
            (NO_SUCCESSOR, "Nobody: the others close the gap"),
            *((pk, f"{m.name} ({m.user.username})") for pk, m in self.candidates.items()),
            (NEW_SUCCESSOR, "A new member (name and email below)"),
        ]

    def clean_successor(self) -> TeamMember | str | None:
        value = self.cleaned_data["successor"]
        if value == NEW_SUCCESSOR:
            return NEW_SUCCESSOR
        return self.candidates.get(value)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("successor") == NEW_SUCCESSOR and not cleaned.get("new_name", "").strip():
            self.add_error("new_name", "Give the new member's name, or choose another successor.")
        return cleaned

    @property
    def wants_new_member(self) -> bool:
        return self.cleaned_data.get("successor") == NEW_SUCCESSOR


# --- holiday trades ------------------------------------------------------------------------------


def shift_label(shift: Shift, *, with_rotation: bool = False) -> str:
    """A holiday shift as people name it: "Christmas Day, Fri 25 Dec 2026"."""
    label = f"{shift.holiday_name}, {shift.date:%a %d %b %Y}"
    return f"{label} ({shift.rotation.name})" if with_rotation else label


def future_holidays(now: datetime):
    """Holiday shifts that have not started yet: the only ones a trade may move."""
    return Shift.objects.holidays().filter(start__gt=now).select_related("rotation").order_by("date", "rotation_id")


class HolidayTradeForm(ServiceErrorsMixin, forms.Form):
    """A member offers one of their future holiday shifts to a colleague, for one of theirs or for nothing.

    The menus list only what can be traded, but any shift or member is accepted here: the trade
    service decides, so a form and the API refuse the same things with the same words.
    """

    shift = forms.ModelChoiceField(
        queryset=Shift.objects.select_related("member", "rotation"),
        label="Your holiday shift",
        help_text="One of your holidays that has not started yet.",
        error_messages={"invalid_choice": "That shift does not exist any more; choose another."},
    )
    counterparty = UsernameChoiceField(
        queryset=TeamMember.objects.select_related("user"),
        label="Colleague",
        help_text="An active member of the team.",
    )
    counterparty_shift = forms.ModelChoiceField(
        queryset=Shift.objects.select_related("member", "rotation"),
        required=False,
        label="In exchange for",
        help_text="One of the colleague’s future holidays, or none: then you give yours away.",
        error_messages={"invalid_choice": "That shift does not exist any more; choose another."},
    )
    message = forms.CharField(
        required=False,
        max_length=HolidayTrade._meta.get_field("message").max_length,
        label="Message (optional)",
        widget=forms.Textarea(attrs={"rows": 3, "cols": 40}),
    )
    confirm = forms.BooleanField(required=False, label="I understand, send it anyway")
    # Which trade the confirmation was given for: a changed trade must be confirmed again.
    confirmed_for = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, member: TeamMember, now: datetime, **kwargs):
        super().__init__(*args, **kwargs)
        self.member = member
        self.warning = ""
        upcoming = list(future_holidays(now).filter(member__active=True).select_related("member__user"))
        several = len({shift.rotation_id for shift in upcoming}) > 1
        self.colleague_holidays: dict[str, list[tuple[int, str]]] = {}
        for shift in upcoming:
            if shift.member_id != member.pk:
                self.colleague_holidays.setdefault(shift.member.username, []).append(
                    (shift.pk, shift_label(shift, with_rotation=several))
                )
        self.colleagues = list(TeamMember.objects.active().exclude(pk=member.pk).select_related("user"))

        # Only the menus are narrowed to what can be traded; see the class docstring.
        mine = [(s.pk, shift_label(s, with_rotation=several)) for s in upcoming if s.member_id == member.pk]
        self.fields["shift"].widget.choices = [("", "Choose one of your holidays"), *mine]
        self.fields["counterparty"].widget.choices = [
            ("", "Choose a colleague"),
            *((m.username, f"{m.name} ({m.username})") for m in self.colleagues),
        ]
        self.fields["counterparty_shift"].widget.choices = [
            ("", "None: give it away"),
            *self.counterparty_holidays,
        ]
        self.has_own_holidays = bool(mine)

    @property
    def chosen_username(self) -> str:
        """The colleague picked so far (submitted, or given as the starting value), whose holidays are offered."""
        value = self.data.get("counterparty") if self.is_bound else self.initial.get("counterparty")
        return value.username if isinstance(value, TeamMember) else str(value or "")

    @property
    def chosen_colleague(self) -> TeamMember | None:
        return next((m for m in self.colleagues if m.username == self.chosen_username), None)

    @property
    def counterparty_holidays(self) -> list[tuple[int, str]]:
        return self.colleague_holidays.get(self.chosen_username, [])

    def clean(self):
        cleaned = super().clean()
        shift, counterparty, other = (cleaned.get(name) for name in ("shift", "counterparty", "counterparty_shift"))
        # What a confirmation is tied to: the offered shift, the colleague and the shift asked for.
        self.trade_key = ":".join(
            [
                str(shift.pk) if shift else "",
                counterparty.username if counterparty else "",
                str(other.pk) if other else "",
            ]
        )
        return cleaned

    @property
    def is_confirmed(self) -> bool:
        """Ticked, and for this very trade (not one the requester changed after reading the warning)."""
        return bool(self.cleaned_data.get("confirm")) and self.cleaned_data.get("confirmed_for") == self.trade_key

    def ask_confirmation(self, warning: str) -> None:
        """The trade breaks the holiday window: show why, and ask for the box to be ticked for this trade."""
        seen_before = bool(self.cleaned_data.get("confirmed_for"))
        changed = seen_before and self.cleaned_data.get("confirmed_for") != self.trade_key
        self.warning = warning
        # Re-rendered from the data: record which trade is being confirmed, and untick a stale confirmation.
        self.data = self.data.copy()
        self.data["confirmed_for"] = self.trade_key
        if changed:
            self.data.pop("confirm", None)
            self.add_error("confirm", "You changed the trade: read the new warning, then tick the box again.")
        elif seen_before:
            self.add_error("confirm", "Tick this box to send the trade despite the warning, or change the trade.")
        # The box is described by the warning it confirms, and by its own error when there is one.
        described_by = ["trade-warning"] + ([f"{self['confirm'].auto_id}_error"] if "confirm" in self.errors else [])
        self.fields["confirm"].widget.attrs.update({"required": True, "aria-describedby": " ".join(described_by)})
