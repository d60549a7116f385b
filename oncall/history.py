"""The portal's one change log, kept by django-simple-history: who changed what, when, through what.

Every model people edit gets `tracked_history()` and is registered with `track()` under an object
type ("pipeline", "member", …). Each historical row also records its source, "page", "API", "admin",
"plan import", "job: <task>" or "command line", set by `change_source()` around the work (the
request middleware, the import command and Celery tasks do it).
"""

import contextvars
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import F, Value
from django.dispatch import receiver
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

OUTSIDE_ANY_REQUEST = "command line"
_source: contextvars.ContextVar[str] = contextvars.ContextVar("change_source", default=OUTSIDE_ANY_REQUEST)


@contextmanager
def change_source(source: str) -> Iterator[None]:
    """Record the changes made inside the block as coming through `source` (e.g. "plan import")."""
    token = _source.set(source)
    try:
        yield
    finally:
        _source.reset(token)


def current_change_source() -> str:
    return _source.get()


class ChangeSource(models.Model):
    """Added to every historical table: through what the change came."""

    history_source = models.CharField(max_length=60, blank=True)

    class Meta:
        abstract = True


def tracked_history(**options) -> HistoricalRecords:
    """The HistoricalRecords every tracked model uses."""
    return HistoricalRecords(bases=[ChangeSource], **options)


@receiver(pre_create_historical_record)
def _record_change_source(sender, history_instance, **kwargs):
    history_instance.history_source = current_change_source()


# --- what is tracked ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tracked:
    """A tracked model under its object type; a part (an ownership, a rotation's membership) names the
    object whose history it belongs to, through its foreign key `parent_field`."""

    object_type: str
    model: type[models.Model]
    label_field: str | None = None
    parent_type: str | None = None
    parent_field: str | None = None


TRACKED: dict[str, Tracked] = {}


def track(
    object_type: str,
    model: type[models.Model],
    *,
    label_field: str | None = None,
    parent: tuple[str, str] | None = None,
) -> None:
    """Register `model` (which has `history = tracked_history()`) in the change log as `object_type`."""
    parent_type, parent_field = parent or (None, None)
    TRACKED[object_type] = Tracked(object_type, model, label_field, parent_type, parent_field)


# --- reading it -----------------------------------------------------------------------------------

ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
EMPTY = "—"


@dataclass
class FieldChange:
    field: str
    before: str
    after: str


@dataclass
class ChangeEntry:
    """One change to one object, ready to show: who, when, through what, and each field's before → after."""

    object_type: str
    object_id: int
    object_label: str
    action: str
    at: datetime
    actor: str | None  # the username
    actor_name: str
    source: str
    changes: list[FieldChange] = field(default_factory=list)


def changes_queryset(*, subjects: dict[str, Collection[int] | None] | None = None, actor: str | None = None):
    """Every history row, newest first, as plain values over all tracked models (one UNION query).

    `subjects` maps object types to the ids wanted (None: all of that type); the parts of an object
    (a pipeline's ownerships and delay rules, a rotation's memberships) come with it when ids are
    given. `actor` is a username.
    """
    parts = []
    for tracked in TRACKED.values():
        if subjects is not None and tracked.object_type not in subjects and subjects.get(tracked.parent_type) is None:
            continue  # before reading `history`, which builds a manager class on every access
        rows = tracked.model.history.all()
        if subjects is not None:
            if tracked.object_type in subjects:
                ids = subjects[tracked.object_type]
                if ids is not None:
                    rows = rows.filter(id__in=ids)
            else:
                rows = rows.filter(**{f"{tracked.parent_field}_id__in": subjects[tracked.parent_type]})
        if actor:
            rows = rows.filter(history_user__username=actor)
        parts.append(
            rows.order_by()
            .annotate(object_type=Value(tracked.object_type, output_field=models.CharField()), object_id=F("id"))
            .values("history_id", "history_date", "object_type", "object_id")
        )
    if not parts:
        return next(iter(TRACKED.values())).model.history.none().values("history_id")
    first, *rest = parts
    return first.union(*rest, all=True).order_by("-history_date", "-history_id")


def history_of(subjects: dict[str, Collection[int] | None], limit: int = 50) -> list[ChangeEntry]:
    """The newest `limit` changes to the objects in `subjects` (see `changes_queryset`) and their parts."""
    return change_entries(changes_queryset(subjects=subjects)[:limit])


