"""Reports: request, retry and build; who may see which report.

Access (decided here, used by the page, the download and the command):

- leaders, the supervision office and auditors see and download every report;
- unit admins see and download only reports scoped to their own unit subtree (``unit:<id>`` of their
  unit or a unit below it, or ``task:<code>`` of a task their subtree leads) — never programme or
  domain reports, which rank other units;
- everyone else (unit handlers, users without a role) sees none: the page and downloads answer 404.

Requesting a report: the office and leaders for any scope; unit admins for the scopes they may see.
Auditors read only. Every request and retry is traced; the build runs in Celery after commit.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING

from django.core.files.base import ContentFile
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F, Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from reform.errors import DomainError, InvalidTransition, NotFound, PermissionDenied, ValidationError
from reform.jobs import enqueue_on_commit
from reform.periods import Period
from reform.roles import Role
from tasks_app.models import Programme
from tasks_app.selectors.programmes import default_programme, home_programme

from . import events
from .builders import Spec, gather, title_for
from .models import Report
from .params import Scope, parse_period, parse_scope, period_value
from .rendering import render_html, render_pdf

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

READ_ALL_ROLES = frozenset({Role.LEADER, Role.OFFICE, Role.AUDITOR})
REQUEST_ALL_ROLES = frozenset({Role.LEADER, Role.OFFICE})
# Without PostgreSQL (no advisory locks) a build still "running" after this long is taken to be lost with its
# worker, and a redelivered message may take it over. On PostgreSQL the build lock below says so at once.
STALE_AFTER = timedelta(minutes=15)
# Namespace (first key) of the advisory locks held while a report builds; the second key is the report id.
BUILD_LOCK_NAMESPACE = 7301


def reports_visible_to(user: User) -> QuerySet[Report]:
    qs = Report.objects.select_related("created_by")
    if not user.is_authenticated:
        return qs.none()
    if user.governs_all:
        return qs
    jurisdiction = user.jurisdiction if user.role in READ_ALL_ROLES or user.role == Role.UNIT_ADMIN else None
    if jurisdiction is not None:
        return qs.filter(~Q(unit_path=""), unit_path__startswith=jurisdiction.path)
    return qs.none()


def may_use_reports(user: User) -> bool:
    if not user.is_authenticated:
        return False
    if user.role in READ_ALL_ROLES:
        return user.governs_all or user.jurisdiction is not None
    return user.role == Role.UNIT_ADMIN and user.unit is not None


def get_visible_report(user: User, report_id: int) -> Report:
    report = reports_visible_to(user).filter(pk=report_id).first()
    if report is None:
        raise NotFound(_("报告不存在或无权访问"))
    return report


def _check_scope(actor: User, scope: Scope) -> None:
    if actor.role in REQUEST_ALL_ROLES and actor.governs_all:
        return
    jurisdiction = actor.jurisdiction
    if actor.role in (*REQUEST_ALL_ROLES, Role.UNIT_ADMIN) and jurisdiction is not None:
        if scope.unit_path and scope.unit_path.startswith(jurisdiction.path):
            return
        if actor.role == Role.UNIT_ADMIN:
            raise PermissionDenied(_("单位管理员只能生成本单位及下属单位范围的报告"))
        raise PermissionDenied(_("只能生成本辖区（%(unit)s）范围的报告") % {"unit": jurisdiction.name})
    raise PermissionDenied(_("您的角色无权生成报告"))


def _next_issue_no(kind: str, year: int) -> int:
    last = Report.objects.filter(kind=kind, year=year).aggregate(n=Max("issue_no"))["n"]
    return (last or 0) + 1


def report_request(
    *, actor: User, kind: str, scope: str | None, period: str | None = None, programme: Programme | None = None
) -> Report:
    """Queue a report (督查通报 / 旬报汇总 / 月报 / 任务档案); the build runs in Celery once this commits."""
    if not may_use_reports(actor) or actor.role == Role.AUDITOR:
        raise PermissionDenied(_("您的角色无权生成报告"))
    return queue_report(actor=actor, kind=kind, scope=scope, period=period, programme=programme)


def queue_report(
    *,
    actor: User | None,
    kind: str,
    scope: str | None,
    period: str | None = None,
    schedule: bool = True,
    programme: Programme | None = None,
) -> Report:
    """Validate the parameters, number the issue, record and trace the request; ``actor=None`` is the command.

    ``programme``: the programme the report covers (default: the actor's own, or the default one)."""
    if kind not in Report.Kind.values:
        raise ValidationError(_("请选择报告类型"), fields={"kind": [_("无效")]})
    programme = programme or (home_programme(actor) if actor is not None else default_programme())
    parsed = parse_scope(scope, programme)
    if kind == Report.Kind.DOSSIER and parsed.kind != "task":
        raise ValidationError(_("任务档案须指定任务，例如 task:1.2"), fields={"scope": [_("须为任务")]})
    if actor is not None:
        _check_scope(actor, parsed)
    today = timezone.localdate()
    span = parse_period(period, kind=kind, today=today)
    title = title_for(kind, parsed, span)
    parameters = {
        "kind": kind,
        "programme": programme.name,
        "scope": parsed.value,
        "period": period_value(span),
        "period_kind": span.kind,
    }
    for attempt in range(5):
        try:
            with transaction.atomic():
                report = Report.objects.create(
                    kind=kind,
                    programme=programme,
                    scope=parsed.value,
                    scope_label=parsed.label,
                    unit_path=parsed.unit_path,
                    period=period_value(span),
                    period_label=span.label,
                    period_start=span.start,
                    period_end=span.end,
                    year=today.year,
                    issue_no=_next_issue_no(kind, today.year),
                    title=title[:300],
                    parameters=parameters,
                    created_by=actor,
                )
                events.REPORT_REQUESTED(
                    actor=actor,
                    obj=report,
                    to_state=report.status,
                    payload={"title": report.title, "issue": report.issue_label, **parameters},
                )
                if schedule:
                    _schedule(report.pk)
            return report
        except IntegrityError:
            if attempt == 4:  # the same issue number was taken five times in a row: give up loudly
                raise
    raise AssertionError("unreachable")


def report_retry(*, actor: User, report: Report) -> Report:
    """Queue a failed report again (same issue number and parameters)."""
    report = get_visible_report(actor, report.pk)
    if actor.role == Role.AUDITOR:
        raise PermissionDenied(_("您的角色无权生成报告"))
    _check_scope(actor, parse_scope(report.scope, report_programme(report)))
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        if report.status != Report.Status.FAILED:
            raise InvalidTransition(
                _("只有生成失败的报告可以重新生成（当前状态：%(s)s）") % {"s": report.get_status_display()}
            )
        report.status = Report.Status.QUEUED
        report.save(update_fields=["status"])
        events.REPORT_RETRIED(
            actor=actor,
            obj=report,
            from_state=Report.Status.FAILED,
            to_state=report.status,
            payload={"title": report.title, "issue": report.issue_label, "last_error": report.error[:500]},
        )
        _schedule(report.pk)
    return report


def _schedule(report_id: int) -> None:
    enqueue_on_commit("reports.tasks.build_report", report_id)


def report_programme(report: Report) -> Programme:
    """The programme a report covers (reports made before programmes existed: the default one)."""
    return report.programme or default_programme()


def spec_for(report: Report) -> Spec:
    scope = parse_scope(report.scope, report_programme(report))
    kind = report.parameters.get("period_kind", "tenday")
    assert report.period_start is not None and report.period_end is not None
    return Spec(
        kind=report.kind,
        scope=scope,
        period=Period(report.period_start, report.period_end, kind),
        year=report.year,
        issue_no=report.issue_no,
        today=timezone.localdate(),
        report_id=report.pk,
    )


@contextmanager
def _build_lock(report_id: int) -> Iterator[bool | None]:
    """Hold a session advisory lock for the build; yield whether we got it (``None``: not on PostgreSQL).

    PostgreSQL drops the lock the moment the builder's connection goes, so a message redelivered after
    its worker was killed finds a "running" report whose lock is free and knows the build was lost,
    while a live build elsewhere still holds it.
    """
    if connection.vendor != "postgresql":
        yield None
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [BUILD_LOCK_NAMESPACE, report_id])
        locked = bool(cursor.fetchone()[0])
    try:
        yield locked
    finally:
        if locked:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [BUILD_LOCK_NAMESPACE, report_id])
            except DatabaseError:  # the connection is gone, and the lock with it
                logger.warning("report %s: build lock not released explicitly", report_id, exc_info=True)


