"""Writes about pipelines: storing the runbook part of a maintenance plan."""

from collections.abc import Collection
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from oncall import notifications
from oncall.models import TeamMember
from oncall.services import ImportSummary, assign_changed_fields

from .choices import OwnerRole
from .deliveries import first_missed_deadline, last_deliveries
from .models import Contact, DelayRule, DownstreamTeam, Ownership, Pipeline, Run
from .permissions import can_edit_ownership, can_edit_runbook
from .plan import PipelineSpec
from .signals import run_recorded


@transaction.atomic
def runbook_import(*, pipelines: tuple[PipelineSpec, ...], members: dict[str, TeamMember], summary: ImportSummary):
    """Create or update each pipeline (matched by slug) with its owners, team, dependencies and delay rules.

    Pipelines that are no longer in the plan are left as they are: their runs and incidents matter more
    than the plan's tidiness, and a manager can delete them in the admin.
    """
    stored = {pipeline.slug: pipeline for pipeline in Pipeline.objects.with_runbook_relations()}
    for spec in pipelines:
        pipeline = stored.get(spec.slug)
        created = pipeline is None
        if created:
            pipeline = Pipeline(slug=spec.slug)
        changed = assign_changed_fields(
            pipeline,
            {
                "name": spec.name,
                "description": spec.description,
                "common_issues": [{"text": i.text, "known_issue": i.known_issue} for i in spec.common_issues],
                "standard_procedures": spec.standard_procedures,
                "column_aliases": list(spec.column_aliases),
                "critical_downstream_team": _downstream_team(spec.downstream_team, summary),
                # A plan that states no schedule or critical fields leaves the portal's own.
                **({"schedule": spec.schedule} if spec.schedule is not None else {}),
                **({"critical_fields": list(spec.critical_fields)} if spec.critical_fields is not None else {}),
            },
        )
        if created or changed:
            pipeline.full_clean()
            pipeline.save()
        stored[spec.slug] = pipeline
        changed |= _sync_owners(pipeline, spec, members)
        changed |= _sync_delay_rules(pipeline, spec, summary)
        summary.record("pipeline", spec.name, created=created, changed=changed)
    for spec in pipelines:
        pipeline = stored[spec.slug]
        wanted = {stored[slug].pk for slug in spec.depends_on}
        if {p.pk for p in pipeline.depends_on.all()} != wanted:
            pipeline.depends_on.set(wanted)
            if spec.name not in summary.created.get("pipeline", []):
                summary.record("dependency list", spec.name, created=False, changed=True)
    return stored


def _downstream_team(name: str | None, summary: ImportSummary) -> DownstreamTeam | None:
    if not name:
        return None
    team, created = DownstreamTeam.objects.get_or_create(name=name)
    if created:
        summary.record("downstream team", name, created=True, changed=True)
    return team


def _sync_owners(pipeline: Pipeline, spec: PipelineSpec, members: dict[str, TeamMember]) -> bool:
    wanted = {OwnerRole.PRIMARY: members[spec.primary_owner]}
    if spec.secondary_owner:
        wanted[OwnerRole.SECONDARY] = members[spec.secondary_owner]
    current = {o.role: o.member_id for o in pipeline.ownerships.all()}
    if current == {role: member.pk for role, member in wanted.items()}:
        return False
    ownerships_replace(pipeline=pipeline, wanted=wanted)
    return True


def ownerships_replace(*, pipeline: Pipeline, wanted: dict[str, TeamMember], actor=None) -> None:
    """Give `pipeline` exactly the owners in `wanted` (role → member), one row at a time so the change log
    sees each; an owner who keeps their role keeps their row."""
    current = {ownership.role: ownership for ownership in pipeline.ownerships.all()}
    stale = [o for role, o in current.items() if role not in wanted or wanted[role].pk != o.member_id]
    # Delete first: swapping primary and secondary would otherwise trip the one-per-role constraint midway.
    for ownership in stale:
        ownership._history_user = actor
        ownership.delete()
    for role, member in wanted.items():
        if role in current and current[role] not in stale:
            continue
        ownership = Ownership(pipeline=pipeline, member=member, role=role)
        ownership._history_user = actor
        ownership.full_clean()
        ownership.save()
    getattr(pipeline, "_prefetched_objects_cache", {}).pop("ownerships", None)


RUNBOOK_FIELDS = (
    "description",
    "common_issues",
    "standard_procedures",
    "critical_fields",
    "column_aliases",
    "schedule",
)
MANAGER_FIELDS = ("critical_downstream_team", "primary_owner", "secondary_owner")


