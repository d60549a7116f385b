"""Bulk inserts the apps share, for the jobs that write thousands of rows at once."""

import json
from datetime import date, datetime, time
from decimal import Decimal

from django.db import connection
from django.utils import timezone


def bulk_insert(model, rows: list, *, skip_existing: str | tuple[str, ...] | None = None) -> list:
    """Insert the unsaved `rows` of `model` and set their ids; returns the rows inserted.

    With `skip_existing` (a unique field's name, or the fields of a unique constraint), rows whose value of it
    is recorded already are left out, and so are they from the result: a row another transaction recorded
    meanwhile is that one's.

    On PostgreSQL one statement reads every row from one JSON document. Django's `bulk_create` prepares
    and binds each value of each row in Python, which for a few thousand rows (a month's SLA reports, a
    bad morning's delay notices) costs more than the database's own work. Elsewhere (SQLite, `make run`)
    Django inserts them.
    """
    if not rows:
        return []
    if connection.vendor == "postgresql":
        return _insert_postgresql(model, rows, skip_existing)
    if skip_existing is None:
        return model.objects.bulk_create(rows)
    unique = _unique_fields(model, skip_existing)
    first = unique[0]
    recorded = set(
        model.objects.filter(**{f"{first.attname}__in": {getattr(row, first.attname) for row in rows}})
        .order_by()
        .values_list(*(field.attname for field in unique))
    )
    created = [row for row in rows if _unique_value(row, unique) not in recorded]
    # "On conflict, set a field to itself": unlike ignoring the conflict, the insert returns every id.
    names = [field.name for field in unique]
    model.objects.bulk_create(created, update_conflicts=True, unique_fields=names, update_fields=names[:1])
    return created


def _unique_fields(model, names: str | tuple[str, ...]) -> list:
    return [model._meta.get_field(name) for name in ((names,) if isinstance(names, str) else names)]


def _unique_value(row, unique: list) -> tuple:
    return tuple(getattr(row, field.attname) for field in unique)


def _insert_postgresql(model, rows: list, skip_existing: str | tuple[str, ...] | None) -> list:
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    now = timezone.now()
    for field in fields:
        if getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False):
            for row in rows:
                setattr(row, field.attname, now)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    record = ", ".join(f"{quote(field.column)} {field.db_type(connection)}" for field in fields)
    document = json.dumps(
        [{field.column: getattr(row, field.attname) for field in fields} for row in rows], default=_json_value
    )
    pk = quote(model._meta.pk.column)
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "
        f"SELECT {columns} FROM json_to_recordset(%s::json) AS new_row({record})"
    )
    with connection.cursor() as cursor:
        if skip_existing is None:
            # The ids come back in the order of the rows, as Django's own bulk insert relies on too.
            cursor.execute(f"{sql} RETURNING {pk}", [document])
            for row, (row_id,) in zip(rows, cursor.fetchall(), strict=True):
                row.pk = row_id
            created = rows
        else:
            unique = _unique_fields(model, skip_existing)
            unique_columns = ", ".join(quote(field.column) for field in unique)
            cursor.execute(
                f"{sql} ON CONFLICT ({unique_columns}) DO NOTHING RETURNING {pk}, {unique_columns}", [document]
            )
            ids = {tuple(value): row_id for row_id, *value in cursor.fetchall()}
            created = [row for row in rows if _unique_value(row, unique) in ids]
            for row in created:
                row.pk = ids[_unique_value(row, unique)]
    for row in created:
        row._state.adding, row._state.db = False, connection.alias
    return created


def _json_value(value):
    """A row's value that JSON has no type for, as PostgreSQL reads it back for its column."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} cannot be inserted in bulk")
