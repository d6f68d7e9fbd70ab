"""Every lifecycle in the closed loop (闭环), declared once: states, transitions and guards.

The task's workflow and the small lifecycles of its supervision objects (instructions, notices,
problem reports, correction orders, extension requests) are django-fsm-2 state machines on protected
fields: services call these transition methods after locking the row, and nothing else changes a
state. Who may fire a transition is decided by ``tasks_app.access`` (one rule per use case).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, FSMField, FSMModelMixin, transition


class Status(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ASSIGNED = "assigned", _("已交办")
    RETURNED = "returned", _("已退回待改派")
    IN_PROGRESS = "in_progress", _("办理中")
    UNIT_REVIEW = "unit_review", _("待单位负责人审核")
    UNDER_REVIEW = "under_review", _("已反馈待审核")
    CORRECTING = "correcting", _("整改中")
    EVALUATING = "evaluating", _("待评价")
    CLOSED = "closed", _("已办结")
    CANCELLED = "cancelled", _("已撤销")


FINAL_STATUSES = frozenset({Status.CLOSED, Status.CANCELLED})
OPEN_STATUSES = frozenset(set(Status) - FINAL_STATUSES)
NON_FINAL = [s.value for s in Status if s not in FINAL_STATUSES]

# The light rules read the state only through these classes (final: no light; reporting: ten-day
# reports are due), so a transition within one class cannot change any light.
REPORTING_STATUSES = frozenset({Status.IN_PROGRESS, Status.CORRECTING})


def light_class(status: str) -> str:
    if status in FINAL_STATUSES:
        return "final"
    return "reporting" if status in REPORTING_STATUSES else "open"


def _children_all_final(instance: TaskWorkflow) -> bool:
    return instance.children_all_final()


class TaskWorkflow(FSMModelMixin, models.Model):
    """Abstract base holding the state field and the transitions of :class:`tasks_app.models.Task`."""

    status = FSMField(_("状态"), default=Status.DRAFT, choices=Status.choices, protected=True, db_index=True)

    class Meta:
        abstract = True

    def children_all_final(self) -> bool:  # pragma: no cover - implemented by Task
        raise NotImplementedError

    def open_children_codes(self) -> list[str]:  # pragma: no cover - implemented by Task
        raise NotImplementedError

    @transition(field=status, source=Status.DRAFT, target=Status.ASSIGNED)
    def assign(self) -> None:
        """交办: the office hands a drafted task to its lead unit."""

    @transition(field=status, source=Status.ASSIGNED, target=Status.IN_PROGRESS)
    def accept(self) -> None:
        """签收: the lead unit signs for the task."""

    @transition(field=status, source=Status.ASSIGNED, target=Status.RETURNED)
    def decline(self) -> None:
        """退回: the unit says the task is not its to do (within the return period, with a reason)."""

    @transition(field=status, source=[Status.ASSIGNED, Status.RETURNED], target=Status.ASSIGNED)
    def reassign(self) -> None:
        """改派: the office hands the task to another unit (or, after a return, insists on the same one)."""

    @transition(
        field=status,
        source=[Status.IN_PROGRESS, Status.CORRECTING],
        target=RETURN_VALUE(Status.UNIT_REVIEW, Status.UNDER_REVIEW),
    )
    def submit_completion(self, *, signoff: bool) -> str:
        """报送办结: the lead unit reports the task done; a handler's report waits for the unit head first."""
        return Status.UNIT_REVIEW if signoff else Status.UNDER_REVIEW

    @transition(
        field=status,
        source=Status.UNIT_REVIEW,
        target=RETURN_VALUE(Status.UNDER_REVIEW, Status.IN_PROGRESS, Status.CORRECTING),
    )
    def unit_signoff(self, *, approve: bool, correcting: bool) -> str:
        """负责人审核: the unit head passes the report on to the office, or sends it back to the handler."""
        if approve:
            return Status.UNDER_REVIEW
        return Status.CORRECTING if correcting else Status.IN_PROGRESS

    @transition(field=status, source=Status.UNDER_REVIEW, target=Status.CORRECTING)
    def request_correction(self) -> None:
        """整改: the office sends the task back with a correction order."""

    @transition(field=status, source=Status.UNDER_REVIEW, target=Status.EVALUATING)
    def approve(self) -> None:
        """审核通过: the office accepts the completion report."""

    @transition(field=status, source=Status.EVALUATING, target=Status.CLOSED, conditions=[_children_all_final])
    def evaluate(self) -> None:
        """评价: scoring closes the task; a parent closes only when every child is closed or cancelled."""

    @transition(field=status, source=Status.CLOSED, target=Status.IN_PROGRESS)
    def reopen(self) -> None:
        """Reopen a closed task, with a reason."""

    @transition(field=status, source=NON_FINAL, target=Status.CANCELLED)
    def cancel(self) -> None:
        """撤销: withdraw a task that is not final, with a reason."""


# --- Supervision objects' lifecycles ------------------------------------------------------------


