"""Every write to the task list and the closed loop: one function per use case, by subject.

Each service checks access first (``tasks_app.access``), runs atomically, locks what it changes,
writes exactly one trace entry through its event type (``tasks_app.events``) and schedules side
effects with ``transaction.on_commit``. Callers use ``services.<name>``; the modules below hold them.
"""

from .attachments import attachment_store
from .feedback import feedback_submit, tenday_due_date
from .handdown import Part, task_hand_down
from .inbox import notification_mark_read
from .loop import (
    evaluation_criteria,
    grade_for,
    task_accept,
    task_approve,
    task_assign,
    task_cancel,
    task_decline,
    task_evaluate,
    task_reassign,
    task_reopen,
    task_request_correction,
    task_submit_completion,
    task_unit_signoff,
    tasks_assign,
)
from .programmes import programme_create
from .rollup import rollup_from, rollup_progress, schedule_light_refresh
from .shares import share_reopen, share_report, share_set
from .sharing import task_share, task_unshare
from .supervision import (
    extension_decide,
    extension_request,
    instruction_answer,
    instruction_issue,
    instruction_review,
    notice_issue,
    notice_lift,
    problem_answer,
    problem_report,
)
from .tasklist import TASK_EDIT_FIELDS, task_create, task_delete, task_field_errors, task_move, task_update

__all__ = [
    "TASK_EDIT_FIELDS",
    "Part",
    "attachment_store",
    "evaluation_criteria",
    "extension_decide",
    "extension_request",
    "feedback_submit",
    "grade_for",
    "instruction_answer",
    "instruction_issue",
    "instruction_review",
    "notice_issue",
    "notice_lift",
    "notification_mark_read",
    "problem_answer",
    "problem_report",
    "programme_create",
    "rollup_from",
    "rollup_progress",
    "schedule_light_refresh",
    "share_reopen",
    "share_report",
    "share_set",
    "task_accept",
    "task_approve",
    "task_assign",
    "task_cancel",
    "task_create",
    "task_decline",
    "task_delete",
    "task_evaluate",
    "task_field_errors",
    "task_hand_down",
    "task_move",
    "task_reassign",
    "task_reopen",
    "task_request_correction",
    "task_share",
    "task_submit_completion",
    "task_unit_signoff",
    "task_unshare",
    "task_update",
    "tasks_assign",
    "tenday_due_date",
]
