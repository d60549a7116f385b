"""Token-protected iCalendar feeds: the only on-call URLs that need no sign-in."""

from django.urls import path

from . import feeds

app_name = "feeds"
urlpatterns = [
    path("oncall/feeds/member/<str:token>.ics", feeds.member_feed, name="member-feed"),
    path("oncall/feeds/rotation/<str:token>.ics", feeds.rotation_feed, name="rotation-feed"),
]
