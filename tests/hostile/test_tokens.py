"""API tokens: a new key on every request to the token endpoint, many per user, an idle timeout and a maximum
age, all ended by a password change or reset, listed and revocable on the account page."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts import services as account_services
from tests.factories import Role, make_user
from trail.models import TraceEntry

pytestmark = pytest.mark.django_db
PASSWORD = "pw-Strong-2026!"


def issue(username: str = "dsj_handler") -> str:
    response = APIClient().post("/api/auth/token/", {"username": username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content.decode()
    return response.json()["token"]


def me(token: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client.get("/api/me/")


def test_each_call_issues_a_new_key_and_only_its_digest_is_stored(dsj_handler):
    first, second = issue(), issue()

    assert first != second
    assert me(first).status_code == 200 and me(second).status_code == 200
    stored = AuthToken.objects.filter(user=dsj_handler)
    assert stored.count() == 2
    assert not stored.filter(digest__in=[first, second]).exists()


def test_a_token_ends_after_the_idle_timeout(dsj_handler, settings):
    token = issue()
    later = timezone.now() + timedelta(seconds=settings.API_TOKEN_IDLE_TIMEOUT + 5)

    with time_machine.travel(later, tick=False):
        response = me(token)

    assert response.status_code == 401
    assert "过期" in response.json()["message"]
    assert not AuthToken.objects.filter(user=dsj_handler).exists()


def test_use_keeps_a_token_alive_but_never_past_its_maximum_age(dsj_handler, settings):
    token = issue()
    start = timezone.now()
    step = timedelta(seconds=settings.API_TOKEN_IDLE_TIMEOUT - 60)
    moment = start
    while moment < start + timedelta(days=settings.API_TOKEN_MAX_AGE_DAYS) - step:
        moment += step
        with time_machine.travel(moment, tick=False):
            assert me(token).status_code == 200, moment
    with time_machine.travel(start + timedelta(days=settings.API_TOKEN_MAX_AGE_DAYS, minutes=1), tick=False):
        assert me(token).status_code == 401


def test_a_password_change_ends_every_token(dsj_handler):
    tokens = [issue(), issue()]
    browser = Client()
    browser.force_login(dsj_handler)

    response = browser.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": "New-Strong-2027!x", "new_password2": "New-Strong-2027!x"},
    )

    assert response.status_code == 302, response.content.decode()
    assert all(me(t).status_code == 401 for t in tokens)
    entry = TraceEntry.objects.get(action="user.change_password")
    assert entry.payload["tokens_revoked"] == 2


def test_a_password_reset_ends_every_token(office_user, dsj_handler):
    tokens = [issue(), issue()]

    account_services.user_reset_password(actor=office_user, user=dsj_handler, one_time_password="Reset-Strong-2027x")

    assert all(me(t).status_code == 401 for t in tokens)


def test_the_account_page_lists_and_revokes_own_tokens(dsj_handler, jxj_handler):
    mine, other = issue(), issue("jxj_handler")
    browser = Client()
    browser.force_login(dsj_handler)

    page = browser.get("/accounts/tokens/")
    assert page.status_code == 200
    html = page.content.decode()
    assert mine[:8] in html and other[:8] not in html and mine not in html
    assert "<script" not in html.split("</header>", 1)[1].split("<footer", 1)[0]

    key = AuthToken.objects.get(user=dsj_handler).token_key
    assert browser.post("/accounts/tokens/", {"token": key}).status_code == 302
    assert me(mine).status_code == 401
    assert me(other).status_code == 200
    other_key = AuthToken.objects.get(user=jxj_handler).token_key
    browser.post("/accounts/tokens/", {"token": other_key})  # another user's token looks missing
    assert me(other).status_code == 200
    assert TraceEntry.objects.filter(action="auth.token_revoke", actor=dsj_handler).count() == 1


def test_a_user_holds_a_bounded_number_of_tokens(dsj_handler, settings):
    settings.API_TOKEN_LIMIT_PER_USER = 3
    tokens = [issue() for _ in range(5)]

    assert AuthToken.objects.filter(user=dsj_handler).count() == 3
    assert me(tokens[0]).status_code == 401 and me(tokens[-1]).status_code == 200


@pytest.mark.parametrize("header", ["Token ²²²²", "Token " + "é" * 20, "Token a b", "Token"])
def test_an_odd_token_header_is_a_401_not_a_500(dsj_handler, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get("/api/me/")

    assert response.status_code == 401
    assert set(response.json()) == {"code", "message", "fields"}


def test_an_inactive_account_token_is_refused(dsj):
    user = make_user(Role.UNIT_HANDLER, unit=dsj, username="leaver")
    token = account_services.token_issue(user=user)
    user.is_active = False
    user.save()

    assert me(token).status_code == 401
