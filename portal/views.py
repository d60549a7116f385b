from django.utils import timezone
from django.views.generic import TemplateView

from oncall.models import TeamMember
from oncall.views import on_call_now
from pipelines.models import Pipeline


class HomeView(TemplateView):
    """`/`: the day's overview: who is on call now and next, and the pipelines."""

    template_name = "portal/home.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            member=TeamMember.objects.filter(user=self.request.user).first(),
            on_call=on_call_now(timezone.now()),
            pipelines=Pipeline.objects.with_runbook_relations(),
            **kwargs,
        )


home = HomeView.as_view()
