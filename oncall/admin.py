from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from .accounts import member_invite
from .models import (
    CustomHoliday,
    HolidayRecord,
    HolidayTrade,
    Notification,
    Rotation,
    RotationMembership,
    Shift,
    TeamMember,
)
from .services import member_feed_token_reset, rotation_feed_token_reset, rotation_regenerate_after_commit


@admin.register(TeamMember)
class TeamMemberAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "email", "area", "is_manager", "active", "left_on"]
    list_filter = ["active", "is_manager"]
    search_fields = ["name", "email", "area", "user__username"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    readonly_fields = ["successor", "calendar_token"]
    actions = ["invite", "reset_feed_links"]

    @admin.action(description="Invite the selected members to set a password")
    def invite(self, request, queryset):
        invited, refused = [], []
        for member in queryset.select_related("user").order_by("name"):
            try:
                member_invite(member=member, invited_by=request.user)
            except ValidationError as error:
                refused.append(" ".join(error.messages))
            else:
                invited.append(member.name)
        if invited:
            self.message_user(request, f"Invited {len(invited)}: {', '.join(invited)}.", messages.SUCCESS)
        for reason in refused:
            self.message_user(request, f"Not invited: {reason}", messages.WARNING)

    @admin.action(description="Give the selected members new calendar feed links (the old ones stop working)")
    def reset_feed_links(self, request, queryset):
        for member in queryset:
            member_feed_token_reset(member=member)
        self.message_user(request, f"{len(queryset)} calendar feed link(s) replaced.", messages.SUCCESS)


class RotationMembershipInline(admin.TabularInline):
    model = RotationMembership
    extra = 0
    autocomplete_fields = ["member"]
    ordering = ["position", "starts_on"]


class CustomHolidayInline(admin.TabularInline):
    model = CustomHoliday
    extra = 0


@admin.register(Rotation)
class RotationAdmin(admin.ModelAdmin):
    """Rotations, their order and their own holidays; every change regenerates the shifts after commit."""

    list_display = ["name", "time_zone", "block_days", "start_date", "holiday_country", "window_years"]
    readonly_fields = ["feed_token"]
    exclude = ["plan_fingerprint"]
    inlines = [RotationMembershipInline, CustomHolidayInline]
    actions = ["reset_feed_links"]

    @admin.action(description="Give the selected rotations new calendar feed links (the old ones stop working)")
    def reset_feed_links(self, request, queryset):
        for rotation in queryset:
            rotation_feed_token_reset(rotation=rotation)
        self.message_user(request, f"{len(queryset)} rotation feed link(s) replaced.", messages.SUCCESS)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        rotation_regenerate_after_commit(rotation_id=form.instance.pk)


@admin.register(HolidayRecord)
class HolidayRecordAdmin(admin.ModelAdmin):
    """Who held which holiday before the portal kept shifts (the 4-year window counts these)."""

    list_display = ["date", "holiday_name", "member"]
    list_filter = ["holiday_name"]
    search_fields = ["holiday_name", "member__name"]
    date_hierarchy = "date"
    autocomplete_fields = ["member"]
    list_select_related = ["member"]


@admin.register(Shift)
class ShiftAdmin(admin.ModelAdmin):
    """Shifts are made by the rotation and changed by trades and turnover, so they are read-only here."""

    list_display = ["date", "rotation", "member", "kind", "holiday_name", "traded", "warning"]
    list_filter = ["rotation", "kind", "traded"]
    search_fields = ["member__name", "holiday_name"]
    date_hierarchy = "date"
    list_select_related = ["rotation", "member"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(HolidayTrade)
class HolidayTradeAdmin(admin.ModelAdmin):
    """The record of trades; they are made and answered on the Trades page, never here."""

    list_display = ["pk", "shift", "requested_by", "counterparty", "status", "created_at", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["shift__member", "requested_by", "counterparty"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
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
