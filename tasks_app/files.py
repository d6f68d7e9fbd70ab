"""File safety for uploads: the allow-list checked by content (not by name), and safe display names.

The allow-list is checked by hand rather than with a sniffing library. Both pure-Python candidates
were tried on the same samples: ``puremagic`` 1.30 names an .xlsx and a plain ZIP "docx", and
``filetype`` 1.2 calls any ZIP with a ``word/`` name a docx, knows no OLE files and no text. Neither
can make the decision that matters here (is this a real OOXML package without macros? does this
text decode as UTF-8 and hold no markup?), and the binary signatures left over are a few bytes each.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile

from django.utils.translation import gettext as _

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
# Text that a browser, a shell or Windows would run or follow: refused even though it decodes as text.
# Any markup tag at all (“<img onerror=…>”, “<svg”, “<?xml”, “<!DOCTYPE”), a shebang, a batch or
# Windows Script Host file, an Internet or desktop shortcut. Checked over the whole file, not a prefix.
ACTIVE_TEXT = re.compile(
    r"<[a-z!?/]"  # a tag, a comment, a declaration or a processing instruction (“< b” is not one)
    r"|^\s*#!|^\s*@?echo\s+off\b|\bwscript\.|\bcreateobject\s*\("
    r"|^\s*\[(?:internetshortcut|desktop entry)\]",
    re.IGNORECASE | re.MULTILINE,
)
# The allow-list by name: each allowed extension and the content types it may hold. Anything else —
# executables (.exe .dll .msi .scr .com), scripts (.bat .cmd .js .vbs .ps1 .sh .py .hta .jar), HTML,
# XHTML, SVG, XML, shortcuts (.url .lnk .desktop), archives — is refused whatever its content.
EXTENSION_TYPES: dict[str, frozenset[str]] = {
    "pdf": frozenset({PDF}),
    "png": frozenset({"image/png"}),
    "jpg": frozenset({"image/jpeg"}),
    "jpeg": frozenset({"image/jpeg"}),
    "gif": frozenset({"image/gif"}),
    "docx": frozenset({OOXML_PARTS["word/"]}),
    "xlsx": frozenset({OOXML_PARTS["xl/"]}),
    "pptx": frozenset({OOXML_PARTS["ppt/"]}),
    "doc": frozenset({OLE}),
    "xls": frozenset({OLE}),
    "ppt": frozenset({OLE}),
    "wps": frozenset({OLE}),
    "et": frozenset({OLE}),
    "ofd": frozenset({OFD}),
    "txt": frozenset({TEXT}),
    "csv": frozenset({TEXT}),
}
# The extension a stored file gets for its detected type when its own does not fit that type.
CANONICAL_EXTENSION = {
    PDF: "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    OOXML_PARTS["word/"]: "docx",
    OOXML_PARTS["xl/"]: "xlsx",
    OOXML_PARTS["ppt/"]: "pptx",
    OLE: "doc",
    OFD: "ofd",
    TEXT: "txt",
}
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
    if ACTIVE_TEXT.search(text):
        return None
    return TEXT


def extension_of(name: str) -> str:
    stem, dot, extension = name.rpartition(".")
    return extension.lower() if dot and stem else ""


def classify(name: str, data: bytes) -> tuple[str, str] | None:
    """The content type and the name to store, or None when the name or the content is not allowed.

    Both must pass: the extension is on the allow-list and the content is an allowed type. When the
    content is an allowed type other than the extension says (a PNG named .jpg, a PDF with no
    extension), the stored name gets the extension of what it is, so it opens as what it is.
    """
    extension = extension_of(name)
    if extension and extension not in EXTENSION_TYPES:
        return None
    content_type = sniff(data)
    if content_type is None:
        return None
    if extension and content_type in EXTENSION_TYPES[extension]:
        return content_type, name
    stem = name[: -len(extension) - 1] if extension else name
    return content_type, f"{stem}.{CANONICAL_EXTENSION[content_type]}"


def safe_name(name: str) -> str:
    """Keep the last path component, without control or bidi characters, at most 200 characters."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", name or ""))[-1]
    base = "".join(c for c in base.translate(BIDI_CONTROLS) if unicodedata.category(c) != "Cc").strip().lstrip(".")
    if len(base) > 200:
        stem, dot, ext = base.rpartition(".")
        base = f"{stem[: 199 - len(ext)]}.{ext}" if dot and len(ext) <= 10 else base[:200]
    return base or _("附件")
