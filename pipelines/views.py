from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.generic import DetailView, ListView, TemplateView

from oncall.accounts import INVITATION_KIND
from oncall.filtersets import TeamMemberFilterSet
from oncall.history import history_of
from oncall.models import Notification, TeamMember
from oncall.permissions import is_manager

from .choices import OwnerRole
from .diagram import dependency_diagram
from .filtersets import PipelineFilterSet
from .forms import CommonIssueFormSet, RunbookForm, common_issues_from
from .models import Ownership, Pipeline
from .permissions import can_edit_runbook
from .rendering import render_markdown, render_markdown_inline
from .services import DELAY_CONTACT_KIND, delay_contact_events_of, pipeline_runbook_update


def runbook_html(*, description: str, common_issues: list[dict], standard_procedures: str) -> dict:
    """The runbook's Markdown rendered as the runbook page shows it, `#slug` links pointing at portal pages."""
    slugs = set(Pipeline.objects.values_list("slug", flat=True))

    def anchor_url(slug: str) -> str | None:
        return reverse("pipelines:runbook-detail", kwargs={"slug": slug}) if slug in slugs else None

    return {
        "description_html": render_markdown(description, anchor_url),
        "issues_html": [
            (issue.get("known_issue", False), render_markdown_inline(issue.get("text", ""), anchor_url))
            for issue in common_issues
        ],
        "procedures_html": render_markdown(standard_procedures, anchor_url),
    }


class RunbookListView(ListView):
    """`/runbooks/`: every pipeline, searched and filtered in the database, 50 a page, with owners and team."""

    template_name = "pipelines/pipeline_list.html"
    context_object_name = "pipelines"
    paginate_by = 50

    def get_queryset(self):
        self.filterset = PipelineFilterSet(self.request.GET or None, queryset=Pipeline.objects.with_owners())
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        return super().get_context_data(filterset=self.filterset, query=self.request.GET.get("q", ""), **kwargs)


class RunbookDetailView(DetailView):
    """`/runbooks/<slug>/`: the runbook rendered safely, owners, neighbours and delay contacts."""

    template_name = "pipelines/pipeline_detail.html"
    context_object_name = "pipeline"
    queryset = Pipeline.objects.with_runbook_relations().prefetch_related("delay_rules__contact")

    def get_context_data(self, **kwargs):
        pipeline = self.object
        upstream = list(pipeline.depends_on.all())
        downstream = list(pipeline.dependents.all())
        return super().get_context_data(
            **runbook_html(
                description=pipeline.description,
                common_issues=pipeline.common_issues,
                standard_procedures=pipeline.standard_procedures,
            ),
            can_edit=can_edit_runbook(self.request.user, pipeline),
            changes=history_of({"pipeline": [pipeline.pk]}),
            upstream=upstream,
            downstream=downstream,
            delay_contact_notices=Notification.objects.filter(
                kind=DELAY_CONTACT_KIND, key__startswith=delay_contact_events_of(pipeline.pk)
            )[:5],
            diagram=dependency_diagram(
                pipeline.name,
                [(p.name, p.get_absolute_url()) for p in upstream],
                [(p.name, p.get_absolute_url()) for p in downstream],
            ),
            **kwargs,
        )


