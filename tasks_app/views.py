"""Web pages for tasks: thin views over the selectors and the action registry.

Each action is one POST to its own view, which calls one service with the state the user saw
(``expected_status``). Domain errors become web answers in one place, :func:`web_errors`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cockpit import drilldown
from cockpit import services as cockpit_services
from reform.errors import ConflictError, InvalidTransition, NotFound, PermissionDenied, ValidationError
from reform.params import parse_id
from reform.roles import Role

from . import access, actions, forms, selectors, services
from .actions import Action
from .models import Notice, Rag
from .selectors import inbox
from .selectors.programmes import all_programmes, home_programme
from .selectors.task_page import TaskPage, attachment_for, page_object, task_page
from .workflow import Status

# --- Domain errors on the web -------------------------------------------------------------------


def web_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Turn domain errors into web answers: 404 and 403 pages, or a message above the fresh task page.

    - ``NotFound`` → the 404 page (a task outside the user's scope looks exactly like a missing one);
    - ``PermissionDenied`` → the 403 page with the service's Chinese reason;
    - ``InvalidTransition`` / ``ConflictError`` (someone else acted first) and any ``ValidationError``
      a view did not show next to its fields → 「操作未成功：…」 and back to the task, which shows
      the state as it is now.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(exc.message) from exc
        except (InvalidTransition, ConflictError, ValidationError) as exc:
            messages.error(request, _("操作未成功：%(reason)s") % {"reason": exc.message})
            task_id = kwargs.get("task_id")
            return redirect("task-detail", task_id) if task_id else redirect(_safe_back(request, "/tasks/"))

    return wrapper


def _safe_back(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or request.headers.get("referer") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def apply_errors(form: Any, exc: ValidationError, field_map: Callable[[str], str] = lambda f: f) -> None:
    """Show a service's ValidationError on the form: next to each named field, else above the form."""
    placed = False
    for service_field, problems in exc.fields.items():
        name = field_map(service_field)
        if name in form.fields:
            # The service's own sentence says what is wrong; the short per-field word is a fallback.
            form.add_error(name, exc.message if len(exc.fields) == 1 else "；".join(problems))
            placed = True
    if not placed:
        form.add_error(None, exc.message)


# --- Home, list ---------------------------------------------------------------------------------


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect("/cockpit/" if request.user.role == Role.LEADER else "/tasks/")


FILTER_KEYS = (
    "status",
    "rag",
    "domain",
    "unit",
    "overdue",
    "deadline_before",
    "deadline_after",
    "q",
    "dimension",
    "leaf",
    "notice_level",
    "instruction",
)
# Conditions only the cockpit's links carry: kept as hidden fields and shown as chips above the list.
LINK_KEYS = (
    "lead",
    "lead_exact",
    "open",
    "cancelled",
    "closed",
    "closed_after",
    "closed_before",
    "instructed",
    "instruction_after",
    "instruction_before",
    *drilldown.EXTRA_KEYS,
)


@dataclass(frozen=True)
class ListState:
    """What the list page shows of its filters: the form's values, the kept link conditions, the sort."""

    values: dict[str, Any]
    mine: bool
    sort: str
    extras: dict[str, str]

    def __getattr__(self, name: str) -> Any:
        return self.values.get(name)


def _mine(request: HttpRequest) -> bool:
    """A unit user sees their own unit's tasks by default; ``mine=0`` (or arriving with filters, as the
    cockpit's links do) widens the list to everything they may see."""
    params = request.GET
    mine = params.get("mine") == "1" if "mine" in params else not any(params.get(k) for k in (*FILTER_KEYS, *LINK_KEYS))
    return mine and access.unit_of(request.user) is not None


