"""The English catalogue: it compiles, it loads, and every string of the web pages is translated."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

ROOT = Path(settings.BASE_DIR)
PO = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
WEB_TEMPLATES = [
    *sorted((ROOT / "templates" / "tasks").glob("*.html")),
    *sorted((ROOT / "templates" / "office").glob("*.html")),
    *sorted((ROOT / "templates" / "accounts").glob("*.html")),
    ROOT / "templates" / "base.html",
    ROOT / "templates" / "403.html",
    ROOT / "templates" / "404.html",
]
WEB_PYTHON = [
    ROOT / "tasks_app" / name
    for name in ("views.py", "office_views.py", "forms.py", "templatetags/reform_tags.py", "selectors/task_page.py")
] + [ROOT / "accounts" / name for name in ("views.py", "forms.py")]


def _unquote(chunk: str) -> str:
    return "".join(eval(line) for line in chunk.strip().splitlines() if line.startswith('"'))  # noqa: S307


def catalogue() -> dict[str, list[str]]:
    """msgid → its msgstr values (one, or one per plural form), read from the .po file."""
    entries: dict[str, list[str]] = {}
    for block in PO.read_text(encoding="utf-8").split("\n\n"):
        if block.lstrip().startswith("#~"):
            continue
        msgid = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        if not msgid:
            continue
        strs = re.findall(r'^msgstr(?:\[\d\])? ((?:".*"\n?)+)', block, re.M)
        entries[_unquote(msgid.group(1))] = [_unquote(s) for s in strs]
    return entries


def web_msgids() -> set[str]:
    """Every string the web templates and views mark for translation."""
    found: set[str] = set()
    for path in WEB_TEMPLATES:
        text = path.read_text(encoding="utf-8")
        found.update(re.findall(r'{%\s*translate\s+"([^"]+)"', text))
        found.update(re.findall(r"{%\s*translate\s+'([^']+)'", text))
        found.update(re.findall(r'_\("([^"]+)"\)', text))
        for body in re.findall(r"{%\s*blocktranslate[^%]*%}(.*?){%\s*(?:plural|endblocktranslate)", text, re.S):
            found.add(re.sub(r"{{\s*(\w+)\s*}}", r"%(\1)s", body))
    for path in WEB_PYTHON:
        text = path.read_text(encoding="utf-8")
        found.update(re.findall(r'(?:\b_|gettext_lazy|gettext|ngettext)\(\s*"([^"]+)"', text))
    return {m for m in found if re.search(r"[\u4e00-\u9fff]", m)}


def test_catalogue_compiles_cleanly(tmp_path):
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("msgfmt (gettext) is not installed: make install adds it")
    result = subprocess.run(
        [msgfmt, "--check", "--statistics", "-o", str(tmp_path / "django.mo"), str(PO)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr


def test_every_web_string_is_translated():
    entries = catalogue()
    missing = sorted(m for m in web_msgids() if m not in entries)
    empty = sorted(m for m in web_msgids() if m in entries and not all(entries[m]))
    assert len(web_msgids()) > 250  # the scan really found the pages' strings
    assert missing == [], f"not in the catalogue (run makemessages): {missing[:20]}"
    assert empty == [], f"untranslated: {empty[:20]}"


def test_the_compiled_catalogue_is_loaded():
    with translation.override("en"):
        assert translation.gettext("任务清单") == "Tasks"
        assert translation.gettext("签收") == "Accept"
        assert translation.ngettext("逾期 %(n)d 天", "逾期 %(n)d 天", 5) % {"n": 5} == "5 days overdue"
    with translation.override("zh-hans"):
        assert translation.gettext("任务清单") == "任务清单"


@pytest.mark.django_db
def test_tasks_page_in_english_when_chosen(client, dsj, office_user):
    from tests.factories import make_task

    make_task("1", lead_unit=dsj, title="一体化智能化公共数据平台")
    client.force_login(office_user)
    chinese = client.get("/tasks/").content.decode()
    assert "<h1>任务清单</h1>" in chinese and 'lang="zh-CN"' in chinese
    client.post("/i18n/setlang/", {"language": "en", "next": "/tasks/"})
    english = client.get("/tasks/").content.decode()
    assert 'lang="en"' in english
    assert "<h1>Tasks</h1>" in english
    for label in ("Code or title", "Lead unit", "Deadline", "Next page" if "Next page" in english else "By code"):
        assert label in english
    assert "一体化智能化公共数据平台" in english  # data stays as entered
