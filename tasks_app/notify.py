"""Who hears about what. Services call ``notify_on_commit``; delivery runs in Celery after commit."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from django.db import transaction

if TYPE_CHECKING:
    from accounts.models import User

    from .models import Task

logger = logging.getLogger(__name__)

# Events addressed to the lead unit's people; everything else goes to the supervision office.
TO_LEAD_UNIT = frozenset(
    {
        "task.assign",
        "task.request_correction",
        "task.approve",
        "task.evaluate",
        "task.reopen",
        "task.cancel",
        "notice.issue",
        "instruction.issue",
        "instruction.return",
        "problem.answer",
        "extension.approve",
        "extension.reject",
        "report.due",
        "deadline.warning",
        "report.missed",
    }
)
TO_OFFICE = frozenset(
    {
        "task.submit_completion",
        "instruction.answer",
        "extension.request",
        "problem.report",
        "task.accept",
    }
)

EVENT_TITLES = {
    "task.assign": "新交办任务：{task}",
    "task.accept": "任务已签收：{task}",
    "task.submit_completion": "任务报送办结待审核：{task}",
    "task.request_correction": "任务被退回整改：{task}",
    "task.approve": "任务审核通过：{task}",
    "task.evaluate": "任务已评价办结：{task}",
    "task.reopen": "任务被重新打开：{task}",
    "task.cancel": "任务已撤销：{task}",
    "notice.issue": "收到督办通知：{task}",
    "instruction.issue": "收到领导批示：{task}",
    "instruction.answer": "批示已回复待审核：{task}",
    "instruction.return": "批示回复被退回：{task}",
    "problem.report": "收到问题反馈：{task}",
    "problem.answer": "问题反馈已答复：{task}",
    "extension.request": "收到延期申请：{task}",
    "extension.approve": "延期申请已同意：{task}",
    "extension.reject": "延期申请被驳回：{task}",
    "report.due": "旬报即将到期：{task}",
    "deadline.warning": "任务临近完成时限：{task}",
    "report.missed": "旬报未按时报送：{task}",
    "notice.escalate": "督办升级：{task}",
}


def notify_on_commit(event: str, *, task: Task, actor: User | None, key: str = "", body: str = "") -> None:
    """Make sure ``event`` about ``task`` is delivered once the surrounding transaction commits.

    Traced events need nothing queued: the trace entry written in the same transaction *is* the
    outbox, and the relay (``tasks_app.tasks.relay_trace_notifications``) turns new entries into
    notifications. We only nudge it after commit; if the broker is down the nudge is dropped and the
    periodic relay run delivers the backlog when it returns. Untraced events (reminders, warnings)
    are delivered by their own deduplicated task.
    """
    from . import events

    if event in events.ACTION_LABELS:
        if event in TO_LEAD_UNIT or event in TO_OFFICE:
            transaction.on_commit(kick_relay, robust=True)
        return
    if event not in TO_LEAD_UNIT and event not in TO_OFFICE:
        return
    from .tasks import deliver_task_event

    task_id = task.pk
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    transaction.on_commit(lambda: _publish(deliver_task_event, event, task_id, actor_id, key, body), robust=True)


_last_kick = 0.0
KICK_INTERVAL_SECONDS = 0.2


def kick_relay() -> None:
    """Ask a worker to relay new trace entries; at most one nudge per interval per process."""
    global _last_kick
    from django.conf import settings

    from .tasks import relay_trace_notifications

    now = time.monotonic()
    if not settings.CELERY_TASK_ALWAYS_EAGER and now - _last_kick < KICK_INTERVAL_SECONDS:
        return
    _last_kick = now
    _publish(relay_trace_notifications)


def _publish(task: Any, *args: Any) -> None:
    """Send a Celery task; a broker outage must never fail the request whose data already committed."""
    try:
        task.delay(*args)
    except Exception:  # noqa: BLE001 - kombu raises many transport errors; all mean "try later"
        logger.warning("broker unavailable: %s deferred to the periodic relay", task.name, exc_info=True)
