from __future__ import annotations

from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from synchrony.accounts.http import AuthedRequest
from synchrony.launches.models import Channel
from synchrony.projects.selectors import projects_for_user


@require_GET
def channel_list(request: AuthedRequest) -> HttpResponse:
    visible = projects_for_user(request.user)
    channels = Channel.objects.select_related("owner").annotate(
        my_projects=Count("projects", filter=Q(projects__in=visible), distinct=True)
    )
    return render(request, "launches/channel_list.html", {"channels": channels})
