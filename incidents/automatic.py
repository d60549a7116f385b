"""Signals to incidents: failed and overdue runs, missed deliveries and monitoring alerts open (or join)
one automatic incident per pipeline, and the pipeline's recovery resolves it.

`watch` is the every-minute job: everything here that depends only on the clock.
"""

import hashlib
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from django.core import signing
from django.db import connection, transaction
from django.db.models import DateTimeField, ExpressionWrapper, F, Q
from django.utils import timezone
from django.utils.text import Truncator

from oncall.bulk import bulk_insert
from oncall.calendar import team_closed_days
from oncall.models import TeamMember
from pipelines import deliveries
from pipelines.choices import RunStatus
from pipelines.models import Pipeline, Run, SlaPolicy
from pipelines.services import owners_of

from . import paging
from .choices import IncidentStatus, Severity, SignalKind
from .communications import delay_notices_send
from .exceptions import IncidentStepError
from .models import AcknowledgeLinkUse, Incident, IncidentNote, IncidentSignal
from .services import NewIncident, incident_step, incidents_escalate_silence, incidents_open

# --- the rules, over plain values -----------------------------------------------------------------


def pipeline_severity(*, has_critical_team: bool) -> str:
    """A pipeline feeding a critical downstream team pages as critical; any other as major."""
    return Severity.CRITICAL if has_critical_team else Severity.MAJOR


def alert_severity(label: str | None) -> str:
    """Alertmanager's `severity` label: critical → critical, warning → major, anything else → minor."""
    return {"critical": Severity.CRITICAL, "warning": Severity.MAJOR}.get((label or "").lower(), Severity.MINOR)


def recovers(success_scheduled_for: datetime, failed_scheduled_fors: Collection[datetime]) -> bool:
    """A successful run recovers the pipeline unless it serves an occurrence older than one that failed."""
    return not failed_scheduled_fors or success_scheduled_for >= max(failed_scheduled_fors)


# --- opening, joining, resolving ------------------------------------------------------------------


@dataclass(frozen=True)
class Signal:
    """A failed or overdue run, a missed delivery or an alert, about a pipeline (None: about the team).

    `key` names it, so a signal delivered twice counts once; `severity` None is the pipeline's own.
    """

    pipeline: Pipeline | None
    kind: str
    key: str
    summary: str
    at: datetime
    run: Run | None = None
    severity: str | None = None


def incident_signal_record(
    *,
    pipeline: Pipeline | None,
    kind: str,
    key: str,
    summary: str,
    at: datetime,
    now: datetime,
    run: Run | None = None,
    severity: str | None = None,
) -> tuple[Incident | None, bool]:
    """Open the pipeline's automatic incident for a signal, or join the one that is open.

    Returns (incident, opened); (None, False) for a signal already recorded (same `key`), so a re-sent
    run or a second watch changes nothing. Without a pipeline, the signal opens or joins the open
    team-level incident.
    """
    return incident_signals_record([Signal(pipeline, kind, key, summary, at, run, severity)], now=now)[0]


SUMMARY_LENGTH = IncidentSignal._meta.get_field("summary").max_length
TITLE_LENGTH = Incident._meta.get_field("title").max_length


