"""Web pages for tasks: thin views over ``web_selectors`` and the services.

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
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from orgs.models import OrgUnit
from reform.errors import ConflictError, InvalidTransition, NotFound, PermissionDenied, ValidationError
from reform.roles import UNIT_ROLES, Role

from . import forms, inbox, services, web_selectors
from .models import Domain, ExtensionRequest, Instruction, Notice, ProblemReport, Rag, Task
from .workflow import FINAL_STATUSES, Status

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


def _list_filters(request: HttpRequest, form: forms.TaskFilterForm) -> web_selectors.TaskListFilters:
    """The filters from the query string; fields that failed validation are left out."""
    data = (
        form.cleaned_data if form.is_valid() else {k: v for k, v in form.cleaned_data.items() if k not in form.errors}
    )
    user = request.user
    params = request.GET
    # A unit user sees their own unit's tasks by default; "mine=0" (or arriving with filters, as the
    # cockpit's links do) widens the list to everything they may see.
    if "mine" in params:
        mine = params.get("mine") == "1"
    else:
        mine = not any(params.get(k) for k in FILTER_KEYS)
    mine = mine and user.role in UNIT_ROLES and user.unit_id is not None
    unit = OrgUnit.objects.filter(pk=data["unit"]).first() if data.get("unit") else None
    extras = {k: params.get(k, "") for k in web_selectors.COCKPIT_EXTRA_FILTERS if params.get(k)}
    if params.get("instruction") and params.get("instruction") != "open":
        extras["instruction"] = params["instruction"]
    return web_selectors.TaskListFilters(
        status=data.get("status") or "",
        rag=data.get("rag") or "",
        domain=data.get("domain") or "",
        unit=unit,
        overdue=bool(data.get("overdue")),
        deadline_before=data.get("deadline_before"),
        deadline_after=data.get("deadline_after"),
        q=(data.get("q") or "").strip(),
        dimension=data.get("dimension") or "",
        leaf=bool(data.get("leaf")),
        notice_level=data.get("notice_level"),
        instruction="open" if params.get("instruction") == "open" else "",
        mine=mine,
        sort=data.get("sort") or "code",
        extras=extras,
    )


def _filter_units(user: Any) -> list[OrgUnit]:
    """Units offered in the unit filter: all for global roles, the user's subtree for unit users."""
    qs = OrgUnit.objects.only("pk", "name", "depth", "path").order_by("path")
    if user.role in UNIT_ROLES:
        return list(qs.filter(path__startswith=user.unit.path)) if user.unit_id else []
    return list(qs)


@login_required
@web_errors
def task_list_page(request: HttpRequest) -> HttpResponse:
    form = forms.TaskFilterForm(request.GET)
    form.is_valid()
    filters = _list_filters(request, form)
    page = web_selectors.task_list(user=request.user, filters=filters, after=request.GET.get("after", ""))
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
        sort_links.append({"value": value, "label": label, "url": f"?{q.urlencode()}", "active": filters.sort == value})
    return render(
        request,
        "tasks/list.html",
        {
            "page": page,
            "rows": page.rows,
            "form": form,
            "filters": filters,
            "next_url": next_url,
            "first_url": f"?{query.urlencode()}" if request.GET.get("after") else None,
            "sort_links": sort_links,
            "today": timezone.localdate(),
            "statuses": Status.choices,
            "rags": Rag.choices,
            "notice_levels": Notice.Level.choices,
            "domains": Domain.objects.all(),
            "units": _filter_units(request.user),
            "is_unit_user": request.user.role in UNIT_ROLES and request.user.unit_id is not None,
            "has_filters": any(request.GET.get(k) for k in FILTER_KEYS) or bool(filters.extras),
        },
    )


# --- Actions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionSpec:
    key: str
    label: Any
    form_class: type[Any]
    obj_kind: str = ""  # "" for task actions, else the supervision object it acts on
    style: str = ""  # "primary", "danger" or ""
    own_page: bool = False  # too big for an inline form: the button links to the action page
    done: Any = ""


