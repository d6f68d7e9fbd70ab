"""Uploaded attachments: checked by content (not by name), size-limited, stored outside the web root,
and served only through an access-checked view.

The allow-list is checked by hand rather than with a sniffing library. Both pure-Python candidates
were tried on the same samples: ``puremagic`` 1.30 names an .xlsx and a plain ZIP "docx", and
``filetype`` 1.2 calls any ZIP with a ``word/`` name a docx, knows no OLE files and no text. Neither
can make the decision that matters here (is this a real OOXML package without macros? does this
text decode as UTF-8 and hold no markup?), and the binary signatures left over are a few bytes each.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.files.base import ContentFile
from django.http import FileResponse, Http404, HttpRequest
from django.utils.translation import gettext as _

from accounts.access import can_see_task, get_visible_task
from reform.errors import PermissionDenied, ValidationError
from reform.roles import UNIT_ROLES, Role

from .models import Attachment

if TYPE_CHECKING:
    from accounts.models import User

    from .models import Feedback, Task

PDF = "application/pdf"
OLE = "application/vnd.ms-office"  # legacy .doc/.xls/.ppt (Compound File Binary)
OFD = "application/ofd"  # GB/T 33190 版式文档
TEXT = "text/plain"
OOXML_PARTS = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
SIGNATURES = (
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", OLE),
)
# Text that a browser or a shell would run: refused even though it decodes as text.
ACTIVE_TEXT = re.compile(
    r"<\s*(script|html|body|svg|iframe|object|embed|meta|!doctype)\b|<\?php|^\s*#!",
    re.IGNORECASE,
)
# Bidirectional overrides hide a real extension ("报告\u202efdp.exe" shows as "报告exe.pdf").
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"))


def _zip_type(data: bytes) -> str | None:
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        return None
    if "OFD.xml" in names:
        return OFD
    if "[Content_Types].xml" not in names:
        return None  # an ordinary ZIP archive: could hold anything
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        return None  # macro-enabled (.docm/.xlsm/.pptm) however it is named
    for prefix, mime in OOXML_PARTS.items():
        if any(n.startswith(prefix) for n in names):
            return mime
    return None


def sniff(data: bytes) -> str | None:
    """Return the content type of an allowed file from its bytes, or None if it is not allowed."""
    for magic, mime in SIGNATURES:
        if data.startswith(magic):
            return mime
    if data.startswith(b"PK\x03\x04"):
        return _zip_type(data)
    if b"\x00" in data:
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    if ACTIVE_TEXT.search(text[:65536]):
        return None
    return TEXT


def safe_name(name: str) -> str:
    """Keep the last path component, without control or bidi characters, at most 200 characters."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", name or ""))[-1]
    base = "".join(c for c in base.translate(BIDI_CONTROLS) if unicodedata.category(c) != "Cc").strip().lstrip(".")
    if len(base) > 200:
        stem, dot, ext = base.rpartition(".")
        base = f"{stem[: 199 - len(ext)]}.{ext}" if dot and len(ext) <= 10 else base[:200]
    return base or _("附件")


def _mb(size: int) -> str:
    return f"{size / 2**20:.1f}"


def _too_big(name: str, size: int | None, limit: int) -> ValidationError:
    limit_mb = f"{limit / 2**20:g}"
    if size is None:
        message = _("附件大小超过上限 %(limit)s MB") % {"limit": limit_mb}
    else:
        message = _("附件大小 %(size)s MB 超过上限 %(limit)s MB") % {"size": _mb(size), "limit": limit_mb}
    return ValidationError(message, fields={"files": [_("“%(name)s”文件过大") % {"name": name}]})


def _may_upload(actor: User, task: Task) -> bool:
    """Return whether ``actor`` may attach files to ``task`` (which it can already see)."""
    if actor.role == Role.OFFICE:
        return True
    if actor.role not in UNIT_ROLES or actor.unit is None:
        return False
    prefix = actor.unit.path
    return task.lead_unit.path.startswith(prefix) or task.cooperating_units.filter(path__startswith=prefix).exists()


def attachment_store(*, actor: User, task: Task, uploaded_file: Any, feedback: Feedback | None = None) -> Attachment:
    """Check and store one upload for ``task`` (inside the caller's transaction when there is one).

    Not traced on its own: the service that takes the upload (a feedback, an answer) records the
    attachment names in its single trace entry.
    """
    get_visible_task(actor, task.pk)
    if actor.role not in UNIT_ROLES and actor.role != Role.OFFICE:
        raise PermissionDenied(_("您的角色无权上传附件"))
    if not _may_upload(actor, task):
        raise PermissionDenied(_("只有督查室和该任务的牵头、配合单位可以上传附件"))
    name = safe_name(getattr(uploaded_file, "name", ""))
    limit = settings.ATTACHMENT_MAX_BYTES
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > limit:
        raise _too_big(name, size, limit)
    if hasattr(uploaded_file, "seek"):
        uploaded_file.seek(0)  # a form may have peeked at it already
    data = uploaded_file.read(limit + 1)
    if len(data) > limit:
        raise _too_big(name, None, limit)
    if not data:
        raise ValidationError(
            _("附件“%(name)s”是空文件") % {"name": name}, fields={"files": [_("“%(name)s”为空") % {"name": name}]}
        )
    content_type = sniff(data)
    if content_type is None:
        raise ValidationError(
            _("附件“%(name)s”的类型不允许上传（仅支持 PDF、图片、Office 文档、文本）") % {"name": name},
            fields={"files": [_("“%(name)s”类型不允许") % {"name": name}]},
        )
    digest = hashlib.sha256(data).hexdigest()
    attachment = Attachment(
        task=task,
        feedback=feedback,
        original_name=name,
        content_type=content_type,
        size=len(data),
        sha256=digest,
        uploaded_by=actor,
    )
    path = attachment.file.field.generate_filename(attachment, digest)
    if attachment.file.storage.exists(path):
        attachment.file.name = path  # same bytes for the same task: one copy on disk
    else:
        attachment.file.save(digest, ContentFile(data), save=False)
    attachment.save()
    return attachment


@login_required
def attachment_download(request: HttpRequest, attachment_id: int) -> FileResponse:
    """Serve a file only to users who may see its task; everyone else gets 404."""
    attachment = Attachment.objects.select_related("task").filter(pk=attachment_id).first()
    if attachment is None or not can_see_task(request.user, attachment.task):  # type: ignore[arg-type]
        raise Http404(_("附件不存在或无权访问"))
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("附件不存在或无权访问")) from exc
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # Should a browser render it anyway, nothing in it may run or load anything.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
