"""Every write to the task list and the closed loop: one function per use case.

Each service checks permission first, runs atomically, locks what it changes, writes exactly one
trace entry through ``events.record`` and schedules side effects with ``transaction.on_commit``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from accounts.access import get_visible_task, require_role_on_task, sees_everything, visible_tasks
from orgs.models import OrgUnit
from reform.errors import ConflictError, InvalidTransition, NotFound, PermissionDenied, ValidationError
from reform.roles import Role, require_role

from . import events, tree, workflow
from .models import (
    CorrectionOrder,
    Domain,
    Evaluation,
    EvaluationCriterion,
    ExtensionRequest,
    Feedback,
    Instruction,
    Notice,
    ProblemReport,
    Task,
)
from .notify import notify_on_commit
from .workflow import Status

if TYPE_CHECKING:
    from accounts.models import User

OFFICE_ROLES = frozenset({Role.OFFICE})
TASK_EDIT_FIELDS = (
    "title",
    "description",
    "domain",
    "is_governance",
    "is_service",
    "lead_unit",
    "owner_name",
    "owner",
    "start_date",
    "deadline",
    "weight",
)


# --- Task tree ----------------------------------------------------------------------------------


def _to_decimal(value: Any, field: str, label: str) -> Decimal:
    try:
        result = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise ValidationError(_("%(label)s必须是数字") % {"label": label}, fields={field: [_("必须是数字")]}) from exc
    if not result.is_finite():
        raise ValidationError(_("%(label)s必须是数字") % {"label": label}, fields={field: [_("必须是数字")]})
    return result


def _validate_task_fields(data: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if "title" in data and not str(data["title"] or "").strip():
        errors["title"] = [_("任务名称不能为空")]
    if "weight" in data and data["weight"] is not None:
        try:
            if _to_decimal(data["weight"], "weight", _("权重")) <= 0:
                errors["weight"] = [_("权重必须大于 0")]
        except ValidationError as exc:
            errors.update(exc.fields)
    start, deadline = data.get("start_date"), data.get("deadline")
    if isinstance(start, date) and isinstance(deadline, date) and deadline < start:
        errors["deadline"] = [_("完成时限（%(d)s）不能早于开始日期（%(s)s）") % {"d": deadline, "s": start}]
    return errors


def _raise_if(errors: dict[str, list[str]]) -> None:
    if errors:
        message = "；".join(m for msgs in errors.values() for m in msgs)
        raise ValidationError(message, fields=errors)


def task_create(
    *,
    actor: User | None,
    code: str,
    title: str,
    domain: Domain | None = None,
    lead_unit: OrgUnit,
    cooperating_units: Iterable[OrgUnit] = (),
    description: str = "",
    is_governance: bool = False,
    is_service: bool = False,
    owner_name: str = "",
    owner: User | None = None,
    start_date: date | None = None,
    deadline: date | None = None,
    weight: Decimal | int | str = 1,
) -> Task:
    """Create a task under the parent its code names (``2.3.1`` goes under ``2.3``)."""
    if actor is not None:
        require_role(actor, OFFICE_ROLES, _("创建任务"))
    code = tree.normalise_code(code)
    errors: dict[str, list[str]] = {}
    if message := tree.code_error(code):
        errors["code"] = [message]
    errors.update(
        _validate_task_fields({"title": title, "weight": weight, "start_date": start_date, "deadline": deadline})
    )
    _raise_if(errors)
    with transaction.atomic():
        parent = None
        if parent_code := tree.parent_code(code):
            parent = Task.objects.select_for_update().filter(code=parent_code).first()
            if parent is None:
                raise ValidationError(
                    _("上级任务“%(code)s”不存在") % {"code": parent_code}, fields={"code": [_("上级任务不存在")]}
                )
        if domain is None:
            if parent is None:
                raise ValidationError(_("请选择改革领域"), fields={"domain": [_("必填")]})
            domain = parent.domain
        if Task.objects.filter(code=code).exists():
            raise ValidationError(_("编号“%(code)s”已存在") % {"code": code}, fields={"code": [_("编号重复")]})
        task = Task(
            code=code,
            sort_key=tree.sort_key(code),
            parent=parent,
            depth=tree.depth_of(code),
            title=title.strip(),
            description=description,
            domain=domain,
            is_governance=is_governance,
            is_service=is_service,
            lead_unit=lead_unit,
            owner_name=owner_name,
            owner=owner,
            start_date=start_date,
            deadline=deadline,
            weight=Decimal(str(weight)),
        )
        try:
            task.save()
        except IntegrityError as exc:
            raise ConflictError(_("编号“%(code)s”已被占用，请刷新后重试") % {"code": code}) from exc
        task.cooperating_units.set(list(cooperating_units))
        if parent is not None and parent.is_leaf:
            Task.objects.filter(pk=parent.pk).update(is_leaf=False)
        events.TASK_CREATED(
            actor=actor,
            task=task,
            to_state=task.status,
            payload={"code": code, "title": task.title, "lead_unit": lead_unit.name},
        )
        rollup_progress([code])
        schedule_light_refresh([task.pk])
    return task


def task_update(*, actor: User, task: Task, **changes: Any) -> Task:
    """Edit a task's fields (not its state or code); the trace records old and new values."""
    require_role_on_task(actor, task.pk, OFFICE_ROLES, _("修改任务"))
    unknown = set(changes) - set(TASK_EDIT_FIELDS) - {"cooperating_units"}
    if unknown:
        raise ValidationError(_("不能修改字段：%(f)s") % {"f": "、".join(sorted(unknown))})
    with transaction.atomic():
        task = Task.objects.select_for_update().get(pk=task.pk)
        merged = {f: getattr(task, f) for f in ("title", "weight", "start_date", "deadline")}
        merged.update({k: v for k, v in changes.items() if k in merged})
        _raise_if(_validate_task_fields(merged))
        diff: dict[str, list[Any]] = {}
        for field, value in changes.items():
            if field == "cooperating_units":
                old = sorted(u.name for u in task.cooperating_units.all())
                task.cooperating_units.set(list(value))
                new = sorted(u.name for u in value)
                if old != new:
                    diff[field] = [old, new]
                continue
            if field == "weight":
                value = Decimal(str(value))
            old_value = getattr(task, field)
            if old_value != value:
                diff[field] = [
                    str(old_value) if old_value is not None else None,
                    str(value) if value is not None else None,
                ]
                setattr(task, field, value)
        if not diff:
            return task
        task.save()
        events.TASK_UPDATED(actor=actor, task=task, payload={"changes": diff})
        if "weight" in diff:
            rollup_progress([task.code])
        schedule_light_refresh([task.pk])
    return task