ACTIONS: dict[str, ActionSpec] = {
    spec.key: spec
    for spec in (
        ActionSpec("accept", gettext_lazy("签收"), forms.AcceptForm, style="primary", done=gettext_lazy("已签收")),
        ActionSpec(
            "report",
            gettext_lazy("提交旬报"),
            forms.TenDayReportForm,
            own_page=True,
            style="primary",
            done=gettext_lazy("旬报已提交"),
        ),
        ActionSpec(
            "submit",
            gettext_lazy("报送办结"),
            forms.SubmitCompletionForm,
            style="primary",
            done=gettext_lazy("已报送办结，等待督查室审核"),
        ),
        ActionSpec(
            "answer-instruction",
            gettext_lazy("回复批示"),
            forms.InstructionAnswerForm,
            obj_kind="instruction",
            style="primary",
            done=gettext_lazy("批示回复已提交"),
        ),
        ActionSpec(
            "extension", gettext_lazy("申请延期"), forms.ExtensionRequestForm, done=gettext_lazy("延期申请已提交")
        ),
        ActionSpec("problem", gettext_lazy("反馈问题"), forms.ProblemReportForm, done=gettext_lazy("问题已反馈")),
        ActionSpec("assign", gettext_lazy("交办"), forms.AssignForm, style="primary", done=gettext_lazy("已交办")),
        ActionSpec(
            "approve",
            gettext_lazy("审核通过"),
            forms.ApproveForm,
            style="primary",
            done=gettext_lazy("已审核通过，等待评价"),
        ),
        ActionSpec(
            "correct",
            gettext_lazy("退回整改"),
            forms.RequestCorrectionForm,
            style="danger",
            done=gettext_lazy("已退回整改"),
        ),
        ActionSpec(
            "evaluate",
            gettext_lazy("评价"),
            forms.EvaluateForm,
            style="primary",
            own_page=True,
            done=gettext_lazy("评价完成，任务已办结"),
        ),
        ActionSpec(
            "instruct",
            gettext_lazy("批示"),
            forms.InstructionIssueForm,
            style="primary",
            done=gettext_lazy("批示已发出"),
        ),
        ActionSpec("notice", gettext_lazy("督办"), forms.NoticeIssueForm, done=gettext_lazy("督办通知已发出")),
        ActionSpec(
            "review-instruction",
            gettext_lazy("审核批示回复"),
            forms.ReviewForm,
            obj_kind="instruction",
            style="primary",
            done=gettext_lazy("批示回复已审核"),
        ),
        ActionSpec(
            "lift-notice",
            gettext_lazy("销号"),
            forms.NoticeLiftForm,
            obj_kind="notice",
            done=gettext_lazy("督办已销号"),
        ),
        ActionSpec(
            "decide-extension",
            gettext_lazy("审批延期"),
            forms.ReviewForm,
            obj_kind="extension",
            style="primary",
            done=gettext_lazy("延期申请已审批"),
        ),
        ActionSpec(
            "answer-problem",
            gettext_lazy("答复问题"),
            forms.ProblemAnswerForm,
            obj_kind="problem",
            style="primary",
            done=gettext_lazy("问题已答复"),
        ),
        ActionSpec("reopen", gettext_lazy("重新打开"), forms.ReasonForm, done=gettext_lazy("任务已重新打开")),
        ActionSpec("cancel", gettext_lazy("撤销"), forms.ReasonForm, style="danger", done=gettext_lazy("任务已撤销")),
    )
}
TRANSITION_KEYS = {
    "assign": "assign",
    "accept": "accept",
    "submit_completion": "submit",
    "request_correction": "correct",
    "approve": "approve",
    "evaluate": "evaluate",
    "reopen": "reopen",
    "cancel": "cancel",
}
OBJECT_MODELS = {
    "instruction": Instruction,
    "notice": Notice,
    "extension": ExtensionRequest,
    "problem": ProblemReport,
}


def task_actions_now(user: Any, page: web_selectors.TaskPage) -> list[str]:
    """The task-level actions this user may take on this task now (state, role and unit), in display order."""
    task = page.task
    role = user.role
    allowed = {TRANSITION_KEYS[name] for name in services.allowed_transitions(actor=user, task=task)}
    open_task = task.status not in FINAL_STATUSES
    if role in UNIT_ROLES and page.unit_role:
        if task.status in services.OPEN_FOR_FEEDBACK:
            allowed.add("report")
        started = open_task and task.status != Status.DRAFT
        if started:
            allowed.add("problem")
        if page.unit_role == "lead" and started and page.pending_extension is None:
            allowed.add("extension")
    if open_task and role == Role.LEADER:
        allowed.add("instruct")
    if open_task and role in (Role.LEADER, Role.OFFICE):
        allowed.add("notice")
    return [key for key in ACTIONS if key in allowed and not ACTIONS[key].obj_kind]


def object_actions_now(user: Any, kind: str, obj: Any) -> list[str]:
    """The actions this user may take now on one instruction, notice, extension request or problem report."""
    role = user.role
    keys = []
    if kind == "instruction":
        if obj.state in (Instruction.State.ISSUED, Instruction.State.RETURNED) and role in UNIT_ROLES and user.unit:
            if any(u.path.startswith(user.unit.path) for u in obj.target_units.all()):
                keys.append("answer-instruction")
        if obj.state == Instruction.State.ANSWERED and role in (Role.OFFICE, Role.LEADER):
            keys.append("review-instruction")
    elif kind == "notice":
        if obj.state == Notice.State.OPEN and role == Role.OFFICE:
            keys.append("lift-notice")
    elif kind == "extension":
        if obj.state == ExtensionRequest.State.PENDING and role == Role.OFFICE:
            keys.append("decide-extension")
    elif kind == "problem":
        if obj.state != ProblemReport.State.RESOLVED and role in (Role.OFFICE, Role.LEADER):
            keys.append("answer-problem")
    return keys


