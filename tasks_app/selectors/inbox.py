"""Reads of the in-app inbox (the bell): the user's notifications and the unread count."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..models import Notification

if TYPE_CHECKING:
    from accounts.models import User

PAGE_SIZE = 30


@dataclass(frozen=True)
class InboxPage:
    rows: list[Notification]
    next_cursor: str | None


def notification_list(*, user: User, before: int | None = None, unread_only: bool = False) -> InboxPage:
    """The user's notifications, newest first, one keyset page (the cursor is the last id shown)."""
    qs = Notification.objects.filter(recipient=user).select_related("task")
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    if before:
        qs = qs.filter(pk__lt=before)
    rows = list(qs.order_by("-pk")[: PAGE_SIZE + 1])
    cursor = str(rows[PAGE_SIZE - 1].pk) if len(rows) > PAGE_SIZE else None
    return InboxPage(rows=rows[:PAGE_SIZE], next_cursor=cursor)


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notification_of(user: User, notification_id: int) -> Notification | None:
    """One of the user's own notifications (None for a missing one or another user's)."""
    return Notification.objects.filter(recipient=user, pk=notification_id).select_related("task").first()
