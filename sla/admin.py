from django.contrib import admin

from pipelines.models import SlaPolicy

from .models import SlaEscalation, SlaReport, SlaReview


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "acknowledge_minutes", "resolution", "bad_records_pct"]

    def has_add_permission(self, request) -> bool:
        # One policy row: `SlaPolicy.current()` reads the first.
        return not SlaPolicy.objects.exists()


@admin.register(SlaReport)
class SlaReportAdmin(admin.ModelAdmin):
    """Computed figures: read them here, recompute them with `compute_sla`."""

    list_display = ["pipeline", "month", "availability_pct", "compliant", "final", "changed_since_review"]
    list_filter = ["month", "compliant", "final", "changed_since_review"]
    list_select_related = ["pipeline"]
    search_fields = ["pipeline__name"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SlaReview)
class SlaReviewAdmin(admin.ModelAdmin):
    list_display = ["month", "reviewer", "signed_at"]
    list_select_related = ["reviewer"]
    autocomplete_fields = ["reviewer"]


@admin.register(SlaEscalation)
class SlaEscalationAdmin(admin.ModelAdmin):
    list_display = ["pipeline", "month", "dimension", "created_at"]
    list_filter = ["month", "dimension"]
    list_select_related = ["pipeline"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
