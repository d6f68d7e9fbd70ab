"""下发/分解: a lead unit (its head) or the office supervising an item splits it into sub-items for units
below the lead unit (a district's streets, a bureau's divisions) and hands them down at once.

Each part becomes a child task, already assigned (交办) to its unit, supervised by the office of its
level; the parent's progress and light roll up from the parts. One trace entry per part
(``task.hand_down``), which also tells the receiving unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orgs.models import OrgUnit
from reform.errors import ConflictError, ValidationError

from .. import access, events
from ..models import Task
from ..notify import notify_on_commit
from ..workflow import Status
from .rollup import rollup_progress, schedule_light_refresh
from .tasklist import insert_task

if TYPE_CHECKING:
    from accounts.models import User

MAX_PARTS = 50
TITLE_MAX = Task._meta.get_field("title").max_length or 300


@dataclass(frozen=True)
class Part:
    """One sub-item to hand down: what, to which unit, by when."""

    title: str
    lead_unit: OrgUnit
    deadline: date | None = None
    description: str = ""


def _part_errors(task: Task, parts: Sequence[Part]) -> dict[str, list[str]]:
    """Every bad part, named by its row (第 N 项), so the form shows them all at once."""
    today = timezone.localdate()
    problems: list[str] = []
    for n, part in enumerate(parts, start=1):
        title = part.title.strip()
        if not title:
            problems.append(_("第 %(n)d 项：请填写事项名称") % {"n": n})
        elif len(title) > TITLE_MAX:
            problems.append(_("第 %(n)d 项：事项名称不能超过 %(max)d 个字") % {"n": n, "max": TITLE_MAX})
        unit = part.lead_unit
        if unit.pk == task.lead_unit_id or not task.lead_unit.contains(unit):
            problems.append(
                _("第 %(n)d 项：承办单位“%(u)s”不是“%(lead)s”的下级单位或内设处室")
                % {"n": n, "u": unit.name, "lead": task.lead_unit.name}
            )
        if part.deadline is None and task.deadline is not None and task.deadline < today:
            problems.append(_("第 %(n)d 项：上级事项已过完成时限，请填写本项的完成时限") % {"n": n})
        elif part.deadline is not None and part.deadline < today:
            problems.append(_("第 %(n)d 项：完成时限不能早于今天") % {"n": n})
        elif part.deadline is not None and task.deadline is not None and today <= task.deadline < part.deadline:
            # (an item already past its deadline may be split into a catch-up plan with later dates)
            problems.append(
                _("第 %(n)d 项：完成时限不能晚于上级事项的完成时限 %(d)s") % {"n": n, "d": task.deadline.isoformat()}
            )
    return {"parts": problems} if problems else {}


def _next_numbers(task: Task, count: int) -> list[int]:
    used = [c.rsplit(".", 1)[-1] for c in Task.objects.filter(parent=task).values_list("code", flat=True)]
    start = max((int(s) for s in used if s.isdigit()), default=0) + 1
    return list(range(start, start + count))


def task_hand_down(*, actor: User, task: Task, parts: Sequence[Part], expected_status: str | None = None) -> list[Task]:
    """Split ``task`` into ``parts`` and hand each to its unit; all or nothing. Returns the new sub-items."""
    rule = access.HAND_DOWN
    access.enter_task(actor, task.pk, rule)
    if not parts:
        raise ValidationError(_("请至少填写一个下级事项"), fields={"parts": [_("必填")]})
    if len(parts) > MAX_PARTS:
        raise ValidationError(_("一次最多下发 %(max)d 个事项") % {"max": MAX_PARTS}, fields={"parts": [_("事项过多")]})
    with transaction.atomic():
        task = access.access_task(actor, task.pk, for_update=True)
        if expected_status is not None and expected_status != task.status:
            raise ConflictError(
                _("任务已被他人处理，当前状态为“%(state)s”，请刷新后再操作") % {"state": task.status_label}
            )
        rule.check(actor, task)
        errors = _part_errors(task, parts)
        if errors:
            raise ValidationError("；".join(errors["parts"]), fields=errors)
        now = timezone.now()
        children = []
        for number, part in zip(_next_numbers(task, len(parts)), parts, strict=True):
            child = insert_task(
                parent=task,
                programme_id=task.programme_id,
                code=f"{task.code}.{number}",
                title=part.title,
                description=part.description.strip(),
                domain_id=task.domain_id,
                is_governance=task.is_governance,
                is_service=task.is_service,
                lead_unit=part.lead_unit,
                leader_in_charge_id=task.leader_in_charge_id,
                start_date=timezone.localdate(),
                deadline=part.deadline or task.deadline,
                status=Status.ASSIGNED,
                assigned_at=now,
                created_by=actor,
            )
            entry = events.TASK_HANDED_DOWN(
                actor=actor,
                task=child,
                to_state=child.status,
                payload={
                    "parent": task.code,
                    "code": child.code,
                    "title": child.title,
                    "lead_unit": part.lead_unit.name,
                    "deadline": child.deadline,
                },
            )
            notify_on_commit(events.TASK_HANDED_DOWN.action, task=child, actor=actor, key=str(entry.seq))
            children.append(child)
        rollup_progress(children)
        schedule_light_refresh([task.pk, *(c.pk for c in children)])
    return children
