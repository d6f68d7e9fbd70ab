"""Storing an upload: checked by content, size-limited, kept outside the web root (one copy per content)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from reform.errors import ValidationError

from .. import access
from ..files import classify, safe_name
from ..models import Attachment

if TYPE_CHECKING:
    from accounts.models import User

    from ..models import Feedback, Task


def _mb(size: int) -> str:
    return f"{size / 2**20:.1f}"


def _too_big(name: str, size: int | None, limit: int) -> ValidationError:
    limit_mb = f"{limit / 2**20:g}"
    if size is None:
        message = _("附件大小超过上限 %(limit)s MB") % {"limit": limit_mb}
    else:
        message = _("附件大小 %(size)s MB 超过上限 %(limit)s MB") % {"size": _mb(size), "limit": limit_mb}
    return ValidationError(message, fields={"files": [_("“%(name)s”文件过大") % {"name": name}]})


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed the allow-list: the name to store, its type, its bytes and their SHA-256."""

    name: str
    content_type: str
    data: bytes
    sha256: str


def attachment_check(uploaded_file: Any) -> CheckedUpload:
    """Read one upload and check it (size, emptiness, the allow-list by extension and content); write nothing."""
    if isinstance(uploaded_file, CheckedUpload):
        return uploaded_file
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
    classified = classify(name, data)
    if classified is None:
        raise ValidationError(
            _("附件“%(name)s”的类型不允许上传（仅支持 PDF、图片、Office 文档、文本）") % {"name": name},
            fields={"files": [_("“%(name)s”类型不允许") % {"name": name}]},
        )
    content_type, stored_name = classified
    return CheckedUpload(stored_name, content_type, data, hashlib.sha256(data).hexdigest())


def attachment_store(
    *,
    actor: User,
    task: Task,
    uploaded_file: Any,
    feedback: Feedback | None = None,
    written: list[str] | None = None,
) -> Attachment:
    """Check and store one upload for ``task`` (inside the caller's transaction when there is one).

    ``uploaded_file`` may be an upload already passed through :func:`attachment_check`. A file newly
    written to storage is appended to ``written``, so a caller whose transaction fails can remove it
    (:func:`remove_unreferenced`). Not traced on its own: the service that takes the upload (a feedback,
    an answer) records the attachment names in its single trace entry.
    """
    task = access.access_task(actor, task.pk)
    access.UPLOAD.check(actor, task)
    checked = attachment_check(uploaded_file)
    attachment = Attachment(
        task=task,
        feedback=feedback,
        original_name=checked.name,
        content_type=checked.content_type,
        size=len(checked.data),
        sha256=checked.sha256,
        uploaded_by=actor,
    )
    path = attachment.file.field.generate_filename(attachment, checked.sha256)
    storage = attachment.file.storage
    new_file = not storage.exists(path)
    if new_file:
        attachment.file.save(checked.sha256, ContentFile(checked.data), save=False)
        if written is not None:
            written.append(attachment.file.name)
    else:
        attachment.file.name = path  # same bytes for the same task: one copy on disk
    try:
        attachment.save()
    except BaseException:
        if new_file:
            remove_unreferenced([attachment.file.name])
        raise
    return attachment


def remove_unreferenced(paths: list[str]) -> None:
    """Delete stored files no attachment row points at (after a rolled-back upload): no orphan stays on disk."""
    storage = Attachment._meta.get_field("file").storage  # type: ignore[attr-defined]
    for path in paths:
        if not Attachment.objects.filter(file=path).exists():
            storage.delete(path)
