from django.urls import path

from .views import SlaEscalationListView, SlaPolicyView, SlaReportListView

urlpatterns = [
    path("sla/", SlaReportListView.as_view(), name="sla-list"),
    path("sla/policy/", SlaPolicyView.as_view(), name="sla-policy"),
    path("sla/escalations/", SlaEscalationListView.as_view(), name="sla-escalation-list"),
]
