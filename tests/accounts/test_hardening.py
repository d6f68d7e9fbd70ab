"""Login lockout, session timeouts, CSRF, CSP, first-login password change, and login tracing."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from tests.factories import Role, make_user
from trail.models import TraceEntry

pytestmark = pytest.mark.django_db
PASSWORD = "pw-Strong-2026!"
TZ = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parents[2]


def _login(client: Client, username: str, password: str, ip: str = "10.0.0.1"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_five_failures_lock_the_user_and_ip_for_fifteen_minutes(dsj):
    user = make_user(Role.UNIT_HANDLER, unit=dsj, username="victim")
    start = datetime(2026, 11, 23, 9, tzinfo=TZ)
    with time_machine.travel(start, tick=False):
        client = Client()
        for _ in range(4):
            assert _login(client, "victim", "wrong").status_code == 200  # the form again, with an error
        fifth = _login(client, "victim", "wrong")
        assert fifth.status_code == 429 and "登录失败次数过多" in fifth.content.decode()
        locked = _login(client, "victim", PASSWORD)  # even the right password is refused now
        assert locked.status_code == 429 and "锁定 15 分钟" in locked.content.decode()
        # Another address is not locked out for the same user.
        assert _login(Client(), "victim", PASSWORD, ip="10.0.0.2").status_code == 302
        # Another user from the locked address is not locked out either.
        make_user(Role.UNIT_HANDLER, unit=dsj, username="neighbour")
        assert _login(Client(), "neighbour", PASSWORD).status_code == 302
    with time_machine.travel(start + timedelta(minutes=15, seconds=1), tick=False):
        assert _login(Client(), "victim", PASSWORD).status_code == 302
    assert TraceEntry.objects.filter(action="auth.login_failed").count() >= 5
    assert TraceEntry.objects.filter(action="auth.lockout").exists()
    assert all("wrong" not in str(e.payload) for e in TraceEntry.objects.all())
    assert user.pk in set(TraceEntry.objects.filter(action="auth.login").values_list("actor_id", flat=True))


def test_trying_again_while_locked_restarts_the_fifteen_minutes(dsj):
    make_user(Role.UNIT_HANDLER, unit=dsj, username="impatient")
    start = datetime(2026, 11, 23, 9, tzinfo=TZ)
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            _login(Client(), "impatient", "wrong")
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        assert _login(Client(), "impatient", PASSWORD).status_code == 429
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        assert _login(Client(), "impatient", PASSWORD).status_code == 429  # 2 minutes after the retry
    with time_machine.travel(start + timedelta(minutes=31, seconds=1), tick=False):
        assert _login(Client(), "impatient", PASSWORD).status_code == 302


def test_successful_login_and_logout_are_traced(dsj):
    user = make_user(Role.UNIT_HANDLER, unit=dsj, username="h1")
    client = Client()
    assert _login(client, "h1", PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    assert list(TraceEntry.objects.filter(actor=user).values_list("action", flat=True)) == ["auth.login", "auth.logout"]


@pytest.mark.parametrize(("minutes", "still_in"), [(29, True), (31, False)])
def test_idle_timeout(dsj, minutes, still_in):
    make_user(Role.UNIT_HANDLER, unit=dsj, username="idle")
    start = datetime(2026, 11, 23, 9, tzinfo=TZ)
    client = Client()
    with time_machine.travel(start, tick=False):
        _login(client, "idle", PASSWORD)
        assert client.get("/tasks/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
        response = client.get("/tasks/")
    assert (response.status_code == 200) is still_in
    if not still_in:
        assert response.status_code == 302 and "expired=1" in response["Location"]
        logout = TraceEntry.objects.get(action="auth.logout")
        assert logout.payload["reason"] == "idle_timeout"


def test_expired_session_returns_to_the_same_page_after_login(dsj):
    make_user(Role.UNIT_HANDLER, unit=dsj, username="back")
    start = datetime(2026, 11, 23, 9, tzinfo=TZ)
    client = Client()
    with time_machine.travel(start, tick=False):
        _login(client, "back", PASSWORD)
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        response = client.get("/tasks/?status=in_progress&unit=3")
    assert response["Location"] == "/accounts/login/?next=%2Ftasks%2F%3Fstatus%3Din_progress%26unit%3D3&expired=1"


def test_background_polls_do_not_keep_an_idle_session_alive(dsj):
    make_user(Role.UNIT_HANDLER, unit=dsj, username="poll")
    start = datetime(2026, 11, 23, 9, tzinfo=TZ)
    client = Client()
    with time_machine.travel(start, tick=False):
        _login(client, "poll", PASSWORD)
        client.get("/tasks/")
    for minutes in (10, 20, 29):  # e.g. the cockpit's auto-refresh, with nobody at the keyboard
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get("/tasks/", headers={"X-Reform-Background": "1"}).status_code == 200
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        assert client.get("/tasks/", headers={"X-Reform-Background": "1"}).status_code == 302


def test_absolute_timeout_even_when_active(dsj):
    make_user(Role.UNIT_HANDLER, unit=dsj, username="busy")
    start = datetime(2026, 11, 23, 8, tzinfo=TZ)
    client = Client()
    with time_machine.travel(start, tick=False):
        _login(client, "busy", PASSWORD)
    for minutes in range(20, 12 * 60, 20):  # active every 20 minutes until 11:40 after login
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get("/tasks/").status_code == 200
    with time_machine.travel(start + timedelta(hours=12, minutes=5), tick=False):
        assert client.get("/tasks/").status_code == 302
    assert TraceEntry.objects.get(action="auth.logout").payload["reason"] == "absolute_timeout"


def test_timeouts_default_to_30_minutes_idle_and_12_hours_in_all():
    assert settings.SESSION_IDLE_TIMEOUT == 30 * 60 and settings.SESSION_ABSOLUTE_TIMEOUT == 12 * 60 * 60
    assert settings.SESSION_COOKIE_AGE <= settings.SESSION_ABSOLUTE_TIMEOUT


def test_session_cookie_flags(dsj):
    make_user(Role.UNIT_HANDLER, unit=dsj, username="cookie")
    response = _login(Client(), "cookie", PASSWORD)
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert response.cookies["csrftoken"]["samesite"] == "Lax"


def test_production_cookies_are_secure_and_https_is_enforced():
    probe = (
        "import json, django; from django.conf import settings as s; django.setup(); print(json.dumps(["
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE, "
        "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.DEBUG]))"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY", "DJANGO_SETTINGS_MODULE"}}
    env |= {
        "DJANGO_SETTINGS_MODULE": "reform.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "reform.example.gov.cn",
    }
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == [True, True, True, "Lax", True, 31_536_000, True, False]


def test_csrf_is_required_on_forms(dsj):
    make_user(Role.UNIT_HANDLER, unit=dsj, username="csrf")
    client = Client(enforce_csrf_checks=True)
    assert client.post("/accounts/login/", {"username": "csrf", "password": PASSWORD}).status_code == 403
    page = client.get("/accounts/login/")
    token = page.cookies["csrftoken"].value
    ok = client.post("/accounts/login/", {"username": "csrf", "password": PASSWORD, "csrfmiddlewaretoken": token})
    assert ok.status_code == 302
    assert client.post("/accounts/logout/").status_code == 403
    assert client.post("/accounts/password_change/", {"old_password": PASSWORD}).status_code == 403
    assert client.post("/i18n/setlang/", {"language": "en"}).status_code == 403


class _EchoView(APIView):
    """A stand-in write endpoint with the project's default DRF authentication (the real API comes later)."""

    def post(self, request):
        return Response({"ok": True})