def build_form(
    spec: ActionSpec, page: web_selectors.TaskPage, obj: Any = None, data: Any = None, files: Any = None
) -> Any:
    """The action's form, bound to ``data`` when given, with ids unique on a page holding many forms."""
    task = page.task
    auto_id = f"{spec.key}-{obj.pk}-%s" if obj is not None else f"{spec.key}-%s"
    kwargs: dict[str, Any] = {"auto_id": auto_id, "initial": {"expected_status": task.status}}
    if spec.key == "submit":
        kwargs["correction"] = page.open_correction
    elif spec.key == "evaluate":
        kwargs["criteria"] = page.criteria
    elif spec.key == "report":
        kwargs.update(indicators=page.indicators, task=task)
    elif spec.key == "instruct":
        kwargs["units"] = [task.lead_unit, *task.cooperating_units.all()]
    elif spec.key == "review-instruction":
        kwargs.update(approve_label=_("已落实，确认"), reject_label=_("退回重办"))
    elif spec.key == "decide-extension":
        kwargs.update(approve_label=_("同意延期"), reject_label=_("驳回"))
    if data is not None:
        return spec.form_class(data, files, **kwargs)
    return spec.form_class(**kwargs)


def run_action(spec: ActionSpec, user: Any, task: Task, obj: Any, form: Any) -> None:
    """Call the one service behind the action with the form's cleaned data."""
    data = form.cleaned_data
    expected = data.get("expected_status") or None
    key = spec.key
    if key == "assign":
        services.task_assign(actor=user, task=task, comment=data["comment"], expected_status=expected)
    elif key == "accept":
        services.task_accept(actor=user, task=task, expected_status=expected)
    elif key == "submit":
        services.task_submit_completion(
            actor=user,
            task=task,
            summary=data["summary"],
            correction_answer=data.get("correction_answer", ""),
            expected_status=expected,
        )
    elif key == "correct":
        services.task_request_correction(
            actor=user, task=task, requirement=data["requirement"], due_date=data["due_date"], expected_status=expected
        )
    elif key == "approve":
        services.task_approve(actor=user, task=task, comment=data["comment"], expected_status=expected)
    elif key == "evaluate":
        services.task_evaluate(
            actor=user, task=task, scores=form.scores(), comment=data["comment"], expected_status=expected
        )
    elif key == "reopen":
        services.task_reopen(actor=user, task=task, reason=data["reason"], expected_status=expected)
    elif key == "cancel":
        services.task_cancel(actor=user, task=task, reason=data["reason"], expected_status=expected)
    elif key == "report":
        services.feedback_submit(
            actor=user,
            task=task,
            text=data["text"],
            progress=data["progress"],
            period_end=_date(data["period_end"]),
            indicator_values=form.indicator_values(),
            files=data["files"],
        )
    elif key == "extension":
        services.extension_request(
            actor=user, task=task, requested_deadline=data["requested_deadline"], reason=data["reason"]
        )
    elif key == "problem":
        services.problem_report(actor=user, task=task, text=data["text"])
    elif key == "instruct":
        services.instruction_issue(
            actor=user, task=task, text=data["text"], due_date=data["due_date"], target_units=form.chosen_units()
        )
    elif key == "notice":
        services.notice_issue(
            actor=user, task=task, level=data["level"], reason=data["reason"], deadline=data["deadline"]
        )
    elif key == "answer-instruction":
        services.instruction_answer(actor=user, instruction=obj, response=data["response"])
    elif key == "review-instruction":
        services.instruction_review(actor=user, instruction=obj, approve=form.approve, comment=data["comment"])
    elif key == "lift-notice":
        services.notice_lift(actor=user, notice=obj, comment=data["comment"])
    elif key == "decide-extension":
        services.extension_decide(actor=user, request=obj, approve=form.approve, comment=data["comment"])
    elif key == "answer-problem":
        services.problem_answer(actor=user, problem=obj, response=data["response"], resolve=data["resolve"])
    else:  # pragma: no cover - ACTIONS and this switch are kept in step by the tests
        raise Http404


def _date(value: str) -> Any:
    from datetime import date

    return date.fromisoformat(value)


