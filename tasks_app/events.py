"""The one place that builds trace entries (留痕). Every service step calls ``record`` exactly once.

Each entry's hash is SHA-256 over a canonical JSON of its fields plus the previous entry's hash.
Writers serialise on the single ``TraceHead`` row (``SELECT … FOR UPDATE``), so the chain stays
linear under concurrent writers.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import connection, models, transaction
from django.utils import timezone

from .models import Task, TraceEntry, TraceHead, TraceVerification

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)
GENESIS_HASH = "0" * 64

# Chinese labels for the timeline, one per action recorded anywhere in the product.
ACTION_LABELS: dict[str, str] = {
    "task.create": "创建任务",
    "task.update": "修改任务",
    "task.move": "调整任务层级",
    "task.delete": "删除任务",
    "task.import": "导入任务清单",
    "task.assign": "交办",
    "task.accept": "签收",
    "task.submit_completion": "报送办结",
    "task.request_correction": "退回整改",
    "task.approve": "审核通过",
    "task.evaluate": "评价办结",
    "task.reopen": "重新打开",
    "task.cancel": "撤销",
    "task.progress": "更新进度",
    "task.rag": "亮灯变化",
    "task.share": "授权查看",
    "task.unshare": "撤销授权查看",
    "instruction.issue": "领导批示",
    "instruction.answer": "回复批示",
    "instruction.approve": "批示落实确认",
    "instruction.return": "批示退回重办",
    "notice.issue": "发出督办",
    "notice.lift": "督办销号",
    "feedback.submit": "报送进度",
    "problem.report": "反馈问题",
    "problem.answer": "答复问题",
    "problem.resolve": "问题办结",
    "correction.answer": "反馈整改",
    "extension.request": "申请延期",
    "extension.approve": "同意延期",
    "extension.reject": "驳回延期",
    "indicator.measure": "填报指标",
    "indicator.import": "导入指标数据",
    "indicator.trajectory": "设置指标轨迹",
    "report.missed": "旬报未按时报送",
    "report.request": "申请生成报告",
    "report.retry": "重新生成报告",
    "auth.login": "登录",
    "auth.logout": "退出登录",
    "auth.login_failed": "登录失败",
    "auth.lockout": "账号锁定",
    "user.create": "创建用户",
    "user.reset_password": "重置密码",
}


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, set):
        return sorted(value)
    raise TypeError(f"cannot serialise {type(value).__name__} in a trace payload")


def canonical_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """Round-trip the payload through JSON so what is hashed equals what the database returns."""
    return json.loads(json.dumps(payload, default=_default, ensure_ascii=False))


def compute_hash(
    *,
    seq: int,
    created_at: str,
    actor_id: int | None,
    actor_name: str,
    task_id: int | None,
    object_type: str,
    object_id: str,
    action: str,
    from_state: str,
    to_state: str,
    payload: Any,
    prev_hash: str,
) -> str:
    body = json.dumps(
        [
            seq,
            created_at,
            actor_id,
            actor_name,
            task_id,
            object_type,
            object_id,
            action,
            from_state,
            to_state,
            payload,
            prev_hash,
        ],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _timestamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    task: Task | None = None,
    from_state: str = "",
    to_state: str = "",
    payload: dict[str, Any] | None = None,
) -> TraceEntry:
    """Append one entry to the chain. Must run inside the caller's transaction."""
    if action not in ACTION_LABELS:
        raise ValueError(f"unknown trace action {action!r}")
    if task is None and isinstance(obj, Task):
        task = obj
    data = canonical_payload(payload or {})
    # No savepoint: the entry belongs to the caller's transaction and must commit or roll back with it.
    with transaction.atomic(savepoint=False):
        seq, prev_hash = _claim_seqs(1)
        created_at = timezone.now()
        fields = {
            "seq": seq,
            "created_at": created_at,
            "actor_id": actor.pk if actor is not None and actor.is_authenticated else None,
            "actor_name": (actor.display_name if actor is not None and actor.is_authenticated else "系统"),
            "task_id": task.pk if task is not None else None,
            "object_type": obj._meta.label_lower if obj is not None else "",
            "object_id": str(obj.pk) if obj is not None else "",
            "action": action,
            "from_state": from_state or "",
            "to_state": to_state or "",
            "payload": data,
            "prev_hash": prev_hash,
        }
        digest = compute_hash(**{**fields, "created_at": _timestamp(created_at)})
        entry = TraceEntry(**fields, hash=digest)
        entry.pk = _insert_and_advance(fields, digest)
    return entry


