import math

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.generic import TemplateView
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.throttling import ScopedRateThrottle

from incidents.board import delivery_board
from incidents.models import Incident
from oncall.models import TeamMember
from oncall.selectors import on_call_now
from pipelines.models import DEFAULT_SCHEDULE
from pipelines.plan_writer import plan_to_markdown

from .selectors import plan_from_portal


class HomeView(TemplateView):
    """`/`: the day's overview: who is on call now and next, open incidents, the deliveries that need attention."""

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


class TokenExchangeView(ObtainAuthToken):
    """`POST /api/auth/token/`: a username and password for the user's API token, throttled per address."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    def get_serializer_context(self):
        # django-axes marks a locked-out sign-in on the request its middleware sees: Django's, not DRF's wrapper.
        return super().get_serializer_context() | {"request": self.request._request}


def signed_in_too_often_wrongly(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """What django-axes answers while a username is locked out from an address: 429, saying for how long."""
    minutes = math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    detail = (
        f"Too many failed sign-ins for this username from your address. Try again in {minutes} minutes, "
        "or ask a manager to reset your password."
    )
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": detail}, status=429)
    return render(request, "registration/locked_out.html", {"detail": detail, "minutes": minutes}, status=429)


def runbook_export(request):
    """`/runbooks/plan.md`: the portal's current plan in the plan's own Markdown, as a download."""
    text = plan_to_markdown(plan_from_portal(), default_schedule=DEFAULT_SCHEDULE)
    response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="maintenance-plan.md"'
    return response
