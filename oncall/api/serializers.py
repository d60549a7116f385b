from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from oncall import services
from oncall.forms import FIRST_YEAR, LAST_YEAR
from oncall.models import HolidayTrade, Notification, Rotation, Shift, TeamMember

from .validation import ValidatedModelSerializer


class TeamMemberSerializer(ValidatedModelSerializer):
    """A member; a new one gets a `first.last` login user, without a password until one is set."""

    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = TeamMember
        fields = [
            "id",
            "name",
            "username",
            "email",
            "area",
            "expertise",
            "is_manager",
            "active",
            "joined_on",
            "left_on",
        ]
        read_only_fields = ["active", "left_on"]

    def create(self, validated_data: dict) -> TeamMember:
        return services.team_member_create(**validated_data)


@extend_schema_field(OpenApiTypes.STR)
class MemberUsernameField(serializers.SlugRelatedField):
    """A member as their login username (`jasmine.glancy`)."""

    default_error_messages = {"does_not_exist": "No active member has the username “{value}”."}

    def __init__(self, **kwargs):
        super().__init__(slug_field="user__username", **kwargs)

    def to_representation(self, obj: TeamMember) -> str:
        return obj.user.username


class RotationSerializer(ValidatedModelSerializer):
    """A rotation; `order` lists the usernames of its current members by position, and setting it replaces them."""

    order = serializers.ListField(
        child=MemberUsernameField(queryset=TeamMember.objects.active().select_related("user")),
        required=False,
        help_text="Usernames of the current members, first position first.",
    )

    class Meta:
        model = Rotation
        fields = [
            "id",
            "name",
            "order",
            "time_zone",
            "handoff_time",
            "block_days",
            "start_date",
            "holiday_country",
            "holiday_subdivision",
            "window_years",
        ]

    def to_representation(self, rotation: Rotation) -> dict:
        data = super().to_representation(rotation)
        memberships = getattr(rotation, "current_memberships", None)
        if memberships is None:
            memberships = rotation.memberships.filter(ends_on__isnull=True).select_related("member__user")
        data["order"] = [m.member.user.username for m in sorted(memberships, key=lambda m: m.position)]
        return data

    def validate_order(self, members: list[TeamMember]) -> list[TeamMember]:
        seen = set()
        for member in members:
            if member.pk in seen:
                raise serializers.ValidationError(f"{member.user.username} is listed twice.")
            seen.add(member.pk)
        return members

    def create(self, validated_data: dict) -> Rotation:
        members = validated_data.pop("order", [])
        return services.rotation_save(rotation=None, values=validated_data, members=members)

    def update(self, rotation: Rotation, validated_data: dict) -> Rotation:
        members = validated_data.pop("order", None)
        rotation = services.rotation_save(rotation=rotation, values=validated_data, members=members)
        rotation.__dict__.pop("current_memberships", None)  # the order may have changed: read it again
        return rotation


class ShiftSerializer(serializers.ModelSerializer):
    member = MemberUsernameField(read_only=True)

    class Meta:
        model = Shift
        fields = ["id", "rotation", "date", "start", "end", "member", "kind", "holiday_name", "traded", "warning"]
        read_only_fields = fields


class OnCallShiftSerializer(serializers.ModelSerializer):
    member = MemberUsernameField(read_only=True)
    member_name = serializers.CharField(source="member.name", read_only=True)

    class Meta:
        model = Shift
        fields = ["id", "member", "member_name", "start", "end", "kind", "holiday_name"]


class RotationSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Rotation
        fields = ["id", "name", "time_zone"]


class OnCallSerializer(serializers.Serializer):
    """A rotation's shift now and the next shift that hands it to somebody else."""

    rotation = RotationSummarySerializer(read_only=True)
    now = OnCallShiftSerializer(source="current", read_only=True, allow_null=True)
    next = OnCallShiftSerializer(read_only=True, allow_null=True)


class HolidaySerializer(serializers.Serializer):
    date = serializers.DateField(read_only=True)
    name = serializers.CharField(read_only=True)
    rotation = serializers.IntegerField(read_only=True, help_text="The rotation's id.")


class HolidayQuerySerializer(serializers.Serializer):
    year = serializers.IntegerField(
        required=False, min_value=FIRST_YEAR, max_value=LAST_YEAR, help_text="Default: this year."
    )


class MemberOffboardSerializer(serializers.Serializer):
    effective_date = serializers.DateField()
    successor = serializers.PrimaryKeyRelatedField(
        queryset=TeamMember.objects.all(), required=False, allow_null=True, help_text="The successor's member id."
    )


class MemberInvitationSerializer(serializers.ModelSerializer):
    """The invitation email as recorded in the outbox (the link itself is only in the email)."""

    class Meta:
        model = Notification
        fields = ["id", "recipient", "subject", "kind", "created_at", "status"]
        read_only_fields = fields


class HolidayTradeSerializer(serializers.ModelSerializer):
    """A holiday trade; a member POSTs `shift`, `counterparty` (username), optional `counterparty_shift` and `message`.

    Any shift id is accepted here: the trade service says why a shift cannot be traded (a regular
    one, someone else's, one already started), in the same words as the form.
    """

    shift = serializers.PrimaryKeyRelatedField(queryset=Shift.objects.all(), help_text="The offered shift's id.")
    counterparty = MemberUsernameField(
        queryset=TeamMember.objects.select_related("user"), help_text="The colleague's username, e.g. `bob.dylan`."
    )
    counterparty_shift = serializers.PrimaryKeyRelatedField(
        queryset=Shift.objects.all(),
        required=False,
        allow_null=True,
        help_text="The id of the counterparty's holiday shift asked for in exchange; null for a give-away.",
    )
    requested_by = MemberUsernameField(read_only=True)

    class Meta:
        model = HolidayTrade
        fields = [
            "id",
            "shift",
            "counterparty",
            "counterparty_shift",
            "requested_by",
            "status",
            "message",
            "warning",
            "created_at",
            "decided_at",
        ]
        read_only_fields = ["status", "warning", "created_at", "decided_at"]
        # No validator from the one-pending-trade constraint: the service names the shift and says what to do.
        validators = []