class InstructionState(models.TextChoices):
    ISSUED = "issued", _("待回复")
    ANSWERED = "answered", _("已回复待审核")
    APPROVED = "approved", _("已落实")
    RETURNED = "returned", _("退回重办")


class InstructionLifecycle(FSMModelMixin, models.Model):
    """批示: issued → answered → approved, or back (returned → answered again)."""

    state = FSMField(
        _("状态"),
        default=InstructionState.ISSUED,
        choices=InstructionState.choices,
        max_length=16,
        protected=True,
        db_index=True,
    )

    class Meta:
        abstract = True

    @transition(
        field=state, source=[InstructionState.ISSUED, InstructionState.RETURNED], target=InstructionState.ANSWERED
    )
    def answer(self) -> None:
        """A target unit answers (again, after it was sent back)."""

    @transition(field=state, source=InstructionState.ANSWERED, target=InstructionState.APPROVED)
    def approve(self) -> None:
        """已落实: the office or a leader accepts the answer."""

    @transition(field=state, source=InstructionState.ANSWERED, target=InstructionState.RETURNED)
    def send_back(self) -> None:
        """退回重办: the answer does not do; the units must answer again."""


class NoticeState(models.TextChoices):
    OPEN = "open", _("督办中")
    LIFTED = "lifted", _("已销号")


class NoticeLifecycle(FSMModelMixin, models.Model):
    """督办: open until the office lifts it (销号)."""

    state = FSMField(
        _("状态"), default=NoticeState.OPEN, choices=NoticeState.choices, max_length=16, protected=True, db_index=True
    )

    class Meta:
        abstract = True

    @transition(field=state, source=NoticeState.OPEN, target=NoticeState.LIFTED)
    def lift(self) -> None:
        """销号: the office closes the notice."""


class ProblemState(models.TextChoices):
    OPEN = "open", _("待答复")
    ANSWERED = "answered", _("已答复")
    RESOLVED = "resolved", _("已解决")


class ProblemLifecycle(FSMModelMixin, models.Model):
    """问题反馈: answered (any number of times) until resolved."""

    state = FSMField(
        _("状态"), default=ProblemState.OPEN, choices=ProblemState.choices, max_length=16, protected=True, db_index=True
    )

    class Meta:
        abstract = True

    @transition(field=state, source=[ProblemState.OPEN, ProblemState.ANSWERED], target=ProblemState.ANSWERED)
    def answer(self) -> None:
        """The office or a leader answers; the problem stays open."""

    @transition(field=state, source=[ProblemState.OPEN, ProblemState.ANSWERED], target=ProblemState.RESOLVED)
    def resolve(self) -> None:
        """The office or a leader answers and closes the problem."""


class CorrectionState(models.TextChoices):
    OPEN = "open", _("整改中")
    ANSWERED = "answered", _("已反馈整改")


class CorrectionLifecycle(FSMModelMixin, models.Model):
    """整改: open until the unit's next completion report answers it."""

    state = FSMField(
        _("状态"),
        default=CorrectionState.OPEN,
        choices=CorrectionState.choices,
        max_length=16,
        protected=True,
        db_index=True,
    )

    class Meta:
        abstract = True

    @transition(field=state, source=CorrectionState.OPEN, target=CorrectionState.ANSWERED)
    def mark_answered(self) -> None:
        """The completion report says what was corrected (the text is the order's ``answer``)."""


class ExtensionState(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已同意")
    REJECTED = "rejected", _("已驳回")


class ExtensionLifecycle(FSMModelMixin, models.Model):
    """延期申请: pending until the office approves (the deadline moves) or rejects it."""

    state = FSMField(
        _("状态"),
        default=ExtensionState.PENDING,
        choices=ExtensionState.choices,
        max_length=16,
        protected=True,
        db_index=True,
    )

    class Meta:
        abstract = True

    @transition(field=state, source=ExtensionState.PENDING, target=ExtensionState.APPROVED)
    def approve(self) -> None:
        """The office agrees; the service moves the task's deadline."""

    @transition(field=state, source=ExtensionState.PENDING, target=ExtensionState.REJECTED)
    def reject(self) -> None:
        """The office refuses, with a reason."""


class ShareState(models.TextChoices):
    OPEN = "open", _("办理中")
    DONE = "done", _("已完成")


class ShareLifecycle(FSMModelMixin, models.Model):
    """分工: a cooperating unit's share of an item, open until that unit reports it done."""

    state = FSMField(
        _("状态"), default=ShareState.OPEN, choices=ShareState.choices, max_length=16, protected=True, db_index=True
    )

    class Meta:
        abstract = True

    @transition(field=state, source=ShareState.OPEN, target=ShareState.DONE)
    def complete(self) -> None:
        """The cooperating unit reports its share done."""

    @transition(field=state, source=ShareState.DONE, target=ShareState.OPEN)
    def reopen(self) -> None:
        """The lead unit or the office finds the share not done after all."""
