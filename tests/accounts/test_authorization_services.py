"""Authorization matrix of the services (issue #7): every actor × every non-transition service × own/foreign.

Services are what the API, the web pages, the admin and the commands share, so they answer with the
domain errors of ``reform.errors``: ``NotFound`` (404) outside the actor's scope, ``PermissionDenied``
(403) for a role that may never act, and otherwise they run ("ok", or a state refusal named in the row).

The table must name every public service that takes an ``actor``; :func:`test_every_service_is_in_the_table`
fails on a new one until it has a row (or a reason in ``ELSEWHERE``). The workflow transitions are
covered by ``tests/tasks_app/test_workflow.py`` (every transition × seven actors).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from knox.models import AuthToken

from accounts import services as account_services
from accounts.models import User
from indicators import services as indicator_services
from indicators.models import Indicator
from orgs.models import OrgUnit
from orgs.services import orgunit_create
from reform.errors import DomainError
from reform.roles import Role
from reports import services as report_services
from reports.models import Report
from tasks_app import services
from tasks_app.models import ExtensionRequest, Instruction, Notice, ProblemReport, Task, TaskShare
from tasks_app.services.handdown import Part
from tasks_app.tasklist.export import tasklist_export
from tasks_app.tasklist.importer import tasklist_import
from tests.accounts.authz_world import (
    ACTORS,
    ANONYMOUS,
    DISTRICT,
    DISTRICT_SUPERVISORS,
    FOREIGN,
    OWN,
    PDF,
    ROLE_OF,
    SIDES,
    World,
    sees,
)
from tests.accounts.test_authorization_matrix import (  # noqa: F401 - world: the module-scoped fixture
    last_month_end,
    measurements_csv,
    tasklist_xlsx,
    today,
    world,
)  # noqa: F401

OK = "ok"
NOT_FOUND = "NotFound"
DENIED = "PermissionDenied"
UNIT = frozenset({Role.UNIT_ADMIN, Role.UNIT_HANDLER})
OFFICE = frozenset({Role.OFFICE})
LEADER = frozenset({Role.LEADER})
OFFICE_LEADER = frozenset({Role.OFFICE, Role.LEADER})
USER_MANAGERS = frozenset({Role.OFFICE, Role.UNIT_ADMIN})
NO_ACCOUNTS = ("leader", "auditor", "dsj_handler", "outsider", "dcq_leader", "street_handler", "fenguan")
SERVICE_ACTORS = tuple(a for a in ACTORS if a != ANONYMOUS)  # services are only reached by signed-in users


def _service_modules() -> tuple[str, ...]:
    """Every services module of the project (found, not listed, so a new one cannot be missed), and
    the task-list import and export, which are services under another name."""
    root = Path(__file__).resolve().parents[2]
    files = [*root.glob("*/services.py"), *root.glob("*/services/*.py")]
    names = {".".join(f.relative_to(root).with_suffix("").parts) for f in files if f.name != "__init__.py"}
    return (*sorted(names), "tasks_app.tasklist.importer", "tasks_app.tasklist.export")


SERVICE_MODULES = _service_modules()
ELSEWHERE = {
    **{
        f"tasks_app.services.loop.{name}": (
            "a transition: tests/tasks_app/test_workflow.py (every transition × 7 actors)"
        )
        for name in (
            "task_assign",
            "task_accept",
            "task_decline",
            "task_reassign",
            "task_unit_signoff",
            "task_submit_completion",
            "task_request_correction",
            "task_approve",
            "task_evaluate",
            "task_reopen",
            "task_cancel",
        )
    },
    "tasks_app.services.loop.tasks_assign": "bulk 交办: task_assign per task, each refusal reported on its row",
    "tasks_app.services.inbox.notification_mark_read": "touches only the actor's own rows; pages and API rows cover it",
    "indicators.services.measurements_apply": "the engine under measurements_import/pull (which check the actor)",
    "indicators.services.measurements_pull": "needs a configured external source; office-only, tests/indicators",
    "reports.services.queue_report": "actor=None is the command; report_request is the users' entry point",
}


@dataclass(frozen=True)
class ServiceRow:
    call: Callable[[World, User, str], Any]
    roles: frozenset[str] | None
    ok: str = OK  # or the state refusal a permitted actor meets on the world's objects
    scoped: bool = True  # False: no object, one cell per actor
    cells: dict[tuple[str, str], str] = field(default_factory=dict)

    def expected(self, actor: str, side: str) -> str:
        if (actor, side) in self.cells:
            return self.cells[(actor, side)]
        if self.scoped and not sees(actor, side):
            return NOT_FOUND
        if self.roles is not None and ROLE_OF[actor] not in self.roles:
            return DENIED
        return self.ok


def token_key_of(user: User) -> str:
    """The public prefix of a fresh API token of ``user``."""
    account_services.token_issue(user=user)
    return AuthToken.objects.filter(user=user).order_by("-created").values_list("token_key", flat=True)[0]


def side_account(w: World, s: str) -> User:
    """A unit handler's account on each side: 市大数据局's, 市经信局's, 东华街道's."""
    return {OWN: w.users["dsj_handler"], FOREIGN: w.others["jxj_handler"], DISTRICT: w.users["street_handler"]}[s]


def task(w: World, s: str) -> Task:
    return Task.objects.get(pk=w.side(s).task)


def for_cells(actors: tuple[str, ...], sides: tuple[str, ...], value: str) -> dict[tuple[str, str], str]:
    return {(a, s): value for a in actors for s in sides}


SERVICES: dict[str, ServiceRow] = {
    "tasks_app.services.supervision.instruction_issue": ServiceRow(
        lambda w, u, s: services.instruction_issue(actor=u, task=task(w, s), text="请加快", due_date=today()), LEADER
    ),
    "tasks_app.services.supervision.instruction_answer": ServiceRow(
        lambda w, u, s: services.instruction_answer(
            actor=u, instruction=Instruction.objects.get(pk=w.side(s).instruction), response="已落实"
        ),
        UNIT,
    ),
    "tasks_app.services.supervision.instruction_review": ServiceRow(
        lambda w, u, s: services.instruction_review(
            actor=u, instruction=Instruction.objects.get(pk=w.side(s).answered_instruction), approve=True
        ),
        OFFICE_LEADER,
    ),
    "tasks_app.services.supervision.notice_issue": ServiceRow(
        lambda w, u, s: services.notice_issue(actor=u, task=task(w, s), level=1, reason="进度滞后"), OFFICE_LEADER
    ),
    "tasks_app.services.supervision.notice_lift": ServiceRow(
        lambda w, u, s: services.notice_lift(actor=u, notice=Notice.objects.get(pk=w.side(s).notice), comment="好"),
        OFFICE,
    ),
    "tasks_app.services.feedback.feedback_submit": ServiceRow(
        lambda w, u, s: services.feedback_submit(actor=u, task=task(w, s), text="本旬完成联调", progress=40), UNIT
    ),
    "tasks_app.services.supervision.problem_report": ServiceRow(
        lambda w, u, s: services.problem_report(actor=u, task=task(w, s), text="接口标准不统一"), UNIT
    ),
    "tasks_app.services.supervision.problem_answer": ServiceRow(
        lambda w, u, s: services.problem_answer(
            actor=u, problem=ProblemReport.objects.get(pk=w.side(s).problem), response="已协调"
        ),
        OFFICE_LEADER,
    ),
    # A pending request already exists: a unit that may ask gets past the permission checks to the conflict.
    "tasks_app.services.supervision.extension_request": ServiceRow(
        lambda w, u, s: services.extension_request(
            actor=u, task=task(w, s), requested_deadline=today() + timedelta(days=120), reason="设备延迟"
        ),
        UNIT,
        ok="ConflictError",
    ),
    "tasks_app.services.supervision.extension_decide": ServiceRow(
        lambda w, u, s: services.extension_decide(
            actor=u, request=ExtensionRequest.objects.get(pk=w.side(s).extension), approve=True
        ),
        OFFICE,
    ),
    # Cooperating shares: the lead unit or the office supervising the task sets and sends back a share
    # (already set and still open in the world: set again is a change, reopen meets the open state); only
    # the share's own unit, where no actor works, reports on it.
    "tasks_app.services.shares.share_set": ServiceRow(
        lambda w, u, s: services.share_set(
            actor=u, task=task(w, s), unit=OrgUnit.objects.get(pk=w.side(s).cooperating), work="提供数据"
        ),
        OFFICE | UNIT,
    ),
    "tasks_app.services.shares.share_report": ServiceRow(
        lambda w, u, s: services.share_report(actor=u, share=TaskShare.objects.get(pk=w.side(s).share), text="已提供"),
        frozenset(),
    ),
    "tasks_app.services.shares.share_reopen": ServiceRow(
        lambda w, u, s: services.share_reopen(
            actor=u, share=TaskShare.objects.get(pk=w.side(s).share), reason="未完成"
        ),
        OFFICE | UNIT,
        ok="InvalidTransition",
    ),
    # Handing down: the lead unit's head (unit admin) or the office supervising the task.
    "tasks_app.services.handdown.task_hand_down": ServiceRow(
        lambda w, u, s: services.task_hand_down(
            actor=u,
            task=task(w, s),
            parts=[Part(title="分解事项", lead_unit=OrgUnit.objects.get(pk=w.side(s).division))],
        ),
        OFFICE | frozenset({Role.UNIT_ADMIN}),
    ),
    # An office sets up a programme: the city's for any unit, a district's for its own district.
    "tasks_app.services.programmes.programme_create": ServiceRow(
        lambda w, u, s: services.programme_create(actor=u, name=f"矩阵专项{u.pk}", domains=[("a", "甲领域")]),
        OFFICE,
        scoped=False,
    ),
    "tasks_app.services.tasklist.task_create": ServiceRow(
        lambda w, u, s: services.task_create(
            actor=u,
            code="88",
            title="矩阵新任务",
            domain=task(w, OWN).domain,
            lead_unit=OrgUnit.objects.get(pk=w.side(OWN).unit),
            deadline=today() + timedelta(days=30),
        ),
        OFFICE,
        scoped=False,
        # 市大数据局 is outside 东城区: the district's office may not make it the lead unit.
        cells={("dcq_office", "-"): "ValidationError"},
    ),
    "tasks_app.services.tasklist.task_update": ServiceRow(
        lambda w, u, s: services.task_update(actor=u, task=task(w, s), title="改过的名称"), OFFICE
    ),
    # Already at the top: a permitted actor gets past the permission checks to "nothing to move".
    "tasks_app.services.tasklist.task_move": ServiceRow(
        lambda w, u, s: services.task_move(actor=u, task=task(w, s), new_parent=None),
        OFFICE,
        ok="ValidationError",
    ),
    # Supervision history hangs off the world's tasks: the office is told what blocks the deletion.
    "tasks_app.services.tasklist.task_delete": ServiceRow(
        lambda w, u, s: services.task_delete(actor=u, task=task(w, s)), OFFICE, ok="ValidationError"
    ),
    "orgs.services.orgunit_create": ServiceRow(
        lambda w, u, s: orgunit_create(actor=u, name="市矩阵局", short_code="MX01", level="city"),
        OFFICE,
        scoped=False,
    ),
    "tasks_app.services.attachments.attachment_store": ServiceRow(
        lambda w, u, s: services.attachment_store(
            actor=u, task=task(w, s), uploaded_file=SimpleUploadedFile("补充.pdf", PDF, "application/pdf")
        ),
        OFFICE | UNIT,
    ),
    "tasks_app.tasklist.importer.tasklist_import": ServiceRow(
        lambda w, u, s: tasklist_import(actor=u, file=tasklist_xlsx(w, "", s)["file"], dry_run=True),
        OFFICE,
        scoped=False,
        cells={("dcq_office", "-"): DENIED},  # into the city's programme: not its level
    ),
    "tasks_app.tasklist.export.tasklist_export": ServiceRow(
        lambda w, u, s: tasklist_export(actor=u), OFFICE, scoped=False
    ),
    "indicators.services.measurement_record": ServiceRow(
        lambda w, u, s: indicator_services.measurement_record(
            actor=u, indicator=Indicator.objects.get(pk=w.side(s).indicator), period_end=last_month_end(), value=66
        ),
        OFFICE | UNIT,
    ),
    "indicators.services.trajectory_set": ServiceRow(
        lambda w, u, s: indicator_services.trajectory_set(
            actor=u, indicator=Indicator.objects.get(pk=w.side(s).indicator), points={last_month_end(): 50}
        ),
        OFFICE,
    ),
    "indicators.services.trajectory_generate": ServiceRow(
        lambda w, u, s: indicator_services.trajectory_generate(
            actor=u, indicator=Indicator.objects.get(pk=w.side(s).indicator)
        ),
        OFFICE,
    ),
    "indicators.services.measurements_import": ServiceRow(
        lambda w, u, s: indicator_services.measurements_import(
            actor=u, file=measurements_csv(w, "", s)["file"], dry_run=True
        ),
        OFFICE | UNIT,
        scoped=False,
        # Per-row errors land in the returned report; the outsider's row names a task it cannot see.
    ),
    # Share the task with the outsider (a unit user who could not see it).
    "tasks_app.services.sharing.task_share": ServiceRow(
        lambda w, u, s: services.task_share(actor=u, task=task(w, s), user=w.users["outsider"]),
        OFFICE,
    ),
    "tasks_app.services.sharing.task_unshare": ServiceRow(
        lambda w, u, s: services.task_unshare(actor=u, task=task(w, s), user=w.users["outsider"]),
        OFFICE,
    ),
    # Own/foreign is the unit the account is for; users are scoped by the unit admin's subtree.
    "accounts.services.user_create": ServiceRow(
        lambda w, u, s: account_services.user_create(
            actor=u,
            username=f"new_{s}",
            full_name="新用户",
            unit=OrgUnit.objects.get(pk=w.side(s).unit),
            role=Role.UNIT_HANDLER,
            one_time_password="Tmp-Strong-2026!x",
        ),
        USER_MANAGERS,
        cells=for_cells(NO_ACCOUNTS, SIDES, DENIED),
    ),
    "accounts.services.user_reset_password": ServiceRow(
        lambda w, u, s: account_services.user_reset_password(
            actor=u,
            user={OWN: w.users["dsj_handler"], FOREIGN: w.others["jxj_handler"], DISTRICT: w.users["street_handler"]}[
                s
            ],
            one_time_password="Tmp-Strong-2026!x",
        ),
        USER_MANAGERS,
        cells=for_cells(NO_ACCOUNTS, SIDES, DENIED),
    ),
    # One's own token (OWN) or another user's (FOREIGN, which looks missing), whatever the role.
    "accounts.services.token_revoke": ServiceRow(
        lambda w, u, s: account_services.token_revoke(
            actor=u, token_key=token_key_of(u if s == OWN else w.others["jxj_handler"])
        ),
        None,
        cells={**{(a, OWN): OK for a in ROLE_OF}, **{(a, s): NOT_FOUND for a in ROLE_OF for s in (FOREIGN, DISTRICT)}},
    ),
    # Reports cover a unit: the own unit or the foreign one.
    "reports.services.report_request": ServiceRow(
        lambda w, u, s: report_services.report_request(
            actor=u, kind=Report.Kind.BULLETIN, scope=f"unit:{w.side(s).unit}"
        ),
        frozenset({Role.LEADER, Role.OFFICE, Role.UNIT_ADMIN}),
        cells={
            **for_cells(("dsj_handler", "outsider", "auditor", "street_handler", "fenguan"), SIDES, DENIED),
            # The unit list is public to every user: asking for another unit's report (or one outside a
            # district's scope) is forbidden, not hidden.
            ("dsj_admin", FOREIGN): DENIED,
            ("dsj_admin", DISTRICT): DENIED,
            **for_cells(DISTRICT_SUPERVISORS, (OWN, FOREIGN), DENIED),
        },
    ),
    "reports.services.report_retry": ServiceRow(
        lambda w, u, s: report_services.report_retry(actor=u, report=Report.objects.get(pk=w.side(s).failed_report)),
        frozenset({Role.LEADER, Role.OFFICE, Role.UNIT_ADMIN}),
        # Reports are not shown to unit handlers at all, nor a unit's report outside the reader's range.
        cells={**for_cells(("dsj_handler", "street_handler"), SIDES, NOT_FOUND), ("fenguan", FOREIGN): NOT_FOUND},
    ),
}


def public_services() -> set[str]:
    names = set()
    for module_name in SERVICE_MODULES:
        module = importlib.import_module(module_name)
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module_name and not name.startswith("_"):
                if "actor" in inspect.signature(fn).parameters:
                    names.add(f"{module_name}.{name}")
    return names


def test_every_service_is_in_the_table():
    found = public_services()
    missing = sorted(found - set(SERVICES) - set(ELSEWHERE))
    stale = sorted((set(SERVICES) | set(ELSEWHERE)) - found)
    assert not missing, f"services taking an actor without a row in the authorization matrix: {missing}"
    assert not stale, f"rows for services that no longer exist: {stale}"


def service_cases() -> list[Any]:
    return [
        pytest.param(key, actor, side, id=f"{key.rsplit('.', 1)[1]}[{actor}-{side}]")
        for key, row in SERVICES.items()
        for actor in SERVICE_ACTORS
        for side in (SIDES if row.scoped else ("-",))
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(("key", "actor", "side"), service_cases())
def test_service_authorization(world, key, actor, side):  # noqa: F811 - the module-scoped world fixture
    row = SERVICES[key]
    user = User.objects.get(pk=world.users[actor].pk)

    try:
        row.call(world, user, side)
    except DomainError as exc:
        got, detail = type(exc).__name__, exc.message
    else:
        got, detail = OK, ""

    expected = row.expected(actor, side)
    assert got == expected, f"{key} as {actor} on the {side} object: expected {expected}, got {got} {detail}"