class RunbookEditView(TemplateView):
    """`/runbooks/<slug>/edit/`: the owners and the managers edit the runbook; "Preview" renders it unsaved."""

    template_name = "pipelines/pipeline_form.html"

    def dispatch(self, request, *args, **kwargs):
        self.pipeline = get_object_or_404(Pipeline.objects.with_runbook_relations(), slug=kwargs["slug"])
        if not can_edit_runbook(request.user, self.pipeline):
            raise PermissionDenied("Only the pipeline's owners and the managers edit its runbook.")
        self.manager = is_manager(request.user)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        pipeline = self.pipeline
        form = RunbookForm(
            manager=self.manager,
            initial={
                "description": pipeline.description,
                "standard_procedures": pipeline.standard_procedures,
                "schedule": pipeline.schedule,
                "critical_fields": pipeline.critical_fields,
                "column_aliases": pipeline.column_aliases,
                "primary_owner": pipeline.primary_owner,
                "secondary_owner": pipeline.secondary_owner,
                "critical_downstream_team": pipeline.critical_downstream_team,
            },
        )
        issues = CommonIssueFormSet(prefix="issues", initial=pipeline.common_issues)
        return self.render_to_response(self.get_context_data(form=form, issues=issues))

    def post(self, request, *args, **kwargs):
        form = RunbookForm(request.POST, manager=self.manager)
        issues = CommonIssueFormSet(request.POST, prefix="issues")
        if not (form.is_valid() and issues.is_valid()):
            return self.render_to_response(self.get_context_data(form=form, issues=issues))
        fields = {**form.cleaned_data, "common_issues": common_issues_from(issues)}
        if "preview" in request.POST:
            preview = runbook_html(
                description=fields["description"],
                common_issues=fields["common_issues"],
                standard_procedures=fields["standard_procedures"],
            )
            return self.render_to_response(self.get_context_data(form=form, issues=issues, preview=preview))
        try:
            pipeline_runbook_update(pipeline=self.pipeline, actor=request.user, **fields)
        except ValidationError as error:
            form.add_service_errors(error)
            return self.render_to_response(self.get_context_data(form=form, issues=issues))
        messages.success(request, f"The {self.pipeline.name} runbook is saved.")
        return HttpResponseRedirect(self.pipeline.get_absolute_url())

    def get_context_data(self, **kwargs):
        return super().get_context_data(pipeline=self.pipeline, manager=self.manager, **kwargs)


@dataclass(frozen=True)
class OwnedCell:
    """A member's first pipelines in one role (`ownerships`) of `count` in all."""

    ownerships: list[Ownership]
    count: int

    @property
    def more(self) -> bool:
        return self.count > len(self.ownerships)


class TeamView(ListView):
    """`/team/`: members, their area and expertise, how many pipelines they own with the first few, and who has not
    signed in yet; searched in the database, 25 a page (a row lists up to six pipelines, so 25 already fill a
    laptop screen several times over).

    A member may own dozens of pipelines: the row shows the first `OWNED_SHOWN` of each role and links to the
    runbook list filtered to them, so the page stays light however many pipelines there are.
    """

    template_name = "pipelines/team.html"
    context_object_name = "members"
    paginate_by = 25
    OWNED_SHOWN = 3
    CHANGES_SHOWN = 15

    def get_queryset(self):
        members = (
            TeamMember.objects.select_related("user")
            .annotate(
                invited_at=Subquery(
                    Notification.objects.filter(member=OuterRef("pk"), kind=INVITATION_KIND)
                    .order_by("-created_at")
                    .values("created_at")[:1]
                ),
                primary_count=Count("ownerships", filter=Q(ownerships__role=OwnerRole.PRIMARY)),
                secondary_count=Count("ownerships", filter=Q(ownerships__role=OwnerRole.SECONDARY)),
            )
            .prefetch_related(self.first_owned(OwnerRole.PRIMARY), self.first_owned(OwnerRole.SECONDARY))
            .order_by("-active", "name", "pk")
        )
        self.filterset = TeamMemberFilterSet(self.request.GET or None, queryset=members)
        return self.filterset.qs

    def first_owned(self, role: str) -> Prefetch:
        """Each member's first few pipelines in `role`, by name, with only what the row shows: one query for the
        whole page."""
        owned = (
            Ownership.objects.filter(role=role)
            .select_related("pipeline")
            .only("role", "member", "pipeline", "pipeline__name", "pipeline__slug")
            .order_by("pipeline__name", "pk")
        )
        return Prefetch("ownerships", queryset=owned[: self.OWNED_SHOWN], to_attr=f"first_{role}")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for member in context["members"]:
            # The row's two cells, drawn by one loop rather than a template include each.
            member.owned = (
                OwnedCell(member.first_primary, member.primary_count),
                OwnedCell(member.first_secondary, member.secondary_count),
            )
        return context | {
            "filterset": self.filterset,
            "query": self.request.GET.get("q", ""),
            # The newest changes to members; every one is at /api/changes/?object_type=member.
            "changes": history_of({"member": None}, limit=self.CHANGES_SHOWN),
            "all_changes_url": f"{reverse('api:change-list')}?object_type=member",
            "can_invite": is_manager(self.request.user),
        }
