"""``/api/cockpit/``: the cockpit figures as JSON, with the same filters as the page (domain, unit, period).

Every figure is ``{"value": …, "url": "/tasks/?…"}``: the link lists exactly what it counted. The
response is computed by ``cockpit.selectors.cockpit_payload`` (cached on the trace head, so an
unchanged programme answers in one query) plus what the user may do from the cockpit.
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role

from . import selectors


def actions_for(user: Any) -> dict[str, bool]:
    """What the user may do from the cockpit (批示: leaders; 督办: leaders and the office)."""
    return {"instruct": user.role == Role.LEADER, "notice": user.role in (Role.LEADER, Role.OFFICE)}


class CockpitView(APIView):
    """GET the cockpit figures; 403 for roles without a cockpit, 404 for a unit outside the user's subtree."""

    def get(self, request: Request) -> Response:
        payload = selectors.cockpit_payload(user=request.user, params=request.query_params)  # type: ignore[arg-type]
        response = Response({**payload, "actions": actions_for(request.user)})
        response["Cache-Control"] = "private, no-store"
        return response


class TaskSearchView(APIView):
    """GET ``?q=``: open tasks the user may see, for the cockpit's instruction and notice forms."""

    def get(self, request: Request) -> Response:
        selectors.require_cockpit_access(request.user)  # type: ignore[arg-type]
        text = (request.query_params.get("q") or "").strip()
        rows = selectors.task_search(user=request.user, text=text) if text else []  # type: ignore[arg-type]
        return Response({"results": rows})


urlpatterns = [
    path("", CockpitView.as_view(), name="cockpit-api"),
    path("tasks/", TaskSearchView.as_view(), name="cockpit-api-tasks"),
]
