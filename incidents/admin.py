from django.contrib import admin

from oncall.models import Notification

from .models import ChatChannel, Communication, Incident, IncidentNote, SlaEscalation, SlaPolicy, SlaReport, SlaReview

STEP_FIELDS = [
    "status",
    "acknowledged_at",
    "acknowledged_by",
    "mitigated_at",
    "mitigated_by",
    "resolved_at",
    "resolved_by",
    "opened_by",
    "created_at",
]


class IncidentNoteInline(admin.TabularInline):
    model = IncidentNote
    extra = 0
    fields = ["at", "author", "text", "status_change"]
    readonly_fields = ["status_change"]
    autocomplete_fields = ["author"]


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    """Corrections only: incidents are opened and moved on through the portal, which tells people and keeps
    the timeline, so the admin neither adds incidents nor edits their steps."""

    list_display = ["__str__", "pipeline", "severity", "status", "detected_at", "assignee"]
    list_filter = ["status", "severity", "pipeline"]
    list_select_related = ["pipeline", "assignee"]
    search_fields = ["title", "description", "pipeline__name"]
    date_hierarchy = "detected_at"
    autocomplete_fields = ["pipeline", "assignee"]
    readonly_fields = STEP_FIELDS
    inlines = [IncidentNoteInline]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Communication)
class CommunicationAdmin(admin.ModelAdmin):
    list_display = ["sent_at", "pipeline", "incident", "day", "audience", "channel", "sent_by", "automatic"]
    list_filter = ["channel", "automatic", "pipeline"]
    list_select_related = ["pipeline", "incident", "sent_by"]
    search_fields = ["audience", "message", "pipeline__name"]
    date_hierarchy = "sent_at"
    autocomplete_fields = ["pipeline", "sent_by"]
    raw_id_fields = ["incident"]
    readonly_fields = ["automatic"]


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


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """The audit of every email the portal sent: read-only, since changing it would rewrite history."""

    list_display = ["created_at", "recipient", "subject", "kind", "status", "sent_at", "attempts"]
    list_filter = ["status", "kind"]
    list_select_related = ["member"]
    search_fields = ["recipient", "subject", "about", "key"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ChatChannel)
class ChatChannelAdmin(admin.ModelAdmin):
    """Managers add the team's Slack, Teams or webhook channels here; pages are posted to the active ones."""

    list_display = ["name", "kind", "pipeline", "active"]
    list_filter = ["kind", "active"]
    list_select_related = ["pipeline"]
    search_fields = ["name", "url"]
    autocomplete_fields = ["pipeline"]
