"""Supervision raised on a task and acted on: instructions (批示), notices (督办), problem reports
(问题反馈) and extension requests (延期申请).

Each service: scope (404) → role (403) → input (400) → lock → unit (403) → state (409), then the
object's FSM transition, one trace entry, the light refresh and, after commit, the notifications.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orgs.models import OrgUnit
from reform.errors import ConflictError, ValidationError

from .. import access, events
from ..models import ExtensionRequest, Instruction, Notice, ProblemReport, Task
from ..notify import notify_on_commit
from .common import require_text
from .rollup import schedule_light_refresh

if TYPE_CHECKING:
    from accounts.models import User


def _future_date(value: date | None, field: str, missing: str, past: str) -> date:
    if value is None:
        raise ValidationError(missing, fields={field: [_("必填")]})
    if value < timezone.localdate():
        raise ValidationError(past, fields={field: [_("不能早于今天")]})
    return value


# --- Instructions (批示) ------------------------------------------------------------------------


def instruction_issue(
    *,
    actor: User,
    task: Task,
    text: str,
    due_date: date | None,
    target_units: Iterable[OrgUnit] | None = None,
) -> Instruction:
    """批示: a leader instructs on a task; the target units (default: the lead unit) must answer by the due date."""
    rule = access.ISSUE_INSTRUCTION
    task = access.enter_task(actor, task.pk, rule)
    text = require_text(text, "text", _("批示内容"))
    due_date = _future_date(due_date, "due_date", _("请填写回复时限"), _("回复时限不能早于今天"))
    units = list(target_units) if target_units else [task.lead_unit]
    with transaction.atomic():
        task = access.access_task(actor, task.pk, for_update=True)
        rule.check(actor, task)
        instruction = Instruction.objects.create(task=task, author=actor, text=text, due_date=due_date)
        instruction.target_units.set(units)
        entry = events.INSTRUCTION_ISSUED(
            actor=actor,
            obj=instruction,
            task=task,
            to_state=instruction.state,
            payload={"text": text, "due_date": due_date, "target_units": [u.name for u in units]},
        )
        schedule_light_refresh([task.pk])
        notify_on_commit(events.INSTRUCTION_ISSUED.action, task=task, actor=actor, key=str(entry.seq), body=text)
    return instruction


def instruction_answer(*, actor: User, instruction: Instruction, response: str) -> Instruction:
    """A target unit answers an instruction (again, after it was sent back)."""
    rule = access.ANSWER_INSTRUCTION
    access.enter_object(actor, Instruction, instruction.pk, rule)
    response = require_text(response, "response", _("回复内容"))
    with transaction.atomic():
        instruction = access.access_object(actor, Instruction, instruction.pk, for_update=True)
        rule.check(actor, instruction)
        from_state = instruction.state
        instruction.answer()
        instruction.response = response
        instruction.responded_by = actor
        instruction.responded_at = timezone.now()
        instruction.save(update_fields=["state", "response", "responded_by", "responded_at"])
        entry = events.INSTRUCTION_ANSWERED(
            actor=actor,
            obj=instruction,
            task=instruction.task,
            from_state=from_state,
            to_state=instruction.state,
            payload={"response": response, "on_time": instruction.responded_at.date() <= instruction.due_date},
        )
        schedule_light_refresh([instruction.task_id])
        notify_on_commit(events.INSTRUCTION_ANSWERED.action, task=instruction.task, actor=actor, key=str(entry.seq))
    return instruction


def instruction_review(*, actor: User, instruction: Instruction, approve: bool, comment: str = "") -> Instruction:
    """The office or the leader accepts an answer (已落实) or sends it back (退回重办, comment required)."""
    rule = access.REVIEW_INSTRUCTION
    access.enter_object(actor, Instruction, instruction.pk, rule)
    if not approve:
        comment = require_text(comment, "comment", _("退回理由"))
    with transaction.atomic():
        instruction = access.access_object(actor, Instruction, instruction.pk, for_update=True)
        rule.check(actor, instruction)
        from_state = instruction.state
        if approve:
            instruction.approve()
        else:
            instruction.send_back()
        instruction.review_comment = comment.strip()
        instruction.save(update_fields=["state", "review_comment"])
        event = events.INSTRUCTION_APPROVED if approve else events.INSTRUCTION_RETURNED
        entry = event(
            actor=actor,
            obj=instruction,
            task=instruction.task,
            from_state=from_state,
            to_state=instruction.state,
            payload={"comment": instruction.review_comment},
        )
        schedule_light_refresh([instruction.task_id])
        notify_on_commit(event.action, task=instruction.task, actor=actor, key=str(entry.seq))
    return instruction


# --- Notices (督办) -----------------------------------------------------------------------------


def notice_issue(
    *,
    actor: User | None,
    task: Task,
    level: int,
    reason: str,
    deadline: date | None = None,
    source: str = Notice.Source.MANUAL,
    dedupe_key: str | None = None,
) -> Notice:
    """督办: raise a notice (提醒/催办/督办/挂牌督办). ``actor=None`` is the escalation job (deduplicated)."""
    rule = access.ISSUE_NOTICE
    if actor is not None:
        task = access.access_task(actor, task.pk)
        rule.check_role(actor)
    reason = require_text(reason, "reason", _("督办事由"))
    if level not in Notice.Level.values:
        raise ValidationError(_("未知的督办等级"), fields={"level": [_("无效")]})
    with transaction.atomic():
        task = access.access_task(actor, task.pk, for_update=True) if actor is not None else _lock_task(task.pk)
        rule.check_state(task)
        if dedupe_key and Notice.objects.filter(dedupe_key=dedupe_key).exists():
            return Notice.objects.get(dedupe_key=dedupe_key)
        notice = Notice.objects.create(
            task=task,
            level=level,
            reason=reason,
            deadline=deadline,
            source=source,
            issued_by=actor,
            dedupe_key=dedupe_key,
        )
        entry = events.NOTICE_ISSUED(
            actor=actor,
            obj=notice,
            task=task,
            to_state=notice.state,
            payload={"level": notice.get_level_display(), "reason": reason, "deadline": deadline, "source": source},
        )
        schedule_light_refresh([task.pk])
        notify_on_commit(events.NOTICE_ISSUED.action, task=task, actor=actor, key=str(entry.seq), body=reason)
    return notice


def _lock_task(task_id: int) -> Task:
    """The task row, locked, for a job acting as the system (no user scope applies)."""
    return Task.objects.select_for_update(of=("self",)).select_related("lead_unit").get(pk=task_id)


def notice_lift(*, actor: User, notice: Notice, comment: str = "") -> Notice:
    """销号: the office closes a notice; listed supervision (挂牌督办) stays open until it does."""
    rule = access.LIFT_NOTICE
    access.enter_object(actor, Notice, notice.pk, rule)
    with transaction.atomic():
        notice = access.access_object(actor, Notice, notice.pk, for_update=True)
        rule.check(actor, notice)
        from_state = notice.state
        notice.lift()
        notice.lifted_by = actor
        notice.lifted_at = timezone.now()
        notice.save(update_fields=["state", "lifted_by", "lifted_at"])
        events.NOTICE_LIFTED(
            actor=actor,
            obj=notice,
            task=notice.task,
            from_state=from_state,
            to_state=notice.state,
            payload={"level": notice.get_level_display(), "comment": comment.strip()},
        )
        schedule_light_refresh([notice.task_id])
    return notice


# --- Problem reports (问题反馈) -----------------------------------------------------------------


def problem_report(*, actor: User, task: Task, text: str) -> ProblemReport:
    """问题反馈: a lead or cooperating unit raises a problem with the office."""
    rule = access.REPORT_PROBLEM
    access.enter_task(actor, task.pk, rule)
    text = require_text(text, "text", _("问题描述"))
    with transaction.atomic():
        task = access.access_task(actor, task.pk, for_update=True)
        rule.check(actor, task)
        problem = ProblemReport.objects.create(task=task, text=text, unit=access.acting_unit(actor), reported_by=actor)
        entry = events.PROBLEM_REPORTED(
            actor=actor,
            obj=problem,
            task=task,
            to_state=problem.state,
            payload={"text": text, "unit": problem.unit.name},
        )
        notify_on_commit(events.PROBLEM_REPORTED.action, task=task, actor=actor, key=str(entry.seq), body=text)
    return problem


def problem_answer(*, actor: User, problem: ProblemReport, response: str, resolve: bool = False) -> ProblemReport:
    """The office or a leader answers a problem report, optionally marking it resolved."""
    rule = access.ANSWER_PROBLEM
    access.enter_object(actor, ProblemReport, problem.pk, rule)
    response = require_text(response, "response", _("答复内容"))
    with transaction.atomic():
        problem = access.access_object(actor, ProblemReport, problem.pk, for_update=True)
        rule.check(actor, problem)
        from_state = problem.state
        if resolve:
            problem.resolve()
        else:
            problem.answer()
        problem.response = response
        problem.responded_by = actor
        problem.responded_at = timezone.now()
        problem.save(update_fields=["state", "response", "responded_by", "responded_at"])
        event = events.PROBLEM_RESOLVED if resolve else events.PROBLEM_ANSWERED
        entry = event(
            actor=actor,
            obj=problem,
            task=problem.task,
            from_state=from_state,
            to_state=problem.state,
            payload={"response": response},
        )
        notify_on_commit(
            events.PROBLEM_ANSWERED.action, task=problem.task, actor=actor, key=str(entry.seq), body=response
        )
    return problem


# --- Extension requests (延期申请) --------------------------------------------------------------


def extension_request(*, actor: User, task: Task, requested_deadline: date | None, reason: str) -> ExtensionRequest:
    """延期申请: the lead unit asks for a later deadline, with a reason; one pending request at a time."""
    rule = access.REQUEST_EXTENSION
    access.enter_task(actor, task.pk, rule)
    reason = require_text(reason, "reason", _("申请理由"))
    if requested_deadline is None:
        raise ValidationError(_("请填写申请延至的日期"), fields={"requested_deadline": [_("必填")]})
    with transaction.atomic():
        task = access.access_task(actor, task.pk, for_update=True)
        rule.check(actor, task)
        if task.deadline is not None and requested_deadline <= task.deadline:
            raise ValidationError(
                _("申请延至的日期必须晚于现有完成时限 %(d)s") % {"d": task.deadline},
                fields={"requested_deadline": [_("必须晚于现有时限")]},
            )
        if access.has_pending_extension(task):
            raise ConflictError(_("该任务已有待审批的延期申请"))
        request = ExtensionRequest.objects.create(
            task=task,
            old_deadline=task.deadline,
            requested_deadline=requested_deadline,
            reason=reason,
            requested_by=actor,
        )
        entry = events.EXTENSION_REQUESTED(
            actor=actor,
            obj=request,
            task=task,
            to_state=request.state,
            payload={"old_deadline": task.deadline, "requested_deadline": requested_deadline, "reason": reason},
        )
        notify_on_commit(events.EXTENSION_REQUESTED.action, task=task, actor=actor, key=str(entry.seq), body=reason)
    return request


def extension_decide(*, actor: User, request: ExtensionRequest, approve: bool, comment: str = "") -> ExtensionRequest:
    """The office approves (the deadline moves, traced old → new) or rejects (reason required) an extension."""
    rule = access.DECIDE_EXTENSION
    access.enter_object(actor, ExtensionRequest, request.pk, rule)
    if not approve:
        comment = require_text(comment, "comment", _("驳回理由"))
    with transaction.atomic():
        request = access.access_object(actor, ExtensionRequest, request.pk, for_update=True)
        task = access.access_task(actor, request.task_id, for_update=True)
        rule.check(actor, request)
        from_state = request.state
        if approve:
            request.approve()
        else:
            request.reject()
        request.decided_by = actor
        request.decided_at = timezone.now()
        request.decision_comment = comment.strip()
        request.save(update_fields=["state", "decided_by", "decided_at", "decision_comment"])
        payload: dict[str, Any] = {"comment": request.decision_comment}
        if approve:
            payload["deadline"] = [task.deadline, request.requested_deadline]
            task.deadline = request.requested_deadline
            task.save(update_fields=["deadline", "updated_at"])
        event = events.EXTENSION_APPROVED if approve else events.EXTENSION_REJECTED
        entry = event(
            actor=actor,
            obj=request,
            task=task,
            from_state=from_state,
            to_state=request.state,
            payload=payload,
        )
        schedule_light_refresh([task.pk])
        notify_on_commit(event.action, task=task, actor=actor, key=str(entry.seq), body=request.decision_comment)
    return request
