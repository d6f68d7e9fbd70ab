"""The /reports/ page: request → queued → done, failure → retry, downloads only for those who may see them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reports import rendering, services
from reports.models import Report
from trail.models import TraceEntry

from .conftest import pdf_text

pytestmark = pytest.mark.django_db
PAGE = "/reports/"


def test_a_requested_report_is_queued_then_built_after_commit(
    client, office_user, programme, django_capture_on_commit_callbacks
):
    client.force_login(office_user)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(PAGE, {"kind": "bulletin", "scope": "programme", "period": "2026-11-3"})
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.status == Report.Status.QUEUED and report.issue_no == 1
    page = client.get(PAGE).content.decode()
    assert "排队中" in page and 'hx-trigger="every 3s"' in page  # the list refreshes itself while pending

    for callback in callbacks:
        callback()

    report.refresh_from_db()
    assert report.status == Report.Status.DONE and report.page_count >= 2
    page = client.get(PAGE).content.decode()
    assert "已完成" in page and reverse("reports:download", args=[report.pk]) in page
    assert 'hx-trigger="every 3s"' not in page
    assert TraceEntry.objects.filter(action="report.request", actor=office_user).count() == 1


def test_a_failed_build_shows_its_error_and_can_be_retried(
    client, office_user, programme, monkeypatch, django_capture_on_commit_callbacks
):
    real = rendering.render_pdf

    def broken(html):
        raise OSError("磁盘空间不足")

    monkeypatch.setattr("reports.services.render_pdf", broken)
    client.force_login(office_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(PAGE, {"kind": "monthly", "scope": "programme", "period": "2026-11"})
    report = Report.objects.get()
    assert report.status == Report.Status.FAILED
    assert report.error == "报告生成失败：OSError: 磁盘空间不足"
    page = client.get(PAGE).content.decode()
    assert "生成失败" in page and "磁盘空间不足" in page and reverse("reports:retry", args=[report.pk]) in page

    monkeypatch.setattr("reports.services.render_pdf", real)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:retry", args=[report.pk]))
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == Report.Status.DONE and report.error == "" and report.attempts == 2
    assert report.issue_no == 1  # the same issue, not a new one
    assert TraceEntry.objects.filter(action="report.retry").count() == 1

    response = client.post(reverse("reports:retry", args=[report.pk]), follow=True)
    assert "只有生成失败的报告可以重新生成（当前状态：已完成）" in response.content.decode()


def _done(kind="bulletin", scope="programme", period="2026-11-3") -> Report:
    report = services.queue_report(actor=None, kind=kind, scope=scope, period=period, schedule=False)
    return services.report_build(report.pk)


def test_downloads_are_checked(
    client, programme, dsj, office_user, leader_user, auditor_user, dsj_admin, dsj_handler, other_unit_admin
):
    programme_report = _done()
    unit_report = _done(scope=f"unit:{dsj.pk}")
    dossier = _done("dossier", scope="task:1.1")

    for user in (office_user, leader_user, auditor_user):
        client.force_login(user)
        response = client.get(reverse("reports:download", args=[programme_report.pk]))
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert "attachment" in response["Content-Disposition"]
        assert "数字化改革督查通报" in pdf_text(b"".join(response.streaming_content)).replace(" ", "")

    client.force_login(dsj_admin)  # a unit admin: its own subtree's reports only
    assert client.get(reverse("reports:download", args=[unit_report.pk])).status_code == 200
    assert client.get(reverse("reports:download", args=[dossier.pk])).status_code == 200
    assert client.get(reverse("reports:download", args=[programme_report.pk])).status_code == 404
    listed = client.get(PAGE).content.decode()
    assert unit_report.title in listed and programme_report.title not in listed

    client.force_login(other_unit_admin)  # a foreign unit
    for report in (unit_report, dossier, programme_report):
        assert client.get(reverse("reports:download", args=[report.pk])).status_code == 404
    assert client.get(reverse("reports:download", args=[999999])).status_code == 404

    client.force_login(dsj_handler)  # handlers have no reports at all
    assert client.get(PAGE).status_code == 404
    assert client.get(reverse("reports:download", args=[unit_report.pk])).status_code == 404

    client.logout()
    assert client.get(reverse("reports:download", args=[unit_report.pk])).status_code == 302  # to the login page


def test_unit_admins_request_only_their_own_subtree_and_auditors_only_read(
    client, programme, dsj, jxj, dsj_admin, auditor_user
):
    client.force_login(dsj_admin)
    response = client.post(PAGE, {"kind": "bulletin", "scope": "programme"})
    assert response.status_code == 403
    assert "单位管理员只能生成本单位及下属单位范围的报告" in response.content.decode()
    response = client.post(PAGE, {"kind": "bulletin", "scope": f"unit:{jxj.pk}"})
    assert "单位管理员只能生成本单位及下属单位范围的报告" in response.content.decode()
    assert client.post(PAGE, {"kind": "tenday", "scope": f"unit:{dsj.pk}"}).status_code == 302
    assert Report.objects.get().unit_path == dsj.path

    client.force_login(auditor_user)
    page = client.get(PAGE).content.decode()
    assert "生成报告" not in page
    response = client.post(PAGE, {"kind": "bulletin", "scope": "programme"})
    assert response.status_code == 403 and "您的角色无权生成报告" in response.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "bulletin", "scope": "programme", "period": "2026-13"}, "期间中的年份或月份无效"),
        ({"kind": "bulletin", "scope": "programme", "period": "下个月"}, "期间格式应为 2026-11（月）或 2026-11-2"),
        ({"kind": "tenday", "scope": "programme", "period": "2026-11"}, "旬报汇总须指定旬，例如 2026-11-2"),
        ({"kind": "monthly", "scope": "programme", "period": "2026-11-2"}, "月报须指定月份，例如 2026-11"),
        ({"kind": "bulletin", "scope": "programme", "period": "2027-01"}, "不能生成尚未开始的期间的报告"),
        ({"kind": "bulletin", "scope": "domain:nope"}, "没有代码为“nope”的改革领域"),
        ({"kind": "bulletin", "scope": "programme", "task": "9.9"}, "没有编号为“9.9”的任务"),
        ({"kind": "dossier", "scope": "programme"}, "任务档案须指定任务，例如 task:1.2"),
        ({"kind": "poster", "scope": "programme"}, "请选择报告类型"),
    ],
)
def test_bad_parameters_get_a_clear_error_and_nothing_is_saved(client, office_user, programme, data, message):
    client.force_login(office_user)
    response = client.post(PAGE, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Report.objects.exists()


def test_issue_numbers_run_per_kind_and_year(programme):
    numbers = [
        (r.kind, r.issue_no, r.doc_number)
        for r in (
            services.queue_report(actor=None, kind=kind, scope="programme", schedule=False)
            for kind in ("bulletin", "bulletin", "monthly", "bulletin")
        )
    ]
    assert numbers == [
        ("bulletin", 1, "数改督〔2026〕1号"),
        ("bulletin", 2, "数改督〔2026〕2号"),
        ("monthly", 1, "数改月〔2026〕1号"),
        ("bulletin", 3, "数改督〔2026〕3号"),
    ]


def test_a_build_that_is_done_or_running_is_left_alone(programme):
    report = _done()
    digest = report.sha256
    again = services.report_build(report.pk)
    assert again.status == Report.Status.DONE and again.sha256 == digest and again.attempts == 1
