from dataclasses import dataclass
from datetime import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db.models import Prefetch, Q
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince, timeuntil
from django.views.generic import DetailView, FormView, ListView

from oncall.models import ChatMessage, Notification, TeamMember
from oncall.permissions import acting_member

from .choices import IncidentStatus
from .communications import communication_log
from .filtersets import IncidentPageFilterSet
from .forms import CommunicationForm, IncidentNoteForm, IncidentOpenForm, IncidentStepForm
from .models import Communication, Incident, IncidentNote
from .services import STEPS, incident_deadlines, incident_deadlines_for, incident_note_add, incident_open, incident_step

STEP_LABELS = {"acknowledge": "Acknowledge", "mitigate": "Mitigate", "resolve": "Resolve"}


@dataclass(frozen=True)
class Clock:
    """One SLA deadline and where it stands: running, overdue, met or missed."""

    due: datetime
    done_at: datetime | None
    now: datetime

    @property
    def state(self) -> str:
        if self.done_at is not None:
            return "met" if self.done_at <= self.due else "missed"
        return "running" if self.now < self.due else "overdue"

    @property
    def summary(self) -> str:
        state = self.state
        if state == "running":
            return f"{timeuntil(self.due, self.now)} left"
        if state == "overdue":
            return f"overdue by {timesince(self.due, self.now)}"
        if state == "met":
            return f"met with {timeuntil(self.due, self.done_at)} to spare"
        return f"missed by {timesince(self.due, self.done_at)}"

    @property
    def badge(self) -> str:
        return {"running": "warn", "overdue": "bad", "met": "good", "missed": "bad"}[self.state]


def step_allowed(incident: Incident, step: str) -> bool:
    """Whether the service's step table lets `step` follow the incident's current status."""
    _status, _time_field, _person_field, follows = STEPS[step]
    return incident.status in follows


# --- list and new --------------------------------------------------------------------------------


class IncidentListView(ListView):
    """`/incidents/`: unresolved first, filterable, 50 a page; open critical incidents show their acknowledgement
    clock. The pipeline is typed, not chosen from a menu of every pipeline."""

    template_name = "incidents/incident_list.html"
    context_object_name = "incidents"
    paginate_by = 50

    def get_queryset(self):
        self.filterset = IncidentPageFilterSet(
            self.request.GET or None,
            queryset=Incident.objects.select_related("pipeline", "assignee").open_first(),
        )
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(filterset=self.filterset, **kwargs)
        now = timezone.now()
        incidents = list(context["incidents"])
        # Only incidents nobody has acknowledged yet have a clock still worth watching here.
        deadlines = incident_deadlines_for(i for i in incidents if i.status == IncidentStatus.OPEN)
        rows = []
        for incident in incidents:
            due = deadlines[incident.pk].acknowledge if incident.pk in deadlines else None
            rows.append((incident, Clock(due, None, now) if due else None))
        context["rows"] = rows
        return context


class IncidentCreateView(FormView):
    """`/incidents/new/`: open an incident; the on-call member and the owners up and down the line are emailed."""

    template_name = "incidents/incident_form.html"
    form_class = IncidentOpenForm

    def get_initial(self) -> dict:
        # A runbook page links here with `?pipeline=<slug>`, so the form starts on that pipeline.
        return {"pipeline": self.request.GET.get("pipeline")}

    def form_valid(self, form):
        try:
            incident = incident_open(**form.cleaned_data, opened_by=acting_member(self.request.user))
        except ValidationError as error:
            form.add_service_errors(error)
            return self.form_invalid(form)
        assignee = incident.assignee.name if incident.assignee else "nobody (no shift covers that time)"
        messages.success(self.request, f"Incident #{incident.pk} opened and assigned to {assignee}.")
        return HttpResponseRedirect(incident.get_absolute_url())


# --- detail and its forms ------------------------------------------------------------------------


@dataclass(frozen=True)
class StepAction:
    step: str
    label: str
    form: IncidentStepForm
    url: str


