"""The closed loop's workflow transitions: one service per transition, each one trace entry.

交办 → 签收 → 报送办结 → (退回整改 →) 审核通过 → 评价办结; 撤销 from any open state, 重新打开 after
closing. Each service locks the task, checks the rule (who, which unit, which state), fires the FSM
transition and records its event; notifications leave after commit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from accounts.models import User
from orgs.models import OrgUnit
from reform.errors import ConflictError, DomainError, InvalidTransition, ValidationError
from reform.roles import Role
from trail.events import EventType

from .. import access, events, workflow
from ..models import CorrectionOrder, Evaluation, EvaluationCriterion, Task
from ..notify import notify_on_commit
from ..workflow import Status
from .common import raise_if, require_text, to_decimal
from .rollup import rollup_from, schedule_light_refresh

GRADE_THRESHOLDS = ((Decimal("90"), "优"), (Decimal("80"), "良"), (Decimal("60"), "中"))


def grade_for(total: Decimal) -> str:
    """优 ≥ 90, 良 ≥ 80, 中 ≥ 60, otherwise 差."""
    return next((grade for floor, grade in GRADE_THRESHOLDS if total >= floor), "差")


def _transition(
    *,
    actor: User,
    task: Task,
    rule: access.Rule,
    expected_status: str | None = None,
    validate: Callable[[Task], None] | None = None,
    arguments: dict[str, Any] | None = None,
) -> tuple[Task, str]:
    """Fire ``rule``'s transition: scope (404) → role (403) → lock → unit (403) → state (409).

    ``validate`` runs after the state check with the locked task; it may raise ValidationError.
    Returns the locked, updated task and the state it came from. Must run inside ``atomic``.
    """
    access.check_role_on_task(actor, task.pk, rule)
    locked = access.access_task(actor, task.pk, for_update=True)
    rule.check_relation(actor, locked)
    from_state = locked.status
    if expected_status is not None and expected_status != from_state:
        raise ConflictError(
            _("任务已被他人处理，当前状态为“%(state)s”，请刷新后再操作") % {"state": locked.status_label}
        )
    rule.check_state(locked)
    method = getattr(locked, rule.transition)
    if not can_proceed(method):
        open_codes = locked.open_children_codes()
        raise InvalidTransition(
            _("下级任务尚未全部办结，不能%(action)s：%(codes)s")
            % {"action": rule.label, "codes": "、".join(open_codes[:20]) + ("等" if len(open_codes) > 20 else "")}
        )
    if validate is not None:
        validate(locked)
    method(**(arguments or {}))
    return locked, from_state


PROGRESS_CHANGING = (events.TASK_EVALUATED, events.TASK_CANCELLED)


def _finish_transition(
    *, actor: User, task: Task, event: EventType, from_state: str, payload: dict[str, Any], fields: list[str]
) -> Task:
    """Save the new state, write the one trace entry, roll up, refresh lights, notify after commit."""
    Task.objects.filter(pk=task.pk).update(
        status=task.status, updated_at=timezone.now(), **{field: getattr(task, field) for field in fields}
    )
    entry = event(actor=actor, task=task, from_state=from_state, to_state=task.status, payload=payload)
    if task.parent_id and event in PROGRESS_CHANGING:
        rollup_from([task.parent_id])
    if workflow.light_class(from_state) != workflow.light_class(task.status):
        schedule_light_refresh([task.pk])
    notify_on_commit(event.action, task=task, actor=actor, key=str(entry.seq))
    return task


def task_assign(*, actor: User, task: Task, comment: str = "", expected_status: str | None = None) -> Task:
    """交办: the office hands a drafted task to its lead unit."""
    with transaction.atomic():
        task, from_state = _transition(actor=actor, task=task, rule=access.ASSIGN, expected_status=expected_status)
        payload = {"lead_unit": task.lead_unit.name, "comment": comment.strip()}
        task.assigned_at = timezone.now()
        return _finish_transition(
            actor=actor,
            task=task,
            event=events.TASK_ASSIGNED,
            from_state=from_state,
            payload=payload,
            fields=["assigned_at"],
        )


@dataclass(frozen=True)
class AssignResult:
    task_id: int
    task: Task | None
    ok: bool
    message: str


def tasks_assign(*, actor: User, task_ids: Sequence[int], comment: str = "") -> list[AssignResult]:
    """批量交办: assign each drafted task on its own; one refusal stops no other, and each result is named."""
    tasks = access.visible_tasks(actor).filter(pk__in=list(task_ids)).select_related("lead_unit").in_bulk()
    results = []
    for task_id in task_ids:
        task = tasks.get(task_id)
        if task is None:
            results.append(AssignResult(task_id, None, False, _("任务不存在")))
            continue
        try:
            task_assign(actor=actor, task=task, comment=comment, expected_status=Status.DRAFT)
        except DomainError as exc:
            results.append(AssignResult(task_id, task, False, exc.message))
        else:
            results.append(AssignResult(task_id, task, True, _("已交办给%(unit)s") % {"unit": task.lead_unit}))
    return results


def task_accept(*, actor: User, task: Task, expected_status: str | None = None) -> Task:
    """签收: the lead unit signs for an assigned task."""
    with transaction.atomic():
        task, from_state = _transition(actor=actor, task=task, rule=access.ACCEPT, expected_status=expected_status)
        return _finish_transition(
            actor=actor,
            task=task,
            event=events.TASK_ACCEPTED,
            from_state=from_state,
            payload={"unit": actor.unit.name if actor.unit else ""},
            fields=[],
        )


def task_submit_completion(
    *,
    actor: User,
    task: Task,
    summary: str,
    correction_answer: str = "",
    open_children_reason: str = "",
    expected_status: str | None = None,
) -> Task:
    """报送办结: the lead unit reports the task done; after a correction order it must answer it.

    A handler's report goes to the unit head first (待单位负责人审核); the unit admin's goes to the
    office. A task with sub-items still open may be reported done only with the reason why.
    """
    summary = require_text(summary, "summary", _("办结情况"))
    with transaction.atomic():
        open_order: list[CorrectionOrder] = []
        open_codes: list[str] = []

        def validate(locked: Task) -> None:
            order = locked.corrections.select_for_update().filter(state=CorrectionOrder.State.OPEN).first()
            if order is not None:
                if not correction_answer.strip():
                    raise ValidationError(
                        _("请填写整改情况，答复整改要求：%(req)s") % {"req": order.requirement},
                        fields={"correction_answer": [_("必填")]},
                    )
                open_order.append(order)
            open_codes.extend(locked.open_children_codes())
            if open_codes and not open_children_reason.strip():
                message = _("下级事项尚未全部办结（%(codes)s），请说明为何现在报送办结") % {
                    "codes": "、".join(open_codes[:10]) + ("等" if len(open_codes) > 10 else "")
                }
                raise ValidationError(message, fields={"open_children_reason": [message]})

        signoff = actor.role == Role.UNIT_HANDLER and unit_has_head(task.lead_unit_id)
        task, from_state = _transition(
            actor=actor,
            task=task,
            rule=access.SUBMIT_COMPLETION,
            expected_status=expected_status,
            validate=validate,
            arguments={"signoff": signoff},
        )
        payload: dict[str, Any] = {"summary": summary}
        if open_codes:
            payload.update({"open_children": open_codes, "open_children_reason": open_children_reason.strip()})
        if open_order:
            order = open_order[0]
            order.mark_answered()
            order.answer = correction_answer.strip()
            order.answered_by = actor
            order.answered_at = timezone.now()
            order.save(update_fields=["state", "answer", "answered_by", "answered_at"])
            payload.update({"correction_id": order.pk, "correction_answer": order.answer})
        return _finish_transition(
            actor=actor,
            task=task,
            event=events.TASK_SUBMITTED_FOR_SIGNOFF if signoff else events.TASK_COMPLETION_SUBMITTED,
            from_state=from_state,
            payload=payload,
            fields=[],
        )


def unit_has_head(unit_id: int) -> bool:
    """Whether the unit has an active head (unit admin) to sign off its handlers' completion reports.

    A unit without one cannot hold a report back: its handlers' reports go to the office directly.
    """
    return User.objects.filter(unit_id=unit_id, groups__name=Role.UNIT_ADMIN, is_active=True).exists()


def task_unit_signoff(
    *, actor: User, task: Task, approve: bool, comment: str = "", expected_status: str | None = None
) -> Task:
    """负责人审核: the unit head passes a handler's completion report on to the office, or sends it back."""
    if not approve:
        comment = require_text(comment, "comment", _("退回理由"))
    with transaction.atomic():
        correcting = Task.objects.get(pk=task.pk).corrections.filter(state=CorrectionOrder.State.ANSWERED).exists()
        task, from_state = _transition(
            actor=actor,
            task=task,
            rule=access.UNIT_SIGNOFF,
            expected_status=expected_status,
            arguments={"approve": approve, "correcting": correcting and not approve},
        )
        return _finish_transition(
            actor=actor,
            task=task,
            event=events.TASK_SIGNED_OFF if approve else events.TASK_SIGNOFF_RETURNED,
            from_state=from_state,
            payload={"comment": comment.strip()},
            fields=[],
        )


