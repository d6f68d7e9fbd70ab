"""Notification channels: in-app (the bell), email, and webhooks to government messaging platforms.

In-app and email go together: a notification row is created under a unique dedupe key inside a
savepoint, and the email is sent only when the row is new, so a job that runs twice (or on two
workers at once) notifies nobody twice.

Webhooks never block the workflow: the caller's transaction only inserts ``WebhookDelivery`` rows
(deduplicated) and, on commit, asks Celery to send them. Each request body is signed:

    X-Reform-Signature: sha256=<hex HMAC-SHA256 of the raw body with the shared secret>
    X-Reform-Timestamp: <unix seconds>   (also inside the signed body as "timestamp")
    X-Reform-Delivery:  <delivery id>    (receivers deduplicate on it; retries reuse it)

A receiver verifies the HMAC over the exact bytes received, checks the header timestamp equals the
body's and lies within the replay window (``WEBHOOK_REPLAY_WINDOW_SECONDS``), and ignores a delivery
id it has already seen. ``verify_signature`` does the first two checks.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from reform.jobs import enqueue
from tasks_app.models import Notification

from .models import WebhookDelivery, WebhookTarget

if TYPE_CHECKING:
    from accounts.models import User
    from tasks_app.models import Task

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Reform-Signature"
TIMESTAMP_HEADER = "X-Reform-Timestamp"
DELIVERY_HEADER = "X-Reform-Delivery"
EVENT_HEADER = "X-Reform-Event"


# --- In-app and email ---------------------------------------------------------------------------


class EmailChannel:
    """Plain-text email through Django's email backend (console in the demo, SMTP in production)."""

    def send(self, *, recipients: Iterable[str], subject: str, body: str) -> None:
        addresses = [a for a in recipients if a]
        if addresses:
            send_mail(subject, body or subject, settings.DEFAULT_FROM_EMAIL, addresses, fail_silently=True)


def notify_users(
    users: Iterable[User],
    *,
    event: str,
    task: Task | None,
    title: str,
    body: str = "",
    key: str,
) -> int:
    """Create one in-app notification per user (deduplicated on ``event:key:user``) and email the new ones.

    Inside a transaction the notifications commit or roll back with it, and the emails leave after commit.
    """
    created = 0
    email = EmailChannel()
    for user in users:
        try:
            with transaction.atomic():
                Notification.objects.create(
                    recipient=user,
                    task=task,
                    kind=event,
                    title=title[:200],
                    body=body,
                    link=task.get_absolute_url() if task is not None else "",
                    dedupe_key=f"{event}:{key}:{user.pk}"[:200],
                )
        except IntegrityError:
            continue  # an earlier or concurrent run already told this user
        created += 1
        if user.email:
            # Mail only once the notification is committed (at once outside a transaction).
            transaction.on_commit(
                lambda to=user.email: email.send(recipients=[to], subject=title, body=body), robust=True
            )
    return created


# --- Webhooks -----------------------------------------------------------------------------------


class WebhookError(Exception):
    """The receiver did not accept the delivery (network error or a non-2xx answer)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class WebhookChannel(ABC):
    """A messaging platform adapter: deliver one event or raise ``WebhookError``."""

    @abstractmethod
    def send(self, event: dict[str, Any]) -> None:
        """Deliver ``event`` (``{"event", "delivery_id", "data"}``); raise WebhookError on failure."""


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify_signature(
    *, secret: str, body: bytes, headers: Mapping[str, str], now: float | None = None, window: int | None = None
) -> bool:
    """Check a received webhook: HMAC over the raw body, and a fresh timestamp that matches the body's."""
    lowered = {k.lower(): v for k, v in headers.items()}
    expected = sign(secret, body)
    if not hmac.compare_digest(lowered.get(SIGNATURE_HEADER.lower(), ""), expected):
        return False
    try:
        stamp = int(lowered.get(TIMESTAMP_HEADER.lower(), ""))
        signed_stamp = int(json.loads(body.decode("utf-8"))["timestamp"])
    except (ValueError, KeyError, TypeError):
        return False
    window = settings.WEBHOOK_REPLAY_WINDOW_SECONDS if window is None else window
    now = time.time() if now is None else now
    return stamp == signed_stamp and abs(now - stamp) <= window


