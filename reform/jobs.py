"""Queue background work by its Celery task name, so services never import the task modules.

A service schedules a job (usually from ``transaction.on_commit``) with ``enqueue("app.tasks.name",
…)``; the task module imports the service it adapts. Naming the task instead of importing it keeps
the import graph one-way (``tasks → services``). ``tests/reform/test_jobs.py`` checks that every
name enqueued anywhere in the code is a registered task.

A broker outage never fails the request whose data already committed: the message is dropped with
a warning, and each job has a periodic sweep that finds what was not delivered.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue(name: str, *args: Any) -> None:
    """Send the registered Celery task ``name`` (run in-process when Celery is eager)."""
    tasks = current_app.tasks
    if name not in tasks:
        # Celery discovers the apps' ``tasks`` modules lazily; import them before the first lookup.
        current_app.loader.import_default_modules()
    task = tasks[name]
    try:
        task.delay(*args)
    except Exception:  # noqa: BLE001 - kombu raises many transport errors; all mean "try later"
        logger.warning("broker unavailable: %s deferred to its periodic sweep", name, exc_info=True)


def enqueue_on_commit(name: str, *args: Any) -> None:
    """``enqueue`` once the current transaction commits (at once outside a transaction)."""
    transaction.on_commit(lambda: enqueue(name, *args), robust=True)
