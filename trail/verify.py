"""Walking the chain: recompute every hash from the genesis and name the first entry that disagrees."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from .chain import COLUMNS, GENESIS_HASH, compute_hash, timestamp
from .models import TraceEntry, TraceHead, TraceVerification

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    count: int
    head_hash: str
    broken_id: int | None = None
    broken_seq: int | None = None
    reason: str = ""


VERIFY_FIELDS = ("id", *COLUMNS)


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
            created_at=timestamp(created_at),
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
