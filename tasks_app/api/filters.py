"""``/api/tasks/`` filters (django-filter). Each narrows a queryset already scoped to the caller."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orgs.models import OrgUnit
from reform.errors import ValidationError

from .. import tree
from ..models import Domain, Rag, Task
from ..workflow import FINAL_STATUSES, Status

DIMENSIONS = (("governance", gettext_lazy("治理")), ("service", gettext_lazy("服务")))
MAX_ID = 2**63 - 1


def domain_by_code_or_id(value: str, field: str = "domain") -> Domain:
    """The domain named by its code (``digital_gov``) or its id; 400 when there is none."""
    value = (value or "").strip()
    domain = Domain.objects.filter(code=value).first()
    if domain is None and value.isdigit() and int(value) <= MAX_ID:
        domain = Domain.objects.filter(pk=int(value)).first()
    if domain is None:
        message = _("未知的改革领域：%(v)s") % {"v": value}
        raise ValidationError(message, fields={field: [message]})
    return domain


class TaskFilter(django_filters.FilterSet):
    domain = django_filters.CharFilter(
        method="filter_domain", help_text=gettext_lazy("改革领域：代码（如 digital_gov）或 id")
    )
    unit = django_filters.NumberFilter(
        method="filter_unit",
        min_value=1,
        max_value=MAX_ID,
        help_text=gettext_lazy("单位 id：该单位或其下级单位牵头或配合的任务"),
    )
    status = django_filters.MultipleChoiceFilter(
        choices=Status.choices, help_text=gettext_lazy("状态，可重复传多个（status=assigned&status=in_progress）")
    )
    rag = django_filters.MultipleChoiceFilter(choices=Rag.choices, help_text=gettext_lazy("红黄绿灯，可重复传多个"))
    dimension = django_filters.ChoiceFilter(
        choices=DIMENSIONS, method="filter_dimension", help_text=gettext_lazy("维度：治理或服务")
    )
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", help_text=gettext_lazy("true：已过完成时限且未办结、未撤销；false：其余任务")
    )
    deadline_after = django_filters.DateFilter(
        field_name="deadline", lookup_expr="gte", help_text=gettext_lazy("完成时限不早于该日（含）")
    )
    deadline_before = django_filters.DateFilter(
        field_name="deadline", lookup_expr="lte", help_text=gettext_lazy("完成时限不晚于该日（含）")
    )
    parent = django_filters.CharFilter(
        method="filter_parent", help_text=gettext_lazy("上级任务编号：只列其直接下级任务")
    )
    code = django_filters.CharFilter(method="filter_code", help_text=gettext_lazy("任务编号：该任务及其全部下级任务"))
    q = django_filters.CharFilter(method="filter_q", help_text=gettext_lazy("按编号或任务名称搜索"))

    class Meta:
        model = Task
        fields: list[str] = []

    def filter_domain(self, queryset: QuerySet[Task], name: str, value: str) -> QuerySet[Task]:
        return queryset.filter(domain=domain_by_code_or_id(value))

    def filter_unit(self, queryset: QuerySet[Task], name: str, value: Any) -> QuerySet[Task]:
        unit = OrgUnit.objects.filter(pk=int(value)).only("path").first()
        if unit is None:
            message = _("单位不存在：%(v)s") % {"v": int(value)}
            raise ValidationError(message, fields={"unit": [message]})
        cooperating = Task.cooperating_units.through.objects.filter(
            task_id=OuterRef("pk"), orgunit__path__startswith=unit.path
        )
        return queryset.filter(Q(lead_unit__path__startswith=unit.path) | Q(Exists(cooperating)))

    def filter_dimension(self, queryset: QuerySet[Task], name: str, value: str) -> QuerySet[Task]:
        return queryset.filter(**{f"is_{value}": True})

    def filter_overdue(self, queryset: QuerySet[Task], name: str, value: bool | None) -> QuerySet[Task]:
        if value is None:
            return queryset
        overdue = Q(deadline__lt=timezone.localdate()) & ~Q(status__in=[str(s) for s in FINAL_STATUSES])
        return queryset.filter(overdue if value else ~overdue)

    def filter_parent(self, queryset: QuerySet[Task], name: str, value: str) -> QuerySet[Task]:
        return queryset.filter(parent_id=tree.normalise_code(value))

    def filter_code(self, queryset: QuerySet[Task], name: str, value: str) -> QuerySet[Task]:
        code = tree.normalise_code(value)
        return queryset.filter(Q(code=code) | Q(code__startswith=code + "."))

    def filter_q(self, queryset: QuerySet[Task], name: str, value: str) -> QuerySet[Task]:
        text = value.strip()
        if not text:
            return queryset
        return queryset.filter(Q(code=text) | Q(code__startswith=text + ".") | Q(title__icontains=text))
