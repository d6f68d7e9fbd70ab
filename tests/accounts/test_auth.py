"""authenticate_or_lockout: the API token endpoint's password check under the login form's lockout."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client, RequestFactory
from rest_framework.request import Request

from accounts.auth import (
    AccountLockedOut,
    PasswordChangeRequired,
    authenticate_or_lockout,
    client_ip,
    lockout_response,
)
from accounts.middleware import SESSION_STARTED
from reform.errors import ValidationError
from tests.factories import Role, make_user
from trail.models import TraceEntry

pytestmark = pytest.mark.django_db
PASSWORD = "pw-Strong-2026!"
START = datetime(2026, 11, 23, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
LOCKED = "登录失败次数过多，该账号在此地址已被锁定 15 分钟（锁定期间再次尝试将重新计时），请稍后再试或联系单位管理员。"


def api_request(ip: str = "10.1.1.1"):
    """A DRF request as the token endpoint would receive it (through the session middleware)."""
    request = RequestFactory().post("/api/auth/token/", REMOTE_ADDR=ip)
    request.session = SessionStore()
    return Request(request)


@pytest.fixture
def api_user(dsj):
    return make_user(Role.UNIT_HANDLER, unit=dsj, username="api_user")


def test_right_credentials_return_the_user_and_trace_an_api_login(api_user):
    request = api_request()
    assert authenticate_or_lockout(request, "api_user", PASSWORD) == api_user
    api_user.refresh_from_db()
    assert api_user.last_login is not None
    entry = TraceEntry.objects.get(action="auth.login")
    assert entry.actor == api_user and entry.payload == {"username": "api_user", "ip": "10.1.1.1", "via": "api"}
    session = request._request.session
    assert SESSION_KEY not in session and SESSION_STARTED not in session  # a token, not a logged-in session


def test_wrong_password_is_a_chinese_validation_error_and_is_traced(api_user):
    with pytest.raises(ValidationError, match="^用户名或密码错误$"):
        authenticate_or_lockout(api_request(), "api_user", "wrong")
    entry = TraceEntry.objects.get(action="auth.login_failed")
    assert entry.payload == {"username": "api_user", "ip": "10.1.1.1"}


def test_five_failures_lock_the_api_too_then_the_cooloff_ends(api_user):
    with time_machine.travel(START, tick=False):
        for _ in range(4):
            with pytest.raises(ValidationError):
                authenticate_or_lockout(api_request(), "api_user", "wrong")
        with pytest.raises(AccountLockedOut) as fifth:
            authenticate_or_lockout(api_request(), "api_user", "wrong")
        assert fifth.value.message == LOCKED and fifth.value.http_status == 429
        with pytest.raises(AccountLockedOut):  # the right password does not help while locked
            authenticate_or_lockout(api_request(), "api_user", PASSWORD)
        # The web form shares the counter: the same user from the same address is locked there too.
        page = Client().post("/accounts/login/", {"username": "api_user", "password": PASSWORD}, REMOTE_ADDR="10.1.1.1")
        assert page.status_code == 429 and "锁定 15 分钟" in page.content.decode()
        # Another address is not locked.
        assert authenticate_or_lockout(api_request(ip="10.1.1.2"), "api_user", PASSWORD) == api_user
    with time_machine.travel(START + timedelta(minutes=15, seconds=1), tick=False):
        assert authenticate_or_lockout(api_request(), "api_user", PASSWORD) == api_user
    assert TraceEntry.objects.filter(action="auth.lockout").exists()


def test_inactive_account_is_refused_like_a_wrong_password(dsj):
    make_user(Role.UNIT_HANDLER, unit=dsj, username="left", is_active=False)
    with pytest.raises(ValidationError, match="^用户名或密码错误$"):
        authenticate_or_lockout(api_request(), "left", PASSWORD)


def test_a_one_time_password_opens_no_api_access(dsj):
    make_user(Role.UNIT_HANDLER, unit=dsj, username="fresh", must_change_password=True)
    with pytest.raises(PasswordChangeRequired) as err:
        authenticate_or_lockout(api_request(), "fresh", PASSWORD)
    assert err.value.http_status == 403 and err.value.message == "请先登录网页修改管理员设置的一次性密码"
    assert not TraceEntry.objects.filter(action="auth.login").exists()


def test_lockout_response_speaks_json_under_the_api_and_html_elsewhere():
    api = lockout_response(RequestFactory().post("/api/auth/token/"))
    assert api.status_code == 429 and api["Retry-After"] == "900"
    assert json.loads(api.content) == {"code": "locked_out", "message": LOCKED, "fields": {}}

    page = lockout_response(RequestFactory().post("/accounts/login/"))
    assert page.status_code == 429 and page["Content-Type"].startswith("text/html")
    assert "连续 5 次登录失败，该账号在此地址已被锁定 15 分钟" in page.content.decode()


def test_session_api_calls_with_a_one_time_password_are_refused(dsj):
    user = make_user(Role.UNIT_HANDLER, unit=dsj, username="fresh_api", must_change_password=True)
    client = Client()
    client.force_login(user)
    response = client.get("/api/tasks/")
    assert response.status_code == 403
    assert response.json() == {
        "code": "password_change_required",
        "message": "请先修改管理员设置的一次性密码",
        "fields": {},
    }


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "172.18.0.5"),  # no trusted proxy: the header is the client's own claim
        (1, "203.0.113.9", "203.0.113.9"),  # nginx overwrote it with the real peer
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # a client-sent entry to the left is ignored
        (2, "203.0.113.9, 10.0.0.2", "203.0.113.9"),  # two proxies: count from the right
        (1, "", "172.18.0.5"),
    ],
)
def test_client_ip_trusts_only_the_configured_proxies(settings, proxies, forwarded, expected):
    settings.AXES_IPWARE_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="172.18.0.5", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_behind_the_proxy_each_client_has_its_own_lockout(settings, api_user):
    settings.AXES_IPWARE_PROXY_COUNT = 1

    def login(client_address: str, password: str) -> int:
        return (
            Client()
            .post(
                "/accounts/login/",
                {"username": "api_user", "password": password},
                REMOTE_ADDR="172.18.0.5",  # every request arrives from the nginx container
                HTTP_X_FORWARDED_FOR=client_address,
            )
            .status_code
        )

    for _ in range(5):
        login("203.0.113.66", "wrong")
    assert login("203.0.113.66", PASSWORD) == 429
    assert login("198.51.100.7", PASSWORD) == 302  # the real user elsewhere is not locked out by the attacker
