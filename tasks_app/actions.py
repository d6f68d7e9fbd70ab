"""The action registry: every use case a person performs on a task or a supervision object, declared once.

An action is a service function plus one :class:`Action` entry naming everything around it: the
access rule that decides who may do it and when (``tasks_app.access``), its input on the web (a form)
and in the API (a serializer), its Chinese label, and the event types it records (which carry the
timeline's label and summary and the notification audience). The web page's buttons, the API's
``allowed_transitions``, the two dispatching views and the schema all read this table, so adding a
supervision action is one entry here plus its service.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from trail.events import EventType

from . import access, events, forms, services
from .api import inputs
from .models import ExtensionRequest, Instruction, Notice, ProblemReport, Task, TaskShare

# What an action acts on, by the name its URLs and the service's keyword use.
TARGETS: dict[str, type[Model]] = {
    "task": Task,
    "instruction": Instruction,
    "notice": Notice,
    "problem": ProblemReport,
    "extension": ExtensionRequest,
    "share": TaskShare,
}
SERVICE_ARGUMENT = {"task": "task", "instruction": "instruction", "notice": "notice", "problem": "problem",
                    "extension": "request", "share": "share"}  # fmt: skip


@dataclass(frozen=True)
class Action:
    key: str  # the URL slug on the web (/tasks/<id>/do/<key>/) and, for transitions, in the API
    label: Any  # the button and page title
    rule: access.Rule  # who may, on which objects, in which states
    service: Callable[..., Any]
    events: Sequence[EventType]  # what it records (one of them per call)
    form: type[forms.ActionForm]
    serializer: type[serializers.Serializer]
    on: str = "task"  # what it acts on: "task" or a supervision object (``TARGETS``)
    creates: str = ""  # the supervision object it creates, when it creates one
    style: str = ""  # "primary", "danger" or "" on the page
    own_page: bool = False  # too big for an inline form: the button opens the action's page
    done: Any = ""  # the message after success
    # Something the rule cannot see that also stops it now (the service refuses it with a conflict).
    blocked: Callable[[Any], bool] | None = None
    # An action on a task that is neither a transition nor creates a supervision object has its own
    # API route under the task (``/api/tasks/{id}/<route>/``), answering the task's detail.
    route: str = ""

    @property
    def model(self) -> type[Model]:
        return TARGETS[self.on]

    @property
    def obj_kind(self) -> str:
        """ "" for an action on the task itself, else the kind of supervision object it acts on."""
        return "" if self.on == "task" else self.on

    @property
    def is_transition(self) -> bool:
        return self.on == "task" and bool(self.rule.transition)

    def offered(self, user: Any, target: Any) -> bool:
        """Whether ``user`` may do this to ``target`` now: what every button and ``allowed_transitions`` shows."""
        return self.rule.allows(user, target) and not (self.blocked is not None and self.blocked(target))

    def run(self, *, actor: Any, target: Any, **data: Any) -> Any:
        """Call the service with the target and the validated input."""
        return self.service(actor=actor, **{SERVICE_ARGUMENT[self.on]: target}, **data)


def _pending_extension(task: Task) -> bool:
    return access.has_pending_extension(task)


ACTIONS: dict[str, Action] = {
    a.key: a
    for a in (
        # --- The unit's work on a task ---------------------------------------------------------------
        Action(
            "accept",
            _("签收"),
            access.ACCEPT,
            services.task_accept,
            [events.TASK_ACCEPTED],
            forms.AcceptForm,
            inputs.AcceptInput,
            style="primary",
            done=_("已签收"),
        ),
        Action(
            "decline",
            _("退回"),
            access.DECLINE,
            services.task_decline,
            [events.TASK_DECLINED],
            forms.DeclineForm,
            inputs.DeclineInput,
            style="danger",
            done=_("已退回督查室，等待改派"),
        ),
        Action(
            "report_progress",
            _("提交旬报"),
            access.SUBMIT_FEEDBACK,
            services.feedback_submit,
            [events.FEEDBACK_SUBMITTED],
            forms.TenDayReportForm,
            inputs.FeedbackInput,
            creates="feedback",
            style="primary",
            own_page=True,
            done=_("旬报已提交"),
        ),
        Action(
            "submit_completion",
            _("报送办结"),
            access.SUBMIT_COMPLETION,
            services.task_submit_completion,
            [events.TASK_COMPLETION_SUBMITTED, events.TASK_SUBMITTED_FOR_SIGNOFF],
            forms.SubmitCompletionForm,
            inputs.SubmitCompletionInput,
            style="primary",
            done=_("已报送办结"),
        ),
        Action(
            "unit_signoff",
            _("审核本单位报送"),
            access.UNIT_SIGNOFF,
            services.task_unit_signoff,
            [events.TASK_SIGNED_OFF, events.TASK_SIGNOFF_RETURNED],
            forms.UnitSignoffForm,
            inputs.UnitSignoffInput,
            style="primary",
            done=_("已审核本单位的办结报送"),
        ),
        Action(
            "answer_instruction",
            _("回复批示"),
            access.ANSWER_INSTRUCTION,
            services.instruction_answer,
            [events.INSTRUCTION_ANSWERED],
            forms.InstructionAnswerForm,
            inputs.InstructionAnswerInput,
            on="instruction",
            style="primary",
            done=_("批示回复已提交"),
        ),
        Action(
            "request_extension",
            _("申请延期"),
            access.REQUEST_EXTENSION,
            services.extension_request,
            [events.EXTENSION_REQUESTED],
            forms.ExtensionRequestForm,
            inputs.ExtensionRequestInput,
            creates="extension",
            done=_("延期申请已提交"),
            blocked=_pending_extension,
        ),
        Action(
            "report_problem",
            _("反馈问题"),
            access.REPORT_PROBLEM,
            services.problem_report,
            [events.PROBLEM_REPORTED],
            forms.ProblemReportForm,
            inputs.ProblemReportInput,
            creates="problem",
            done=_("问题已反馈"),
        ),
        Action(
            "hand_down",
            _("下发分解"),
            access.HAND_DOWN,
            services.task_hand_down,
            [events.TASK_HANDED_DOWN],
            forms.HandDownForm,
            inputs.HandDownInput,
            own_page=True,
            route="hand-down",
            done=_("已分解下发，承办单位将收到通知"),
        ),
        # --- Cooperating units' shares (分工) -----------------------------------------------------------
        Action(
            "set_share",
            _("设定配合分工"),
            access.SET_SHARE,
            services.share_set,
            [events.SHARE_SET],
            forms.SetShareForm,
            inputs.SetShareInput,
            creates="share",
            done=_("配合分工已设定"),
        ),
        Action(
            "report_share",
            _("报送分工进展"),
            access.REPORT_SHARE,
            services.share_report,
            [events.SHARE_REPORTED, events.SHARE_COMPLETED],
            forms.ShareReportForm,
            inputs.ShareReportInput,
            on="share",
            style="primary",
            done=_("分工进展已报送"),
        ),
        Action(
            "reopen_share",
            _("退回分工"),
            access.REOPEN_SHARE,
            services.share_reopen,
            [events.SHARE_REOPENED],
            forms.ShareReopenForm,
            inputs.ShareReopenInput,
            on="share",
            style="danger",
            done=_("分工已退回"),
        ),
        # --- The supervision office and the leaders ----------------------------------------------------
        Action(
            "assign",
            _("交办"),
            access.ASSIGN,
            services.task_assign,
            [events.TASK_ASSIGNED],
            forms.AssignForm,
            inputs.AssignInput,
            style="primary",
            done=_("已交办"),
        ),
        Action(
            "reassign",
            _("改派"),
            access.REASSIGN,
            services.task_reassign,
            [events.TASK_REASSIGNED],
            forms.ReassignForm,
            inputs.ReassignInput,
            style="primary",
            done=_("已改派"),
        ),
        Action(
            "approve",
            _("审核通过"),
            access.APPROVE,
            services.task_approve,
            [events.TASK_APPROVED],
            forms.ApproveForm,
            inputs.ApproveInput,
            style="primary",
            done=_("已审核通过，等待评价"),
        ),
        Action(
            "request_correction",
            _("退回整改"),
            access.REQUEST_CORRECTION,
            services.task_request_correction,
            [events.TASK_CORRECTION_REQUESTED],
            forms.RequestCorrectionForm,
            inputs.RequestCorrectionInput,
            style="danger",
            done=_("已退回整改"),
        ),
        Action(
            "evaluate",
            _("评价"),
            access.EVALUATE,
            services.task_evaluate,
            [events.TASK_EVALUATED],
            forms.EvaluateForm,
            inputs.EvaluateInput,
            style="primary",
            own_page=True,
            done=_("评价完成，任务已办结"),
        ),
        Action(
            "issue_instruction",
            _("批示"),
            access.ISSUE_INSTRUCTION,
            services.instruction_issue,
            [events.INSTRUCTION_ISSUED],
            forms.InstructionIssueForm,
            inputs.InstructionIssueInput,
            creates="instruction",
            style="primary",
            done=_("批示已发出"),
        ),
        Action(
            "issue_notice",
            _("督办"),
            access.ISSUE_NOTICE,
            services.notice_issue,
            [events.NOTICE_ISSUED],
            forms.NoticeIssueForm,
            inputs.NoticeIssueInput,
            creates="notice",
            done=_("督办通知已发出"),
        ),
        Action(
            "review_instruction",
            _("审核批示回复"),
            access.REVIEW_INSTRUCTION,
            services.instruction_review,
            [events.INSTRUCTION_APPROVED, events.INSTRUCTION_RETURNED],
            forms.InstructionReviewForm,
            inputs.ReviewInput,
            on="instruction",
            style="primary",
            done=_("批示回复已审核"),
        ),
        Action(
            "lift_notice",
            _("销号"),
            access.LIFT_NOTICE,
            services.notice_lift,
            [events.NOTICE_LIFTED],
            forms.NoticeLiftForm,
            inputs.CommentInput,
            on="notice",
            done=_("督办已销号"),
        ),
        Action(
            "decide_extension",
            _("审批延期"),
            access.DECIDE_EXTENSION,
            services.extension_decide,
            [events.EXTENSION_APPROVED, events.EXTENSION_REJECTED],
            forms.ExtensionDecisionForm,
            inputs.ReviewInput,
            on="extension",
            style="primary",
            done=_("延期申请已审批"),
        ),
        Action(
            "answer_problem",
            _("答复问题"),
            access.ANSWER_PROBLEM,
            services.problem_answer,
            [events.PROBLEM_ANSWERED, events.PROBLEM_RESOLVED],
            forms.ProblemAnswerForm,
            inputs.ProblemAnswerInput,
            on="problem",
            style="primary",
            done=_("问题已答复"),
        ),
        Action(
            "reopen",
            _("重新打开"),
            access.REOPEN,
            services.task_reopen,
            [events.TASK_REOPENED],
            forms.ReasonForm,
            inputs.ReasonInput,
            done=_("任务已重新打开"),
        ),
        Action(
            "cancel",
            _("撤销"),
            access.CANCEL,
            services.task_cancel,
            [events.TASK_CANCELLED],
            forms.ReasonForm,
            inputs.ReasonInput,
            style="danger",
            done=_("任务已撤销"),
        ),
    )
}

# The workflow transitions, in the workflow's order (as the API lists ``allowed_transitions``).
TRANSITIONS = {name: ACTIONS[name] for name in access.TRANSITION_RULES}


def task_actions(user: Any, task: Task) -> list[Action]:
    """The actions ``user`` may take on the task itself now, in the page's order."""
    return [a for a in ACTIONS.values() if a.on == "task" and a.offered(user, task)]


def object_actions(user: Any, obj: Any) -> list[Action]:
    """The actions ``user`` may take now on one instruction, notice, problem report or extension request."""
    return [a for a in ACTIONS.values() if a.on != "task" and isinstance(obj, a.model) and a.offered(user, obj)]