@login_required
@web_errors
def task_list_page(request: HttpRequest) -> HttpResponse:
    form = forms.TaskFilterForm(request.GET)
    values = form.valid_data()
    mine = _mine(request)
    filters = form.task_filters(mine=access.unit_of(request.user) if mine else None)
    programmes = all_programmes()
    tasks = selectors.task_queryset(user=request.user, filters=filters)
    link = {k: request.GET[k] for k in drilldown.EXTRA_KEYS if request.GET.get(k)}
    if drilldown.needs_rollups(link):
        cockpit_services.rollup_sync()  # the indicator buckets are read from the roll-ups
    if link:
        tasks = drilldown.narrow(tasks, link)
    sort = values.get("sort") or "code"
    page = selectors.task_list_page(tasks=tasks, sort=sort, after=request.GET.get("after", ""))
    state = ListState(
        values=values,
        mine=mine,
        sort=sort,
        extras={k: request.GET[k] for k in LINK_KEYS if request.GET.get(k)},
    )
    query = request.GET.copy()
    query.pop("after", None)
    next_url = None
    if page.next_cursor:
        query["after"] = page.next_cursor
        next_url = f"?{query.urlencode()}"
    query.pop("after", None)
    sort_links = []
    for value, label in forms.TaskFilterForm.SORT_CHOICES:
        q = query.copy()
        q["sort"] = value
        sort_links.append({"value": value, "label": label, "url": f"?{q.urlencode()}", "active": sort == value})
    return render(
        request,
        "tasks/list.html",
        {
            "page": page,
            "rows": page.rows,
            "reasons": access.visible_reasons(request.user, page.rows),
            "form": form,
            "filters": state,
            "next_url": next_url,
            "first_url": f"?{query.urlencode()}" if request.GET.get("after") else None,
            "sort_links": sort_links,
            "today": timezone.localdate(),
            "statuses": Status.choices,
            "rags": Rag.choices,
            "notice_levels": Notice.Level.choices,
            "domains": (filters.programme or home_programme(request.user, programmes)).domains.order_by("order"),
            "programme": filters.programme,
            "programmes": programmes if len(programmes) > 1 else [],
            "units": selectors.filter_units(request.user),
            "is_unit_user": access.unit_of(request.user) is not None,
            "has_filters": any(request.GET.get(k) for k in FILTER_KEYS) or bool(state.extras),
        },
    )


# --- Actions ------------------------------------------------------------------------------------


def build_form(
    action: Action, page: TaskPage, obj: Any = None, data: Any = None, files: Any = None, *, user: Any = None
) -> Any:
    """The action's form, bound to ``data`` when given, with ids unique on a page holding many forms."""
    auto_id = f"{action.key}-{obj.pk}-%s" if obj is not None else f"{action.key}-%s"
    kwargs: dict[str, Any] = {
        "auto_id": auto_id,
        "initial": {"expected_status": page.task.status},
        "page": page,
        "obj": obj,
        "user": user,
    }
    if data is not None:
        return action.form(data, files, **kwargs)
    return action.form(**kwargs)


# --- Task page and action views -----------------------------------------------------------------


@login_required
@web_errors
def task_detail_page(request: HttpRequest, task_id: int) -> HttpResponse:
    page = task_page(user=request.user, task_id=task_id)
    return render(request, "tasks/detail.html", _detail_context(request, page))


def _detail_context(request: HttpRequest, page: TaskPage) -> dict[str, Any]:
    user = request.user
    task_actions = [
        {"spec": action, "form": None if action.own_page else build_form(action, page, user=user)}
        for action in actions.task_actions(user, page.task)
    ]
    object_forms: dict[str, list[dict[str, Any]]] = {}
    for kind, objects in (
        ("instruction", page.instructions),
        ("notice", page.notices),
        ("extension", page.extensions),
        ("problem", page.problems),
        ("share", page.shares),
    ):
        for obj in objects:
            object_forms[f"{kind}-{obj.pk}"] = [
                {"spec": action, "form": build_form(action, page, obj, user=user)}
                for action in actions.object_actions(user, obj)
            ]
    return {
        "page": page,
        "t": page.task,
        "today": timezone.localdate(),
        "task_actions": task_actions,
        "object_forms": object_forms,
    }


