from datetime import date, datetime

from django.db import models


class TeamMemberQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def managers(self):
        return self.active().filter(is_manager=True)


class ShiftQuerySet(models.QuerySet):
    def covering(self, instant: datetime):
        """The shifts (one per rotation) whose hours include `instant`."""
        return self.filter(start__lte=instant, end__gt=instant)

    def between(self, first: date, last: date):
        return self.filter(date__gte=first, date__lte=last)

    def holidays(self):
        return self.filter(kind="holiday")
