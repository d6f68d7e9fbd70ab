"""Cleaning text that comes from outside (imported files): what a reader sees is what is stored.

Bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E/U+200F, U+061C) make text render in
another order than it is stored: “报告\u202efdp.exe” shows as “报告exe.pdf”, and a title can hide what it
says. They, and every other control or format character except the tab and line breaks, are removed;
the text is NFC-normalised and trimmed.
"""

from __future__ import annotations

import unicodedata

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
KEPT_CONTROLS = frozenset("\t\n\r")


def _kept(ch: str) -> bool:
    if ch in BIDI_CONTROLS:
        return False
    if ch in KEPT_CONTROLS:
        return True
    # Cc: C0/C1 controls; Cf: format characters (zero-width joiners in emoji are rare in government titles).
    return unicodedata.category(ch) not in ("Cc", "Cf")


def clean_text(value: str) -> str:
    """``value`` without bidi controls or other invisible controls, NFC-normalised and trimmed."""
    text = unicodedata.normalize("NFC", value or "")
    return "".join(ch for ch in text if _kept(ch)).strip()


def has_bidi_controls(value: str) -> bool:
    return any(ch in BIDI_CONTROLS for ch in value or "")
