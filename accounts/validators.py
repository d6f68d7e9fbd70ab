"""Password rules in Chinese, for 等保 2.0 level 3: at least 10 characters from three character classes.

Django 5.2's own MinimumLengthValidator message has no Chinese translation (its msgid changed and
the catalogue still carries the old one), so the length rule is restated here.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self) -> str:
        return _("密码太短，至少需要 %(min_length)d 个字符。") % {"min_length": self.min_length}

    def get_help_text(self) -> str:
        return _("密码至少 %(min_length)d 个字符。") % {"min_length": self.min_length}


class CharacterClassesValidator:
    """Require characters from at least ``min_classes`` of: upper-case, lower-case, digits, symbols."""

    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    @staticmethod
    def classes(password: str) -> int:
        return sum(
            (
                any(c.isupper() for c in password),
                any(c.islower() for c in password),
                any(c.isdigit() for c in password),
                any(not c.isalnum() for c in password),
            )
        )

    def validate(self, password: str, user: Any = None) -> None:
        if self.classes(password) < self.min_classes:
            raise ValidationError(self.get_error_message(), code="password_too_simple")

    def get_error_message(self) -> str:
        return _("密码须包含大写字母、小写字母、数字、符号中的至少 %(n)d 种。") % {"n": self.min_classes}

    def get_help_text(self) -> str:
        return self.get_error_message()
