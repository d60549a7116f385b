from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token

from . import views

api_patterns = [
    path("auth/token/", obtain_auth_token, name="token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("", include("oncall.api.urls")),
    path("", include("pipelines.api.urls")),
    path("", include("incidents.api.urls")),
    path("", include("incidents.api.sla_urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", include((api_patterns, "api"))),
    path("", include("oncall.urls")),
    path("", include("oncall.feed_urls")),
    path("runbooks/plan.md", views.runbook_export, name="runbook-export"),
    path("", include("pipelines.urls")),
    path("", include("incidents.urls")),
    path("", include("incidents.sla_urls")),
]
