"""Validation at the API's edge: the model's `full_clean()` for every write, and Django's
ValidationError as DRF field errors (the same words the pages show)."""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.serializers import raise_errors_on_nested_writes
from rest_framework.settings import api_settings
from rest_framework.utils import model_meta


def validation_error_detail(error: DjangoValidationError) -> dict[str, list[str]]:
    """A model's or a service's ValidationError as DRF field errors; errors of no field are `non_field_errors`."""
    detail = dict(error.message_dict) if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.messages}
    if NON_FIELD_ERRORS in detail:
        detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop(NON_FIELD_ERRORS)
    return detail


class ValidatedModelSerializer(serializers.ModelSerializer):
    """A model serializer that saves only what the model's `full_clean()` accepts (NetBox's
    `ValidatedModelSerializer`): the rules of `clean()`, the field validators and the constraints
    live on the model and are not restated here. A refusal is a 400 naming the serializer's fields.

    A serializer that saves through a service overrides `create` / `update`; the service calls
    `full_clean()` itself, and its ValidationError comes back as field errors all the same.
    """

    def save(self, **kwargs):
        try:
            return super().save(**kwargs)
        except DjangoValidationError as error:
            raise serializers.ValidationError(self.field_errors(error)) from error

    def create(self, validated_data: dict):
        raise_errors_on_nested_writes("create", self, validated_data)
        values, many_to_many = self.split_many_to_many(validated_data)
        instance = self.Meta.model(**values)
        instance.full_clean()
        instance.save()
        for name, value in many_to_many.items():
            getattr(instance, name).set(value)
        return instance

    def update(self, instance, validated_data: dict):
        raise_errors_on_nested_writes("update", self, validated_data)
        values, many_to_many = self.split_many_to_many(validated_data)
        for name, value in values.items():
            setattr(instance, name, value)
        instance.full_clean()
        instance.save()
        for name, value in many_to_many.items():
            getattr(instance, name).set(value)
        return instance

    def split_many_to_many(self, validated_data: dict) -> tuple[dict, dict]:
        """The row's own values, and the many-to-many ones that can only be set once it is saved."""
        relations = model_meta.get_field_info(self.Meta.model).relations
        values, many_to_many = {}, {}
        for name, value in validated_data.items():
            relation = relations.get(name)
            if relation is not None and relation.to_many:
                many_to_many[name] = value
            else:
                values[name] = value
        return values, many_to_many

    def field_errors(self, error: DjangoValidationError) -> dict[str, list[str]]:
        """The error under the serializer's field names where a field reads another model field (`source`)."""
        renamed = {field.source: name for name, field in self.fields.items() if field.source not in ("*", name)}
        return {renamed.get(name, name): texts for name, texts in validation_error_detail(error).items()}
