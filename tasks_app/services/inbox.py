"""The in-app inbox: marking one's own notifications read."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from reform.errors import NotFound

from ..models import Notification

if TYPE_CHECKING:
    from accounts.models import User


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
