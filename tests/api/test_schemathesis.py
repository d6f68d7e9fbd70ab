"""Property-based run of the live OpenAPI schema (schemathesis 4) against the WSGI app, as the office.

Every operation of ``/api/schema/`` is fed schema-generated requests (valid ones, and invalid ones
that a correct API must refuse with 4xx), with a fixed number of examples and a fixed seed. Each
answer must pass schemathesis's checks: no 5xx, the status, content type and body documented in the
schema, and invalid input refused. Path ids are fuzzed and also pinned to real objects so the
handlers run past the 404. Nothing is excluded: the destructive endpoints run against this test's
own throwaway data.
"""

from __future__ import annotations

import sys
from collections import Counter
from datetime import timedelta

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from accounts.services import token_issue
from indicators.models import Indicator, Measurement
from reform.wsgi import application
from tasks_app import services
from tasks_app.models import Notification
from tasks_app.workflow import Status
from tests.factories import make_task
from tests.tasks_app.workflow_helpers import drive

pytestmark = pytest.mark.django_db
MAX_EXAMPLES = 12
SEED = 20261123
# positive_data_acceptance expects every schema-valid request to succeed, but business rules the schema
# cannot express answer 400 by design (a wrong password, a due date in the past, scores outside a
# criterion's range); every other check runs.
EXCLUDED_CHECKS = [positive_data_acceptance]


@pytest.fixture
def wsgi_in_test_transaction():
    """Run the WSGI app inside the test's transaction, as Django's test client does (no connection closing)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield application
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def programme(dsj, jxj, office_user, leader_user, dsj_handler):
    """A little programme with one of every object, so pinned ids reach the handlers."""
    today = timezone.localdate()
    major = make_task("1", lead_unit=dsj)
    item = drive(
        make_task("1.1", lead_unit=dsj, cooperating_units=(jxj,)),
        Status.IN_PROGRESS,
        office=office_user,
        unit_user=dsj_handler,
    )
    instruction = services.instruction_issue(actor=leader_user, task=item, text="加快推进", due_date=today)
    notice = services.notice_issue(actor=office_user, task=item, level=2, reason="进度滞后")
    problem = services.problem_report(actor=dsj_handler, task=item, text="缺少接口")
    extension = services.extension_request(
        actor=dsj_handler, task=item, requested_deadline=today + timedelta(days=400), reason="需延期"
    )
    indicator = Indicator.objects.create(task=item, name="一网通办率", baseline_value=40, target_value=90)
    Measurement.objects.create(indicator=indicator, period_end=today.replace(day=1) - timedelta(days=1), value=60)
    notification = Notification.objects.create(recipient=office_user, kind="x", title="通知", task=item)
    return {
        "tasks": [major.pk, item.pk],
        "instructions": [instruction.pk],
        "notices": [notice.pk],
        "problems": [problem.pk],
        "extensions": [extension.pk],
        "indicators": [indicator.pk],
        "notifications": [notification.pk],
    }


def pinned_id(path: str, ids: dict[str, list[int]]) -> int | None:
    """A real object id for ``{id}`` in ``path`` (the first segment names the kind)."""
    kind = path.split("/")[2]
    return ids[kind][-1] if kind in ids else None


def conformance_run(operation, strategy, headers, excluded, seen):
    """One operation × one request strategy, as a seeded hypothesis test that records each status."""

    @hypothesis_seed(SEED)
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case):
        response = case.call(headers=headers)
        seen.setdefault(operation.label, Counter())[response.status_code] += 1
        case.validate_response(response, headers=headers, excluded_checks=excluded)

    return run


def test_the_api_conforms_to_its_schema(wsgi_in_test_transaction, office_user, dsj_handler, programme):
    office = {"Authorization": f"Token {token_issue(user=office_user)}"}
    unit = {"Authorization": f"Token {token_issue(user=dsj_handler)}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_in_test_transaction, headers=office)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 40
    failures: list[str] = []
    seen: dict[str, Counter] = {}

    for operation in operations:
        excluded = EXCLUDED_CHECKS
        strategies = [
            (office, GenerationMode.POSITIVE, operation.as_strategy(GenerationMode.POSITIVE)),
            (office, GenerationMode.NEGATIVE, operation.as_strategy(GenerationMode.NEGATIVE)),
        ]
        if "{id}" in operation.path and (pk := pinned_id(operation.path, programme)) is not None:
            pinned = operation.as_strategy(GenerationMode.POSITIVE, path_parameters={"id": pk})
            strategies.append((office, GenerationMode.POSITIVE, pinned))
            if operation.method.upper() == "POST":  # the lead unit's own writes (reports, answers, requests)
                strategies.append((unit, GenerationMode.POSITIVE, pinned))
        for headers, mode, strategy in strategies:
            run = conformance_run(operation, strategy, headers, excluded, seen)
            try:
                run()
            except Unsatisfiable:
                assert mode == GenerationMode.NEGATIVE, operation.label  # nothing in the request to make invalid
            except (Exception, BaseExceptionGroup) as exc:  # collect every operation's failures, report them all
                failures.append(f"{operation.label}: {exc}")

    for label, counter in sorted(seen.items()):
        print(label, dict(counter), file=sys.stderr)
    assert not failures, "\n\n".join(failures)
