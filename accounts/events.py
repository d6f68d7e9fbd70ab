"""Account and sign-in event types (留痕 of who entered the system and who manages accounts)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from trail.events import EventType

LOGGED_IN = EventType("auth.login", _("登录"))
LOGGED_OUT = EventType("auth.logout", _("退出登录"))
LOGIN_FAILED = EventType("auth.login_failed", _("登录失败"))
LOCKED_OUT = EventType("auth.lockout", _("账号锁定"))
USER_CREATED = EventType("user.create", _("创建用户"))
PASSWORD_RESET = EventType("user.reset_password", _("重置密码"))
PASSWORD_CHANGED = EventType("user.change_password", _("修改密码"))
TOKEN_REVOKED = EventType("auth.token_revoke", _("吊销 API 令牌"))
