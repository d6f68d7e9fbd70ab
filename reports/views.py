"""The /reports/ page: request a report, follow its status, download it, retry a failed one. Thin views."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from orgs.models import OrgUnit
from reform.errors import DomainError, NotFound, PermissionDenied
from reform.periods import last_periods
from reform.roles import Role
from tasks_app.models import Domain
from tasks_app.selectors.programmes import all_programmes, home_programme, programme_from

from . import services
from .models import Report
from .params import period_value

LIST_SIZE = 50


def _require_access(request: HttpRequest) -> None:
    if not services.may_use_reports(request.user):
        raise Http404("报告不存在或无权访问")


def _list_context(request: HttpRequest) -> dict[str, object]:
    reports = list(services.reports_visible_to(request.user)[:LIST_SIZE])
    return {
        "reports": reports,
        "pending": any(r.status in (Report.Status.QUEUED, Report.Status.RUNNING) for r in reports),
        "can_request": request.user.role != Role.AUDITOR,
    }


def _form_context(request: HttpRequest) -> dict[str, object]:
    user = request.user
    today = timezone.localdate()
    programmes = all_programmes()
    home = home_programme(user, programmes)
    if user.role == Role.UNIT_ADMIN:
        units = OrgUnit.objects.filter(path__startswith=user.unit.path) if user.unit else OrgUnit.objects.none()
        domains = Domain.objects.none()
    else:
        units = OrgUnit.objects.all()
        domains = Domain.objects.filter(programme=home)
    periods = [(period_value(p), p.label) for p in reversed(last_periods(today, 6))]
    periods += [(period_value(p), p.label) for p in reversed(last_periods(today, 3, "month"))]
    return {
        "kinds": Report.Kind.choices,
        "domains": domains.order_by("order"),
        "units": units.order_by("path"),
        "periods": periods,
        "is_unit_admin": user.role == Role.UNIT_ADMIN,
        "programmes": programmes if len(programmes) > 1 else [],
        "home_programme": home,
    }


@login_required
@require_http_methods(["GET", "POST"])
def reports_page(request: HttpRequest) -> HttpResponse:
    _require_access(request)
    form = {"kind": Report.Kind.BULLETIN, "scope": "programme", "task": "", "period": "", "programme": ""}
    error = None
    if request.method == "POST":
        form = {key: request.POST.get(key, "").strip() for key in form}
        scope = f"task:{form['task']}" if form["task"] else form["scope"]
        try:
            report = services.report_request(
                actor=request.user,
                kind=form["kind"],
                scope=scope,
                period=form["period"],
                programme=programme_from(form, request.user),
            )
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, f"已提交生成“{report.title}”（{report.doc_number}），请稍候。")
            return redirect("reports:page")
    context = {**_list_context(request), **_form_context(request), "form": form, "error": error}
    return render(request, "reports/page.html", context, status=error.http_status if error else 200)


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    """The list alone, polled by the page while a report is queued or running."""
    _require_access(request)
    return render(request, "reports/_list.html", _list_context(request))


@login_required
def report_download(request: HttpRequest, report_id: int) -> FileResponse:
    try:
        report = services.get_visible_report(request.user, report_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if report.status != Report.Status.DONE or not report.file:
        raise Http404("报告尚未生成")
    response = FileResponse(
        report.file.open("rb"), as_attachment=True, filename=report.download_name, content_type="application/pdf"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def report_retry(request: HttpRequest, report_id: int) -> HttpResponse:
    try:
        report = services.get_visible_report(request.user, report_id)
        services.report_retry(actor=request.user, report=report)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except PermissionDenied as exc:  # a role that may not generate reports (the auditor): 403, not a message
        raise DjangoPermissionDenied(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已重新提交生成“{report.title}”。")
    return redirect("reports:page")
