"""Writes about pipelines: storing the runbook part of a maintenance plan."""

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

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


# Longer chains than this are a loop someone made in the admin; the walk stops there.
MAX_DEPENDENCY_DEPTH = 100


def downstream_pipelines(pipeline: Pipeline) -> list[Pipeline]:
    """Every pipeline that depends on `pipeline`, directly or through others: nearest first, then by id.

    A cycle (which the plan does not allow, but the admin might) ends where it meets the pipeline again.
    """
    return downstream_of_many([pipeline])[pipeline.pk]


def downstream_of_many(pipelines: Iterable[Pipeline], *, known: Iterable[Pipeline] = ()) -> dict[int, list[Pipeline]]:
    """`downstream_pipelines` of each pipeline, by its id, in a fixed number of queries whatever their number.

    One recursive query walks the dependencies from every pipeline at once in the database; the pipelines
    found are read `with_owners`, but for those `known` (read `with_owners` already).
    """
    order = downstream_ids_of_many({pipeline.pk for pipeline in pipelines})
    by_id = {pipeline.pk: pipeline for pipeline in known}
    missing = {pk for pks in order.values() for pk in pks} - by_id.keys()
    if missing:
        by_id |= Pipeline.objects.with_owners().without_runbook_text().in_bulk(missing)
    return {start: [by_id[pk] for pk in pks] for start, pks in order.items()}


def pipelines_with_downstream(pipeline_ids: Iterable[int]) -> dict[int, tuple[Pipeline, list[Pipeline]]]:
    """Each pipeline and `downstream_pipelines` of it, by its id, all with their owners (`with_owners`)
    and without their runbook text: three queries whatever their number."""
    order = downstream_ids_of_many(pipeline_ids)
    if not order:
        return {}
    by_id = (
        Pipeline.objects.with_owners()
        .without_runbook_text()
        .in_bulk({*order, *(pk for pks in order.values() for pk in pks)})
    )
    return {pk: (by_id[pk], [by_id[downstream] for downstream in pks]) for pk, pks in order.items()}


def downstream_ids_of_many(pipeline_ids: Iterable[int]) -> dict[int, list[int]]:
    """The ids of `downstream_pipelines` of each pipeline id, in their order: one recursive query."""
    starts = sorted(set(pipeline_ids))
    order: dict[int, list[int]] = {pk: [] for pk in starts}
    if not starts:
        return {}
    edges = Pipeline.depends_on.through._meta.db_table
    placeholders = ", ".join(["%s"] * len(starts))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH RECURSIVE downstream(start, id, depth) AS (
                SELECT to_pipeline_id, from_pipeline_id, 1 FROM {edges} WHERE to_pipeline_id IN ({placeholders})
                UNION
                SELECT d.start, e.from_pipeline_id, d.depth + 1
                FROM {edges} e JOIN downstream d ON e.to_pipeline_id = d.id
                WHERE d.depth < %s AND e.from_pipeline_id <> d.start
            )
            SELECT start, id FROM downstream WHERE id <> start GROUP BY start, id ORDER BY start, MIN(depth), id
            """,
            [*starts, MAX_DEPENDENCY_DEPTH],
        )
        for start, pk in cursor.fetchall():
            order[start].append(pk)
    return order


def owners_of(pipelines: list[Pipeline]) -> list[TeamMember]:
    """Primary then secondary owners of each pipeline, each person once."""
    members: dict[int, TeamMember] = {}
    for pipeline in pipelines:
        by_role = pipeline.owners_by_role()  # once, not once per role
        for role in (OwnerRole.PRIMARY, OwnerRole.SECONDARY):
            if role in by_role:
                members.setdefault(by_role[role].pk, by_role[role])
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


def _run_apply(run: Run, values: dict) -> None:
    """Set the reported fields on a new or stored run and check the model's rules (ValidationError if broken).

    The (pipeline, external_id) uniqueness is the upsert's own business: checked here, a racing delivery
    that committed first would turn an update into a 400. `clean()` states each CHECK constraint in
    Python and the database enforces them; checking them again through `validate_constraints` would
    cost a query each on every delivery.
    """
    for field in RUN_FIELDS:
        if field in values:
            setattr(run, field, values[field])
    run.full_clean(exclude=["pipeline"], validate_unique=False, validate_constraints=False)


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
        _run_apply(run, values)
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


MAX_RUNS_PER_BATCH = 1000


class RunBatchError(Exception):
    """Some runs of a batch are invalid: `errors` maps each invalid run's place (0 for the first) to its error."""

    def __init__(self, errors: dict[int, ValidationError]):
        super().__init__("Some runs are invalid; nothing was stored.")
        self.errors = errors