class IncidentDetailView(DetailView):
    """`/incidents/<id>/`: deadlines, the step buttons, the timeline, notes and stakeholder messages."""

    template_name = "incidents/incident_detail.html"
    context_object_name = "incident"
    queryset = Incident.objects.select_related(
        "pipeline", "assignee", "opened_by", "acknowledged_by", "mitigated_by", "resolved_by"
    ).prefetch_related(
        Prefetch("notes", queryset=IncidentNote.objects.select_related("author")),
        Prefetch("communications", queryset=Communication.objects.select_related("sent_by")),
    )

    def get_context_data(self, bound_forms: dict[str, forms.Form] | None = None, **kwargs):
        """`bound_forms` holds a form that failed, by name, so it shows again with its input and errors."""
        incident = self.object
        bound = bound_forms or {}
        now = timezone.now()
        deadlines = incident_deadlines(incident)
        steps = [
            StepAction(
                step,
                label,
                bound.get(step) or IncidentStepForm(prefix=step),
                reverse(f"incidents:incident-{step}", kwargs={"pk": incident.pk}),
            )
            # A step that just failed stays visible even if someone else moved the incident on meanwhile.
            for step, label in STEP_LABELS.items()
            if step_allowed(incident, step) or step in bound
        ]
        about_it = Q(key__startswith=f"incident-{incident.pk}-")
        return super().get_context_data(
            signals=incident.signals.select_related("run"),
            emails=Notification.objects.filter(about_it).select_related("member").order_by("created_at", "pk"),
            chat_messages=ChatMessage.objects.filter(about_it).order_by("created_at", "pk"),
            acknowledge_clock=Clock(deadlines.acknowledge, incident.acknowledged_at, now)
            if deadlines.acknowledge
            else None,
            resolve_clock=Clock(deadlines.resolve, incident.fixed_at, now) if deadlines.resolve else None,
            steps=steps,
            note_form=bound.get("note") or IncidentNoteForm(prefix="note"),
            communication_form=bound.get("communication") or CommunicationForm(prefix="communication"),
            **kwargs,
        )


class IncidentActionView(IncidentDetailView):
    """A form of the detail page: one service call, then back to the page, or the page again with the errors."""

    http_method_names = ["post"]
    form_class: type[forms.Form]
    form_name = ""
    anchor = ""

    def perform(self, form: forms.Form, member: TeamMember) -> str:
        """Call the service; return the message shown after the redirect. Each action view defines it."""
        raise ImproperlyConfigured(f"{type(self).__name__} must define perform().")

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        form = self.form_class(request.POST, prefix=self.form_name)
        member = acting_member(request.user)
        if form.is_valid() and member is None:
            form.add_error(None, "Only team members can change incidents; this account is not on the team.")
        elif form.is_valid():
            try:
                done = self.perform(form, member)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, done)
                return HttpResponseRedirect(f"{self.object.get_absolute_url()}#{self.anchor}")
        return self.render_to_response(self.get_context_data(object=self.object, bound_forms={self.form_name: form}))


class IncidentStepView(IncidentActionView):
    """POST `/incidents/<id>/<step>/`: acknowledge, mitigate or resolve, now or at an earlier time."""

    form_class = IncidentStepForm
    step = ""
    anchor = "status"

    @property
    def form_name(self) -> str:
        return self.step

    def perform(self, form: IncidentStepForm, member: TeamMember) -> str:
        incident = incident_step(
            incident_id=self.object.pk,
            step=self.step,
            member=member,
            at=form.cleaned_data["when"],
            note=form.cleaned_data["note"],
        )
        return f"Incident #{incident.pk}: {incident.get_status_display().lower()}."


class IncidentNoteView(IncidentActionView):
    """POST `/incidents/<id>/notes/`: add a line to the timeline."""

    form_class = IncidentNoteForm
    form_name = "note"
    anchor = "timeline"

    def perform(self, form: IncidentNoteForm, member: TeamMember) -> str:
        incident_note_add(incident=self.object, author=member, text=form.cleaned_data["text"])
        return "Note added to the timeline."


class CommunicationCreateView(IncidentActionView):
    """POST `/incidents/<id>/communications/`: record a message sent to stakeholders."""

    form_class = CommunicationForm
    form_name = "communication"
    anchor = "communications"

    def perform(self, form: CommunicationForm, member: TeamMember) -> str:
        communication_log(pipeline=self.object.pipeline, incident=self.object, sent_by=member, **form.cleaned_data)
        return f"Message to {form.cleaned_data['audience']} recorded."