@transaction.atomic
def pipeline_runbook_update(*, pipeline: Pipeline, actor, **fields) -> Pipeline:
    """Edit a runbook from the portal: its owners and the managers change the runbook fields
    (`RUNBOOK_FIELDS`); only managers change the owners and the critical downstream team.

    `actor` is the signed-in user; PermissionDenied when they may not make this change. Fields
    left out stay as they are; `secondary_owner=None` removes the secondary owner.
    """
    unknown = set(fields) - set(RUNBOOK_FIELDS) - set(MANAGER_FIELDS)
    if unknown:
        raise TypeError(f"Not a runbook field: {', '.join(sorted(unknown))}")
    pipeline = Pipeline.objects.select_for_update().prefetch_related("ownerships__member").get(pk=pipeline.pk)
    if not can_edit_runbook(actor, pipeline):
        raise PermissionDenied("Only the pipeline's owners and the managers edit its runbook.")
    current = {
        "critical_downstream_team": pipeline.critical_downstream_team,
        "primary_owner": pipeline.primary_owner,
        "secondary_owner": pipeline.secondary_owner,
    }
    # A field sent back unchanged (a form or a PUT carries them all) is no ownership change.
    manager_changes = {name for name in MANAGER_FIELDS if name in fields and fields[name] != current[name]}
    if manager_changes and not can_edit_ownership(actor):
        raise PermissionDenied("Only managers change a pipeline's owners and downstream team.")

    primary = fields.pop("primary_owner", current["primary_owner"])
    secondary = fields.pop("secondary_owner", current["secondary_owner"])
    if assign_changed_fields(pipeline, fields):
        pipeline.full_clean()
        pipeline._history_user = actor
        pipeline.save()
    if manager_changes & {"primary_owner", "secondary_owner"}:
        ownerships_replace(pipeline=pipeline, wanted=_owners_checked(primary, secondary), actor=actor)
    return pipeline


def _owners_checked(primary: TeamMember | None, secondary: TeamMember | None) -> dict[str, TeamMember]:
    errors = {}
    if primary is None:
        errors["primary_owner"] = "A pipeline needs a primary owner."
    elif not primary.active:
        errors["primary_owner"] = f"{primary} has left the team."
    if secondary is not None and not secondary.active:
        errors["secondary_owner"] = f"{secondary} has left the team."
    elif secondary is not None and primary is not None and secondary.pk == primary.pk:
        errors["secondary_owner"] = "The secondary owner must be someone other than the primary owner."
    if errors:
        raise ValidationError(errors)
    wanted = {OwnerRole.PRIMARY: primary}
    if secondary is not None:
        wanted[OwnerRole.SECONDARY] = secondary
    return wanted


def _sync_delay_rules(pipeline: Pipeline, spec: PipelineSpec, summary: ImportSummary) -> bool:
    changed = False
    kept = []
    for rule_spec in spec.delay_rules:
        contact, created = Contact.objects.get_or_create(
            name=rule_spec.contact_name, defaults={"organisation": rule_spec.organisation}
        )
        if created:
            summary.record("contact", str(contact), created=True, changed=True)
        values = {"days_after_deadline": rule_spec.days_after_deadline, "data_description": rule_spec.data_description}
        rule = DelayRule.objects.filter(pipeline=pipeline, contact=contact).first()
        if rule is None:
            rule = DelayRule(pipeline=pipeline, contact=contact, **values)
            rule.full_clean()
            rule.save()
            changed = True
        elif assign_changed_fields(rule, values):
            rule.full_clean()
            rule.save()
            changed = True
        kept.append(rule.pk)
    stale = pipeline.delay_rules.exclude(pk__in=kept)
    if stale.exists():
        stale.delete()
        changed = True
    return changed


def downstream_pipelines(pipeline: Pipeline) -> list[Pipeline]:
    """Every pipeline that depends on `pipeline`, directly or through others (breadth first)."""
    edges: dict[int, list[int]] = {}
    for upstream_id, downstream_id in Pipeline.depends_on.through.objects.values_list(
        "to_pipeline_id", "from_pipeline_id"
    ):
        edges.setdefault(upstream_id, []).append(downstream_id)
    seen, queue = {pipeline.pk}, [pipeline.pk]
    order = []
    while queue:
        for downstream_id in edges.get(queue.pop(0), []):
            if downstream_id not in seen:
                seen.add(downstream_id)
                order.append(downstream_id)
                queue.append(downstream_id)
    by_id = Pipeline.objects.with_owners().in_bulk(order)
    return [by_id[pk] for pk in order]


