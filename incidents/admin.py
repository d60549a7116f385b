from django.contrib import admin

from .models import ChatChannel, Communication, Incident, IncidentNote

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


@admin.register(ChatChannel)
class ChatChannelAdmin(admin.ModelAdmin):
    """Managers add the team's Slack, Teams or webhook channels here; pages are posted to the active ones."""

    list_display = ["name", "kind", "pipeline", "active"]
    list_filter = ["kind", "active"]
    list_select_related = ["pipeline"]
    search_fields = ["name", "url"]
    autocomplete_fields = ["pipeline"]
