"""`/incidents/ack/<token>/`: the one-click acknowledge link of a page, usable without signing in.

A GET only shows the incident and a confirm button (mail scanners follow links); the POST acknowledges.
"""

from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View

from .automatic import AcknowledgeLinkError, acknowledge_link_read, incident_acknowledge_by_link

TEMPLATE = "incidents/acknowledge_link.html"


@method_decorator(login_not_required, name="dispatch")
class AcknowledgeLinkView(View):
    def get(self, request, token: str):
        try:
            incident, member, used = acknowledge_link_read(token)
        except AcknowledgeLinkError as error:
            return render(request, TEMPLATE, {"problem": str(error)}, status=410)
        problem = "This link was used already." if used else ""
        return render(request, TEMPLATE, {"incident": incident, "member": member, "problem": problem})

    def post(self, request, token: str):
        try:
            incident = incident_acknowledge_by_link(token=token)
        except AcknowledgeLinkError as error:
            return render(request, TEMPLATE, {"problem": str(error)}, status=410)
        return render(request, TEMPLATE, {"incident": incident, "member": incident.acknowledged_by, "done": True})
