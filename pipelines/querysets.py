from django.db import models

from oncall.querysets import every_word

# A runbook's text, long and parsed from JSON, which only the runbook page and its API show.
RUNBOOK_TEXT = ("description", "common_issues", "standard_procedures", "column_aliases")


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

    def without_runbook_text(self):
        """Pipelines without their runbook's text, which the jobs and lists that tell people about them never show."""
        return self.defer(*RUNBOOK_TEXT)

    def search_name(self, text: str):
        """Pipelines whose name or slug contains every word of `text`: finding one by what people call it."""
        return every_word(self, text, ["name", "slug"])

    def search(self, text: str):
        """Pipelines whose name or runbook text mentions every word of `text`."""
        fields = ["name", "description", "standard_procedures", "common_issues"]
        fields += ["critical_downstream_team__name", "ownerships__member__name"]
        return every_word(self, text, fields).distinct()


class RunQuerySet(models.QuerySet):
    def in_window(self, start, end):
        """Runs scheduled in [start, end)."""
        return self.filter(scheduled_for__gte=start, scheduled_for__lt=end)
