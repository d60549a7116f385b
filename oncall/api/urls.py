from rest_framework.routers import SimpleRouter

from .history import ChangeViewSet
from .notifications import NotificationViewSet
from .views import (
    HolidayTradeViewSet,
    HolidayViewSet,
    OnCallNowViewSet,
    RotationViewSet,
    ShiftViewSet,
    TeamMemberViewSet,
)

router = SimpleRouter(use_regex_path=False)
router.register("members", TeamMemberViewSet, basename="member")
router.register("rotations", RotationViewSet, basename="rotation")
router.register("shifts", ShiftViewSet, basename="shift")
router.register("oncall/now", OnCallNowViewSet, basename="oncall-now")
router.register("holidays", HolidayViewSet, basename="holiday")
router.register("trades", HolidayTradeViewSet, basename="trade")
router.register("changes", ChangeViewSet, basename="change")
router.register("notifications", NotificationViewSet, basename="notification")

urlpatterns = router.urls
