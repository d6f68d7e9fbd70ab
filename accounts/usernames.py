"""Usernames and display names that cannot pass for someone else's.

A username is NFKC-normalised first (full-width ``ｄsj_handler`` becomes ``dsj_handler``, and so collides
with the existing account). Then, with the Unicode confusables of ``confusable_homoglyphs``:

- a username mixing Latin with Cyrillic or Greek letters is refused (``dsj_hаndler`` with a Cyrillic а);
- a username whose *skeleton* (each letter replaced by the Latin letter it looks like, case-folded)
  equals an existing account's is refused, whatever the scripts (an all-Cyrillic ``аdmin``).

Display names (姓名) may repeat — two colleagues may both be 张伟 — so the timeline and the trace show the
username next to the name. A display name that reads as another account's *username* is refused.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from confusable_homoglyphs import categories, confusables
from django.utils.translation import gettext as _

LOOKALIKE_SCRIPTS = frozenset({"CYRILLIC", "GREEK"})


def normalise(value: str) -> str:
    """NFKC (full-width and compatibility forms to their plain ones), trimmed."""
    return unicodedata.normalize("NFKC", value or "").strip()


@lru_cache(maxsize=4096)
def _latin_lookalike(ch: str) -> str:
    found = confusables.is_confusable(ch, preferred_aliases=["latin"])
    if found:
        for glyph in found[0]["homoglyphs"]:
            if glyph["c"].isascii():
                return str(glyph["c"])
    return ch


def skeleton(value: str) -> str:
    """What ``value`` looks like: NFKC, each confusable letter as its Latin look-alike, case-folded."""
    return "".join(_latin_lookalike(ch) for ch in normalise(value)).casefold()


def mixed_lookalike_scripts(value: str) -> bool:
    """Latin letters together with Cyrillic or Greek ones (the classic homograph)."""
    scripts = categories.unique_aliases(value)
    return "LATIN" in scripts and bool(scripts & LOOKALIKE_SCRIPTS)


def username_problem(username: str, existing: Iterable[str]) -> str:
    """Why ``username`` (already NFKC-normalised) may not be used next to ``existing``; empty when it may."""
    if mixed_lookalike_scripts(username):
        return _("用户名混用了拉丁字母和形近的西里尔/希腊字母，容易被误认为其他账号")
    mine = skeleton(username)
    for other in existing:
        if skeleton(other) == mine:
            return _("用户名与已有账号“%(other)s”过于相似，容易被误认") % {"other": other}
    return ""


def full_name_problem(full_name: str, usernames: Iterable[str]) -> str:
    """Why a display name may not be used: it reads as another account's username."""
    mine = skeleton(full_name)
    if mixed_lookalike_scripts(full_name):
        return _("姓名混用了拉丁字母和形近的西里尔/希腊字母")
    for other in usernames:
        if skeleton(other) == mine:
            return _("姓名不能与账号“%(other)s”的用户名相同或形近") % {"other": other}
    return ""
