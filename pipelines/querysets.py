from django.db import models
from django.db.models import Q


class PipelineQuerySet(models.QuerySet):
    def with_runbook_relations(self):
        """Everything a runbook list or API page shows, fetched in a fixed number of queries."""
        return self.select_related("critical_downstream_team").prefetch_related(
            "ownerships__member__user", "depends_on", "dependents"
        )

    def with_owners(self):
        """Pipelines with their owners and downstream team: who to tell, in two queries whatever the count."""
        from .models import Ownership  # the models module imports this one

        return self.select_related("critical_downstream_team").prefetch_related(
            models.Prefetch("ownerships", queryset=Ownership.objects.select_related("member"))
        )

    def search_name(self, text: str):
        """Pipelines whose name or slug contains every word of `text`: finding one by what people call it."""
        queryset = self
        for word in text.split():
            queryset = queryset.filter(Q(name__icontains=word) | Q(slug__icontains=word))
        return queryset

    def search(self, text: str):
        """Pipelines whose name or runbook text mentions every word of `text`."""
        queryset = self
        for word in text.split():
            queryset = queryset.filter(
                Q(name__icontains=word)
                | Q(description__icontains=word)
                | Q(standard_procedures__icontains=word)
                | Q(common_issues__icontains=word)
                | Q(critical_downstream_team__name__icontains=word)
                | Q(ownerships__member__name__icontains=word)
            )
        return queryset.distinct()


class RunQuerySet(models.QuerySet):
    def in_window(self, start, end):
        """Runs scheduled in [start, end)."""
        return self.filter(scheduled_for__gte=start, scheduled_for__lt=end)