def change_entries(rows: Iterable[dict]) -> list[ChangeEntry]:
    """Turn `changes_queryset` rows into entries, in the same order, with a fixed number of queries per
    object type on the page (the records, their predecessors, the names their foreign keys point at)."""
    rows = list(rows)
    wanted: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        wanted[row["object_type"]].append(row)
    records, previous = {}, {}
    for object_type, wanted_rows in wanted.items():
        # The records wanted and, for each, its predecessor (the object's record just before it), in one
        # query: every record of those objects up to the newest wanted.
        earlier = (
            TRACKED[object_type]
            .model.history.select_related("history_user__team_member")
            .filter(
                id__in={row["object_id"] for row in wanted_rows},
                history_date__lte=max(row["history_date"] for row in wanted_rows),
            )
            .order_by("history_date", "history_id")
        )
        history_ids = {row["history_id"] for row in wanted_rows}
        by_object = defaultdict(list)
        for record in earlier:
            by_object[record.id].append(record)
        for chain in by_object.values():
            for index, record in enumerate(chain):
                if record.history_id in history_ids:
                    records[(object_type, record.history_id)] = record
                    previous[(object_type, record.history_id)] = chain[index - 1] if index else None
    raw = {key: _raw_changes(record, previous[key]) for key, record in records.items()}
    names = _related_names(records.values(), raw.values())
    entries = []
    for row in rows:
        key = (row["object_type"], row["history_id"])
        record = records[key]
        entries.append(
            ChangeEntry(
                object_type=row["object_type"],
                object_id=record.id,
                object_label=_object_label(TRACKED[row["object_type"]], record),
                action=ACTIONS[record.history_type],
                at=record.history_date,
                actor=record.history_user.get_username() if record.history_user else None,
                actor_name=_person(record.history_user),
                source=record.history_source,
                changes=[
                    FieldChange(str(f.verbose_name), _shown(f, old, names), _shown(f, new, names))
                    for f, old, new in raw[key]
                ],
            )
        )
    return entries


def _raw_changes(record, before) -> list[tuple[models.Field, object, object]]:
    """(field, old value, new value) for each field the change touched; on creation, each field with a value."""
    fields = {f.name: f for f in record.tracked_fields}
    if record.history_type == "-":
        return []
    if before is None:
        return [
            (f, None, getattr(record, f.attname))
            for f in record.tracked_fields
            if f.editable and not f.primary_key and getattr(record, f.attname) not in (None, "", [], {})
        ]
    delta = record.diff_against(before)
    return [(fields[change.field], change.old, change.new) for change in delta.changes if change.field in fields]


def _related_names(records, raw_lists) -> dict[tuple[type, object], str]:
    """What each foreign key value in the changes names, one query per related model."""
    keys: dict[type, set] = defaultdict(set)
    for changes in raw_lists:
        for model_field, old, new in changes:
            if model_field.is_relation:
                keys[model_field.related_model].update(v for v in (old, new) if v is not None)
    names = {}
    for model, pks in keys.items():
        # Their names may read their own foreign keys (a shift's member): fetch those in the same query.
        queryset = model._default_manager.select_related(
            *(f.name for f in model._meta.fields if f.many_to_one or f.one_to_one)
        )
        if model is get_user_model():
            queryset = queryset.select_related("team_member")
        for pk, obj in queryset.in_bulk(pks).items():
            names[(model, pk)] = _person(obj) if model is get_user_model() else str(obj)
    return names


def _shown(model_field: models.Field, value, names: dict) -> str:
    if value is None or value == "" or value == []:
        return EMPTY
    if model_field.is_relation:
        return names.get((model_field.related_model, value), f"#{value} (deleted)")
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(_list_item(item) for item in value)
    return str(value)


def _list_item(item) -> str:
    if isinstance(item, dict) and "text" in item:
        return f"{item['text']} (known issue)" if item.get("known_issue") else str(item["text"])
    return str(item)


def _object_label(tracked: Tracked, record) -> str:
    name = tracked.model._meta.verbose_name
    if tracked.label_field:
        return f"{name.capitalize()} {getattr(record, tracked.label_field)}"
    return f"{name.capitalize()} #{record.id}"


def _person(user) -> str:
    if user is None:
        return EMPTY
    member = getattr(user, "team_member", None)
    return member.name if member is not None else user.get_username()