# No savepoint of its own: every caller (a run delivery, the watch, an alert) lets a failure here end its
# whole transaction, so the savepoint would only cost two queries per call.
@transaction.atomic(savepoint=False)
def incident_signals_record(signals: Sequence[Signal], *, now: datetime) -> list[tuple[Incident | None, bool]]:
    """`incident_signal_record` for many signals at once (the watch on a morning when every delivery is
    missing): in a fixed number of queries whatever their number, but one more per severity raised.

    Returns (incident, opened) for each signal, in order. Of several signals for one pipeline, the first
    opens its incident (if none is open) and the others join it.
    """
    signals = [replace(each, summary=Truncator(each.summary).chars(SUMMARY_LENGTH)) for each in signals]
    _signals_lock([each.pipeline for each in signals])
    seen = set(IncidentSignal.objects.filter(key__in={each.key for each in signals}).values_list("key", flat=True))
    fresh = []  # the places of the signals to record
    for index, each in enumerate(signals):
        if each.key not in seen:
            seen.add(each.key)
            fresh.append(index)
    about = [each.pipeline.pk if each.pipeline else None for each in signals]  # a pipeline's id, or None: the team
    incident_of = _open_automatic_incidents({about[index] for index in fresh})
    openers = {}  # by pipeline id (or None), the place of the signal that opens its incident
    for index in fresh:
        if about[index] not in incident_of:
            openers.setdefault(about[index], index)
    opened = incidents_open(
        [
            NewIncident(
                pipeline=signals[index].pipeline,
                title=Truncator(signals[index].summary).chars(TITLE_LENGTH),
                severity=_severity_of(signals[index]),
                detected_at=min(signals[index].at, now),
                description=f"Opened by the portal: {signals[index].summary}",
                automatic=True,
            )
            for index in openers.values()
        ],
        now=now,
    )
    incident_of |= dict(zip(openers, opened, strict=True))
    results: list[tuple[Incident | None, bool]] = [(None, False)] * len(signals)
    notes = []
    for index in fresh:
        each, incident = signals[index], incident_of[about[index]]
        results[index] = (incident, openers.get(about[index]) == index)
        if not results[index][1]:
            notes.append(IncidentNote(incident=incident, at=now, text=f"Joined: {each.summary}"))
            if SEVERITY_RANK[_severity_of(each)] < SEVERITY_RANK[incident.severity]:
                notes.append(_severity_raise(incident, _severity_of(each), now=now))
    bulk_insert(IncidentNote, notes)
    bulk_insert(
        IncidentSignal,
        [
            IncidentSignal(
                incident=incident_of[about[index]],
                kind=signals[index].kind,
                key=signals[index].key,
                at=now,
                summary=signals[index].summary,
                run=signals[index].run,
            )
            for index in fresh
        ],
    )
    # The rows are locked (or new), so the counts read with them were current.
    added = Counter(incident_of[about[index]].pk for index in fresh)
    for count in set(added.values()):
        Incident.objects.filter(pk__in=[pk for pk, n in added.items() if n == count]).update(
            signal_count=F("signal_count") + count
        )
    for incident in {incident.pk: incident for incident in incident_of.values()}.values():
        incident.signal_count += added[incident.pk]
    return results


def _severity_of(signal: Signal) -> str:
    if signal.severity is not None:
        return signal.severity
    return pipeline_severity(has_critical_team=bool(signal.pipeline and signal.pipeline.critical_downstream_team_id))


def _open_automatic_incidents(about: set[int | None]) -> dict[int | None, Incident]:
    """The open automatic incident of each pipeline id (None: the team's), locked, where there is one."""
    if not about:
        return {}
    wanted = Q(pipeline_id__in=about - {None})
    if None in about:
        wanted |= Q(pipeline__isnull=True)
    incidents = Incident.objects.select_for_update().unresolved().filter(wanted, automatic=True)
    return {incident.pipeline_id: incident for incident in incidents}


SEVERITY_RANK = {severity: rank for rank, severity in enumerate(Severity.values)}  # 0 is the most severe


def _severity_raise(incident: Incident, severity: str, *, now: datetime) -> IncidentNote:
    """A more severe signal joined: the incident takes its severity (and, if critical, its deadlines);
    the note that says so, to record."""
    before = incident.get_severity_display()
    incident.severity = severity
    Incident.objects.filter(pk=incident.pk).update(severity=severity)
    return IncidentNote(
        incident=incident, at=now, text=f"Severity raised from {before} to {incident.get_severity_display()}."
    )


def _signals_lock(pipelines: Iterable[Pipeline | None]) -> None:
    """Take turns with other signals for the same incidents until this transaction ends.

    Signals arriving together for one pipeline, or for none, then make one incident, the later joining
    the first, and a signal delivered twice at once is recorded once. A pipeline's signals lock its row
    (many rows in the order of their ids, so two callers never wait on each other); team-level ones have
    no row to lock, so they share an advisory lock on PostgreSQL. (SQLite, the embedded default, lets one
    transaction write at a time.)
    """
    pipelines = list(pipelines)
    ids = sorted({pipeline.pk for pipeline in pipelines if pipeline is not None})
    if ids:
        list(Pipeline.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
    if None in pipelines and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('incidents: team-level signals'))")


