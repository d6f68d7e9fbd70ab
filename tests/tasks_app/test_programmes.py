"""Several programmes: their own codes and domains, lists, import, cockpit and ranking per programme."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from reform.errors import PermissionDenied, ValidationError
from tasks_app import selectors, services
from tasks_app.models import Domain, Programme, Task
from tasks_app.selectors.programmes import default_programme, home_programme
from tasks_app.tasklist.importer import tasklist_import
from tests.factories import Role, make_task, make_unit, make_user
from tests.tasks_app.tasklist_helpers import upload, workbook_bytes

pytestmark = pytest.mark.django_db

HEADER = ["编号", "任务名称", "领域", "维度", "牵头单位", "配合单位", "责任人", "开始日期", "完成时限", "权重"]


@pytest.fixture
def dcq(city):
    return make_unit("东城区", parent=city, level="county")


@pytest.fixture
def street(dcq):
    return make_unit("东华街道", parent=dcq, level="street")


@pytest.fixture
def dcq_office(dcq):
    return make_user(Role.OFFICE, unit=dcq, scope=dcq, username="dcq_office")


@pytest.fixture
def annual(dcq_office, dcq):
    return services.programme_create(
        actor=dcq_office,
        name="东城区年度重点工作",
        year=2026,
        domains=[("jiceng", "基层智治"), ("minsheng", "民生服务")],
    )


def test_a_district_office_sets_up_its_own_programme_with_its_own_domains(annual, dcq, dcq_office):
    assert annual.owner == dcq and annual.kind == Programme.Kind.ANNUAL
    assert list(annual.domains.values_list("name", flat=True)) == ["基层智治", "民生服务"]
    assert home_programme(dcq_office) == annual
    assert home_programme(make_user(Role.OFFICE)) == default_programme()
    with pytest.raises(ValidationError, match="已存在"):
        services.programme_create(actor=dcq_office, name="东城区年度重点工作", domains=[("a", "甲")])
    with pytest.raises(ValidationError, match="管辖范围"):
        services.programme_create(actor=dcq_office, name="越级专项", domains=[("a", "甲")], owner=dcq.parent)
    with pytest.raises(ValidationError, match="不能重复"):
        services.programme_create(actor=dcq_office, name="重复领域", domains=[("a", "甲"), ("a", "乙")])


def test_codes_are_per_programme_and_trees_do_not_mix(annual, dcq_office, street, dsj, office_user):
    city_major = make_task("1", lead_unit=dsj)
    city_item = make_task("1.1", lead_unit=dsj)
    jiceng = annual.domains.get(code="jiceng")
    major = services.task_create(
        actor=dcq_office, programme=annual, code="1", title="基层治理", domain=jiceng, lead_unit=street
    )
    item = services.task_create(actor=dcq_office, programme=annual, code="1.1", title="网格", lead_unit=street)
    assert (item.parent, item.domain) == (major, jiceng)
    assert [t.code for t in selectors.task_subtree(major)] == ["1", "1.1"]
    assert list(selectors.task_ancestors(item)) == [major]
    assert city_item.parent == city_major
    Task.objects.filter(pk=item.pk).update(progress=80)
    services.rollup_progress([Task.objects.get(pk=item.pk)])
    assert Task.objects.get(pk=major.pk).progress == 80
    assert Task.objects.get(pk=city_major.pk).progress == 0  # the city's "1" is another task
    with pytest.raises(ValidationError, match="没有“数字政府”这个领域"):
        services.task_create(
            actor=office_user,
            programme=annual,
            code="2",
            title="跨专项领域",
            domain=Domain.objects.get(programme=default_programme(), code="digital_gov"),
            lead_unit=street,
        )


def test_lists_and_the_api_filter_by_programme(client, office_user, annual, dcq_office, street, dsj):
    make_task("1", lead_unit=dsj)
    services.task_create(
        actor=dcq_office, programme=annual, code="1", title="基层治理", domain=annual.domains.first(), lead_unit=street
    )
    client.force_login(office_user)
    both = client.get("/api/tasks/").json()["results"]
    assert sorted((t["programme"]["name"], t["code"]) for t in both) == [
        ("东城区年度重点工作", "1"),
        (default_programme().name, "1"),
    ]
    only = client.get("/api/tasks/", {"programme": annual.pk}).json()["results"]
    assert [(t["programme"]["id"], t["title"]) for t in only] == [(annual.pk, "基层治理")]
    programmes = {p["name"]: p for p in client.get("/api/programmes/").json()}
    assert programmes["东城区年度重点工作"]["tasks"] == 1
    assert [d["name"] for d in programmes["东城区年度重点工作"]["domains"]] == ["基层智治", "民生服务"]
    assert programmes[default_programme().name]["home"] is True
    unknown = client.get("/api/tasks/", {"programme": 99999})
    assert unknown.status_code == 400
    assert unknown.json()["fields"] == {"programme": ["专项不存在"]}


def test_import_goes_into_a_programme_and_a_district_stays_in_its_own(annual, dcq_office, street, dsj):
    make_task("1", lead_unit=dsj)  # the city's "1" does not block the district's "1"
    rows = [HEADER, ["1", "基层治理", "基层智治", "治理", "东华街道", "", "", "", "2026年底", 1]]
    report = tasklist_import(actor=dcq_office, file=upload(workbook_bytes({"任务清单": rows})), programme=annual)
    assert report.ok, report.errors
    assert Task.objects.get(programme=annual, code="1").lead_unit == street
    outside = [HEADER, ["2", "越级事项", "基层智治", "治理", "市大数据局", "", "", "", "2026年底", 1]]
    report = tasklist_import(actor=dcq_office, file=upload(workbook_bytes({"任务清单": outside})), programme=annual)
    assert not report.ok
    assert any("不在您的管辖范围" in e["message"] for e in report.errors)
    with pytest.raises(PermissionDenied, match="本级的专项"):
        tasklist_import(
            actor=dcq_office, file=upload(workbook_bytes({"任务清单": rows})), programme=default_programme()
        )


def test_the_cockpit_and_the_ranking_count_one_programme(client, annual, dcq_office, street, leader_user, dsj):
    city = make_task("1", lead_unit=dsj, deadline=timezone.localdate() + timedelta(days=30))
    city_item = make_task("1.1", lead_unit=dsj, deadline=timezone.localdate() + timedelta(days=30))
    district = services.task_create(
        actor=dcq_office, programme=annual, code="1", title="基层治理", domain=annual.domains.first(), lead_unit=street
    )
    assert city and city_item and district
    client.force_login(leader_user)
    city_view = client.get("/api/cockpit/", {"programme": default_programme().pk}).json()
    district_view = client.get("/api/cockpit/", {"programme": annual.pk}).json()
    assert city_view["headline"]["tasks"]["value"] == 2
    assert district_view["headline"]["tasks"]["value"] == 1
    assert f"programme={annual.pk}" in district_view["headline"]["tasks"]["url"]
    ranking = client.get("/api/ranking/", {"programme": annual.pk}).json()
    assert ranking["programme"]["name"] == "东城区年度重点工作"
