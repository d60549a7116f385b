from django.shortcuts import render

from oncall.models import TeamMember
from pipelines.models import Pipeline


def home(request):
    """`/`: the day's overview."""
    member = TeamMember.objects.filter(user=request.user).first()
    return render(
        request,
        "portal/home.html",
        {
            "member": member,
            "pipelines": Pipeline.objects.with_runbook_relations(),
        },
    )
