"""The login lockout at two levels (django-axes handler, ``AXES_HANDLER``).

- per username and client address: ``AXES_FAILURE_LIMIT`` (5) failures lock that pair out, as before;
- per username alone, whatever the address: ``AXES_USERNAME_FAILURE_LIMIT`` (20) failures within the
  cool-off lock the account out everywhere. Varying ``X-Forwarded-For`` (possible only when the app port
  is reached without the proxy, see docs/SECURITY.md) no longer buys unlimited guesses.

The second level is higher so that one mistyping colleague behind the same NAT cannot lock a user out
from every address; it is a deliberate trade: someone who knows a username can lock that account out
for the cool-off, which is traced (``auth.lockout``) and lifted by a password reset.
"""

from __future__ import annotations

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone


def username_failures(username: str) -> int:
    """Failed logins for ``username`` from any address within the cool-off."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    total = AccessAttempt.objects.filter(username=username, attempt_time__gte=since).aggregate(
        n=Sum("failures_since_start")
    )["n"]
    return int(total or 0)


class TwoLevelLockoutHandler(AxesDatabaseHandler):
    """axes' database handler, also counting a username's failures across every address."""

    def get_failures(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        per_pair = super().get_failures(request, credentials)
        username = get_client_username(request, credentials)
        if not username:
            return per_pair
        # Scaled so that AXES_FAILURE_LIMIT, the one limit axes compares with, stands for both levels.
        per_user = username_failures(username) * settings.AXES_FAILURE_LIMIT // settings.AXES_USERNAME_FAILURE_LIMIT
        return max(per_pair, per_user)
