from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import (
    AlertmanagerWebhookView,
    ChatChannelViewSet,
    CommunicationViewSet,
    IncidentViewSet,
)

router = SimpleRouter(use_regex_path=False)
router.register("incidents", IncidentViewSet, basename="incident")
router.register("communications", CommunicationViewSet, basename="communication")
router.register("channels", ChatChannelViewSet, basename="channel")

urlpatterns = [
    path("alerts/alertmanager/", AlertmanagerWebhookView.as_view(), name="alerts-alertmanager"),
    *router.urls,
]
