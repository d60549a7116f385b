from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import views

api_patterns = [
    path("auth/token/", views.TokenExchangeView.as_view(), name="token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: the Content-Security-Policy allows no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("", include("oncall.api.urls")),
    path("", include("pipelines.api.urls")),
    path("", include("incidents.api.urls")),
    path("", include("sla.api.urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("", include("oncall.account_urls")),
    path("admin/", admin.site.urls),
    path("api/", include((api_patterns, "api"))),
    path("", include("oncall.urls")),
    path("", include("oncall.feed_urls")),
    path("runbooks/plan.md", views.runbook_export, name="runbook-export"),
    path("", include("pipelines.urls")),
    path("", include("incidents.urls")),
    path("", include("sla.urls")),
]