# Every write in the product passes through here, so the chain head is handled in two round trips of
# plain SQL instead of four ORM queries: claim the next number (which also locks the head row until
# commit, serialising writers), then insert the entry and move the head's hash.
_HEAD = TraceHead._meta.db_table
_ENTRY = TraceEntry._meta.db_table
_COLUMNS = (
    "seq",
    "created_at",
    "actor_id",
    "actor_name",
    "task_id",
    "object_type",
    "object_id",
    "action",
    "from_state",
    "to_state",
    "payload",
    "prev_hash",
    "hash",
)


def _placeholders() -> str:
    """One row's parameter markers; PostgreSQL needs the payload cast to jsonb."""
    markers = ["%s"] * len(_COLUMNS)
    if connection.vendor == "postgresql":
        markers[_COLUMNS.index("payload")] = "%s::jsonb"
    return ", ".join(markers)


def _insert_and_advance(fields: dict[str, Any], digest: str) -> int:
    ops = connection.ops
    values = [
        fields["seq"],
        ops.adapt_datetimefield_value(fields["created_at"]),
        fields["actor_id"],
        fields["actor_name"],
        fields["task_id"],
        fields["object_type"],
        fields["object_id"],
        fields["action"],
        fields["from_state"],
        fields["to_state"],
        json.dumps(fields["payload"], ensure_ascii=False),
        fields["prev_hash"],
        digest,
    ]
    columns = ", ".join(_COLUMNS)
    placeholders = _placeholders()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH entry AS (INSERT INTO {_ENTRY} ({columns}) VALUES ({placeholders}) RETURNING id) "
                f"UPDATE {_HEAD} SET hash = %s WHERE id = 1 RETURNING (SELECT id FROM entry)",
                [*values, digest],
            )
            return int(cursor.fetchone()[0])
        cursor.execute(f"INSERT INTO {_ENTRY} ({columns}) VALUES ({placeholders}) RETURNING id", values)
        entry_id = int(cursor.fetchone()[0])
        cursor.execute(f"UPDATE {_HEAD} SET hash = %s WHERE id = 1", [digest])
        return entry_id


@dataclass(frozen=True)
class TraceItem:
    """One entry for :func:`record_many`: the same arguments ``record`` takes, minus the actor."""

    action: str
    obj: models.Model | None = None
    task: Task | None = None
    from_state: str = ""
    to_state: str = ""
    payload: dict[str, Any] | None = None


# Rows per INSERT round trip in ``record_many`` (executemany: one prepared statement, many rows).
RECORD_MANY_BATCH = 5_000


def record_many(*, actor: User | None, items: Sequence[TraceItem]) -> int:
    """Append ``items`` to the chain in order, as ``record`` would one by one; return how many.

    The head is claimed once for the whole run (``seq = seq + n``, which also takes the head's row
    lock until commit), the hashes are chained in memory and the rows go in with ``executemany``, so
    tracing thousands of imported tasks costs a few statements instead of two per entry.
    """
    if not items:
        return 0
    for item in items:
        if item.action not in ACTION_LABELS:
            raise ValueError(f"unknown trace action {item.action!r}")
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    actor_name = actor.display_name if actor is not None and actor.is_authenticated else "系统"
    with transaction.atomic(savepoint=False):
        last_seq, prev_hash = _claim_seqs(len(items))
        created_at = timezone.now()
        stamp = _timestamp(created_at)
        db_created_at = connection.ops.adapt_datetimefield_value(created_at)
        rows: list[list[Any]] = []
        for seq, item in enumerate(items, start=last_seq - len(items) + 1):
            task = item.task if item.task is not None or not isinstance(item.obj, Task) else item.obj
            fields: dict[str, Any] = {
                "seq": seq,
                "actor_id": actor_id,
                "actor_name": actor_name,
                "task_id": task.pk if task is not None else None,
                "object_type": item.obj._meta.label_lower if item.obj is not None else "",
                "object_id": str(item.obj.pk) if item.obj is not None else "",
                "action": item.action,
                "from_state": item.from_state or "",
                "to_state": item.to_state or "",
                "payload": canonical_payload(item.payload or {}),
                "prev_hash": prev_hash,
            }
            digest = compute_hash(**fields, created_at=stamp)
            row = {**fields, "created_at": db_created_at, "hash": digest}
            row["payload"] = json.dumps(fields["payload"], ensure_ascii=False)
            rows.append([row[column] for column in _COLUMNS])
            prev_hash = digest
        sql = f"INSERT INTO {_ENTRY} ({', '.join(_COLUMNS)}) VALUES ({_placeholders()})"
        with connection.cursor() as cursor:
            for start in range(0, len(rows), RECORD_MANY_BATCH):
                cursor.executemany(sql, rows[start : start + RECORD_MANY_BATCH])
            cursor.execute(f"UPDATE {_HEAD} SET hash = %s WHERE id = 1", [prev_hash])
    return len(items)


