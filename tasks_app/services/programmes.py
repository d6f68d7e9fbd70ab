"""Setting up a programme (专项): a district office's own list, a year's key tasks, meeting decisions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from orgs.models import OrgUnit
from reform.errors import ValidationError

from .. import access, events
from ..models import Domain, Programme
from .common import raise_if

if TYPE_CHECKING:
    from accounts.models import User

MAX_DOMAINS = 20


def programme_create(
    *,
    actor: User | None,
    name: str,
    domains: Sequence[tuple[str, str]],
    kind: str = Programme.Kind.ANNUAL,
    year: int | None = None,
    owner: OrgUnit | None = None,
    short_name: str = "",
) -> Programme:
    """Set up a programme with its own domain list (``(code, name)`` pairs, in order).

    A scoped office sets up programmes run by a unit of its jurisdiction (its district's own); the
    city's office any. ``actor=None`` is the system (the demo).
    """
    if actor is not None:
        access.CREATE_PROGRAMME.check_role(actor)
        if not access.sees_everything(actor):
            owner = owner or actor.jurisdiction
            if not access.in_jurisdiction(actor, owner):
                message = _("主办单位须在您的管辖范围内")
                raise ValidationError(message, fields={"owner": [message]})
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("请填写专项名称")]
    elif len(name) > 100:
        errors["name"] = [_("专项名称不能超过 100 个字")]
    if kind not in Programme.Kind.values:
        errors["kind"] = [_("未知的专项类别")]
    if year is not None and not 2000 <= year <= 2099:
        errors["year"] = [_("年度应在 2000—2099 之间")]
    clean = [(code.strip(), label.strip()) for code, label in domains]
    if not clean:
        errors["domains"] = [_("请至少设置一个改革领域")]
    elif len(clean) > MAX_DOMAINS:
        errors["domains"] = [_("改革领域不能超过 %(n)d 个") % {"n": MAX_DOMAINS}]
    elif any(not code or not label or len(code) > 32 or len(label) > 32 for code, label in clean):
        errors["domains"] = [_("每个领域须有代码和名称（各不超过 32 个字符）")]
    elif len({c for c, _l in clean}) != len(clean) or len({label for _c, label in clean}) != len(clean):
        errors["domains"] = [_("领域的代码和名称不能重复")]
    raise_if(errors)
    with transaction.atomic():
        if Programme.objects.filter(name=name).exists():
            raise ValidationError(_("专项“%(n)s”已存在") % {"n": name}, fields={"name": [_("名称重复")]})
        try:
            programme = Programme.objects.create(
                name=name, short_name=short_name.strip(), kind=kind, year=year, owner=owner
            )
        except IntegrityError as exc:
            raise ValidationError(_("专项“%(n)s”已存在") % {"n": name}, fields={"name": [_("名称重复")]}) from exc
        Domain.objects.bulk_create(
            [Domain(programme=programme, code=code, name=label, order=i) for i, (code, label) in enumerate(clean, 1)]
        )
        events.PROGRAMME_CREATED(
            actor=actor,
            obj=programme,
            payload={
                "name": name,
                "kind": programme.get_kind_display(),
                "year": year,
                "owner": owner.name if owner else "",
                "domains": [label for _code, label in clean],
            },
        )
    return programme
