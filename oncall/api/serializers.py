from rest_framework import serializers

from oncall.models import TeamMember


class TeamMemberSerializer(serializers.ModelSerializer):
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