def _claim_seqs(count: int) -> tuple[int, str]:
    """Reserve ``count`` sequence numbers; return the last one and the hash the first must chain to."""
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {_HEAD} SET seq = seq + %s WHERE id = 1 RETURNING seq, hash", [count])
        row = cursor.fetchone()
    if row is None:  # a database that lost its migration-made head row (e.g. after a test flush)
        TraceHead.objects.get_or_create(pk=1)
        return _claim_seqs(count)
    return int(row[0]), str(row[1])


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    count: int
    head_hash: str
    broken_id: int | None = None
    broken_seq: int | None = None
    reason: str = ""


VERIFY_FIELDS = (
    "id",
    "seq",
    "created_at",
    "actor_id",
    "actor_name",
    "task_id",
    "object_type",
    "object_id",
    "action",
    "from_state",
    "to_state",
    "payload",
    "prev_hash",
    "hash",
)


def _iter_entries(chunk: int = 20_000) -> Iterator[tuple[Any, ...]]:
    """Stream the chain in ``seq`` order with keyset pagination (constant memory, one index scan)."""
    last = -1
    while True:
        rows = list(TraceEntry.objects.filter(seq__gt=last).order_by("seq").values_list(*VERIFY_FIELDS)[:chunk])
        if not rows:
            return
        yield from rows
        last = rows[-1][1]


def verify_chain() -> VerifyResult:
    """Walk the chain from the genesis and return the first broken link, if any."""
    prev_hash = GENESIS_HASH
    expected_seq = 1
    count = 0
    for row in _iter_entries():
        (
            pk,
            seq,
            created_at,
            actor_id,
            actor_name,
            task_id,
            object_type,
            object_id,
            action,
            from_state,
            to_state,
            payload,
            stored_prev,
            stored_hash,
        ) = row
        if seq != expected_seq:
            return VerifyResult(
                False, count, prev_hash, pk, seq, f"序号不连续：应为 {expected_seq}，实为 {seq}（此前的记录被删除）"
            )
        if stored_prev != prev_hash:
            return VerifyResult(False, count, prev_hash, pk, seq, "前序哈希与上一条记录不符")
        digest = compute_hash(
            seq=seq,
            created_at=_timestamp(created_at),
            actor_id=actor_id,
            actor_name=actor_name,
            task_id=task_id,
            object_type=object_type,
            object_id=object_id,
            action=action,
            from_state=from_state,
            to_state=to_state,
            payload=payload,
            prev_hash=stored_prev,
        )
        if digest != stored_hash:
            return VerifyResult(False, count, prev_hash, pk, seq, "记录内容与其哈希不符（已被篡改）")
        prev_hash = stored_hash
        expected_seq += 1
        count += 1
    head = TraceHead.objects.filter(pk=1).values_list("seq", "hash").first()
    if head is not None and head[0] != count:
        return VerifyResult(
            False, count, prev_hash, None, head[0], f"链尾缺失：链头记录序号 {head[0]}，实际只有 {count} 条"
        )
    return VerifyResult(True, count, prev_hash)


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def verify_and_record(source: str) -> VerifyResult:
    """Walk the chain and keep the outcome (``TraceVerification``), for the readiness report and auditors."""
    started_at = timezone.now()
    started = time.perf_counter()
    result = verify_chain()
    TraceVerification.objects.create(
        source=source,
        started_at=started_at,
        seconds=round(time.perf_counter() - started, 3),
        ok=result.ok,
        count=result.count,
        head_hash=result.head_hash or "",
        broken_seq=result.broken_seq,
        reason=result.reason,
    )
    if not result.ok:
        logger.critical("trace chain broken at seq %s: %s", result.broken_seq, result.reason)
    return result
