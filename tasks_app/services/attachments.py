"""Storing an upload: checked by content, size-limited, kept outside the web root (one copy per content)."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from reform.errors import ValidationError

from .. import access
from ..files import safe_name, sniff
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


def attachment_store(*, actor: User, task: Task, uploaded_file: Any, feedback: Feedback | None = None) -> Attachment:
    """Check and store one upload for ``task`` (inside the caller's transaction when there is one).

    Not traced on its own: the service that takes the upload (a feedback, an answer) records the
    attachment names in its single trace entry.
    """
    task = access.access_task(actor, task.pk)
    access.UPLOAD.check(actor, task)
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
