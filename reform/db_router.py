"""Read replica routing that is opt-in per block of code, never implicit.

When ``DATABASE_REPLICA_URL`` is set, settings add a ``replica`` alias. Reads go to it only inside
``with use_replica():`` — used by read-heavy selectors (cockpit, reports) that tolerate a few
seconds of replication lag. Everything else, every write and every read inside a transaction on
the primary, uses ``default``, so a request never reads its own write from a lagging replica.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import connections

REPLICA = "replica"
PRIMARY = "default"

_replica_reads: ContextVar[bool] = ContextVar("replica_reads", default=False)


@contextmanager
def use_replica() -> Iterator[None]:
    """Send ORM reads inside the block to the replica, when one is configured."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


class ReplicaRouter:
    """Route reads to ``replica`` only inside ``use_replica()``; everything else to ``default``."""

    def db_for_read(self, model: type, **hints: Any) -> str | None:
        if not _replica_reads.get() or not replica_configured():
            return None
        # Inside a transaction on the primary the block may already have written: read it there.
        if connections[PRIMARY].in_atomic_block:
            return PRIMARY
        return REPLICA

    def db_for_write(self, model: type, **hints: Any) -> str | None:
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # Both aliases hold the same data: objects read from the replica may be related to primary ones.
        return True

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool | None:
        # The replica follows the primary by replication; it is never migrated directly.
        return db != REPLICA
