"""Liveness and readiness probes as a load balancer sees them."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

import pytest
from django.db import OperationalError, connections

from trail.models import TraceHead

ROOT = Path(__file__).resolve().parents[2]


def test_healthz_answers_ok_without_login_or_database(client):
    # No db fixture: pytest-django turns any database access into an error.
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["Cache-Control"].startswith("max-age=0")


def test_healthz_stays_up_when_the_database_is_down(client):
    with mock.patch.object(connections["default"], "cursor", side_effect=OperationalError("connection refused")):
        response = client.get("/healthz")

    assert response.status_code == 200


def test_readyz_reports_each_component_when_all_is_well(client, db):
    head = TraceHead.objects.get(pk=1)

    response = client.get("/readyz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["failing"] == []
    assert body["checks"]["database"]["ok"] is True
    trace = body["checks"]["trace"]
    assert trace == {"ok": True, "seq": head.seq, "verification": None, "ms": trace["ms"]}
    assert body["warnings"] == ["trace_never_verified"]
    # Test settings have no broker unless one is configured: tasks run in-process, nothing to reach.
    if not os.environ.get("CELERY_BROKER_URL"):
        assert body["checks"]["broker"] == {"ok": True, "skipped": "no CELERY_BROKER_URL: tasks run in-process"}


def test_readyz_names_the_database_when_it_is_down(client, db):
    with mock.patch.object(connections["default"], "cursor", side_effect=OperationalError("connection refused")):
        response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failing"] == ["database", "trace"]
    assert body["checks"]["database"]["error"] == "OperationalError"
    assert "connection refused" not in response.content.decode()  # details go to the log, not to the world


def test_readyz_names_the_broker_when_it_cannot_be_reached(client, db, settings):
    with socket_on_closed_port() as closed_port:
        settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port}/0"
        started = time.monotonic()
        response = client.get("/readyz")
        elapsed = time.monotonic() - started

    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["broker"]
    assert body["checks"]["database"]["ok"] is True and body["checks"]["trace"]["ok"] is True
    assert elapsed < 10, f"a dead broker must not hang the probe ({elapsed:.1f} s)"


def test_readyz_names_the_trace_when_its_head_is_missing(client, db):
    TraceHead.objects.filter(pk=1).delete()

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["failing"] == ["trace"]


def test_readyz_reports_the_nightly_walk_of_the_chain_and_warns_when_it_broke(client, db, dsj, office_user):
    from tests.factories import make_task
    from tests.tasks_app.tamper import triggers_off
    from tests.tasks_app.workflow_helpers import fire
    from trail.models import TraceEntry, TraceVerification
    from trail.tasks import verify_trace_nightly

    task = make_task("1", lead_unit=dsj)
    fire("assign", actor=office_user, task=task)
    assert verify_trace_nightly.delay().get() is True

    body = client.get("/readyz").json()
    verification = body["checks"]["trace"]["verification"]
    assert (verification["ok"], verification["source"], verification["entries"]) == (True, "nightly", 2)
    assert body["status"] == "ok" and body["warnings"] == []

    # Tamper with an entry behind the app's back (the append-only trigger is lifted for the test).
    entry = TraceEntry.objects.get(action="task.assign")
    with triggers_off() as cursor:
        cursor.execute("UPDATE tasks_app_traceentry SET actor_name = '别人' WHERE id = %s", [entry.pk])
    assert verify_trace_nightly.delay().get() is False

    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200  # evidence to investigate, not a reason to stop serving
    assert body["warnings"] == ["trace_chain_broken"]
    assert body["checks"]["trace"]["verification"]["broken_seq"] == entry.seq
    assert TraceVerification.objects.filter(ok=False, broken_seq=entry.seq).count() == 1


def test_readyz_warns_when_the_last_walk_is_older_than_the_setting(client, db, settings):
    from datetime import timedelta

    from django.utils import timezone

    from trail.models import TraceVerification

    settings.TRACE_VERIFY_MAX_AGE_HOURS = 48
    TraceVerification.objects.create(
        source="nightly", started_at=timezone.now() - timedelta(hours=49), seconds=1, ok=True, count=0
    )

    assert client.get("/readyz").json()["warnings"] == ["trace_verification_stale"]


@pytest.mark.integration
def test_readyz_reaches_the_real_broker(client, db, settings):
    settings.CELERY_BROKER_URL = os.environ["CELERY_BROKER_URL"]

    response = client.get("/readyz")

    assert response.status_code == 200, response.content
    broker = response.json()["checks"]["broker"]
    assert broker["ok"] is True and broker["transport"] in {"redis", "amqp", "pyamqp"}


def test_probes_are_exempt_from_the_https_redirect_in_production():
    """Under production settings plain HTTP gets redirected, except the probes."""
    code = (
        "import django, json; django.setup(); from django.test import Client; c = Client(); "
        "print(json.dumps({p: c.get(p).status_code for p in ['/healthz', '/accounts/login/']}))"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"SECURE_SSL_REDIRECT", "DATABASE_REPLICA_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="reform.settings.production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="testserver",
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"/healthz": 200, "/accounts/login/": 301}


class socket_on_closed_port:
    """A TCP port on 127.0.0.1 that nothing listens on, for the duration of the block."""

    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        return self.sock.getsockname()[1]

    def __exit__(self, *exc: object) -> None:
        self.sock.close()
