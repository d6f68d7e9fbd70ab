"""The task list's and the closed loop's event types: one builder per kind of trace entry.

Each declaration says what the timeline calls the event, which states it moves between (so the
timeline can name them in Chinese) and who is told about it. A service records an event by calling
its type: ``TASK_ASSIGNED(actor=…, task=…, from_state=…, to_state=…, payload=…)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from trail.events import Audience, EventType

from .models import ExtensionRequest, Instruction, Notice, ProblemReport, TaskShare
from .workflow import Status

TASK_STATES = dict(Status.choices)
LEAD, OFFICE = Audience.LEAD_UNIT, Audience.OFFICE
RESPONSIBLE = Audience.RESPONSIBLE_UNITS  # the lead unit and every cooperating unit

# --- The task tree ------------------------------------------------------------------------------

TASK_CREATED = EventType("task.create", _("创建任务"), states=TASK_STATES)
TASK_UPDATED = EventType("task.update", _("修改任务"))
TASK_MOVED = EventType("task.move", _("调整任务层级"))
TASK_DELETED = EventType("task.delete", _("删除任务"))
TASKLIST_IMPORTED = EventType("task.import", _("导入任务清单"))
PROGRAMME_CREATED = EventType("programme.create", _("设立专项"))

# --- The closed loop: one event per workflow transition (``task.<transition>``) ------------------

TASK_ASSIGNED = EventType(
    "task.assign", _("交办"), states=TASK_STATES, audience=RESPONSIBLE, title="新交办任务：{task}"
)
TASK_ACCEPTED = EventType("task.accept", _("签收"), states=TASK_STATES, audience=OFFICE, title="任务已签收：{task}")
TASK_DECLINED = EventType(
    "task.decline", _("退回"), states=TASK_STATES, audience=OFFICE, title="任务被单位退回：{task}"
)
TASK_REASSIGNED = EventType(
    "task.reassign", _("改派"), states=TASK_STATES, audience=RESPONSIBLE, title="改派任务：{task}"
)
TASK_HANDED_DOWN = EventType(
    "task.hand_down", _("下发"), states=TASK_STATES, audience=LEAD, title="收到下发的任务：{task}"
)
TASK_SUBMITTED_FOR_SIGNOFF = EventType(
    "task.submit_for_signoff",
    _("报送办结（待单位负责人审核）"),
    states=TASK_STATES,
    audience=Audience.LEAD_UNIT_ADMINS,
    title="本单位报送办结待您审核：{task}",
)
TASK_SIGNED_OFF = EventType(
    "task.signoff",
    _("单位负责人审核通过"),
    states=TASK_STATES,
    audience=OFFICE,
    title="任务报送办结待审核：{task}",
)
TASK_SIGNOFF_RETURNED = EventType(
    "task.signoff_return",
    _("单位负责人退回"),
    states=TASK_STATES,
    audience=LEAD,
    title="报送办结被单位负责人退回：{task}",
)
TASK_COMPLETION_SUBMITTED = EventType(
    "task.submit_completion",
    _("报送办结"),
    states=TASK_STATES,
    audience=OFFICE,
    title="任务报送办结待审核：{task}",
)
TASK_CORRECTION_REQUESTED = EventType(
    "task.request_correction",
    _("退回整改"),
    states=TASK_STATES,
    audience=LEAD,
    title="任务被退回整改：{task}",
)
TASK_APPROVED = EventType(
    "task.approve", _("审核通过"), states=TASK_STATES, audience=LEAD, title="任务审核通过：{task}"
)
TASK_EVALUATED = EventType(
    "task.evaluate", _("评价办结"), states=TASK_STATES, audience=RESPONSIBLE, title="任务已评价办结：{task}"
)
TASK_REOPENED = EventType(
    "task.reopen", _("重新打开"), states=TASK_STATES, audience=RESPONSIBLE, title="任务被重新打开：{task}"
)
TASK_CANCELLED = EventType(
    "task.cancel", _("撤销"), states=TASK_STATES, audience=RESPONSIBLE, title="任务已撤销：{task}"
)


# --- Supervision objects ------------------------------------------------------------------------

INSTRUCTION_STATES = dict(Instruction.State.choices)
INSTRUCTION_ISSUED = EventType(
    "instruction.issue",
    _("领导批示"),
    states=INSTRUCTION_STATES,
    audience=Audience.TARGET_UNITS,
    title="收到领导批示：{task}",
)
INSTRUCTION_ANSWERED = EventType(
    "instruction.answer",
    _("回复批示"),
    states=INSTRUCTION_STATES,
    audience=OFFICE,
    title="批示已回复待审核：{task}",
)
INSTRUCTION_APPROVED = EventType("instruction.approve", _("批示落实确认"), states=INSTRUCTION_STATES)
INSTRUCTION_RETURNED = EventType(
    "instruction.return",
    _("批示退回重办"),
    states=INSTRUCTION_STATES,
    audience=Audience.TARGET_UNITS,
    title="批示回复被退回：{task}",
)

NOTICE_STATES = dict(Notice.State.choices)
NOTICE_ISSUED = EventType(
    "notice.issue", _("发出督办"), states=NOTICE_STATES, audience=LEAD, title="收到督办通知：{task}"
)
NOTICE_LIFTED = EventType("notice.lift", _("督办销号"), states=NOTICE_STATES)

FEEDBACK_SUBMITTED = EventType("feedback.submit", _("报送进度"))

PROBLEM_STATES = dict(ProblemReport.State.choices)
PROBLEM_REPORTED = EventType(
    "problem.report", _("反馈问题"), states=PROBLEM_STATES, audience=OFFICE, title="收到问题反馈：{task}"
)
PROBLEM_ANSWERED = EventType(
    "problem.answer",
    _("答复问题"),
    states=PROBLEM_STATES,
    audience=LEAD,
    title="问题反馈已答复：{task}",
)
PROBLEM_RESOLVED = EventType("problem.resolve", _("问题办结"), states=PROBLEM_STATES)


EXTENSION_STATES = dict(ExtensionRequest.State.choices)
EXTENSION_REQUESTED = EventType(
    "extension.request",
    _("申请延期"),
    states=EXTENSION_STATES,
    audience=OFFICE,
    title="收到延期申请：{task}",
)
EXTENSION_APPROVED = EventType(
    "extension.approve",
    _("同意延期"),
    states=EXTENSION_STATES,
    audience=LEAD,
    title="延期申请已同意：{task}",
)
EXTENSION_REJECTED = EventType(
    "extension.reject",
    _("驳回延期"),
    states=EXTENSION_STATES,
    audience=LEAD,
    title="延期申请被驳回：{task}",
)

SHARE_STATES = dict(TaskShare.State.choices)


def _share_summary(payload: Mapping[str, Any]) -> str:
    """配合单位：X；分工：…；时限：…；内容：… (what a timeline line says about a share)."""
    parts = [
        f"{label}：{payload[key]}"
        for key, label in (
            ("unit", "配合单位"),
            ("work", "分工"),
            ("deadline", "时限"),
            ("text", "内容"),
            ("reason", "理由"),
        )
        if payload.get(key) not in (None, "")
    ]
    return "；".join(parts)


SHARE_SET = EventType(
    "share.set",
    _("设定配合分工"),
    states=SHARE_STATES,
    summary=_share_summary,
    audience=Audience.SHARE_UNIT,
    title="收到配合分工：{task}",
)
SHARE_REPORTED = EventType(
    "share.report",
    _("报送分工进展"),
    states=SHARE_STATES,
    summary=_share_summary,
    audience=LEAD,
    title="配合单位报送分工进展：{task}",
)
SHARE_COMPLETED = EventType(
    "share.complete",
    _("分工完成"),
    states=SHARE_STATES,
    summary=_share_summary,
    audience=LEAD,
    title="配合单位已完成分工：{task}",
)
SHARE_REOPENED = EventType(
    "share.reopen",
    _("退回分工"),
    states=SHARE_STATES,
    summary=_share_summary,
    audience=Audience.SHARE_UNIT,
    title="配合分工被退回：{task}",
)

# --- Announced, not traced: reminders the rhythm sends ------------------------------------------

REPORT_DUE = EventType("report.due", _("旬报即将到期"), traced=False, audience=LEAD, title="旬报即将到期：{task}")
DEADLINE_WARNING = EventType(
    "deadline.warning", _("临近完成时限"), traced=False, audience=LEAD, title="任务临近完成时限：{task}"
)

# --- Access grants ------------------------------------------------------------------------------

TASK_SHARED = EventType("task.share", _("授权查看"))
TASK_UNSHARED = EventType("task.unshare", _("撤销授权查看"))
