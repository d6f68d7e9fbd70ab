"""A trivial task through the real broker, worker and result backend (.ci/run, PostgreSQL half)."""

from __future__ import annotations

import os
import uuid

import pytest

from reform.tasks import ping

pytestmark = pytest.mark.integration


def test_a_real_worker_runs_the_ping_and_returns_its_answer(real_celery):
    if not real_celery.conf.result_backend:
        pytest.fail("this round trip needs CELERY_RESULT_BACKEND (.ci/run sets redis://…/1)")
    token = uuid.uuid4().hex

    result = ping.delay(token)
    answer = result.get(timeout=30)

    assert answer["pong"] == token
    assert answer["pid"] != os.getpid(), "ran in the test process: the task was eager, not sent to the worker"
    assert result.successful()
