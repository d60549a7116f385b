from django import forms

from oncall.forms import ServiceErrorsMixin
from oncall.models import TeamMember

from .models import DownstreamTeam


class LinesField(forms.CharField):
    """A list of names typed one per line; blank lines are dropped."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value) -> list[str]:
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


class RunbookForm(ServiceErrorsMixin, forms.Form):
    """`/runbooks/<slug>/edit/`: the runbook fields; managers also see the owners and downstream team."""

    description = forms.CharField(
        label="What it does", required=False, widget=forms.Textarea(attrs={"rows": 6}), help_text="Markdown."
    )
    standard_procedures = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 8}), help_text="Markdown."
    )
    schedule = forms.CharField(max_length=100, label="Schedule (cron, UTC)", help_text="e.g. 0 6 * * 1-5")
    critical_fields = LinesField(required=False, help_text="One field name per line.")
    column_aliases = LinesField(required=False, help_text="One column name per line.")
    primary_owner = forms.ModelChoiceField(queryset=TeamMember.objects.none(), empty_label="Choose a member")
    secondary_owner = forms.ModelChoiceField(queryset=TeamMember.objects.none(), required=False, empty_label="None")
    critical_downstream_team = forms.ModelChoiceField(
        queryset=DownstreamTeam.objects.none(), required=False, label="Critical downstream team", empty_label="None"
    )

    MANAGER_FIELDS = ("primary_owner", "secondary_owner", "critical_downstream_team")

    def __init__(self, *args, manager: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if manager:
            members = TeamMember.objects.active().order_by("name")
            self.fields["primary_owner"].queryset = members
            self.fields["secondary_owner"].queryset = members
            self.fields["critical_downstream_team"].queryset = DownstreamTeam.objects.order_by("name")
        else:
            for name in self.MANAGER_FIELDS:
                del self.fields[name]

    def runbook_fields(self):
        return [self[name] for name in ("description", "standard_procedures")]

    def fact_fields(self):
        return [self[name] for name in ("schedule", "critical_fields", "column_aliases")]

    def manager_fields(self):
        return [self[name] for name in self.MANAGER_FIELDS if name in self.fields]


class CommonIssueForm(forms.Form):
    text = forms.CharField(label="Issue", required=False, max_length=1000, help_text="Markdown, one line.")
    known_issue = forms.BooleanField(label="Known issue", required=False)


CommonIssueFormSet = forms.formset_factory(CommonIssueForm, extra=2, can_delete=True)


def common_issues_from(formset) -> list[dict]:
    """The formset's issues in order, without removed or empty rows."""
    issues = []
    for form in formset.forms:
        data = form.cleaned_data
        if data.get("DELETE") or not data.get("text", "").strip():
            continue
        issues.append({"text": data["text"].strip(), "known_issue": bool(data.get("known_issue"))})
    return issues
