"""``/api/tasks/`` filters: django-filter parses them and documents them; the one task-list query answers."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orgs.models import OrgUnit
from reform.errors import ValidationError
from reform.params import MAX_ID, parse_bool, parse_id

from .. import tree
from ..models import Domain, Programme, Rag, Task
from ..selectors.programmes import home_programme, programme_from
from ..selectors.task_list import TaskFilters, filter_tasks
from ..workflow import Status

DIMENSIONS = (("governance", gettext_lazy("治理")), ("service", gettext_lazy("服务")))
# Parameters whose empty value is an error, not "no filter": the schema gives them a type.
TYPED_PARAMETERS = {
    "deadline_after": gettext_lazy("日期（YYYY-MM-DD）"),
    "deadline_before": gettext_lazy("日期（YYYY-MM-DD）"),
    "unit": gettext_lazy("单位 id"),
    "programme": gettext_lazy("专项 id"),
    "overdue": gettext_lazy("true 或 false"),
}


def domain_by_code_or_id(value: str, programme: Programme, field: str = "domain") -> Domain:
    """The programme's domain named by its code (``digital_gov``) or its id; 400 when there is none."""
    value = (value or "").strip()
    domains = Domain.objects.filter(programme=programme)
    domain = domains.filter(code=value).first()
    if domain is None and value.isascii() and value.isdigit():
        domain = domains.filter(pk=parse_id(value, field)).first()
    if domain is None:
        message = _("未知的改革领域：%(v)s") % {"v": value}
        raise ValidationError(message, fields={field: [message]})
    return domain


class TaskFilter(django_filters.FilterSet):
    programme = django_filters.NumberFilter(
        min_value=1,
        max_value=MAX_ID,
        help_text=gettext_lazy("专项 id（见 /api/programmes/）；不传则列出全部专项中可见的任务"),
    )
    domain = django_filters.CharFilter(help_text=gettext_lazy("改革领域：代码（如 digital_gov）或 id"))
    unit = django_filters.NumberFilter(
        min_value=1,
        max_value=MAX_ID,
        help_text=gettext_lazy("单位 id：该单位或其下级单位牵头或配合的任务"),
    )
    status = django_filters.MultipleChoiceFilter(
        choices=Status.choices, help_text=gettext_lazy("状态，可重复传多个（status=assigned&status=in_progress）")
    )
    rag = django_filters.MultipleChoiceFilter(choices=Rag.choices, help_text=gettext_lazy("红黄绿灯，可重复传多个"))
    dimension = django_filters.ChoiceFilter(choices=DIMENSIONS, help_text=gettext_lazy("维度：治理或服务"))
    overdue = django_filters.CharFilter(
        help_text=gettext_lazy("true：已过完成时限且未办结、未撤销；false：其余任务（只接受 true/false/1/0）")
    )
    deadline_after = django_filters.DateFilter(help_text=gettext_lazy("完成时限不早于该日（含）"))
    deadline_before = django_filters.DateFilter(help_text=gettext_lazy("完成时限不晚于该日（含）"))
    parent = django_filters.CharFilter(help_text=gettext_lazy("上级任务编号：只列其直接下级任务"))
    code = django_filters.CharFilter(help_text=gettext_lazy("任务编号：该任务及其全部下级任务"))
    q = django_filters.CharFilter(help_text=gettext_lazy("按编号或任务名称搜索"))

    class Meta:
        model = Task
        fields: list[str] = []

    def filter_queryset(self, queryset: QuerySet[Task]) -> QuerySet[Task]:
        """Answer with the one task filter every list uses (``selectors.task_list.filter_tasks``)."""
        for name, expected in TYPED_PARAMETERS.items():
            if name in self.data and not str(self.data.get(name) or "").strip():
                message = _("参数“%(n)s”不能为空，应为%(e)s") % {"n": name, "e": expected}
                raise ValidationError(message, fields={name: [message]})
        data = self.form.cleaned_data
        programme = programme_from(data, self.request.user) if data.get("programme") else None
        # Domain codes are per programme: without one, the caller's own programme names the domain.
        domain_programme = programme or home_programme(self.request.user)
        domain = domain_by_code_or_id(data["domain"], domain_programme) if data.get("domain") else None
        unit = None
        if data.get("unit") is not None:
            unit = OrgUnit.objects.filter(pk=int(data["unit"])).first()
            if unit is None:
                message = _("单位不存在：%(v)s") % {"v": int(data["unit"])}
                raise ValidationError(message, fields={"unit": [message]})
        filters = TaskFilters(
            programme=programme,
            statuses=tuple(data.get("status") or ()),
            lights=tuple(data.get("rag") or ()),
            domain=domain.code if domain else "",
            unit=unit,
            overdue=parse_bool(data["overdue"], "overdue") if data.get("overdue") else None,
            deadline_after=data.get("deadline_after"),
            deadline_before=data.get("deadline_before"),
            text=(data.get("q") or "").strip(),
            subtree=tree.normalise_code(data.get("code") or ""),
            parent=tree.normalise_code(data.get("parent") or ""),
            dimension=data.get("dimension") or "",
        )
        return filter_tasks(queryset, filters)
