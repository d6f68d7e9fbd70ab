"""Bodies and paths that used to end in a 500 or an English HTML page: every answer under /api/ is JSON in the
API's {code, message, fields} shape, in Chinese, under the test and the production settings alike."""

from __future__ import annotations

import json

import pytest
from django.test import Client, override_settings

from reform import errors

pytestmark = pytest.mark.django_db


def chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def assert_api_error(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == {"code", "message", "fields"}, body
    assert chinese(body["message"]), body
    return body


def test_json_nested_a_hundred_thousand_deep_is_a_400(api, item):
    body = "[" * 100_000 + "]" * 100_000

    response = api["dsj_handler"].post(f"/api/tasks/{item.pk}/feedback/", body, content_type="application/json")

    assert "嵌套" in assert_api_error(response, 400)["message"]


def test_json_nested_past_the_limit_is_a_400(api, item, settings):
    settings.API_JSON_MAX_DEPTH = 5
    body = '{"text": "x", "progress": 1, "indicator_values": {"1": [[[[[1]]]]]}}'

    response = api["dsj_handler"].post(f"/api/tasks/{item.pk}/feedback/", body, content_type="application/json")

    assert "嵌套" in assert_api_error(response, 400)["message"]


def test_malformed_json_is_a_chinese_400(api, item):
    response = api["dsj_handler"].post(
        f"/api/tasks/{item.pk}/feedback/", '{"text": "x",', content_type="application/json"
    )

    assert "JSON" in assert_api_error(response, 400)["message"]


def test_a_six_megabyte_json_body_is_a_json_400(api, item):
    body = '{"text": "' + "x" * (6 * 2**20) + '", "progress": 1}'

    response = api["dsj_handler"].post(f"/api/tasks/{item.pk}/feedback/", body, content_type="application/json")

    assert "过大" in assert_api_error(response, 400)["message"]


def test_an_oversized_token_request_is_a_json_400():
    body = '{"username": "' + "x" * (6 * 2**20) + '", "password": "y"}'

    response = Client().post("/api/auth/token/", body, content_type="application/json")

    assert "过大" in assert_api_error(response, 400)["message"]


def test_an_unknown_api_path_is_json_404():
    assert_api_error(Client().get("/api/no-such-thing/"), 404)


def test_a_server_error_under_api_is_json_with_the_request_id(api, monkeypatch, item):
    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("tasks_app.api.views.unit_ranking", boom)
    client = api["office"]
    client.raise_request_exception = False

    response = client.get("/api/ranking/", headers={"X-Request-ID": "req-12345"})

    body = assert_api_error(response, 500)
    assert body["code"] == "server_error"
    assert "req-12345" in body["message"]
    assert "boom" not in body["message"]


def test_a_server_error_on_a_page_is_the_chinese_page(browser_as, office_user, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("tasks_app.views.inbox.notification_list", boom)

    response = browser_as(office_user).get("/notifications/")

    assert response.status_code == 500
    assert "服务器内部错误" in response.content.decode()


@override_settings(DEBUG=False)
def test_production_error_views_answer_json_under_api(rf):
    for view, status in ((errors.bad_request, 400), (errors.permission_denied, 403), (errors.page_not_found, 404)):
        response = view(rf.get("/api/tasks/"), Exception("x"))
        assert response.status_code == status
        assert chinese(json.loads(response.content)["message"])
    assert errors.server_error(rf.get("/api/tasks/")).status_code == 500
