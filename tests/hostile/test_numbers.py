"""One check for every stored indicator value: a ten-day report, the API, the web form, an import and a
trajectory all refuse what the column cannot hold or what cannot be real, in Chinese, naming the field. A
value that an old version let into SQLite never takes a page down, and ``check_stored_values`` lists it."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from indicators import services as indicator_services
from indicators.models import Indicator, Measurement
from reform.errors import ValidationError
from reform.numbers import indicator_number

pytestmark = pytest.mark.django_db

HOSTILE = ["1e20", "99999999999999.98", "-1e13", "NaN", "Infinity", "-Infinity", "1e999999999"]


@pytest.fixture
def indicator(item):
    return Indicator.objects.create(task=item, name="数据归集率", unit="%", baseline_value=40, target_value=90)


@pytest.mark.parametrize("raw", ["1e20", "99999999999999.98", "-1e13", "NaN", "Infinity", "abc", "1001"])
def test_the_one_check_refuses_and_names_the_field(raw):
    with pytest.raises(ValidationError) as caught:
        indicator_number(raw, field="value", label="一网通办率", unit="%")

    assert "一网通办率" in caught.value.message
    assert caught.value.fields == {"value": [caught.value.message]}


def test_the_one_check_keeps_ordinary_values_and_rounds_to_four_places():
    assert indicator_number("72.5", field="v", label="x") == Decimal("72.5")
    assert indicator_number(Decimal("1.234567"), field="v", label="x") == Decimal("1.2346")
    assert indicator_number(999_999_999_999, field="v", label="x", unit="万次") == Decimal(999_999_999_999)
    with pytest.raises(ValidationError, match="不能为负数"):
        indicator_number(-3, field="v", label="开办用时", unit="天")


@pytest.mark.parametrize("raw", HOSTILE)
def test_a_ten_day_report_with_an_unstorable_value_is_a_400_and_saves_nothing(api, item, indicator, raw):
    response = api["dsj_handler"].post(
        f"/api/tasks/{item.pk}/feedback/",
        {"text": "进展", "progress": "60", "indicator_values": {str(indicator.pk): raw}},
        format="json",
    )

    assert response.status_code == 400, response.content.decode()
    body = response.json()
    assert f"indicator_{indicator.pk}" in body["fields"] or "indicator_values" in body["fields"], body
    assert not Measurement.stored.exists()
    assert api["office"].get(f"/api/tasks/{item.pk}/").status_code == 200


@pytest.mark.parametrize("raw", ["99999999999999.98", "1e13", "-99999999999999"])
def test_the_measurements_api_refuses_an_unstorable_value(api, indicator, raw):
    period = (timezone.localdate().replace(day=1) - timedelta(days=1)).isoformat()

    response = api["dsj_handler"].post(
        f"/api/indicators/{indicator.pk}/measurements/", {"period_end": period, "value": raw}, format="json"
    )

    assert response.status_code == 400, response.content.decode()
    assert "value" in response.json()["fields"]
    assert api["office"].get(f"/api/indicators/{indicator.pk}/measurements/").status_code == 200


def test_a_measurement_for_year_one_is_refused(api, indicator):
    response = api["dsj_handler"].post(
        f"/api/indicators/{indicator.pk}/measurements/", {"period_end": "0001-01-31", "value": 5}, format="json"
    )

    assert response.status_code == 400
    assert "period_end" in response.json()["fields"]


def test_a_ten_day_report_for_year_one_is_refused(api, item):
    response = api["dsj_handler"].post(
        f"/api/tasks/{item.pk}/feedback/", {"text": "进展", "progress": 5, "period_end": "0001-01-10"}, format="json"
    )

    assert response.status_code == 400
    assert "period_end" in response.json()["fields"]


def test_the_web_form_shows_the_range_next_to_the_field(browser_as, dsj_handler, item, indicator):
    client = browser_as(dsj_handler)
    period = timezone.localdate().isoformat()
    form = client.get(f"/tasks/{item.pk}/do/report_progress/")
    assert form.status_code == 200
    period = form.context["form"].fields["period_end"].initial

    response = client.post(
        f"/tasks/{item.pk}/do/report_progress/",
        {"text": "进展", "progress": "60", "period_end": period, f"indicator_{indicator.pk}": "5000"},
    )

    assert response.status_code == 400
    assert "-1000 到 1000" in response.content.decode()
    assert not Measurement.stored.exists()


def test_an_import_row_with_an_unstorable_value_names_its_row(office_user, indicator):
    period = (timezone.localdate().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    csv = f"任务编号,指标名称,期间,数值\n1.1,数据归集率,{period},1e20\n1.1,数据归集率,0001-01,5\n"

    report = indicator_services.measurements_import(actor=office_user, name="values.csv", content=csv.encode())

    problems = {(e["row"], e["column"]) for e in report["errors"]}
    assert problems == {(2, "数值"), (3, "期间")}, report["errors"]
    assert not Measurement.stored.exists()


def test_a_trajectory_point_out_of_range_is_refused(office_user, indicator):
    with pytest.raises(ValidationError) as caught:
        indicator_services.trajectory_set(actor=office_user, indicator=indicator, points={date(2026, 1, 31): "1e15"})

    assert "2026-01-31" in caught.value.fields


def poison(indicator: Indicator, value: str = "1e20") -> Measurement:
    """Store a value the way an old version did on SQLite (a float the column cannot read back)."""
    period = timezone.localdate().replace(day=1) - timedelta(days=1)
    measurement = Measurement.objects.create(indicator=indicator, period_end=period, value=Decimal(1))
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE indicators_measurement SET value = {value} WHERE id = %s", [measurement.pk])
    return measurement


@pytest.mark.skipif(connection.vendor != "sqlite", reason="only SQLite can hold a value outside numeric(18, 4)")
def test_a_poisoned_value_never_takes_a_page_down_and_is_reported(api, browser_as, office_user, item, indicator):
    poisoned = poison(indicator)
    client = browser_as(office_user)

    for url in (f"/api/indicators/{indicator.pk}/measurements/", f"/api/tasks/{item.pk}/", "/api/cockpit/"):
        assert api["office"].get(url).status_code == 200, url
    for url in (f"/tasks/{item.pk}/", "/cockpit/", "/tasks/"):
        assert client.get(url).status_code == 200, url

    out = io.StringIO()
    with pytest.raises(CommandError, match="1 个"):
        call_command("check_stored_values", stdout=out)
    assert f"#{poisoned.pk}" in out.getvalue() and "无法读取" in out.getvalue()

    # Re-reporting the period replaces it: the office can repair it in the app.
    response = api["dsj_handler"].post(
        f"/api/indicators/{indicator.pk}/measurements/",
        {"period_end": poisoned.period_end.isoformat(), "value": 61},
        format="json",
    )
    assert response.status_code == 200, response.content.decode()
    assert [m.value for m in Measurement.objects.filter(indicator=indicator)] == [Decimal(61)]
    call_command("check_stored_values", stdout=io.StringIO())


def test_check_stored_values_is_quiet_on_clean_data(indicator):
    out = io.StringIO()
    call_command("check_stored_values", stdout=out)
    assert "未发现" in out.getvalue()


def test_upload_of_an_unstorable_value_answers_400_with_its_row(api, indicator):
    period = (timezone.localdate().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    upload = SimpleUploadedFile("v.csv", f"任务编号,指标名称,期间,数值\n1.1,数据归集率,{period},1e20\n".encode())

    response = api["office"].post("/api/measurements/import/", {"file": upload}, format="multipart")

    assert response.status_code == 400
    assert json.loads(response.content)["report"]["errors"][0]["row"] == 2
