"""The leadership cockpit (驾驶舱) page and the leader actions taken from it: thin views.

The page renders the headline figures and lists on the server (so the first paint is the data), and
hands the same JSON to ``static/cockpit/cockpit.js`` through ``json_script``, which draws the charts
and refreshes everything from ``/api/cockpit/`` (default every 60 s). No inline script or style.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from orgs.models import OrgUnit
from reform.errors import DomainError, NotFound, PermissionDenied, ValidationError
from reform.params import MAX_ID, clamp_int
from reform.roles import Role
from tasks_app import services as task_services
from tasks_app.access import access_task
from tasks_app.models import Notice

from . import services
from .filters import actions_for

DEFAULT_REFRESH_SECONDS = 60
MIN_REFRESH_SECONDS = 10


def _refresh_seconds(raw: str | None) -> int:
    return clamp_int(raw, default=DEFAULT_REFRESH_SECONDS, minimum=MIN_REFRESH_SECONDS, maximum=3600)


@login_required
def cockpit_page(request: HttpRequest) -> HttpResponse:
    """一屏掌控: leaders, the office and auditors see everything; a unit admin sees the unit's subtree."""
    user: Any = request.user
    if user.role == Role.UNIT_HANDLER:
        messages.info(request, _("驾驶舱面向领导、督查室和单位管理员；请在任务清单中办理本单位事项"))
        return redirect("/tasks/")
    try:
        payload = services.cockpit_figures(user=user, params=request.GET)
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from exc
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except ValidationError as exc:
        messages.error(request, exc.message)
        return redirect("cockpit:page")
    screen = request.GET.get("mode") == "screen"
    refresh = _refresh_seconds(request.GET.get("refresh"))
    query = {k: v for k, v in payload["filters"].items()}
    ancestors = payload["scope"]["ancestors"]
    if user.role == Role.UNIT_ADMIN and user.unit is not None:  # nothing above the user's own unit
        ids = [a["id"] for a in ancestors]
        ancestors = ancestors[ids.index(user.unit.pk) :] if user.unit.pk in ids else []
    screen_query = urlencode({**query, "mode": "screen"})
    normal_query = urlencode(query)
    return render(
        request,
        "cockpit/page.html",
        {
            "p": payload,
            "ancestors": ancestors,
            "screen": screen,
            "screen_url": f"?{screen_query}",
            "normal_url": f"?{normal_query}",
            "options": {
                "api": "/api/cockpit/",
                "search": "/api/cockpit/tasks/",
                "refresh": refresh,
                "mode": "screen" if screen else "normal",
            },
            "actions": actions_for(user),
            "levels": Notice.Level.choices,
            "today": timezone.localdate(),
            "next_url": request.get_full_path(),
        },
    )


class InstructionForm(forms.Form):
    task = forms.IntegerField(
        label=gettext_lazy("任务"),
        min_value=1,
        max_value=MAX_ID,
        error_messages={"required": gettext_lazy("请选择任务")},
    )
    text = forms.CharField(label=gettext_lazy("批示内容"), max_length=2000)
    due_date = forms.DateField(label=gettext_lazy("回复时限"))
    target_unit = forms.IntegerField(label=gettext_lazy("承办单位"), required=False, min_value=1, max_value=MAX_ID)


class NoticeForm(forms.Form):
    task = forms.IntegerField(
        label=gettext_lazy("任务"),
        min_value=1,
        max_value=MAX_ID,
        error_messages={"required": gettext_lazy("请选择任务")},
    )
    level = forms.TypedChoiceField(label=gettext_lazy("督办等级"), choices=Notice.Level.choices, coerce=int)
    reason = forms.CharField(label=gettext_lazy("督办事由"), max_length=2000)
    deadline = forms.DateField(label=gettext_lazy("办理时限"), required=False)


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next") or ""
    return target if target.startswith("/cockpit/") and "//" not in target else "/cockpit/"


def _form_error(request: HttpRequest, form: forms.Form) -> HttpResponse:
    text = "；".join(f"{form.fields[name].label}：{'，'.join(errs)}" for name, errs in form.errors.items())
    messages.error(request, _("操作未成功：%(reason)s") % {"reason": text})
    return redirect(_back(request))


@login_required
@require_POST
def instruct(request: HttpRequest) -> HttpResponse:
    """批示 from the cockpit: ``tasks_app.services.instruction_issue`` (leaders only)."""
    form = InstructionForm(request.POST)
    if not form.is_valid():
        return _form_error(request, form)
    data = form.cleaned_data
    try:
        task = access_task(request.user, data["task"])  # type: ignore[arg-type]
        units = None
        if data["target_unit"]:
            unit = OrgUnit.objects.filter(pk=data["target_unit"]).first()
            if unit is None:
                raise ValidationError(_("承办单位不存在"), fields={"target_unit": [_("无效")]})
            units = [unit]
        instruction = task_services.instruction_issue(
            actor=request.user,  # type: ignore[arg-type]
            task=task,
            text=data["text"],
            due_date=data["due_date"],
            target_units=units,
        )
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from exc
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        messages.error(request, _("操作未成功：%(reason)s") % {"reason": exc.message})
        return redirect(_back(request))
    names = "、".join(u.name for u in instruction.target_units.all())
    messages.success(
        request,
        _("已对“%(code)s %(title)s”作出批示，请%(units)s于 %(due)s 前回复")
        % {"code": task.code, "title": task.title, "units": names, "due": data["due_date"].isoformat()},
    )
    return redirect(_back(request))


@login_required
@require_POST
def supervise(request: HttpRequest) -> HttpResponse:
    """督办 from the cockpit: ``tasks_app.services.notice_issue`` (leaders and the office)."""
    form = NoticeForm(request.POST)
    if not form.is_valid():
        return _form_error(request, form)
    data = form.cleaned_data
    try:
        task = access_task(request.user, data["task"])  # type: ignore[arg-type]
        notice = task_services.notice_issue(
            actor=request.user,  # type: ignore[arg-type]
            task=task,
            level=data["level"],
            reason=data["reason"],
            deadline=data["deadline"],
        )
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from exc
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        messages.error(request, _("操作未成功：%(reason)s") % {"reason": exc.message})
        return redirect(_back(request))
    messages.success(
        request,
        _("已对“%(code)s %(title)s”发出%(level)s")
        % {"code": task.code, "title": task.title, "level": notice.get_level_display()},
    )
    return redirect(_back(request))