def task_decline(*, actor: User, task: Task, reason: str, expected_status: str | None = None) -> Task:
    """退回: the lead unit returns a task that is not its own, with the reason, within the return period."""
    reason = require_text(reason, "reason", _("退回理由"))
    with transaction.atomic():
        task, from_state = _transition(actor=actor, task=task, rule=access.DECLINE, expected_status=expected_status)
        return _finish_transition(
            actor=actor,
            task=task,
            event=events.TASK_DECLINED,
            from_state=from_state,
            payload={"reason": reason, "unit": task.lead_unit.name},
            fields=[],
        )


def task_reassign(
    *,
    actor: User,
    task: Task,
    lead_unit: OrgUnit | None = None,
    comment: str = "",
    expected_status: str | None = None,
) -> Task:
    """改派: the office hands the task to another lead unit, or (no unit given) insists on the same one."""
    with transaction.atomic():

        def validate(locked: Task) -> None:
            if lead_unit is not None and not access.in_jurisdiction(actor, lead_unit):
                message = _("单位“%(u)s”不在您的管辖范围内") % {"u": lead_unit.name}
                raise ValidationError(message, fields={"lead_unit": [message]})

        task, from_state = _transition(
            actor=actor, task=task, rule=access.REASSIGN, expected_status=expected_status, validate=validate
        )
        old_unit = task.lead_unit
        new_unit = lead_unit if lead_unit is not None else old_unit
        task.lead_unit = new_unit
        task.assigned_at = timezone.now()
        payload = {
            "lead_unit": [old_unit.name, new_unit.name],
            "insisted": new_unit.pk == old_unit.pk,
            "comment": comment.strip(),
        }
        _finish_transition(
            actor=actor,
            task=task,
            event=events.TASK_REASSIGNED,
            from_state=from_state,
            payload=payload,
            fields=["lead_unit", "assigned_at"],
        )
        schedule_light_refresh([task.pk])  # the light's reasons name the lead unit's reports
        return task


