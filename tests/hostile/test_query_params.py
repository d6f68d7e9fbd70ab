"""Odd query-string values answer 400 (API: the {code, message, fields} shape in Chinese) or are ignored by
a page — never a 500. ``²`` passes ``str.isdigit()`` but not ``int()``; year 1 breaks date arithmetic."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

ODD_VALUES = ["²", "٣", "-1", "0", "99999999999999999999999999", "1e3", " ", "%00", "0001-01-01", "2026-02-30"]
WEB_PAGES = ["/tasks/", "/notifications/", "/office/", "/reports/", "/accounts/users/"]
WEB_PARAMS = ["domain", "unit", "lead", "before", "after", "sort", "status", "notice_level", "deadline_after", "scope"]
API_URLS = ["/api/tasks/", "/api/notifications/", "/api/ranking/"]
API_PARAMS = [
    "domain",
    "unit",
    "status",
    "deadline_after",
    "deadline_before",
    "start",
    "end",
    "page",
    "cursor",
    "unread",
]


@pytest.mark.parametrize("value", ODD_VALUES)
@pytest.mark.parametrize("param", WEB_PARAMS)
def test_web_pages_never_fail_on_an_odd_parameter(browser_as, office_user, item, param, value):
    client = browser_as(office_user)
    for page in WEB_PAGES:
        response = client.get(page, {param: value})
        assert response.status_code < 500, (page, param, value, response.status_code)


@pytest.mark.parametrize("value", ODD_VALUES)
@pytest.mark.parametrize("param", API_PARAMS)
def test_api_answers_an_odd_parameter_in_its_error_shape(api, item, param, value):
    for url in API_URLS:
        response = api["office"].get(url, {param: value})
        assert response.status_code < 500, (url, param, value, response.status_code)
        if response.status_code == 400:
            body = response.json()
            assert set(body) == {"code", "message", "fields"}, body
            assert body["code"] == "invalid"
            assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"]), body


def test_ranking_from_year_one_is_a_400_naming_the_parameter(api):
    response = api["office"].get("/api/ranking/", {"start": "0001-01-01"})

    assert response.status_code == 400, response.content.decode()
    assert "start" in response.json()["fields"]


def test_a_superscript_digit_as_a_domain_id_is_a_400(api):
    response = api["office"].get("/api/tasks/", {"domain": "²"})

    assert response.status_code == 400
    assert response.json()["fields"] == {"domain": [response.json()["message"]]}


def test_notifications_page_with_a_superscript_cursor_shows_the_first_page(browser_as, office_user):
    assert browser_as(office_user).get("/notifications/", {"before": "²"}).status_code == 200


def test_indicator_values_keyed_by_a_superscript_digit_are_a_400(api, item):
    response = api["dsj_handler"].post(
        f"/api/tasks/{item.pk}/feedback/",
        {"text": "进展", "progress": 10, "indicator_values": {"²": 1}},
        format="json",
    )

    assert response.status_code == 400, response.content.decode()
    assert "indicator_values" in response.json()["fields"]


@pytest.mark.parametrize(("param", "value"), [("unit", "²"), ("refresh", "²"), ("period", "0001-01")])
def test_the_cockpit_page_answers_an_odd_parameter_without_a_500(browser_as, office_user, item, param, value):
    assert browser_as(office_user).get("/cockpit/", {param: value}).status_code < 500


@pytest.mark.parametrize(("param", "value"), [("unit", "²"), ("period", "0001-01"), ("period", "0001-01-t1")])
def test_the_cockpit_api_answers_an_odd_parameter_with_a_400(api, item, param, value):
    client = api["office"]
    client.raise_request_exception = False
    assert client.get("/api/cockpit/", {param: value}).status_code == 400


@pytest.mark.parametrize(
    ("who", "path", "body", "field"),
    [
        ("office", "transitions/request_correction/", {"requirement": "补充", "due_date": "0001-01-01"}, "due_date"),
        ("leader", "instructions/", {"text": "加快", "due_date": "0001-01-01"}, "due_date"),
        ("dsj_handler", "extensions/", {"requested_deadline": "0001-01-01", "reason": "延期"}, "requested_deadline"),
    ],
)
def test_api_dates_that_cannot_be_real_are_a_400_naming_the_field(api, item, who, path, body, field):
    response = api[who].post(f"/api/tasks/{item.pk}/{path}", body, format="json")

    assert response.status_code == 400, response.content.decode()
    assert field in response.json()["fields"]
