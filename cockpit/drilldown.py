"""The tasks behind a cockpit figure: every figure's link is a /tasks/ query string this answers.

A link carries the task list's own filters (``tasks_app.forms.TaskFilterForm``: status, light,
domain, unit, lead unit, overdue, open, closed on time or late, instructions answered on time or not,
…), answered by the one task query every list builds on (``tasks_app.selectors.task_queryset``), plus
two conditions only the cockpit's roll-ups know (``EXTRA_KEYS``):

- ``report=expected|on_time|late`` with ``report_after`` / ``report_before`` (the ten-day period's last
  day): tasks that owed a ten-day report in the window / filed one on time / owe one not filed on
  time (missed or late);
- ``indicator=any|measured|<bucket>``: tasks with an indicator, a measured one, or one in that
  achievement bucket (``ahead``, ``on_track``, ``behind``, ``far_behind``, ``unplanned``,
  ``unmeasured``). It reads the roll-up table: callers bring the roll-ups up to date first
  (``needs_rollups`` says when).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from reform.errors import ValidationError
from reform.params import parse_choice, parse_date
from rhythm.models import MissedReport
from tasks_app.forms import TaskFilterForm
from tasks_app.models import Feedback, Task
from tasks_app.selectors import task_queryset

from .models import ALL_SCOPE, IndicatorFact

if TYPE_CHECKING:
    from accounts.models import User

EXTRA_KEYS = ("report", "report_after", "report_before", "indicator")
REPORT_CHOICES = ("expected", "on_time", "late")


def drilldown_queryset(*, user: User, params: Any, today: date | None = None) -> QuerySet[Task]:
    """The tasks ``user`` may see that match a cockpit link's query string (unordered); 400 on a bad value."""
    form = TaskFilterForm(params)
    if not form.is_valid():
        field, problems = next(iter(form.errors.items()))
        message = _("筛选条件 %(n)s 的取值无效：%(e)s") % {"n": field, "e": problems[0]}
        raise ValidationError(message, fields={k: [str(e) for e in v] for k, v in form.errors.items()})
    tasks = task_queryset(user=user, filters=form.task_filters(), today=today or timezone.localdate())
    return narrow(tasks, params)


def needs_rollups(params: Any) -> bool:
    return bool((params.get("indicator") or "").strip())


def narrow(tasks: QuerySet[Task], params: Any) -> QuerySet[Task]:
    """Apply the cockpit-only conditions of a link (``EXTRA_KEYS``) to a task queryset."""
    return _indicator_filter(_report_filter(tasks, params), params)


def _choice(params: Any, name: str, allowed: tuple[str, ...]) -> str:
    return parse_choice(params.get(name), name, allowed)


def _date_param(params: Any, name: str) -> date | None:
    return parse_date(params.get(name), name)


def _report_filter(qs: QuerySet[Task], params: Any) -> QuerySet[Task]:
    kind = _choice(params, "report", REPORT_CHOICES)
    if not kind:
        return qs
    after, before = _date_param(params, "report_after"), _date_param(params, "report_before")
    window = Q()
    if after:
        window &= Q(period_end__gte=after)
    if before:
        window &= Q(period_end__lte=before)
    reports = Feedback.objects.filter(
        window, task_id=OuterRef("pk"), kind=Feedback.Kind.TENDAY, period_end__isnull=False
    )
    missed = MissedReport.objects.filter(window, task_id=OuterRef("pk"))
    if kind == "expected":
        return qs.filter(Q(Exists(reports)) | Q(Exists(missed)))
    punctual = reports.filter(on_time=True)
    if kind == "on_time":
        return qs.filter(Exists(punctual))
    # A (task, period) not filed on time: a missed record with no on-time report for that period,
    # or a late report with no on-time one for its period.
    on_time_for = Feedback.objects.filter(
        task_id=OuterRef("task_id"), kind=Feedback.Kind.TENDAY, on_time=True, period_end=OuterRef("period_end")
    )
    late_missed = missed.exclude(Exists(on_time_for))
    late_filed = reports.filter(on_time=False).exclude(Exists(on_time_for))
    return qs.filter(Q(Exists(late_missed)) | Q(Exists(late_filed)))


def _indicator_filter(qs: QuerySet[Task], params: Any) -> QuerySet[Task]:
    buckets = tuple(IndicatorFact.Bucket.values)
    kind = _choice(params, "indicator", ("any", "measured", *buckets))
    if not kind:
        return qs
    facts = IndicatorFact.objects.filter(scope=ALL_SCOPE, task_id=OuterRef("pk"))
    if kind == "measured":
        facts = facts.exclude(bucket=IndicatorFact.Bucket.UNMEASURED)
    elif kind != "any":
        facts = facts.filter(bucket=kind)
    return qs.filter(Exists(facts))
