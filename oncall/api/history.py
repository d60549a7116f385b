"""The change log over the API: `/api/changes/` for everything, and the serializer object histories share."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from oncall.history import TRACKED, change_entries, changes_queryset


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    before = serializers.CharField()
    after = serializers.CharField()


class ChangeSerializer(serializers.Serializer):
    """One change to one object: who, when, through what, and each field's value before and after."""

    object_type = serializers.CharField()
    object_id = serializers.IntegerField()
    object = serializers.CharField(source="object_label")
    action = serializers.ChoiceField(choices=["created", "changed", "deleted"])
    at = serializers.DateTimeField()
    actor = serializers.CharField(allow_null=True, help_text="The username; null for plan imports and jobs.")
    actor_name = serializers.CharField()
    source = serializers.CharField(help_text='"page", "API", "admin", "plan import", "job: <task>" or "command line".')
    changes = FieldChangeSerializer(many=True)


def object_types() -> list[str]:
    return sorted(TRACKED)


class ChangeQuerySerializer(serializers.Serializer):
    object_type = serializers.ChoiceField(choices=(), required=False)
    object_id = serializers.IntegerField(required=False, min_value=1)
    actor = serializers.CharField(required=False, help_text="A username.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["object_type"].choices = object_types()

    def validate(self, attrs):
        if "object_id" in attrs and "object_type" not in attrs:
            raise serializers.ValidationError({"object_id": "Give the object_type too."})
        return attrs


def paginated_changes(view, rows) -> Response:
    """A page of `changes_queryset` rows as change entries."""
    page = view.paginate_queryset(rows)
    return view.get_paginated_response(ChangeSerializer(change_entries(page), many=True).data)


class ChangeViewSet(viewsets.GenericViewSet):
    """The portal's change log, newest first: every change to members, pipelines and runbooks, ownership,
    downstream teams, contacts and delay rules, rotations and their order, the SLA policy, SLA sign-offs
    and holiday trades."""

    serializer_class = ChangeSerializer
    filter_backends = []

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "object_type",
                enum=object_types(),
                description="Only this kind of object. With object_id, that object and its parts "
                "(a pipeline's ownerships and delay rules, a rotation's memberships and holidays).",
            ),
            OpenApiParameter("object_id", int, description="The object's id (needs object_type)."),
            OpenApiParameter("actor", str, description="Only changes made by this username."),
        ],
        responses=ChangeSerializer(many=True),
    )
    def list(self, request):
        query = ChangeQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        subjects = None
        if "object_type" in params:
            subjects = {params["object_type"]: [params["object_id"]] if "object_id" in params else None}
        return paginated_changes(self, changes_queryset(subjects=subjects, actor=params.get("actor")))
