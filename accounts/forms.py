from __future__ import annotations

from typing import Any

from django.contrib.auth.forms import PasswordChangeForm as DjangoPasswordChangeForm
from django.utils.translation import gettext as _


class PasswordChangeForm(DjangoPasswordChangeForm):
    """Django's form, plus: the new password must differ from the current (one-time) one."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        new = cleaned.get("new_password1")
        if new and new == cleaned.get("old_password"):
            self.add_error("new_password1", _("新密码不能与当前密码相同。"))
        return cleaned
