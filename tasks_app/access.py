"""Who may see and do what with tasks and their supervision objects, decided in this one module.

Two questions, answered the same way everywhere (services, pages, API, admin, cockpit, reports):

- **May the user see it?** ``visible_tasks`` scopes any task query in one SQL query;
  ``access_task`` / ``access_object`` return one object or raise ``NotFound``, the same answer a
  missing object gets (Zulip's ``access_*`` helpers). A role is held over a unit scope: the city's
  office, leaders and auditors (no scope) see every task; those of a district see the tasks whose lead
  or cooperating unit lies in the district's subtree; a unit user sees the tasks its unit subtree leads
  or cooperates on. Everyone also sees the tasks they created, those whose 分管领导 they are, and
  per-task grants (``services.sharing``). Outside that, everything is 404.
- **May the user do this now?** Each use case has one :class:`Rule`: the roles that may ever do it
  (403), the user's relation to the object it needs (lead unit, responsible unit, target unit: 403)
  and the states it can happen in (409). ``rule.allows(user, obj)`` is the predicate the pages and the
  API use to offer an action; the service calls ``rule.check(user, obj)`` after locking the object and
  gets the precise refusal. So a page never offers what the service refuses, nor hides what it allows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.db.models import CharField, Exists, Model, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import can_proceed
from guardian.models import UserObjectPermission

from orgs.models import OrgUnit
from reform.errors import InvalidTransition, NotFound, PermissionDenied
from reform.roles import UNIT_ROLES, Role, has_role
from reform.workdays import add_working_days

from .models import ExtensionRequest, Instruction, Task, TaskShare
from .workflow import FINAL_STATUSES, ShareState, Status

if TYPE_CHECKING:
    pass

M = TypeVar("M", bound=Model)

VIEW_TASK_PERM = "tasks_app.view_task"
NOT_FOUND = gettext_lazy("任务不存在或无权访问")
OBJECT_NOT_FOUND = gettext_lazy("对象不存在或无权访问")

# --- Seeing ------------------------------------------------------------------------------------


def sees_everything(user: Any) -> bool:
    """Superusers, and leaders, offices and auditors without a scope (the city's)."""
    return bool(user.is_authenticated) and bool(user.governs_all)


def unit_of(user: Any) -> OrgUnit | None:
    """The unit a unit admin or handler acts for (None for every other role)."""
    return user.unit if user.is_authenticated and user.role in UNIT_ROLES else None


def responsible_q(unit: OrgUnit, prefix: str = "") -> Q:
    """Tasks (at ``prefix``) whose lead unit or one of whose cooperating units lies in ``unit``'s subtree."""
    cooperating = Task.cooperating_units.through.objects.filter(
        task_id=OuterRef(f"{prefix}pk"), orgunit__path__startswith=unit.path
    )
    return Q(**{f"{prefix}lead_unit__path__startswith": unit.path}) | Q(Exists(cooperating))


def granted_q(user: Any, prefix: str = "") -> Q:
    """Tasks (at ``prefix``) the user was granted by the office (a django-guardian ``view_task`` grant)."""
    grants = UserObjectPermission.objects.filter(
        user_id=user.pk,
        permission__codename="view_task",
        content_type__app_label="tasks_app",
        content_type__model="task",
        object_pk=Cast(OuterRef(f"{prefix}pk"), CharField()),
    )
    return Q(Exists(grants))


def scope_q(user: Any, prefix: str = "") -> Q:
    """The tasks (at ``prefix``) a user who does not govern everything may see.

    Those of their jurisdiction (scope or unit) subtree, those they created, those whose 分管领导 they
    are, and per-task grants.
    """
    unit = user.jurisdiction
    scope = responsible_q(unit, prefix) if unit is not None else Q(pk__in=[])
    own = Q(**{f"{prefix}created_by_id": user.pk}) | Q(**{f"{prefix}leader_in_charge_id": user.pk})
    return scope | own | granted_q(user, prefix)


def visible_tasks(user: Any, queryset: QuerySet[Task] | None = None) -> QuerySet[Task]:
    """Scope a task queryset to what ``user`` may see, in a single SQL query."""
    qs = Task.objects.all() if queryset is None else queryset
    if not user.is_authenticated or (user.role is None and not user.is_superuser):
        return qs.none()
    if sees_everything(user):
        return qs
    return qs.filter(scope_q(user))


# What a unit may know of a child it may not see (its parent is visible): that it exists, its code and its
# progress (already folded into the parent's weighted progress). Not its title, unit, state, light or reason.
REDACTED_TITLE = gettext_lazy("其他单位负责的事项")
CHILD_REASON = re.compile(r"^下级事项 (?P<code>[0-9A-Za-z.]+)“")


def children_with_visibility(user: Any, task: Task) -> QuerySet[Task]:
    """``task``'s children, each annotated ``seen``: whether ``user`` may see it (still one query)."""
    if sees_everything(user):
        return task.children.annotate(seen=Value(True))
    return task.children.annotate(seen=Exists(visible_tasks(user).filter(pk=OuterRef("pk"))))


def visible_reason(user: Any, task: Task) -> str:
    """The task's light reason, without naming a lower item ``user`` may not see (one query at most)."""
    reason = task.rag_reason or ""
    match = CHILD_REASON.match(reason)
    if match is None or sees_everything(user):
        return reason
    code = match["code"]
    if visible_tasks(user, Task.objects.filter(programme_id=task.programme_id, code=code)).exists():
        return reason
    return _("下级事项 %(code)s（%(who)s）：%(light)s") % {
        "code": code,
        "who": REDACTED_TITLE,
        "light": task.get_rag_display(),
    }


def redacted_reasons(user: Any, reasons: dict[int, tuple[str, str, int]]) -> dict[int, str]:
    """Of ``{task id: (light reason, light label, programme id)}``, the reasons to show instead, by task id
    (one query at most).

    Only reasons naming a lower item the user may not see are replaced; the others are left out.
    """
    if sees_everything(user):
        return {}
    named = {
        pk: (programme, m["code"])
        for pk, (reason, _label, programme) in reasons.items()
        if (m := CHILD_REASON.match(reason or ""))
    }
    if not named:
        return {}
    wanted = Q(pk__in=[])
    for programme, code in set(named.values()):
        wanted |= Q(programme_id=programme, code=code)
    seen = set(visible_tasks(user, Task.objects.filter(wanted)).values_list("programme_id", "code"))
    return {
        pk: _("下级事项 %(code)s（%(who)s）：%(light)s")
        % {"code": ref[1], "who": REDACTED_TITLE, "light": reasons[pk][1]}
        for pk, ref in named.items()
        if ref not in seen
    }


def visible_reasons(user: Any, tasks: Collection[Task]) -> dict[int, str]:
    """``visible_reason`` for a page of tasks: the redacted reasons by task id (one query at most)."""
    return redacted_reasons(user, {t.pk: (t.rag_reason, t.get_rag_display(), t.programme_id) for t in tasks})


def access_task(user: Any, task_id: Any, *, for_update: bool = False, queryset: QuerySet[Task] | None = None) -> Task:
    """The task if ``user`` may see it, else NotFound (the same answer as for a missing task).

    ``for_update`` locks the row until the transaction ends; the lead unit comes with it. Global
    roles and the lead unit itself are decided without another query.
    """
    try:
        pk = int(task_id)
    except (TypeError, ValueError) as exc:
        raise NotFound(NOT_FOUND) from exc
    if not for_update:
        task = visible_tasks(user, queryset).filter(pk=pk).first()
        if task is None:
            raise NotFound(NOT_FOUND)
        return task
    task = Task.objects.select_for_update(of=("self",)).select_related("lead_unit").filter(pk=pk).first()
    if task is None or not user.is_authenticated:
        raise NotFound(NOT_FOUND)
    if sees_everything(user) or leads(user, task) or in_jurisdiction(user, task.lead_unit):
        return task
    if not visible_tasks(user).filter(pk=pk).exists():
        raise NotFound(NOT_FOUND)
    return task


def check_role_on_task(user: Any, task_id: Any, rule: Rule) -> None:
    """Scope before role: NotFound for a task the user cannot see, then PermissionDenied for the role."""
    if not rule.role_allows(user):
        access_task(user, task_id)
        rule.check_role(user)


def enter_task(user: Any, task_id: Any, rule: Rule) -> Task:
    """Scope, then role: the task (NotFound if the user cannot see it), PermissionDenied for the role."""
    task = access_task(user, task_id)
    rule.check_role(user)
    return task


def check_on_task(user: Any, task_id: Any, rule: Rule) -> Task:
    """Scope (404), role (403), then the user's relation to the task (403), for a use case with no state."""
    task = access_task(user, task_id, queryset=Task.objects.select_related("lead_unit"))
    rule.check_role(user)
    rule.check_relation(user, task)
    return task


def enter_object(user: Any, model: type[M], obj_id: Any, rule: Rule) -> M:
    """Scope, then role, for a supervision object on one of the user's tasks."""
    obj = access_object(user, model, obj_id)
    rule.check_role(user)
    return obj


def has_pending_extension(task: Task) -> bool:
    """One extension request at a time: whether the task already has one waiting for the office."""
    return task.extensions.filter(state=ExtensionRequest.State.PENDING).exists()


def can_see_task(user: Any, task: Task) -> bool:
    return visible_tasks(user).filter(pk=task.pk).exists()


def access_object(user: Any, model: type[M], obj_id: Any, *, for_update: bool = False) -> M:
    """A supervision object (instruction, notice, …) on a task ``user`` may see; NotFound otherwise."""
    try:
        pk = int(obj_id)
    except (TypeError, ValueError) as exc:
        raise NotFound(OBJECT_NOT_FOUND) from exc
    qs = model._default_manager.filter(pk=pk, task__in=visible_tasks(user).values("pk"))  # type: ignore[attr-defined]
    if for_update:
        qs = qs.select_for_update(of=("self",))
    obj = qs.first()
    if obj is None:
        raise NotFound(OBJECT_NOT_FOUND)
    return obj  # type: ignore[no-any-return]


def acting_unit(user: Any) -> OrgUnit:
    """The unit a unit user acts for; PermissionDenied for an account with none (it may not act for a unit)."""
    unit = unit_of(user)
    if unit is None:
        raise PermissionDenied(_("您的账号未关联单位"))
    return unit


# --- A user's relation to a task -----------------------------------------------------------------


def in_jurisdiction(user: Any, unit: OrgUnit | None) -> bool:
    """Whether ``unit`` lies within the account's jurisdiction (everything for ``governs_all`` accounts)."""
    if sees_everything(user):
        return True
    jurisdiction = user.jurisdiction
    return jurisdiction is not None and jurisdiction.contains(unit)


def ranking_within(user: Any) -> OrgUnit | None:
    """Whose units a ranking lists: a district's leaders and office rank their district's units; the
    city's roles, and every unit (which must see where it stands among its peers), the programme's."""
    return None if sees_everything(user) or has_role(user, UNIT_ROLES) else user.jurisdiction


def leads(user: Any, task: Task) -> bool:
    """The user acts for the task's lead unit (or a unit above it)."""
    unit = unit_of(user)
    return unit is not None and unit.contains(task.lead_unit)


def cooperates(user: Any, task: Task) -> bool:
    """The user acts for one of the task's cooperating units (uses prefetched ``cooperating_units``)."""
    unit = unit_of(user)
    return unit is not None and any(unit.contains(u) for u in task.cooperating_units.all())


def responsible(user: Any, task: Task) -> bool:
    """The user acts for the lead unit or a cooperating unit."""
    return leads(user, task) or cooperates(user, task)


def relation(user: Any, task: Task) -> str:
    """``"lead"``, ``"cooperating"`` or ``""``: how the user's unit stands to the task."""
    if leads(user, task):
        return "lead"
    return "cooperating" if cooperates(user, task) else ""


def supervises(user: Any, task: Task) -> bool:
    """An office or leader account supervises the task: its lead unit lies in the account's jurisdiction
    (everything for the city's), or the account created it or is its 分管领导.

    A scoped office also *sees* tasks on which a unit of its district only cooperates; supervising
    them stays with the office of the lead unit's level.
    """
    return user.pk in (task.created_by_id, task.leader_in_charge_id) or in_jurisdiction(user, task.lead_unit)


def supervised_tasks(user: Any, queryset: QuerySet[Task] | None = None) -> QuerySet[Task]:
    """The tasks an office or leader supervises (``supervises`` as one query): everything for the city's;
    for a district's, those led within its jurisdiction, that it created or whose 分管领导 it is."""
    qs = Task.objects.all() if queryset is None else queryset
    if sees_everything(user):
        return qs
    own = Q(created_by_id=user.pk) | Q(leader_in_charge_id=user.pk)
    unit = user.jurisdiction if user.is_authenticated else None
    if unit is not None:
        own |= Q(lead_unit__path__startswith=unit.path)
    return qs.filter(own)


def may_fill_programme(user: Any, programme: Any) -> bool:
    """Whether an office may add tasks to a programme in bulk: the city's to any; a district's to the
    programmes run by a unit of its jurisdiction (its own level), not to the city's."""
    if sees_everything(user):
        return True
    return programme.owner_id is not None and in_jurisdiction(user, programme.owner)


def supervises_task_of(user: Any, obj: Any) -> bool:
    """``supervises`` for a supervision object, through its task."""
    return supervises(user, obj.task)


def targeted(user: Any, instruction: Instruction) -> bool:
    """The user acts for one of the instruction's target units (uses prefetched ``target_units``)."""
    unit = unit_of(user)
    return unit is not None and any(unit.contains(u) for u in instruction.target_units.all())


# --- Rules: who may do what, when ----------------------------------------------------------------

Relation = Callable[[Any, Any], bool]
StateTest = Callable[[Any], bool]


@dataclass(frozen=True)
class Rule:
    """Who may do one use case, to what, and when.

    - ``roles``: the roles that may ever do it (otherwise 403 "您的角色无权…");
    - ``relation`` / ``relation_error``: what the user's unit must be to the object (otherwise 403);
    - ``transition``: the workflow transition it fires (its source states decide "when"), or
      ``state`` / ``state_error``: the object's states it can happen in (otherwise 409).
    """

    label: Any
    roles: frozenset[str]
    role_error: Any = gettext_lazy("您的角色无权%(action)s")
    relation: Relation | None = None
    relation_error: Any = ""
    transition: str = ""
    state: StateTest | None = None
    state_error: Any = ""
    # Further conditions on the object, each refused with its own message (409), e.g. a time limit.
    conditions: tuple[tuple[StateTest, Any], ...] = ()

    def role_allows(self, user: Any) -> bool:
        return has_role(user, self.roles)

    def relation_allows(self, user: Any, obj: Any) -> bool:
        return self.relation is None or self.relation(user, obj)

    def state_allows(self, obj: Any, *, guards: bool = True) -> bool:
        """Whether ``obj``'s state lets this happen now; with ``guards``, the transition's conditions too."""
        if self.transition:
            return bool(can_proceed(getattr(obj, self.transition), check_conditions=guards))
        return self.state is None or self.state(obj)

    def allows(self, user: Any, obj: Any) -> bool:
        """May ``user`` do this to ``obj`` now? (the predicate behind every button and ``allowed_transitions``)"""
        return (
            self.role_allows(user)
            and self.relation_allows(user, obj)
            and self.state_allows(obj)
            and all(test(obj) for test, _message in self.conditions)
        )

    def check_role(self, user: Any) -> None:
        if not self.role_allows(user):
            raise PermissionDenied(str(self.role_error) % {"action": self.label})

    def check_relation(self, user: Any, obj: Any) -> None:
        if not self.relation_allows(user, obj):
            raise PermissionDenied(str(self.relation_error) % {"action": self.label})

    def check_state(self, obj: Any) -> None:
        if not self.state_allows(obj, guards=False):
            raise InvalidTransition(self.state_message(obj))
        for test, message in self.conditions:
            if not test(obj):
                raise InvalidTransition(str(message))

    def check(self, user: Any, obj: Any) -> None:
        """Raise the refusal a user gets: 403 for the role or the relation, 409 for the state."""
        self.check_role(user)
        self.check_relation(user, obj)
        self.check_state(obj)

    def state_message(self, obj: Any) -> str:
        if self.state_error:
            return str(self.state_error) % {"action": self.label, "state": _state_label(obj)}
        return _("当前状态为“%(state)s”，不能%(action)s") % {"state": _state_label(obj), "action": self.label}


def _state_label(obj: Any) -> str:
    if isinstance(obj, Task):
        return obj.status_label
    return str(obj.get_state_display())


def status_in(statuses: Collection[str]) -> StateTest:
    return lambda task: task.status in statuses


OFFICE = frozenset({Role.OFFICE})
LEADER = frozenset({Role.LEADER})
OFFICE_OR_LEADER = frozenset({Role.OFFICE, Role.LEADER})
ONLY_LEAD = gettext_lazy("只有牵头单位可以%(action)s")
ONLY_RESPONSIBLE = gettext_lazy("只有牵头或配合单位可以%(action)s")
TASK_STATE = gettext_lazy("任务当前状态为“%(state)s”，不能%(action)s")
NOT_FINAL = [s.value for s in Status if s not in FINAL_STATUSES]
# A task is being worked on (feedback, problems, extensions) once handed over and until it is final,
# unless the unit returned it as not its own.
STARTED = [s for s in NOT_FINAL if s not in (Status.DRAFT, Status.RETURNED)]
OPEN_FOR_FEEDBACK = frozenset(
    {Status.ASSIGNED, Status.IN_PROGRESS, Status.UNIT_REVIEW, Status.CORRECTING, Status.UNDER_REVIEW}
)


NOT_SUPERVISED = gettext_lazy("该任务不在您的督办范围内，不能%(action)s")


def _transition(name: str, label: Any, roles: frozenset[str], *, unit_leads: bool = False) -> Rule:
    return Rule(
        label,
        roles,
        relation=leads if unit_leads else supervises,
        relation_error=ONLY_LEAD if unit_leads else NOT_SUPERVISED,
        transition=name,
        state_error=TASK_STATE,
    )


def within_return_period(task: Task) -> bool:
    """A unit may return a task within ``TASK_RETURN_WORKING_DAYS`` working days of its assignment."""
    if task.assigned_at is None:
        return True
    last_day = add_working_days(timezone.localdate(task.assigned_at), settings.TASK_RETURN_WORKING_DAYS)
    return timezone.localdate() <= last_day


# The closed loop (workflow transitions). Unit roles act only on tasks their unit leads.
ASSIGN = _transition("assign", gettext_lazy("交办"), OFFICE)
ACCEPT = _transition("accept", gettext_lazy("签收"), UNIT_ROLES, unit_leads=True)
DECLINE = Rule(
    gettext_lazy("退回"),
    UNIT_ROLES,
    relation=leads,
    relation_error=ONLY_LEAD,
    transition="decline",
    state_error=TASK_STATE,
    conditions=(
        (
            within_return_period,
            gettext_lazy("已超过退回期限：任务交办后的规定工作日内才能退回，如有异议请与督查室联系"),
        ),
    ),
)
REASSIGN = _transition("reassign", gettext_lazy("改派"), OFFICE)
SUBMIT_COMPLETION = _transition("submit_completion", gettext_lazy("报送办结"), UNIT_ROLES, unit_leads=True)
UNIT_SIGNOFF = Rule(
    gettext_lazy("审核本单位的办结报送"),
    frozenset({Role.UNIT_ADMIN}),
    role_error=gettext_lazy("只有单位负责人（单位管理员）可以%(action)s"),
    relation=leads,
    relation_error=ONLY_LEAD,
    transition="unit_signoff",
    state_error=TASK_STATE,
)
REQUEST_CORRECTION = _transition("request_correction", gettext_lazy("退回整改"), OFFICE)
APPROVE = _transition("approve", gettext_lazy("审核通过"), OFFICE)
EVALUATE = _transition("evaluate", gettext_lazy("评价"), OFFICE)
REOPEN = _transition("reopen", gettext_lazy("重新打开"), OFFICE_OR_LEADER)
CANCEL = _transition("cancel", gettext_lazy("撤销"), OFFICE_OR_LEADER)
TRANSITION_RULES = {
    rule.transition: rule
    for rule in (
        ASSIGN,
        ACCEPT,
        DECLINE,
        REASSIGN,
        SUBMIT_COMPLETION,
        UNIT_SIGNOFF,
        REQUEST_CORRECTION,
        APPROVE,
        EVALUATE,
        REOPEN,
        CANCEL,
    )
}


def allowed_transitions(user: Any, task: Task) -> list[str]:
    """The workflow transitions ``user`` may fire on ``task`` now, in the workflow's order."""
    return [name for name, rule in TRANSITION_RULES.items() if rule.allows(user, task)]


# Supervision raised on a task.
SUBMIT_FEEDBACK = Rule(
    gettext_lazy("报送进度"),
    UNIT_ROLES,
    relation=responsible,
    relation_error=ONLY_RESPONSIBLE,
    state=status_in(OPEN_FOR_FEEDBACK),
    state_error=TASK_STATE,
)
REPORT_PROBLEM = Rule(
    gettext_lazy("反馈问题"),
    UNIT_ROLES,
    relation=responsible,
    relation_error=ONLY_RESPONSIBLE,
    state=status_in(STARTED),
    state_error=TASK_STATE,
)
REQUEST_EXTENSION = Rule(
    gettext_lazy("申请延期"),
    UNIT_ROLES,
    relation=leads,
    relation_error=ONLY_LEAD,
    state=status_in(STARTED),
    state_error=TASK_STATE,
)
ISSUE_INSTRUCTION = Rule(
    gettext_lazy("作出批示"),
    LEADER,
    relation=supervises,
    relation_error=NOT_SUPERVISED,
    state=status_in(NOT_FINAL),
    state_error=TASK_STATE,
)
ISSUE_NOTICE = Rule(
    gettext_lazy("发出督办"),
    OFFICE_OR_LEADER,
    relation=supervises,
    relation_error=NOT_SUPERVISED,
    state=status_in(NOT_FINAL),
    state_error=gettext_lazy("任务当前状态为“%(state)s”，不能督办"),
)

# Acting on a supervision object.
ANSWER_INSTRUCTION = Rule(
    gettext_lazy("回复批示"),
    UNIT_ROLES,
    relation=targeted,
    relation_error=gettext_lazy("只有承办单位可以回复该批示"),
    transition="answer",
    state_error=gettext_lazy("批示当前状态为“%(state)s”，不能回复"),
)
REVIEW_INSTRUCTION = Rule(
    gettext_lazy("审核批示回复"),
    OFFICE_OR_LEADER,
    relation=supervises_task_of,
    relation_error=NOT_SUPERVISED,
    transition="approve",
    state_error=gettext_lazy("批示当前状态为“%(state)s”，不能审核"),
)
LIFT_NOTICE = Rule(
    gettext_lazy("督办销号"),
    OFFICE,
    relation=supervises_task_of,
    relation_error=NOT_SUPERVISED,
    transition="lift",
    state_error=gettext_lazy("该督办已销号"),
)
ANSWER_PROBLEM = Rule(
    gettext_lazy("答复问题"),
    OFFICE_OR_LEADER,
    relation=supervises_task_of,
    relation_error=NOT_SUPERVISED,
    transition="answer",
    state_error=gettext_lazy("该问题已办结"),
)
DECIDE_EXTENSION = Rule(
    gettext_lazy("审批延期申请"),
    OFFICE,
    relation=supervises_task_of,
    relation_error=NOT_SUPERVISED,
    transition="approve",
    state_error=gettext_lazy("该延期申请已审批"),
)

# Handing an item down (下发/分解): its lead unit's head, or the office supervising it, splits it
# into sub-items for units below the lead unit; each runs the same loop at its level.
HAND_DOWN = Rule(
    gettext_lazy("下发分解"),
    frozenset({Role.OFFICE, Role.UNIT_ADMIN}),
    role_error=gettext_lazy("只有牵头单位负责人（单位管理员）或督查室可以%(action)s"),
    relation=lambda user, task: leads_or_supervises(user, task),
    relation_error=gettext_lazy("只有牵头单位或督办该任务的督查室可以%(action)s"),
    state=status_in({Status.IN_PROGRESS, Status.CORRECTING}),
    state_error=gettext_lazy("任务当前状态为“%(state)s”，签收后才能%(action)s"),
    conditions=(
        (
            lambda task: task.lead_unit.children.exists(),
            gettext_lazy("牵头单位没有下级单位或内设处室，无法下发；请先在组织机构中添加"),
        ),
    ),
)


# Cooperating units' shares (分工).


def leads_or_supervises(user: Any, task: Task) -> bool:
    """The lead unit coordinates its cooperating units; the office supervising the task may too."""
    return supervises(user, task) if user.role in (Role.OFFICE, Role.LEADER) else leads(user, task)


def holds_share(user: Any, share: TaskShare) -> bool:
    """The user acts for the cooperating unit whose share it is."""
    unit = unit_of(user)
    return unit is not None and unit.contains(share.unit)


def task_started(share: TaskShare) -> bool:
    return share.task.status in STARTED


SET_SHARE = Rule(
    gettext_lazy("设定配合分工"),
    frozenset({Role.OFFICE, *UNIT_ROLES}),
    relation=leads_or_supervises,
    relation_error=gettext_lazy("只有牵头单位或督办该任务的督查室可以%(action)s"),
    state=status_in(STARTED),
    state_error=TASK_STATE,
    conditions=(
        (
            lambda task: bool(task.cooperating_units.all()),
            gettext_lazy("该任务没有配合单位，请先在任务中添加配合单位"),
        ),
    ),
)
REPORT_SHARE = Rule(
    gettext_lazy("报送分工进展"),
    UNIT_ROLES,
    relation=holds_share,
    relation_error=gettext_lazy("只有承担该分工的配合单位可以%(action)s"),
    state=lambda share: share.state == ShareState.OPEN,
    state_error=gettext_lazy("分工当前状态为“%(state)s”，不能%(action)s"),
    conditions=((task_started, gettext_lazy("任务尚未交办或已办结，不能报送分工进展")),),
)
REOPEN_SHARE = Rule(
    gettext_lazy("退回分工"),
    frozenset({Role.OFFICE, *UNIT_ROLES}),
    relation=lambda user, share: leads_or_supervises(user, share.task),
    relation_error=gettext_lazy("只有牵头单位或督办该任务的督查室可以%(action)s"),
    transition="reopen",
    state_error=gettext_lazy("分工当前状态为“%(state)s”，不能%(action)s"),
    conditions=((task_started, gettext_lazy("任务已办结或尚未交办，不能退回分工")),),
)

# Writing the task list itself, and the attachments and grants around it.
CREATE_TASK = Rule(gettext_lazy("创建任务"), OFFICE)
CREATE_PROGRAMME = Rule(gettext_lazy("设立专项"), OFFICE)
UPDATE_TASK = Rule(gettext_lazy("修改任务"), OFFICE, relation=supervises, relation_error=NOT_SUPERVISED)
MOVE_TASK = Rule(gettext_lazy("调整任务层级"), OFFICE, relation=supervises, relation_error=NOT_SUPERVISED)
DELETE_TASK = Rule(gettext_lazy("删除任务"), OFFICE, relation=supervises, relation_error=NOT_SUPERVISED)
USE_OFFICE_DESK = Rule(gettext_lazy("使用督办工作台"), OFFICE, role_error=gettext_lazy("只有督查室可以使用督办工作台"))
IMPORT_TASKLIST = Rule(gettext_lazy("导入任务清单"), OFFICE)
EXPORT_TASKLIST = Rule(gettext_lazy("导出任务清单"), OFFICE)
SHARE_TASK = Rule(gettext_lazy("授权查看任务"), OFFICE, relation=supervises, relation_error=NOT_SUPERVISED)
UNSHARE_TASK = Rule(gettext_lazy("撤销任务授权"), OFFICE, relation=supervises, relation_error=NOT_SUPERVISED)
UPLOAD = Rule(
    gettext_lazy("上传附件"),
    frozenset({Role.OFFICE, *UNIT_ROLES}),
    relation=lambda user, task: supervises(user, task) if user.role == Role.OFFICE else responsible(user, task),
    relation_error=gettext_lazy("只有督办该任务的督查室和该任务的牵头、配合单位可以上传附件"),
)
IMPORT_MEASUREMENTS = Rule(gettext_lazy("导入指标数据"), frozenset({Role.OFFICE, *UNIT_ROLES}))
SET_TRAJECTORY = Rule(gettext_lazy("设置指标轨迹"), OFFICE, relation=supervises, relation_error=NOT_SUPERVISED)
PULL_MEASUREMENTS = Rule(gettext_lazy("从外部数据源拉取指标数据"), OFFICE)
REPORT_INDICATOR = Rule(
    gettext_lazy("填报指标"),
    frozenset({Role.OFFICE, *UNIT_ROLES}),
    relation=lambda user, task: supervises(user, task) if user.role == Role.OFFICE else responsible(user, task),
    relation_error=gettext_lazy("只有牵头单位、配合单位或督办该任务的督查室可以填报该任务的指标"),
)
