from django.urls import path

from . import views

app_name = "pipelines"
urlpatterns = [
    path("runbooks/", views.RunbookListView.as_view(), name="runbook-list"),
    path("runbooks/<slug:slug>/", views.RunbookDetailView.as_view(), name="runbook-detail"),
    path("runbooks/<slug:slug>/edit/", views.RunbookEditView.as_view(), name="runbook-edit"),
    path("team/", views.TeamView.as_view(), name="team"),
]
