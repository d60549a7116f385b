from django.urls import path

from . import views

app_name = "oncall"
urlpatterns = [
    path("oncall/", views.OnCallCalendarView.as_view(), name="calendar"),
    path("oncall/holidays/", views.HolidayMatrixView.as_view(), name="holidays"),
    path("oncall/members/<str:username>/offboard/", views.MemberOffboardView.as_view(), name="member-offboard"),
]
