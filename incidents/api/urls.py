from rest_framework.routers import SimpleRouter

from .views import CommunicationViewSet, IncidentViewSet, NotificationViewSet

router = SimpleRouter(use_regex_path=False)
router.register("incidents", IncidentViewSet, basename="incident")
router.register("communications", CommunicationViewSet, basename="communication")
router.register("notifications", NotificationViewSet, basename="notification")

urlpatterns = router.urls