def task_move(*, actor: User, task: Task, new_parent: Task | None) -> Task:
    """Move a task (and its subtree) under ``new_parent``; codes are renumbered to the new place."""
    require_role_on_task(actor, task.pk, OFFICE_ROLES, _("调整任务层级"))
    with transaction.atomic():
        task = Task.objects.select_for_update().get(pk=task.pk)
        old_code = task.code
        old_parent_code = task.parent_id
        if new_parent is not None:
            new_parent = Task.objects.select_for_update().get(pk=new_parent.pk)
            if new_parent.code == old_code or new_parent.code.startswith(old_code + "."):
                raise ValidationError(_("不能把任务移动到它自己或它的下级任务之下"), fields={"parent": [_("无效")]})
        if (new_parent.code if new_parent else None) == old_parent_code:
            raise ValidationError(_("任务已在该位置"), fields={"parent": [_("未变化")]})
        prefix = f"{new_parent.code}." if new_parent else ""
        siblings = Task.objects.filter(parent=new_parent) if new_parent else Task.objects.filter(parent__isnull=True)
        used = [c.rsplit(".", 1)[-1] for c in siblings.values_list("code", flat=True)]
        next_no = max((int(s) for s in used if s.isdigit()), default=0) + 1
        new_code = f"{prefix}{next_no}"
        subtree = list(Task.objects.select_for_update().filter(code__startswith=old_code + ".").order_by("depth"))
        Task.objects.filter(pk=task.pk).update(
            code=new_code, parent=new_parent, sort_key=tree.sort_key(new_code), depth=tree.depth_of(new_code)
        )
        for node in subtree:
            code = new_code + node.code[len(old_code) :]
            Task.objects.filter(pk=node.pk).update(
                code=code, parent_id=tree.parent_code(code), sort_key=tree.sort_key(code), depth=tree.depth_of(code)
            )
        if new_parent is not None and new_parent.is_leaf:
            Task.objects.filter(pk=new_parent.pk).update(is_leaf=False)
        if old_parent_code and not Task.objects.filter(parent__code=old_parent_code).exists():
            Task.objects.filter(code=old_parent_code).update(is_leaf=True)
        task.refresh_from_db()
        events.TASK_MOVED(
            actor=actor,
            task=task,
            payload={"old_code": old_code, "new_code": new_code, "moved_descendants": len(subtree)},
        )
        rollup_progress([new_code])
        rollup_from([old_parent_code])
        old_parent_ids = list(Task.objects.filter(code=old_parent_code).values_list("pk", flat=True))
        schedule_light_refresh([task.pk, *old_parent_ids])  # the old chain loses this child's light
    return task


