"""Writing the task list itself (the office's work): create, edit, move and delete tasks.

Codes are dotted (``2.3.1`` lies under ``2.3``); a move renumbers the subtree. Every change is one
trace entry and keeps the parents' progress and the lights current in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from orgs.models import OrgUnit
from reform.errors import ConflictError, PermissionDenied, ValidationError
from reform.roles import Role

from .. import access, events, tree
from ..models import Domain, Programme, Task
from ..selectors.programmes import default_programme
from ..workflow import Status
from .common import raise_if, to_decimal
from .rollup import rollup_from, rollup_progress, schedule_light_refresh

if TYPE_CHECKING:
    from accounts.models import User


TASK_EDIT_FIELDS = (
    "title",
    "description",
    "domain",
    "is_governance",
    "is_service",
    "lead_unit",
    "owner_name",
    "owner",
    "leader_in_charge",
    "start_date",
    "deadline",
    "weight",
)


def task_field_errors(data: dict[str, Any]) -> dict[str, list[str]]:
    """What is wrong with these task fields, by field (empty when nothing is)."""
    errors: dict[str, list[str]] = {}
    if "title" in data and not str(data["title"] or "").strip():
        errors["title"] = [_("任务名称不能为空")]
    if "weight" in data and data["weight"] is not None:
        try:
            if to_decimal(data["weight"], "weight", _("权重")) <= 0:
                errors["weight"] = [_("权重必须大于 0")]
        except ValidationError as exc:
            errors.update(exc.fields)
    start, deadline = data.get("start_date"), data.get("deadline")
    if isinstance(start, date) and isinstance(deadline, date) and deadline < start:
        errors["deadline"] = [_("完成时限（%(d)s）不能早于开始日期（%(s)s）") % {"d": deadline, "s": start}]
    return errors


def _responsibility_errors(
    actor: User | None,
    *,
    lead_unit: OrgUnit,
    cooperating_units: Iterable[OrgUnit] = (),
    owner: User | None = None,
    leader_in_charge: User | None = None,
) -> dict[str, list[str]]:
    """Who answers for a task, checked: units within the actor's jurisdiction, the 责任人 an account of
    the lead unit, the 分管领导 an active leader account."""
    errors: dict[str, list[str]] = {}
    if actor is not None and not access.in_jurisdiction(actor, lead_unit):
        errors["lead_unit"] = [_("牵头单位“%(u)s”不在您的管辖范围内") % {"u": lead_unit.name}]
    outside = [u.name for u in cooperating_units if actor is not None and not access.in_jurisdiction(actor, u)]
    if outside:
        errors["cooperating_units"] = [_("配合单位不在您的管辖范围内：%(u)s") % {"u": "、".join(outside)}]
    if owner is not None and (owner.unit_id is None or not lead_unit.contains(owner.unit) or not owner.is_active):
        errors["owner"] = [_("责任人须是牵头单位“%(u)s”的在用账号") % {"u": lead_unit.name}]
    if leader_in_charge is not None and (leader_in_charge.role != Role.LEADER or not leader_in_charge.is_active):
        errors["leader_in_charge"] = [_("分管领导须是在用的领导账号")]
    return errors


def insert_task(*, parent: Task | None, code: str, cooperating_units: Iterable[OrgUnit] = (), **fields: Any) -> Task:
    """Save a new node of the tree at ``code`` (checked by the caller) and mark its parent a parent."""
    programme_id = fields["programme"].pk if "programme" in fields else fields["programme_id"]
    task = Task(
        code=code,
        sort_key=tree.task_sort_key(programme_id, code),
        parent=parent,
        depth=tree.depth_of(code),
        **{**fields, "title": fields["title"].strip()},
    )
    try:
        task.save()
    except IntegrityError as exc:
        raise ConflictError(_("编号“%(code)s”已被占用，请刷新后重试") % {"code": code}) from exc
    task.cooperating_units.set(list(cooperating_units))
    if parent is not None and parent.is_leaf:
        Task.objects.filter(pk=parent.pk).update(is_leaf=False)
        parent.is_leaf = False
    return task


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
    leader_in_charge: User | None = None,
    start_date: date | None = None,
    deadline: date | None = None,
    weight: Decimal | int | str = 1,
    programme: Programme | None = None,
) -> Task:
    """Create a task under the parent its code names (``2.3.1`` goes under ``2.3``) in ``programme``
    (the default programme when none is given)."""
    if actor is not None:
        access.CREATE_TASK.check_role(actor)
    cooperating_units = list(cooperating_units)
    code = tree.normalise_code(code)
    errors = _responsibility_errors(
        actor, lead_unit=lead_unit, cooperating_units=cooperating_units, owner=owner, leader_in_charge=leader_in_charge
    )
    if message := tree.code_error(code):
        errors["code"] = [message]
    errors.update(task_field_errors({"title": title, "weight": weight, "start_date": start_date, "deadline": deadline}))
    raise_if(errors)
    programme = programme or default_programme()
    with transaction.atomic():
        parent = None
        if parent_code := tree.parent_code(code):
            parent = Task.objects.select_for_update().filter(programme=programme, code=parent_code).first()
            if parent is None:
                raise ValidationError(
                    _("上级任务“%(code)s”不存在") % {"code": parent_code}, fields={"code": [_("上级任务不存在")]}
                )
            if parent.is_final:
                raise ValidationError(
                    _("上级任务“%(code)s”已%(state)s，不能在其下新建任务")
                    % {"code": parent_code, "state": parent.status_label},
                    fields={"code": [_("上级任务已结束")]},
                )
            if actor is not None and not access.supervises(actor, parent):
                raise PermissionDenied(
                    _("上级任务“%(code)s”不在您的督办范围内，不能在其下创建任务") % {"code": parent_code}
                )
        if domain is None:
            if parent is None:
                raise ValidationError(_("请选择改革领域"), fields={"domain": [_("必填")]})
            domain = parent.domain
        elif domain.programme_id != programme.pk:
            raise ValidationError(
                _("“%(p)s”没有“%(d)s”这个领域") % {"p": programme.name, "d": domain.name},
                fields={"domain": [_("不属于本专项")]},
            )
        if Task.objects.filter(programme=programme, code=code).exists():
            raise ValidationError(_("编号“%(code)s”已存在") % {"code": code}, fields={"code": [_("编号重复")]})
        task = insert_task(
            parent=parent,
            programme=programme,
            code=code,
            title=title,
            description=description,
            domain=domain,
            is_governance=is_governance,
            is_service=is_service,
            lead_unit=lead_unit,
            cooperating_units=cooperating_units,
            owner_name=owner_name,
            owner=owner,
            leader_in_charge=leader_in_charge,
            start_date=start_date,
            deadline=deadline,
            weight=Decimal(str(weight)),
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        events.TASK_CREATED(
            actor=actor,
            task=task,
            to_state=task.status,
            payload={"code": code, "title": task.title, "lead_unit": lead_unit.name},
        )
        rollup_progress([task])
        schedule_light_refresh([task.pk])
    return task


def task_update(*, actor: User, task: Task, **changes: Any) -> Task:
    """Edit a task's fields (not its state or code); the trace records old and new values."""
    access.check_on_task(actor, task.pk, access.UPDATE_TASK)
    unknown = set(changes) - set(TASK_EDIT_FIELDS) - {"cooperating_units"}
    if unknown:
        raise ValidationError(_("不能修改字段：%(f)s") % {"f": "、".join(sorted(unknown))})
    with transaction.atomic():
        task = Task.objects.select_for_update().get(pk=task.pk)
        merged = {f: getattr(task, f) for f in ("title", "weight", "start_date", "deadline")}
        merged.update({k: v for k, v in changes.items() if k in merged})
        errors = task_field_errors(merged)
        errors.update(_changed_responsibility_errors(actor, task, changes))
        raise_if(errors)
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
            rollup_progress([task])
        schedule_light_refresh([task.pk])
    return task


