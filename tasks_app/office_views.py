"""The supervision office's pages (督办工作台): the work queue, bulk assignment, task-list import and export."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files import File
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from . import access, forms, services
from .models import Programme
from .selectors.programmes import programme_from
from .selectors.task_list import draft_tasks
from .selectors.work_queue import work_queue
from .tasklist.export import tasklist_export
from .tasklist.importer import tasklist_import
from .tasklist.schema import COLUMNS, REQUIRED, SHEETS
from .views import web_errors

IMPORT_SESSION_KEY = "pending_imports"
IMPORT_MAX_AGE_SECONDS = 24 * 3600


def _require_office(request: HttpRequest) -> None:
    access.USE_OFFICE_DESK.check_role(request.user)


@login_required
@web_errors
def office_queue(request: HttpRequest) -> HttpResponse:
    _require_office(request)
    today = timezone.localdate()
    queue = work_queue(user=request.user, today=today)
    return render(request, "office/queue.html", {"q": queue, "today": today})


# --- Bulk assignment ----------------------------------------------------------------------------


@login_required
@web_errors
@require_http_methods(["GET", "POST"])
def bulk_assign(request: HttpRequest) -> HttpResponse:
    """List drafted tasks with checkboxes; POST assigns each chosen one and reports every result."""
    _require_office(request)
    if request.method == "POST":
        ids = [int(v) for v in request.POST.getlist("task") if v.isascii() and v.isdigit() and len(v) < 19]
        if not ids:
            messages.error(request, _("请至少勾选一项任务"))
            return redirect("office-assign")
        results = services.tasks_assign(actor=request.user, task_ids=ids, comment=request.POST.get("comment", ""))
        succeeded = sum(1 for r in results if r.ok)
        return render(
            request,
            "office/assign_result.html",
            {"results": results, "succeeded": succeeded, "failed": len(results) - succeeded},
        )
    q = request.GET.get("q", "").strip()
    page = draft_tasks(user=request.user, after=request.GET.get("after", ""), q=q)
    next_url = None
    if page.next_cursor:
        query = request.GET.copy()
        query["after"] = page.next_cursor
        next_url = f"?{query.urlencode()}"
    return render(request, "office/assign.html", {"page": page, "q": q, "next_url": next_url})


# --- Import and export --------------------------------------------------------------------------


def _imports_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _forget_old_uploads(folder: Path) -> None:
    """Delete uploads nobody confirmed within a day (they hold government data; keep them no longer)."""
    cutoff = time.time() - IMPORT_MAX_AGE_SECONDS
    for old in folder.glob("*.xlsx"):
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            continue


def _pending(request: HttpRequest) -> dict[str, Any]:
    return dict(request.session.get(IMPORT_SESSION_KEY, {}))


def _stored_upload(request: HttpRequest, token: str) -> tuple[Path, dict[str, Any]] | None:
    """The upload this user stored under ``token`` (checked against the session: nobody else's file)."""
    try:
        token = str(uuid.UUID(token))
    except (ValueError, TypeError):
        return None
    info = _pending(request).get(token)
    path = _imports_dir() / f"{token}.xlsx"
    if info is None or not path.is_file():
        return None
    return path, info


def _run_import(request: HttpRequest, path: Path, info: dict[str, Any], *, dry_run: bool) -> Any:
    with path.open("rb") as handle:
        return tasklist_import(
            actor=request.user,
            file=File(handle, name=info["name"]),
            dry_run=dry_run,
            create_units=info["create_units"],
            programme=Programme.objects.filter(pk=info.get("programme")).first() if info.get("programme") else None,
        )


@login_required
@web_errors
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    """Upload → dry-run report (every row error) → confirm re-uses the same stored file → import → summary."""
    _require_office(request)
    context: dict[str, Any] = {"form": forms.ImportUploadForm(), "columns": _template_columns()}
    if request.method == "POST" and "token" in request.POST:
        stored = _stored_upload(request, request.POST["token"])
        if stored is None:
            messages.error(request, _("待导入的文件已失效，请重新上传"))
            return redirect("office-import")
        path, info = stored
        report = _run_import(request, path, info, dry_run=False)
        if report.ok:
            path.unlink(missing_ok=True)
            pending = _pending(request)
            pending.pop(path.stem, None)
            request.session[IMPORT_SESSION_KEY] = pending
            messages.success(
                request,
                _("导入成功：新增任务 %(t)d 项、指标 %(i)d 项、政策 %(p)d 项、单位 %(u)d 个")
                % {
                    "t": report.created.get("tasks", 0),
                    "i": report.created.get("indicators", 0),
                    "p": report.created.get("policies", 0),
                    "u": report.created.get("units", 0),
                },
            )
        context.update(report=report, info=info, stage="done" if report.ok else "failed", token=path.stem)
        return render(request, "office/import.html", context, status=200 if report.ok else 400)
    if request.method == "POST":
        form = forms.ImportUploadForm(request.POST, request.FILES)
        context["form"] = form
        if not form.is_valid():
            return render(request, "office/import.html", context, status=400)
        folder = _imports_dir()
        _forget_old_uploads(folder)
        token = str(uuid.uuid4())
        path = folder / f"{token}.xlsx"
        upload = form.cleaned_data["file"]
        with path.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        chosen = form.cleaned_data.get("programme")
        info = {
            "name": upload.name,
            "create_units": form.cleaned_data["create_units"],
            "size": upload.size,
            "programme": chosen.pk if chosen else None,
            "programme_name": chosen.name if chosen else "",
        }
        pending = _pending(request)
        pending[token] = info
        request.session[IMPORT_SESSION_KEY] = pending
        report = _run_import(request, path, info, dry_run=True)
        if not report.ok:
            path.unlink(missing_ok=True)
        context.update(report=report, info=info, stage="checked", token=token)
        return render(request, "office/import.html", context, status=200 if report.ok else 400)
    return render(request, "office/import.html", context)


def _template_columns() -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    return [(sheet, COLUMNS[sheet], REQUIRED[sheet]) for sheet in SHEETS]


@login_required
@web_errors
def export_tasklist(request: HttpRequest) -> HttpResponse:
    """Download the task list (or the subtree under ``?root=CODE``) as an .xlsx in the import template."""
    _require_office(request)
    root = request.GET.get("root", "").strip() or None
    data = tasklist_export(actor=request.user, root_code=root, programme=programme_from(request.GET, request.user))
    name = f"任务清单-{root or '全部'}-{timezone.localdate():%Y%m%d}.xlsx"
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    return response


@login_required
@web_errors
@require_POST
def import_discard(request: HttpRequest) -> HttpResponse:
    """Drop an upload the office decided not to import."""
    _require_office(request)
    stored = _stored_upload(request, request.POST.get("token", ""))
    if stored is not None:
        path, _info = stored
        path.unlink(missing_ok=True)
        pending = _pending(request)
        pending.pop(path.stem, None)
        request.session[IMPORT_SESSION_KEY] = pending
    messages.info(request, _("已放弃本次导入"))
    return redirect("office-import")