def task_delete(*, actor: User, task: Task) -> None:
    """Delete a task only when nothing hangs off it: no children, indicators or supervision history."""
    require_role_on_task(actor, task.pk, OFFICE_ROLES, _("删除任务"))
    with transaction.atomic():
        task = Task.objects.select_for_update().get(pk=task.pk)
        blockers = []
        checks = [
            ("children", _("下级任务")),
            ("indicators", _("指标")),
            ("instructions", _("批示")),
            ("notices", _("督办")),
            ("feedbacks", _("进度反馈")),
            ("problems", _("问题反馈")),
            ("corrections", _("整改")),
            ("extensions", _("延期申请")),
            ("evaluations", _("评价")),
            ("milestones", _("里程碑")),
            ("attachments", _("附件")),
        ]
        for related, label in checks:
            if getattr(task, related).exists():
                blockers.append(label)
        if task.status != Status.DRAFT:
            blockers.append(_("已进入办理流程"))
        if blockers:
            raise ValidationError(
                _("任务“%(code)s”不能删除：已有%(what)s") % {"code": task.code, "what": "、".join(blockers)}
            )
        code, parent_code = task.code, task.parent_id
        events.TASK_DELETED(actor=actor, task=task, payload={"code": code, "title": task.title})
        task.cooperating_units.clear()
        task.measures.all().delete()
        task.criteria.all().delete()
        task.policies.clear()
        task.delete()
        if parent_code and not Task.objects.filter(parent__code=parent_code).exists():
            Task.objects.filter(code=parent_code).update(is_leaf=True)
        rollup_from([parent_code])
        schedule_light_refresh(Task.objects.filter(code=parent_code).values_list("pk", flat=True))


# --- Roll-up ------------------------------------------------------------------------------------


def rollup_progress(codes: Iterable[str]) -> None:
    """Recompute the weighted-mean progress of every ancestor of the tasks ``codes``, deepest first.

    One aggregate and one update per ancestor: the chain is short (tree depth), so reads never
    have to walk the tree. Cancelled children do not count.
    """
    ancestors: set[str] = set()
    for code in codes:
        ancestors.update(tree.ancestor_codes(code))
    _rollup(ancestors)


def rollup_from(parent_codes: Iterable[str | None]) -> None:
    """Recompute these parents and all their ancestors (after a child left or was deleted)."""
    nodes: set[str] = set()
    for code in parent_codes:
        if code:
            nodes.add(code)
            nodes.update(tree.ancestor_codes(code))
    _rollup(nodes)


def _rollup(ancestors: set[str]) -> None:
    for code in sorted(ancestors, key=tree.depth_of, reverse=True):
        agg = (
            Task.objects.filter(parent__code=code)
            .exclude(status=Status.CANCELLED)
            .aggregate(weighted=Sum(F("progress") * F("weight")), weights=Sum("weight"))
        )
        if agg["weights"]:
            value = (Decimal(agg["weighted"]) / Decimal(agg["weights"])).quantize(Decimal("0.01"))
            Task.objects.filter(code=code).update(progress=value)


def schedule_light_refresh(task_ids: Iterable[int]) -> None:
    """Recompute the lights of these tasks and their ancestors in the current transaction."""
    from indicators import rag

    rag.refresh_lights(list(task_ids))


def get_task_for_update(task_id: int, *, actor: User | None = None) -> Task:
    """Lock and return the task row; with ``actor``, a task outside their scope is NotFound (404).

    The common cases (global roles, the lead unit itself) are decided without another query; only
    otherwise is the one-query scope check (cooperation, per-object grants) consulted.
    """
    try:
        task = Task.objects.select_for_update(of=("self",)).select_related("lead_unit").get(pk=task_id)
    except (Task.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("任务不存在或无权访问")) from exc
    if actor is not None and not sees_everything(actor):
        unit = actor.unit
        in_lead_unit = unit is not None and task.lead_unit.path.startswith(unit.path)
        if not in_lead_unit and not visible_tasks(actor).filter(pk=task.pk).exists():
            raise NotFound(_("任务不存在或无权访问"))
    return task


# --- The closed loop: workflow transitions ------------------------------------------------------

GRADE_THRESHOLDS = ((Decimal("90"), "优"), (Decimal("80"), "良"), (Decimal("60"), "中"))


def grade_for(total: Decimal) -> str:
    """优 ≥ 90, 良 ≥ 80, 中 ≥ 60, otherwise 差."""
    return next((grade for floor, grade in GRADE_THRESHOLDS if total >= floor), "差")


