"""Every list endpoint runs the same number of queries for 10 rows and for 500 (N+1 cannot come back)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from indicators.models import Indicator, Measurement
from orgs.models import OrgUnit
from tasks_app.events import TASK_UPDATED
from tasks_app.models import (
    Attachment,
    CorrectionOrder,
    Domain,
    Evaluation,
    ExtensionRequest,
    Feedback,
    Instruction,
    Notice,
    Notification,
    ProblemReport,
    Task,
)
from tasks_app.selectors.programmes import default_programme
from tests.factories import make_task

pytestmark = pytest.mark.django_db
SMALL, LARGE = 10, 500
MAX_QUERIES = 10
_seq = itertools.count(1)


def size(kind: str, data) -> int:
    """How many rows an answer lists (nested units counted for the tree)."""
    if kind == "units_tree":
        return sum(1 + size(kind, node["children"]) for node in data)
    if isinstance(data, dict):
        return len(data["results"] if "results" in data else data["rows"])
    return len(data)


def measure(client, url: str) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content.decode()
    return len(ctx.captured_queries), response.json()


def units(n: int, parent: OrgUnit) -> list[OrgUnit]:
    batch = next(_seq)
    created = OrgUnit.objects.bulk_create(
        [
            OrgUnit(
                name=f"单位{batch}-{i}", short_code=f"Q{batch}-{i}", level="street", parent=parent, path=f"t{batch}-{i}"
            )
            for i in range(n)
        ]
    )
    for unit in created:
        unit.path = f"{parent.path}{unit.pk}/"
        unit.depth = parent.depth + 1
    OrgUnit.objects.bulk_update(created, ["path", "depth"])
    return created


def tasks(n: int, lead: OrgUnit, coop: list[OrgUnit], owner, *, deadline: date = date(2026, 12, 31)) -> list[Task]:
    domain = Domain.objects.get(code="digital_gov")
    first = next(_seq) * 10_000
    programme = default_programme()
    rows = [
        Task(
            programme=programme,
            code=f"{i}",
            sort_key=f"{programme.pk:05d}/{i:06d}",
            depth=1,
            title=f"任务{i}",
            domain=domain,
            lead_unit=lead,
            owner=owner if i % 2 else None,
            deadline=deadline,
            is_governance=bool(i % 2),
        )
        for i in range(first, first + n)
    ]
    created = Task.objects.bulk_create(rows)
    through = Task.cooperating_units.through
    through.objects.bulk_create([through(task_id=t.pk, orgunit_id=u.pk) for t in created for u in coop])
    return created


def per_task_objects(kind: str, task: Task, n: int, office, handler, unit) -> None:
    today = timezone.localdate()
    if kind == "instructions":
        made = Instruction.objects.bulk_create(
            [
                Instruction(task=task, author=office, text=f"批示{i}", due_date=today, responded_by=handler)
                for i in range(n)
            ]
        )
        through = Instruction.target_units.through
        through.objects.bulk_create([through(instruction_id=i.pk, orgunit_id=unit.pk) for i in made])
    elif kind == "notices":
        Notice.objects.bulk_create(
            [
                Notice(task=task, level=1 + i % 4, reason=f"督办{i}", issued_by=office, lifted_by=office)
                for i in range(n)
            ]
        )
    elif kind == "feedback":
        made = Feedback.objects.bulk_create(
            [Feedback(task=task, text=f"旬报{i}", progress=10, unit=unit, submitted_by=handler) for i in range(n)]
        )
        Attachment.objects.bulk_create(
            [
                Attachment(
                    task=task,
                    feedback=f,
                    file="x",
                    original_name="a.pdf",
                    content_type="application/pdf",
                    size=1,
                    sha256="0" * 64,
                    uploaded_by=handler,
                )
                for f in made
            ]
        )
    elif kind == "problems":
        ProblemReport.objects.bulk_create(
            [
                ProblemReport(task=task, text=f"问题{i}", unit=unit, reported_by=handler, responded_by=office)
                for i in range(n)
            ]
        )
    elif kind == "corrections":
        CorrectionOrder.objects.bulk_create(
            [
                CorrectionOrder(
                    task=task, requirement=f"整改{i}", due_date=today, issued_by=office, answered_by=handler
                )
                for i in range(n)
            ]
        )
    elif kind == "extensions":
        ExtensionRequest.objects.bulk_create(
            [
                ExtensionRequest(
                    task=task, requested_deadline=today, reason=f"延期{i}", requested_by=handler, decided_by=office
                )
                for i in range(n)
            ]
        )
    elif kind == "evaluations":
        Evaluation.objects.bulk_create(
            [
                Evaluation(
                    task=task, period_end=today, scores={"overall": "90"}, total=90, grade="优", evaluator=office
                )
                for i in range(n)
            ]
        )
    elif kind == "trace":
        for i in range(n):
            TASK_UPDATED(actor=office, task=task, payload={"changes": {"title": [i, i + 1]}})
    elif kind == "indicators":
        batch = next(_seq)
        made = Indicator.objects.bulk_create(
            [Indicator(task=task, name=f"指标{batch}-{i}", baseline_value=0, target_value=100) for i in range(n)]
        )
        Measurement.objects.bulk_create(
            [Measurement(indicator=ind, period_end=date(2026, m, 28), value=m * 5) for ind in made for m in (1, 2)]
        )


def grow(kind: str, n: int, *, user, office, handler, dsj, city, item) -> str:
    """Add ``n`` rows of ``kind`` (more on a second call) and return the URL that lists them all."""
    if kind == "tasks":
        tasks(n, dsj, units(2, dsj), handler)
        return "/api/tasks/?page_size=500"
    if kind == "units":
        units(n, city)
        return "/api/units/"
    if kind == "units_tree":
        parents = units(n // 2, city)
        for parent in parents[:5]:
            units(n // 10, parent)
        return "/api/units/tree/"
    if kind == "notifications":
        Notification.objects.bulk_create(
            [Notification(recipient=user, kind="x", title=f"通知{i}", task=item) for i in range(n)]
        )
        return "/api/notifications/?page_size=200"
    if kind == "measurements":
        indicator, _ = Indicator.objects.get_or_create(task=item, name="一网通办率", baseline_value=0, target_value=100)
        start = date(2000, 1, 31) + timedelta(days=indicator.measurements.count())
        Measurement.objects.bulk_create(
            [
                Measurement(indicator=indicator, period_end=start + timedelta(days=i), value=i, reported_by=handler)
                for i in range(n)
            ]
        )
        return f"/api/indicators/{indicator.pk}/measurements/"
    if kind == "ranking":
        tasks(n, dsj, [], None, deadline=date(2026, 6, 30))  # one lead unit with many items …
        for unit in units(n, city):  # … and many lead units
            tasks(1, unit, [], None, deadline=date(2026, 6, 30))
        return "/api/ranking/?start=2026-01-01&end=2026-12-31"
    per_task_objects(kind, item, n, office, handler, dsj)
    return f"/api/tasks/{item.pk}/{kind}/"


KINDS = [
    "tasks",
    "instructions",
    "notices",
    "feedback",
    "problems",
    "corrections",
    "extensions",
    "evaluations",
    "trace",
    "indicators",
    "measurements",
    "units",
    "units_tree",
    "notifications",
    "ranking",
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("who", ["office", "dsj_handler"])
def test_list_queries_do_not_grow_with_rows(
    kind, who, api, office_user, dsj_handler, dsj, city, major, django_assert_max_num_queries
):
    item = make_task("1.1", lead_unit=dsj)
    client = api[who]
    user = office_user if who == "office" else dsj_handler

    def build(n: int) -> str:
        return grow(kind, n, user=user, office=office_user, handler=dsj_handler, dsj=dsj, city=city, item=item)

    url = build(SMALL)
    client.get(url)  # warm what a running server has cached already (content types, …)
    with django_assert_max_num_queries(MAX_QUERIES):
        small, data = measure(client, url)
    assert size(kind, data) >= SMALL
    build(LARGE - SMALL)
    with django_assert_max_num_queries(MAX_QUERIES):
        large, data = measure(client, url)
    assert size(kind, data) >= (200 if kind == "notifications" else LARGE)

    assert small == large, f"{kind}: {small} queries for {SMALL} rows, {large} for {LARGE}"


def test_a_district_office_lists_its_tasks_in_the_same_queries_at_two_sizes(dsj, jxj, city, major):
    """A scoped office (issue 16) sees the tasks led or shared within its scope; the list's query count
    does not grow with the rows, and the list holds exactly those tasks."""
    from tests.api.conftest import token_client
    from tests.factories import Role, make_unit, make_user

    district = make_unit("测试区", parent=city, level="county")
    street = make_unit("测试街道", parent=district, level="street")
    client = token_client(make_user(Role.OFFICE, unit=district, scope=district, username="district_office"))
    counts, listed = [], []
    for n in (SMALL, LARGE // 5):
        for i in range(Task.objects.filter(parent=major).count(), n):
            make_task(f"1.{i + 1}", lead_unit=street if i % 3 == 0 else dsj, cooperating_units=(jxj,))
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/api/tasks/?page_size=200")
        assert response.status_code == 200
        counts.append(len(captured.captured_queries))
        listed.append(len(response.json()["results"]))
    assert counts[0] == counts[1] and counts[0] <= MAX_QUERIES, counts
    assert listed == [
        len(range(0, SMALL, 3)),
        len(range(0, LARGE // 5, 3)),
    ]  # the street's items only: never 市大数据局's