def task_request_correction(
    *, actor: User, task: Task, requirement: str, due_date: date | None, expected_status: str | None = None
) -> CorrectionOrder:
    """整改: the office sends a completion report back with a requirement and a due date."""
    requirement = require_text(requirement, "requirement", _("整改要求"))
    if due_date is None:
        raise ValidationError(_("请填写整改时限"), fields={"due_date": [_("必填")]})
    if due_date < timezone.localdate():
        raise ValidationError(_("整改时限不能早于今天"), fields={"due_date": [_("不能早于今天")]})
    with transaction.atomic():
        task, from_state = _transition(
            actor=actor, task=task, rule=access.REQUEST_CORRECTION, expected_status=expected_status
        )
        order = CorrectionOrder.objects.create(task=task, requirement=requirement, due_date=due_date, issued_by=actor)
        _finish_transition(
            actor=actor,
            task=task,
            event=events.TASK_CORRECTION_REQUESTED,
            from_state=from_state,
            payload={"correction_id": order.pk, "requirement": requirement, "due_date": due_date},
            fields=[],
        )
    return order


def task_approve(*, actor: User, task: Task, comment: str = "", expected_status: str | None = None) -> Task:
    """审核通过: the office accepts the completion report; the task waits for evaluation."""
    with transaction.atomic():
        task, from_state = _transition(actor=actor, task=task, rule=access.APPROVE, expected_status=expected_status)
        return _finish_transition(
            actor=actor,
            task=task,
            event=events.TASK_APPROVED,
            from_state=from_state,
            payload={"comment": comment.strip()},
            fields=[],
        )


def evaluation_criteria(task: Task) -> list[EvaluationCriterion]:
    """Return the task's own criteria, else its domain's; empty means one overall score."""
    own = list(task.criteria.all().order_by("id"))
    if own:
        return own
    return list(EvaluationCriterion.objects.filter(domain_id=task.domain_id, task__isnull=True).order_by("id"))


