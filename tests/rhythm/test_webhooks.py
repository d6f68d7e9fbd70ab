"""Webhooks: HMAC-SHA256 signature with a timestamp and replay window, exponential-backoff retries, failures kept."""

from __future__ import annotations

import hmac
import json
import threading
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from rhythm import channels
from rhythm import services as rhythm
from rhythm.models import WebhookDelivery, WebhookTarget
from rhythm.tasks import deliver_webhook
from tasks_app.models import Notice

from .conftest import DEADLINE, SHANGHAI, on_day

pytestmark = pytest.mark.django_db
SECRET = "test-webhook-secret-2026"
SENT_AT = datetime.combine(DEADLINE + timedelta(days=1), datetime.min.time(), SHANGHAI).timestamp() + 10 * 3600


class Receiver:
    """A local HTTP endpoint answering with the given status codes in turn (the last one repeats)."""

    def __init__(self, statuses: list[int]):
        self.statuses = statuses
        self.requests: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers.items()), body))
                index = min(len(receiver.requests) - 1, len(receiver.statuses) - 1)
                self.send_response(receiver.statuses[index])
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/robot/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook_settings(settings):
    settings.WEBHOOK_SECRET = SECRET
    settings.WEBHOOK_BACKOFF_SECONDS = 1
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    return settings


def _escalate_once(capture) -> None:
    with on_day(DEADLINE + timedelta(days=1)), capture(execute=True):
        rhythm.escalate()


def test_a_notice_is_pushed_signed_and_retried_after_a_server_error(
    item, webhook_settings, django_capture_on_commit_callbacks
):
    with Receiver([500, 200]) as receiver:
        webhook_settings.WEBHOOK_URLS = [receiver.url]
        _escalate_once(django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (WebhookDelivery.Status.SENT, 2)
    assert delivery.last_error.startswith("HTTP 500")  # the failure is kept after the success
    assert delivery.response_status == 200 and delivery.delivered_at is not None
    assert len(receiver.requests) == 2
    for headers, body in receiver.requests:
        assert channels.verify_signature(secret=SECRET, body=body, headers=headers, now=SENT_AT + 5)
        assert not channels.verify_signature(secret="another-secret", body=body, headers=headers, now=SENT_AT + 5)
        assert headers["X-Reform-Delivery"] == str(delivery.pk)  # receivers deduplicate on it
    headers, body = receiver.requests[-1]
    document = json.loads(body)
    assert document["event"] == "notice.issue"
    assert document["data"]["level"] == "提醒" and document["data"]["unit"] == "市大数据局"
    assert document["data"]["reason"] == Notice.objects.get().reason
    assert headers["X-Reform-Signature"] == "sha256=" + hmac.new(SECRET.encode(), body, "sha256").hexdigest()
    assert headers["X-Reform-Timestamp"] == str(int(SENT_AT)) == str(document["timestamp"])


def test_tampered_bodies_and_replayed_requests_fail_verification(settings):
    settings.WEBHOOK_REPLAY_WINDOW_SECONDS = 300
    channel = channels.JsonWebhookChannel(url="http://127.0.0.1:9/", secret=SECRET)
    body, headers = channel.build({"event": "notice.issue", "delivery_id": "7", "data": {"level": "督办"}})
    assert channels.verify_signature(secret=SECRET, body=body, headers=headers)
    tampered = body.replace("督办".encode(), "提醒".encode())
    assert not channels.verify_signature(secret=SECRET, body=tampered, headers=headers)
    assert not channels.verify_signature(secret=SECRET, body=body, headers=headers, now=time.time() + 301)
    forged_time = {**headers, "X-Reform-Timestamp": str(int(time.time()) + 100)}
    assert not channels.verify_signature(secret=SECRET, body=body, headers=forged_time)


def test_a_receiver_that_keeps_failing_is_recorded_without_blocking_the_workflow(
    item, webhook_settings, django_capture_on_commit_callbacks
):
    with Receiver([503]) as receiver:
        webhook_settings.WEBHOOK_URLS = [receiver.url]
        _escalate_once(django_capture_on_commit_callbacks)

    assert Notice.objects.count() == 1  # the notice stands
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("failed", 3, 503)
    assert delivery.last_error.startswith("HTTP 503")
    assert len(receiver.requests) == 3
    assert deliver_webhook.apply(args=[delivery.pk]).get() == "failed"  # a stray retry sends nothing more
    assert len(receiver.requests) == 3


def test_an_unreachable_receiver_is_recorded(item, webhook_settings, django_capture_on_commit_callbacks):
    with Receiver([200]) as receiver:
        url = receiver.url
    webhook_settings.WEBHOOK_URLS = [url]  # the server is gone: connection refused
    _escalate_once(django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed" and delivery.attempts == 3
    assert delivery.last_error.startswith("连接失败")


def test_targets_from_the_admin_get_their_own_secret_and_event_filter(
    item, webhook_settings, django_capture_on_commit_callbacks
):
    with Receiver([200]) as robot, Receiver([200]) as other:
        WebhookTarget.objects.create(
            name="督查工作群机器人", url=robot.url, secret="robot-secret", events=["notice.issue"]
        )
        WebhookTarget.objects.create(name="缺报通知", url=other.url, secret="x", events=["report.missed"])
        _escalate_once(django_capture_on_commit_callbacks)
    assert len(robot.requests) == 1 and not other.requests
    headers, body = robot.requests[0]
    assert channels.verify_signature(secret="robot-secret", body=body, headers=headers, now=SENT_AT)
