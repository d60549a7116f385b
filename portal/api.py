"""The API's edges shared by every app: how errors become responses and how bodies are read."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, parsers
from rest_framework.views import exception_handler as drf_exception_handler

from oncall.api.validation import validation_error_detail

# Deeper than any body the API takes (a pipeline's common issues are three levels deep), and far
# below the interpreter's recursion limit.
MAX_JSON_DEPTH = 32


def exception_handler(exc, context):
    """DRF's handler, plus Django's ValidationError (raised by `full_clean()` and services) as a 400."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(validation_error_detail(exc))
    return drf_exception_handler(exc, context)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser that refuses, with a 400, bodies nested too deep and strings holding NUL.

    PostgreSQL cannot store NUL in text, and a deeply nested body would exhaust the recursion limit.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels.") from None
        check_json_value(data)
        return data


class MultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser that refuses, with a 400, a field name or value holding NUL.

    Django parses (and the NUL middleware checks) multipart bodies only for POST; DRF reads them for PUT and
    PATCH too. Uploaded files are left as they are: the API stores none as text.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        if any("\x00" in key or "\x00" in value for key, values in parsed.data.lists() for value in values):
            raise exceptions.ParseError("Text may not contain NUL characters.")
        return parsed


def check_json_value(value, depth: int = 0) -> None:
    """ParseError if `value` is nested deeper than MAX_JSON_DEPTH or holds a NUL character."""
    if depth > MAX_JSON_DEPTH:
        raise exceptions.ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels.")
    if isinstance(value, str):
        if "\x00" in value:
            raise exceptions.ParseError("Text may not contain NUL characters.")
    elif isinstance(value, dict):
        for key, item in value.items():
            check_json_value(key, depth + 1)
            check_json_value(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            check_json_value(item, depth + 1)
