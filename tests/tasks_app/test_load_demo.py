"""`manage.py load_demo` builds the whole demo through the services and is idempotent."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from accounts.models import User
from tasks_app.access import responsible_q, visible_tasks
from tasks_app.models import (
    CorrectionOrder,
    Evaluation,
    ExtensionRequest,
    Feedback,
    Instruction,
    Notice,
    ProblemReport,
    Programme,
    Task,
    TaskShare,
)
from tasks_app.selectors.programmes import default_programme, home_programme
from tasks_app.workflow import Status
from trail.models import TraceEntry, TraceVerification
from trail.verify import verify_chain

pytestmark = pytest.mark.django_db


def test_load_demo_builds_the_whole_loop_and_is_idempotent():
    """One build (it takes a few seconds), then every promise of the demo, then a second run."""
    call_command("load_demo", verbosity=0)

    states = Counter(Task.objects.values_list("status", flat=True))
    assert set(states) == set(Status.values), states
    assert TraceEntry.objects.count() >= 200
    assert Task.objects.filter(lead_unit__name="市大数据局", status=Status.ASSIGNED).exists()
    result = verify_chain()
    assert result.ok and result.count == TraceEntry.objects.count()
    verification = TraceVerification.objects.get()  # recorded by load_demo, shown by /readyz
    assert verification.ok and verification.count == result.count

    instruction_states = set(Instruction.objects.values_list("state", flat=True))
    assert {Instruction.State.APPROVED, Instruction.State.ISSUED, Instruction.State.RETURNED} <= instruction_states
    assert set(Notice.objects.values_list("level", flat=True)) == set(Notice.Level.values)
    assert Notice.objects.filter(level=Notice.Level.LISTED, state=Notice.State.OPEN).exists()
    assert Notice.objects.filter(level=Notice.Level.LISTED, state=Notice.State.LIFTED).exists()
    assert Feedback.objects.filter(kind=Feedback.Kind.TENDAY).count() > 50
    assert Feedback.objects.filter(on_time=False).exists()
    assert CorrectionOrder.objects.filter(state=CorrectionOrder.State.ANSWERED).exists()
    assert {ExtensionRequest.State.APPROVED, ExtensionRequest.State.REJECTED} <= set(
        ExtensionRequest.objects.values_list("state", flat=True)
    )
    assert Evaluation.objects.exists()
    assert ProblemReport.objects.filter(state=ProblemReport.State.RESOLVED).exists()

    # The second level: 东城区 and its streets run the same loop.
    parts = Task.objects.filter(parent__code="8.2.1").order_by("code")
    assert [(t.lead_unit.name, t.created_by.username) for t in parts] == [
        ("东华街道", "dcq_admin"),
        ("东湖街道", "dcq_admin"),
    ]
    assert parts[0].status == Status.EVALUATING  # reported, signed off by the street's head, approved
    east_actions = set(TraceEntry.objects.filter(task=parts[0]).values_list("action", flat=True))
    assert {"task.hand_down", "task.submit_for_signoff", "task.signoff", "task.approve"} <= east_actions
    split = TraceEntry.objects.filter(action="task.reassign").get().task.parent
    reassigned = Task.objects.get(code=f"{split.code}.1")
    assert reassigned.lead_unit.name == "东华街道"
    assert {"task.decline", "task.reassign"} <= set(
        TraceEntry.objects.filter(task=reassigned).values_list("action", flat=True)
    )
    assert Task.objects.get(code=f"{split.code}.3").status == Status.RETURNED
    assert Task.objects.get(code="8.2.1").leader_in_charge.username == "dcq_leader"
    light = TaskShare.objects.get(unit__name="西湖区").task
    shares = dict(TaskShare.objects.filter(task=light).values_list("unit__name", "state"))
    assert shares == {"东城区": "done", "西湖区": "open", "南江区": "open"}
    assert any(r["rule"] == "share_overdue" and r["unit"] == "西湖区" for r in light.rag_rules), light.rag_rules
    # 东城区's own programme: its own domains and codes, run by its office.
    district = Programme.objects.get(owner__name="东城区")
    assert list(district.domains.values_list("name", flat=True)) == ["基层智治", "民生服务", "数字产业"]
    assert Task.objects.filter(programme=district, code="1").exists()  # "1" exists in the city's list too
    assert Task.objects.filter(code="1").count() == 2
    district_office = User.objects.get(username="dcq_duchashi")
    assert home_programme(district_office) == district
    assert home_programme(User.objects.get(username="duchashi")) == default_programme()
    assert district_office.role_label == "东城区督查室"
    seen = visible_tasks(district_office)
    assert seen.exists() and not seen.exclude(responsible_q(district_office.scope)).exists()

    before = (Task.objects.count(), TraceEntry.objects.count())
    call_command("load_demo", verbosity=0)
    assert (Task.objects.count(), TraceEntry.objects.count()) == before


@override_settings(SETTINGS_MODULE="reform.settings.production")
def test_load_demo_refuses_production():
    with pytest.raises(CommandError, match="生产环境禁止载入演示数据"):
        call_command("load_demo")
