import re
from datetime import date

from django import forms
from django.utils import timezone

from .models import TeamMember

# Years a page may ask for: wide enough for any real plan, narrow enough that next/previous never overflow.
FIRST_YEAR, LAST_YEAR = 1970, 2999
MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{1,2})$")


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
        match = MONTH_PATTERN.match(value)
        if match is None:
            raise forms.ValidationError("Enter a month as YYYY-MM, e.g. 2026-12.")
        year, month = int(match[1]), int(match[2])
        if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12):
            raise forms.ValidationError(f"Enter a month between {FIRST_YEAR}-01 and {LAST_YEAR}-12.")
        return date(year, month, 1)

    def first_day(self, today: date) -> date:
        """The first day of the month asked for, or of `today`'s month when none (or a bad one) was given."""
        if self.is_bound and self.is_valid() and self.cleaned_data["month"]:
            return self.cleaned_data["month"]
        return today.replace(day=1)


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


class MemberOffboardForm(forms.Form):
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
