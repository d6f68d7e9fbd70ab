"""账号管理 in Chromium: a unit admin creates an account, and a password reset asks first."""

from __future__ import annotations

import re

import pytest

from accounts.models import User
from tests.factories import Role, make_unit, make_user

from .conftest import PASSWORD, open_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_unit_admin_creates_an_account_and_a_reset_must_be_confirmed(browser, live_server):
    unit = make_unit("市大数据局")
    make_user(Role.UNIT_ADMIN, unit=unit, username="dsj_admin", full_name="张数据")
    handler = make_user(Role.UNIT_HANDLER, unit=unit, username="dsj_handler", full_name="陈经办")
    admin = open_session(browser, live_server.url, "dsj_admin")

    # Given the account page, when the admin creates a handler, the one-time password is shown once.
    admin.go("/accounts/users/")
    admin.page.fill("#id_username", "zhao_xin")
    admin.page.fill("#id_full_name", "赵新")
    admin.submit("main form button.primary")
    assert "账号已创建" in admin.page.content()
    password = admin.page.locator("#otp").inner_text()
    assert re.fullmatch(r"[A-Za-z2-9]{12}", password)
    assert User.objects.get(username="zhao_xin").check_password(password)

    # A reset asks first: dismissing the question changes nothing ...
    admin.go("/accounts/users/")
    reset = admin.page.locator(f"form[action='/accounts/users/{handler.pk}/reset-password/'] button")
    questions: list[str] = []
    admin.page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    reset.click()
    admin.page.wait_for_timeout(300)
    assert questions == ["确定要重置 dsj_handler 的密码吗？其现有登录和 API 令牌将立即失效。"]
    assert admin.page.url.endswith("/accounts/users/")
    handler.refresh_from_db()
    assert handler.check_password(PASSWORD)
    assert reset.is_enabled()  # the button is not left disabled by the double-submit guard

    # ... accepting it resets the password and shows the new one.
    admin.page.once("dialog", lambda dialog: dialog.accept())
    with admin.page.expect_navigation():
        reset.click()
    assert "密码已重置" in admin.page.content()
    handler.refresh_from_db()
    assert handler.check_password(admin.page.locator("#otp").inner_text())
    assert admin.problems == [], admin.problems
