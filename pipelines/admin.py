from django.contrib import admin

from .models import Contact, DelayRule, DownstreamTeam, Ownership, Pipeline


class OwnershipInline(admin.TabularInline):
    model = Ownership
    extra = 0
    max_num = 2
    autocomplete_fields = ["member"]


class DelayRuleInline(admin.TabularInline):
    model = DelayRule
    extra = 0
    autocomplete_fields = ["contact"]


@admin.register(Pipeline)
class PipelineAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "critical_downstream_team", "schedule"]
    list_filter = ["critical_downstream_team"]
    list_select_related = ["critical_downstream_team"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["depends_on"]
    inlines = [OwnershipInline, DelayRuleInline]


@admin.register(DownstreamTeam)
class DownstreamTeamAdmin(admin.ModelAdmin):
    list_display = ["name", "lead_name", "lead_email"]
    search_fields = ["name", "lead_name"]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "email", "phone"]
    search_fields = ["name", "organisation", "email"]
