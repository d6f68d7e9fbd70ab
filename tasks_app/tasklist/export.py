"""Exporting the task list in the import template."""

from __future__ import annotations

import io
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.utils.translation import gettext as _

from indicators.models import Indicator
from reform.errors import NotFound
from reform.spreadsheet import append_literal

from .. import access, tree
from ..access import sees_everything, visible_tasks
from ..models import EvaluationCriterion, Measure, Policy, Programme, Task
from ..selectors.programmes import default_programme, home_programme
from .cells import _cell_number, format_criterion
from .permissions import _require
from .schema import (
    COLUMN_WIDTHS,
    INDICATOR_COLUMNS,
    INDICATOR_SHEET,
    POLICY_COLUMNS,
    POLICY_SHEET,
    TASK_COLUMNS,
    TASK_SHEET,
)

if TYPE_CHECKING:
    from accounts.models import User


def tasklist_export(*, actor: User | None, root_code: str | None = None, programme: Programme | None = None) -> bytes:
    """Write a programme's task list (default: the default programme), or its subtree under ``root_code``,
    in the import template; return the .xlsx bytes."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    _require(actor, access.EXPORT_TASKLIST)

    programme = programme or (home_programme(actor) if actor is not None else default_programme())

    # A district's office exports what it may see of the programme, nothing else.
    visible = visible_tasks(actor).values("pk") if actor is not None and not sees_everything(actor) else None

    def scope(prefix: str = "") -> Q:
        """The exported tasks, as a filter on ``prefix`` (a subquery-free join, whatever the list's size)."""
        in_programme = Q(**{f"{prefix}programme": programme})
        if visible is not None:
            in_programme &= Q(**{f"{prefix}pk__in" if not prefix else f"{prefix}in": visible})
        if not root_code:
            return in_programme
        return in_programme & (Q(**{f"{prefix}code": root_code}) | Q(**{f"{prefix}code__startswith": f"{root_code}."}))

    if root_code:
        root_code = tree.normalise_code(root_code)
        if not Task.objects.filter(programme=programme, code=root_code).exists():
            raise NotFound(_("任务“%(c)s”不存在") % {"c": root_code})
    task_list = list(Task.objects.filter(scope()).select_related("domain", "lead_unit").order_by("sort_key"))
    code_of = {t.pk: t.code for t in task_list}
    order = {t.pk: i for i, t in enumerate(task_list)}
    cooperating: dict[int, list[str]] = defaultdict(list)
    through = Task.cooperating_units.through.objects.filter(scope("task__")).select_related("orgunit")
    for coop_link in through.order_by("orgunit__path"):
        cooperating[coop_link.task_id].append(coop_link.orgunit.name)
    measures: dict[int, list[str]] = defaultdict(list)
    for task_id, text in Measure.objects.filter(scope("task__")).order_by("order", "pk").values_list("task_id", "text"):
        measures[task_id].append(text)
    criteria: dict[int, list[str]] = defaultdict(list)
    for task_id, name, weight in (
        EvaluationCriterion.objects.filter(scope("task__"), task__isnull=False)
        .order_by("pk")
        .values_list("task_id", "name", "weight")
    ):
        criteria[task_id].append(format_criterion(name, weight))
    indicators = sorted(Indicator.objects.filter(scope("task__")), key=lambda i: (order[i.task_id], i.pk))
    links = sorted(
        Policy.tasks.through.objects.filter(scope("task__")).select_related("policy"),
        key=lambda link: (order[link.task_id], link.policy_id),
    )

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    wrap = Alignment(wrap_text=True, vertical="top")

    def sheet(title: str, columns: tuple[str, ...]) -> Any:
        ws = workbook.create_sheet(title)
        ws.freeze_panes = "A2"
        for index, column in enumerate(columns, start=1):
            ws.column_dimensions[get_column_letter(index)].width = COLUMN_WIDTHS.get(column, 14)
        header = []
        for column in columns:
            head = WriteOnlyCell(ws, value=column)
            head.font = bold
            head.fill = fill
            header.append(head)
        ws.append(header)
        return ws

    def cell(ws: Any, value: Any, *, wrapped: bool = False, is_date: bool = False) -> Any:
        c = WriteOnlyCell(ws, value=value)
        if wrapped:
            c.alignment = wrap
        if is_date and value is not None:
            c.number_format = "yyyy-mm-dd"
        return c

    ws = sheet(TASK_SHEET, TASK_COLUMNS)
    for t in task_list:
        append_literal(
            ws,
            [
                t.code,
                cell(ws, t.title, wrapped=True),
                t.domain.name,
                t.dimension_label,
                t.lead_unit.name,
                "、".join(cooperating[t.pk]),
                t.owner_name,
                cell(ws, t.start_date, is_date=True),
                cell(ws, t.deadline, is_date=True) if t.deadline else _("持续推进"),
                _cell_number(t.weight),
                cell(ws, "\n".join(measures[t.pk]), wrapped=True),
                cell(ws, "\n".join(criteria[t.pk]), wrapped=True),
            ],
        )
    ws = sheet(INDICATOR_SHEET, INDICATOR_COLUMNS)
    for i in indicators:
        append_literal(
            ws,
            [
                code_of[i.task_id],
                i.name,
                i.unit,
                "正向" if i.direction == Indicator.Direction.HIGHER else "反向",
                _cell_number(i.baseline_value),
                cell(ws, i.baseline_date, is_date=True),
                _cell_number(i.target_value),
                cell(ws, i.target_date, is_date=True),
                i.data_source,
            ],
        )
    ws = sheet(POLICY_SHEET, POLICY_COLUMNS)
    for link in links:
        policy = link.policy
        append_literal(
            ws,
            [
                code_of[link.task_id],
                cell(ws, policy.title, wrapped=True),
                policy.doc_number,
                policy.issuer,
                cell(ws, policy.issued_on, is_date=True),
            ],
        )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


__all__ = ["tasklist_export"]
