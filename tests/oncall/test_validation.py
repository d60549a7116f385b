"""The API's one validation path: the model's `full_clean()` on every write, Django's errors as 400s."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from rest_framework import generics, serializers
from rest_framework.test import APIRequestFactory, force_authenticate

from oncall.api.validation import ValidatedModelSerializer, validation_error_detail
from oncall.models import Rotation
from pipelines.models import SlaPolicy

NOT_A_ZONE = "“Mars/Olympus” is not a time zone name such as Europe/Berlin."


class RotationZoneSerializer(ValidatedModelSerializer):
    """Saved by the base's own create and update; `zone` reads the model's `time_zone`."""

    zone = serializers.CharField(source="time_zone")

    class Meta:
        model = Rotation
        fields = ["id", "name", "zone", "holiday_country"]


class RotationZoneView(generics.CreateAPIView, generics.UpdateAPIView):
    queryset = Rotation.objects.all()
    serializer_class = RotationZoneSerializer
    permission_classes = []


def send(method: str, data: dict, user, pk: int | None = None):
    request = getattr(APIRequestFactory(), method)("/rotations/", data, format="json")
    force_authenticate(request, user)
    return RotationZoneView.as_view()(request, **({"pk": pk} if pk else {}))


def test_validated_model_serializer_refuses_what_clean_refuses_under_the_serializers_field(member):
    response = send("post", {"name": "Night", "zone": "Mars/Olympus", "holiday_country": "US"}, member.user)
    assert response.status_code == 400
    assert response.data == {"zone": [NOT_A_ZONE]}
    assert not Rotation.objects.exists()


def test_validated_model_serializer_checks_the_row_as_changed_and_saves_nothing_it_refuses(member):
    rotation = Rotation.objects.create(name="Night", time_zone="UTC", holiday_country="US")
    response = send("patch", {"holiday_country": "XX"}, member.user, pk=rotation.pk)
    assert response.status_code == 400
    assert response.data == {"holiday_country": ["“XX” is not a country the holidays package knows."]}
    rotation.refresh_from_db()
    assert rotation.holiday_country == "US"

    response = send("patch", {"zone": "Europe/Berlin"}, member.user, pk=rotation.pk)
    assert response.status_code == 200
    rotation.refresh_from_db()
    assert rotation.time_zone == "Europe/Berlin"


def test_validated_model_serializer_creates_what_clean_accepts(member):
    response = send("post", {"name": "Night", "zone": "Europe/Berlin", "holiday_country": "DE"}, member.user)
    assert response.status_code == 201
    assert Rotation.objects.get().time_zone == "Europe/Berlin"


@pytest.mark.parametrize(
    ("error", "detail"),
    [
        (ValidationError({"day": "Give the day."}), {"day": ["Give the day."]}),
        (ValidationError("Already signed off."), {"non_field_errors": ["Already signed off."]}),
        (ValidationError({"__all__": ["Both."], "at": ["Later."]}), {"non_field_errors": ["Both."], "at": ["Later."]}),
    ],
)
def test_validation_error_detail_names_fields_and_puts_the_rest_under_non_field_errors(error, detail):
    assert validation_error_detail(error) == detail


# The same words through the portal's own endpoints, whether a serializer or a service runs `full_clean()`.


def test_a_rotations_clean_speaks_through_the_api(manager_api):
    rotation = Rotation.objects.create(name="Night", time_zone="UTC", holiday_country="US")
    response = manager_api.patch(f"/api/rotations/{rotation.pk}/", {"time_zone": "Mars/Olympus"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"time_zone": [NOT_A_ZONE]}


def test_the_sla_policys_clean_speaks_through_the_api(manager_client):
    response = manager_client.patch("/api/sla/policy/", {"business_closes": "08:00"}, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"business_closes": ["Business hours must close after they open."]}


@pytest.mark.parametrize(
    ("model", "values", "field"),
    [
        (Rotation, {"name": "Night", "block_days": 0}, "block_days"),
        (Rotation, {"name": "Night", "window_years": 0}, "window_years"),
        (SlaPolicy, {"availability_target": Decimal("100.5")}, "availability_target"),
        (SlaPolicy, {"bad_records_pct": Decimal("-1")}, "bad_records_pct"),
    ],
)
def test_the_bounds_the_api_reports_are_the_models_own(db, model, values, field):
    with pytest.raises(ValidationError) as refused:
        model(**values).full_clean()
    assert list(refused.value.message_dict) == [field]


def test_a_message_about_neither_an_incident_nor_a_day_is_refused_by_the_model(api, pipeline):
    payload = {"pipeline": pipeline.slug, "audience": "Owners", "message": "Late"}
    response = api.post("/api/communications/", payload, format="json")
    assert response.status_code == 400
    assert response.json() == {"day": ["Give the delivery day the message is about, or an incident."]}
