from rest_framework.routers import SimpleRouter

from .views import ChatChannelViewSet, CommunicationViewSet, IncidentViewSet, NotificationViewSet

router = SimpleRouter(use_regex_path=False)
router.register("incidents", IncidentViewSet, basename="incident")
router.register("communications", CommunicationViewSet, basename="communication")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("channels", ChatChannelViewSet, basename="channel")

urlpatterns = router.urls
