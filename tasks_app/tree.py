"""Pure helpers for dotted task codes (no database access)."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

CODE_RE = re.compile(r"^[0-9A-Za-z]+(\.[0-9A-Za-z]+)*$")


def normalise_code(raw: object) -> str:
    """Return a cleaned dotted code: trims spaces, full-width dots and a trailing dot ("1.2." → "1.2")."""
    text = str(raw).strip().replace("．", ".").replace("。", ".")
    if isinstance(raw, float) and raw.is_integer():
        text = str(int(raw))
    return text.rstrip(".")


def code_error(code: str) -> str | None:
    if not code:
        return _("编号不能为空")
    if not CODE_RE.match(code):
        return _("编号“%(code)s”格式不正确，应为以点分隔的数字，如 2.3.1") % {"code": code}
    return None


def parent_code(code: str) -> str | None:
    return code.rsplit(".", 1)[0] if "." in code else None


def depth_of(code: str) -> int:
    return code.count(".") + 1


def ancestor_codes(code: str) -> list[str]:
    """Return the codes of all ancestors, root first: "2.3.1" → ["2", "2.3"]."""
    parts = code.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def sort_key(code: str) -> str:
    """Zero-pad numeric segments so that string order equals natural order ("1.10" after "1.9")."""
    return ".".join(part.zfill(6) if part.isdigit() else part for part in code.split("."))


def task_sort_key(programme_id: int, code: str) -> str:
    """A task's stored sort key: its programme, then its code in natural order ("00001/000001.000010").

    Unique across the deployment (codes are unique per programme), so every list can page on it.
    """
    return f"{programme_id:05d}/{sort_key(code)}"
