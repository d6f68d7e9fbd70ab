"""The trace (留痕): append-only in the database, hash-chained, and verify_trace names the first broken entry."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.db import DatabaseError, transaction

from tasks_app import selectors
from tasks_app.workflow import Status
from tests.factories import make_task
from trail import chain
from trail.models import TraceEntry

from .tamper import triggers_off
from .workflow_helpers import drive

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(dsj, office_user, dsj_handler):
    task = make_task("1", lead_unit=dsj)
    drive(task, Status.CLOSED, office=office_user, unit_user=dsj_handler)
    return task


def _verify_json(capsys) -> tuple[int, dict]:
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_trace", "--json")
        raise SystemExit(0)
    return exit_info.value.code, json.loads(capsys.readouterr().out)


def test_intact_chain_reports_count_and_head(history, capsys):
    code, out = _verify_json(capsys)
    assert code == 0
    assert out["ok"] is True and out["count"] == TraceEntry.objects.count() == 6
    assert out["head_hash"] == TraceEntry.objects.order_by("-seq").first().hash


def test_update_and_delete_are_rejected_by_the_database(history):
    entry = TraceEntry.objects.first()
    with pytest.raises(DatabaseError), transaction.atomic():
        TraceEntry.objects.filter(pk=entry.pk).update(action="task.cancel")
    with pytest.raises(DatabaseError), transaction.atomic():
        TraceEntry.objects.filter(pk=entry.pk).delete()
    assert TraceEntry.objects.get(pk=entry.pk).action == entry.action


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("actor_name", "'冒名者'"),
        ("action", "'task.cancel'"),
        ("from_state", "'draft'"),
        ("to_state", "'closed'"),
        ("object_id", "'999'"),
        ("task_id", "424242"),
        ("created_at", "'2020-01-01 00:00:00'"),
        ("payload", '\'{"grade": "优"}\''),
        ("prev_hash", "'" + "1" * 64 + "'"),
        ("hash", "'" + "2" * 64 + "'"),
    ],
)
def test_tampering_with_any_field_is_detected_and_named(history, capsys, column, value):
    victim = TraceEntry.objects.order_by("seq")[2]
    with triggers_off() as cursor:
        cursor.execute(f"UPDATE tasks_app_traceentry SET {column} = {value} WHERE id = %s", [victim.pk])
    code, out = _verify_json(capsys)
    assert code == 1 and out["ok"] is False
    assert out["broken_id"] == victim.pk or (column == "hash" and out["broken_seq"] == victim.seq + 1)


def test_deleting_a_row_is_detected_and_named(history, capsys):
    victim = TraceEntry.objects.order_by("seq")[3]
    following = TraceEntry.objects.get(seq=victim.seq + 1)
    with triggers_off() as cursor:
        cursor.execute("DELETE FROM tasks_app_traceentry WHERE id = %s", [victim.pk])
    code, out = _verify_json(capsys)
    assert code == 1
    assert out["broken_id"] == following.pk
    assert "序号不连续" in out["reason"]


def test_deleting_the_last_row_is_detected(history, capsys):
    last = TraceEntry.objects.order_by("-seq").first()
    with triggers_off() as cursor:
        cursor.execute("DELETE FROM tasks_app_traceentry WHERE id = %s", [last.pk])
    code, out = _verify_json(capsys)
    assert code == 1 and "链尾缺失" in out["reason"]


def test_human_output_names_the_broken_entry(history, capsys):
    victim = TraceEntry.objects.order_by("seq")[1]
    with triggers_off() as cursor:
        cursor.execute("UPDATE tasks_app_traceentry SET actor_name = 'x' WHERE id = %s", [victim.pk])
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_trace")
    assert exit_info.value.code == 1
    assert f"id={victim.pk}" in capsys.readouterr().out


def test_hash_covers_canonical_json_of_fields_and_previous_hash(history):
    first, second = TraceEntry.objects.order_by("seq")[:2]
    assert first.prev_hash == chain.GENESIS_HASH and second.prev_hash == first.hash
    recomputed = chain.compute_hash(
        seq=second.seq,
        created_at=chain.timestamp(second.created_at),
        actor_id=second.actor_id,
        actor_name=second.actor_name,
        task_id=second.task_id,
        object_type=second.object_type,
        object_id=second.object_id,
        action=second.action,
        from_state=second.from_state,
        to_state=second.to_state,
        payload=second.payload,
        prev_hash=second.prev_hash,
    )
    assert recomputed == second.hash


def test_timeline_reads_like_a_story(history, django_assert_num_queries):
    with django_assert_num_queries(1):
        items = selectors.task_timeline_items(history)
    assert [i.label for i in items] == ["创建任务", "交办", "签收", "报送办结", "审核通过", "评价办结"]
    assert items[1].from_state == "草稿" and items[1].to_state == "已交办"
    assert items[5].summary.startswith("评价等级：优；总分：92")
