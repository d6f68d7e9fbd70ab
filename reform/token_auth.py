"""API tokens (django-rest-knox): many per user, stored as a SHA-512 digest, expiring when idle and at most
``API_TOKEN_MAX_AGE_DAYS`` after they were issued.

``Authorization: Token <key>`` as before. Each use moves the token's expiry to now + the idle timeout
(``API_TOKEN_IDLE_TIMEOUT``, by default the web session's), never past its maximum age; writes are
throttled to one a minute (knox's ``MIN_REFRESH_INTERVAL``). An expired token is deleted when it is
presented. Messages are Chinese; a header that is not ASCII is an invalid token, not a 500.

Knox is used rather than DRF's authtoken: DRF keeps one plaintext key per user that never expires.
"""

from __future__ import annotations

import binascii
from hmac import compare_digest
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import get_token_model
from knox.settings import CONSTANTS
from rest_framework import exceptions


def invalid_token() -> exceptions.AuthenticationFailed:
    return exceptions.AuthenticationFailed(_("认证令牌无效。"))


class ExpiringTokenAuthentication(TokenAuthentication):
    """knox's token check with Chinese answers: invalid, expired (idle or too old), account disabled."""

    def authenticate_credentials(self, token: bytes) -> tuple[Any, Any]:
        try:
            key = token.decode("ascii")
            digest = hash_token(key)
        except (UnicodeDecodeError, TypeError, ValueError, binascii.Error) as exc:
            raise invalid_token() from exc
        now = timezone.now()
        candidates = get_token_model().objects.filter(token_key=key[: CONSTANTS.TOKEN_KEY_LENGTH])
        for auth_token in candidates.select_related("user__unit", "user__scope"):
            if not compare_digest(digest, auth_token.digest):
                continue
            if auth_token.expiry is not None and auth_token.expiry < now:
                auth_token.delete()
                raise exceptions.AuthenticationFailed(_("认证令牌已过期（闲置超时或超过有效期），请重新获取令牌。"))
            if not auth_token.user.is_active:
                raise exceptions.AuthenticationFailed(_("账号已停用。"))
            self.renew_token(auth_token)
            return auth_token.user, auth_token
        raise invalid_token()


class ExpiringTokenScheme(OpenApiAuthenticationExtension):
    """The schema's security scheme for the token header (the same ``tokenAuth`` as before)."""

    target_class = "reform.token_auth.ExpiringTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": _("请求头 Authorization: Token <令牌>；令牌闲置超时或超过有效期即失效，改密码后全部失效"),
        }
