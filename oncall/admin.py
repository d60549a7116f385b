from django.contrib import admin

from .models import TeamMember


@admin.register(TeamMember)
class TeamMemberAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "email", "area", "is_manager", "active"]
    list_filter = ["active", "is_manager"]
    search_fields = ["name", "email", "area", "user__username"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
