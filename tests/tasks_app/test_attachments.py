"""Attachments: type by content, size limit, storage outside the web root, access-checked download."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from reform.errors import NotFound, PermissionDenied, ValidationError
from tasks_app import services
from tasks_app.files import safe_name, sniff
from tasks_app.models import Attachment, Feedback
from tasks_app.services import attachment_store, task_share
from tasks_app.workflow import Status
from tests.factories import Role, make_task, make_unit, make_user
from trail.models import TraceEntry

from .workflow_helpers import drive

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
GIF = b"GIF89a" + b"\x01\x00\x01\x00" + b"\x00" * 16
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
NOT_ALLOWED = "附件“{}”的类型不允许上传（仅支持 PDF、图片、Office 文档、文本）"


def _zip(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name in names:
            z.writestr(name, "<x/>")
    return buffer.getvalue()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


@pytest.fixture
def task(dsj, jxj, office_user, dsj_handler):
    item = make_task("1", lead_unit=dsj, deadline=date(2027, 1, 1), cooperating_units=(jxj,))
    return drive(item, Status.IN_PROGRESS, office=office_user, unit_user=dsj_handler)


@pytest.mark.parametrize(
    ("name", "content", "mime"),
    [
        ("报告.pdf", PDF, "application/pdf"),
        ("现场.png", PNG, "image/png"),
        ("照片.jpg", JPEG, "image/jpeg"),
        ("动图.gif", GIF, "image/gif"),
        ("方案.docx", _zip("[Content_Types].xml", "word/document.xml"), DOCX),
        ("台账.xlsx", _zip("[Content_Types].xml", "xl/workbook.xml"), XLSX),
        ("汇报.pptx", _zip("[Content_Types].xml", "ppt/presentation.xml"), PPTX),
        ("旧版.doc", OLE, "application/vnd.ms-office"),
        ("公文.ofd", _zip("OFD.xml", "Doc_0/Document.xml"), "application/ofd"),
        ("数据.csv", "任务编号,数值\n1,2\n".encode(), "text/plain"),
        ("说明.txt", "\ufeff带 BOM 的说明，进度 <5% 也不是标记".encode(), "text/plain"),
    ],
)
def test_allowed_types_are_recognised_by_content(task, dsj_handler, name, content, mime):
    stored = attachment_store(actor=dsj_handler, task=task, uploaded_file=upload(name, content))

    assert (stored.original_name, stored.content_type, stored.size) == (name, mime, len(content))
    assert stored.sha256 == hashlib.sha256(content).hexdigest()
    path = Path(stored.file.path)
    assert path.read_bytes() == content
    assert path.is_relative_to(settings.MEDIA_ROOT) and path.name == stored.sha256
    for static_dir in (settings.STATIC_ROOT, *settings.STATICFILES_DIRS):
        assert not path.is_relative_to(static_dir)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("病毒.pdf", b"MZ\x90\x00\x03" + b"\x00" * 40),  # a Windows executable
        ("程序.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 40),  # a Linux executable
        ("页面.pdf", b"<html><script>alert(1)</script></html>"),
        ("页面.txt", b"<!DOCTYPE html>\n<p>hi</p>"),
        ("图.png", b"<svg onload=alert(1)></svg>"),
        ("图.txt", b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>'),
        ("脚本.txt", b"#!/bin/sh\nrm -rf /\n"),
        ("脚本.csv", b"<?php system($_GET['c']); ?>"),
        ("包.docx", b"PK\x03\x04not really a zip"),
        ("压缩包.docx", _zip("word/document.xml")),  # a ZIP that only looks like Office inside
        ("普通.zip", _zip("a.exe")),
        ("宏.docx", _zip("[Content_Types].xml", "word/document.xml", "word/vbaProject.bin")),
        ("二进制.txt", b"abc\x00def"),
        ("编码.txt", "GBK 编码的文本".encode("gbk")),
    ],
)
def test_disguised_files_are_refused_whatever_their_name(task, dsj_handler, name, content):
    with pytest.raises(ValidationError) as err:
        attachment_store(actor=dsj_handler, task=task, uploaded_file=upload(name, content))

    assert err.value.message == NOT_ALLOWED.format(name)
    assert err.value.fields == {"files": [f"“{name}”类型不允许"]}
    assert not Attachment.objects.exists()


def test_the_error_names_the_file_as_uploaded(task, dsj_handler):
    with pytest.raises(ValidationError) as err:
        attachment_store(actor=dsj_handler, task=task, uploaded_file=upload("x.exe", b"MZ\x90\x00"))
    assert err.value.message == "附件“x.exe”的类型不允许上传（仅支持 PDF、图片、Office 文档、文本）"


def test_size_limit_default_is_20_mb_and_the_message_gives_both_sizes(task, dsj_handler):
    assert settings.ATTACHMENT_MAX_BYTES == 20 * 1024 * 1024
    big = upload("大.pdf", PDF + b"0" * (int(25.3 * 2**20) - len(PDF)))

    with pytest.raises(ValidationError) as err:
        attachment_store(actor=dsj_handler, task=task, uploaded_file=big)

    assert err.value.message == "附件大小 25.3 MB 超过上限 20 MB"
    assert err.value.fields == {"files": ["“大.pdf”文件过大"]}


@override_settings(ATTACHMENT_MAX_BYTES=2**20)
def test_size_limit_holds_when_the_upload_does_not_say_its_size(task, dsj_handler):
    class Stream(io.BytesIO):
        name = "流.pdf"

    with pytest.raises(ValidationError, match="^附件大小超过上限 1 MB$"):
        attachment_store(actor=dsj_handler, task=task, uploaded_file=Stream(PDF + b"0" * 2**20))
    stored = attachment_store(actor=dsj_handler, task=task, uploaded_file=Stream(PDF))
    assert stored.size == len(PDF)


def test_empty_file_is_refused(task, dsj_handler):
    with pytest.raises(ValidationError, match="^附件“空.txt”是空文件$"):
        attachment_store(actor=dsj_handler, task=task, uploaded_file=upload("空.txt", b""))


def test_a_file_already_read_by_a_form_is_read_again_from_the_start(task, dsj_handler):
    uploaded = upload("报告.pdf", PDF)
    uploaded.read()
    assert attachment_store(actor=dsj_handler, task=task, uploaded_file=uploaded).size == len(PDF)


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("C:\\Users\\张三\\桌面\\报告.pdf", "报告.pdf"),
        ("../../etc/passwd", "passwd"),
        ("报告\u202efdp.exe", "报告fdp.exe"),  # the bidi override would show it as "报告exe.pdf"
        ("a\x00b\r\n.pdf", "ab.pdf"),
        (".htaccess", "htaccess"),
        ("", "附件"),
        ("长" * 300 + ".pdf", "长" * 196 + ".pdf"),
    ],
)
def test_original_names_are_sanitised(given, kept):
    assert safe_name(given) == kept


def test_same_file_twice_is_stored_once_on_disk(task, dsj_handler):
    first = attachment_store(actor=dsj_handler, task=task, uploaded_file=upload("一.pdf", PDF))
    second = attachment_store(actor=dsj_handler, task=task, uploaded_file=upload("二.pdf", PDF))
    assert first.file.name == second.file.name and first.pk != second.pk
    assert second.original_name == "二.pdf"


def test_office_lead_and_cooperating_units_may_upload(task, office_user, dsj_admin, jxj_handler, city):
    for user in (office_user, dsj_admin, jxj_handler):
        assert attachment_store(actor=user, task=task, uploaded_file=upload("a.pdf", PDF)).uploaded_by == user


def test_leader_and_auditor_may_not_upload(task, leader_user, auditor_user):
    for user in (leader_user, auditor_user):
        with pytest.raises(PermissionDenied, match="您的角色无权上传附件"):
            attachment_store(actor=user, task=task, uploaded_file=upload("a.pdf", PDF))
    assert not Attachment.objects.exists()


def test_outsiders_get_not_found_and_a_shared_viewer_may_not_upload(task, city, office_user):
    outsider = make_user(Role.UNIT_HANDLER, unit=make_unit("市教育局", parent=city))
    with pytest.raises(NotFound):
        attachment_store(actor=outsider, task=task, uploaded_file=upload("a.pdf", PDF))

    task_share(actor=office_user, task=task, user=outsider)  # may now see it, still not a responsible unit
    with pytest.raises(PermissionDenied, match="只有督办该任务的督查室和该任务的牵头、配合单位可以上传附件"):
        attachment_store(actor=outsider, task=task, uploaded_file=upload("a.pdf", PDF))
    assert not Attachment.objects.exists()


def test_ten_day_report_with_attachment_is_all_or_nothing(task, dsj_handler):
    evidence = [upload("佐证.pdf", PDF)]
    services.feedback_submit(actor=dsj_handler, task=task, text="本旬进展", progress=30, files=evidence)
    feedback = Feedback.objects.get()
    assert list(feedback.attachments.values_list("original_name", flat=True)) == ["佐证.pdf"]
    assert TraceEntry.objects.get(action="feedback.submit").payload["attachments"] == ["佐证.pdf"]

    with pytest.raises(ValidationError):
        services.feedback_submit(
            actor=dsj_handler, task=task, text="第二次", progress=40, files=[upload("坏.pdf", b"MZ" + b"\x00" * 10)]
        )
    assert Feedback.objects.count() == 1 and Attachment.objects.count() == 1


def test_download_checks_access_and_answers_404_to_outsiders(client, task, dsj_handler, city):
    stored = attachment_store(actor=dsj_handler, task=task, uploaded_file=upload("报告.pdf", PDF))
    url = f"/attachments/{stored.pk}/"

    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/?next=")

    client.force_login(dsj_handler)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''%E6%8A%A5%E5%91%8A.pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"

    outsider = make_user(Role.UNIT_HANDLER, unit=make_unit("市教育局", parent=city))
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.get("/attachments/999999/").status_code == 404


def test_every_role_that_sees_the_task_may_download(client, task, dsj_handler, leader_user, auditor_user, jxj_handler):
    stored = attachment_store(actor=dsj_handler, task=task, uploaded_file=upload("报告.pdf", PDF))
    for user in (leader_user, auditor_user, jxj_handler):
        client.force_login(user)
        assert client.get(f"/attachments/{stored.pk}/").status_code == 200


def test_a_shared_task_opens_its_attachments_to_the_grantee(client, task, dsj_handler, office_user, city):
    stored = attachment_store(actor=dsj_handler, task=task, uploaded_file=upload("报告.pdf", PDF))
    viewer = make_user(Role.UNIT_HANDLER, unit=make_unit("市审计局", parent=city))
    client.force_login(viewer)
    assert client.get(f"/attachments/{stored.pk}/").status_code == 404
    task_share(actor=office_user, task=task, user=viewer)
    assert client.get(f"/attachments/{stored.pk}/").status_code == 200


def test_media_files_are_not_served_directly(client, task, dsj_handler):
    stored = attachment_store(actor=dsj_handler, task=task, uploaded_file=upload("报告.pdf", PDF))
    client.force_login(dsj_handler)
    assert client.get(f"/media/{stored.file.name}").status_code == 404
    assert client.get(f"/static/../var/test-media/{stored.file.name}").status_code == 404


def test_sniff_keeps_text_detection_to_utf8_without_markup():
    assert sniff("普通文本 a < b".encode()) == "text/plain"
    assert sniff(b"<script src=x></script>") is None
    assert sniff(b"  \n<IFRAME src=x>") is None
