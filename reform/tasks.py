"""Project-level Celery tasks: a ping that proves a real worker takes tasks and returns results."""

from __future__ import annotations

import os
import socket

from celery import shared_task


@shared_task(name="reform.tasks.ping")
def ping(token: str) -> dict[str, object]:
    """Echo ``token`` with where it ran, so a caller can tell a real worker from an eager call."""
    return {"pong": token, "host": socket.gethostname(), "pid": os.getpid()}
