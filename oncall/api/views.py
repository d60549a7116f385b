from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import viewsets
from rest_framework.exceptions import ValidationError

from oncall import services
from oncall.models import TeamMember

from .serializers import TeamMemberSerializer


class TeamMemberViewSet(viewsets.ModelViewSet):
    """Team members: everyone reads; managers add members and edit them (e.g. to add emails)."""

    queryset = TeamMember.objects.select_related("user").order_by("name")
    serializer_class = TeamMemberSerializer
    filterset_fields = ["active", "is_manager"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def perform_create(self, serializer):
        try:
            serializer.instance = services.team_member_create(**serializer.validated_data)
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from error