OVERALL_KEY = "overall"


def _score_evaluation(task: Task, scores: dict[Any, Any]) -> tuple[dict[str, str], Decimal]:
    """Validate scores per criterion and return them with the weighted total on a 100-point scale."""
    criteria = evaluation_criteria(task)
    clean: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    if not criteria:
        raw = scores.get(OVERALL_KEY)
        try:
            value = to_decimal(raw, OVERALL_KEY, _("综合评分"))
        except ValidationError:
            raise ValidationError(_("请填写综合评分（0–100）"), fields={OVERALL_KEY: [_("必填")]}) from None
        if not Decimal(0) <= value <= Decimal(100):
            raise ValidationError(_("综合评分应在 0 到 100 之间"), fields={OVERALL_KEY: [_("超出范围")]})
        return {OVERALL_KEY: str(value)}, value.quantize(Decimal("0.01"))
    weighted = Decimal(0)
    weights = Decimal(0)
    for criterion in criteria:
        key = str(criterion.pk)
        raw = scores.get(key, scores.get(criterion.pk))
        if raw in (None, ""):
            errors[key] = [_("请为“%(name)s”打分") % {"name": criterion.name}]
            continue
        try:
            value = to_decimal(raw, key, criterion.name)
        except ValidationError:
            errors[key] = [_("“%(name)s”的得分必须是数字") % {"name": criterion.name}]
            continue
        if not Decimal(0) <= value <= criterion.max_score:
            errors[key] = [
                _("“%(name)s”的得分应在 0 到 %(max)s 之间")
                % {"name": criterion.name, "max": format(criterion.max_score.normalize(), "f")}
            ]
            continue
        clean[key] = str(value)
        weighted += value / criterion.max_score * Decimal(100) * criterion.weight
        weights += criterion.weight
    raise_if(errors)
    return clean, (weighted / weights).quantize(Decimal("0.01"))


def task_evaluate(
    *,
    actor: User,
    task: Task,
    scores: dict[str, Any],
    comment: str = "",
    period_end: date | None = None,
    expected_status: str | None = None,
) -> Evaluation:
    """评价: score every criterion of the task's evaluation system; the task closes with a grade."""
    with transaction.atomic():
        holder: dict[str, Any] = {}

        def validate(locked: Task) -> None:
            holder["scores"], holder["total"] = _score_evaluation(locked, scores or {})

        task, from_state = _transition(
            actor=actor, task=task, rule=access.EVALUATE, expected_status=expected_status, validate=validate
        )
        total: Decimal = holder["total"]
        evaluation = Evaluation.objects.create(
            task=task,
            period_end=period_end or timezone.localdate(),
            scores=holder["scores"],
            total=total,
            grade=grade_for(total),
            evaluator=actor,
            comment=comment.strip(),
        )
        task.closed_at = timezone.now()
        task.progress = Decimal(100)
        _finish_transition(
            actor=actor,
            task=task,
            event=events.TASK_EVALUATED,
            from_state=from_state,
            fields=["closed_at", "progress"],
            payload={
                "evaluation_id": evaluation.pk,
                "scores": holder["scores"],
                "total": total,
                "grade": evaluation.grade,
                "comment": evaluation.comment,
            },
        )
    return evaluation


def task_reopen(*, actor: User, task: Task, reason: str, expected_status: str | None = None) -> Task:
    """Reopen a closed task (office or leader), with a reason."""
    reason = require_text(reason, "reason", _("重新打开的理由"))
    with transaction.atomic():
        task, from_state = _transition(actor=actor, task=task, rule=access.REOPEN, expected_status=expected_status)
        task.closed_at = None
        return _finish_transition(
            actor=actor,
            task=task,
            event=events.TASK_REOPENED,
            from_state=from_state,
            payload={"reason": reason},
            fields=["closed_at"],
        )


def task_cancel(*, actor: User, task: Task, reason: str, expected_status: str | None = None) -> Task:
    """撤销: withdraw a task that is not final (office or leader), with a reason."""
    reason = require_text(reason, "reason", _("撤销理由"))
    with transaction.atomic():
        task, from_state = _transition(actor=actor, task=task, rule=access.CANCEL, expected_status=expected_status)
        return _finish_transition(
            actor=actor,
            task=task,
            event=events.TASK_CANCELLED,
            from_state=from_state,
            payload={"reason": reason},
            fields=[],
        )
