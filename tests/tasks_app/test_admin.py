from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from indicators.models import Indicator, Measurement, TrajectoryPoint
from orgs.models import OrgUnit
from tasks_app import services
from tasks_app.models import Domain, EvaluationCriterion, Measure, Milestone, Notice, Policy, Task
from tests.factories import Role, make_task, make_user
from trail.models import TraceEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme(dsj, jxj, office_user, leader_user):
    """A small tree with every system filled in and some supervision history."""
    major = make_task("1", lead_unit=dsj, title="数字政府建设")
    sub = make_task("1.1", lead_unit=dsj, title="政务服务增值化改革", cooperating_units=(jxj,))
    item = make_task("1.1.1", lead_unit=jxj, title="推进高频事项掌上办")
    indicator = Indicator.objects.create(
        task=item, name="掌上可办事项比例", unit="%", baseline_value=60, target_value=90, target_date=date(2026, 12, 31)
    )
    TrajectoryPoint.objects.create(indicator=indicator, period_end=date(2026, 6, 30), expected_value=75)
    Measurement.objects.create(indicator=indicator, period_end=date(2026, 10, 31), value=80)
    Milestone.objects.create(task=item, title="完成系统上线", due_date=date(2026, 9, 30))
    Measure.objects.create(task=item, text="梳理高频事项清单", order=1)
    EvaluationCriterion.objects.create(task=item, name="按期完成率", weight=40)
    Policy.objects.create(title="关于深化数字政府建设的实施意见", doc_number="市政发〔2026〕12号").tasks.add(major, sub)
    services.task_assign(actor=office_user, task=item)
    services.instruction_issue(
        actor=leader_user, task=item, text="请加快推进", due_date=date.today() + timedelta(days=7)
    )
    services.notice_issue(actor=office_user, task=item, level=Notice.Level.URGE, reason="进度滞后，请加快推进")
    return {"major": major, "sub": sub, "item": item, "indicator": indicator}


@pytest.fixture
def office_client(client, office_user):
    client.force_login(office_user)
    return client


ADMIN_MODELS = [
    ("tasks_app", "task", "任务"),
    ("orgs", "orgunit", "责任单位"),
    ("tasks_app", "domain", "改革领域"),
    ("tasks_app", "policy", "政策"),
    ("tasks_app", "milestone", "里程碑"),
    ("tasks_app", "instruction", "领导批示"),
    ("tasks_app", "notice", "督办通知"),
    ("tasks_app", "feedback", "进度反馈"),
    ("tasks_app", "attachment", "附件"),
    ("tasks_app", "problemreport", "问题反馈"),
    ("tasks_app", "correctionorder", "整改通知"),
    ("tasks_app", "extensionrequest", "延期申请"),
    ("tasks_app", "evaluation", "评价"),
    ("trail", "traceentry", "留痕记录"),
    ("trail", "traceverification", "留痕核验记录"),
    ("indicators", "indicator", "指标"),
    ("indicators", "measurement", "指标实测值"),
]