@login_required
@web_errors
@require_http_methods(["GET", "POST"])
def task_action(request: HttpRequest, task_id: int, key: str, obj_id: int | None = None) -> HttpResponse:
    """One action on one task (or on one of its supervision objects): GET shows the form, POST runs it."""
    action = actions.ACTIONS.get(key)
    if action is None or bool(action.obj_kind) != (obj_id is not None):
        raise Http404
    user = request.user
    page = task_page(user=user, task_id=task_id)
    obj = page_object(page, action.model, obj_id) if obj_id is not None else None
    target = obj if obj is not None else page.task
    if request.method == "POST":
        # The same order as the API: scope (404, above), role and unit (403), then the input (400).
        action.rule.check_role(user)
        action.rule.check_relation(user, target)
        form = build_form(action, page, obj, request.POST, request.FILES, user=user)
        if form.is_valid():
            try:
                action.run(actor=user, target=target, **form.action_kwargs())
            except ValidationError as exc:
                apply_errors(form, exc, form.field_for)
            else:
                messages.success(request, str(action.done))
                return redirect("task-detail", page.task.pk)
        return render(request, "tasks/action.html", _action_context(page, action, obj, form), status=400)
    if not action.offered(user, target):
        messages.info(
            request,
            _("当前不能%(action)s：任务状态为“%(state)s”，或您的角色、单位无此权限")
            % {"action": action.label, "state": page.task.status_label},
        )
        return redirect("task-detail", page.task.pk)
    form = build_form(action, page, obj, user=user)
    return render(request, "tasks/action.html", _action_context(page, action, obj, form))


def _action_context(page: TaskPage, action: Action, obj: Any, form: Any) -> dict[str, Any]:
    return {
        "page": page,
        "t": page.task,
        "spec": action,
        "obj": obj,
        "form": form,
        "today": timezone.localdate(),
        "multipart": action.key == "report_progress",
        "max_upload_mb": settings.ATTACHMENT_MAX_BYTES // 2**20,
        "max_upload_bytes": settings.ATTACHMENT_MAX_BYTES,
    }


# --- Notifications ------------------------------------------------------------------------------


@login_required
def notifications_page(request: HttpRequest) -> HttpResponse:
    try:
        before = parse_id(request.GET.get("before"), "before")
    except ValidationError:
        before = None  # a cursor that is not one: the first page
    unread_only = request.GET.get("unread") == "1"
    page = inbox.notification_list(user=request.user, before=before, unread_only=unread_only)
    query = request.GET.copy()
    next_url = None
    if page.next_cursor:
        query["before"] = page.next_cursor
        next_url = f"?{query.urlencode()}"
    return render(
        request,
        "tasks/notifications.html",
        {"page": page, "next_url": next_url, "unread_only": unread_only},
    )


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int | None = None) -> HttpResponse:
    """Mark one notification (or all) read; htmx gets the updated item back, others a redirect.

    Another user's notification answers 404, like a missing one (and like the API).
    """
    try:
        changed = services.notification_mark_read(actor=request.user, notification_id=notification_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if request.headers.get("HX-Request") and notification_id is not None:
        page_row = inbox.notification_of(request.user, notification_id)
        if page_row is None:
            raise Http404
        response = render(request, "tasks/_notification.html", {"n": page_row})
        response["HX-Trigger"] = "inbox-changed"
        return response
    if notification_id is None:
        messages.success(request, _("已将 %(n)d 条消息标为已读") % {"n": changed})
    return redirect(_safe_back(request, "/notifications/"))


@login_required
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Follow a notification's link and mark it read."""
    row = inbox.notification_of(request.user, notification_id)
    if row is None:
        raise Http404(_("消息不存在"))
    services.notification_mark_read(actor=request.user, notification_id=row.pk)
    link = row.link or (f"/tasks/{row.task_id}/" if row.task_id else "/notifications/")
    if not url_has_allowed_host_and_scheme(link, {request.get_host()}):
        link = "/notifications/"
    return redirect(link)


@login_required
def inbox_badge(request: HttpRequest) -> HttpResponse:
    """The nav badge alone, for htmx to refresh after marking read."""
    return render(request, "tasks/_badge.html")


# --- Attachments ----------------------------------------------------------------------------------


@login_required
def attachment_download(request: HttpRequest, attachment_id: int) -> FileResponse:
    """Serve a file only to users who may see its task; everyone else gets 404."""
    attachment = attachment_for(user=request.user, attachment_id=attachment_id)
    if attachment is None:
        raise Http404(_("附件不存在或无权访问"))
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("附件不存在或无权访问")) from exc
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # Should a browser render it anyway, nothing in it may run or load anything.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
