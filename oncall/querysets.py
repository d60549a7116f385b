from datetime import date, datetime

from django.db import models
from django.db.models import Q


class TeamMemberQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def managers(self):
        return self.active().filter(is_manager=True)

    def search(self, text: str):
        """Members whose name, username, email, area or expertise mentions every word of `text`."""
        queryset = self
        for word in text.split():
            queryset = queryset.filter(
                Q(name__icontains=word)
                | Q(user__username__icontains=word)
                | Q(email__icontains=word)
                | Q(area__icontains=word)
                | Q(expertise__icontains=word)
            )
        return queryset


class ShiftQuerySet(models.QuerySet):
    def covering(self, instant: datetime):
        """The shifts (one per rotation) whose hours include `instant`."""
        return self.filter(start__lte=instant, end__gt=instant)

    def between(self, first: date, last: date):
        return self.filter(date__gte=first, date__lte=last)

    def holidays(self):
        return self.filter(kind="holiday")
