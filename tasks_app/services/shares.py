"""Cooperating units' shares (分工): what each cooperating unit does for an item, by when.

The lead unit (or the office supervising the item) sets a share for one of the item's cooperating
units; that unit reports on it and reports it done; the lead unit or the office may send a done
share back. An open share past its deadline turns the item's light red, naming the unit
(``indicators.rag``). Each step is one trace entry; its event type addresses the notification (the
share's unit, or the lead unit).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orgs.models import OrgUnit
from reform.errors import ValidationError

from .. import access, events
from ..models import Task, TaskShare
from ..notify import notify_on_commit
from .common import require_text
from .rollup import schedule_light_refresh

if TYPE_CHECKING:
    from accounts.models import User


def _share_deadline(task: Task, deadline: date | None) -> date | None:
    if deadline is None:
        return None
    if deadline < timezone.localdate():
        raise ValidationError(_("分工时限不能早于今天"), fields={"deadline": [_("不能早于今天")]})
    if task.deadline is not None and deadline > task.deadline:
        raise ValidationError(
            _("分工时限不能晚于任务的完成时限 %(d)s") % {"d": task.deadline.isoformat()},
            fields={"deadline": [_("不能晚于任务时限")]},
        )
    return deadline


def share_set(*, actor: User, task: Task, unit: OrgUnit, work: str, deadline: date | None = None) -> TaskShare:
    """Set (or change) a cooperating unit's share of an item: what it does and by when."""
    rule = access.SET_SHARE
    access.enter_task(actor, task.pk, rule)
    work = require_text(work, "work", _("分工内容"))
    with transaction.atomic():
        task = access.access_task(actor, task.pk, for_update=True)
        rule.check(actor, task)
        if not task.cooperating_units.filter(pk=unit.pk).exists():
            raise ValidationError(
                _("“%(u)s”不是该任务的配合单位，请先在任务中添加") % {"u": unit.name},
                fields={"unit": [_("不是配合单位")]},
            )
        deadline = _share_deadline(task, deadline)
        share = TaskShare.objects.select_for_update().filter(task=task, unit=unit).first()
        if share is None:
            share = TaskShare.objects.create(task=task, unit=unit, work=work, deadline=deadline, created_by=actor)
        elif (share.work, share.deadline) == (work, deadline):
            return share
        else:
            share.work, share.deadline = work, deadline
            share.save(update_fields=["work", "deadline"])
        entry = events.SHARE_SET(
            actor=actor,
            obj=share,
            task=task,
            to_state=share.state,
            payload={"unit": unit.name, "work": work, "deadline": deadline},
        )
        schedule_light_refresh([task.pk])
        notify_on_commit(events.SHARE_SET.action, task=task, actor=actor, key=str(entry.seq), body=work)
    return share


def share_report(*, actor: User, share: TaskShare, text: str, done: bool = False) -> TaskShare:
    """The cooperating unit reports on its share; with ``done``, reports it completed."""
    rule = access.REPORT_SHARE
    access.enter_object(actor, TaskShare, share.pk, rule)
    text = require_text(text, "text", _("进展情况"))
    with transaction.atomic():
        share = access.access_object(actor, TaskShare, share.pk, for_update=True)
        rule.check(actor, share)
        from_state = share.state
        event = events.SHARE_COMPLETED if done else events.SHARE_REPORTED
        if done:
            share.complete()
            share.done_at = timezone.now()
            share.done_note = text
            share.save(update_fields=["state", "done_at", "done_note"])
        entry = event(
            actor=actor,
            obj=share,
            task=share.task,
            from_state=from_state,
            to_state=share.state,
            payload={"unit": share.unit.name, "text": text},
        )
        schedule_light_refresh([share.task_id])
        notify_on_commit(event.action, task=share.task, actor=actor, key=str(entry.seq), body=text)
    return share


def share_reopen(*, actor: User, share: TaskShare, reason: str) -> TaskShare:
    """The lead unit or the office finds a share not done after all and sends it back (reason required)."""
    rule = access.REOPEN_SHARE
    access.enter_object(actor, TaskShare, share.pk, rule)
    reason = require_text(reason, "reason", _("退回理由"))
    with transaction.atomic():
        share = access.access_object(actor, TaskShare, share.pk, for_update=True)
        rule.check(actor, share)
        from_state = share.state
        share.reopen()
        share.done_at = None
        share.save(update_fields=["state", "done_at"])
        entry = events.SHARE_REOPENED(
            actor=actor,
            obj=share,
            task=share.task,
            from_state=from_state,
            to_state=share.state,
            payload={"unit": share.unit.name, "reason": reason},
        )
        schedule_light_refresh([share.task_id])
        notify_on_commit(events.SHARE_REOPENED.action, task=share.task, actor=actor, key=str(entry.seq), body=reason)
    return share