def _field_map(spec: ActionSpec) -> Callable[[str], str]:
    if spec.key == "evaluate":
        return forms.EvaluateForm.field_for
    if spec.key == "decide-extension" or spec.key == "review-instruction":
        return lambda f: "comment" if f == "comment" else f
    return lambda f: f


def _object_of(page: web_selectors.TaskPage, kind: str, obj_id: int) -> Any:
    """The supervision object of this task (in any state, so a stale form gets the service's answer)."""
    model = OBJECT_MODELS[kind]
    related = ("target_units",) if kind == "instruction" else ()
    obj = model.objects.filter(pk=obj_id, task_id=page.task.pk).prefetch_related(*related).first()
    if obj is None:
        raise Http404(_("对象不存在或无权访问"))
    return obj


# --- Task page and action views -----------------------------------------------------------------


@login_required
@web_errors
def task_detail_page(request: HttpRequest, task_id: int) -> HttpResponse:
    page = web_selectors.task_page(user=request.user, task_id=task_id)
    return render(request, "tasks/detail.html", _detail_context(request, page))


def _detail_context(request: HttpRequest, page: web_selectors.TaskPage) -> dict[str, Any]:
    user = request.user
    task_actions = []
    for key in task_actions_now(user, page):
        spec = ACTIONS[key]
        task_actions.append({"spec": spec, "form": None if spec.own_page else build_form(spec, page)})
    object_forms: dict[str, list[dict[str, Any]]] = {}
    for kind, objects in (
        ("instruction", page.instructions),
        ("notice", page.notices),
        ("extension", page.extensions),
        ("problem", page.problems),
    ):
        for obj in objects:
            entries = [
                {"spec": ACTIONS[key], "form": build_form(ACTIONS[key], page, obj)}
                for key in object_actions_now(user, kind, obj)
            ]
            object_forms[f"{kind}-{obj.pk}"] = entries
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
    spec = ACTIONS.get(key)
    if spec is None or bool(spec.obj_kind) != (obj_id is not None):
        raise Http404
    user = request.user
    page = web_selectors.task_page(user=user, task_id=task_id)
    obj = _object_of(page, spec.obj_kind, obj_id) if obj_id is not None else None
    if request.method == "POST":
        form = build_form(spec, page, obj, request.POST, request.FILES)
        if form.is_valid():
            try:
                run_action(spec, user, page.task, obj, form)
            except ValidationError as exc:
                apply_errors(form, exc, _field_map(spec))
            else:
                messages.success(request, str(spec.done))
                return redirect("task-detail", page.task.pk)
        return render(request, "tasks/action.html", _action_context(page, spec, obj, form), status=400)
    available = object_actions_now(user, spec.obj_kind, obj) if obj is not None else task_actions_now(user, page)
    if key not in available:
        messages.info(
            request,
            _("当前不能%(action)s：任务状态为“%(state)s”，或您的角色、单位无此权限")
            % {"action": spec.label, "state": page.task.status_label},
        )
        return redirect("task-detail", page.task.pk)
    form = build_form(spec, page, obj)
    return render(request, "tasks/action.html", _action_context(page, spec, obj, form))


def _action_context(page: web_selectors.TaskPage, spec: ActionSpec, obj: Any, form: Any) -> dict[str, Any]:
    return {
        "page": page,
        "t": page.task,
        "spec": spec,
        "obj": obj,
        "form": form,
        "today": timezone.localdate(),
        "multipart": spec.key == "report",
        "max_upload_mb": settings.ATTACHMENT_MAX_BYTES // 2**20,
        "max_upload_bytes": settings.ATTACHMENT_MAX_BYTES,
    }


# --- Notifications ------------------------------------------------------------------------------


@login_required
def notifications_page(request: HttpRequest) -> HttpResponse:
    before = request.GET.get("before", "")
    unread_only = request.GET.get("unread") == "1"
    page = inbox.notification_list(
        user=request.user, before=int(before) if before.isdigit() else None, unread_only=unread_only
    )
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
        changed = inbox.notification_mark_read(actor=request.user, notification_id=notification_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if request.headers.get("HX-Request") and notification_id is not None:
        page_row = inbox.Notification.objects.filter(recipient=request.user, pk=notification_id).first()
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
    row = inbox.Notification.objects.filter(recipient=request.user, pk=notification_id).first()
    if row is None:
        raise Http404(_("消息不存在"))
    inbox.notification_mark_read(actor=request.user, notification_id=row.pk)
    link = row.link or (f"/tasks/{row.task_id}/" if row.task_id else "/notifications/")
    if not url_has_allowed_host_and_scheme(link, {request.get_host()}):
        link = "/notifications/"
    return redirect(link)


@login_required
def inbox_badge(request: HttpRequest) -> HttpResponse:
    """The nav badge alone, for htmx to refresh after marking read."""
    return render(request, "tasks/_badge.html")
