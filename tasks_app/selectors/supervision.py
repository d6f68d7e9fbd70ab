"""A task's supervision objects, newest first, loaded with what their API serializers show."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from orgs.models import OrgUnit

from ..models import (
    CorrectionOrder,
    Evaluation,
    ExtensionRequest,
    Feedback,
    Instruction,
    Notice,
    ProblemReport,
    TaskShare,
)


def instructions_of(task_id: int) -> QuerySet[Instruction]:
    return (
        Instruction.objects.filter(task_id=task_id)
        .select_related("task", "author", "responded_by")
        .prefetch_related(Prefetch("target_units", queryset=OrgUnit.objects.order_by("path")))
        .order_by("-created_at", "-id")
    )


def notices_of(task_id: int) -> QuerySet[Notice]:
    return (
        Notice.objects.filter(task_id=task_id)
        .select_related("task", "issued_by", "lifted_by")
        .order_by("-created_at", "-id")
    )


def feedback_of(task_id: int) -> QuerySet[Feedback]:
    return (
        Feedback.objects.filter(task_id=task_id)
        .select_related("task", "unit", "submitted_by")
        .prefetch_related("attachments")
        .order_by("-submitted_at", "-id")
    )


def problems_of(task_id: int) -> QuerySet[ProblemReport]:
    return (
        ProblemReport.objects.filter(task_id=task_id)
        .select_related("task", "unit", "reported_by", "responded_by")
        .order_by("-created_at", "-id")
    )


def corrections_of(task_id: int) -> QuerySet[CorrectionOrder]:
    return (
        CorrectionOrder.objects.filter(task_id=task_id)
        .select_related("task", "issued_by", "answered_by")
        .order_by("-created_at", "-id")
    )


def extensions_of(task_id: int) -> QuerySet[ExtensionRequest]:
    return (
        ExtensionRequest.objects.filter(task_id=task_id)
        .select_related("task", "requested_by", "decided_by")
        .order_by("-created_at", "-id")
    )


def evaluations_of(task_id: int) -> QuerySet[Evaluation]:
    return Evaluation.objects.filter(task_id=task_id).select_related("task", "evaluator").order_by("-created_at", "-id")


def shares_of(task_id: int) -> QuerySet[TaskShare]:
    return TaskShare.objects.filter(task_id=task_id).select_related("task", "unit", "created_by").order_by("unit__path")


SUPERVISION_OF = {
    "instruction": instructions_of,
    "notice": notices_of,
    "feedback": feedback_of,
    "problem": problems_of,
    "correction": corrections_of,
    "extension": extensions_of,
    "evaluation": evaluations_of,
    "share": shares_of,
}