@transaction.atomic
def incident_recover(
    *, pipeline: Pipeline, reason: str, at: datetime, now: datetime, newer_than: datetime | None = None
):
    """Resolve the pipeline's open automatic incident: the pipeline recovered at `at`.

    With `newer_than` (a successful run's occurrence), an incident opened by a failure of a later
    occurrence stays open: an old run succeeding late does not mean today's failure is fixed.
    The resolution time is when the data came back, which the SLA counts; an incident nobody
    acknowledged is acknowledged at that moment too, as the database requires of a resolved one.
    """
    incident = Incident.objects.select_for_update().unresolved().filter(pipeline=pipeline, automatic=True).first()
    if incident is None:
        return None
    if newer_than is not None and not recovers(newer_than, _failed_occurrences(incident)):
        return None
    return _resolve_automatically(incident, reason=reason, at=at, now=now)


def _failed_occurrences(incident: Incident) -> list[datetime]:
    """What a success must be at least as recent as to recover the incident: each failed or overdue run's
    occurrence, and the start of each day whose delivery was missed."""
    occurrences = []
    for kind, at, scheduled_for in incident.signals.values_list("kind", "at", "run__scheduled_for"):
        if scheduled_for is not None:
            occurrences.append(scheduled_for)
        elif kind == SignalKind.MISSED_DELIVERY:  # recorded on the day it was missed (the UTC date)
            occurrences.append(datetime.combine(at.astimezone(UTC).date(), time.min, tzinfo=UTC))
    return occurrences


def _resolve_automatically(incident: Incident, *, reason: str, at: datetime, now: datetime) -> Incident:
    """Resolve a locked incident as the portal, at `at` (kept between the previous step and now)."""
    previous = max(t for t in (incident.detected_at, incident.acknowledged_at, incident.mitigated_at) if t)
    at = min(max(at, previous), now)
    if incident.acknowledged_at is None:
        incident.acknowledged_at = at
    incident.resolved_at = at
    incident.status = IncidentStatus.RESOLVED
    incident.full_clean()
    incident.save()
    IncidentNote.objects.create(incident=incident, at=at, text=f"recovered: {reason}", status_change=incident.status)
    people = [incident.assignee] if incident.assignee else []
    if incident.pipeline_id:
        people += owners_of([Pipeline.objects.with_runbook_relations().get(pk=incident.pipeline_id)])
    paging.page(
        incident=incident,
        event=f"incident-{incident.pk}-resolved",
        kind="incidents.resolved",
        people=people,
        subject=f"[Resolved] {incident.title}",
        body=f"Recovered at {at:%Y-%m-%d %H:%M %Z}: {reason}.",
        acknowledgeable=False,
    )
    return incident


def run_signal_record(*, run: Run, now: datetime | None = None) -> Incident | None:
    """A run as recorded: a failure opens or joins the pipeline's incident, a success resolves it."""
    now = now or timezone.now()
    if run.status == RunStatus.FAILED:
        if Run.objects.filter(
            pipeline_id=run.pipeline_id, status=RunStatus.SUCCESS, scheduled_for__gt=run.scheduled_for
        ).exists():
            return None  # an old occurrence (a backfill, a late report): the pipeline has recovered since
        summary = f"run {run.external_id} failed (scheduled {run.scheduled_for:%Y-%m-%d %H:%M} UTC)"
        at = run.finished_at or now
        # Each attempt of the run fails on its own (an orchestrator re-runs a run under the same id);
        # the same attempt re-sent counts once.
        attempt = run.finished_at or run.started_at or run.scheduled_for
        return incident_signal_record(
            pipeline=run.pipeline, kind=SignalKind.FAILED_RUN, key=f"run-failed-{run.pk}-{attempt:%Y%m%dT%H%M%S.%f}",
            summary=summary, at=at, now=now, run=run,
        )[0]  # fmt: skip
    if run.status == RunStatus.SUCCESS:
        delivered = deliveries.delivery_time(run.data_available_at, run.finished_at) or now
        return incident_recover(
            pipeline=run.pipeline, reason=f"run {run.external_id} succeeded", at=delivered, now=now,
            newer_than=run.scheduled_for,
        )  # fmt: skip
    return None


# --- the every-minute watch -----------------------------------------------------------------------


