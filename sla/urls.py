from django.urls import path

from . import views

# Months are plain strings here (checked by the views: a malformed one is a 404) so every route
# stays a simple `<str:…>` pattern; reverse them with `month_key(date)`, e.g. "2026-11".
app_name = "sla"
urlpatterns = [
    path("sla/", views.current_month, name="current"),
    path("sla/jobs/<str:task_id>/", views.sla_job, name="job"),
    path("sla/<str:month>/", views.SlaMonthView.as_view(), name="month"),
    path("sla/<str:month>/export.csv", views.sla_month_csv, name="csv"),
    # Before the drill-down, whose slug would otherwise swallow these two words.
    path("sla/<str:month>/sign-off/", views.SlaSignOffView.as_view(), name="sign-off"),
    path("sla/<str:month>/recompute/", views.SlaRecomputeView.as_view(), name="recompute"),
    path("sla/<str:month>/<slug:slug>/", views.SlaPipelineView.as_view(), name="pipeline"),
]
