"""Who may import or export the task list."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import access

if TYPE_CHECKING:
    from accounts.models import User


def _require(actor: User | None, rule: access.Rule) -> None:
    """The office (or a superuser, or the system itself when ``actor`` is None)."""
    if actor is not None and not (actor.is_authenticated and actor.is_superuser):
        rule.check_role(actor)