def overdue_runs_open(*, now: datetime) -> int:
    """Runs still running past their pipeline's expected duration, each reported once."""
    due = ExpressionWrapper(F("started_at") + F("pipeline__expected_duration"), output_field=DateTimeField())
    runs = (
        Run.objects.filter(
            status=RunStatus.RUNNING, started_at__isnull=False, pipeline__expected_duration__isnull=False
        )
        .annotate(due=due)
        .filter(due__lt=now)
        .exclude(pk__in=IncidentSignal.objects.filter(kind=SignalKind.OVERDUE_RUN).values("run_id"))
        .select_related("pipeline")
    )
    signals = [
        Signal(
            pipeline=run.pipeline,
            kind=SignalKind.OVERDUE_RUN,
            key=f"run-overdue-{run.pk}",
            summary=(
                f"run {run.external_id} still running after {run.pipeline.expected_duration} "
                f"(started {run.started_at:%H:%M} UTC)"
            ),
            at=run.due,
            run=run,
        )
        for run in runs
    ]
    return sum(incident is not None for incident, _ in incident_signals_record(signals, now=now))


def missed_delivery_key(pipeline_id: int, day) -> str:
    return f"missed-delivery-{day:%Y-%m-%d}-{pipeline_id}"


def missed_deliveries_open(*, now: datetime) -> int:
    """At a business day's deadline, one incident signal per pipeline whose data has not arrived.

    Pipelines that never posted a run are left to the board ("no runs received"), not paged daily.
    """
    policy = SlaPolicy.current()
    today = now.astimezone(UTC).date()
    closed = team_closed_days(now)
    zone = policy.deadline_timezone
    due = deliveries.business_deadline(today, deadline=policy.deadline, closed_days=closed, zone=zone)
    if due is None or now <= due:
        return 0
    reported = {
        key.rsplit("-", 1)[1]
        for key in IncidentSignal.objects.filter(key__startswith=missed_delivery_key(0, today)[:-1]).values_list(
            "key", flat=True
        )
    }
    candidates = [pk for pk in deliveries.pipelines_with_runs() if str(pk) not in reported]
    missing = deliveries.undelivered_on(
        today, now=now, deadline=policy.deadline, closed_days=closed, pipeline_ids=candidates, zone=zone
    )
    summary = f"no data delivered by the {due.astimezone(ZoneInfo(zone)):%H:%M %Z} deadline on {today:%a %d %b %Y}"
    signals = [
        Signal(pipeline, SignalKind.MISSED_DELIVERY, missed_delivery_key(pipeline.pk, today), summary, at=due)
        for pipeline in Pipeline.objects.filter(pk__in=missing).without_runbook_text().order_by("pk")
    ]
    return sum(incident is not None for incident, _ in incident_signals_record(signals, now=now))


def watch(*, now: datetime | None = None) -> dict[str, int]:
    """What the every-minute beat job does at `now`; running it twice changes nothing the second time."""
    now = now or timezone.now()
    return {
        "missed deliveries": missed_deliveries_open(now=now),
        "overdue runs": overdue_runs_open(now=now),
        "escalations": incidents_escalate_silence(now=now),
        "delay notices": delay_notices_send(now=now),
    }


# --- one-click acknowledgement --------------------------------------------------------------------


class AcknowledgeLinkError(Exception):
    """A link that cannot acknowledge: tampered, expired or used."""


def acknowledge_link_read(token: str) -> tuple[Incident, TeamMember, bool]:
    """The incident and person a link names, and whether it was used already; nothing changes."""
    try:
        incident_id, member_id = paging.acknowledge_token_read(token)
    except signing.SignatureExpired as error:
        raise AcknowledgeLinkError("This link has expired: links work for 24 hours.") from error
    except signing.BadSignature as error:
        raise AcknowledgeLinkError("This link is not valid.") from error
    incident = Incident.objects.select_related("pipeline", "assignee").filter(pk=incident_id).first()
    member = TeamMember.objects.filter(pk=member_id, active=True).first()
    if incident is None or member is None:
        raise AcknowledgeLinkError("This link is not valid any more.")
    return incident, member, AcknowledgeLinkUse.objects.filter(digest=_digest(token)).exists()


