"""The in-app inbox (the bell): the user's notifications, the unread count and marking them read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from reform.errors import NotFound

from .models import Notification

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


def notification_mark_read(*, actor: User, notification_id: int | None = None) -> int:
    """Mark one of the actor's notifications (or, with no id, all of them) read; return how many changed.

    Another user's notification is NotFound, like a missing one; only the recipient's own rows are touched.
    """
    qs = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if notification_id is not None:
        if not Notification.objects.filter(recipient=actor, pk=notification_id).exists():
            raise NotFound(_("消息不存在或无权访问"))
        qs = qs.filter(pk=notification_id)
    with transaction.atomic():
        return qs.update(read_at=timezone.now())
