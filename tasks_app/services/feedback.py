"""Ten-day reports (旬报) and progress feedback: what a responsible unit reports, with values and files.

A report never changes the task's state. The lead unit's report moves the item's progress (and the
parents' roll-up); a cooperating unit's report is recorded only.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from indicators.models import Indicator, Measurement
from reform.errors import ValidationError
from reform.numbers import indicator_number
from reform.params import check_date
from reform.periods import due_date, period_of

from .. import access, events
from ..models import Feedback, Task
from .attachments import CheckedUpload, attachment_check, attachment_store, remove_unreferenced
from .common import raise_if, require_text, to_decimal
from .rollup import rollup_from, schedule_light_refresh

if TYPE_CHECKING:
    from accounts.models import User


def tenday_due_date(period_end: date) -> date:
    """A ten-day report for the period ending ``period_end`` is due on the next configured due day."""
    return due_date(period_end)


def feedback_submit(
    *,
    actor: User,
    task: Task,
    text: str,
    progress: Decimal | int | str,
    kind: str = Feedback.Kind.TENDAY,
    period_end: date | None = None,
    indicator_values: dict[int, Any] | None = None,
    files: Iterable[Any] = (),
) -> Feedback:
    """旬报 / progress feedback: text, progress %, indicator values and attachments; state is unchanged.

    The lead unit's report moves the task's progress; a cooperating unit's report is recorded only.
    """
    rule = access.SUBMIT_FEEDBACK
    access.enter_task(actor, task.pk, rule)
    text = require_text(text, "text", _("工作进展"))
    value = to_decimal(progress, "progress", _("进度"))
    if not Decimal(0) <= value <= Decimal(100):
        raise ValidationError(_("进度应在 0 到 100 之间"), fields={"progress": [_("超出范围")]})
    if kind not in Feedback.Kind.values:
        raise ValidationError(_("未知的反馈类型"), fields={"kind": [_("无效")]})
    today = timezone.localdate()
    if period_end is not None:
        check_date(period_end, "period_end", label=_("报告期"))
    if kind == Feedback.Kind.TENDAY:
        period = period_of(period_end or today)
        if period.start > today:
            raise ValidationError(_("不能报送未来期间的旬报"), fields={"period_end": [_("无效")]})
        period_end = period.end
    # Every file is read and checked before anything is written: one refused file stores none.
    checked = [attachment_check(uploaded) for uploaded in files or ()]
    written: list[str] = []
    try:
        return _feedback_save(
            actor=actor,
            task=task,
            rule=rule,
            text=text,
            value=value,
            kind=kind,
            period_end=period_end,
            today=today,
            indicator_values=indicator_values,
            files=checked,
            written=written,
        )
    except BaseException:
        remove_unreferenced(written)  # the transaction rolled back: no orphan file stays on disk
        raise


def _feedback_save(
    *,
    actor: User,
    task: Task,
    rule: access.Rule,
    text: str,
    value: Decimal,
    kind: str,
    period_end: date | None,
    today: date,
    indicator_values: dict[int, Any] | None,
    files: list[CheckedUpload],
    written: list[str],
) -> Feedback:
    with transaction.atomic():
        task = access.access_task(actor, task.pk, for_update=True)
        rule.check(actor, task)
        unit = access.acting_unit(actor)
        is_lead = access.leads(actor, task)
        measured: dict[str, str] = {}
        if indicator_values:
            indicators = {i.pk: i for i in Indicator.objects.filter(task=task, pk__in=list(indicator_values))}
            errors: dict[str, list[str]] = {}
            for indicator_id, raw in indicator_values.items():
                indicator = indicators.get(int(indicator_id))
                if indicator is None:
                    errors[f"indicator_{indicator_id}"] = [_("该指标不属于此任务")]
                    continue
                if raw in (None, ""):
                    continue
                field = f"indicator_{indicator_id}"
                try:
                    number = indicator_number(raw, field=field, label=f"“{indicator.name}”", unit=indicator.unit)
                except ValidationError as exc:
                    errors[field] = [exc.message]
                    continue
                measure_period = period_of(period_end or today, indicator.period_kind).end
                Measurement.stored.unreadable().filter(indicator=indicator, period_end=measure_period).delete()
                Measurement.objects.update_or_create(
                    indicator=indicator,
                    period_end=measure_period,
                    defaults={
                        "value": number,
                        "reported_by": actor,
                        "source": Measurement.Source.TENDAY,
                        "evidence": _("旬报填报"),
                    },
                )
                measured[indicator.name] = str(number)
            raise_if(errors)
        on_time = kind != Feedback.Kind.TENDAY or today <= tenday_due_date(period_end)  # type: ignore[arg-type]
        feedback = Feedback.objects.create(
            task=task,
            kind=kind,
            period_end=period_end,
            text=text,
            progress=value,
            unit=unit,
            submitted_by=actor,
            on_time=on_time,
        )
        stored = []
        if files:
            for uploaded in files:
                attachment = attachment_store(
                    actor=actor, task=task, uploaded_file=uploaded, feedback=feedback, written=written
                )
                stored.append(attachment.original_name)
        old_progress = task.progress
        if is_lead and task.is_leaf and value != task.progress:
            task.progress = value
            task.save(update_fields=["progress", "updated_at"])
        events.FEEDBACK_SUBMITTED(
            actor=actor,
            obj=feedback,
            task=task,
            payload={
                "kind": kind,
                "period_end": period_end,
                "progress": [old_progress, task.progress],
                "text": text,
                "indicator_values": measured,
                "attachments": stored,
                "on_time": on_time,
                "unit": unit.name,
            },
        )
        if task.parent_id:
            rollup_from([task.parent_id])
        schedule_light_refresh([task.pk])
    return feedback