def owners_of(pipelines: list[Pipeline]) -> list[TeamMember]:
    """Primary then secondary owners of each pipeline, each person once."""
    members: dict[int, TeamMember] = {}
    for pipeline in pipelines:
        for member in (pipeline.primary_owner, pipeline.secondary_owner):
            if member is not None:
                members.setdefault(member.pk, member)
    return list(members.values())


RUN_FIELDS = (
    "scheduled_for",
    "started_at",
    "finished_at",
    "status",
    "data_available_at",
    "records_total",
    "records_dropped",
    "records_invalid",
    "critical_nulls",
)


@transaction.atomic
def run_upsert(*, pipeline: Pipeline, external_id: str, values: dict) -> tuple[Run, bool]:
    """Record a run as the pipeline reported it; a re-sent run (same pipeline and external id) updates it.

    Returns (run, created). The row is locked while it changes, so two deliveries of one run apply
    one after the other, and an invalid run writes nothing. Deliveries of a new run racing each other
    all succeed: the loser of the insert updates the winner's row.
    """
    while True:
        run = Run.objects.select_for_update().filter(pipeline=pipeline, external_id=external_id).first()
        created = run is None
        if created:
            run = Run(pipeline=pipeline, external_id=external_id)
        for field in RUN_FIELDS:
            if field in values:
                setattr(run, field, values[field])
        # The (pipeline, external_id) uniqueness is the upsert's own business: checked here, a racing
        # delivery that committed first would turn this one into a 400 instead of an update.
        # `clean()` states each CHECK constraint in Python and the database enforces them; checking them
        # again through `validate_constraints` would cost a query each on every delivery.
        run.full_clean(exclude=["pipeline"], validate_unique=False, validate_constraints=False)
        if not created:
            run.save()
            break
        try:
            with transaction.atomic():
                run.save()
        except IntegrityError:
            if not Run.objects.filter(pipeline=pipeline, external_id=external_id).exists():
                raise  # not the race: a constraint the model's checks missed
            continue  # another delivery created it in between: lock and update that row
        break
    run_recorded.send(sender=Run, run=run, created=created)
    return run, created


DELAY_CONTACT_KIND = "pipelines.delay-contact"


def delay_contact_events_of(pipeline_id: int) -> str:
    """How every delay-contact event about a pipeline begins: by its id, so a rename keeps its history."""
    return f"delay-contact-pipeline-{pipeline_id}-rule-"


def delay_contact_event(rule: DelayRule, day: date) -> str:
    """The event of telling `rule`'s contact that `day`'s deadline was missed."""
    return f"{delay_contact_events_of(rule.pipeline_id)}{rule.pk}-{day:%Y-%m-%d}"


def delay_contacts_notify(*, now: datetime, deadline: time, closed_days: Collection[date], zone: str = "UTC") -> int:
    """Email a delay rule's contact once when a pipeline has had no successful delivery for the rule's
    number of days after a missed deadline ("contact Ray Charley if sales data isn't received by 2 days
    after the expected deadline").

    The missed deadline is the first business-day deadline (`deadline` in `zone`) after the last
    successful delivery; the notification's key names its day, so each stretch of missing data is
    reported once.
    """
    sent = 0
    rules = list(DelayRule.objects.select_related("pipeline", "contact").filter(contact__email__gt=""))
    last = last_deliveries(now=now, pipeline_ids={rule.pipeline_id for rule in rules})
    local = ZoneInfo(zone)
    for rule in rules:
        missed = first_missed_deadline(
            last.get(rule.pipeline_id), now=now, deadline=deadline, closed_days=closed_days, zone=zone
        )
        if missed is None or now < missed + timedelta(days=rule.days_after_deadline):
            continue
        missed = missed.astimezone(local)
        created = notifications.notify(
            event=delay_contact_event(rule, missed.date()),
            kind=DELAY_CONTACT_KIND,
            recipients=[notifications.Recipient(rule.contact.email)],
            subject=f"{rule.pipeline.name}: {rule.data_description or 'data'} not received",
            body=(
                f"Hello {rule.contact.name},\n\nThe {rule.pipeline.name} has not received "
                f"{rule.data_description or 'its data'} since the deadline of {missed:%A %d %B %Y, %H:%M %Z} "
                f"({rule.days_after_deadline} days ago or more). Could you check on it?\n\nThe data-engineering team"
            ),
            about=f"{rule.pipeline.name}: delay contact {rule.contact.name}",
            about_url=rule.pipeline.get_absolute_url(),
        )
        sent += len(created)
    return sent