@transaction.atomic
def incident_acknowledge_by_link(*, token: str, now: datetime | None = None) -> Incident:
    """Acknowledge as the link's person, once; a used, expired or tampered link raises AcknowledgeLinkError."""
    now = now or timezone.now()
    incident, member, used = acknowledge_link_read(token)
    if used:
        raise AcknowledgeLinkError("This link was used already.")
    _, created = AcknowledgeLinkUse.objects.get_or_create(
        digest=_digest(token), defaults={"incident": incident, "member": member, "used_at": now}
    )
    if not created:
        raise AcknowledgeLinkError("This link was used already.")
    try:
        return incident_step(incident_id=incident.pk, step="acknowledge", member=member, note="(by link)", now=now)
    except IncidentStepError as error:
        raise AcknowledgeLinkError(" ".join(error.messages)) from error


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- monitoring alerts ----------------------------------------------------------------------------


def alert_key(alert: dict) -> str:
    """One firing of one alert: Alertmanager's fingerprint (else its labels) and when it started."""
    identity = alert.get("fingerprint") or "|".join(f"{k}={v}" for k, v in sorted(alert["labels"].items()))
    if not identity.isalnum() or len(identity) > 32:  # Alertmanager's are 16 hex digits; the key must stay short
        identity = hashlib.sha256(identity.encode()).hexdigest()[:32]
    return f"alert-{identity}-{alert['startsAt']:%Y%m%dT%H%M%S.%f}"


def alerts_record(*, alerts: list[dict], now: datetime | None = None) -> dict[str, int]:
    """Alertmanager's alerts (webhook version 4, parsed): each firing one opens or joins its pipeline's
    incident (its `pipeline` label, a slug; unknown or none: the team-level incident); a resolved one
    resolves an incident it opened.
    """
    now = now or timezone.now()
    slugs = {alert["labels"].get("pipeline") for alert in alerts} - {None}
    pipelines = {p.slug: p for p in Pipeline.objects.filter(slug__in=slugs)}
    counts = {"opened": 0, "joined": 0, "resolved": 0, "unchanged": 0}
    for alert in alerts:
        labels, annotations = alert["labels"], alert.get("annotations") or {}
        pipeline = pipelines.get(labels.get("pipeline"))
        name = labels.get("alertname", "alert")
        text = annotations.get("summary") or annotations.get("description") or ""
        summary = f"alert {name} firing" + (f": {text}" if text else "")
        if pipeline is None and labels.get("pipeline"):
            summary += f" (unknown pipeline “{labels['pipeline']}”)"
        key = alert_key(alert)
        if alert["status"] == "resolved":
            counts[
                "resolved"
                if _alert_resolve(key=key, name=name, at=alert.get("endsAt") or now, now=now)
                else "unchanged"
            ] += 1
            continue
        incident, opened = incident_signal_record(
            pipeline=pipeline, kind=SignalKind.ALERT, key=key, summary=summary,
            at=alert["startsAt"], now=now, severity=alert_severity(labels.get("severity")),
        )  # fmt: skip
        counts["unchanged" if incident is None else "opened" if opened else "joined"] += 1
    return counts


# What an incident an alert opened still waits for, by the kind of signal that joined it.
WAITING_FOR = {
    SignalKind.FAILED_RUN: "the failed run",
    SignalKind.OVERDUE_RUN: "the overdue run",
    SignalKind.MISSED_DELIVERY: "the missed delivery",
    SignalKind.ALERT: "the other alerts firing",
}


@transaction.atomic
def _alert_resolve(*, key: str, name: str, at: datetime, now: datetime) -> Incident | None:
    """Mark this alert resolved; its open incident resolves when it holds nothing else still wrong.

    An incident a failed run, an overdue run or a missed delivery joined waits for the pipeline's
    recovery; one several alerts opened and joined waits for the last of them.
    """
    signal = IncidentSignal.objects.filter(key=key, resolved_at__isnull=True).first()
    if signal is None:
        return None
    incident = Incident.objects.select_for_update().unresolved().filter(pk=signal.incident_id).first()
    if incident is None:
        return None
    IncidentSignal.objects.filter(pk=signal.pk).update(resolved_at=now)
    waiting = incident.signals.exclude(pk=signal.pk).exclude(kind=SignalKind.ALERT, resolved_at__isnull=False)
    if kinds := set(waiting.values_list("kind", flat=True)):
        still = " and ".join(WAITING_FOR[kind] for kind in SignalKind.values if kind in kinds)
        IncidentNote.objects.create(incident=incident, at=now, text=f"alert {name} resolved; still open for {still}")
        return None
    return _resolve_automatically(incident, reason=f"alert {name} resolved", at=at, now=now)
