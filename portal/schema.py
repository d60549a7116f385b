"""The OpenAPI document's shared parts: the error responses every operation can give, documented once.

Views declare only their successful answers; `AutoSchema` adds the errors that DRF, the project's
exception handler (`portal.api.exception_handler`) and its middleware produce for any view of the same
shape, so a new endpoint is documented with them without doing anything.
"""

from drf_spectacular import openapi
from drf_spectacular.drainage import has_override
from drf_spectacular.plumbing import ResolvedComponent, append_meta
from rest_framework import serializers
from rest_framework.permissions import AllowAny

# What `portal.api.exception_handler` answers: `{"detail": "..."}` for everything but validation,
# which names the fields (`{"field": ["message"], "non_field_errors": [...]}`, nested for nested data).
ERROR_SCHEMA = {
    "type": "object",
    "description": "An error that is not about one field: authentication, permission, not found, a parse error.",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
FIELD_ERRORS_SCHEMA = {
    "type": "object",
    "description": "Each field with its messages; errors of no single field are under `non_field_errors`.",
    "additionalProperties": {
        "anyOf": [{"type": "array", "items": {}}, {"type": "object", "additionalProperties": {}}],
    },
}
ERROR_DESCRIPTIONS = {
    "400": "Invalid input: a body, query or path value the operation refuses.",
    "401": "No credentials, or a token or session that is not valid.",
    "403": "Signed in, but not allowed this operation (or the request lacks its CSRF token).",
    "404": "Nothing with that identifier, or nothing this account may see.",
    "405": "The method is not allowed here.",
    "409": "The request conflicts with the current state.",
    "429": "Too many requests: try again after the time the Retry-After header gives.",
    "503": "A service the operation needs is unavailable: try again later.",
}
BODY_METHODS = {"POST", "PUT", "PATCH"}
# A wall-clock time such as a handoff or a business day's opening, read in a time zone given beside it:
# RFC 3339's partial-time ("08:00:00"), not its `time` format, which requires an offset.
TIME_OF_DAY_SCHEMA = {
    "type": "string",
    "format": "partial-time",
    "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?$",
    "example": "08:00:00",
}


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema, plus the error responses each operation can return (see `error_codes`).

    A view that can answer another error (409, 503...) lists it in `extra_error_codes`; an operation's own
    `@extend_schema(responses=...)` for a code wins over the shared one.
    """

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in sorted(self.error_codes()):
            responses.setdefault(code, self.error_response(code))
        return responses

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        if isinstance(field, serializers.TimeField) and not has_override(field, "field"):
            return append_meta(dict(TIME_OF_DAY_SCHEMA), self._get_serializer_field_meta(field, direction))
        return super()._map_serializer_field(field, direction, bypass_extensions)

    def error_codes(self) -> set[str]:
        codes = set(getattr(self.view, "extra_error_codes", ()))
        if self.view.get_authenticators():
            # An invalid token is refused even where anyone may call; session auth checks CSRF on writes.
            codes.add("401")
            if self.method in BODY_METHODS or not self.allows_anyone():
                codes.add("403")
        # The NUL-byte middleware refuses a bad path or query value too, so any parameter can be a 400.
        if self.method in BODY_METHODS or self._get_parameters():
            codes.add("400")
        # A page past the last one is a 404 from DRF's paginator.
        if self.has_path_parameters() or (self._is_list_view() and self._get_paginator()):
            codes.add("404")
        if self.view.get_throttles():
            codes.add("429")
        return {str(code) for code in codes}

    def allows_anyone(self) -> bool:
        return all(isinstance(permission, AllowAny) for permission in self.view.get_permissions())

    def has_path_parameters(self) -> bool:
        return "{" in self.path

    def error_response(self, code: str) -> dict:
        error = self.error_component("Error", ERROR_SCHEMA)
        if code == "400":
            field_errors = self.error_component("FieldErrors", FIELD_ERRORS_SCHEMA)
            schema = {"anyOf": [error.ref, field_errors.ref]}
        else:
            schema = error.ref
        description = ERROR_DESCRIPTIONS.get(code, "An error.")
        return {"description": description, "content": {"application/json": {"schema": schema}}}

    def error_component(self, name: str, schema: dict) -> ResolvedComponent:
        component = ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, schema=schema, object=name)
        self.registry.register_on_missing(component)
        return component
