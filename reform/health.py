"""Liveness and readiness probes for load balancers and orchestrators.

``/healthz`` answers whether the process serves HTTP at all and touches nothing else, so a slow
database never gets web processes restarted. ``/readyz`` answers whether this instance can do
useful work: the database answers ``SELECT 1``, the broker accepts a connection (when one is
configured) and the trace chain head is readable; it also reports the latest walk of the whole
chain (nightly ``verify_trace_nightly`` or ``manage.py verify_trace``) and names in ``warnings`` a
broken, stale or never-verified chain. Neither needs a login; both are exempt from the
HTTPS redirect (``SECURE_REDIRECT_EXEMPT``) so a plain-HTTP probe inside the network works.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from trail.selectors import head_seq, latest_verification

from .celery import app as celery_app

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2.0


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process is up and serving requests. No database, broker or cache access."""
    return JsonResponse({"status": "ok"})


def _timed(check: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        result = {"ok": True, **check()}
    except Exception as exc:  # a probe reports every failure as "not ready", whatever its type
        logger.warning("readiness check %s failed", check.__name__, exc_info=True)
        result = {"ok": False, "error": type(exc).__name__}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def _database(alias: str) -> Callable[[], dict[str, Any]]:
    def check() -> dict[str, Any]:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {}

    check.__name__ = alias
    return check


def broker_configured() -> bool:
    """Whether tasks go to a real broker (``CELERY_BROKER_URL`` set) rather than running in-process."""
    return not settings.CELERY_BROKER_URL.startswith("memory://")


def _broker() -> dict[str, Any]:
    with celery_app.connection_for_write(url=settings.CELERY_BROKER_URL) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT_SECONDS)
        return {"transport": conn.transport_cls}


def _trace() -> dict[str, Any]:
    head = head_seq(using="default")
    if head is None:
        raise LookupError("trace head row missing")
    last = latest_verification(using="default")
    verification = None
    if last is not None:
        age = timezone.now() - last.started_at
        verification = {
            "at": last.started_at.isoformat(),
            "stale": age > timedelta(hours=settings.TRACE_VERIFY_MAX_AGE_HOURS),
            "source": last.source,
            "ok": last.ok,
            "entries": last.count,
            "broken_seq": last.broken_seq,
            "seconds": last.seconds,
        }
    return {"seq": head, "verification": verification}


def trace_warnings(trace: dict[str, Any]) -> list[str]:
    """What the audit should hear about the chain, without taking the instance out of service.

    A broken chain is evidence to preserve and investigate, not a reason to stop serving: the probe
    stays 200 and names it, for the alerting on ``warnings``.
    """
    if not trace.get("ok"):
        return []
    verification = trace.get("verification")
    if verification is None:
        return ["trace_never_verified"]
    warnings = [] if verification["ok"] else ["trace_chain_broken"]
    if verification["stale"]:
        warnings.append("trace_verification_stale")
    return warnings


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when every dependency answers, else 503 naming the failing components."""
    checks: dict[str, dict[str, Any]] = {"database": _timed(_database("default"))}
    if "replica" in settings.DATABASES:
        checks["replica"] = _timed(_database("replica"))
    if broker_configured():
        checks["broker"] = _timed(_broker)
    else:
        checks["broker"] = {"ok": True, "skipped": "no CELERY_BROKER_URL: tasks run in-process"}
    if checks["database"]["ok"]:
        checks["trace"] = _timed(_trace)
    else:
        checks["trace"] = {"ok": False, "error": "database unavailable"}
    failing = [name for name, result in checks.items() if not result["ok"]]
    body = {
        "status": "unavailable" if failing else "ok",
        "failing": failing,
        "warnings": trace_warnings(checks["trace"]),
        "checks": checks,
    }
    return JsonResponse(body, status=503 if failing else 200)
