from datetime import date, datetime
from functools import reduce
from operator import or_

from django.db import models
from django.db.models import Q


def every_word(queryset: models.QuerySet, text: str, fields: list[str]) -> models.QuerySet:
    """The rows where each word of `text` appears in at least one of `fields` (case-insensitive): the
    search boxes of the lists."""
    for word in text.split():
        queryset = queryset.filter(reduce(or_, (Q(**{f"{field}__icontains": word}) for field in fields)))
    return queryset


class TeamMemberQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def managers(self):
        return self.active().filter(is_manager=True)

    def search(self, text: str):
        """Members whose name, username, email, area or expertise mentions every word of `text`."""
        return every_word(self, text, ["name", "user__username", "email", "area", "expertise"])


class ShiftQuerySet(models.QuerySet):
    def covering(self, instant: datetime):
        """The shifts (one per rotation) whose hours include `instant`."""
        return self.filter(start__lte=instant, end__gt=instant)

    def between(self, first: date, last: date):
        return self.filter(date__gte=first, date__lte=last)

    def holidays(self):
        return self.filter(kind="holiday")
