from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from reform.errors import PermissionDenied, ValidationError
from tasks_app import selectors, services
from tasks_app.models import Programme, Task
from tests.factories import make_task
from trail.models import TraceEntry

pytestmark = pytest.mark.django_db


def test_child_code_goes_under_parent_and_is_traced(dsj, office_user):
    parent = make_task("2", lead_unit=dsj)
    child = services.task_create(actor=office_user, code="2.1", title="子任务", lead_unit=dsj)
    assert child.parent.code == "2"
    assert child.domain == parent.domain  # inherited
    parent.refresh_from_db()
    assert not parent.is_leaf
    assert TraceEntry.objects.filter(task=child, action="task.create").count() == 1


def test_missing_parent_is_a_chinese_error(dsj, office_user):
    with pytest.raises(ValidationError) as err:
        services.task_create(actor=office_user, code="7.1", title="孤儿", lead_unit=dsj)
    assert "上级任务“7”不存在" in err.value.message
    assert not Task.objects.filter(code="7.1").exists()


def test_unit_handler_may_not_create_tasks(dsj, dsj_handler):
    with pytest.raises(PermissionDenied):
        services.task_create(actor=dsj_handler, code="1", title="x", lead_unit=dsj)


def test_progress_rolls_up_as_weighted_mean(dsj, office_user):
    make_task("3", lead_unit=dsj)
    a = make_task("3.1", lead_unit=dsj, weight=3)
    b = make_task("3.2", lead_unit=dsj, weight=1)
    Task.objects.filter(pk=a.pk).update(progress=100)
    services.rollup_progress([a, b])
    assert Task.objects.get(code="3").progress == Decimal("75.00")
    services.task_update(actor=office_user, task=b, weight=3)
    assert Task.objects.get(code="3").progress == Decimal("50.00")


def test_move_renumbers_the_subtree(dsj, office_user):
    make_task("1", lead_unit=dsj)
    make_task("2", lead_unit=dsj)
    make_task("2.1", lead_unit=dsj)
    moved = make_task("1.1", lead_unit=dsj)
    make_task("1.1.1", lead_unit=dsj)
    services.task_move(actor=office_user, task=moved, new_parent=Task.objects.get(code="2"))
    assert sorted(Task.objects.values_list("code", flat=True)) == ["1", "2", "2.1", "2.2", "2.2.1"]
    assert Task.objects.get(code="2.2.1").parent.code == "2.2"
    assert Task.objects.get(code="1").is_leaf


def test_delete_refuses_when_children_hang_off(dsj, office_user):
    parent = make_task("5", lead_unit=dsj)
    leaf = make_task("5.1", lead_unit=dsj)
    with pytest.raises(ValidationError, match="下级任务"):
        services.task_delete(actor=office_user, task=parent)
    services.task_delete(actor=office_user, task=leaf)
    assert not Task.objects.filter(code="5.1").exists()
    assert Task.objects.get(code="5").is_leaf
    assert TraceEntry.objects.filter(action="task.delete").count() == 1


def test_deadline_before_start_is_refused(dsj, office_user):
    with pytest.raises(ValidationError, match="不能早于开始日期"):
        services.task_create(
            actor=office_user,
            code="9",
            title="x",
            lead_unit=dsj,
            domain=Task._meta.get_field("domain").related_model.objects.first(),
            start_date=date(2026, 5, 1),
            deadline=date(2026, 4, 1),
        )


@pytest.mark.parametrize(
    "update",
    [
        {"weight": 0},
        {"progress": 101},
        {"progress": -1},
        {"deadline": date(2020, 1, 1)},
    ],
)
def test_database_constraints_hold_even_past_the_services(dsj, update):
    task = make_task("8", lead_unit=dsj, start_date=date(2026, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.filter(pk=task.pk).update(**update)


def test_child_code_must_extend_parent_code_in_the_database(dsj):
    four = make_task("4", lead_unit=dsj)
    child = make_task("4.1", lead_unit=dsj)
    six = make_task("6", lead_unit=dsj)
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.filter(pk=child.pk).update(parent=six)  # 4.1 is not a child code of 6
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.filter(pk=child.pk).update(code="4.1.1")  # two segments below its parent
    other = Programme.objects.create(name="年度重点工作")
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.filter(pk=child.pk).update(programme=other)  # its parent stays in the first programme
    Task.objects.filter(pk=child.pk).update(code="4.2")  # still one segment below 4
    assert Task.objects.get(pk=child.pk).parent == four


def test_subtree_and_ancestors_take_one_query_each(dsj, django_assert_num_queries):
    for code in ["1", "1.1", "1.1.1", "1.1.2", "1.2", "1.10", "2"]:
        make_task(code, lead_unit=dsj)
    root = Task.objects.get(code="1")
    leaf = Task.objects.get(code="1.1.2")
    with django_assert_num_queries(1):
        codes = [t.code for t in selectors.task_subtree(root)]
    assert codes == ["1", "1.1", "1.1.1", "1.1.2", "1.2", "1.10"]
    with django_assert_num_queries(1):
        assert [t.code for t in selectors.task_ancestors(leaf)] == ["1", "1.1"]


def test_parent_light_recovers_when_its_red_child_moves_away_or_is_deleted(dsj, office_user):
    from datetime import timedelta

    make_task("1", lead_unit=dsj)
    make_task("2", lead_unit=dsj)
    late = make_task(
        "1.1", lead_unit=dsj, start_date=date.today() - timedelta(days=30), deadline=date.today() - timedelta(days=1)
    )
    assert Task.objects.get(code="1").rag == "red"
    services.task_move(actor=office_user, task=late, new_parent=Task.objects.get(code="2"))
    assert Task.objects.get(code="1").rag != "red"
    assert Task.objects.get(code="2").rag == "red"
    services.task_delete(actor=office_user, task=Task.objects.get(code="2.1"))
    assert Task.objects.get(code="2").rag != "red"
