from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequiredMiddleware

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
