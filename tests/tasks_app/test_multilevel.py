"""Several levels of offices: scoped roles, return and re-assign, unit sign-off, cooperating shares,
notifications to the units an event concerns, and 督办 addressed to the 分管领导."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from indicators.rag import refresh_lights
from reform.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from rhythm.services import leader_recipients
from tasks_app import access, services
from tasks_app.models import Notice, Notification, Task, TaskShare
from tasks_app.notify import relay_trace
from tasks_app.selectors.work_queue import work_queue
from tasks_app.workflow import Status
from tests.factories import Role, make_task, make_unit, make_user
from trail.models import TraceEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def dcq(city):
    return make_unit("东城区", parent=city, level="county")


@pytest.fixture
def dcq_dh(dcq):
    return make_unit("东华街道", parent=dcq, level="street")


@pytest.fixture
def dcq_office(dcq):
    return make_user(Role.OFFICE, unit=dcq, scope=dcq, username="dcq_office")


@pytest.fixture
def dcq_leader(dcq):
    return make_user(Role.LEADER, unit=dcq, scope=dcq, username="dcq_leader")


@pytest.fixture
def dh_handler(dcq_dh):
    return make_user(Role.UNIT_HANDLER, unit=dcq_dh, username="dh_handler")


@pytest.fixture
def dh_admin(dcq_dh):
    return make_user(Role.UNIT_ADMIN, unit=dcq_dh, username="dh_admin")


def notified(user) -> list[str]:
    relay_trace()
    return list(Notification.objects.filter(recipient=user).order_by("pk").values_list("kind", flat=True))


# --- Scoped roles ---------------------------------------------------------------------------------


def test_a_district_office_sees_its_district_and_nothing_else(dcq_office, dcq_dh, dsj, jxj, office_user):
    street_item = make_task("1", lead_unit=dcq_dh)
    city_item = make_task("2", lead_unit=dsj)
    shared = make_task("3", lead_unit=jxj, cooperating_units=(dcq_dh,))
    assert set(access.visible_tasks(dcq_office)) == {street_item, shared}
    assert access.visible_tasks(office_user).count() == 3
    with pytest.raises(NotFound):
        access.access_task(dcq_office, city_item.pk)
    with pytest.raises(NotFound):
        services.task_assign(actor=dcq_office, task=city_item)
    assert dcq_office.role_label == "东城区督查室"


def test_a_district_office_supervises_only_what_its_district_leads(dcq_office, dcq_dh, jxj):
    own = make_task("1", lead_unit=dcq_dh)
    cooperating_only = make_task("2", lead_unit=jxj, cooperating_units=(dcq_dh,))
    services.task_assign(actor=dcq_office, task=own)
    with pytest.raises(PermissionDenied, match="不在您的督办范围内"):
        services.task_assign(actor=dcq_office, task=cooperating_only)
    assert Task.objects.get(pk=cooperating_only.pk).status == Status.DRAFT
    with pytest.raises(ValidationError, match="不在您的管辖范围内"):
        services.task_create(actor=dcq_office, code="9", title="越级任务", domain=own.domain, lead_unit=jxj)
    assert not Task.objects.filter(code="9").exists()


def test_a_district_leader_who_is_the_leader_in_charge_of_a_city_task_sees_and_instructs_it(
    dcq_leader, dsj, leader_user
):
    city_item = make_task("1", lead_unit=dsj)
    with pytest.raises(NotFound):
        access.access_task(dcq_leader, city_item.pk)
    services.task_update(actor=make_user(Role.OFFICE), task=city_item, leader_in_charge=dcq_leader)
    assert access.access_task(dcq_leader, city_item.pk) == city_item
    services.instruction_issue(
        actor=dcq_leader, task=city_item, text="本月底前完成", due_date=timezone.localdate() + timedelta(days=5)
    )
    with pytest.raises(ValidationError, match="分管领导须是在用的领导账号"):
        services.task_update(actor=make_user(Role.OFFICE), task=city_item, leader_in_charge=make_user(Role.UNIT_ADMIN))


# --- Return and re-assign -----------------------------------------------------------------------


def test_return_within_the_period_then_reassign_to_another_unit(office_user, dsj, jxj, dsj_handler, jxj_handler):
    task = make_task("1", lead_unit=dsj)
    services.task_assign(actor=office_user, task=task)
    services.task_decline(actor=dsj_handler, task=task, reason="属于经信局职责")
    task.refresh_from_db()
    assert task.status == Status.RETURNED
    assert "task.decline" in notified(office_user)
    services.task_reassign(actor=office_user, task=task, lead_unit=jxj, comment="改由经信局牵头")
    task.refresh_from_db()
    assert (task.status, task.lead_unit) == (Status.ASSIGNED, jxj)
    assert "task.reassign" in notified(jxj_handler)
    actions = list(TraceEntry.objects.filter(task=task).order_by("seq").values_list("action", flat=True))
    assert actions[-3:] == ["task.assign", "task.decline", "task.reassign"]
    with pytest.raises(NotFound):  # the returning unit no longer sees it
        access.access_task(dsj_handler, task.pk)


def test_the_office_may_insist_on_the_same_unit(office_user, dsj, dsj_handler):
    task = make_task("1", lead_unit=dsj)
    services.task_assign(actor=office_user, task=task)
    services.task_decline(actor=dsj_handler, task=task, reason="不属于本单位")
    services.task_reassign(actor=office_user, task=task, comment="经研究仍由大数据局牵头")
    task.refresh_from_db()
    assert (task.status, task.lead_unit) == (Status.ASSIGNED, dsj)
    assert TraceEntry.objects.get(task=task, action="task.reassign").payload["comment"] == "经研究仍由大数据局牵头"


def test_return_after_the_period_is_refused_and_nothing_changes(office_user, dsj, dsj_handler, settings):
    settings.TASK_RETURN_WORKING_DAYS = 3
    task = make_task("1", lead_unit=dsj)
    services.task_assign(actor=office_user, task=task)
    Task.objects.filter(pk=task.pk).update(assigned_at=timezone.now() - timedelta(days=14))
    with pytest.raises(InvalidTransition, match="已超过退回期限"):
        services.task_decline(actor=dsj_handler, task=task, reason="不属于本单位")
    assert Task.objects.get(pk=task.pk).status == Status.ASSIGNED
    assert not TraceEntry.objects.filter(task=task, action="task.decline").exists()


def test_reassigning_an_accepted_task_is_a_conflict(office_user, dsj, jxj, dsj_handler):
    task = make_task("1", lead_unit=dsj)
    services.task_assign(actor=office_user, task=task)
    services.task_accept(actor=dsj_handler, task=task)
    with pytest.raises(InvalidTransition):
        services.task_reassign(actor=office_user, task=task, lead_unit=jxj)
    assert Task.objects.get(pk=task.pk).lead_unit == dsj


def test_a_district_office_cannot_reassign_outside_its_district(dcq_office, dcq_dh, dh_handler, jxj):
    task = make_task("1", lead_unit=dcq_dh)
    services.task_assign(actor=dcq_office, task=task)
    services.task_decline(actor=dh_handler, task=task, reason="不属于本街道")
    with pytest.raises(ValidationError):
        services.task_reassign(actor=dcq_office, task=task, lead_unit=jxj)
    assert Task.objects.get(pk=task.pk).status == Status.RETURNED


# --- Unit-internal sign-off ---------------------------------------------------------------------


def test_a_handlers_completion_waits_for_the_unit_head(office_user, dsj, dsj_handler, dsj_admin):
    task = make_task("1", lead_unit=dsj)
    services.task_assign(actor=office_user, task=task)
    services.task_accept(actor=dsj_handler, task=task)
    services.task_submit_completion(actor=dsj_handler, task=task, summary="已建成")
    task.refresh_from_db()
    assert task.status == Status.UNIT_REVIEW
    assert "task.submit_for_signoff" in notified(dsj_admin)
    assert "task.submit_completion" not in notified(office_user)
    with pytest.raises(PermissionDenied, match="单位负责人"):
        services.task_unit_signoff(actor=dsj_handler, task=task, approve=True)
    with pytest.raises(ValidationError):
        services.task_unit_signoff(actor=dsj_admin, task=task, approve=False, comment="  ")
    services.task_unit_signoff(actor=dsj_admin, task=task, approve=False, comment="佐证材料不全")
    assert Task.objects.get(pk=task.pk).status == Status.IN_PROGRESS
    services.task_submit_completion(actor=dsj_handler, task=task, summary="已补齐材料")
    services.task_unit_signoff(actor=dsj_admin, task=task, approve=True)
    assert Task.objects.get(pk=task.pk).status == Status.UNDER_REVIEW
    timeline = list(TraceEntry.objects.filter(task=task).order_by("seq").values_list("action", flat=True))
    assert timeline.count("task.signoff") + timeline.count("task.signoff_return") == 2


def test_a_unit_heads_own_report_goes_straight_to_the_office(office_user, dsj, dsj_admin):
    task = make_task("1", lead_unit=dsj)
    services.task_assign(actor=office_user, task=task)
    services.task_accept(actor=dsj_admin, task=task)
    services.task_submit_completion(actor=dsj_admin, task=task, summary="已建成")
    assert Task.objects.get(pk=task.pk).status == Status.UNDER_REVIEW


# --- Cooperating units' shares ---------------------------------------------------------------------


@pytest.fixture
def shared_task(office_user, dsj, jxj, dsj_admin, dsj_handler):
    task = make_task("1", lead_unit=dsj, cooperating_units=(jxj,))
    services.task_assign(actor=office_user, task=task)
    services.task_accept(actor=dsj_handler, task=task)
    return task


def test_the_lead_unit_sets_a_share_and_the_cooperating_unit_hears_of_it(shared_task, jxj, dsj_admin, jxj_handler):
    share = services.share_set(
        actor=dsj_admin,
        task=shared_task,
        unit=jxj,
        work="提供企业数据接口",
        deadline=timezone.localdate() + timedelta(7),
    )
    assert share.state == TaskShare.State.OPEN
    assert notified(jxj_handler).count("share.set") == 1
    services.share_report(actor=jxj_handler, share=share, text="接口已完成联调", done=True)
    share.refresh_from_db()
    assert share.state == TaskShare.State.DONE and share.done_note == "接口已完成联调"
    assert "share.complete" in notified(dsj_admin)
    services.share_reopen(actor=dsj_admin, share=share, reason="接口文档缺失")
    assert TaskShare.objects.get(pk=share.pk).state == TaskShare.State.OPEN
    assert notified(jxj_handler).count("share.reopen") == 1


def test_share_input_is_checked(shared_task, dsj, dsj_admin, dsj_handler, jxj_handler, city):
    stranger = make_unit("市民政局", parent=city)
    with pytest.raises(ValidationError, match="不是该任务的配合单位"):
        services.share_set(actor=dsj_admin, task=shared_task, unit=stranger, work="协助")
    with pytest.raises(ValidationError, match="不能晚于任务的完成时限"):
        services.share_set(
            actor=dsj_admin,
            task=shared_task,
            unit=shared_task.cooperating_units.get(),
            work="协助",
            deadline=shared_task.deadline + timedelta(days=1),
        )
    with pytest.raises(ValidationError, match="分工内容"):
        services.share_set(actor=dsj_admin, task=shared_task, unit=shared_task.cooperating_units.get(), work=" ")
    with pytest.raises(PermissionDenied):  # the cooperating unit does not set its own share
        services.share_set(actor=jxj_handler, task=shared_task, unit=shared_task.cooperating_units.get(), work="协助")
    assert not TaskShare.objects.exists()


def test_only_the_shares_unit_reports_on_it(shared_task, jxj, dsj_admin, dsj_handler):
    share = services.share_set(actor=dsj_admin, task=shared_task, unit=jxj, work="提供数据")
    with pytest.raises(PermissionDenied, match="承担该分工的配合单位"):
        services.share_report(actor=dsj_handler, share=share, text="已完成", done=True)
    assert TaskShare.objects.get(pk=share.pk).state == TaskShare.State.OPEN


def test_an_overdue_share_turns_the_item_red_naming_the_unit(shared_task, jxj, dsj_admin, jxj_handler):
    share = services.share_set(actor=dsj_admin, task=shared_task, unit=jxj, work="提供企业数据接口")
    TaskShare.objects.filter(pk=share.pk).update(deadline=timezone.localdate() - timedelta(days=3))
    refresh_lights([shared_task.pk])
    shared_task.refresh_from_db()
    assert shared_task.rag == "red"
    assert shared_task.rag_reason.startswith("配合单位市经信局分工逾期 3 天")
    assert shared_task.rag_rules[0]["rule"] == "share_overdue"
    services.share_report(actor=jxj_handler, share=share, text="已提供", done=True)
    shared_task.refresh_from_db()
    assert shared_task.rag != "red"


# --- Notifications reach the units they concern ------------------------------------------------------


def test_an_instruction_aimed_at_a_cooperating_unit_notifies_that_unit(
    shared_task, jxj, leader_user, jxj_handler, dsj_handler
):
    services.instruction_issue(
        actor=leader_user,
        task=shared_task,
        text="请经信局牵头梳理企业需求",
        due_date=timezone.localdate() + timedelta(days=5),
        target_units=[jxj],
    )
    assert notified(jxj_handler).count("instruction.issue") == 1
    assert "instruction.issue" not in notified(dsj_handler)


def test_assignment_tells_the_cooperating_units_too(office_user, dsj, jxj, jxj_handler):
    task = make_task("1", lead_unit=dsj, cooperating_units=(jxj,))
    services.task_assign(actor=office_user, task=task)
    assert "task.assign" in notified(jxj_handler)


# --- 督办 goes to the 分管领导 ---------------------------------------------------------------------------


def test_escalation_is_addressed_to_the_leader_in_charge(office_user, leader_user, dsj, dsj_admin, city):
    in_charge = make_user(Role.LEADER, unit=city, username="fenguan")
    task = make_task("1", lead_unit=dsj)
    services.task_update(actor=office_user, task=task, leader_in_charge=in_charge)
    services.task_assign(actor=office_user, task=task)
    notice = services.notice_issue(actor=office_user, task=task, level=Notice.Level.SUPERVISE, reason="进度滞后")
    assert set(leader_recipients(notice)) == {in_charge, dsj_admin}
    child = make_task("1.1", lead_unit=dsj)  # an item without its own 分管领导 inherits its parent's
    services.task_assign(actor=office_user, task=child)
    notice = services.notice_issue(actor=office_user, task=child, level=Notice.Level.SUPERVISE, reason="进度滞后")
    assert in_charge in leader_recipients(notice) and leader_user not in leader_recipients(notice)


def test_without_a_leader_in_charge_the_leaders_of_the_level_hear(
    office_user, leader_user, dcq_leader, dcq_dh, dcq_office
):
    street_item = make_task("1", lead_unit=dcq_dh)
    services.task_assign(actor=dcq_office, task=street_item)
    notice = services.notice_issue(actor=dcq_office, task=street_item, level=Notice.Level.SUPERVISE, reason="滞后")
    assert dcq_leader in leader_recipients(notice) and leader_user not in leader_recipients(notice)


# --- Hand-down across two levels -----------------------------------------------------------------


@pytest.fixture
def dcq_admin(dcq):
    return make_user(Role.UNIT_ADMIN, unit=dcq, username="dcq_admin")


@pytest.fixture
def dcq_dhu(dcq):
    return make_unit("东湖街道", parent=dcq, level="street")


def test_hand_down_across_two_levels_rolls_up_progress_and_lights(
    office_user, dcq, dcq_dh, dcq_dhu, dcq_admin, dh_admin, dh_handler, dcq_office
):
    community = make_unit("东华社区", parent=dcq_dh, level="community")
    city_item = make_task("1", lead_unit=dcq, deadline=timezone.localdate() + timedelta(days=40))
    services.task_assign(actor=office_user, task=city_item)
    services.task_accept(actor=dcq_admin, task=city_item)
    east, lake = services.task_hand_down(
        actor=dcq_admin,
        task=city_item,
        parts=[
            services.Part(title="东华街道试点", lead_unit=dcq_dh),
            services.Part(title="东湖街道推广", lead_unit=dcq_dhu, deadline=timezone.localdate() + timedelta(days=20)),
        ],
    )
    assert (east.code, lake.code) == ("1.1", "1.2")
    assert (east.status, east.deadline, east.created_by) == (Status.ASSIGNED, city_item.deadline, dcq_admin)
    assert "task.hand_down" in notified(dh_handler)
    # The street splits its part again, for its community.
    services.task_accept(actor=dh_handler, task=east)
    (grand,) = services.task_hand_down(
        actor=dh_admin, task=east, parts=[services.Part(title="社区入户", lead_unit=community)]
    )
    assert grand.code == "1.1.1" and grand.depth == 3
    # The district office supervises the street items; the city office still sees everything.
    assert set(access.visible_tasks(dcq_office)) == {city_item, east, lake, grand}
    # Progress rolls up two levels: the community item at 100 makes the street's part 100, the item 50.
    Task.objects.filter(pk=grand.pk).update(progress=100)
    services.rollup_progress([Task.objects.get(pk=grand.pk)])
    assert Task.objects.get(pk=east.pk).progress == 100
    assert Task.objects.get(pk=city_item.pk).progress == 50
    # A red light two levels down shows on the city item, naming the worst item.
    Task.objects.filter(pk=lake.pk).update(
        start_date=timezone.localdate() - timedelta(days=30), deadline=timezone.localdate() - timedelta(days=2)
    )
    refresh_lights([lake.pk])
    city_item.refresh_from_db()
    assert city_item.rag == "red" and "1.2" in city_item.rag_reason and "东湖街道推广" in city_item.rag_reason
    # The parent cannot be reported done while a part is open, unless the unit says why (traced).
    with pytest.raises(ValidationError, match="下级事项尚未全部办结"):
        services.task_submit_completion(actor=dcq_admin, task=city_item, summary="已完成")
    services.task_submit_completion(
        actor=dcq_admin, task=city_item, summary="主体完成", open_children_reason="东湖街道推广为长期工作"
    )
    entry = TraceEntry.objects.filter(task=city_item, action="task.submit_completion").get()
    assert entry.payload["open_children_reason"] == "东湖街道推广为长期工作"


def test_hand_down_refuses_bad_parts_and_saves_nothing(office_user, dcq, dcq_dh, dcq_admin, dsj, dh_handler):
    item = make_task("1", lead_unit=dcq, deadline=timezone.localdate() + timedelta(days=30))
    services.task_assign(actor=office_user, task=item)
    with pytest.raises(InvalidTransition, match="签收后才能"):
        services.task_hand_down(actor=dcq_admin, task=item, parts=[services.Part(title="试点", lead_unit=dcq_dh)])
    services.task_accept(actor=dcq_admin, task=item)
    with pytest.raises(ValidationError) as caught:
        services.task_hand_down(
            actor=dcq_admin,
            task=item,
            parts=[
                services.Part(title="试点", lead_unit=dcq_dh),
                services.Part(title="越级", lead_unit=dsj),
                services.Part(title=" ", lead_unit=dcq),
                services.Part(title="过晚", lead_unit=dcq_dh, deadline=item.deadline + timedelta(days=1)),
            ],
        )
    message = caught.value.message
    assert "第 2 项：承办单位“市大数据局”不是“东城区”的下级单位" in message
    assert "第 3 项：请填写事项名称" in message and "第 4 项：完成时限不能晚于" in message
    assert not Task.objects.filter(parent=item).exists()
    assert Task.objects.get(pk=item.pk).is_leaf
    handler = make_user(Role.UNIT_HANDLER, unit=dcq)
    with pytest.raises(PermissionDenied, match="单位负责人"):  # a handler is not the unit's head
        services.task_hand_down(actor=handler, task=item, parts=[services.Part(title="试点", lead_unit=dcq_dh)])
    with pytest.raises(NotFound):  # a street below does not see the district's item
        services.task_hand_down(actor=dh_handler, task=item, parts=[services.Part(title="试点", lead_unit=dcq_dh)])


def test_a_district_office_desk_holds_only_its_districts_work(client, dcq_office, office_user, dcq_dh, dsj, dh_handler):
    street_item = make_task("1", lead_unit=dcq_dh)
    make_task("2", lead_unit=dsj)  # a city department's draft: the city office's, not the district's
    services.task_assign(actor=dcq_office, task=street_item)
    services.task_decline(actor=dh_handler, task=street_item, reason="不属于本街道")
    queue = work_queue(user=dcq_office)
    assert queue.counts["drafts"] == 0 and queue.counts["returned"] == 1
    assert [t.code for t in queue.returned] == ["1"]
    assert work_queue(user=office_user).counts["drafts"] == 1
    client.force_login(dcq_office)
    page = client.get("/office/").content.decode()
    assert "退回待改派" in page and "测试任务1" in page and "测试任务2" not in page
