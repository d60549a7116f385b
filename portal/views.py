from django.utils import timezone
from django.views.generic import TemplateView

from incidents.models import Incident
from incidents.services import delivery_board
from oncall.models import TeamMember
from oncall.selectors import on_call_now


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