def _changed_responsibility_errors(actor: User, task: Task, changes: dict[str, Any]) -> dict[str, list[str]]:
    """``_responsibility_errors`` for the fields an edit changes (what was there stays acceptable)."""
    lead_unit = changes.get("lead_unit", task.lead_unit)
    owner = changes.get("owner", task.owner if "lead_unit" in changes else None)
    current = set(task.cooperating_units.values_list("pk", flat=True))
    added = [u for u in changes.get("cooperating_units", ()) if u.pk not in current]
    errors = _responsibility_errors(
        actor,
        lead_unit=lead_unit,
        cooperating_units=added,
        owner=owner,
        leader_in_charge=changes.get("leader_in_charge"),
    )
    if "lead_unit" not in changes:
        errors.pop("lead_unit", None)
    return errors


def task_move(*, actor: User, task: Task, new_parent: Task | None) -> Task:
    """Move a task (and its subtree) under ``new_parent`` in its programme; codes are renumbered to the new place."""
    access.check_on_task(actor, task.pk, access.MOVE_TASK)
    with transaction.atomic():
        task = Task.objects.select_for_update().get(pk=task.pk)
        old_code = task.code
        old_parent_id = task.parent_id
        in_programme = Task.objects.filter(programme_id=task.programme_id)
        if new_parent is not None:
            new_parent = Task.objects.select_for_update().select_related("lead_unit").get(pk=new_parent.pk)
            if new_parent.programme_id != task.programme_id:
                raise ValidationError(_("不能把任务移动到另一个专项"), fields={"parent": [_("不在同一专项")]})
            if not access.supervises(actor, new_parent):
                raise PermissionDenied(_("目标上级任务不在您的督办范围内"))
            if new_parent.code == old_code or new_parent.code.startswith(old_code + "."):
                raise ValidationError(_("不能把任务移动到它自己或它的下级任务之下"), fields={"parent": [_("无效")]})
        if (new_parent.pk if new_parent else None) == old_parent_id:
            raise ValidationError(_("任务已在该位置"), fields={"parent": [_("未变化")]})
        prefix = f"{new_parent.code}." if new_parent else ""
        siblings = in_programme.filter(parent=new_parent) if new_parent else in_programme.filter(parent__isnull=True)
        used = [c.rsplit(".", 1)[-1] for c in siblings.values_list("code", flat=True)]
        next_no = max((int(s) for s in used if s.isdigit()), default=0) + 1
        new_code = f"{prefix}{next_no}"
        subtree = list(in_programme.select_for_update().filter(code__startswith=old_code + ".").order_by("depth"))
        Task.objects.filter(pk=task.pk).update(
            code=new_code,
            parent=new_parent,
            sort_key=tree.task_sort_key(task.programme_id, new_code),
            depth=tree.depth_of(new_code),
        )
        for node in subtree:  # their parents stay the same tasks; only the codes change
            code = new_code + node.code[len(old_code) :]
            Task.objects.filter(pk=node.pk).update(
                code=code, sort_key=tree.task_sort_key(task.programme_id, code), depth=tree.depth_of(code)
            )
        if new_parent is not None and new_parent.is_leaf:
            Task.objects.filter(pk=new_parent.pk).update(is_leaf=False)
        if old_parent_id and not Task.objects.filter(parent_id=old_parent_id).exists():
            Task.objects.filter(pk=old_parent_id).update(is_leaf=True)
        task.refresh_from_db()
        events.TASK_MOVED(
            actor=actor,
            task=task,
            payload={"old_code": old_code, "new_code": new_code, "moved_descendants": len(subtree)},
        )
        rollup_progress([task])
        rollup_from([old_parent_id])
        schedule_light_refresh([task.pk, *([old_parent_id] if old_parent_id else [])])  # the old chain loses a child
    return task


def task_delete(*, actor: User, task: Task) -> None:
    """Delete a task only when nothing hangs off it: no children, indicators or supervision history."""
    access.check_on_task(actor, task.pk, access.DELETE_TASK)
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
        code, parent_id = task.code, task.parent_id
        events.TASK_DELETED(actor=actor, task=task, payload={"code": code, "title": task.title})
        task.cooperating_units.clear()
        task.measures.all().delete()
        task.criteria.all().delete()
        task.policies.clear()
        task.delete()
        if parent_id and not Task.objects.filter(parent_id=parent_id).exists():
            Task.objects.filter(pk=parent_id).update(is_leaf=True)
        rollup_from([parent_id])
        schedule_light_refresh([parent_id] if parent_id else [])