def _claim(report_id: int, *, builder_lost: bool) -> bool:
    now = timezone.now()
    claimed = Report.objects.filter(pk=report_id, status=Report.Status.QUEUED).update(
        status=Report.Status.RUNNING, started_at=now, finished_at=None, attempts=F("attempts") + 1
    )
    if claimed:
        return True
    # A message redelivered after its worker died (acks_late) takes over a build that was lost.
    running = Report.objects.filter(pk=report_id, status=Report.Status.RUNNING)
    if not builder_lost:
        running = running.filter(started_at__lt=now - STALE_AFTER)
    return bool(running.update(started_at=now, attempts=F("attempts") + 1))


def report_build(report_id: int) -> Report | None:
    """Build a queued report: gather → HTML → PDF → file. A failure is recorded on the report, never raised.

    Safe to run twice and to redeliver: a done or failed report is left alone, a build running in a live
    worker is left to it, and a build lost with a killed worker is taken over and finishes once.
    """
    with _build_lock(report_id) as locked:
        if locked is False or not _claim(report_id, builder_lost=bool(locked)):
            return Report.objects.filter(pk=report_id).first()  # done, failed, or another worker has it
        return _build(report_id)


def _build(report_id: int) -> Report:
    report = Report.objects.get(pk=report_id)
    timings: dict[str, float] = {}
    try:
        started = time.perf_counter()
        data = gather(spec_for(report))
        timings["gather"] = round(time.perf_counter() - started, 3)
        started = time.perf_counter()
        html = render_html(data)
        timings["template"] = round(time.perf_counter() - started, 3)
        rendered = render_pdf(html)
        timings.update(rendered.timings)
        started = time.perf_counter()
        if report.file:
            report.file.delete(save=False)
        report.file.save(f"{report.pk}.pdf", ContentFile(rendered.pdf), save=False)
        timings["store"] = round(time.perf_counter() - started, 3)
        trace = data["trace"]
        Report.objects.filter(pk=report.pk).update(
            status=Report.Status.DONE,
            error="",
            file=report.file.name,
            file_size=len(rendered.pdf),
            sha256=hashlib.sha256(rendered.pdf).hexdigest(),
            page_count=rendered.pages,
            trace_first_seq=trace["first"],
            trace_last_seq=trace["last"],
            chain_hash=trace["hash"],
            timings=timings,
            finished_at=timezone.now(),
        )
    except Exception as exc:  # noqa: BLE001 - any failure is recorded for the office and can be retried
        logger.exception("report %s failed", report_id)
        message = exc.message if isinstance(exc, DomainError) else f"{type(exc).__name__}: {exc}"
        Report.objects.filter(pk=report.pk).update(
            status=Report.Status.FAILED,
            error=_("报告生成失败：%(m)s") % {"m": message[:1900]},
            timings=timings,
            finished_at=timezone.now(),
        )
    return Report.objects.get(pk=report_id)