def _require_text(value: str | None, field: str, label: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError(_("请填写%(label)s") % {"label": label}, fields={field: [_("必填")]})
    return text


def _transition(
    *,
    actor: User,
    task: Task,
    name: str,
    payload: dict[str, Any] | None = None,
    expected_status: str | None = None,
    validate: Any = None,
) -> tuple[Task, str]:
    """Fire transition ``name``: scope (404) → role (403) → lock → state (409) → one trace entry.

    ``validate`` runs after the state check with the locked task; it may raise ValidationError.
    Returns the locked, updated task and the state it came from. Must run inside ``atomic``.
    """
    label = str(workflow.TRANSITIONS[name]["label"])
    if not workflow.role_may(name, actor):
        get_visible_task(actor, task.pk)
        raise PermissionDenied(_("您的角色无权%(action)s") % {"action": label})
    locked = get_task_for_update(task.pk, actor=actor)
    if not workflow.actor_may(name, actor, locked):
        raise PermissionDenied(_("只有牵头单位可以%(action)s") % {"action": label})
    from_state = locked.status
    if expected_status is not None and expected_status != from_state:
        raise ConflictError(
            _("任务已被他人处理，当前状态为“%(state)s”，请刷新后再操作") % {"state": locked.status_label}
        )
    method = getattr(locked, name)
    if not can_proceed(method, check_conditions=False):
        raise InvalidTransition(
            _("任务当前状态为“%(state)s”，不能%(action)s") % {"state": locked.status_label, "action": label}
        )
    if not can_proceed(method):
        open_codes = locked.open_children_codes()
        raise InvalidTransition(
            _("下级任务尚未全部办结，不能%(action)s：%(codes)s")
            % {"action": label, "codes": "、".join(open_codes[:20]) + ("等" if len(open_codes) > 20 else "")}
        )
    if validate is not None:
        validate(locked)
    method()
    return locked, from_state


# Transitions after which the parent's weighted progress can change (evaluate sets 100%; a
# cancelled child drops out of the mean; reopening keeps progress as it was).
PROGRESS_CHANGING_TRANSITIONS = frozenset({"evaluate", "cancel"})


def _finish_transition(
    *, actor: User, task: Task, name: str, from_state: str, payload: dict[str, Any], fields: list[str]
) -> Task:
    Task.objects.filter(pk=task.pk).update(
        status=task.status, updated_at=timezone.now(), **{field: getattr(task, field) for field in fields}
    )
    entry = events.TRANSITION_EVENTS[name](
        actor=actor, task=task, from_state=from_state, to_state=task.status, payload=payload
    )
    if task.parent_id and name in PROGRESS_CHANGING_TRANSITIONS:
        rollup_from([task.parent_id])
    if workflow.light_class(from_state) != workflow.light_class(task.status):
        schedule_light_refresh([task.pk])
    notify_on_commit(f"task.{name}", task=task, actor=actor, key=str(entry.seq))
    return task


def task_assign(*, actor: User, task: Task, comment: str = "", expected_status: str | None = None) -> Task:
    """交办: the office hands a drafted task to its lead unit."""
    with transaction.atomic():
        task, from_state = _transition(actor=actor, task=task, name="assign", expected_status=expected_status)
        payload = {"lead_unit": task.lead_unit.name, "comment": comment.strip()}
        return _finish_transition(
            actor=actor, task=task, name="assign", from_state=from_state, payload=payload, fields=[]
        )


def task_accept(*, actor: User, task: Task, expected_status: str | None = None) -> Task:
    """签收: the lead unit signs for an assigned task."""
    with transaction.atomic():
        task, from_state = _transition(actor=actor, task=task, name="accept", expected_status=expected_status)
        return _finish_transition(
            actor=actor,
            task=task,
            name="accept",
            from_state=from_state,
            payload={"unit": actor.unit.name if actor.unit else ""},
            fields=[],
        )


def task_submit_completion(
    *, actor: User, task: Task, summary: str, correction_answer: str = "", expected_status: str | None = None
) -> Task:
    """报送办结: the lead unit reports the task done; after a correction order it must answer it."""
    summary = _require_text(summary, "summary", _("办结情况"))
    with transaction.atomic():
        open_order: list[CorrectionOrder] = []

        def validate(locked: Task) -> None:
            order = locked.corrections.select_for_update().filter(state=CorrectionOrder.State.OPEN).first()
            if order is not None:
                if not correction_answer.strip():
                    raise ValidationError(
                        _("请填写整改情况，答复整改要求：%(req)s") % {"req": order.requirement},
                        fields={"correction_answer": [_("必填")]},
                    )
                open_order.append(order)

        task, from_state = _transition(
            actor=actor, task=task, name="submit_completion", expected_status=expected_status, validate=validate
        )
        payload: dict[str, Any] = {"summary": summary}
        if open_order:
            order = open_order[0]
            order.state = CorrectionOrder.State.ANSWERED
            order.answer = correction_answer.strip()
            order.answered_by = actor
            order.answered_at = timezone.now()
            order.save(update_fields=["state", "answer", "answered_by", "answered_at"])
            payload.update({"correction_id": order.pk, "correction_answer": order.answer})
        return _finish_transition(
            actor=actor, task=task, name="submit_completion", from_state=from_state, payload=payload, fields=[]
        )


def task_request_correction(
    *, actor: User, task: Task, requirement: str, due_date: date | None, expected_status: str | None = None
) -> CorrectionOrder:
    """整改: the office sends a completion report back with a requirement and a due date."""
    requirement = _require_text(requirement, "requirement", _("整改要求"))
    if due_date is None:
        raise ValidationError(_("请填写整改时限"), fields={"due_date": [_("必填")]})
    if due_date < timezone.localdate():
        raise ValidationError(_("整改时限不能早于今天"), fields={"due_date": [_("不能早于今天")]})
    with transaction.atomic():
        task, from_state = _transition(
            actor=actor, task=task, name="request_correction", expected_status=expected_status
        )
        order = CorrectionOrder.objects.create(task=task, requirement=requirement, due_date=due_date, issued_by=actor)
        _finish_transition(
            actor=actor,
            task=task,
            name="request_correction",
            from_state=from_state,
            payload={"correction_id": order.pk, "requirement": requirement, "due_date": due_date},
            fields=[],
        )
    return order


def task_approve(*, actor: User, task: Task, comment: str = "", expected_status: str | None = None) -> Task:
    """审核通过: the office accepts the completion report; the task waits for evaluation."""
    with transaction.atomic():
        task, from_state = _transition(actor=actor, task=task, name="approve", expected_status=expected_status)
        return _finish_transition(
            actor=actor,
            task=task,
            name="approve",
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
            value = _to_decimal(raw, OVERALL_KEY, _("综合评分"))
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
            value = _to_decimal(raw, key, criterion.name)
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
    _raise_if(errors)
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
            actor=actor, task=task, name="evaluate", expected_status=expected_status, validate=validate
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
            name="evaluate",
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
    reason = _require_text(reason, "reason", _("重新打开的理由"))
    with transaction.atomic():
        task, from_state = _transition(actor=actor, task=task, name="reopen", expected_status=expected_status)
        task.closed_at = None
        return _finish_transition(
            actor=actor,
            task=task,
            name="reopen",
            from_state=from_state,
            payload={"reason": reason},
            fields=["closed_at"],
        )


def task_cancel(*, actor: User, task: Task, reason: str, expected_status: str | None = None) -> Task:
    """撤销: withdraw a task that is not final (office or leader), with a reason."""
    reason = _require_text(reason, "reason", _("撤销理由"))
    with transaction.atomic():
        task, from_state = _transition(actor=actor, task=task, name="cancel", expected_status=expected_status)
        return _finish_transition(
            actor=actor, task=task, name="cancel", from_state=from_state, payload={"reason": reason}, fields=[]
        )


TRANSITION_SERVICES = {
    "assign": task_assign,
    "accept": task_accept,
    "submit_completion": task_submit_completion,
    "request_correction": task_request_correction,
    "approve": task_approve,
    "evaluate": task_evaluate,
    "reopen": task_reopen,
    "cancel": task_cancel,
}


def allowed_transitions(*, actor: User, task: Task) -> list[str]:
    """Return the transitions this user may fire on this task now (state, role, unit and guards)."""
    result = []
    for name in workflow.TRANSITIONS:
        if not workflow.actor_may(name, actor, task):
            continue
        if can_proceed(getattr(task, name), check_conditions=False):
            result.append(name)
    return result


# --- Supervision objects ------------------------------------------------------------------------

UNIT_ROLE_SET = frozenset({Role.UNIT_ADMIN, Role.UNIT_HANDLER})
OPEN_FOR_FEEDBACK = frozenset({Status.ASSIGNED, Status.IN_PROGRESS, Status.CORRECTING, Status.UNDER_REVIEW})


def _require_open(task: Task, action: str) -> None:
    if task.is_final:
        raise InvalidTransition(
            _("任务当前状态为“%(state)s”，不能%(action)s") % {"state": task.status_label, "action": action}
        )


def _unit_of_actor_on_task(actor: User, task: Task, *, lead_only: bool, action: str) -> OrgUnit:
    """Return the actor's unit if it leads (or, unless ``lead_only``, cooperates on) the task; else 403."""
    unit = actor.unit
    if unit is not None and task.lead_unit.path.startswith(unit.path):
        return unit
    if not lead_only and unit is not None and task.cooperating_units.filter(path__startswith=unit.path).exists():
        return unit
    if lead_only:
        raise PermissionDenied(_("只有牵头单位可以%(action)s") % {"action": action})
    raise PermissionDenied(_("只有牵头或配合单位可以%(action)s") % {"action": action})


def _lock(model: type[Any], pk: int) -> Any:
    obj = model.objects.select_for_update().filter(pk=pk).first()
    if obj is None:
        raise NotFound(_("对象不存在或无权访问"))
    return obj


def instruction_issue(
    *,
    actor: User,
    task: Task,
    text: str,
    due_date: date | None,
    target_units: Iterable[OrgUnit] | None = None,
) -> Instruction:
    """批示: a leader instructs on a task; the target units (default: the lead unit) must answer by the due date."""
    task = get_visible_task(actor, task.pk)
    require_role(actor, {Role.LEADER}, _("作出批示"))
    text = _require_text(text, "text", _("批示内容"))
    if due_date is None:
        raise ValidationError(_("请填写回复时限"), fields={"due_date": [_("必填")]})
    if due_date < timezone.localdate():
        raise ValidationError(_("回复时限不能早于今天"), fields={"due_date": [_("不能早于今天")]})
    units = list(target_units) if target_units else [task.lead_unit]
    with transaction.atomic():
        task = get_task_for_update(task.pk)
        _require_open(task, _("作出批示"))
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
        notify_on_commit("instruction.issue", task=task, actor=actor, key=str(entry.seq), body=text)
    return instruction


def instruction_answer(*, actor: User, instruction: Instruction, response: str) -> Instruction:
    """A target unit answers an instruction (again, after it was sent back)."""
    get_visible_task(actor, instruction.task_id)
    require_role(actor, UNIT_ROLE_SET, _("回复批示"))
    response = _require_text(response, "response", _("回复内容"))
    with transaction.atomic():
        instruction = _lock(Instruction, instruction.pk)
        unit_paths = [u.path for u in instruction.target_units.all()]
        if actor.unit is None or not any(p.startswith(actor.unit.path) for p in unit_paths):
            raise PermissionDenied(_("只有承办单位可以回复该批示"))
        if instruction.state not in (Instruction.State.ISSUED, Instruction.State.RETURNED):
            raise InvalidTransition(
                _("批示当前状态为“%(state)s”，不能回复") % {"state": instruction.get_state_display()}
            )
        from_state = instruction.state
        instruction.state = Instruction.State.ANSWERED
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
        notify_on_commit("instruction.answer", task=instruction.task, actor=actor, key=str(entry.seq))
    return instruction


def instruction_review(*, actor: User, instruction: Instruction, approve: bool, comment: str = "") -> Instruction:
    """The office or the leader accepts an answer (已落实) or sends it back (退回重办, comment required)."""
    get_visible_task(actor, instruction.task_id)
    require_role(actor, {Role.OFFICE, Role.LEADER}, _("审核批示回复"))
    if not approve:
        comment = _require_text(comment, "comment", _("退回理由"))
    with transaction.atomic():
        instruction = _lock(Instruction, instruction.pk)
        if instruction.state != Instruction.State.ANSWERED:
            raise InvalidTransition(
                _("批示当前状态为“%(state)s”，不能审核") % {"state": instruction.get_state_display()}
            )
        from_state = instruction.state
        instruction.state = Instruction.State.APPROVED if approve else Instruction.State.RETURNED
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
    if actor is not None:
        task = get_visible_task(actor, task.pk)
        require_role(actor, {Role.OFFICE, Role.LEADER}, _("发出督办"))
    reason = _require_text(reason, "reason", _("督办事由"))
    if level not in Notice.Level.values:
        raise ValidationError(_("未知的督办等级"), fields={"level": [_("无效")]})
    with transaction.atomic():
        task = get_task_for_update(task.pk)
        _require_open(task, _("督办"))
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
        notify_on_commit("notice.issue", task=task, actor=actor, key=str(entry.seq), body=reason)
    return notice


def notice_lift(*, actor: User, notice: Notice, comment: str = "") -> Notice:
    """销号: the office closes a notice; listed supervision (挂牌督办) stays open until it does."""
    get_visible_task(actor, notice.task_id)
    require_role(actor, {Role.OFFICE}, _("督办销号"))
    with transaction.atomic():
        notice = _lock(Notice, notice.pk)
        if notice.state != Notice.State.OPEN:
            raise InvalidTransition(_("该督办已销号"))
        notice.state = Notice.State.LIFTED
        notice.lifted_by = actor
        notice.lifted_at = timezone.now()
        notice.save(update_fields=["state", "lifted_by", "lifted_at"])
        events.NOTICE_LIFTED(
            actor=actor,
            obj=notice,
            task=notice.task,
            from_state=Notice.State.OPEN,
            to_state=notice.state,
            payload={"level": notice.get_level_display(), "comment": comment.strip()},
        )
        schedule_light_refresh([notice.task_id])
    return notice


def tenday_due_date(period_end: date) -> date:
    """A ten-day report for the period ending ``period_end`` is due on the next configured due day."""
    from reform.periods import due_date

    return due_date(period_end)


def feedback_submit(
    *,
    actor: User,
    task: Task,
    text: str,
    progress: Decimal | int | str,
    kind: str = Feedback.Kind.TENDAY,
    period_end: date | None = None,
    indicator_values: dict[int, Any] | None = None,
    files: Iterable[Any] = (),
) -> Feedback:
    """旬报 / progress feedback: text, progress %, indicator values and attachments; state is unchanged.

    The lead unit's report moves the task's progress; a cooperating unit's report is recorded only.
    """
    from indicators.models import Indicator, Measurement
    from reform.periods import period_of

    task = get_visible_task(actor, task.pk)
    require_role(actor, UNIT_ROLE_SET, _("报送进度"))
    text = _require_text(text, "text", _("工作进展"))
    value = _to_decimal(progress, "progress", _("进度"))
    if not Decimal(0) <= value <= Decimal(100):
        raise ValidationError(_("进度应在 0 到 100 之间"), fields={"progress": [_("超出范围")]})
    if kind not in Feedback.Kind.values:
        raise ValidationError(_("未知的反馈类型"), fields={"kind": [_("无效")]})
    today = timezone.localdate()
    if kind == Feedback.Kind.TENDAY:
        period = period_of(period_end or today)
        if period.start > today:
            raise ValidationError(_("不能报送未来期间的旬报"), fields={"period_end": [_("无效")]})
        period_end = period.end
    with transaction.atomic():
        task = get_task_for_update(task.pk)
        unit = _unit_of_actor_on_task(actor, task, lead_only=False, action=_("报送进度"))
        if task.status not in OPEN_FOR_FEEDBACK:
            raise InvalidTransition(_("任务当前状态为“%(state)s”，不能报送进度") % {"state": task.status_label})
        is_lead = task.lead_unit.path.startswith(unit.path)
        measured: dict[str, str] = {}
        if indicator_values:
            indicators = {i.pk: i for i in Indicator.objects.filter(task=task, pk__in=list(indicator_values))}
            errors: dict[str, list[str]] = {}
            for indicator_id, raw in indicator_values.items():
                indicator = indicators.get(int(indicator_id))
                if indicator is None:
                    errors[f"indicator_{indicator_id}"] = [_("该指标不属于此任务")]
                    continue
                if raw in (None, ""):
                    continue
                try:
                    number = _to_decimal(raw, f"indicator_{indicator_id}", indicator.name)
                except ValidationError:
                    errors[f"indicator_{indicator_id}"] = [_("“%(n)s”必须是数字") % {"n": indicator.name}]
                    continue
                measure_period = period_of(period_end or today, indicator.period_kind).end
                Measurement.objects.update_or_create(
                    indicator=indicator,
                    period_end=measure_period,
                    defaults={
                        "value": number,
                        "reported_by": actor,
                        "source": Measurement.Source.TENDAY,
                        "evidence": _("旬报填报"),
                    },
                )
                measured[indicator.name] = str(number)
            _raise_if(errors)
        on_time = kind != Feedback.Kind.TENDAY or today <= tenday_due_date(period_end)  # type: ignore[arg-type]
        feedback = Feedback.objects.create(
            task=task,
            kind=kind,
            period_end=period_end,
            text=text,
            progress=value,
            unit=unit,
            submitted_by=actor,
            on_time=on_time,
        )
        stored = []
        if files:
            from .attachments import attachment_store

            for uploaded in files:
                attachment = attachment_store(actor=actor, task=task, uploaded_file=uploaded, feedback=feedback)
                stored.append(attachment.original_name)
        old_progress = task.progress
        if is_lead and task.is_leaf and value != task.progress:
            task.progress = value
            task.save(update_fields=["progress", "updated_at"])
        events.FEEDBACK_SUBMITTED(
            actor=actor,
            obj=feedback,
            task=task,
            payload={
                "kind": kind,
                "period_end": period_end,
                "progress": [old_progress, task.progress],
                "text": text,
                "indicator_values": measured,
                "attachments": stored,
                "on_time": on_time,
                "unit": unit.name,
            },
        )
        if task.parent_id:
            rollup_from([task.parent_id])
        schedule_light_refresh([task.pk])
    return feedback


def problem_report(*, actor: User, task: Task, text: str) -> ProblemReport:
    """问题反馈: a lead or cooperating unit raises a problem with the office."""
    task = get_visible_task(actor, task.pk)
    require_role(actor, UNIT_ROLE_SET, _("反馈问题"))
    text = _require_text(text, "text", _("问题描述"))
    with transaction.atomic():
        task = get_task_for_update(task.pk)
        unit = _unit_of_actor_on_task(actor, task, lead_only=False, action=_("反馈问题"))
        _require_open(task, _("反馈问题"))
        problem = ProblemReport.objects.create(task=task, text=text, unit=unit, reported_by=actor)
        entry = events.PROBLEM_REPORTED(
            actor=actor,
            obj=problem,
            task=task,
            to_state=problem.state,
            payload={"text": text, "unit": unit.name},
        )
        notify_on_commit("problem.report", task=task, actor=actor, key=str(entry.seq), body=text)
    return problem


def problem_answer(*, actor: User, problem: ProblemReport, response: str, resolve: bool = False) -> ProblemReport:
    """The office or a leader answers a problem report, optionally marking it resolved."""
    get_visible_task(actor, problem.task_id)
    require_role(actor, {Role.OFFICE, Role.LEADER}, _("答复问题"))
    response = _require_text(response, "response", _("答复内容"))
    with transaction.atomic():
        problem = _lock(ProblemReport, problem.pk)
        if problem.state == ProblemReport.State.RESOLVED:
            raise InvalidTransition(_("该问题已办结"))
        from_state = problem.state
        problem.state = ProblemReport.State.RESOLVED if resolve else ProblemReport.State.ANSWERED
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
        notify_on_commit("problem.answer", task=problem.task, actor=actor, key=str(entry.seq), body=response)
    return problem


def extension_request(*, actor: User, task: Task, requested_deadline: date | None, reason: str) -> ExtensionRequest:
    """延期申请: the lead unit asks for a later deadline, with a reason; one pending request at a time."""
    task = get_visible_task(actor, task.pk)
    require_role(actor, UNIT_ROLE_SET, _("申请延期"))
    reason = _require_text(reason, "reason", _("申请理由"))
    if requested_deadline is None:
        raise ValidationError(_("请填写申请延至的日期"), fields={"requested_deadline": [_("必填")]})
    with transaction.atomic():
        task = get_task_for_update(task.pk)
        _unit_of_actor_on_task(actor, task, lead_only=True, action=_("申请延期"))
        _require_open(task, _("申请延期"))
        if task.deadline is not None and requested_deadline <= task.deadline:
            raise ValidationError(
                _("申请延至的日期必须晚于现有完成时限 %(d)s") % {"d": task.deadline},
                fields={"requested_deadline": [_("必须晚于现有时限")]},
            )
        if task.extensions.filter(state=ExtensionRequest.State.PENDING).exists():
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
        notify_on_commit("extension.request", task=task, actor=actor, key=str(entry.seq), body=reason)
    return request


def extension_decide(*, actor: User, request: ExtensionRequest, approve: bool, comment: str = "") -> ExtensionRequest:
    """The office approves (the deadline moves, traced old → new) or rejects (reason required) an extension."""
    get_visible_task(actor, request.task_id)
    require_role(actor, {Role.OFFICE}, _("审批延期申请"))
    if not approve:
        comment = _require_text(comment, "comment", _("驳回理由"))
    with transaction.atomic():
        request = _lock(ExtensionRequest, request.pk)
        task = get_task_for_update(request.task_id)
        if request.state != ExtensionRequest.State.PENDING:
            raise InvalidTransition(_("该延期申请已审批"))
        request.state = ExtensionRequest.State.APPROVED if approve else ExtensionRequest.State.REJECTED
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
            from_state=ExtensionRequest.State.PENDING,
            to_state=request.state,
            payload=payload,
        )
        schedule_light_refresh([task.pk])
        notify_on_commit(event.action, task=task, actor=actor, key=str(entry.seq), body=request.decision_comment)
    return request
