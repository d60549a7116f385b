"""The SLA dashboard's filters: menus of teams and members (tens), never of pipelines."""

from django import forms

from oncall.models import TeamMember
from pipelines.models import DownstreamTeam

from .choices import DashboardShow
from .dashboard import NO_TEAM, NO_TEAM_NAME, DashboardFilters


class SlaDashboardFilterForm(forms.Form):
    """A GET form; a value that is not on offer is reported and left out, the other filters still apply."""

    q = forms.CharField(
        required=False, max_length=100, label="Pipeline", widget=forms.TextInput(attrs={"type": "search"})
    )
    team = forms.ChoiceField(required=False, label="Downstream team")
    owner = forms.TypedChoiceField(required=False, label="Owner", coerce=int, empty_value=None)
    mine = forms.BooleanField(required=False, label="My pipelines")
    show = forms.ChoiceField(required=False, label="List", choices=DashboardShow.choices)

    def __init__(self, data, *, member: TeamMember | None):
        super().__init__(data)
        self.member = member
        self.team_names = dict(DownstreamTeam.objects.order_by("name").values_list("pk", "name"))
        self.fields["team"].choices = [
            ("", "Any team"),
            *((str(pk), name) for pk, name in self.team_names.items()),
            (NO_TEAM, NO_TEAM_NAME),
        ]
        # Members who own a pipeline, whether still active or not: their pipelines still count.
        self.owner_names = dict(
            TeamMember.objects.filter(ownerships__isnull=False).distinct().order_by("name").values_list("pk", "name")
        )
        self.fields["owner"].choices = [("", "Anyone"), *((str(pk), name) for pk, name in self.owner_names.items())]
        if member is None:
            # Only a team member owns pipelines.
            del self.fields["mine"]

    def filters(self) -> DashboardFilters:
        """The filters asked for; the invalid ones are left out (and shown as errors on the form)."""
        self.is_valid()
        data = self.cleaned_data
        team = data.get("team") or ""
        owner = data.get("owner")
        return DashboardFilters(
            team=int(team) if team.isdigit() else None,
            no_team=team == NO_TEAM,
            team_name=self.team_names.get(int(team), "") if team.isdigit() else "",
            owner=owner,
            owner_name=self.owner_names.get(owner, "") if owner else "",
            mine=self.member.pk if self.member and data.get("mine") else None,
            search=(data.get("q") or "").strip(),
            show=data.get("show") or DashboardShow.ATTENTION,
        )