def test_admin_index_lists_the_task_list_for_the_office(office_client):
    response = office_client.get(reverse("admin:index"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "数字化改革任务清单管理" in page
    for _app, _model, label in ADMIN_MODELS:
        assert label in page
    assert "留痕链头" not in page  # TraceHead is hidden


@pytest.mark.parametrize(("app", "model", "label"), ADMIN_MODELS)
def test_changelists_render_for_the_office(office_client, programme, app, model, label):
    response = office_client.get(reverse(f"admin:{app}_{model}_changelist"))
    assert response.status_code == 200
    assert label in response.content.decode()


@pytest.mark.parametrize(
    ("app", "model"),
    [
        ("tasks_app", "task"),
        ("orgs", "orgunit"),
        ("tasks_app", "policy"),
        ("tasks_app", "milestone"),
        ("tasks_app", "instruction"),
        ("tasks_app", "notice"),
        ("trail", "traceentry"),
        ("indicators", "indicator"),
        ("indicators", "measurement"),
    ],
)
def test_change_pages_render_for_the_office(office_client, programme, app, model):
    from django.apps import apps

    obj = apps.get_model(app, model).objects.order_by("pk").last()
    response = office_client.get(reverse(f"admin:{app}_{model}_change", args=[obj.pk]))
    assert response.status_code == 200


def test_task_changelist_shows_the_tree_in_order_with_chinese_labels(office_client, programme):
    page = office_client.get(reverse("admin:tasks_app_task_changelist")).content.decode()
    assert (
        page.index("数字政府建设")
        < page.index("\u3000└ 政务服务增值化改革")
        < page.index("\u3000\u3000└ 推进高频事项掌上办")
    )
    for label in ("编号", "任务名称", "牵头单位", "红黄绿灯", "已交办", "草稿"):
        assert label in page


def test_task_list_filters_and_search(office_client, programme, jxj):
    url = reverse("admin:tasks_app_task_changelist")
    by_unit = office_client.get(url, {"lead_unit__id__exact": jxj.pk}).content.decode()
    assert "推进高频事项掌上办" in by_unit and "数字政府建设" not in by_unit
    by_code = office_client.get(url, {"q": "1.1"}).content.decode()
    assert "政务服务增值化改革" in by_code and "数字政府建设" not in by_code
    by_status = office_client.get(url, {"status__exact": "assigned"}).content.decode()
    assert "推进高频事项掌上办" in by_status and "政务服务增值化改革" not in by_status
    domain = Domain.objects.get(code="digital_gov")
    assert office_client.get(url, {"domain__id__exact": domain.pk}).status_code == 200
    assert office_client.get(url, {"rag__exact": "green"}).status_code == 200


def test_task_change_page_has_inlines_and_read_only_state(office_client, programme):
    item = programme["item"]
    page = office_client.get(reverse("admin:tasks_app_task_change", args=[item.pk])).content.decode()
    for text in ("掌上可办事项比例", "完成系统上线", "梳理高频事项清单", "按期完成率", "配合单位"):
        assert text in page
    assert 'name="status"' not in page and 'name="rag"' not in page and 'name="code"' not in page
    assert "办理状态（由流程维护，只读）" in page


def _task_form(**overrides):
    data = {
        "title": "新建任务",
        "description": "",
        "domain": "",
        "lead_unit": "",
        "owner_name": "",
        "owner": "",
        "start_date": "",
        "deadline": "",
        "weight": "1",
    }
    for prefix in ("indicators", "milestones", "measures", "criteria"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    "url",
    [
        "admin:tasks_app_task_add",
        "admin:orgs_orgunit_add",
        "admin:tasks_app_policy_add",
        "admin:tasks_app_milestone_add",
        "admin:indicators_indicator_add",
    ],
)
def test_add_pages_render_for_the_office(office_client, programme, url):
    response = office_client.get(reverse(url))
    assert response.status_code == 200
    if url == "admin:tasks_app_task_add":
        page = response.content.decode()
        assert "以点分隔的编号，如 2.3.1" in page and "下级任务可留空，沿用上级任务的领域" in page


def test_creating_a_task_in_admin_goes_through_the_service(office_client, programme, dsj, jxj, office_user):
    response = office_client.post(
        reverse("admin:tasks_app_task_add"),
        _task_form(
            code=" 1.1.2 ",
            title="推进“一件事”集成改革",
            lead_unit=dsj.pk,
            cooperating_units=[jxj.pk],
            deadline="2026-12-31",
            **{
                "measures-TOTAL_FORMS": "1",
                "measures-0-text": "梳理“一件事”清单",
                "measures-0-order": "1",
            },
        ),
    )
    assert response.status_code == 302, response.content.decode()
    task = Task.objects.get(code="1.1.2")
    assert (task.parent.code, task.depth, task.sort_key, task.is_leaf) == ("1.1", 3, "00001/000001.000001.000002", True)
    assert task.domain.name == "数字政府"  # inherited from the parent
    assert list(task.cooperating_units.all()) == [jxj]
    assert list(task.measures.values_list("text", flat=True)) == ["梳理“一件事”清单"]
    entry = TraceEntry.objects.get(task=task, action="task.create")
    assert entry.actor_id == office_user.pk


def test_admin_refuses_a_task_without_a_parent_with_a_readable_message(office_client, programme, dsj):
    response = office_client.post(
        reverse("admin:tasks_app_task_add"), _task_form(code="7.1", lead_unit=dsj.pk, deadline="2026-12-31")
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "上级任务“7”不存在" in page
    assert not Task.objects.filter(code="7.1").exists()


def test_admin_refuses_a_deadline_before_the_start(office_client, programme, dsj):
    domain = Domain.objects.get(code="digital_economy")
    response = office_client.post(
        reverse("admin:tasks_app_task_add"),
        _task_form(code="8", domain=domain.pk, lead_unit=dsj.pk, start_date="2026-06-01", deadline="2026-03-01"),
    )
    assert "完成时限（2026-03-01）不能早于开始日期（2026-06-01）" in response.content.decode()
    assert not Task.objects.filter(code="8").exists()


def test_editing_a_task_in_admin_is_traced_by_the_service(office_client, programme, dsj, office_user):
    sub = programme["sub"]
    data = _task_form(
        title="政务服务增值化改革（调整）",
        domain=sub.domain_id,
        lead_unit=dsj.pk,
        deadline="2027-03-31",
        weight="2",
        is_service="on",
    )
    response = office_client.post(reverse("admin:tasks_app_task_change", args=[sub.pk]), data)
    assert response.status_code == 302, response.content.decode()
    sub.refresh_from_db()
    assert (sub.title, sub.deadline, sub.weight, sub.is_service) == (
        "政务服务增值化改革（调整）",
        date(2027, 3, 31),
        Decimal(2),
        True,
    )
    assert list(sub.cooperating_units.all()) == []
    entry = TraceEntry.objects.filter(task=sub, action="task.update").get()
    assert entry.actor_id == office_user.pk
    assert entry.payload["changes"]["title"] == ["政务服务增值化改革", "政务服务增值化改革（调整）"]
    assert entry.payload["changes"]["cooperating_units"] == [["市经信局"], []]


def test_deleting_in_admin_goes_through_the_service(office_client, dsj, office_user):
    # a drafted task without history may be deleted, and the deletion is traced
    draft = make_task("2", lead_unit=dsj)
    response = office_client.post(reverse("admin:tasks_app_task_delete", args=[draft.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Task.objects.filter(code="2").exists()
    assert TraceEntry.objects.filter(action="task.delete", payload__code="2").exists()
    # an assigned task may not: the service's refusal is shown, nothing is deleted
    assigned = make_task("3", lead_unit=dsj)
    services.task_assign(actor=office_user, task=assigned)
    response = office_client.post(
        reverse("admin:tasks_app_task_delete", args=[assigned.pk]), {"post": "yes"}, follow=True
    )
    assert "任务“3”不能删除：已有已进入办理流程" in response.content.decode()
    assert Task.objects.filter(code="3").exists()


def test_creating_a_unit_sets_its_path(office_client, city):
    response = office_client.post(
        reverse("admin:orgs_orgunit_add"),
        {"name": "市数据资源中心", "short_code": "SJZX", "level": "city", "parent": city.pk},
    )
    assert response.status_code == 302, response.content.decode()
    unit = OrgUnit.objects.get(name="市数据资源中心")
    assert unit.path == f"{city.path}{unit.pk}/" and unit.depth == 1


def test_trace_is_read_only_for_everyone(client, office_client, programme, django_user_model):
    entry = TraceEntry.objects.filter(action="task.create").order_by("seq").first()
    change = reverse("admin:trail_traceentry_change", args=[entry.pk])
    page = office_client.get(change).content.decode()
    assert "创建任务" in page and entry.hash in page
    assert 'name="_save"' not in page
    assert office_client.post(change, {"action": "task.delete"}).status_code == 403
    assert office_client.get(reverse("admin:trail_traceentry_add")).status_code == 403
    assert (
        office_client.post(reverse("admin:trail_traceentry_delete", args=[entry.pk]), {"post": "yes"}).status_code
        == 403
    )
    # not even a superuser
    root = django_user_model.objects.create_superuser("root", "root@example.com", "pw-Strong-2026!")
    client.force_login(root)
    assert client.get(reverse("admin:trail_traceentry_add")).status_code == 403
    assert client.post(change, {"action": "x"}).status_code == 403
    assert client.post(reverse("admin:trail_traceentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    entry.refresh_from_db()
    assert entry.action == "task.create"
    from trail.admin import TraceEntryAdmin

    model_admin = TraceEntryAdmin(TraceEntry, None)

    class Request:
        user = root

    assert not model_admin.has_add_permission(Request())
    assert not model_admin.has_change_permission(Request(), entry)
    assert not model_admin.has_delete_permission(Request(), entry)


def test_auditor_and_leader_read_but_do_not_edit(client, programme, auditor_user, leader_user):
    for user in (auditor_user, leader_user):
        client.force_login(user)
        assert client.get(reverse("admin:tasks_app_task_changelist")).status_code == 200
        assert client.get(reverse("admin:tasks_app_task_add")).status_code == 403
        item = programme["item"]
        page = client.get(reverse("admin:tasks_app_task_change", args=[item.pk])).content.decode()
        assert 'name="title"' not in page


def test_unit_users_have_no_admin(client, programme, dsj_handler, dsj_admin):
    for user in (dsj_handler, dsj_admin):
        client.force_login(user)
        response = client.get(reverse("admin:tasks_app_task_changelist"))
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_supervision_objects_cannot_be_added_or_edited(office_client, programme):
    notice = Notice.objects.get()
    assert office_client.get(reverse("admin:tasks_app_notice_add")).status_code == 403
    change = reverse("admin:tasks_app_notice_change", args=[notice.pk])
    assert office_client.post(change, {"reason": "改"}).status_code == 403
    notice.refresh_from_db()
    assert notice.reason == "进度滞后，请加快推进"


@pytest.mark.parametrize("size", [10, 100])
def test_task_changelist_queries_stay_constant(office_client, dsj, size, django_assert_max_num_queries):
    make_task("1", lead_unit=dsj)
    for n in range(1, size):
        make_task(f"1.{n}", lead_unit=dsj)
    with django_assert_max_num_queries(16):
        assert office_client.get(reverse("admin:tasks_app_task_changelist")).status_code == 200


def test_a_unit_admin_role_user_does_not_see_admin_models(client, dsj):
    user = make_user(Role.UNIT_ADMIN, unit=dsj, username="someone", is_staff=True)
    client.force_login(user)
    page = client.get(reverse("admin:index")).content.decode()
    assert "任务清单与督办数据" in page and "留痕记录" not in page
