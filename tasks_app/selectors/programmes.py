"""Programmes (专项): which one a request means, which one a user works in, and what a user may pick."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Count
from django.utils.translation import gettext as _

from reform.errors import NotFound, ValidationError
from reform.params import parse_id

from ..access import visible_tasks
from ..models import Programme

if TYPE_CHECKING:
    from accounts.models import User


def _pick_default(programmes: list[Programme]) -> Programme:
    programme = next((p for p in programmes if p.is_default), programmes[0] if programmes else None)
    if programme is None:
        raise NotFound(_("尚未设置任何专项，请联系系统管理员"))
    return programme


def default_programme() -> Programme:
    """The deployment's default programme (migrations and ``ensure_reference_data`` make one)."""
    return _pick_default(list(Programme.objects.order_by("-is_default", "order", "pk")[:1]))


def all_programmes() -> list[Programme]:
    """Every programme, in the programmes' order, with its owner (a deployment has a handful)."""
    return list(Programme.objects.select_related("owner").order_by("order", "pk"))


def home_programme(user: Any, programmes: list[Programme] | None = None) -> Programme:
    """The programme a user works in: the one run by the nearest office level above their unit or
    jurisdiction (东城区's own programme for 东城区's office and streets), else the default. One query:
    a deployment has a handful of programmes."""
    programmes = all_programmes() if programmes is None else programmes
    unit = getattr(user, "jurisdiction", None) if getattr(user, "is_authenticated", False) else None
    if unit is not None:
        owned = [p for p in programmes if p.is_active and p.owner is not None and unit.path.startswith(p.owner.path)]
        if owned:
            return max(owned, key=lambda p: len(p.owner.path))  # type: ignore[union-attr]
    return _pick_default(programmes)


def programme_from(params: Any, user: Any, name: str = "programme") -> Programme:
    """The programme a request names (``?programme=<id>``), or the user's own. An unknown id is a bad
    parameter (400, named), as an unknown choice is."""
    pk = parse_id(params.get(name), name)
    if pk is None:
        return home_programme(user)
    programme = Programme.objects.filter(pk=pk).first()
    if programme is None:
        raise ValidationError(_("专项不存在"), fields={name: [_("专项不存在")]})
    return programme


def programme_choices(user: User) -> list[tuple[Programme, int]]:
    """Every programme with the number of its tasks the user may see, in the programmes' order."""
    counts = dict(visible_tasks(user).order_by().values_list("programme").annotate(n=Count("pk")))
    programmes = Programme.objects.select_related("owner").prefetch_related("domains").order_by("order", "pk")
    return [(p, counts.get(p.pk, 0)) for p in programmes]
