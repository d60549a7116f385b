from django.urls import path

from . import account_views, views

app_name = "oncall"
urlpatterns = [
    path("oncall/", views.OnCallCalendarView.as_view(), name="calendar"),
    path("oncall/my-feed-link/", views.MemberFeedResetView.as_view(), name="member-feed-reset"),
    path("oncall/rotations/<int:pk>/feed-link/", views.RotationFeedResetView.as_view(), name="rotation-feed-reset"),
    path("oncall/holidays/", views.HolidayMatrixView.as_view(), name="holidays"),
    path("oncall/members/<str:username>/offboard/", views.MemberOffboardView.as_view(), name="member-offboard"),
    path("oncall/members/<str:username>/invite/", account_views.MemberInviteView.as_view(), name="member-invite"),
    path("trades/", views.HolidayTradeListView.as_view(), name="trade-list"),
    path("trades/new/", views.HolidayTradeCreateView.as_view(), name="trade-new"),
    path("trades/<int:pk>/accept/", views.HolidayTradeAnswerView.as_view(action="accept"), name="trade-accept"),
    path("trades/<int:pk>/decline/", views.HolidayTradeAnswerView.as_view(action="decline"), name="trade-decline"),
    path("trades/<int:pk>/cancel/", views.HolidayTradeAnswerView.as_view(action="cancel"), name="trade-cancel"),
]