urlpatterns = [path("api/echo/", _EchoView.as_view())]


@pytest.mark.urls(__name__)
def test_api_session_writes_need_the_csrf_token(dsj):
    user = make_user(Role.UNIT_HANDLER, unit=dsj, username="csrf_api")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    refused = client.post("/api/echo/", {}, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"

    token = "k" * 32  # what the page's csrftoken cookie carries; the SPA code sends it back in the header
    client.cookies["csrftoken"] = token
    accepted = client.post("/api/echo/", {}, content_type="application/json", headers={"X-CSRFToken": token})
    assert accepted.status_code == 200


def test_content_security_policy_forbids_inline_scripts(client):
    policy = client.get("/accounts/login/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'" and "unsafe-inline" not in policy
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"


INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"\b(?:href|src|action)\s*=\s*[\"']\s*javascript:", re.IGNORECASE)
REMOTE_ASSET = re.compile(
    r"(?:\b(?:src|href|srcset|action)\s*=\s*[\"']|url\(\s*[\"']?|@import\s+[\"'])\s*(?:https?:)?//", re.IGNORECASE
)


def template_offenders(text: str) -> list[str]:
    found = []
    for label, pattern in (
        ("inline <script>", INLINE_SCRIPT),
        ("style attribute", STYLE_ATTRIBUTE),
        ("inline event handler", EVENT_HANDLER),
        ("javascript: URL", JAVASCRIPT_URL),
        ("remote asset URL", REMOTE_ASSET),
    ):
        found += [f"{label}: {m.group(0).strip()}" for m in pattern.finditer(text)]
    return found


@pytest.mark.parametrize(
    ("html", "offence"),
    [
        ("<script>alert(1)</script>", "inline <script>"),
        ('<script type="module">x()</script>', "inline <script>"),
        ('<p style="color:red">', "style attribute"),
        ('<button onclick="go()">', "inline event handler"),
        ('<a href="javascript:go()">', "javascript: URL"),
        ('<script src="https://cdn.example.com/x.js"></script>', "remote asset URL"),
        ('<link rel="stylesheet" href="//fonts.example.com/a.css">', "remote asset URL"),
        ('<img src="http://example.com/a.png">', "remote asset URL"),
    ],
)
def test_the_template_scan_catches_each_kind_of_offence(html, offence):
    assert [f for f in template_offenders(html) if f.startswith(offence)]


def test_the_template_scan_lets_static_assets_and_plain_links_through():
    html = (
        '<script src="{% static \'js/app.js\' %}" defer></script><link rel="stylesheet" href="/static/a.css">'
        '<p>政策原文见 https://www.gov.cn/zhengce/ 。</p><a href="/tasks/" class="x" data-onclick="y">任务</a>'
    )
    assert template_offenders(html) == []


def test_templates_have_no_inline_scripts_styles_or_remote_assets():
    offenders = [
        f"{path}: {offence}"
        for path in sorted(Path(settings.BASE_DIR, "templates").rglob("*.html"))
        for offence in template_offenders(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_one_time_password_must_be_changed_at_first_login(dsj):
    user = make_user(Role.UNIT_HANDLER, unit=dsj, username="fresh", must_change_password=True)
    client = Client()
    _login(client, "fresh", PASSWORD)
    assert client.get("/tasks/")["Location"] == "/accounts/password_change/"
    weak = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    page = weak.content.decode()
    assert weak.status_code == 200
    for message in (
        "密码太短，至少需要 10 个字符。",
        "密码须包含大写字母、小写字母、数字、符号中的至少 3 种。",
        "这个密码太常见了。",
        "密码只包含数字。",
    ):
        assert message in page
    same = client.post(
        "/accounts/password_change/", {"old_password": PASSWORD, "new_password1": PASSWORD, "new_password2": PASSWORD}
    )
    assert same.status_code == 200 and "新密码不能与当前密码相同。" in same.content.decode()
    for page_url in ("/", "/cockpit/", "/reports/", "/notifications/", "/attachments/1/"):
        assert client.get(page_url)["Location"] == "/accounts/password_change/"
    user.refresh_from_db()
    assert user.must_change_password
    strong = "Reform-2026-secure!"
    done = client.post(
        "/accounts/password_change/", {"old_password": PASSWORD, "new_password1": strong, "new_password2": strong}
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert not user.must_change_password
    assert client.get("/tasks/").status_code == 200


@pytest.mark.parametrize(
    ("role", "landing"),
    [(Role.LEADER, "/cockpit/"), (Role.OFFICE, "/tasks/"), (Role.UNIT_HANDLER, "/tasks/"), (Role.AUDITOR, "/tasks/")],
)
def test_landing_page_after_login(dsj, role, landing):
    make_user(role, unit=dsj, username=f"land_{role}")
    assert _login(Client(), f"land_{role}", PASSWORD)["Location"] == landing
