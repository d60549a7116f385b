from django.urls import path

from . import ack_views, views

app_name = "incidents"
urlpatterns = [
    path("incidents/", views.IncidentListView.as_view(), name="incident-list"),
    path("incidents/new/", views.IncidentCreateView.as_view(), name="incident-new"),
    path("incidents/<int:pk>/", views.IncidentDetailView.as_view(), name="incident-detail"),
    path("incidents/ack/<str:token>/", ack_views.AcknowledgeLinkView.as_view(), name="acknowledge-link"),
    path(
        "incidents/<int:pk>/acknowledge/",
        views.IncidentStepView.as_view(step="acknowledge"),
        name="incident-acknowledge",
    ),
    path("incidents/<int:pk>/mitigate/", views.IncidentStepView.as_view(step="mitigate"), name="incident-mitigate"),
    path("incidents/<int:pk>/resolve/", views.IncidentStepView.as_view(step="resolve"), name="incident-resolve"),
    path("incidents/<int:pk>/notes/", views.IncidentNoteView.as_view(), name="incident-note"),
    path(
        "incidents/<int:pk>/communications/",
        views.CommunicationCreateView.as_view(),
        name="incident-communication",
    ),
]
