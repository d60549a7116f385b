from django.db import models


class TeamMemberQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def managers(self):
        return self.active().filter(is_manager=True)
