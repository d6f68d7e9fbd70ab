"""Authorization matrix (issue #7): every actor × every page and API endpoint × an own and a foreign object.

The product rule, checked cell by cell:

- anonymous: a page redirects to the login page; the API answers 401 (token authentication first);
- an object outside the actor's unit subtree answers 404, exactly like a missing one;
- a visible object but an action the role may never take answers 403;
- otherwise the action runs (2xx, or the success redirect of a web form).

Each row names the roles that may act; the expected outcome of every cell follows from that and the
rule above, and the few cells that answer differently say so in ``cells`` with the reason. The table
is keyed by route name and method; :func:`test_every_route_is_in_the_table` walks the URL resolver so
a new endpoint (or a new web action key, or a new method on an API view) fails until it has a row.

Workflow transitions as *services* are covered by ``tests/tasks_app/test_workflow.py`` (every
transition × seven actors); here they appear as API endpoints and web actions. The non-transition
services have their own table in ``test_authorization_services.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.messages import constants as message_levels
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.views import APIView

from reform.roles import Role
from tasks_app.actions import ACTIONS
from tasks_app.bootstrap import ensure_reference_data
from tasks_app.forms import period_of
from tests.accounts.authz_world import (
    ACTORS,
    ANONYMOUS,
    DISTRICT,
    DISTRICT_SUPERVISORS,
    FOREIGN,
    OWN,
    ROLE_OF,
    SIDES,
    World,
    build_world,
    sees,
)
from tests.tasks_app.tasklist_helpers import workbook_bytes

# Outcomes that are not a bare status code.
LOGIN = "login"  # 302 to the login page
DONE = "done"  # 302 with a success message: the web action ran
REFUSED = "refused"  # 302 with an error message: past the permission checks, refused by the object's state
UNAVAILABLE = "unavailable"  # 302 with only an info note, e.g. the GET of a web action the user cannot take now

ANYONE = None  # any authenticated role
UNIT = frozenset({Role.UNIT_ADMIN, Role.UNIT_HANDLER})
OFFICE = frozenset({Role.OFFICE})
LEADER = frozenset({Role.LEADER})
OFFICE_LEADER = frozenset({Role.OFFICE, Role.LEADER})
COCKPIT = frozenset({Role.LEADER, Role.OFFICE, Role.AUDITOR, Role.UNIT_ADMIN})
REPORT_READERS = frozenset({Role.LEADER, Role.OFFICE, Role.AUDITOR, Role.UNIT_ADMIN})
ACCOUNT_MANAGERS = frozenset({Role.OFFICE, Role.UNIT_ADMIN})
NO_ACCOUNTS = ("dsj_handler", "outsider", "dcq_leader", "street_handler", "fenguan")  # manage no accounts
SIDE_ACCOUNT = {OWN: "dsj_handler", FOREIGN: "outsider", DISTRICT: "street_handler"}  # an account per side

# Scopes: how "own" and "foreign" are decided for a row.
TASK = "task"  # the object hangs off a task: unit-subtree visibility
RECIPIENT = "recipient"  # own = addressed to the actor, foreign = addressed to someone else
NONE = "none"  # no object: one cell per actor

SKIPPED_PREFIXES = ("admin/", "i18n/")  # Django's own admin (its own permission system) and set_language


def today():
    return timezone.localdate()


@dataclass(frozen=True)
class Row:
    """One route and method: how to call it, who may act, and what "allowed" answers."""

    path: Callable[[World, str, str], str]  # (world, actor, side) -> URL
    ok: int | str  # the answer when the actor may act
    roles: frozenset[str] | None = ANYONE
    scope: str = TASK
    data: Callable[[World, str, str], dict[str, Any]] | None = None
    multipart: bool = False
    public: bool = False  # no login needed: anonymous is treated like any other actor
    denied: int | str = 403  # the answer to a visible object and a role that may not act
    cells: dict[tuple[str, str], int | str] = field(default_factory=dict)  # (actor, side) -> outcome

    @property
    def api(self) -> bool:
        return False  # set per table below through ApiRow

    def expected(self, actor: str, side: str) -> int | str:
        if (actor, side) in self.cells:
            return self.cells[(actor, side)]
        if actor == ANONYMOUS and not self.public:
            return 401 if self.api else LOGIN
        if self.scope == TASK and not sees(actor, side):
            return 404
        if self.scope == RECIPIENT and side != OWN:
            return 404
        if self.roles is not None and ROLE_OF[actor] not in self.roles:
            return self.denied
        return self.ok


@dataclass(frozen=True)
class ApiRow(Row):
    @property
    def api(self) -> bool:
        return True


def for_all(side_cells: dict[str, int | str], actors: tuple[str, ...] = ACTORS) -> dict[tuple[str, str], int | str]:
    return {(a, s): v for a in actors for s, v in side_cells.items()}


def task_url(fmt: str) -> Callable[[World, str, str], str]:
    return lambda w, a, s: fmt.format(id=w.side(s).task)


def obj_url(fmt: str, attr: str) -> Callable[[World, str, str], str]:
    return lambda w, a, s: fmt.format(id=getattr(w.side(s), attr))


def fixed(url: str) -> Callable[[World, str, str], str]:
    return lambda w, a, s: url


def notification_url(fmt: str) -> Callable[[World, str, str], str]:
    def build(w: World, actor: str, side: str) -> str:
        pk = w.notifications.get(actor, w.stranger_notification) if side == OWN else w.stranger_notification
        return fmt.format(id=pk)

    return build


def const(data: dict[str, Any]) -> Callable[[World, str, str], dict[str, Any]]:
    return lambda w, a, s: data


def last_month_end():
    return today().replace(day=1) - timedelta(days=1)


def measurements_csv(w: World, actor: str, side: str) -> dict[str, Any]:
    from tasks_app.models import Task

    code = Task.objects.get(pk=w.side(OWN).task).code
    content = f"任务编号,指标名称,期间,数值\n{code},一网通办率,{last_month_end():%Y-%m},61\n".encode()
    return {"file": SimpleUploadedFile("指标.csv", content, "text/csv"), "dry_run": "true"}


TASK_HEADER = ["编号", "任务名称", "领域", "维度", "牵头单位", "配合单位", "责任人", "开始日期", "完成时限", "权重"]


def tasklist_xlsx(w: World, actor: str, side: str) -> dict[str, Any]:
    rows = [TASK_HEADER, ["77", "矩阵测试任务", "数字经济", "治理", "市大数据局", "", "", "", "2026年底", 1]]
    data = workbook_bytes({"任务清单": rows})
    return {"file": SimpleUploadedFile("清单.xlsx", data, "application/octet-stream"), "dry_run": "true"}


TRANSITION_DATA = {
    "assign": {},
    "accept": {},
    "decline": {"reason": "不属于本单位职责"},
    "reassign": {},
    "submit_completion": {"summary": "已按要求完成"},
    "unit_signoff": {"approve": True},
    "request_correction": {"requirement": "补充佐证材料"},  # due_date added at call time
    "approve": {},
    "evaluate": {"scores": {"overall": 92}},
    "reopen": {"reason": "发现遗留问题"},
    "cancel": {"reason": "任务调整"},
}
# The world's tasks are in progress: only these transitions can fire; the rest get past the
# permission checks and are refused by the state (409).
TRANSITION_OK = {"submit_completion": 200, "cancel": 200}
TRANSITION_ROLES = {
    "assign": OFFICE,
    "accept": UNIT,
    "decline": UNIT,
    "reassign": OFFICE,
    "submit_completion": UNIT,
    "unit_signoff": frozenset({Role.UNIT_ADMIN}),
    "request_correction": OFFICE,
    "approve": OFFICE,
    "evaluate": OFFICE,
    "reopen": OFFICE_LEADER,
    "cancel": OFFICE_LEADER,
}


def transition_data(name: str) -> Callable[[World, str, str], dict[str, Any]]:
    def build(w: World, a: str, s: str) -> dict[str, Any]:
        data = dict(TRANSITION_DATA[name])
        if name == "request_correction":
            data["due_date"] = (today() + timedelta(days=5)).isoformat()
        return data

    return build


API: dict[str, Row] = {
    "api-token:POST": ApiRow(
        fixed("/api/auth/token/"),
        200,
        public=True,
        scope=NONE,
        data=const({"username": "authz_leader", "password": "pw-Strong-2026!"}),
    ),
    "api-me:GET": ApiRow(fixed("/api/me/"), 200, scope=NONE),
    "api-units:GET": ApiRow(fixed("/api/units/"), 200, scope=NONE),
    "api-units-tree:GET": ApiRow(fixed("/api/units/tree/"), 200, scope=NONE),
    "api-task-list:GET": ApiRow(fixed("/api/tasks/"), 200, scope=NONE),
    "api-task-detail:GET": ApiRow(task_url("/api/tasks/{id}/"), 200),
    **{
        f"api-task-transition-{name}:POST": ApiRow(
            task_url(f"/api/tasks/{{id}}/transitions/{name}/"),
            TRANSITION_OK.get(name, 409),
            roles=roles,
            data=transition_data(name),
        )
        for name, roles in TRANSITION_ROLES.items()
    },
    # Any other name: 404 after the scope check, whatever the role.
    "api-task-transition:POST": ApiRow(task_url("/api/tasks/{id}/transitions/fly/"), 404),
    "api-task-trace:GET": ApiRow(task_url("/api/tasks/{id}/trace/"), 200),
    "api-task-instructions:GET": ApiRow(task_url("/api/tasks/{id}/instructions/"), 200),
    "api-task-instructions:POST": ApiRow(
        task_url("/api/tasks/{id}/instructions/"),
        201,
        roles=LEADER,
        data=lambda w, a, s: {"text": "请加快推进", "due_date": today().isoformat()},
    ),
    "api-task-notices:GET": ApiRow(task_url("/api/tasks/{id}/notices/"), 200),
    "api-task-notices:POST": ApiRow(
        task_url("/api/tasks/{id}/notices/"), 201, roles=OFFICE_LEADER, data=const({"level": 1, "reason": "进度滞后"})
    ),
    "api-task-feedback:GET": ApiRow(task_url("/api/tasks/{id}/feedback/"), 200),
    "api-task-feedback:POST": ApiRow(
        task_url("/api/tasks/{id}/feedback/"), 201, roles=UNIT, data=const({"text": "本旬完成接口联调", "progress": 40})
    ),
    "api-task-problems:GET": ApiRow(task_url("/api/tasks/{id}/problems/"), 200),
    "api-task-problems:POST": ApiRow(
        task_url("/api/tasks/{id}/problems/"), 201, roles=UNIT, data=const({"text": "接口标准不统一"})
    ),
    "api-task-corrections:GET": ApiRow(task_url("/api/tasks/{id}/corrections/"), 200),
    "api-task-extensions:GET": ApiRow(task_url("/api/tasks/{id}/extensions/"), 200),
    # A pending request already exists: a unit that may ask gets past the permission checks to 409.
    "api-task-extensions:POST": ApiRow(
        task_url("/api/tasks/{id}/extensions/"),
        409,
        roles=UNIT,
        data=lambda w, a, s: {"requested_deadline": (today() + timedelta(days=120)).isoformat(), "reason": "延迟"},
    ),
    "api-task-evaluations:GET": ApiRow(task_url("/api/tasks/{id}/evaluations/"), 200),
    "api-instruction-answer:POST": ApiRow(
        obj_url("/api/instructions/{id}/answer/", "instruction"), 200, roles=UNIT, data=const({"response": "已落实"})
    ),
    "api-instruction-review:POST": ApiRow(
        obj_url("/api/instructions/{id}/review/", "answered_instruction"),
        200,
        roles=OFFICE_LEADER,
        data=const({"approve": True, "comment": ""}),
    ),
    "api-notice-lift:POST": ApiRow(
        obj_url("/api/notices/{id}/lift/", "notice"), 200, roles=OFFICE, data=const({"comment": "已整改到位"})
    ),
    "api-problem-answer:POST": ApiRow(
        obj_url("/api/problems/{id}/answer/", "problem"),
        200,
        roles=OFFICE_LEADER,
        data=const({"response": "已协调", "resolve": False}),
    ),
    "api-extension-decide:POST": ApiRow(
        obj_url("/api/extensions/{id}/decide/", "extension"),
        200,
        roles=OFFICE,
        data=const({"approve": True, "comment": ""}),
    ),
    "api-task-hand-down:POST": ApiRow(
        task_url("/api/tasks/{id}/hand-down/"),
        200,
        roles=OFFICE | frozenset({Role.UNIT_ADMIN}),
        data=lambda w, a, s: {"parts": [{"title": "分解事项", "lead_unit": w.side(s).division}]},
    ),
    "api-task-shares:GET": ApiRow(task_url("/api/tasks/{id}/shares/"), 200),
    "api-task-shares:POST": ApiRow(
        task_url("/api/tasks/{id}/shares/"),
        201,
        roles=OFFICE | UNIT,
        data=lambda w, a, s: {"unit": w.side(s).cooperating, "work": "提供低保数据"},
    ),
    # Only the share's own unit (市民政局, no actor) reports on it: every actor who sees it gets 403.
    "api-share-report:POST": ApiRow(
        obj_url("/api/shares/{id}/report/", "share"), 200, roles=frozenset(), data=const({"text": "已提供"})
    ),
    # The share is still open: the lead unit and the office get past the checks to 409.
    "api-share-reopen:POST": ApiRow(
        obj_url("/api/shares/{id}/reopen/", "share"), 409, roles=OFFICE | UNIT, data=const({"reason": "未完成"})
    ),
    "api-ranking:GET": ApiRow(fixed("/api/ranking/"), 200, scope=NONE),
    "api-programmes:GET": ApiRow(fixed("/api/programmes/"), 200, scope=NONE),
    "api-notifications:GET": ApiRow(fixed("/api/notifications/"), 200, scope=NONE),
    "api-notifications-read-all:POST": ApiRow(fixed("/api/notifications/read-all/"), 200, scope=NONE),
    "api-notification-read:POST": ApiRow(notification_url("/api/notifications/{id}/read/"), 200, scope=RECIPIENT),
    # A district's office imports into its own level's programmes, not into the city's (its default here).
    "api-tasklist-import:POST": ApiRow(
        fixed("/api/tasklist/import/"),
        200,
        roles=OFFICE,
        scope=NONE,
        data=tasklist_xlsx,
        multipart=True,
        cells={("dcq_office", "-"): 403},
    ),
    "api-tasklist-export:GET": ApiRow(fixed("/api/tasklist/export/"), 200, roles=OFFICE, scope=NONE),
    "api-task-indicators:GET": ApiRow(task_url("/api/tasks/{id}/indicators/"), 200),
    "api-measurements:GET": ApiRow(obj_url("/api/indicators/{id}/measurements/", "indicator"), 200),
    # Records or corrects the period's one value: 200 either way.
    "api-measurements:POST": ApiRow(
        obj_url("/api/indicators/{id}/measurements/", "indicator"),
        200,
        roles=OFFICE | UNIT,
        data=lambda w, a, s: {"period_end": last_month_end().isoformat(), "value": "66.5"},
    ),
    "api-measurements-import:POST": ApiRow(
        fixed("/api/measurements/import/"),
        200,
        roles=OFFICE | UNIT,
        scope=NONE,
        data=measurements_csv,
        multipart=True,
        # The file names the own task: for the outsider that row is an error in the import report
        # ("no such task", as for a missing one), so nothing is saved.
        # A district's office and a street's handler do not see it either.
        cells={("outsider", "-"): 400, ("dcq_office", "-"): 400, ("street_handler", "-"): 400},
    ),
    "api-schema:GET": ApiRow(fixed("/api/schema/"), 200, scope=NONE),
    # Swagger UI is a page for people: anonymous visitors go to the login page, not a bare 401.
    "api-docs:GET": ApiRow(fixed("/api/docs/"), 200, scope=NONE, cells={(ANONYMOUS, "-"): LOGIN}),
    "cockpit-api:GET": ApiRow(fixed("/api/cockpit/"), 200, roles=COCKPIT, scope=NONE),
    "cockpit-api-tasks:GET": ApiRow(fixed("/api/cockpit/tasks/?q=测试"), 200, roles=COCKPIT, scope=NONE),
    # Every unknown /api/ path: 404 in the error shape, before authentication.
    "<api catch-all>:GET": ApiRow(fixed("/api/nothing-here/"), 404, public=True, scope=NONE),
}


# --- Web actions on a task (/tasks/<id>/do/<key>/[<obj_id>/]) ------------------------------------


def action_url(key: str, attr: str = "") -> Callable[[World, str, str], str]:
    def build(w: World, a: str, s: str) -> str:
        side = w.side(s)
        tail = f"{getattr(side, attr)}/" if attr else ""
        return f"/tasks/{side.task}/do/{key}/{tail}"

    return build


@dataclass(frozen=True)
class WebAction:
    """A web action: who may take it, its form data, what a permitted POST gives on an in-progress task."""

    roles: frozenset[str]
    data: dict[str, Any] | Callable[[], dict[str, Any]]
    post_ok: str = DONE  # REFUSED when the in-progress state forbids it (after the permission checks)
    obj: str = ""  # the supervision object it acts on (an attribute of the world's Side)
    get_ok: int | str = 200  # UNAVAILABLE when the page never offers it in this state
    side_fields: tuple[tuple[str, str], ...] = ()  # (form field, the side's attribute whose id it takes)


WEB_ACTIONS: dict[str, WebAction] = {
    "accept": WebAction(UNIT, {"expected_status": "assigned"}, REFUSED, get_ok=UNAVAILABLE),
    "report_progress": WebAction(
        UNIT, lambda: {"period_end": period_of(today()).end.isoformat(), "progress": "40", "text": "本旬完成联调"}
    ),
    "submit_completion": WebAction(UNIT, {"expected_status": "in_progress", "summary": "平台已上线"}),
    "answer_instruction": WebAction(UNIT, {"response": "已成立专班"}, obj="instruction"),
    # A pending extension request already exists: the page does not offer another; a POST gets 409's message.
    "request_extension": WebAction(
        UNIT,
        lambda: {"requested_deadline": (today() + timedelta(days=120)).isoformat(), "reason": "设备到货延迟"},
        REFUSED,
        get_ok=UNAVAILABLE,
    ),
    "report_problem": WebAction(UNIT, {"text": "接口标准不统一"}),
    "assign": WebAction(OFFICE, {"expected_status": "draft", "comment": ""}, REFUSED, get_ok=UNAVAILABLE),
    "decline": WebAction(
        UNIT, {"expected_status": "assigned", "reason": "不属于本单位职责"}, REFUSED, get_ok=UNAVAILABLE
    ),
    "reassign": WebAction(OFFICE, {"expected_status": "returned"}, REFUSED, get_ok=UNAVAILABLE),
    "unit_signoff": WebAction(
        frozenset({Role.UNIT_ADMIN}),
        {"expected_status": "unit_review", "decision": "approve", "comment": ""},
        REFUSED,
        get_ok=UNAVAILABLE,
    ),
    "approve": WebAction(OFFICE, {"expected_status": "under_review", "comment": ""}, REFUSED, get_ok=UNAVAILABLE),
    "request_correction": WebAction(
        OFFICE,
        lambda: {
            "expected_status": "under_review",
            "requirement": "补充材料",
            "due_date": (today() + timedelta(days=5)).isoformat(),
        },
        REFUSED,
        get_ok=UNAVAILABLE,
    ),
    "evaluate": WebAction(OFFICE, {"expected_status": "evaluating", "overall": "80"}, REFUSED, get_ok=UNAVAILABLE),
    "issue_instruction": WebAction(LEADER, lambda: {"text": "月底前见成效", "due_date": today().isoformat()}),
    "issue_notice": WebAction(OFFICE_LEADER, {"level": "2", "reason": "进度滞后", "deadline": ""}),
    "review_instruction": WebAction(OFFICE_LEADER, {"decision": "approve", "comment": ""}, obj="answered_instruction"),
    "lift_notice": WebAction(OFFICE, {"comment": "已整改到位"}, obj="notice"),
    "decide_extension": WebAction(OFFICE, {"decision": "approve", "comment": ""}, obj="extension"),
    "answer_problem": WebAction(OFFICE_LEADER, {"response": "已协调统一标准"}, obj="problem"),
    "reopen": WebAction(
        OFFICE_LEADER, {"expected_status": "closed", "reason": "遗留问题"}, REFUSED, get_ok=UNAVAILABLE
    ),
    "hand_down": WebAction(
        OFFICE | frozenset({Role.UNIT_ADMIN}), {"title_1": "分解事项"}, side_fields=(("unit_1", "division"),)
    ),
    "set_share": WebAction(OFFICE | UNIT, {"work": "提供低保数据"}, side_fields=(("unit", "cooperating"),)),
    "report_share": WebAction(frozenset(), {"text": "已提供"}, obj="share"),
    "reopen_share": WebAction(OFFICE | UNIT, {"reason": "未完成"}, REFUSED, obj="share", get_ok=UNAVAILABLE),
    "cancel": WebAction(OFFICE_LEADER, {"expected_status": "in_progress", "reason": "任务调整"}),
}


def web_action_rows() -> dict[str, Row]:
    rows: dict[str, Row] = {}
    for key, spec in WEB_ACTIONS.items():
        name = "task-object-action" if spec.obj else "task-action"
        url = action_url(key, spec.obj)
        form = (lambda w, a, s, d=spec.data: d()) if callable(spec.data) else const(spec.data)
        if spec.side_fields:
            form = lambda w, a, s, f=form, fields=spec.side_fields: {  # noqa: E731
                **f(w, a, s),
                **{name: str(getattr(w.side(s), attr)) for name, attr in fields},
            }
        # GET shows the form to whoever may take the action now, and sends anyone else back to the task.
        rows[f"{name}/{key}:GET"] = Row(url, spec.get_ok, roles=spec.roles, denied=UNAVAILABLE)
        rows[f"{name}/{key}:POST"] = Row(url, spec.post_ok, roles=spec.roles, data=form)
    return rows


PAGES: dict[str, Row] = {
    "healthz:GET": Row(fixed("/healthz"), 200, public=True, scope=NONE),
    "readyz:GET": Row(fixed("/readyz"), 200, public=True, scope=NONE),
    # A signed-in user is sent on from the login page.
    "accounts:login:GET": Row(fixed("/accounts/login/"), 302, public=True, scope=NONE, cells={(ANONYMOUS, "-"): 200}),
    "accounts:logout:POST": Row(fixed("/accounts/logout/"), LOGIN, public=True, scope=NONE),
    "accounts:password_change:GET": Row(fixed("/accounts/password_change/"), 200, scope=NONE),
    # Everyone's own API tokens; revoking a token that is not one's own changes nothing (back to the page).
    "accounts:tokens:GET": Row(fixed("/accounts/tokens/"), 200, scope=NONE),
    "accounts:tokens:POST": Row(fixed("/accounts/tokens/"), REFUSED, scope=NONE, data=const({"token": "not-a-token"})),
    # Account management: the office for everyone, a unit admin for its unit subtree; role first (a role
    # that manages no accounts is told so whatever the account), then the account's unit.
    "accounts:users:GET": Row(fixed("/accounts/users/"), 200, roles=ACCOUNT_MANAGERS, scope=NONE),
    "accounts:users:POST": Row(
        fixed("/accounts/users/"),
        200,  # the page that shows the new account's one-time password once
        roles=ACCOUNT_MANAGERS,
        data=lambda w, a, s: {
            "username": "matrix_new",
            "full_name": "矩阵新用户",
            "unit": w.side(s).unit,
            "role": "unit_handler",
        },
        # A unit outside a unit admin's subtree (or a district office's scope) is not among its choices:
        # the form refuses it (400), nothing is created. Roles that manage no accounts: 403 whatever the unit.
        cells={
            ("dsj_admin", FOREIGN): 400,
            ("dsj_admin", DISTRICT): 400,
            ("dcq_office", OWN): 400,
            ("dcq_office", FOREIGN): 400,
            **for_all(dict.fromkeys(SIDES, 403), NO_ACCOUNTS),
        },
    ),
    # The side's account: 市大数据局's handler, 市教育局's, 东华街道's. Outside the manager's range: 404.
    "accounts:user-reset-password:POST": Row(
        lambda w, a, s: f"/accounts/users/{w.users[SIDE_ACCOUNT[s]].pk}/reset-password/",
        200,
        roles=ACCOUNT_MANAGERS,
        cells=for_all(dict.fromkeys(SIDES, 403), NO_ACCOUNTS),
    ),
    "home:GET": Row(fixed("/"), 302, scope=NONE),
    "task-list:GET": Row(fixed("/tasks/"), 200, scope=NONE),
    "task-detail:GET": Row(task_url("/tasks/{id}/"), 200),
    **web_action_rows(),
    "attachment-download:GET": Row(obj_url("/attachments/{id}/", "attachment"), 200),
    "notifications:GET": Row(fixed("/notifications/"), 200, scope=NONE),
    "notifications-read-all:POST": Row(fixed("/notifications/read/"), DONE, scope=NONE),
    "notification-read:POST": Row(notification_url("/notifications/{id}/read/"), 302, scope=RECIPIENT),
    "notification-open:GET": Row(notification_url("/notifications/{id}/open/"), 302, scope=RECIPIENT),
    "notifications-badge:GET": Row(fixed("/notifications/badge/"), 200, scope=NONE),
    "office-queue:GET": Row(fixed("/office/"), 200, roles=OFFICE, scope=NONE),
    "office-assign:GET": Row(fixed("/office/assign/"), 200, roles=OFFICE, scope=NONE),
    "office-import:GET": Row(fixed("/office/import/"), 200, roles=OFFICE, scope=NONE),
    # Nothing uploaded to discard: back to the import page with a note.
    "office-import-discard:POST": Row(fixed("/office/import/discard/"), UNAVAILABLE, roles=OFFICE, scope=NONE),
    "office-export:GET": Row(fixed("/office/export/"), 200, roles=OFFICE, scope=NONE),
    # A unit handler has no cockpit: sent to the task list with a note.
    "cockpit:page:GET": Row(fixed("/cockpit/"), 200, roles=COCKPIT, scope=NONE, denied=UNAVAILABLE),
    "cockpit:instruct:POST": Row(
        fixed("/cockpit/instruct/"),
        DONE,
        roles=LEADER,
        data=lambda w, a, s: {"task": w.side(s).task, "text": "请加快", "due_date": today().isoformat()},
    ),
    "cockpit:supervise:POST": Row(
        fixed("/cockpit/supervise/"),
        DONE,
        roles=OFFICE_LEADER,
        data=lambda w, a, s: {"task": w.side(s).task, "level": 2, "reason": "进度滞后"},
    ),
    # Reports are for the leader, the office, the auditor and unit admins; a handler sees none (404).
    "reports:page:GET": Row(fixed("/reports/"), 200, roles=REPORT_READERS, scope=NONE, denied=404),
    "reports:page:POST": Row(
        fixed("/reports/"),
        DONE,
        roles=frozenset({Role.LEADER, Role.OFFICE, Role.UNIT_ADMIN}),
        data=lambda w, a, s: {"kind": "bulletin", "scope": f"unit:{w.side(s).unit}"},
        cells={
            **for_all(dict.fromkeys(SIDES, 404), ("dsj_handler", "outsider", "street_handler")),
            **for_all(dict.fromkeys(SIDES, 403), ("auditor",)),
            # Units are not secret (the unit list is public to every user); asking for another unit's
            # report, or one outside a district's scope, is a forbidden action, not a hidden object.
            ("dsj_admin", FOREIGN): 403,
            ("dsj_admin", DISTRICT): 403,
            **for_all({OWN: 403, FOREIGN: 403}, DISTRICT_SUPERVISORS),
            # A 分管领导 of a task from another district: the task is theirs, 市经信局's reports are not.
            **for_all(dict.fromkeys(SIDES, 403), ("fenguan",)),
        },
    ),
    "reports:list:GET": Row(fixed("/reports/list/"), 200, roles=REPORT_READERS, scope=NONE, denied=404),
    # A report covers a unit: readable within the reader's range; handlers have no reports at all.
    "reports:download:GET": Row(
        obj_url("/reports/{id}/download/", "report"),
        200,
        roles=REPORT_READERS,
        cells={**for_all(dict.fromkeys(SIDES, 404), ("dsj_handler", "street_handler")), ("fenguan", FOREIGN): 404},
    ),
    "reports:retry:POST": Row(
        obj_url("/reports/{id}/retry/", "failed_report"),
        DONE,
        roles=frozenset({Role.LEADER, Role.OFFICE, Role.UNIT_ADMIN}),
        cells={**for_all(dict.fromkeys(SIDES, 404), ("dsj_handler", "street_handler")), ("fenguan", FOREIGN): 404},
    ),
}

TABLE: dict[str, Row] = {**API, **PAGES}


# --- Enumerating the routes -----------------------------------------------------------------------


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> list[tuple[str, str, Any]]:
    out = []
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            out += _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}{p.name}" if p.name else f"<unnamed {prefix}{p.pattern}>"
            out.append((prefix + str(p.pattern), name, p.callback))
    return out


def enumerated_routes() -> tuple[set[str], set[str]]:
    """(keys that must be in the table exactly, route names that need at least one row)."""
    exact: set[str] = set()
    names: set[str] = set()
    for route, name, callback in _walk(get_resolver().url_patterns):
        if route.startswith(SKIPPED_PREFIXES):
            continue
        if name == "<unnamed api/^>":
            name = "<api catch-all>"
        view_class = getattr(callback, "cls", None)
        if view_class is not None and issubclass(view_class, APIView) and name != "<api catch-all>":
            for method in view_class().allowed_methods:
                if method not in ("OPTIONS", "HEAD"):
                    exact.add(f"{name}:{method}")
        elif name in ("task-action", "task-object-action"):
            for key, spec in ACTIONS.items():
                row_name = "task-object-action" if spec.obj_kind else "task-action"
                if row_name == name:
                    exact |= {f"{name}/{key}:GET", f"{name}/{key}:POST"}
        else:
            names.add(name)
    return exact, names


def test_every_route_is_in_the_table():
    exact, names = enumerated_routes()
    covered_names = {key.rsplit(":", 1)[0] for key in TABLE}
    missing = sorted(exact - set(TABLE)) + sorted(names - covered_names)
    stale = sorted(k for k in TABLE if k not in exact and k.rsplit(":", 1)[0] not in names)
    assert not missing, f"routes without a row in the authorization matrix: {missing}"
    assert not stale, f"rows for routes that no longer exist: {stale}"


def test_table_rows_act_on_the_action_their_key_names():
    for key, spec in WEB_ACTIONS.items():
        assert key in ACTIONS
        assert bool(spec.obj) == bool(ACTIONS[key].obj_kind), key


# --- Running the cells ----------------------------------------------------------------------------


def cases() -> list[Any]:
    out = []
    for key, row in TABLE.items():
        for actor in ACTORS:
            for side in SIDES if row.scope != NONE else ("-",):
                out.append(pytest.param(key, actor, side, id=f"{key}[{actor}-{side}]"))
    return out


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Build the world once for the module inside a transaction; each test's own savepoint undoes its writes."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            ensure_reference_data()
            yield build_world()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def outcome(response: Any) -> int | str:
    if response.status_code != 302:
        return response.status_code
    location = response.headers["Location"]
    if location.startswith("/accounts/login/"):
        return LOGIN
    levels = {m.level for m in get_messages(response.wsgi_request)}
    if message_levels.ERROR in levels:
        return REFUSED
    if message_levels.SUCCESS in levels:
        return DONE
    if message_levels.INFO in levels:
        return UNAVAILABLE
    return 302


@pytest.mark.django_db
@pytest.mark.parametrize(("key", "actor", "side"), cases())
def test_authorization(world, key, actor, side):
    row = TABLE[key]
    method = key.rsplit(":", 1)[1]

    response = call_with_method(row, world, actor, side, method)

    expected = row.expected(actor, side)
    got = outcome(response)
    body = getattr(response, "content", b"")[:300].decode(errors="replace") if got != expected else ""
    assert got == expected, f"{key} as {actor} on the {side} object: expected {expected}, got {got} {body}"


def call_with_method(row: Row, world: World, actor: str, side: str, method: str) -> Any:
    url = row.path(world, actor, side)
    data = row.data(world, actor, side) if row.data else {}
    if row.api:
        client = APIClient()
        if actor != ANONYMOUS:
            client.credentials(HTTP_AUTHORIZATION=f"Token {world.tokens[actor]}")
        if method == "GET":
            return client.get(url)
        return client.post(url, data, format="multipart" if row.multipart else "json")
    client = Client()
    if actor != ANONYMOUS:
        client.force_login(world.users[actor])
    return client.get(url) if method == "GET" else client.post(url, data)