@dataclass(frozen=True)
class RunBatchItem:
    pipeline: Pipeline
    external_id: str
    values: dict


def runs_upsert(*, items: list[RunBatchItem], now: datetime | None = None) -> list[tuple[Run, bool]]:
    """`run_upsert` for a batch (a backfill): every run or none, in one transaction and a fixed number of queries.

    Each run follows the single-run rules (a re-sent one updates only the fields it reports; the
    model's checks); a run named twice in the batch is refused. RunBatchError lists each invalid
    run's errors and nothing is stored. A backfill reports history, so only each pipeline's newest
    run of the batch is announced (`run_recorded`): it alone can open or resolve the pipeline's
    incident, as it would have arrived last.
    Returns (run, created) in the order given.
    """
    if len(items) > MAX_RUNS_PER_BATCH:
        raise ValidationError(f"At most {MAX_RUNS_PER_BATCH:,} runs per request; this one has {len(items):,}.")
    now = now or timezone.now()
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                results = _runs_store(items, now)
            break
        except IntegrityError:
            # A delivery created one of these runs in between: the second attempt finds it and updates it.
            if attempt == 2 or not _any_stored(items):
                raise
    newest: dict[int, tuple[Run, bool]] = {}
    for run, created in results:
        known = newest.get(run.pipeline_id)
        if known is None or run.scheduled_for >= known[0].scheduled_for:
            newest[run.pipeline_id] = (run, created)
    for run, created in newest.values():
        run_recorded.send(sender=Run, run=run, created=created)
    return results


def _runs_store(items: list[RunBatchItem], now: datetime) -> list[tuple[Run, bool]]:
    keys = [(item.pipeline.pk, item.external_id) for item in items]
    stored = {
        (run.pipeline_id, run.external_id): run
        for run in Run.objects.select_for_update().filter(
            pipeline_id__in={pk for pk, _ in keys}, external_id__in={external_id for _, external_id in keys}
        )
    }
    errors: dict[int, ValidationError] = {}
    results: list[tuple[Run, bool]] = []
    seen: set[tuple[int, str]] = set()
    for index, (key, item) in enumerate(zip(keys, items, strict=True)):
        run = stored.get(key)
        created = run is None
        if created:
            run = Run(pipeline=item.pipeline, external_id=item.external_id, received_at=now)
        try:
            if key in seen:
                raise ValidationError({"external_id": "This run appears more than once in the batch."})
            seen.add(key)
            _run_apply(run, item.values)
        except ValidationError as error:
            errors[index] = error
        run.pipeline = item.pipeline
        run.updated_at = now
        results.append((run, created))
    if errors:
        raise RunBatchError(errors)
    Run.objects.bulk_create([run for run, created in results if created])
    Run.objects.bulk_update([run for run, created in results if not created], [*RUN_FIELDS, "updated_at"])
    return results


def _any_stored(items: list[RunBatchItem]) -> bool:
    return Run.objects.filter(
        pipeline_id__in={item.pipeline.pk for item in items}, external_id__in={item.external_id for item in items}
    ).exists()


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
    rules = list(DelayRule.objects.select_related("pipeline", "contact").filter(contact__email__gt=""))
    last = last_deliveries(now=now, pipeline_ids={rule.pipeline_id for rule in rules})
    local = ZoneInfo(zone)
    emails = []
    for rule in rules:
        missed = first_missed_deadline(
            last.get(rule.pipeline_id), now=now, deadline=deadline, closed_days=closed_days, zone=zone
        )
        if missed is None or now < missed + timedelta(days=rule.days_after_deadline):
            continue
        missed = missed.astimezone(local)
        emails.append(
            notifications.Email(
                event=delay_contact_event(rule, missed.date()),
                recipient=notifications.Recipient(rule.contact.email),
                subject=f"{rule.pipeline.name}: {rule.data_description or 'data'} not received",
                body=(
                    f"Hello {rule.contact.name},\n\nThe {rule.pipeline.name} has not received "
                    f"{rule.data_description or 'its data'} since the deadline of {missed:%A %d %B %Y, %H:%M %Z} "
                    f"({rule.days_after_deadline} days ago or more). Could you check on it?\n\n"
                    "The data-engineering team"
                ),
                about=f"{rule.pipeline.name}: delay contact {rule.contact.name}",
                about_url=rule.pipeline.get_absolute_url(),
            )
        )
    return len(notifications.notify_all(kind=DELAY_CONTACT_KIND, emails=emails))