@dataclass
class JsonWebhookChannel(WebhookChannel):
    """Generic JSON webhook: POST the event with an HMAC-SHA256 signature and a timestamp."""

    url: str
    secret: str
    timeout: float | None = None
    last_status: int | None = None

    def build(self, event: dict[str, Any], *, now: float | None = None) -> tuple[bytes, dict[str, str]]:
        stamp = int(time.time() if now is None else now)
        document = {**event, "timestamp": stamp}
        body = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "reform-supervision-webhook/1",
            EVENT_HEADER: str(event.get("event", "")),
            DELIVERY_HEADER: str(event.get("delivery_id", "")),
            TIMESTAMP_HEADER: str(stamp),
            SIGNATURE_HEADER: sign(self.secret, body),
        }
        return body, headers

    def send(self, event: dict[str, Any]) -> None:
        body, headers = self.build(event)
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        timeout = self.timeout if self.timeout is not None else settings.WEBHOOK_TIMEOUT_SECONDS
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - configured URLs only
                status = response.status
        except urllib.error.HTTPError as exc:
            raise WebhookError(f"HTTP {exc.code} {exc.reason}", status=exc.code) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise WebhookError(f"连接失败：{getattr(exc, 'reason', exc)}") from exc
        self.last_status = status
        if not 200 <= status < 300:
            raise WebhookError(f"HTTP {status}", status=status)


@dataclass(frozen=True)
class Target:
    url: str
    secret: str
    target_id: int | None
    events: tuple[str, ...]


def webhook_targets() -> list[Target]:
    """Targets from the environment (``WEBHOOK_URLS`` + ``WEBHOOK_SECRET``) and the admin (``WebhookTarget``)."""
    targets = [Target(url, settings.WEBHOOK_SECRET, None, ()) for url in settings.WEBHOOK_URLS]
    for row in WebhookTarget.objects.filter(is_active=True).order_by("pk"):
        targets.append(Target(row.url, row.secret, row.pk, tuple(row.events or ())))
    return targets


def channel_for(delivery: WebhookDelivery) -> WebhookChannel:
    if delivery.target_id is not None:
        target = WebhookTarget.objects.filter(pk=delivery.target_id).first()
        secret = target.secret if target is not None else ""
    else:
        secret = settings.WEBHOOK_SECRET
    return JsonWebhookChannel(url=delivery.url, secret=secret)


def queue_webhooks(event: str, data: dict[str, Any], *, key: str) -> list[int]:
    """Record one delivery per subscribed target (deduplicated on ``event:key:url``) and send them after commit."""
    if event not in settings.WEBHOOK_EVENTS:
        return []
    created: list[int] = []
    for target in webhook_targets():
        if target.events and event not in target.events:
            continue
        try:
            with transaction.atomic():
                delivery = WebhookDelivery.objects.create(
                    target_id=target.target_id,
                    url=target.url,
                    event=event,
                    payload=data,
                    dedupe_key=f"{event}:{key}:{target.url}"[:255],
                )
        except IntegrityError:
            continue
        created.append(delivery.pk)
    if created:
        transaction.on_commit(lambda: _enqueue(created), robust=True)
    return created


def _enqueue(delivery_ids: list[int]) -> None:
    for delivery_id in delivery_ids:
        enqueue("rhythm.tasks.deliver_webhook", delivery_id)


def backoff_seconds(attempts: int) -> int:
    """Exponential backoff after the ``attempts``-th failure: base, 2×base, 4×base, …"""
    return settings.WEBHOOK_BACKOFF_SECONDS * 2 ** max(0, attempts - 1)


def attempt_delivery(delivery_id: int) -> tuple[str, int]:
    """Try one delivery once; return its new status and attempt count. Never raises for a receiver's fault.

    The attempt is claimed with a conditional update, so two workers handed the same message send it
    at most once per attempt number; the receiver deduplicates on the delivery id across attempts.
    """
    delivery = WebhookDelivery.objects.filter(pk=delivery_id).first()
    if delivery is None:
        return "missing", 0
    if delivery.status in (WebhookDelivery.Status.SENT, WebhookDelivery.Status.FAILED):
        return delivery.status, delivery.attempts
    claimed = WebhookDelivery.objects.filter(
        pk=delivery.pk,
        attempts=delivery.attempts,
        status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.RETRYING],
    ).update(attempts=F("attempts") + 1, updated_at=timezone.now())
    if not claimed:
        delivery.refresh_from_db()
        return delivery.status, delivery.attempts
    attempts = delivery.attempts + 1
    event = {"event": delivery.event, "delivery_id": str(delivery.pk), "data": delivery.payload}
    channel = channel_for(delivery)
    try:
        channel.send(event)
    except WebhookError as exc:
        final = attempts >= settings.WEBHOOK_MAX_ATTEMPTS
        status = WebhookDelivery.Status.FAILED if final else WebhookDelivery.Status.RETRYING
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=status, last_error=str(exc)[:2000], response_status=exc.status, updated_at=timezone.now()
        )
        logger.warning("webhook delivery %s attempt %s failed: %s", delivery.pk, attempts, exc)
        return status, attempts
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.SENT,
        response_status=getattr(channel, "last_status", None),
        delivered_at=now,
        updated_at=now,
    )
    return WebhookDelivery.Status.SENT, attempts
