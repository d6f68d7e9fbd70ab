"""Redis dies: the web keeps serving, writes commit, and notifications arrive once it returns.

Runs its own redis-server on a free loopback port and its own Celery worker against the test
database; the machine's shared Redis is never touched.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from reform.celery import app as celery_app
from tasks_app import services
from tasks_app.models import Notification, Task
from tests.factories import make_task
from trail.models import TraceEntry

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_redis(port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("own redis-server did not start")


def _wait_for(predicate, timeout: float = 30.0) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return False


@pytest.fixture
def own_broker_and_worker():
    port = _free_port()
    broker = f"redis://127.0.0.1:{port}/0"
    redis_proc = _start_redis(port)
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "reform.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": broker,
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "reform",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--hostname",
            f"outage-{port}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    old = (celery_app.conf.broker_write_url, celery_app.conf.task_always_eager)
    # Publish to our own broker only (the settings-level broker_url is read-only here; the write URL wins).
    celery_app.conf.broker_write_url = broker
    celery_app.conf.task_always_eager = False
    celery_app.amqp._producer_pool = None
    celery_app._pool = None
    state = {"redis": redis_proc, "port": port}
    try:
        yield state
    finally:
        worker.terminate()
        worker.wait(timeout=20)
        state["redis"].terminate()
        state["redis"].wait(timeout=10)
        celery_app.conf.broker_write_url, celery_app.conf.task_always_eager = old
        celery_app.amqp._producer_pool = None
        celery_app._pool = None


def _notified(task: Task, kind: str) -> bool:
    return Notification.objects.filter(task=task, kind=kind).exists()


def test_broker_outage_keeps_writes_and_delivers_later(own_broker_and_worker, client, dsj, office_user, dsj_handler):
    first = make_task("1", lead_unit=dsj)
    second = make_task("2", lead_unit=dsj)

    # Broker up: the on-commit nudge reaches the worker, which relays the trace into notifications.
    services.task_assign(actor=office_user, task=first)
    assert _wait_for(lambda: _notified(first, "task.assign")), "worker did not deliver while the broker was up"

    # Broker down: pages still render and the write commits, promptly.
    own_broker_and_worker["redis"].terminate()
    own_broker_and_worker["redis"].wait(timeout=10)
    assert client.get("/accounts/login/").status_code == 200
    started = time.monotonic()
    services.task_assign(actor=office_user, task=second)
    assert time.monotonic() - started < 5
    second.refresh_from_db()
    assert second.status == "assigned"
    assert TraceEntry.objects.filter(task=second, action="task.assign").count() == 1
    time.sleep(2)
    assert not _notified(second, "task.assign")

    # Broker back: the next nudge (or the minute relay) delivers the backlog exactly once.
    own_broker_and_worker["redis"] = _start_redis(own_broker_and_worker["port"])
    celery_app.amqp._producer_pool = None
    celery_app._pool = None
    services.task_accept(actor=dsj_handler, task=first)
    assert _wait_for(lambda: _notified(second, "task.assign")), "backlog was not delivered after the broker returned"
    recipients = Notification.objects.filter(task=second, kind="task.assign").values_list("recipient", flat=True)
    assert sorted(recipients) == sorted({u.pk for u in dsj.users.all()})
