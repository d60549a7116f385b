"""`/incidents/ack/<token>/`: the one-click acknowledge link of a page, usable without signing in.

A GET only shows the incident and a confirm button (mail scanners follow links); the POST acknowledges.
The token in the URL is the credential, so no answer is cached (as for the calendar feeds).
"""

from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

from .automatic import AcknowledgeLinkError, acknowledge_link_read, incident_acknowledge_by_link
from .exceptions import IncidentStepError
from .services import STEPS

TEMPLATE = "incidents/acknowledge_link.html"
ACKNOWLEDGEABLE = STEPS["acknowledge"][3]


@method_decorator([login_not_required, never_cache], name="dispatch")
class AcknowledgeLinkView(View):
    def get(self, request, token: str):
        context, status = link_state(token)
        # Seeing an incident someone already handled is no error; only confirming it conflicts.
        return render(request, TEMPLATE, context, status=200 if status == 409 else status)

    def post(self, request, token: str):
        context, status = link_state(token)
        if status != 200:
            return render(request, TEMPLATE, context, status=status)
        try:
            incident = incident_acknowledge_by_link(token=token)
        except AcknowledgeLinkError as error:
            # Another request used the link or acknowledged the incident since `link_state` read it.
            status = 409 if isinstance(error.__cause__, IncidentStepError) else 410
            return render(request, TEMPLATE, context | {"problem": str(error)}, status=status)
        return render(request, TEMPLATE, {"incident": incident, "member": incident.acknowledged_by, "done": True})


def link_state(token: str) -> tuple[dict, int]:
    """The page's context for a link, and its status before anything changes.

    404 for a link that never named anything (tampered, or its incident or person gone), as the calendar
    feeds answer an unknown token; 410 for one that worked once (expired, used); 409 when the incident was
    acknowledged or resolved meanwhile; else 200 with the confirm button.
    """
    try:
        incident, member, used = acknowledge_link_read(token)
    except AcknowledgeLinkError as error:
        expired = isinstance(error.__cause__, signing.SignatureExpired)
        return {"problem": str(error)}, 410 if expired else 404
    context = {"incident": incident, "member": member}
    if used:
        return context | {"problem": "This link was used already."}, 410
    if incident.status not in ACKNOWLEDGEABLE:
        return context | {"problem": f"The incident is already {incident.get_status_display().lower()}."}, 409
    return context, 200
