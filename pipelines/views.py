from django.db.models import Max, Prefetch, Q
from django.urls import reverse
from django.views.generic import DetailView, ListView

from oncall.accounts import INVITATION_KIND
from oncall.models import Notification, TeamMember
from oncall.permissions import is_manager

from .diagram import dependency_diagram
from .filtersets import PipelineFilterSet
from .models import Ownership, Pipeline
from .rendering import render_markdown, render_markdown_inline
from .services import DELAY_CONTACT_KIND, delay_contact_about


class RunbookListView(ListView):
    """`/runbooks/`: every pipeline, searchable, with its owners and downstream team."""

    template_name = "pipelines/pipeline_list.html"
    context_object_name = "pipelines"

    def get_queryset(self):
        self.filterset = PipelineFilterSet(self.request.GET or None, queryset=Pipeline.objects.with_runbook_relations())
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
        slugs = set(Pipeline.objects.values_list("slug", flat=True))

        def anchor_url(slug: str) -> str | None:
            return reverse("pipelines:runbook-detail", kwargs={"slug": slug}) if slug in slugs else None

        upstream = list(pipeline.depends_on.all())
        downstream = list(pipeline.dependents.all())
        return super().get_context_data(
            description_html=render_markdown(pipeline.description, anchor_url),
            issues_html=[
                (issue.get("known_issue", False), render_markdown_inline(issue.get("text", ""), anchor_url))
                for issue in pipeline.common_issues
            ],
            procedures_html=render_markdown(pipeline.standard_procedures, anchor_url),
            upstream=upstream,
            downstream=downstream,
            delay_contact_notices=Notification.objects.filter(
                kind=DELAY_CONTACT_KIND, about__startswith=delay_contact_about(pipeline)
            )[:5],
            diagram=dependency_diagram(
                pipeline.name,
                [(p.name, p.get_absolute_url()) for p in upstream],
                [(p.name, p.get_absolute_url()) for p in downstream],
            ),
            **kwargs,
        )


class TeamView(ListView):
    """`/team/`: members, their area and expertise, the pipelines they own, and who has not signed in yet."""

    template_name = "pipelines/team.html"
    context_object_name = "members"

    def get_queryset(self):
        return (
            TeamMember.objects.select_related("user")
            .prefetch_related(
                Prefetch("ownerships", queryset=Ownership.objects.select_related("pipeline").order_by("pipeline__name"))
            )
            .annotate(invited_at=Max("notifications__created_at", filter=Q(notifications__kind=INVITATION_KIND)))
            .order_by("-active", "name")
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(can_invite=is_manager(self.request.user), **kwargs)
