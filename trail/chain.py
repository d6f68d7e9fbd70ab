"""Appending to the hash chain: the one place that writes trace rows (entries are built by event types).

Each entry's hash is SHA-256 over a canonical JSON of its fields plus the previous entry's hash.
Writers serialise on the single ``TraceHead`` row (``UPDATE … RETURNING`` takes its row lock until
commit), so the chain stays linear under concurrent writers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Protocol

from django.db import connection, models, transaction
from django.utils import timezone

from .models import TraceEntry, TraceHead

GENESIS_HASH = "0" * 64
SYSTEM_ACTOR = "系统"


class Actor(Protocol):
    """Who acted: an account (the trace keeps its id and the name it had then)."""

    @property
    def pk(self) -> Any: ...

    @property
    def is_authenticated(self) -> bool: ...

    @property
    def display_name(self) -> str: ...


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


def actor_id(actor: Actor | None) -> int | None:
    return actor.pk if actor is not None and actor.is_authenticated else None


def actor_name(actor: Actor | None) -> str:
    return actor.display_name if actor is not None and actor.is_authenticated else SYSTEM_ACTOR


def timestamp(value: datetime) -> str:
    """The instant as it is hashed: UTC with microseconds, whatever the database returns."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def append(
    *,
    actor: Actor | None,
    action: str,
    obj: models.Model | None = None,
    task: models.Model | None = None,
    from_state: str = "",
    to_state: str = "",
    payload: dict[str, Any] | None = None,
) -> TraceEntry:
    """Append one entry to the chain. Must run inside the caller's transaction.

    Callers are the event types of ``trail.events`` (one per action); nothing else appends.
    """
    data = canonical_payload(payload or {})
    # No savepoint: the entry belongs to the caller's transaction and must commit or roll back with it.
    with transaction.atomic(savepoint=False):
        seq, prev_hash = _claim_seqs(1)
        created_at = timezone.now()
        fields: dict[str, Any] = {
            "seq": seq,
            "created_at": created_at,
            "actor_id": actor_id(actor),
            "actor_name": actor_name(actor),
            "task_id": task.pk if task is not None else None,
            "object_type": obj._meta.label_lower if obj is not None else "",
            "object_id": str(obj.pk) if obj is not None else "",
            "action": action,
            "from_state": from_state or "",
            "to_state": to_state or "",
            "payload": data,
            "prev_hash": prev_hash,
        }
        digest = compute_hash(**{**fields, "created_at": timestamp(created_at)})
        entry = TraceEntry(**fields, hash=digest)
        entry.pk = _insert_and_advance(fields, digest)
    return entry


# Every write in the product passes through here, so the chain head is handled in two round trips of
# plain SQL instead of four ORM queries: claim the next number (which also locks the head row until
# commit, serialising writers), then insert the entry and move the head's hash.
_HEAD = TraceHead._meta.db_table
_ENTRY = TraceEntry._meta.db_table
# The entry's columns in the order they are written (and hashed, with ``created_at`` as its timestamp).
COLUMNS = (
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
    markers = ["%s"] * len(COLUMNS)
    if connection.vendor == "postgresql":
        markers[COLUMNS.index("payload")] = "%s::jsonb"
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
    columns = ", ".join(COLUMNS)
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
    """One entry for :func:`append_many`: the same arguments ``append`` takes, minus the actor."""

    action: str
    obj: models.Model | None = None
    task: models.Model | None = None
    from_state: str = ""
    to_state: str = ""
    payload: dict[str, Any] | None = None


# Rows per INSERT round trip in ``append_many`` (executemany: one prepared statement, many rows).
RECORD_MANY_BATCH = 5_000


def append_many(*, actor: Actor | None, items: Sequence[TraceItem]) -> int:
    """Append ``items`` to the chain in order, as ``append`` would one by one; return how many.

    The head is claimed once for the whole run (``seq = seq + n``, which also takes the head's row
    lock until commit), the hashes are chained in memory and the rows go in with ``executemany``, so
    tracing thousands of imported tasks costs a few statements instead of two per entry.
    """
    if not items:
        return 0
    who_id, who_name = actor_id(actor), actor_name(actor)
    with transaction.atomic(savepoint=False):
        last_seq, prev_hash = _claim_seqs(len(items))
        created_at = timezone.now()
        stamp = timestamp(created_at)
        db_created_at = connection.ops.adapt_datetimefield_value(created_at)
        rows: list[list[Any]] = []
        for seq, item in enumerate(items, start=last_seq - len(items) + 1):
            fields: dict[str, Any] = {
                "seq": seq,
                "actor_id": who_id,
                "actor_name": who_name,
                "task_id": item.task.pk if item.task is not None else None,
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
            rows.append([row[column] for column in COLUMNS])
            prev_hash = digest
        sql = f"INSERT INTO {_ENTRY} ({', '.join(COLUMNS)}) VALUES ({_placeholders()})"
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
