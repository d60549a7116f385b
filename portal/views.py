from django.http import HttpResponse
from django.utils import timezone
from django.views.generic import TemplateView

from incidents.models import Incident
from incidents.services import delivery_board
from oncall.models import TeamMember
from oncall.selectors import on_call_now
from pipelines.models import DEFAULT_SCHEDULE
from pipelines.plan_writer import plan_to_markdown

from .selectors import plan_from_portal


class HomeView(TemplateView):
    """`/`: the day's overview: who is on call now and next, open incidents, today's 08:00 board."""

    template_name = "portal/home.html"

    def get_context_data(self, **kwargs):
        now = timezone.now()
        return super().get_context_data(
            member=TeamMember.objects.filter(user=self.request.user).first(),
            on_call=on_call_now(now),
            board=delivery_board(now=now),
            open_incidents=Incident.objects.unresolved().select_related("pipeline", "assignee").open_first()[:10],
            **kwargs,
        )


home = HomeView.as_view()


def runbook_export(request):
    """`/runbooks/plan.md`: the portal's current plan in the plan's own Markdown, as a download."""
    text = plan_to_markdown(plan_from_portal(), default_schedule=DEFAULT_SCHEDULE)
    response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="maintenance-plan.md"'
    return response
