from rest_framework.routers import SimpleRouter

from .views import TeamMemberViewSet

router = SimpleRouter(use_regex_path=False)
router.register("members", TeamMemberViewSet, basename="member")

urlpatterns = router.urls
