from urllib.parse import unquote, unquote_to_bytes

from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequiredMiddleware
from django.http import HttpResponseBadRequest, JsonResponse

from oncall.history import change_source


class LoginRequiredMiddleware(DjangoLoginRequiredMiddleware):
    """Deny by default: every page needs a signed-in user.

    The API is left to DRF, whose default permission answers 401 (not a redirect)
    to requests without a session or token.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class RejectNulBytesMiddleware:
    """A NUL character in the path, the query or a form value gets a 400 before any view runs.

    PostgreSQL cannot store or even compare NUL in text, so such a value would otherwise end in a 500.
    The API's parsers check the bodies Django leaves unparsed: JSON (`portal.api.JSONParser`) and
    multipart bodies of a PUT or PATCH (`portal.api.MultiPartParser`).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self.has_nul(request):
            message = "Requests may not contain NUL characters."
            if request.path_info.startswith("/api/"):
                return JsonResponse({"detail": message}, status=400)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    @staticmethod
    def has_nul(request) -> bool:
        if "\x00" in request.path or "\x00" in unquote(request.META.get("QUERY_STRING", "")):
            return True
        if request.content_type == "application/x-www-form-urlencoded":
            return b"\x00" in unquote_to_bytes(request.body.replace(b"+", b" "))
        if request.content_type == "multipart/form-data" and request.method == "POST":
            return any("\x00" in key or "\x00" in value for key, values in request.POST.lists() for value in values)
        return False


def request_change_source(path: str) -> str:
    """Through what a request changes things, for the change log: the API, the admin or a page."""
    if path.startswith("/api/"):
        return "API"
    if path.startswith("/admin/"):
        return "admin"
    return "page"


class ChangeSourceMiddleware:
    """Label every change made while handling a request with where the request came in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with change_source(request_change_source(request.path_info)):
            return self.get_response(request)
