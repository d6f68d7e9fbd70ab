"""Fixtures for tests that need the real Celery worker .ci/run starts (PostgreSQL half).

Use ``real_celery`` in any ``@pytest.mark.integration`` test (tests/conftest.py makes it available
everywhere), and ``wait_for`` to poll for what the worker does.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TypeVar

import pytest
from celery.result import allow_join_result
from django.conf import settings

PING_TIMEOUT_SECONDS = 5.0
T = TypeVar("T")


def wait_for(predicate: Callable[[], T], timeout: float = 90.0) -> T | None:
    """Poll ``predicate`` every half second until it returns something truthy (returned), or ``None`` at timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    return None


@pytest.fixture
def real_celery():
    """Send tasks to a real worker instead of running them in-process, for this test only.

    Test settings force eager execution; this switches the app to the broker and back afterwards.
    A configured integration run with no worker answering is a failure, not a skip: the test would
    otherwise wait out its timeouts and say nothing useful. When ``CI_WORKER_NAME`` is set (by
    .ci/run), that worker must answer: other workers on a shared broker do not count.
    """
    from reform.celery import app

    broker = settings.CELERY_BROKER_URL
    if broker.startswith("memory://"):
        pytest.fail("real_celery needs CELERY_BROKER_URL set to a real broker (redis://… or amqp://…)")
    expected = os.environ.get("CI_WORKER_NAME", "")
    replies = app.control.ping(timeout=PING_TIMEOUT_SECONDS, destination=[expected] if expected else None)
    answered = {name for reply in replies for name in reply}
    if not answered or (expected and expected not in answered):
        who = expected or "any worker"
        pytest.fail(
            f"no answer from {who} on {broker} within {PING_TIMEOUT_SECONDS:.0f} s "
            f"(queue {app.conf.task_default_queue}); start one with: "
            f".venv/bin/celery -A reform worker -l info"
        )
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        # Celery's "never join a result inside a task" guard is a process-wide flag that eager calls
        # from several threads at once (the concurrency tests) can leave set; this test process is no
        # task, so it may wait for results.
        with allow_join_result():
            yield app
    finally:
        app.conf.task_always_eager = previous
